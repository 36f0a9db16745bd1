package provider

import (
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestAccNoFalseDrift: a configuration applied and left alone plans
// nothing, after a refresh too, for both replication types; and every
// resource imported (by name on the primary site, and from the secondary
// site) plans a no-op import with nothing else to do.
func TestAccNoFalseDrift(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		replicationType string
		volumeType      string
		member          string // resource name of the member
		server          func(accFixtures) accServer
	}{
		{"async", "async", simulator.TypeReplicatedSSD, "web1", func(f accFixtures) accServer { return f.WebServer1 }},
		{"sync", "sync", simulator.TypeReplicatedSync, "sync", func(f accFixtures) accServer { return f.Sync }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newPortableWorld(t)
			instanceID := tt.server(w.fx).ID
			config := w.provider(providerOptions{arrayTokens: true}) + sitesHCL +
				groupHCL("no false drift", tt.replicationType, tt.volumeType) +
				policyHCL(w, false, 0, 0) + memberHCL(tt.member, instanceID)
			memberAddr := "protector_member." + tt.member
			var groupID string

			empty := tfresource.ConfigPlanChecks{
				PostApplyPreRefresh:  []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			}
			// importStep plans an import block for one resource: the
			// framework fails unless its action is a no-op, and the plan
			// as a whole must be empty too.
			importStep := func(address string, id func() string) tfresource.TestStep {
				return tfresource.TestStep{
					Config:            config,
					ResourceName:      address,
					ImportState:       true,
					ImportStateKind:   tfresource.ImportBlockWithID,
					ImportStateIdFunc: func(*terraform.State) (string, error) { return id(), nil },
					ImportPlanChecks: tfresource.ImportPlanChecks{
						PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					},
				}
			}
			constant := func(s string) func() string { return func() string { return s } }

			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []tfresource.TestStep{
					{
						Config:           config,
						Check:            capture(groupAddr, "id", &groupID),
						ConfigPlanChecks: empty,
					},
					{RefreshState: true},
					{Config: config, PlanOnly: true, ConfigPlanChecks: empty},
					importStep("protector_site.a", constant(simulator.SiteA)),
					importStep("protector_site.b", constant(simulator.SiteB)),
					importStep(groupAddr, constant("site-a/prod-web-app")),
					importStep(policyAddr, constant("site-a/prod-web-app")),
					importStep(memberAddr, constant("site-a/prod-web-app/"+instanceID)),
					// The same resources read from the secondary site's copy
					// of the metadata, by id.
					importStep(groupAddr, func() string { return "site-b/" + groupID }),
					importStep(policyAddr, func() string { return "site-b/" + groupID }),
					importStep(memberAddr, func() string { return "site-b/" + groupID + "/" + instanceID }),
				},
			})
		})
	}
}
