# openstack protector protection-group show / member-list prod-web-app

output "protection_group_id" {
  value = module.prod_web_app.protection_group_id
}

output "status" {
  value = module.prod_web_app.status
}

output "primary_consistency_group_id" {
  description = "Cinder consistency group on site-a."
  value       = module.prod_web_app.primary_consistency_group_id
}

output "secondary_consistency_group_id" {
  description = "Cinder consistency group on site-b."
  value       = module.prod_web_app.secondary_consistency_group_id
}

output "metadata_version" {
  description = "Version of the group's metadata after this apply's policy and member changes (protector_sync_status); every change bumps it and syncs it to the peer site."
  value       = module.prod_web_app.metadata_version
}

output "members" {
  description = "Member list: instance name -> status and number of volumes protected."
  value = {
    for m in module.prod_web_app.members : m.name => {
      status  = m.status
      volumes = m.volumes
    }
  }
}

output "failover_readiness" {
  description = "Could the group fail over to site-b now: blockers make ready false; warnings name what could not be checked."
  value = {
    target   = data.protector_failover_readiness.prod_web_app.target_site
    ready    = data.protector_failover_readiness.prod_web_app.ready
    blockers = [for b in data.protector_failover_readiness.prod_web_app.blockers : "${b.check} (${b.site}): ${b.message}"]
    warnings = [for w in data.protector_failover_readiness.prod_web_app.warnings : "${w.check} (${w.site}): ${w.message}"]
  }
}

output "dr_drill" {
  description = "The drill on site-b: each VM's outcome and recovery time (seconds from the drill's start until ACTIVE), and the longest."
  value = {
    snapshot              = protector_dr_drill.prod_web_app.snapshot
    recovery_time_seconds = protector_dr_drill.prod_web_app.recovery_time_seconds
    members = {
      for m in protector_dr_drill.prod_web_app.members : m.instance_name => "${m.outcome} in ${m.recovery_time_seconds} s (server ${m.server_id})"
    }
  }
}
