package provider

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestAccSite_basic registers site-a (the guide's `site validate` passes:
// catalog, group type), updates its description in place and imports it.
func TestAccSite_basic(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
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
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("auth_url"), knownvalue.StringExact(w.view(simulator.SiteA).AuthURL())),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("region"), knownvalue.StringExact(w.region(simulator.SiteA))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("admin_checks"), knownvalue.Bool(realAdminRun())),
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
	w := newPortableWorld(t)
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

// TestAccSite_inlineAuth reaches site-a with an inline password and site-b
// with an inline application credential; with auth_url given, no clouds.yaml
// entry is consulted. It makes a group across them.
func TestAccSite_inlineAuth(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := fmt.Sprintf(`
provider "protector" {
  sites = {
    "site-a" = {
      auth_url            = %q
      region              = %q
      username            = %q
      password            = %q
      project_name        = %q
      user_domain_name    = "Default"
      project_domain_name = "Default"
    }
    "site-b" = {
      auth_url                      = %q
      region                        = %q
      application_credential_id     = %q
      application_credential_secret = %q
    }
  }
}

resource "protector_site" "a" {
  name = "site-a"
}

resource "protector_site" "b" {
  name = "site-b"
}

resource "protector_protection_group" "web" {
  name             = "prod-web-app"
  primary_site     = protector_site.a.name
  secondary_site   = protector_site.b.name
  replication_type = "async"
  volume_type      = "replicated-ssd"
}
`, w.Site(simulator.SiteA).AuthURL(), simulator.Region, simulator.DemoUser, simulator.DemoPassword, simulator.Project,
		w.Site(simulator.SiteB).AuthURL(), simulator.Region, simulator.AppCredSiteBID, simulator.AppCredSiteBSecret)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("protector_site.b", tfjsonpath.New("auth_url"), knownvalue.StringExact(w.Site(simulator.SiteB).AuthURL())),
				statecheck.ExpectKnownValue("protector_protection_group.web", tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue("protector_protection_group.web", tfjsonpath.New("sync_status"), knownvalue.StringExact("SYNCED")),
			},
			Check: func(*terraform.State) error {
				if n := len(w.Site(simulator.SiteB).Groups()); n != 1 {
					return fmt.Errorf("site-b, reached with an application credential, holds %d consistency groups, want 1", n)
				}
				return nil
			},
		}},
	})
}
