package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// expectOnlyActions checks that a plan changes nothing but the given
// resources, each with the given action (no other create, update, replace
// or destroy anywhere in the plan).
type expectOnlyActions map[string]plancheck.ResourceActionType

func (want expectOnlyActions) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	got := map[string]plancheck.ResourceActionType{}
	for _, rc := range req.Plan.ResourceChanges {
		a := rc.Change.Actions
		switch {
		case a.NoOp() || a.Read():
			continue
		case a.Create():
			got[rc.Address] = plancheck.ResourceActionCreate
		case a.Delete():
			got[rc.Address] = plancheck.ResourceActionDestroy
		case a.Update():
			got[rc.Address] = plancheck.ResourceActionUpdate
		default: // a replacement, in either order
			got[rc.Address] = plancheck.ResourceActionReplace
		}
	}
	if len(got) != len(want) {
		resp.Error = fmt.Errorf("the plan changes %v, want only %v", got, map[string]plancheck.ResourceActionType(want))
		return
	}
	for addr, action := range want {
		if got[addr] != action {
			resp.Error = fmt.Errorf("the plan changes %v, want only %v", got, map[string]plancheck.ResourceActionType(want))
			return
		}
	}
}

// protectedTierConfig writes a root configuration that registers both sites
// and calls examples/modules/protected-tier for the guide's prod-web-app tier
// with the given VMs (without the module call when instanceIDs is nil), and
// returns its directory. The module is named by its absolute path, which
// OpenTofu and Terraform copy into .terraform/modules at init.
func protectedTierConfig(t *testing.T, w *accWorld, instanceIDs []string) config.TestStepConfigFunc {
	t.Helper()
	module, err := filepath.Abs(filepath.Join("..", "..", "examples", "modules", "protected-tier"))
	if err != nil {
		t.Fatal(err)
	}
	quoted := make([]string, len(instanceIDs))
	for i, id := range instanceIDs {
		quoted[i] = fmt.Sprintf("%q", id)
	}
	hcl := `
terraform {
  required_providers {
    protector = {
      source = "protector-dr/protector"
    }
  }
}
` + w.provider(providerOptions{arrayTokens: true}) + sitesHCL
	if instanceIDs != nil {
		hcl += fmt.Sprintf(`
module "tier" {
  source = %q

  tier_name        = "prod-web-app"
  description      = "Production web tier - async replication"
  primary_site     = protector_site.a.name
  secondary_site   = protector_site.b.name
  volume_type      = %q
  instance_ids     = [%s]
  primary_fa_url   = %q
  secondary_fa_url = %q
}

output "primary_consistency_group_id" {
  value = module.tier.primary_consistency_group_id
}

output "secondary_consistency_group_id" {
  value = module.tier.secondary_consistency_group_id
}

output "pure_pg_name" {
  value = module.tier.pure_pg_name
}

output "member_ids" {
  value = module.tier.member_ids
}

output "protection_group_id" {
  value = module.tier.protection_group_id
}

output "metadata_version" {
  value = module.tier.metadata_version
}
`, module, simulator.TypeReplicatedSSD, strings.Join(quoted, ", "), w.arrayURL(simulator.ArrayA), w.arrayURL(simulator.ArrayB))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return config.StaticDirectory(dir)
}

// tierVolumes checks, after an apply, that the tier's consistency group on
// site-a and its Pure protection group on flasharray-a hold exactly the
// volumes of the given VMs, that the module reports one member per VM, and
// that its metadata_version is the newest version on site-a already (no
// refresh needed).
// A state check, not a Check: terraform-plugin-testing's legacy state
// cannot hold modules.
type tierVolumes struct {
	w       *accWorld
	servers []string
}

func (c tierVolumes) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c.check(req)
}

func (c tierVolumes) check(req statecheck.CheckStateRequest) error {
	if req.State == nil || req.State.Values == nil {
		return fmt.Errorf("no state")
	}
	output := func(name string) any {
		if o, ok := req.State.Values.Outputs[name]; ok {
			return o.Value
		}
		return nil
	}
	cg, _ := output("primary_consistency_group_id").(string)
	pgName, _ := output("pure_pg_name").(string)
	members, _ := output("member_ids").(map[string]any)
	var want, wantArray, gotMembers []string
	for _, sv := range c.servers {
		for _, id := range simulator.ServerVolumeIDs(sv) {
			want = append(want, id)
			wantArray = append(wantArray, simulator.ArrayVolumeName(id, false))
		}
	}
	for id := range members {
		gotMembers = append(gotMembers, id)
	}
	if !sameElements(gotMembers, c.servers) {
		return fmt.Errorf("module member_ids has instances %v, want %v", gotMembers, c.servers)
	}
	g, ok := c.w.Site(simulator.SiteA).Group(cg)
	if !ok {
		return fmt.Errorf("consistency group %q is not on site-a", cg)
	}
	if !sameElements(g.VolumeIDs, want) {
		return fmt.Errorf("consistency group %s holds volumes %v, want %v", cg, g.VolumeIDs, want)
	}
	pg, ok := c.w.Array(simulator.ArrayA).ProtectionGroup(pgName)
	if !ok {
		return fmt.Errorf("flasharray-a has no protection group %q", pgName)
	}
	if !sameElements(pg.Volumes, wantArray) {
		return fmt.Errorf("protection group %s holds %v, want %v", pgName, pg.Volumes, wantArray)
	}
	groupID, _ := output("protection_group_id").(string)
	versions := metadataVersions(c.w.Site(simulator.SiteA), groupID)
	if got := fmt.Sprint(output("metadata_version")); len(versions) == 0 || got != versions[len(versions)-1] {
		return fmt.Errorf("module metadata_version is %s after the apply, site-a holds versions %v", got, versions)
	}
	return nil
}

// TestAccModule_protectedTier drives examples/modules/protected-tier
// through the engine: two VMs, then a third added to instance_ids (the plan
// creates exactly that member), then one of the first two removed (the plan
// destroys exactly that member); the consistency group and the Pure
// protection group follow, and the plan after each apply is empty. The last
// step drops the module call, which destroys the tier on both sites (and
// leaves a state without modules, which terraform-plugin-testing's final
// destroy needs).
//
// Not parallel: the module requires protector-dr/protector, so the test
// serves the provider under that address (TF_ACC_PROVIDER_NAMESPACE), an
// environment setting the parallel tests must not see. Go runs it before
// they resume.
func TestAccModule_protectedTier(t *testing.T) {
	w := newAccWorld(t)
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "protector-dr")
	const (
		group  = "module.tier.protector_protection_group.this"
		policy = "module.tier.protector_replication_policy.this"
	)
	member := func(id string) string { return fmt.Sprintf("module.tier.protector_member.this[%q]", id) }
	web1, web2, db1 := simulator.WebServer1ID, simulator.WebServer2ID, simulator.DBServer1ID
	var cgA, cgB string
	// Each step is a configuration directory with its providers:
	// terraform-plugin-testing then runs init on it, which installs the
	// module (a Config string is initialised on its provider blocks alone).
	step := func(ids []string, changes expectOnlyActions, checks ...statecheck.StateCheck) tfresource.TestStep {
		return tfresource.TestStep{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          protectedTierConfig(t, w, ids),
			ConfigPlanChecks: tfresource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{changes},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: checks,
		}
	}
	steps := []tfresource.TestStep{
		step([]string{web1, web2},
			expectOnlyActions{
				"protector_site.a": plancheck.ResourceActionCreate, "protector_site.b": plancheck.ResourceActionCreate,
				group: plancheck.ResourceActionCreate, policy: plancheck.ResourceActionCreate,
				member(web1): plancheck.ResourceActionCreate, member(web2): plancheck.ResourceActionCreate,
			},
			tierVolumes{w, []string{web1, web2}}),
		step([]string{web1, web2, db1},
			expectOnlyActions{member(db1): plancheck.ResourceActionCreate},
			tierVolumes{w, []string{web1, web2, db1}}),
		step([]string{web1, db1},
			expectOnlyActions{member(web2): plancheck.ResourceActionDestroy},
			tierVolumes{w, []string{web1, db1}}),
		step(nil,
			expectOnlyActions{
				group: plancheck.ResourceActionDestroy, policy: plancheck.ResourceActionDestroy,
				member(web1): plancheck.ResourceActionDestroy, member(db1): plancheck.ResourceActionDestroy,
			}),
	}
	// The consistency groups of the tier, captured after the first apply,
	// are gone from both sites after the last.
	steps[0].ConfigStateChecks = append(steps[0].ConfigStateChecks,
		statecheck.ExpectKnownOutputValue("primary_consistency_group_id", knownvalue.StringFunc(func(v string) error { cgA = v; return nil })),
		statecheck.ExpectKnownOutputValue("secondary_consistency_group_id", knownvalue.StringFunc(func(v string) error { cgB = v; return nil })))
	steps[3].ConfigStateChecks = []statecheck.StateCheck{stateCheckFunc(func() error {
		if _, ok := w.Site(simulator.SiteA).Group(cgA); ok || cgA == "" {
			return fmt.Errorf("consistency group %q still on site-a after the module call was removed", cgA)
		}
		if _, ok := w.Site(simulator.SiteB).Group(cgB); ok || cgB == "" {
			return fmt.Errorf("consistency group %q still on site-b after the module call was removed", cgB)
		}
		return nil
	})}
	tfresource.Test(t, tfresource.TestCase{Steps: steps})
}

// sameElements reports whether a and b hold the same strings, in any order.
func sameElements(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// stateCheckFunc is a state check that looks at the simulated world only.
type stateCheckFunc func() error

func (f stateCheckFunc) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f()
}
