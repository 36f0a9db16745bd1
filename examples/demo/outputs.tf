# openstack protector protection-group show / member-list prod-web-app

output "protection_group_id" {
  value = protector_protection_group.prod_web_app.id
}

output "status" {
  value = protector_protection_group.prod_web_app.status
}

output "primary_consistency_group_id" {
  description = "Cinder consistency group on site-a."
  value       = protector_protection_group.prod_web_app.primary_consistency_group_id
}

output "secondary_consistency_group_id" {
  description = "Cinder consistency group on site-b."
  value       = protector_protection_group.prod_web_app.secondary_consistency_group_id
}

output "metadata_version" {
  description = "Version of the group's metadata; every change bumps it and syncs it to the peer site."
  value       = protector_protection_group.prod_web_app.metadata_version
}

output "members" {
  description = "Member list: instance name -> status and number of volumes protected."
  value = {
    for m in protector_member.web_tier : m.instance_name => {
      status  = m.status
      volumes = length(m.volume_ids)
    }
  }
}
