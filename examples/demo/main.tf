# The guide's walk-through as one configuration: two sites and the
# "prod-web-app" tier (protection group, FlashArray replication policy and
# the three VMs of Example 2) through examples/modules/protected-tier.
# `make demo` applies it against the two-site simulator
# (internal/simulator/cmd/protector-sim).

terraform {
  required_providers {
    protector = {
      source = "protector-dr/protector"
    }
  }
}

# Each site is reached through the clouds.yaml entry of its name (the guide's
# Step 4), found through OS_CLIENT_CONFIG_FILE. An entry may also carry an
# admin credential (`admin = { cloud = "site-a-admin" }`) for the checks only
# admins can make; without one they are reported as warnings at plan.
provider "protector" {
  sites = {
    "site-a" = {}
    # The DR drill brings the replicated volumes into Cinder on site-b with
    # manage-existing, which Cinder allows admins only.
    "site-b" = { admin = { cloud = "site-b-admin" } }
  }

  # The arrays' certificates are self-signed.
  flasharray_ca_file = var.flasharray_ca_file

  # Member changes of a group with a policy talk to the arrays too, and a
  # later run (destroy, a member added next week) may not touch the policy:
  # the provider finds the tokens here, by URL.
  flasharrays = {
    "flasharray-a" = {
      url       = var.primary_fa_url
      api_token = var.primary_fa_token
    }
    "flasharray-b" = {
      url       = var.secondary_fa_url
      api_token = var.secondary_fa_token
    }
  }
}

resource "protector_site" "site_a" {
  name                   = "site-a"
  description            = "Primary site"
  consistency_group_type = "consistency-group"
}

resource "protector_site" "site_b" {
  name                   = "site-b"
  description            = "DR site"
  consistency_group_type = "consistency-group"
}

locals {
  # Nova instance ids of the web tier on site-a.
  members = {
    "web-server-1" = "a1b2c3d4-1111-2222-3333-aabbccddeeff"
    "web-server-2" = "b2c3d4e5-1111-2222-3333-bbccddeeffaa"
    "db-server-1"  = "c3d4e5f6-1111-2222-3333-ccddeeffaabb"
  }
}

# protection-group create --name prod-web-app ..., policy-create and one
# member-add per VM. The array tokens come from the provider's flasharrays
# (kept out of the state), so the module's token inputs stay unset.
module "prod_web_app" {
  source = "../modules/protected-tier"

  tier_name        = "prod-web-app"
  description      = "Production web application tier"
  primary_site     = protector_site.site_a.name
  secondary_site   = protector_site.site_b.name
  replication_type = "async"
  volume_type      = "replicated-ssd"
  instance_ids     = values(local.members)

  primary_fa_url   = var.primary_fa_url
  secondary_fa_url = var.secondary_fa_url
  # pure_pg_name unset: the policy binds the protection group the Pure
  # Cinder driver made for the consistency group (consisgroup-<id>-cinder),
  # so no second Pure group replicates the same volumes. The guide's
  # --pure-pg-name "must match the name configured on the array".
  replication_interval = 300
  rpo_minutes          = 15
}

# Could prod-web-app fail over to site-b now? Every precondition the guide
# names, read on every plan (see the drift detection in CI guide for a
# scheduled job that fails on blockers).
data "protector_failover_readiness" "prod_web_app" {
  protection_group_id = module.prod_web_app.protection_group_id

  depends_on = [module.prod_web_app]
}

# A DR drill: the tier brought up on site-b from a snapshot replicated for
# it, isolated (no network), each VM's recovery time measured; production
# is not touched, and destroying the drill removes everything it made.
resource "protector_dr_drill" "prod_web_app" {
  protection_group_id = module.prod_web_app.protection_group_id
  replicate_now       = true
  triggers            = { quarter = "2026-Q4" }

  depends_on = [module.prod_web_app]
}
