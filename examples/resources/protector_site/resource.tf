# Register both sites; each must pass the guide's `site validate` checks.
resource "protector_site" "site_a" {
  name        = "site-a"
  description = "Primary site"
}

resource "protector_site" "site_b" {
  name                   = "site-b"
  description            = "DR site"
  consistency_group_type = "consistency-group"
}
