# openstack protector protection-group sync-status prod-web-app, read at
# every plan. With the policy and members in the same configuration,
# depends_on makes an apply that changes them read the versions after them.
data "protector_sync_status" "prod_web_app" {
  protection_group_id = protector_protection_group.prod_web_app.id

  depends_on = [protector_replication_policy.prod_web_app, protector_member.web_tier]
}

output "sync_status" {
  value = {
    status         = data.protector_sync_status.prod_web_app.status
    local_version  = data.protector_sync_status.prod_web_app.local_version
    remote_version = data.protector_sync_status.prod_web_app.remote_version
    in_sync        = data.protector_sync_status.prod_web_app.in_sync
  }
}

# RPO readiness (async groups with a replication policy; null otherwise).
# The lag changes with time: keep it out of outputs a drift job plans.
check "rpo_met" {
  assert {
    condition     = data.protector_sync_status.prod_web_app.rpo_compliant != false
    error_message = "prod-web-app: the newest snapshot on the secondary array is ${data.protector_sync_status.prod_web_app.replication_lag_seconds} s old (${data.protector_sync_status.prod_web_app.last_replicated_at}), beyond the RPO."
  }
}

# Refuse to go on (e.g. before a DR drill) unless both sites hold the same metadata.
check "metadata_in_sync" {
  assert {
    condition     = data.protector_sync_status.prod_web_app.in_sync
    error_message = "prod-web-app is ${data.protector_sync_status.prod_web_app.status}: ${data.protector_sync_status.prod_web_app.error}"
  }
}
