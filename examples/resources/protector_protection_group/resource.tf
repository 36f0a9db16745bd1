# openstack protector protection-group create --name prod-web-app ...
resource "protector_protection_group" "prod_web_app" {
  name             = "prod-web-app"
  description      = "Production web tier - async replication"
  replication_type = "async"
  primary_site     = protector_site.site_a.name
  secondary_site   = protector_site.site_b.name
  volume_type      = "replicated-ssd"
}
