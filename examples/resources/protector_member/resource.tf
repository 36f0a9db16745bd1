# openstack protector protection-group member-add prod-web-app --instance-id ...
# Every attached volume of each VM (boot volume included) joins the group's
# consistency group: 2, 2 and 3 volumes here.
locals {
  web_tier = {
    "web-server-1" = "a1b2c3d4-1111-2222-3333-aabbccddeeff"
    "web-server-2" = "b2c3d4e5-1111-2222-3333-bbccddeeffaa"
    "db-server-1"  = "c3d4e5f6-1111-2222-3333-ccddeeffaabb"
  }
}

resource "protector_member" "web_tier" {
  for_each = local.web_tier

  protection_group_id = protector_protection_group.prod_web_app.id
  instance_id         = each.value
}
