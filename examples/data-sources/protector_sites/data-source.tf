# openstack protector site list, with site validate for each
data "protector_sites" "all" {}

output "sites" {
  value = {
    for s in data.protector_sites.all.sites :
    s.name => { status = s.status, admin_checks = s.admin_checks, messages = s.messages }
  }
}
