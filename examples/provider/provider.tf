# Both sites are reached through their clouds.yaml entries (the guide's
# Step 4: entries "site-a" and "site-b" in ~/.config/openstack/clouds.yaml).
provider "protector" {
  sites = {
    "site-a" = {}
    "site-b" = {
      # Reads only admins may make (a volume type's replication_type, a
      # volume's backend host) use this credential, so that they are checked
      # at plan instead of reported as warnings.
      admin = { cloud = "site-b-admin" }
    }
  }

  # FlashArray tokens by URL: used by replication policies that do not set
  # their own, by member changes of a group with a policy, and after import.
  flasharrays = {
    "flasharray-a" = {
      url       = "https://flasharray-a.example.com"
      api_token = var.flasharray_a_token
    }
    "flasharray-b" = {
      url       = "https://flasharray-b.example.com"
      api_token = var.flasharray_b_token
    }
  }

  # The arrays' certificates are usually self-signed.
  flasharray_ca_file = "/etc/pki/flasharray-ca.pem"
}

variable "flasharray_a_token" {
  type      = string
  sensitive = true
}

variable "flasharray_b_token" {
  type      = string
  sensitive = true
}
