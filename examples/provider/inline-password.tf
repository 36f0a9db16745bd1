# Sites given inline, without clouds.yaml: a Keystone v3 URL and a user of
# the project that owns the VMs. The admin credential falls back to the
# site's own fields (auth_url, project, domains) for what it does not set.
provider "protector" {
  sites = {
    "site-a" = {
      auth_url            = "https://site-a-controller:5000/v3"
      region              = "RegionOne"
      username            = "dr-operator"
      password            = var.site_a_password
      project_name        = "prod"
      user_domain_name    = "Default"
      project_domain_name = "Default"
      admin = {
        username = "admin"
        password = var.site_a_admin_password
      }
    }
    "site-b" = {
      auth_url     = "https://site-b-controller:5000/v3"
      username     = "dr-operator"
      password     = var.site_b_password
      project_name = "prod"
    }
  }
}

variable "site_a_password" {
  type      = string
  sensitive = true
}

variable "site_a_admin_password" {
  type      = string
  sensitive = true
}

variable "site_b_password" {
  type      = string
  sensitive = true
}
