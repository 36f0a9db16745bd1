# openstack protector protection-group member-list prod-web-app
data "protector_members" "prod_web_app" {
  protection_group_id = protector_protection_group.prod_web_app.id
}

output "members" {
  value = {
    for m in data.protector_members.prod_web_app.members :
    m.instance_name => "${m.status}, ${m.volumes} volumes"
  }
}

check "all_members_protected" {
  assert {
    condition     = alltrue([for m in data.protector_members.prod_web_app.members : m.status == "protected"])
    error_message = "Every member must be protected before a failover or DR drill."
  }
}
