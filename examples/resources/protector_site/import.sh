# A site is imported by its name.
terraform import protector_site.site_a site-a
