# openstack protector consistency-group show prod-web-app
data "protector_consistency_group" "prod_web_app" {
  protection_group_id = protector_protection_group.prod_web_app.id
}

output "consistency_group" {
  value = {
    status          = data.protector_consistency_group.prod_web_app.status
    backend_name    = data.protector_consistency_group.prod_web_app.backend_name
    primary_cg_id   = data.protector_consistency_group.prod_web_app.primary_cg_id
    secondary_cg_id = data.protector_consistency_group.prod_web_app.secondary_cg_id
    volume_count    = data.protector_consistency_group.prod_web_app.volume_count
  }
}
