# A quarterly DR drill of the group: its VMs brought up on the secondary
# site from the newest replicated snapshot, isolated (no network), with the
# recovery time of each measured; destroying it removes all it made.
# Needs an admin credential for the secondary site (sites.site-b.admin).
resource "protector_dr_drill" "prod_web_app" {
  protection_group_id = protector_protection_group.prod_web_app.id
  triggers            = { quarter = "2026-Q4" } # a new value runs a new drill

  depends_on = [protector_member.web_tier, protector_replication_policy.prod_web_app]
}

output "drill_recovery_time_seconds" {
  value = protector_dr_drill.prod_web_app.recovery_time_seconds
}
