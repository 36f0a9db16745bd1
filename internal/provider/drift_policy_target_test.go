package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
)

// TestAccDrift_policyTargetAndSchedule: the replication of the Pure
// protection group stopped on the arrays out of band, through their REST
// API as an administrator would, shows as policy drift with what changed,
// and an apply repairs it:
//   - flasharray-b no longer allows the group (a PATCH on the TARGET array
//     against flasharray-a:<group>);
//   - replication of the group disabled on flasharray-a.
func TestAccDrift_policyTargetAndSchedule(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("web", "async", simulator.TypeReplicatedSSD) +
		policyHCL(w, false, 300, 15) + memberHCL("web1", simulator.WebServer1ID)
	arrayA := w.Array(simulator.ArrayA)
	var primaryCG string
	pgName := func() string { return simulator.ConsistencyGroupPGName(primaryCG) }

	client := func(name, token string) *flasharray.Client {
		c, err := flasharray.New(flasharray.Config{URL: w.arrayURL(name), APIToken: token, CACertPEM: w.Array(name).CACertPEM()})
		if err != nil {
			t.Fatalf("client of %s: %v", name, err)
		}
		return c
	}
	clientA := client(simulator.ArrayA, simulator.ArrayAToken)
	clientB := client(simulator.ArrayB, simulator.ArrayBToken)

	// pg reads the group on the simulated flasharray-a, bypassing the API.
	pg := func() (flasharraysim.ProtectionGroupInfo, error) {
		info, ok := arrayA.ProtectionGroup(pgName())
		if !ok || info.Destroyed {
			return info, fmt.Errorf("flasharray-a: protection group %s exists %v, destroyed %v", pgName(), ok, info.Destroyed)
		}
		return info, nil
	}
	targetAllowed := func(*terraform.State) error {
		info, err := pg()
		if err != nil {
			return err
		}
		if !slices.Contains(info.Targets, flasharraysim.TargetInfo{Name: simulator.ArrayB, Allowed: true}) {
			return fmt.Errorf("after the repair %s has targets %+v, want flasharray-b allowed", pgName(), info.Targets)
		}
		return nil
	}
	replicationEnabled := func(*terraform.State) error {
		info, err := pg()
		if err != nil {
			return err
		}
		if !info.ReplicationEnabled {
			return fmt.Errorf("after the repair replication of %s is still disabled", pgName())
		}
		return nil
	}

	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					targetAllowed, replicationEnabled,
				),
			},
			{
				// flasharray-b disallows the group, on its own REST API.
				PreConfig: func() {
					if err := clientB.AllowProtectionGroupTarget(context.Background(), simulator.ArrayA+":"+pgName(), simulator.ArrayB, false); err != nil {
						t.Fatalf("disallow %s:%s on flasharray-b: %v", simulator.ArrayA, pgName(), err)
					}
					if err := targetAllowed(nil); err == nil {
						t.Fatalf("the PATCH on flasharray-b left %s allowed: the test would prove nothing", pgName())
					}
				},
				Config: config,
				ConfigPlanChecks: driftPlan(policyAddr, func() string {
					return simulator.ArrayB + " is not an allowed target of " + pgName()
				}),
				Check: tfresource.ComposeTestCheckFunc(
					targetAllowed,
					tfresource.TestCheckResourceAttr(policyAddr, "target_allowed", "true"),
					tfresource.TestCheckResourceAttr(policyAddr, "drift.#", "0"),
				),
			},
			{
				// Replication of the group disabled on flasharray-a.
				PreConfig: func() {
					disabled := false
					if _, err := clientA.UpdateProtectionGroup(context.Background(), pgName(), flasharray.ProtectionGroupPatch{
						ReplicationSchedule: &flasharray.ReplicationSchedule{Enabled: &disabled},
					}); err != nil {
						t.Fatalf("disable replication of %s on flasharray-a: %v", pgName(), err)
					}
					if err := replicationEnabled(nil); err == nil {
						t.Fatalf("the PATCH on flasharray-a left replication of %s enabled: the test would prove nothing", pgName())
					}
				},
				Config: config,
				ConfigPlanChecks: driftPlan(policyAddr, func() string {
					return "replication of " + pgName() + " is disabled on " + simulator.ArrayA
				}),
				Check: tfresource.ComposeTestCheckFunc(
					replicationEnabled, targetAllowed,
					tfresource.TestCheckResourceAttr(policyAddr, "replication_enabled", "true"),
					tfresource.TestCheckResourceAttr(policyAddr, "drift.#", "0"),
				),
			},
			{
				// Both at once: the plan names both, one apply repairs both.
				PreConfig: func() {
					ctx := context.Background()
					if err := clientB.AllowProtectionGroupTarget(ctx, simulator.ArrayA+":"+pgName(), simulator.ArrayB, false); err != nil {
						t.Fatal(err)
					}
					disabled := false
					if _, err := clientA.UpdateProtectionGroup(ctx, pgName(), flasharray.ProtectionGroupPatch{
						ReplicationSchedule: &flasharray.ReplicationSchedule{Enabled: &disabled},
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append(
					driftPlan(policyAddr, func() string { return simulator.ArrayB + " is not an allowed target of " + pgName() }).PreApply,
					expectDrift{address: policyAddr, says: func() string { return "replication of " + pgName() + " is disabled on " + simulator.ArrayA }},
				)},
				Check: tfresource.ComposeTestCheckFunc(replicationEnabled, targetAllowed),
			},
		},
	})
}
