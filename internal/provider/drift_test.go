package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// expectDrift checks that a plan updates a resource to repair drift, and
// that the plan says what drifted: the drift found by the refresh (the
// "before" value) names it.
type expectDrift struct {
	address string
	says    func() string // read when the plan is checked, after earlier steps captured ids
}

func (e expectDrift) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != e.address {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		drift, _ := before["drift"].([]any)
		var found []string
		for _, d := range drift {
			found = append(found, fmt.Sprint(d))
		}
		if says := e.says(); !strings.Contains(strings.Join(found, "\n"), says) {
			resp.Error = fmt.Errorf("%s: drift before the repair is %q, want a line saying %q", e.address, found, says)
			return
		}
		if left, _ := after["drift"].([]any); len(left) != 0 {
			resp.Error = fmt.Errorf("%s: the plan keeps drift %v", e.address, left)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in the plan", e.address)
}

func driftPlan(address string, says func() string) tfresource.ConfigPlanChecks {
	return tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(address, plancheck.ResourceActionUpdate),
		expectDrift{address: address, says: says},
	}}
}

// newestVersion is the newest metadata version object of a group on a site.
func newestVersion(site *openstacksim.Site, groupID string) (string, []byte) {
	names := site.Objects("protector", "groups/"+groupID+"/v/")
	if len(names) == 0 {
		return "", nil
	}
	b, _ := site.Object("protector", names[len(names)-1])
	return names[len(names)-1], b
}

// TestAccDrift_repaired: each change made out of band shows in the plan as
// drift with what changed, an apply repairs it, and the plan after it is
// empty (the framework checks that after every step).
func TestAccDrift_repaired(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{admin: true}) + sitesHCL + groupHCL("Production web application tier", "async", "replicated-ssd") +
		memberHCL("web1", simulator.WebServer1ID)
	const memberAddr = "protector_member.web1"
	var groupID, primaryCG, secondaryCG string
	a, b := w.Site(simulator.SiteA), w.Site(simulator.SiteB)
	project, _ := b.ProjectID(simulator.Project)

	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
				),
			},
			{
				// A member's volume taken out of the consistency group by
				// hand: its status is what the refresh saw.
				PreConfig: func() {
					a.Update(func(st *openstacksim.State) { st.Volumes[simulator.WebServer1DataVolumeID].GroupID = "" })
				},
				RefreshState:       true,
				Check:              tfresource.TestCheckResourceAttr(memberAddr, "status", "error"),
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config,
				ConfigPlanChecks: driftPlan(memberAddr, func() string {
					return "volume " + simulator.WebServer1DataVolumeID + " of web-server-1 is no longer in the consistency group"
				}),
				Check: tfresource.ComposeTestCheckFunc(
					func(*terraform.State) error {
						if v, _ := a.Volume(simulator.WebServer1DataVolumeID); v.GroupID != primaryCG {
							return fmt.Errorf("the repair left volume %s in group %q, want %s", v.ID, v.GroupID, primaryCG)
						}
						return nil
					},
					tfresource.TestCheckResourceAttr(memberAddr, "status", "protected"),
				),
			},
			{
				// The consistency group deleted on the secondary site.
				PreConfig: func() {
					b.Update(func(st *openstacksim.State) { delete(st.Groups, secondaryCG) })
				},
				Config:           config,
				ConfigPlanChecks: driftPlan(groupAddr, func() string { return "consistency group " + secondaryCG + " no longer exists on site-b" }),
				Check: func(s *terraform.State) error {
					id, err := attrOf(s, groupAddr, "secondary_consistency_group_id")
					if err != nil {
						return err
					}
					if g, ok := b.Group(id); id == secondaryCG || !ok || g.Status != "available" {
						return fmt.Errorf("site-b consistency group after the repair: %q (old %s), exists %v", id, secondaryCG, ok)
					}
					return nil
				},
			},
			{
				// The newest metadata never reached the peer (a failed push).
				PreConfig: func() {
					name, _ := newestVersion(b, groupID)
					b.DeleteObject("protector", name)
				},
				Config:           config,
				ConfigPlanChecks: driftPlan(groupAddr, func() string { return "the push of a change did not arrive" }),
				Check:            checkSameNewestVersion(a, b, &groupID),
			},
			{
				// The peer's copy damaged: its checksum no longer matches.
				PreConfig: func() {
					name, data := newestVersion(b, groupID)
					b.PutObject(project, "protector", name, []byte(strings.Replace(string(data), "Production", "Tampered", 1)))
				},
				Config:           config,
				ConfigPlanChecks: driftPlan(groupAddr, func() string { return "the metadata on site-b is damaged" }),
				Check:            checkSameNewestVersion(a, b, &groupID),
			},
			{
				// The primary's newest copy damaged: the refresh reads its
				// newest intact version and says so; the apply takes site-b's
				// intact copy of the damaged version.
				PreConfig: func() {
					name, data := newestVersion(a, groupID)
					a.PutObject(simulator.Project, "protector", name, []byte(strings.Replace(string(data), "Production", "Tampered", 1)))
				},
				Config:           config,
				ConfigPlanChecks: driftPlan(groupAddr, func() string { return "the metadata on site-a is damaged (version " }),
				Check:            checkSameNewestVersion(a, b, &groupID),
			},
		},
	})
}

func checkSameNewestVersion(a, b *openstacksim.Site, groupID *string) func(*terraform.State) error {
	return func(*terraform.State) error {
		na, da := newestVersion(a, *groupID)
		nb, db := newestVersion(b, *groupID)
		if na != nb || string(da) != string(db) {
			return fmt.Errorf("after sync-force site-a has %s and site-b %s, identical %v", na, nb, string(da) == string(db))
		}
		return nil
	}
}

// TestAccDrift_notRepairable: a retyped volume and a deleted VM cannot be
// repaired by an apply; the plan fails and says why and what to do.
func TestAccDrift_notRepairable(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{admin: true}) + sitesHCL + groupHCL("web", "async", "replicated-ssd") +
		memberHCL("web1", simulator.WebServer1ID)
	a := w.Site(simulator.SiteA)
	var typeID string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					std, _ := a.VolumeType(simulator.TypeStandard)
					a.Update(func(st *openstacksim.State) {
						v := st.Volumes[simulator.WebServer1DataVolumeID]
						typeID = v.TypeID
						v.Type, v.TypeID = std.Name, std.ID
					})
				},
				Config:      config,
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)Member web-server-1 cannot be repaired.*retyped to "standard".*migrate the volume back`),
			},
			{
				PreConfig: func() {
					a.Update(func(st *openstacksim.State) {
						v := st.Volumes[simulator.WebServer1DataVolumeID]
						v.Type, v.TypeID = simulator.TypeReplicatedSSD, typeID
						delete(st.Servers, simulator.WebServer1ID)
					})
				},
				Config:      config,
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)instance web-server-1 \(` + simulator.WebServer1ID + `\) no longer exists on site-a.*remove this protector_member`),
			},
		},
	})
}

// TestAccDrift_groupDeleted: a group deleted out of band (metadata and
// consistency groups on both sites) is planned again and recreated.
func TestAccDrift_groupDeleted(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{}) + sitesHCL + groupHCL("web", "async", "replicated-ssd")
	var groupID string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: config, Check: capture(groupAddr, "id", &groupID)},
			{
				PreConfig: func() {
					for _, s := range []*openstacksim.Site{w.Site(simulator.SiteA), w.Site(simulator.SiteB)} {
						for _, n := range s.Objects("protector", "groups/"+groupID+"/") {
							s.DeleteObject("protector", n)
						}
						s.Update(func(st *openstacksim.State) { clear(st.Groups) })
					}
				},
				Config: config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionCreate),
				}},
				Check: func(*terraform.State) error {
					for _, s := range []*openstacksim.Site{w.Site(simulator.SiteA), w.Site(simulator.SiteB)} {
						if n := len(s.Groups()); n != 1 {
							return fmt.Errorf("%s holds %d consistency groups after the recreate, want 1", s.Name(), n)
						}
					}
					return nil
				},
			},
		},
	})
}

// TestAccDrift_policy: the Pure protection group changed on the array (a
// member volume taken out, the group destroyed) shows as policy drift; an
// apply binds it again.
func TestAccDrift_policy(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("web", "async", "replicated-ssd") +
		policyHCL(w, false, 300, 15) + memberHCL("web1", simulator.WebServer1ID)
	arrayA := w.Array(simulator.ArrayA)
	volume := simulator.ArrayVolumeName(simulator.WebServer1DataVolumeID, false)
	var primaryCG string
	pgName := func() string { return simulator.ConsistencyGroupPGName(primaryCG) }
	holdsVolume := func(*terraform.State) error {
		pg, ok := arrayA.ProtectionGroup(pgName())
		if !ok || pg.Destroyed || !slices.Contains(pg.Volumes, volume) {
			return fmt.Errorf("after the repair %s: exists %v, destroyed %v, volumes %v; want %s in it", pgName(), ok, pg.Destroyed, pg.Volumes, volume)
		}
		return nil
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: config, Check: capture(groupAddr, "primary_consistency_group_id", &primaryCG)},
			{
				PreConfig: func() {
					if err := arrayA.RemoveProtectionGroupVolumes(pgName(), volume); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config,
				ConfigPlanChecks: driftPlan(policyAddr, func() string { return "are missing from " + pgName() }),
				Check:            holdsVolume,
			},
			{
				PreConfig: func() {
					if err := arrayA.DestroyProtectionGroup(pgName()); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config,
				ConfigPlanChecks: driftPlan(policyAddr, func() string { return pgName() + " no longer exists on " + simulator.ArrayA }),
				Check:            holdsVolume,
			},
		},
	})
}

// rewriteNewest replaces the newest metadata version of a group on a site
// with an intact document of the same version and another description:
// what a second writer on that site would leave.
func rewriteNewest(t *testing.T, site *openstacksim.Site, groupID, from, to string) {
	t.Helper()
	name, data := newestVersion(site, groupID)
	var d rawDocument
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	var group bytes.Buffer
	if err := json.Compact(&group, d.Group); err != nil {
		t.Fatal(err)
	}
	oldDesc, _ := json.Marshal(from)
	newDesc, _ := json.Marshal(to)
	replaced := bytes.Replace(group.Bytes(), append([]byte(`"description":`), oldDesc...), append([]byte(`"description":`), newDesc...), 1)
	if bytes.Equal(replaced, group.Bytes()) {
		t.Fatalf("no description %s in %s", oldDesc, group.String())
	}
	d.Group = replaced
	site.PutObject(simulator.Project, "protector", name, sealDocument(t, &d))
}

// TestAccDrift_primaryLostNewest: the primary site loses its newest
// metadata version. The refresh says so (site-b holds the newest, site-a
// lost it) and shows what site-b holds; the apply restores the version from
// site-b rather than writing another document at that version; a change
// made while site-a lacks it starts from site-b's newest, so both sites end
// with the same versions and the same documents.
func TestAccDrift_primaryLostNewest(t *testing.T) {
	simulatorOnly(t, "deletes a metadata object on site-a behind the provider's back")
	t.Parallel()
	w := newAccWorld(t)
	config := func(description string) string {
		return w.provider(providerOptions{}) + sitesHCL + groupHCL(description, "async", simulator.TypeReplicatedSSD)
	}
	a, b := w.Site(simulator.SiteA), w.Site(simulator.SiteB)
	var groupID string
	loseNewestOnA := func() {
		name, _ := newestVersion(a, groupID)
		a.DeleteObject("protector", name)
	}
	const lost = "site-a's newest metadata is version 1, site-b holds version 2: site-a lost its newest copy; apply restores it from site-b"
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: config("first"), Check: capture(groupAddr, "id", &groupID)},
			{Config: config("second"), Check: expectVersions(w, &groupID, "1,2", "1,2")},
			{
				// What the refresh saw: site-b's newest, out of sync.
				PreConfig:    loseNewestOnA,
				RefreshState: true,
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(groupAddr, "sync_status", "FAILED"),
					tfresource.TestCheckResourceAttr(groupAddr, "description", "second"),
					tfresource.TestCheckResourceAttr(groupAddr, "drift.0", lost),
				),
				ExpectNonEmptyPlan: true,
			},
			{
				Config:           config("second"),
				ConfigPlanChecks: driftPlan(groupAddr, func() string { return lost }),
				Check: tfresource.ComposeTestCheckFunc(
					expectVersions(w, &groupID, "1,2", "1,2"),
					checkSameNewestVersion(a, b, &groupID),
					tfresource.TestCheckResourceAttr(groupAddr, "sync_status", "SYNCED"),
				),
			},
			{
				// A change while site-a lacks its newest: version 3 follows
				// site-b's version 2, on both sites.
				PreConfig:        loseNewestOnA,
				Config:           config("third"),
				ConfigPlanChecks: driftPlan(groupAddr, func() string { return lost }),
				Check: tfresource.ComposeTestCheckFunc(
					expectVersions(w, &groupID, "1,2,3", "1,2,3"),
					checkSameNewestVersion(a, b, &groupID),
					checkVersionOnBothSites(w, &groupID, 3, "third"),
				),
			},
		},
	})
}

// TestAccDrift_sameVersionDiverged: both sites hold intact but different
// documents at one version. The plan shows it with both checksums; the
// apply fails, naming the fix, rather than choose one or exit 0; once the
// wrong copy is deleted, the apply restores it from the other site.
func TestAccDrift_sameVersionDiverged(t *testing.T) {
	simulatorOnly(t, "writes a different metadata document on site-b behind the provider's back")
	t.Parallel()
	w := newAccWorld(t)
	config := func(description string) string {
		return w.provider(providerOptions{}) + sitesHCL + groupHCL(description, "async", simulator.TypeReplicatedSSD)
	}
	a, b := w.Site(simulator.SiteA), w.Site(simulator.SiteB)
	var groupID string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: config("first"), Check: capture(groupAddr, "id", &groupID)},
			{Config: config("second")},
			{
				PreConfig: func() { rewriteNewest(t, b, groupID, "second", "written elsewhere") },
				Config:    config("second"),
				ConfigPlanChecks: driftPlan(groupAddr, func() string {
					return "site-a and site-b both hold metadata version 2 with different content (checksum sha256:"
				}),
				ExpectError: wrapped(`(?s)site-a and site-b both hold metadata version 2 with different content.*` +
					`Nothing was changed.*delete the wrong one`),
			},
			{
				// A change is refused the same way: it would write version 3
				// on top of a version the sites disagree on.
				Config:      config("third"),
				ExpectError: wrapped(`(?s)both hold metadata version 2 with different content.*Nothing was changed`),
			},
			{
				PreConfig: func() {
					name, _ := newestVersion(b, groupID)
					b.DeleteObject("protector", name)
				},
				Config: config("third"),
				ConfigPlanChecks: driftPlan(groupAddr, func() string {
					return "site-b's newest metadata is version 1, site-a holds version 2: the push of a change did not arrive"
				}),
				Check: tfresource.ComposeTestCheckFunc(
					expectVersions(w, &groupID, "1,2,3", "1,2,3"),
					checkSameNewestVersion(a, b, &groupID),
					checkVersionOnBothSites(w, &groupID, 3, "third"),
				),
			},
		},
	})
}

// TestAccDrift_volumeAttachedLater: a volume attached to a member's VM
// after it became a member (openstack server add volume) is drift; the
// apply adds it to the consistency group and its Pure group, records it on
// the member and in a metadata version pushed to site-b, and the plan after
// it is empty. A volume of another type attached later fails the plan,
// naming it and the fix.
func TestAccDrift_volumeAttachedLater(t *testing.T) {
	simulatorOnly(t, "attaches volumes to a VM behind the provider's back")
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("Production web application tier", "async", simulator.TypeReplicatedSSD) +
		policyHCL(w, true, 300, 15) + memberHCL("web1", simulator.WebServer1ID)
	const memberAddr = "protector_member.web1"
	var groupID, primaryCG, added string
	a := w.Site(simulator.SiteA)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					tfresource.TestCheckResourceAttr(memberAddr, "volumes_added", "2"),
				),
			},
			{
				PreConfig: func() { added = w.AttachNewVolume(simulator.WebServer1ID, simulator.TypeReplicatedSSD, 10) },
				Config:    config,
				ConfigPlanChecks: driftPlan(memberAddr, func() string {
					return "volume " + added + " attached to web-server-1 is not protected: apply adds it to the consistency group"
				}),
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(memberAddr, "status", "protected"),
					tfresource.TestCheckResourceAttr(memberAddr, "volumes_added", "3"),
					func(s *terraform.State) error {
						if got, err := attrOf(s, memberAddr, "volume_ids.2"); err != nil || got != added {
							return fmt.Errorf("member volume_ids.2 = %q (%v), want %s", got, err, added)
						}
						if v, _ := a.Volume(added); v.GroupID != primaryCG {
							return fmt.Errorf("volume %s is in group %q after the apply, want %s", added, v.GroupID, primaryCG)
						}
						pg, _ := w.Array(simulator.ArrayA).ProtectionGroup(simulator.ConsistencyGroupPGName(primaryCG))
						if want := simulator.ArrayVolumeName(added, false); !slices.Contains(pg.Volumes, want) {
							return fmt.Errorf("Pure group %s holds %v, want %s among them", pg.Name, pg.Volumes, want)
						}
						return nil
					},
					// group, policy, member, repair: each on both sites.
					expectVersions(w, &groupID, "1,2,3,4", "1,2,3,4"),
				),
			},
			{
				PreConfig:   func() { w.AttachNewVolume(simulator.WebServer1ID, simulator.TypeStandard, 10) },
				Config:      config,
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)Member web-server-1 cannot be repaired.*volume [0-9a-f-]{36} attached to web-server-1 has type "standard".*or detach it`),
			},
		},
	})
}
