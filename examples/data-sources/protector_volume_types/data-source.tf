# openstack volume type list, with the eligibility check of protection-group create
data "protector_volume_types" "site_a" {
  site = "site-a"
}

output "eligible_volume_types" {
  value = [for t in data.protector_volume_types.site_a.volume_types : "${t.name} (${t.replication_type})" if t.eligible]
}

output "not_eligible_volume_types" {
  value = { for t in data.protector_volume_types.site_a.volume_types : t.name => t.reason if !t.eligible }
}
