# Could prod-web-app fail over to its secondary site now? Read at every
# plan, from both sites and both FlashArrays. With the policy and members
# in the same configuration, depends_on makes an apply that changes them
# read the readiness after them.
data "protector_failover_readiness" "prod_web_app" {
  protection_group_id = protector_protection_group.prod_web_app.id
  # target_site = "site-b" # default: the group's secondary site

  depends_on = [protector_replication_policy.prod_web_app, protector_member.web_tier]
}

output "failover_blockers" {
  value = [
    for b in data.protector_failover_readiness.prod_web_app.blockers :
    "${b.check} [${b.site}]: ${b.message} Fix: ${b.fix}"
  ]
}
