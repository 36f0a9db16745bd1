package provider

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestAccArrayTLS: the arrays serve HTTPS with their own CA. Certificates
// are verified against the system roots by default, so without the CA the
// policy fails with a certificate error (at apply here: its group is created
// in the same run); with flasharray_ca_file it works, and so with the
// explicit insecure switch.
func TestAccArrayTLS(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	provider := func(tls string) string {
		return fmt.Sprintf(`
provider "protector" {
  clouds_yaml = %q
  sites = {
    "site-a" = {}
    "site-b" = {}
  }
  %s
  flasharrays = {
    a = { url = %q, api_token = %q }
    b = { url = %q, api_token = %q }
  }
}
`, w.cloudsYAML, tls, w.arrayURL(simulator.ArrayA), simulator.ArrayAToken, w.arrayURL(simulator.ArrayB), simulator.ArrayBToken)
	}
	rest := sitesHCL + groupHCL("web", "async", "replicated-ssd") + policyHCL(w, false, 300, 15)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      provider("") + rest,
				ExpectError: wrapped(`FlashArray https://127\.0\.0\.1:\d+[\s\S]*x509: certificate signed by unknown authority`),
			},
			{
				Config: provider(fmt.Sprintf("flasharray_ca_file = %q", w.caFile)) + rest,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("target_allowed"), knownvalue.Bool(true)),
				},
			},
			{
				Config: provider("flasharray_insecure = true") + rest,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("target_allowed"), knownvalue.Bool(true)),
				},
			},
		},
	})
}
