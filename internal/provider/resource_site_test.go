package provider

import (
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestAccSite_basic registers site-a (the guide's `site validate` passes:
// catalog, group type), updates its description in place and imports it.
func TestAccSite_basic(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := func(description string) string {
		return w.provider(providerOptions{}) + `
resource "protector_site" "a" {
  name        = "site-a"
  description = "` + description + `"
}
`
	}
	const addr = "protector_site.a"
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config("Primary site"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("site-a")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("consistency_group_type"), knownvalue.StringExact(simulator.GroupTypeConsistency)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("auth_url"), knownvalue.StringExact(w.Site(simulator.SiteA).AuthURL())),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("region"), knownvalue.StringExact(simulator.Region)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("admin_checks"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("registered_at"), nonEmpty),
				},
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckTypeSetElemAttr(addr, "services.*", "compute"),
					tfresource.TestCheckTypeSetElemAttr(addr, "services.*", "object-store"),
				),
			},
			{
				Config: config("Primary site, Frankfurt"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("description"), knownvalue.StringExact("Primary site, Frankfurt")),
				},
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     "site-a",
				ImportStateVerify: true,
			},
			{
				ResourceName:    addr,
				ImportState:     true,
				ImportStateKind: tfresource.ImportBlockWithID,
				ImportStateId:   "site-a",
			},
		},
	})
}

// TestAccSite_groupTypeMissing: a site whose group type does not exist
// fails validation with a message saying who must create it.
func TestAccSite_groupTypeMissing(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: w.provider(providerOptions{}) + `
resource "protector_site" "a" {
  name                   = "site-a"
  consistency_group_type = "no-such-group-type"
}
`,
			ExpectError: wrapped(`group type "no-such-group-type" does not exist on site site-a: an admin must create it`),
		}},
	})
}
