package provider

import (
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// sitesForgotten keeps the sites registered but out of this configuration
// (another configuration owns them), so that nothing here reads a site
// before the group's refresh does.
const sitesForgotten = `
removed {
  from = protector_site.a
  lifecycle { destroy = false }
}

removed {
  from = protector_site.b
  lifecycle { destroy = false }
}
`

// sitesImported adopts the registrations again, so that the end of the
// test deregisters them.
const sitesImported = sitesHCL + `
import {
  to = protector_site.a
  id = "site-a"
}

import {
  to = protector_site.b
  id = "site-b"
}
`

// checkGroupGone asserts that nothing of the group is left: no consistency
// group on either site, no metadata on either site, no Pure protection
// group of the consistency group on either array.
func checkGroupGone(w *accWorld, groupID, primaryCG, secondaryCG *string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, c := range []struct{ site, cg string }{{simulator.SiteA, *primaryCG}, {simulator.SiteB, *secondaryCG}} {
			if g, ok := w.view(c.site).Group(c.cg); ok && g.Status != "deleted" {
				return fmt.Errorf("consistency group %s is still on %s (%s)", c.cg, c.site, g.Status)
			}
			if objs := w.view(c.site).Objects("protector", "groups/"+*groupID+"/"); len(objs) > 0 {
				return fmt.Errorf("site %s still holds the group's metadata %v", c.site, objs)
			}
		}
		name := simulator.ConsistencyGroupPGName(*primaryCG)
		for _, at := range [][2]string{{simulator.ArrayA, name}, {simulator.ArrayB, simulator.ArrayA + ":" + name}} {
			if pg, ok := w.Array(at[0]).ProtectionGroup(at[1]); ok && !pg.Destroyed {
				return fmt.Errorf("%s still has protection group %s", at[0], at[1])
			}
		}
		return nil
	}
}

// TestAccNoSitesMap: a provider block without a `sites` map reaches the
// sites through their clouds.yaml entries only (the guide's Step 4), with
// the sites registered by another configuration. After the apply, the
// refresh of a fresh provider finds the group, its policy and its member
// where the state says they live: the plan is empty (the framework plans
// after every step), and destroy removes both consistency groups, the
// metadata and the Pure groups. A policy and a member added to the group
// in a later apply find it through the sites their plan recorded. On d97be01 the refresh searched only the
// sites of the `sites` map, dropped all three from the state, and the plan
// proposed creating them again.
func TestAccNoSitesMap(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	provider := w.provider(providerOptions{noSites: true})
	groupOnly := provider + sitesForgotten + literalGroupHCL("prod-web-app", simulator.SiteA, simulator.SiteB, "async")
	config := groupOnly + policyHCL(w, true, 300, 15) + memberHCL("web1", w.fx.WebServer1.ID)
	var groupID, primaryCG, secondaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: provider + sitesHCL},
			{
				Config: groupOnly,
				Check:  capture(groupAddr, "id", &groupID),
			},
			// The policy and the member join the existing group in an apply
			// of their own: its provider process reads nothing that names
			// the group's sites but the plan.
			{
				Config: config,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
					tfresource.TestCheckResourceAttr(policyAddr, "primary_site", simulator.SiteA),
					tfresource.TestCheckResourceAttr(policyAddr, "secondary_site", simulator.SiteB),
					tfresource.TestCheckResourceAttr("protector_member.web1", "primary_site", simulator.SiteA),
				),
			},
			{
				Config:  config,
				Destroy: true,
				Check:   checkGroupGone(w, &groupID, &primaryCG, &secondaryCG),
			},
			{Config: provider + sitesImported},
		},
	})
}
