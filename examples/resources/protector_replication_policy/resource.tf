# openstack protector protection-group policy-create prod-web-app ...
resource "protector_replication_policy" "prod_web_app" {
  protection_group_id = protector_protection_group.prod_web_app.id

  primary_fa_url     = "https://flasharray-a.example.com"
  primary_fa_token   = var.flasharray_a_token
  secondary_fa_url   = "https://flasharray-b.example.com"
  secondary_fa_token = var.flasharray_b_token

  # Snapshots replicated every 5 minutes, validated against a 15 minute RPO.
  replication_interval = 300
  rpo_minutes          = 15
}
