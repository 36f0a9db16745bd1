# Private CAs: one bundle per site for Keystone, Nova, Cinder and the object
# store, one for the FlashArrays (which usually have self-signed
# certificates). The insecure switches exist for test clouds only.
provider "protector" {
  clouds_yaml = "/etc/openstack/clouds.yaml"

  sites = {
    "site-a" = { cacert_file = "/etc/pki/site-a-ca.pem" }
    "site-b" = { cacert_file = "/etc/pki/site-b-ca.pem" }
    # "lab" = { insecure = true }  # no certificate checks at all
  }

  flasharray_ca_file = "/etc/pki/flasharray-ca.pem"
  # flasharray_insecure = true     # no certificate checks of the arrays
}
