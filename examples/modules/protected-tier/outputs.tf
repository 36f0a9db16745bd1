output "protection_group_id" {
  description = "Id of the protection group."
  value       = protector_protection_group.this.id
}

output "status" {
  description = "Status of the protection group (active once created)."
  value       = protector_protection_group.this.status
}

output "metadata_version" {
  description = "Version of the group's metadata on the primary site after the policy and members of this run; every change bumps it and syncs it to the peer site."
  value       = data.protector_sync_status.this.local_version
}

output "in_sync" {
  description = "Whether both sites hold that metadata version, intact (the guide's sync-status)."
  value       = data.protector_sync_status.this.in_sync
}

output "primary_consistency_group_id" {
  description = "Cinder consistency group of the tier on the primary site."
  value       = protector_protection_group.this.primary_consistency_group_id
}

output "secondary_consistency_group_id" {
  description = "Cinder consistency group of the tier on the secondary site."
  value       = protector_protection_group.this.secondary_consistency_group_id
}

output "pure_pg_name" {
  description = "Pure protection group (async) or pod (sync) the tier replicates through."
  value       = protector_replication_policy.this.pure_pg_name
}

output "member_ids" {
  description = "Member id of each VM, by instance id."
  value       = { for id, m in protector_member.this : id => m.id }
}

output "members" {
  description = "The guide's member-list, by instance id (or name, for members): instance name, status and number of volumes protected."
  value = {
    for id, m in protector_member.this : id => {
      name    = m.instance_name
      status  = m.status
      volumes = length(m.volume_ids)
    }
  }
}
