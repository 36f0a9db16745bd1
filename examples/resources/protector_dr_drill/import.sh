# A drill is imported as <site>/<group id or name>/<drill id>.
terraform import protector_dr_drill.prod_web_app site-a/prod-web-app/drill-7f3c2a10-5b7e-4c1d-9a2f-0e4b8c6d1f23
