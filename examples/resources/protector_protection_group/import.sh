# A protection group is imported as <site>/<group id or name>, the site being
# one that holds the group's metadata (its primary or secondary site).
terraform import protector_protection_group.prod_web_app site-a/prod-web-app
