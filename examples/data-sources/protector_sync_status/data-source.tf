# openstack protector protection-group sync-status prod-web-app
data "protector_sync_status" "prod_web_app" {
  protection_group_id = protector_protection_group.prod_web_app.id
}

output "sync_status" {
  value = {
    status         = data.protector_sync_status.prod_web_app.status
    local_version  = data.protector_sync_status.prod_web_app.local_version
    remote_version = data.protector_sync_status.prod_web_app.remote_version
    in_sync        = data.protector_sync_status.prod_web_app.in_sync
  }
}

# Refuse to go on (e.g. before a DR drill) unless both sites hold the same metadata.
check "metadata_in_sync" {
  assert {
    condition     = data.protector_sync_status.prod_web_app.in_sync
    error_message = "prod-web-app is ${data.protector_sync_status.prod_web_app.status}: ${data.protector_sync_status.prod_web_app.error}"
  }
}
