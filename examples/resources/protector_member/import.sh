# A member is imported as <site>/<group id or name>/<member id or instance id>.
terraform import 'protector_member.web_tier["web-server-1"]' site-a/prod-web-app/a1b2c3d4-1111-2222-3333-aabbccddeeff
