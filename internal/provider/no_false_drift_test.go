package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
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

// TestAccNoFalseDrift_everyAttributeAnOutput: a configuration that outputs
// every attribute of every resource plans nothing after a clean apply, and
// its refresh changes nothing ("Objects have changed outside of OpenTofu"
// lists attributes a refresh changed, even when the plan has no action):
// after the first apply, after a member is removed and after it is added
// again, and after the repair of a drift on the arrays; for both
// replication types. Through real `tofu plan -detailed-exitcode`, because
// the plan checks of terraform-plugin-testing do not see a refresh's changes.
func TestAccNoFalseDrift_everyAttributeAnOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		replicationType string
		volumeType      string
		servers         func(accFixtures) []accServer
		// breakArrays changes the group's replication on the arrays out of
		// band (a drift the policy repairs), named by the Pure group or pod.
		breakArrays func(t *testing.T, w *accWorld, pureName string)
	}{
		{"async", simulator.TypeReplicatedSSD,
			func(f accFixtures) []accServer { return []accServer{f.WebServer1, f.WebServer2, f.DBServer1} },
			func(t *testing.T, w *accWorld, pureName string) {
				disabled := false
				if _, err := arrayClient(t, w, simulator.ArrayA, simulator.ArrayAToken).UpdateProtectionGroup(context.Background(), pureName,
					flasharray.ProtectionGroupPatch{ReplicationSchedule: &flasharray.ReplicationSchedule{Enabled: &disabled}}); err != nil {
					t.Fatalf("disable replication of %s on flasharray-a: %v", pureName, err)
				}
			}},
		{"sync", simulator.TypeReplicatedSync,
			func(f accFixtures) []accServer { return []accServer{f.Sync} },
			func(t *testing.T, w *accWorld, pureName string) {
				if err := arrayClient(t, w, simulator.ArrayA, simulator.ArrayAToken).UnstretchPod(context.Background(), pureName, simulator.ArrayB); err != nil {
					t.Fatalf("unstretch pod %s from flasharray-b: %v", pureName, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.replicationType, func(t *testing.T) {
			t.Parallel()
			w := newPortableWorld(t)
			ws := newWorkspaces(t, tt.replicationType)[0]
			servers := tt.servers(w.fx)
			writeOnly := currentEngine(t).writeOnlyArguments()
			config := func(members []accServer) string {
				// The tokens write-only where the engine has write-only
				// arguments, and in the provider's flasharrays for the runs
				// after the policy's creation (and alone on older engines).
				policy := policyHCL(w, false, 0, 0)
				if writeOnly {
					policy = strings.TrimSuffix(policy, "}\n") + fmt.Sprintf(
						"  primary_fa_token_wo            = %q\n  primary_fa_token_wo_version    = 1\n"+
							"  secondary_fa_token_wo          = %q\n  secondary_fa_token_wo_version  = 1\n}\n",
						simulator.ArrayAToken, simulator.ArrayBToken)
				}
				c := requiredProviders + w.provider(providerOptions{arrayTokens: true}) + sitesHCL +
					groupHCL("every attribute an output", tt.replicationType, tt.volumeType) + policy
				addresses := []string{"protector_site.a", "protector_site.b", groupAddr, policyAddr}
				for i, s := range members {
					name := fmt.Sprintf("m%d", i)
					c += memberHCL(name, s.ID)
					addresses = append(addresses, "protector_member."+name)
				}
				// Whole objects: every attribute, computed ones included.
				for _, a := range addresses {
					c += fmt.Sprintf("\noutput %q {\n  value     = %s\n  sensitive = true\n}\n", strings.ReplaceAll(a, ".", "_"), a)
				}
				return c
			}
			// expectClean: the plan is empty, the refresh changed nothing,
			// and the state holds no write-only token.
			expectClean := func(after string) {
				t.Helper()
				r := ws.run("plan", "-detailed-exitcode", "-no-color")
				if r.code != 0 || strings.Contains(r.out, "changed outside of") { // OpenTofu or Terraform
					t.Errorf("after %s, the plan (exit %d) is not empty or its refresh changed something:\n%s", after, r.code, r.out)
				}
				show := ws.run("show", "-json", "-no-color")
				var state struct {
					Values struct {
						RootModule struct {
							Resources []struct {
								Address string         `json:"address"`
								Values  map[string]any `json:"values"`
							} `json:"resources"`
						} `json:"root_module"`
					} `json:"values"`
				}
				if err := json.Unmarshal([]byte(show.out), &state); err != nil {
					t.Fatalf("tofu show -json: %v\n%s", err, show.out)
				}
				for _, rs := range state.Values.RootModule.Resources {
					for _, wo := range []string{"primary_fa_token_wo", "secondary_fa_token_wo"} {
						if v, ok := rs.Values[wo]; rs.Address == policyAddr && (!ok || v != nil) {
							t.Errorf("after %s, the state holds %s = %v, want null", after, wo, v)
						}
					}
				}
			}

			ws.write(config(servers))
			ws.mustApply()
			expectClean("the first apply")

			ws.write(config(servers[:len(servers)-1]))
			ws.mustApply()
			expectClean("a member removed")

			ws.write(config(servers))
			ws.mustApply()
			expectClean("a member added")

			out := ws.run("output", "-json", "-no-color", "protector_replication_policy_web")
			var policy struct {
				PurePGName string `json:"pure_pg_name"`
			}
			if err := json.Unmarshal([]byte(out.out), &policy); err != nil || policy.PurePGName == "" {
				t.Fatalf("the policy output names no Pure group (%v):\n%s", err, out.out)
			}
			tt.breakArrays(t, w, policy.PurePGName)
			if r := ws.run("plan", "-detailed-exitcode", "-no-color"); r.code != 2 || !strings.Contains(r.out, policy.PurePGName) {
				t.Fatalf("the drift made on the arrays does not show in the plan (exit %d):\n%s", r.code, r.out)
			}
			ws.mustApply()
			expectClean("a drift repair")

			ws.run("destroy", "-auto-approve", "-no-color")
		})
	}
}

// arrayClient is a FlashArray client of an administrator, on the array's
// own REST API.
func arrayClient(t *testing.T, w *accWorld, name, token string) *flasharray.Client {
	t.Helper()
	c, err := flasharray.New(flasharray.Config{URL: w.arrayURL(name), APIToken: token, CACertPEM: w.Array(name).CACertPEM()})
	if err != nil {
		t.Fatalf("client of %s: %v", name, err)
	}
	return c
}
