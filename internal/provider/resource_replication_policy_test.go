package provider

import (
	"fmt"
	"slices"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
)

const policyAddr = "protector_replication_policy.web"

// policyHCL is the guide's `policy-create`; tokens in the resource when
// withTokens, else from the provider's flasharrays. interval/rpo 0: unset.
func policyHCL(w *accWorld, withTokens bool, interval, rpo int) string {
	s := "\nresource \"protector_replication_policy\" \"web\" {\n  protection_group_id = protector_protection_group.web.id\n"
	s += fmt.Sprintf("  primary_fa_url      = %q\n  secondary_fa_url    = %q\n", w.arrayURL(simulator.ArrayA), w.arrayURL(simulator.ArrayB))
	if withTokens {
		s += fmt.Sprintf("  primary_fa_token    = %q\n  secondary_fa_token  = %q\n", simulator.ArrayAToken, simulator.ArrayBToken)
	}
	if interval != 0 {
		s += fmt.Sprintf("  replication_interval = %d\n", interval)
	}
	if rpo != 0 {
		s += fmt.Sprintf("  rpo_minutes          = %d\n", rpo)
	}
	return s + "}\n"
}

// checkArrayGroup asserts on flasharray-a that the Pure protection group of
// the group's primary consistency group replicates every interval to
// flasharray-b, which allows it.
func checkArrayGroup(w *accWorld, primaryCG *string, interval time.Duration) func(*terraform.State) error {
	return func(*terraform.State) error {
		name := simulator.ConsistencyGroupPGName(*primaryCG)
		pg, ok := w.Array(simulator.ArrayA).ProtectionGroup(name)
		if !ok {
			return fmt.Errorf("flasharray-a has no protection group %s", name)
		}
		if !pg.ReplicationEnabled || pg.ReplicationFrequency != interval {
			return fmt.Errorf("protection group %s: replication enabled %v every %s, want enabled every %s", name, pg.ReplicationEnabled, pg.ReplicationFrequency, interval)
		}
		if !slices.Contains(pg.Targets, flasharraysim.TargetInfo{Name: simulator.ArrayB, Allowed: true}) {
			return fmt.Errorf("protection group %s: targets %+v, want flasharray-b allowed", name, pg.Targets)
		}
		return nil
	}
}

// TestAccReplicationPolicy_async is the guide's policy with a 300 s
// interval and a 15 minute RPO, bound to the Pure driver's protection group
// of the group; interval and RPO update in place; a schedule changed on the
// array shows as drift and is repaired.
func TestAccReplicationPolicy_async(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	var groupID, primaryCG string
	config := func(interval, rpo int) string {
		return w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) + policyHCL(w, true, interval, rpo)
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config(300, 15),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("replication_interval"), knownvalue.Int64Exact(300)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("rpo_minutes"), knownvalue.Int64Exact(15)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("replication_type"), knownvalue.StringExact("async")),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("kind"), knownvalue.StringExact("protection_group")),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("primary_array_name"), knownvalue.StringExact(simulator.ArrayA)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("secondary_array_name"), knownvalue.StringExact(simulator.ArrayB)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("replication_enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("target_allowed"), knownvalue.Bool(true)),
					statecheck.ExpectSensitiveValue(policyAddr, tfjsonpath.New("primary_fa_token")),
					statecheck.CompareValuePairs(policyAddr, tfjsonpath.New("id"), groupAddr, tfjsonpath.New("id"), compareEqual),
				},
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					expectNewestVersion(w, &groupID, 2),
					func(s *terraform.State) error {
						return tfresource.TestCheckResourceAttr(policyAddr, "pure_pg_name", simulator.ConsistencyGroupPGName(primaryCG))(s)
					},
					checkArrayGroup(w, &primaryCG, 300*time.Second),
				),
			},
			{
				Config: config(600, 30),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(policyAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("replication_interval"), knownvalue.Int64Exact(600)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("rpo_minutes"), knownvalue.Int64Exact(30)),
				},
				Check: tfresource.ComposeTestCheckFunc(checkArrayGroup(w, &primaryCG, 600*time.Second), expectNewestVersion(w, &groupID, 3)),
			},
			{
				// Someone changes the schedule on the array: the plan shows it.
				PreConfig: func() {
					w.Array(simulator.ArrayA).Update(func(st *flasharraysim.State) {
						st.ProtectionGroups[simulator.ConsistencyGroupPGName(primaryCG)].ReplicationFrequency = 3600 * 1000
					})
				},
				Config:             config(600, 30),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config(600, 30),
				Check:  checkArrayGroup(w, &primaryCG, 600*time.Second),
			},
		},
	})
}

// TestAccReplicationPolicy_syncPod binds a sync group to the Pure driver's
// stretched pod, with the tokens in the provider's flasharrays: after
// import the plan is empty.
func TestAccReplicationPolicy_syncPod(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	var groupID string
	config := w.provider(providerOptions{arrayTokens: true}) + sitesHCL +
		groupHCL("Sync tier", "sync", simulator.TypeReplicatedSync) + policyHCL(w, false, 0, 0) +
		memberHCL("sync", w.fx.Sync.ID)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("replication_type"), knownvalue.StringExact("sync")),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("kind"), knownvalue.StringExact("pod")),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("pure_pg_name"), knownvalue.StringExact(simulator.CinderPod)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("replication_interval"), knownvalue.Null()),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("rpo_minutes"), knownvalue.Null()),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("replication_enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("primary_fa_token"), knownvalue.Null()),
					statecheck.ExpectKnownValue("protector_member.sync", tfjsonpath.New("volumes_added"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("protector_member.sync", tfjsonpath.New("status"), knownvalue.StringExact("protected")),
				},
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					func(*terraform.State) error {
						pod, ok := w.Array(simulator.ArrayA).Pod(simulator.CinderPod)
						if !ok {
							return fmt.Errorf("flasharray-a has no pod %s", simulator.CinderPod)
						}
						for _, name := range w.fx.Sync.ArrayVolumes {
							if !slices.Contains(pod.Volumes, name) {
								return fmt.Errorf("pod %s has volumes %v, missing %s", simulator.CinderPod, pod.Volumes, name)
							}
						}
						return nil
					},
				),
			},
			{
				RefreshState: true,
			},
			{
				ResourceName:      policyAddr,
				ImportState:       true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return "site-b/" + groupID, nil },
				ImportStateVerify: true,
			},
			{
				ResourceName:    policyAddr,
				ImportState:     true,
				ImportStateKind: tfresource.ImportBlockWithID,
				ImportStateId:   "site-a/prod-web-app",
			},
		},
	})
}

// TestAccReplicationPolicy_intervalOnSyncGroup: interval and RPO apply to
// async groups only, refused at plan once the group exists.
func TestAccReplicationPolicy_intervalOnSyncGroup(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("", "sync", simulator.TypeReplicatedSync)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: base},
			{
				Config:      base + policyHCL(w, false, 300, 15),
				PlanOnly:    true,
				ExpectError: wrapped(`replication_interval and rpo_minutes apply to async groups only`),
			},
		},
	})
}
