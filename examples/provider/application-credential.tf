# Keystone application credentials instead of passwords (the names
# terraform-provider-openstack uses). A credential by id needs no user or
# project: it is bound to both.
provider "protector" {
  sites = {
    "site-a" = {
      auth_url                      = "https://site-a-controller:5000/v3"
      application_credential_id     = "2c3fdd2c4ab94a1e8e94d2d1e3b5e0a1"
      application_credential_secret = var.site_a_app_cred_secret
    }
    "site-b" = {
      # By name: the credential of this user.
      auth_url                      = "https://site-b-controller:5000/v3"
      username                      = "dr-operator"
      user_domain_name              = "Default"
      application_credential_name   = "protector-ci"
      application_credential_secret = var.site_b_app_cred_secret
    }
  }
}

variable "site_a_app_cred_secret" {
  type      = string
  sensitive = true
}

variable "site_b_app_cred_secret" {
  type      = string
  sensitive = true
}
