# Warn on every plan and apply while prod-web-app could not fail over: a
# failed check is a warning, it does not stop the run. The data source is
# scoped to the check block, so it is read afresh every time.
check "prod_web_app_failover_ready" {
  data "protector_failover_readiness" "now" {
    protection_group_id = protector_protection_group.prod_web_app.id
  }

  assert {
    condition = data.protector_failover_readiness.now.ready
    error_message = join("\n", [
      for b in data.protector_failover_readiness.now.blockers :
      "${b.check} [${b.site}]: ${b.message} Fix: ${b.fix}"
    ])
  }
}
