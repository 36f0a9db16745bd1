# openstack protector protection-group policy-create prod-web-app ...
resource "protector_replication_policy" "prod_web_app" {
  protection_group_id = protector_protection_group.prod_web_app.id

  primary_fa_url   = "https://flasharray-a.example.com"
  secondary_fa_url = "https://flasharray-b.example.com"

  # No pure_pg_name: the policy binds the protection group the Pure Cinder
  # driver made for the group's consistency group (consisgroup-<id>-cinder).
  # A name of your own (the guide's --pure-pg-name) must exist on the
  # primary array and hold only the consistency group's volumes.

  # Write-only tokens (OpenTofu or Terraform 1.11 and later): sent when the
  # policy is created and when the version changes, never stored. Refresh and
  # later changes take the tokens from the provider's flasharrays. On older
  # engines set primary_fa_token / secondary_fa_token instead (sensitive, but
  # kept in the state), or give the tokens in flasharrays only.
  primary_fa_token_wo           = var.flasharray_a_token
  primary_fa_token_wo_version   = 1
  secondary_fa_token_wo         = var.flasharray_b_token
  secondary_fa_token_wo_version = 1

  # Snapshots replicated every 5 minutes, validated against a 15 minute RPO.
  replication_interval = 300
  rpo_minutes          = 15
}
