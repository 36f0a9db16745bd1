package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
)

// guidePureGroup is the guide's --pure-pg-name, a group no array has here.
const guidePureGroup = "pg-prod-web-app"

// refusedPureGroup is the refusal of a pure_pg_name that names no group on
// the primary array, with the name to use.
var refusedPureGroup = `pure_pg_name "` + guidePureGroup + `" names no protection group on flasharray-a[\s\S]*` +
	`Remove pure_pg_name: the policy then binds consisgroup-[0-9a-f-]+-cinder, the protection group the Pure Cinder driver keeps`

// livePureGroups lists the protection groups of an array that are not
// destroyed: name, targets (name=allowed), replication on or off.
func livePureGroups(a *flasharraysim.Array) []string {
	var out []string
	for _, pg := range a.ProtectionGroups() {
		if pg.Destroyed {
			continue
		}
		var targets []string
		for _, t := range pg.Targets {
			targets = append(targets, fmt.Sprintf("%s=%v", t.Name, t.Allowed))
		}
		out = append(out, fmt.Sprintf("%s targets=%v replicating=%v", pg.Name, targets, pg.ReplicationEnabled))
	}
	return out
}

// expectPureGroups checks the live protection groups of both arrays.
func expectPureGroups(w *accWorld, wantA, wantB func() []string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, c := range []struct {
			array string
			want  []string
		}{{simulator.ArrayA, wantA()}, {simulator.ArrayB, wantB()}} {
			if got := livePureGroups(w.Array(c.array)); !slices.Equal(got, c.want) {
				return fmt.Errorf("%s holds the protection groups %q, want %q", c.array, got, c.want)
			}
		}
		return nil
	}
}

// driverGroupOnly is what the Pure Cinder driver alone leaves on an array
// for a consistency group: its group, neither targeted nor replicating.
func driverGroupOnly(cg *string) func() []string {
	return func() []string {
		return []string{simulator.ConsistencyGroupPGName(*cg) + " targets=[] replicating=false"}
	}
}

// expectDriverLeftovers checks that after destroy the arrays hold only what
// the driver leaves when Cinder deletes the consistency groups: no live
// protection group, and no group under another name than the driver's.
func expectDriverLeftovers(w *accWorld, cgs ...*string) func(*terraform.State) error {
	return func(*terraform.State) error {
		var driver []string
		for _, cg := range cgs {
			driver = append(driver, simulator.ConsistencyGroupPGName(*cg))
		}
		for _, name := range []string{simulator.ArrayA, simulator.ArrayB} {
			for _, pg := range w.Array(name).ProtectionGroups() {
				if !pg.Destroyed || !slices.Contains(driver, pg.Name) {
					return fmt.Errorf("after destroy %s holds protection group %s (destroyed %v); want only the driver's groups %v, destroyed with their consistency groups",
						name, pg.Name, pg.Destroyed, driver)
				}
			}
		}
		return nil
	}
}

// TestAccPureGroup_guideNameRefusedAtPlan: the guide's pure_pg_name, which
// names no protection group on the array, is refused at plan with the name
// to use, and nothing is created or changed on either array or site; the
// default then binds the Cinder driver's group, and no second Pure group
// exists on either array.
func TestAccPureGroup_guideNameRefusedAtPlan(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	var groupID, primaryCG, secondaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: base,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
				),
			},
			{
				Config:      base + policyWithNameHCL(w),
				PlanOnly:    true,
				ExpectError: wrapped(refusedPureGroup),
			},
			{
				PreConfig: func() {
					if err := expectVersions(w, &groupID, "1", "1")(nil); err != nil {
						t.Errorf("the refused policy wrote metadata: %v", err)
					}
					if err := expectPureGroups(w, driverGroupOnly(&primaryCG), driverGroupOnly(&secondaryCG))(nil); err != nil {
						t.Errorf("the refused policy changed an array: %v", err)
					}
				},
				Config: base + policyHCL(w, false, 300, 15),
				Check: tfresource.ComposeTestCheckFunc(
					func(s *terraform.State) error {
						return tfresource.TestCheckResourceAttr(policyAddr, "pure_pg_name", simulator.ConsistencyGroupPGName(primaryCG))(s)
					},
					checkArrayGroup(w, &primaryCG, 300*time.Second),
					expectPureGroups(w,
						func() []string {
							return []string{simulator.ConsistencyGroupPGName(primaryCG) + " targets=[" + simulator.ArrayB + "=true] replicating=true"}
						},
						driverGroupOnly(&secondaryCG)),
				),
			},
		},
		CheckDestroy: expectDriverLeftovers(w, &primaryCG, &secondaryCG),
	})
}

// TestAccPureGroup_guideNameRefusedAtApply: group and policy in one
// configuration, so the consistency group (and the driver's Pure group) do
// not exist at plan: the guide's pure_pg_name is refused at apply before
// anything changes on the arrays, and destroy leaves them as the driver
// would.
func TestAccPureGroup_guideNameRefusedAtApply(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	var groupID, primaryCG, secondaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      base + policyWithNameHCL(w),
				ExpectError: wrapped(refusedPureGroup),
			},
			{
				// The group was made before the policy failed: nothing else.
				Config: base,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
					func(*terraform.State) error { return expectVersions(w, &groupID, "1", "1")(nil) },
					expectPureGroups(w, driverGroupOnly(&primaryCG), driverGroupOnly(&secondaryCG)),
				),
			},
		},
		CheckDestroy: expectDriverLeftovers(w, &primaryCG, &secondaryCG),
	})
}

// TestAccPureGroup_unbindLeavesDriverGroup: the default binds the driver's
// group of the consistency group, which keeps the member's volumes; taking
// the policy away undoes only what the policy did (target, schedule) and
// leaves the group to Cinder, which destroys it with the consistency group.
func TestAccPureGroup_unbindLeavesDriverGroup(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) +
		memberHCL("web1", w.fx.WebServer1.ID)
	var primaryCG, secondaryCG string
	driverGroup := func() (flasharraysim.ProtectionGroupInfo, error) {
		name := simulator.ConsistencyGroupPGName(primaryCG)
		pg, ok := w.Array(simulator.ArrayA).ProtectionGroup(name)
		if !ok || pg.Destroyed {
			return pg, fmt.Errorf("flasharray-a: %s exists %v, destroyed %v; want the driver's group kept", name, ok, pg.Destroyed)
		}
		vols := slices.Clone(pg.Volumes)
		slices.Sort(vols)
		want := slices.Clone(w.fx.WebServer1.ArrayVolumes)
		slices.Sort(want)
		if !slices.Equal(vols, want) {
			return pg, fmt.Errorf("flasharray-a: %s holds %v, want web-server-1's %v", name, vols, want)
		}
		return pg, nil
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: base + policyHCL(w, false, 300, 15),
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
					checkArrayGroup(w, &primaryCG, 300*time.Second),
					func(*terraform.State) error { _, err := driverGroup(); return err },
					expectPureGroups(w,
						func() []string {
							return []string{simulator.ConsistencyGroupPGName(primaryCG) + " targets=[" + simulator.ArrayB + "=true] replicating=true"}
						},
						driverGroupOnly(&secondaryCG)),
				),
			},
			{
				Config: base,
				Check: tfresource.ComposeTestCheckFunc(
					func(*terraform.State) error {
						pg, err := driverGroup()
						if err != nil {
							return err
						}
						if pg.ReplicationFrequency != time.Hour {
							return fmt.Errorf("%s replicates every %s after the policy's delete, want the hour it had", pg.Name, pg.ReplicationFrequency)
						}
						return nil
					},
					expectPureGroups(w, driverGroupOnly(&primaryCG), driverGroupOnly(&secondaryCG)),
					func(*terraform.State) error {
						name := simulator.ArrayA + ":" + simulator.ConsistencyGroupPGName(primaryCG)
						if pg, ok := w.Array(simulator.ArrayB).ProtectionGroup(name); ok {
							return fmt.Errorf("flasharray-b still receives %s (targets %+v) after the policy's delete", name, pg.Targets)
						}
						return nil
					},
				),
			},
		},
		CheckDestroy: expectDriverLeftovers(w, &primaryCG, &secondaryCG),
	})
}

// TestAccPureGroup_configuredGroup: a pure_pg_name that names a group the
// array's administrator configured for the consistency group (empty, or
// holding only its volumes) is bound; one that holds other volumes is
// refused at plan, naming them and the driver's group.
func TestAccPureGroup_configuredGroup(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	arrayA := w.Array(simulator.ArrayA)
	foreign := w.fx.DBServer1.ArrayVolumes[0]
	var primaryCG, secondaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: base,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
				),
			},
			{
				PreConfig: func() {
					if err := arrayA.CreateProtectionGroup(guidePureGroup); err != nil {
						t.Fatal(err)
					}
					if err := arrayA.AddProtectionGroupVolumes(guidePureGroup, foreign); err != nil {
						t.Fatal(err)
					}
				},
				Config:   base + policyWithNameHCL(w) + memberHCL("web1", w.fx.WebServer1.ID),
				PlanOnly: true,
				ExpectError: wrapped(`protection group ` + guidePureGroup + ` on flasharray-a holds volumes outside consistency group [0-9a-f-]+ \(` +
					foreign + `\)[\s\S]*Remove pure_pg_name: the policy then binds consisgroup-`),
			},
			{
				PreConfig: func() {
					if err := arrayA.RemoveProtectionGroupVolumes(guidePureGroup, foreign); err != nil {
						t.Fatal(err)
					}
				},
				Config: base + policyWithNameHCL(w) + memberHCL("web1", w.fx.WebServer1.ID),
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(policyAddr, "pure_pg_name", guidePureGroup),
					func(*terraform.State) error {
						pg, _ := arrayA.ProtectionGroup(guidePureGroup)
						if !pg.ReplicationEnabled || !slices.Contains(pg.Targets, flasharraysim.TargetInfo{Name: simulator.ArrayB, Allowed: true}) {
							return fmt.Errorf("%s is not bound: %+v", guidePureGroup, pg)
						}
						return nil
					},
				),
			},
		},
		CheckDestroy: func(*terraform.State) error {
			// The configured group is the administrator's: it stays, as it
			// was configured (empty, not replicating, no target).
			pg, ok := arrayA.ProtectionGroup(guidePureGroup)
			if !ok || pg.Destroyed || pg.ReplicationEnabled || len(pg.Targets) != 0 || len(pg.Volumes) != 0 {
				return fmt.Errorf("after destroy %s: %+v (exists %v); want it as configured", guidePureGroup, pg, ok)
			}
			if strings.Contains(fmt.Sprint(livePureGroups(w.Array(simulator.ArrayB))), guidePureGroup) {
				return fmt.Errorf("flasharray-b still holds %s", guidePureGroup)
			}
			return nil
		},
	})
}
