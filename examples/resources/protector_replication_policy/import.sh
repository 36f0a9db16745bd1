# A policy is imported as <site>/<group id or name>. Tokens cannot be read
# back: configure them in the provider's flasharrays, by URL.
terraform import protector_replication_policy.prod_web_app site-a/prod-web-app
