package provider

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

var compareEqual = compare.ValuesSame()

// guideMember is one of the guide's Example 2 members.
type guideMember struct {
	name, instanceID, instanceName string
	volumes                        int64
}

// guideMembersOf are the guide's Example 2: two web servers and a database.
func guideMembersOf(fx accFixtures) []guideMember {
	return []guideMember{
		{"web1", fx.WebServer1.ID, fx.WebServer1.Name, 2},
		{"web2", fx.WebServer2.ID, fx.WebServer2.Name, 2},
		{"db1", fx.DBServer1.ID, fx.DBServer1.Name, 3},
	}
}

// checkCGVolumes asserts the volumes of the primary consistency group on
// site-a, and of its Pure protection group on flasharray-a.
func checkCGVolumes(w *accWorld, primaryCG *string, servers ...string) func(*terraform.State) error {
	return func(*terraform.State) error {
		want, wantArray := w.volumeIDsOf(servers...)
		g, ok := w.view(simulator.SiteA).Group(*primaryCG)
		if !ok {
			return fmt.Errorf("consistency group %s is gone from site-a", *primaryCG)
		}
		got := slices.Clone(g.VolumeIDs)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("consistency group %s holds volumes %v, want %v", *primaryCG, got, want)
		}
		for _, id := range w.fx.WebServer2.VolumeIDs {
			if !slices.Contains(want, id) {
				if v, _ := w.view(simulator.SiteA).Volume(id); v.GroupID != "" {
					return fmt.Errorf("volume %s is still in group %s", id, v.GroupID)
				}
			}
		}
		pg, ok := w.Array(simulator.ArrayA).ProtectionGroup(simulator.ConsistencyGroupPGName(*primaryCG))
		if !ok {
			return fmt.Errorf("flasharray-a has no protection group for %s", *primaryCG)
		}
		gotArray := slices.Clone(pg.Volumes)
		sort.Strings(gotArray)
		if !slices.Equal(gotArray, wantArray) {
			return fmt.Errorf("protection group %s holds %v, want %v", pg.Name, gotArray, wantArray)
		}
		return nil
	}
}

// TestAccMember_guideThreeVMs is the guide's Examples 2 and 3 with the
// policy of the async example: three members, protected, with 2, 2 and 3
// volumes, the metadata version growing by one per change on both sites
// (the three members, made together, one change or more);
// then removing a member takes its volumes out of the consistency group and
// the Pure protection group; then import.
//
// Member changes of a group with a policy reach the arrays, in a run where
// the policy itself does not change: they find the tokens in the provider's
// flasharrays, as does the import of the policy.
func TestAccMember_guideThreeVMs(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	guideMembers := guideMembersOf(w.fx)
	var groupID, primaryCG, web1ID string
	var version int
	base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("Production web tier - async replication", "async", simulator.TypeReplicatedSSD) +
		policyHCL(w, true, 300, 15)
	all, withoutWeb2 := base, base
	for _, m := range guideMembers {
		all += memberHCL(m.name, m.instanceID)
		if m.name != "web2" {
			withoutWeb2 += memberHCL(m.name, m.instanceID)
		}
	}
	var checks []statecheck.StateCheck
	for _, m := range guideMembers {
		addr := "protector_member." + m.name
		checks = append(checks,
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^member-`))),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("instance_name"), knownvalue.StringExact(m.instanceName)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("status"), knownvalue.StringExact("protected")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("volumes_added"), knownvalue.Int64Exact(m.volumes)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("volume_ids"), knownvalue.ListSizeExact(int(m.volumes))),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("primary_site"), knownvalue.StringExact("site-a")),
		)
	}
	checks = append(checks,
		statecheck.CompareValuePairs("protector_member.web1", tfjsonpath.New("protection_group_id"), groupAddr, tfjsonpath.New("id"), compareEqual),
	)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:            all,
				ConfigStateChecks: checks,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture("protector_member.web1", "id", &web1ID),
					checkCGVolumes(w, &primaryCG, w.fx.WebServer1.ID, w.fx.WebServer2.ID, w.fx.DBServer1.ID),
					tfresource.TestCheckResourceAttr("protector_member.web1", "volume_ids.0", w.fx.WebServer1.VolumeIDs[0]),
					tfresource.TestCheckResourceAttr("protector_member.db1", "volume_ids.2", w.fx.DBServer1.VolumeIDs[2]),
				),
			},
			{
				// group v1 + policy + the three members: version 3 when
				// they were made together, up to 5, on both sites.
				RefreshState: true,
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(groupAddr, "sync_status", "SYNCED"),
					captureVersion(w, &groupID, 3, 5, "Production web tier - async replication", &version),
				),
			},
			{
				// The guide's member-remove: the VM stays, its volumes leave
				// the consistency group; the next version on both sites.
				Config: withoutWeb2,
				Check: tfresource.ComposeTestCheckFunc(
					checkCGVolumes(w, &primaryCG, w.fx.WebServer1.ID, w.fx.DBServer1.ID),
					checkVersionAfter(w, &groupID, &version, 1, "Production web tier - async replication"),
					func(*terraform.State) error {
						if _, ok := w.view(simulator.SiteA).Server(w.fx.WebServer2.ID); !ok {
							return fmt.Errorf("web-server-2 was deleted; removing a member must not touch the VM")
						}
						return nil
					},
				),
			},
			{
				RefreshState: true,
			},
			{
				// The config gives the policy its tokens; import cannot.
				ResourceName:            policyAddr,
				ImportState:             true,
				ImportStateId:           "site-a/prod-web-app",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"primary_fa_token", "secondary_fa_token"},
			},
			{
				ResourceName:      "protector_member.web1",
				ImportState:       true,
				ImportStateId:     "site-a/prod-web-app/" + w.fx.WebServer1.ID,
				ImportStateVerify: true,
			},
			{
				ResourceName:      "protector_member.db1",
				ImportState:       true,
				ImportStateKind:   tfresource.ImportBlockWithID,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return "site-a/" + groupID + "/" + w.fx.DBServer1.ID, nil },
			},
			{
				ResourceName:      "protector_member.web1",
				ImportState:       true,
				ImportStateKind:   tfresource.ImportBlockWithID,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return "site-b/prod-web-app/" + web1ID, nil },
			},
		},
	})
}

// TestAccMember_volumeTypeMismatch is the guide's "volume type mismatch":
// mixed-server has a `standard` data volume. Refused at plan, nothing
// changes.
func TestAccMember_volumeTypeMismatch(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	var groupID, primaryCG string
	base := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: base,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
				),
			},
			{
				Config:      base + memberHCL("mixed", w.fx.Mixed.ID),
				PlanOnly:    true,
				ExpectError: wrapped(`volume type mismatch \(site site-a\)[\s\S]*` + w.fx.Mixed.VolumeIDs[1] + ` \(` + w.fx.Mixed.Devices[1] + `\) has type "standard"`),
			},
			{
				PreConfig: func() {
					assertGroupUnchanged(t, w, groupID, primaryCG, 1, 0)
				},
				Config: base,
			},
		},
	})
}

// assertGroupUnchanged checks that a refused change left no trace: the
// metadata is still at version, on both sites, and the consistency group
// holds volumes volumes.
func assertGroupUnchanged(t *testing.T, w *accWorld, groupID, primaryCG string, version, volumes int) {
	t.Helper()
	for _, site := range []string{simulator.SiteA, simulator.SiteB} {
		versions := metadataVersions(w.view(site), groupID)
		if len(versions) == 0 || versions[len(versions)-1] != fmt.Sprint(version) {
			t.Errorf("site %s: metadata versions %v, want newest %d", site, versions, version)
		}
	}
	g, ok := w.view(simulator.SiteA).Group(primaryCG)
	if !ok || len(g.VolumeIDs) != volumes {
		t.Errorf("consistency group %s on site-a: %+v, want %d volumes", primaryCG, g, volumes)
	}
}

// TestAccMember_otherBackend: other-backend-server's volumes are on
// pure@backend-c while the group's first member is on pure@backend-a. With
// an admin credential the backends are visible and the plan refuses it;
// without, the plan warns and Cinder refuses it at apply.
func TestAccMember_otherBackend(t *testing.T) {
	t.Parallel()
	t.Run("admin credential: plan error", func(t *testing.T) {
		t.Parallel()
		w := newPortableWorld(t)
		var groupID, primaryCG string
		base := w.provider(providerOptions{admin: true}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) + memberHCL("web1", w.fx.WebServer1.ID)
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []tfresource.TestStep{
				{
					Config: base,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("protector_site.a", tfjsonpath.New("admin_checks"), knownvalue.Bool(true)),
					},
					Check: tfresource.ComposeTestCheckFunc(
						capture(groupAddr, "id", &groupID),
						capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					),
				},
				{
					// The first member recorded the group's backend.
					Config: base + `
data "protector_consistency_group" "web" {
  protection_group_id = protector_protection_group.web.id
}
`,
					Check: tfresource.TestCheckResourceAttr("data.protector_consistency_group.web", "backend_name", "pure@backend-a"),
				},
				{
					Config:      base + memberHCL("other", w.fx.OtherBackend.ID),
					PlanOnly:    true,
					ExpectError: wrapped(`volume on another storage backend \(site site-a\)[\s\S]*on pure@backend-c`),
				},
				{
					PreConfig: func() { assertGroupUnchanged(t, w, groupID, primaryCG, 2, 2) },
					Config:    base,
				},
			},
		})
	})
	t.Run("no admin credential: apply error from Cinder", func(t *testing.T) {
		t.Parallel()
		memberOnly(t, "the point is a backend the plan cannot see")
		w := newPortableWorld(t)
		var groupID, primaryCG string
		base := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) + memberHCL("web1", w.fx.WebServer1.ID)
		warnings := &providerWarnings{}
		tfresource.Test(t, tfresource.TestCase{
			ProtoV6ProviderFactories: warnings.factories(),
			Steps: []tfresource.TestStep{
				{
					Config: base,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("protector_site.a", tfjsonpath.New("admin_checks"), knownvalue.Bool(false)),
					},
					Check: tfresource.ComposeTestCheckFunc(
						capture(groupAddr, "id", &groupID),
						capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					),
				},
				{
					// The plan cannot see the backend: it succeeds (with a warning).
					PreConfig:          warnings.forget,
					Config:             base + memberHCL("other", w.fx.OtherBackend.ID),
					PlanOnly:           true,
					ExpectNonEmptyPlan: true,
					ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
						warnings.expectWarning(`Member check not complete: The storage backend of the volumes of instance ` +
							regexp.QuoteMeta(w.fx.OtherBackend.Name) + ` on site site-a could not be checked`),
					}},
				},
				{
					Config:      base + memberHCL("other", w.fx.OtherBackend.ID),
					ExpectError: wrapped(`volume on another storage backend[\s\S]*Cinder refused to add the volumes of instance other-backend-server`),
				},
				{
					PreConfig: func() { assertGroupUnchanged(t, w, groupID, primaryCG, 2, 2) },
					Config:    base,
				},
			},
		})
	})
}

// TestAccMember_peerUnreachable is the guide's "remote site unreachable":
// with site-b down, adding a member is refused at plan and site-a is left
// as it was.
func TestAccMember_peerUnreachable(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	var groupID, primaryCG string
	base := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) + memberHCL("web1", simulator.WebServer1ID)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: base,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
				),
			},
			{
				PreConfig:   func() { w.Site(simulator.SiteB).Faults().SetDown(true) },
				Config:      base + memberHCL("web2", simulator.WebServer2ID),
				PlanOnly:    true,
				ExpectError: wrapped(`remote site unreachable \(site site-b\)[\s\S]*peer site site-b is unreachable[\s\S]*Nothing was changed`),
			},
			{
				PreConfig: func() {
					assertGroupUnchanged(t, w, groupID, primaryCG, 2, 2)
					w.Site(simulator.SiteB).Faults().SetDown(false)
				},
				Config: base,
			},
		},
	})
}

// TestAccMember_everyVersionReachesPeer: members added in one apply are
// made together where their creates meet (one Cinder update and one
// metadata version per batch), and every version reaches site-b: both
// sites hold the same versions, at most one per member after the group's,
// and the sync log lists a push of each.
func TestAccMember_everyVersionReachesPeer(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	var groupID string
	config := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	for _, m := range guideMembersOf(w.fx) {
		config += memberHCL(m.name, m.instanceID)
	}
	const syncLogHCL = `
data "protector_sync_log" "web" {
  protection_group_id = protector_protection_group.web.id
  limit               = 20
}
`
	var versions []string
	sameVersions := func(*terraform.State) error {
		a, b := metadataVersions(w.view(simulator.SiteA), groupID), metadataVersions(w.view(simulator.SiteB), groupID)
		if !slices.Equal(a, b) || len(a) < 2 || len(a) > 4 || a[0] != "1" {
			return fmt.Errorf("metadata versions: site-a %v, site-b %v; want the same on both: 1 (the group), then one per batch of the 3 members", a, b)
		}
		versions = a
		return nil
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check:  tfresource.ComposeTestCheckFunc(capture(groupAddr, "id", &groupID), sameVersions),
			},
			{
				Config: config + syncLogHCL,
				Check: func(s *terraform.State) error {
					pushed := map[string]string{}
					count, _ := attrOf(s, "data.protector_sync_log.web", "entries.#")
					n, _ := strconv.Atoi(count)
					for i := range n {
						v, _ := attrOf(s, "data.protector_sync_log.web", fmt.Sprintf("entries.%d.version", i))
						outcome, _ := attrOf(s, "data.protector_sync_log.web", fmt.Sprintf("entries.%d.outcome", i))
						pushed[v] = outcome
					}
					for _, v := range versions {
						if pushed[v] != "SYNCED" {
							return fmt.Errorf("the sync log lists pushes %v, want version %s pushed (SYNCED)", pushed, v)
						}
					}
					return nil
				},
			},
		},
	})
}
