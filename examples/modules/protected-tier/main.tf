# One application tier under DR protection: the protection group (the
# guide's Example 1), its FlashArray replication policy and one member per
# VM (Example 2). Members are keyed by instance id, so editing the list adds
# or removes exactly the VMs that changed.

locals {
  is_async = var.replication_type == "async"
}

resource "protector_protection_group" "this" {
  name             = var.tier_name
  description      = var.description
  primary_site     = var.primary_site
  secondary_site   = var.secondary_site
  replication_type = var.replication_type
  volume_type      = var.volume_type
}

resource "protector_replication_policy" "this" {
  protection_group_id = protector_protection_group.this.id
  primary_fa_url      = var.primary_fa_url
  primary_fa_token    = var.primary_fa_token
  secondary_fa_url    = var.secondary_fa_url
  secondary_fa_token  = var.secondary_fa_token
  # Unset, the Pure Cinder driver's: its protection group of the consistency
  # group (async) or its pod (sync). The provider never creates one.
  pure_pg_name = var.pure_pg_name

  # The schedule and RPO belong to async groups; a pod replicates every write.
  replication_interval = local.is_async ? var.replication_interval : null
  rpo_minutes          = local.is_async ? var.rpo_minutes : null
}

resource "protector_member" "this" {
  # Keyed by instance id (instance_ids) or by the name given (members).
  for_each = merge({ for id in var.instance_ids : id => id }, var.members)

  protection_group_id = protector_protection_group.this.id
  instance_id         = each.value

  # The guide attaches the policy before adding VMs, so that their volumes
  # join the Pure group as they join the consistency group.
  depends_on = [protector_replication_policy.this]
}

# The guide's sync-status. The group's metadata version moves with every
# change of the policy and the members, so it is read here, after them, on
# every plan (an apply that changes them reads it again at its end).
data "protector_sync_status" "this" {
  protection_group_id = protector_protection_group.this.id

  depends_on = [protector_replication_policy.this, protector_member.this]
}
