output "protection_group_id" {
  value = module.app_tier.protection_group_id
}

output "status" {
  value = module.app_tier.status
}

output "members" {
  description = "VM name -> status and number of volumes protected."
  value = {
    for name, m in module.app_tier.members : name => {
      status  = m.status
      volumes = m.volumes
    }
  }
}
