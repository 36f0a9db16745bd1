# openstack protector protection-group sync-log prod-web-app --limit 10
data "protector_sync_log" "prod_web_app" {
  protection_group_id = protector_protection_group.prod_web_app.id
  limit               = 10
}

output "sync_log" {
  value = [
    for e in data.protector_sync_log.prod_web_app.entries :
    "v${e.version} ${e.time} ${e.outcome} ${e.duration_ms}ms ${e.error}"
  ]
}
