package provider

// The fault table of docs/guides/failure-modes.md: each test injects one
// fault, runs the operation through OpenTofu, asserts the error names the
// fault and the site or array, asserts what exists on both sites and arrays
// and in state, clears the fault, re-applies and expects convergence (the
// framework's plan after each apply must be empty).

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// countSince counts the requests an injector saw after mark (a length of
// its Requests()) with the method (empty: any) and a path containing path.
func countSince(inj *fault.Injector, mark int, method, path string) int {
	n := 0
	for _, r := range inj.Requests()[mark:] {
		if (method == "" || strings.EqualFold(method, r.Method)) && strings.Contains(r.Path, path) {
			n++
		}
	}
	return n
}

// consistencyGroups lists the live (not deleted) Cinder groups of a site.
func consistencyGroups(w *accWorld, site string) []string {
	var ids []string
	for _, g := range w.Site(site).Groups() {
		if g.Status != "deleted" {
			ids = append(ids, g.ID)
		}
	}
	return ids
}

// expectConsistencyGroups checks that each site holds exactly one live
// consistency group, the one the state names.
func expectConsistencyGroups(w *accWorld) func(*terraform.State) error {
	return func(s *terraform.State) error {
		for site, key := range map[string]string{simulator.SiteA: "primary_consistency_group_id", simulator.SiteB: "secondary_consistency_group_id"} {
			want, err := attrOf(s, groupAddr, key)
			if err != nil {
				return err
			}
			if got := consistencyGroups(w, site); len(got) != 1 || got[0] != want {
				return fmt.Errorf("site %s has consistency groups %v, want exactly the state's %s (no orphan, no duplicate)", site, got, want)
			}
		}
		return nil
	}
}

// expectVersions checks the metadata versions of the group on both sites.
func expectVersions(w *accWorld, groupID *string, siteA, siteB string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for site, want := range map[string]string{simulator.SiteA: siteA, simulator.SiteB: siteB} {
			if got := strings.Join(metadataVersions(w.view(site), *groupID), ","); got != want {
				return fmt.Errorf("site %s: metadata versions [%s], want [%s]", site, got, want)
			}
		}
		return nil
	}
}

// worldSummary describes what exists on both sites and both arrays: each
// site's live consistency groups with their status and volumes, its
// protector objects (metadata versions, pending records, name
// reservations), and the Pure protection groups of site-a's consistency
// groups on flasharray-a and, replicated, on flasharray-b. Equal summaries
// before and after a failed run prove it changed nothing.
func worldSummary(w *accWorld) string {
	var b strings.Builder
	var pureGroups []string
	for _, site := range []string{simulator.SiteA, simulator.SiteB} {
		for _, g := range w.Site(site).Groups() {
			if g.Status == "deleted" {
				continue
			}
			vols := slices.Clone(g.VolumeIDs)
			slices.Sort(vols)
			fmt.Fprintf(&b, "%s group %s %s volumes=%v\n", site, g.ID, g.Status, vols)
			if site == simulator.SiteA {
				pureGroups = append(pureGroups, simulator.ConsistencyGroupPGName(g.ID))
			}
		}
		fmt.Fprintf(&b, "%s objects %v\n", site, w.Site(site).Objects("protector", ""))
	}
	for _, name := range pureGroups {
		for _, at := range [][2]string{{simulator.ArrayA, name}, {simulator.ArrayB, simulator.ArrayA + ":" + name}} {
			array, pgName := at[0], at[1]
			if pg, ok := w.Array(array).ProtectionGroup(pgName); ok {
				fmt.Fprintf(&b, "%s pg %s destroyed=%t replication=%t every %s volumes=%v targets=%v\n",
					array, pgName, pg.Destroyed, pg.ReplicationEnabled, pg.ReplicationFrequency, pg.Volumes, pg.Targets)
			}
		}
	}
	return b.String()
}

// TestAccFault_peerUnreachableAtPlan: with site-b down, creating a group,
// and later attaching a policy to it, are refused at plan, naming site-b;
// nothing is made or written on site-a. Once site-b is back, the same
// configuration applies.
func TestAccFault_peerUnreachableAtPlan(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	sites := w.provider(providerOptions{}) + sitesHCL
	config := sites + groupHCL("", "async", simulator.TypeReplicatedSSD)
	var groupID string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: sites},
			{
				PreConfig:   func() { w.Site(simulator.SiteB).Faults().SetDown(true) },
				Config:      config,
				ExpectError: wrapped(`remote site unreachable \(site site-b\)[\s\S]*peer site site-b is unreachable[\s\S]*Nothing was changed`),
			},
			{
				PreConfig: func() {
					if cgs := consistencyGroups(w, simulator.SiteA); len(cgs) != 0 {
						t.Errorf("the refused plan left consistency groups %v on site-a", cgs)
					}
					if objs := w.Site(simulator.SiteA).Objects("protector", "names/"); len(objs) != 0 {
						t.Errorf("the refused plan reserved names %v on site-a", objs)
					}
					w.Site(simulator.SiteB).Faults().Clear()
				},
				Config: config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionCreate),
				}},
				Check: tfresource.ComposeTestCheckFunc(expectConsistencyGroups(w), capture(groupAddr, "id", &groupID)),
			},
			{
				// Attaching a policy is a change of the group too.
				PreConfig:   func() { w.Site(simulator.SiteB).Faults().SetDown(true) },
				Config:      config + policyHCL(w, true, 300, 15),
				PlanOnly:    true,
				ExpectError: wrapped(`remote site unreachable \(site site-b\)[\s\S]*Nothing was changed`),
			},
			{
				PreConfig: func() {
					if v := metadataVersions(w.Site(simulator.SiteA), groupID); strings.Join(v, ",") != "1" {
						t.Errorf("the refused plan changed the metadata: versions %v", v)
					}
					w.Site(simulator.SiteB).Faults().Clear()
				},
				Config: config + policyHCL(w, true, 300, 15),
			},
		},
	})
}

// TestAccFault_peerLostBetweenConsistencyGroups: site-b fails at the moment
// the secondary consistency group is requested, after the primary one was
// made: either it is down (the request never arrives) or the group is made
// but the answer is lost. The apply fails naming site-b and saying what
// exists; the group is not in state; site-a keeps its consistency group,
// recorded as pending. The re-apply resumes: one consistency group per site
// (the lost answer's group adopted), no orphan, no duplicate.
func TestAccFault_peerLostBetweenConsistencyGroups(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rule       func(siteB *fault.Injector) fault.Rule
		want       string
		secondLeft int // consistency groups on site-b after the failure
	}{
		{
			name: "peer down",
			rule: func(siteB *fault.Injector) fault.Rule {
				return fault.Rule{Method: http.MethodPost, PathContains: "/groups", Times: 1, Do: func() { siteB.SetDown(true) }}
			},
			want: `site site-b could not be reached to create the consistency group`,
		},
		{
			name: "answer lost",
			rule: func(*fault.Injector) fault.Rule {
				return fault.Rule{Method: http.MethodPost, PathContains: "/groups", Times: 1, After: true, Drop: true}
			},
			want:       `site site-b could not be reached to create the consistency group`,
			secondLeft: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newAccWorld(t)
			config := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
			siteB := w.Site(simulator.SiteB)
			var primaryCG, groupID string
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []tfresource.TestStep{
					{
						PreConfig: func() { siteB.Faults().Add(tc.rule(siteB.Faults())) },
						Config:    config,
						ExpectError: wrapped(`remote site unreachable \(site site-b\)[\s\S]*` + tc.want +
							`[\s\S]*consistency group [0-9a-f-]+ on site-a already exists and is recorded as pending`),
					},
					{
						PreConfig: func() {
							cgs := consistencyGroups(w, simulator.SiteA)
							if len(cgs) != 1 {
								t.Fatalf("site-a has consistency groups %v after the failed create, want the primary one", cgs)
							}
							primaryCG = cgs[0]
							if cgs := consistencyGroups(w, simulator.SiteB); len(cgs) != tc.secondLeft {
								t.Errorf("site-b has consistency groups %v after the failure, want %d", cgs, tc.secondLeft)
							}
							pending := w.Site(simulator.SiteA).Objects("protector", "groups/")
							if len(pending) != 1 || !strings.HasSuffix(pending[0], "/pending.json") {
								t.Errorf("site-a metadata objects %v, want only the pending record (no version was written)", pending)
							}
							siteB.Faults().Clear()
						},
						Config: config,
						// Not in state: planned as a create, not an update.
						ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionCreate),
						}},
						Check: tfresource.ComposeTestCheckFunc(
							expectConsistencyGroups(w),
							tfresource.TestCheckResourceAttrPtr(groupAddr, "primary_consistency_group_id", &primaryCG),
							capture(groupAddr, "id", &groupID),
							func(*terraform.State) error {
								if objs := w.Site(simulator.SiteA).Objects("protector", "groups/"+groupID+"/pending.json"); len(objs) != 0 {
									return fmt.Errorf("the pending record survived the completed create: %v", objs)
								}
								return nil
							},
							expectVersions(w, &groupID, "1", "1"),
						),
					},
				},
			})
		})
	}
}

// TestAccFault_peerLostBeforePush: the push of a new metadata version to
// site-b is cut off after site-a wrote it. The apply succeeds (the change is
// made and recorded on the primary site) but the group shows UNREACHABLE
// and the next plan proposes the repair; once site-b answers, the apply
// pushes the version and the plan is empty.
func TestAccFault_peerLostBeforePush(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := func(description string) string {
		return w.provider(providerOptions{}) + sitesHCL + groupHCL(description, "async", simulator.TypeReplicatedSSD)
	}
	siteB := w.Site(simulator.SiteB)
	var groupID string
	warnings := &providerWarnings{}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: warnings.factories(),
		Steps: []tfresource.TestStep{
			{Config: config("first"), Check: capture(groupAddr, "id", &groupID)},
			{
				PreConfig: func() {
					warnings.forget()
					// Every write of a version on site-b gets no answer.
					siteB.Faults().Add(fault.Rule{Method: http.MethodPut, PathContains: "/protector/groups/" + groupID + "/v/", Drop: true})
				},
				Config: config("second"),
				// The apply succeeds with a warning saying what is where.
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					warnings.expectWarning(`Protection group prod-web-app is out of sync \(UNREACHABLE\): Metadata version 2 is recorded on ` +
						`site-a, but its push to site-b failed: [\s\S]*site-b holds version 1\. The change itself is made; the next plan shows the repair`),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("sync_status"), knownvalue.StringExact("UNREACHABLE")),
				},
				Check: expectVersions(w, &groupID, "1,2", "1"),
				// The refresh after the apply sees site-b behind: drift.
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() { siteB.Faults().Clear() },
				Config:    config("second"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("sync_status"), knownvalue.StringExact("SYNCED")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.StringExact("second")),
				},
				Check: func(s *terraform.State) error {
					a, b := metadataVersions(w.Site(simulator.SiteA), groupID), metadataVersions(siteB, groupID)
					if a[len(a)-1] != b[len(b)-1] {
						return fmt.Errorf("after the repair site-a is at version %s and site-b at %s", a[len(a)-1], b[len(b)-1])
					}
					return nil
				},
			},
		},
	})
}

// policyWithNameHCL is a policy naming the guide's Pure protection group
// (pure_pg_name = pg-prod-web-app), configured on the array by its
// administrator.
func policyWithNameHCL(w *accWorld) string {
	return fmt.Sprintf(`
resource "protector_replication_policy" "web" {
  protection_group_id  = protector_protection_group.web.id
  primary_fa_url       = %q
  secondary_fa_url     = %q
  pure_pg_name         = %q
  replication_interval = 300
  rpo_minutes          = 15
}
`, w.arrayURL(simulator.ArrayA), w.arrayURL(simulator.ArrayB), guidePureGroup)
}

// expectPolicyNotAttached checks what a policy create that failed on
// flasharray-b leaves: no metadata version on either site records a policy
// (both hold only version 1), the driver's Pure group on flasharray-a has
// the target the binding added, and flasharray-b has not allowed it.
func expectPolicyNotAttached(t *testing.T, w *accWorld, groupID, pureGroup string) {
	t.Helper()
	if err := expectVersions(w, &groupID, "1", "1")(nil); err != nil {
		t.Errorf("the failed attach wrote metadata: %v", err)
	}
	pg, ok := w.Array(simulator.ArrayA).ProtectionGroup(pureGroup)
	if !ok || pg.Destroyed {
		t.Errorf("flasharray-a has no %s: the driver made it with the consistency group", pureGroup)
	}
	if !slices.Contains(pg.Targets, flasharraysim.TargetInfo{Name: simulator.ArrayB}) {
		t.Errorf("%s has the targets %+v, want flasharray-b added and not allowed", pureGroup, pg.Targets)
	}
}

// boundSoFarFix is the advice of a binding that failed after adding the
// target to the driver's Pure group.
const boundSoFarFix = `[\s\S]*The policy is not created yet; what it changed on Pure protection group consisgroup-[0-9a-f-]+-cinder on flasharray-a \(target flasharray-b added[^)]*\) is recorded`

// TestAccFault_arrayLostWhileAttachingPolicy: the secondary FlashArray
// becomes unreachable, or rejects its API token, at the moment the policy
// allows the Cinder driver's Pure protection group on it. The apply fails
// naming the array; the metadata has no policy and the state no policy
// resource; what the binding changed is recorded, the re-apply completes
// the binding on the same group, and removing the policy then undoes all
// of it (target, schedule): the driver's group is left as the driver made it.
func TestAccFault_arrayLostWhileAttachingPolicy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(w *accWorld) func()
		want  string
	}{
		{
			name: "unreachable",
			fault: func(w *accWorld) func() {
				return func() { w.Array(simulator.ArrayB).Faults().SetDown(true) }
			},
			want: `FlashArray error[\s\S]*FlashArray https://127\.0\.0\.1:\d+ could not be reached to allow flasharray-a:consisgroup-[0-9a-f-]+-cinder`,
		},
		{
			name: "token rejected",
			fault: func(w *accWorld) func() {
				b := w.Array(simulator.ArrayB)
				return func() {
					// The session ends and the token no longer logs in, as
					// after a token rotation on the array.
					b.ExpireSessions()
					b.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/login", Status: http.StatusUnauthorized,
						Body: `{"errors":[{"context":"pureuser","message":"Invalid credentials."}]}`})
				}
			},
			want: `FlashArray error[\s\S]*https://127\.0\.0\.1:\d+[\s\S]*(token|credentials|401)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newAccWorld(t)
			base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
			config := base + policyHCL(w, false, 300, 15)
			arrayB := w.Array(simulator.ArrayB)
			var groupID, primaryCG, secondaryCG string
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []tfresource.TestStep{
					{Config: base, Check: tfresource.ComposeTestCheckFunc(
						capture(groupAddr, "id", &groupID),
						capture(groupAddr, "primary_consistency_group_id", &primaryCG),
						capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
					)},
					{
						PreConfig: func() {
							// The first change on flasharray-b is allowing the
							// target: the plan only reads.
							arrayB.Faults().Add(fault.Rule{Method: http.MethodPatch, Times: 1, Do: tc.fault(w)})
						},
						Config:      config,
						ExpectError: wrapped(tc.want + boundSoFarFix),
					},
					{
						PreConfig: func() {
							expectPolicyNotAttached(t, w, groupID, simulator.ConsistencyGroupPGName(primaryCG))
							arrayB.Faults().Clear()
						},
						Config: config,
						ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(policyAddr, plancheck.ResourceActionCreate),
						}},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("target_allowed"), knownvalue.Bool(true)),
						},
						Check: expectNewestVersion(w, &groupID, 2),
					},
					{
						Config: base,
						Check:  expectPureGroups(w, driverGroupOnly(&primaryCG), driverGroupOnly(&secondaryCG)),
					},
				},
				CheckDestroy: expectDriverLeftovers(w, &primaryCG, &secondaryCG),
			})
		})
	}
}

// TestAccFault_retries: 5xx bursts and 429 with Retry-After from every API
// (Keystone, Nova, Cinder, object storage, FlashArray) during a full apply.
// A burst of max_retries 503s is absorbed (every injected 503 was served
// and the apply succeeded); a 429 whose Retry-After (3 s) is longer than the
// whole backoff without it (2 retries) is honoured, or the apply would run
// out of retries; a 503 that does not end fails with an error naming the
// site or array and the retries, after max_retries+1 attempts per request
// (the count is a multiple of it: several resources read in parallel),
// having changed nothing on either site or array; the state still plans
// the change, and the apply once the fault is cleared makes it.
func TestAccFault_retries(t *testing.T) {
	const maxRetries = 2
	type target struct {
		injector func(w *accWorld) *fault.Injector
		method   string
		path     string
		want     string // the error once the retries ran out
	}
	site := func(w *accWorld) *fault.Injector { return w.Site(simulator.SiteA).Faults() }
	array := func(w *accWorld) *fault.Injector { return w.Array(simulator.ArrayA).Faults() }
	for name, tc := range map[string]target{
		"keystone":   {site, http.MethodPost, "/identity/v3/auth/tokens", `site-a[\s\S]*HTTP 503: Service busy, injected \(retried up to 2 times\)`},
		"nova":       {site, http.MethodGet, "/compute/", `site-a[\s\S]*HTTP 503: Service busy, injected \(retried up to 2 times\)`},
		"cinder":     {site, http.MethodGet, "/volume/", `site-a[\s\S]*HTTP 503: Service busy, injected \(retried up to 2 times\)`},
		"swift":      {site, http.MethodGet, "/object-store/", `site-a[\s\S]*HTTP 503: Service busy, injected \(retried up to 2 times\)`},
		"flasharray": {array, http.MethodGet, "/api/", `FlashArray https://127\.0\.0\.1:\d+[\s\S]*503 Service Unavailable \(after 3 attempts\)`},
	} {
		t.Run(name, func(t *testing.T) {
			w := newAccWorld(t)
			inj := tc.injector(w)
			config := func(description string) string {
				return w.provider(providerOptions{arrayTokens: true, maxRetries: maxRetries}) + sitesHCL +
					groupHCL(description, "async", simulator.TypeReplicatedSSD) + policyHCL(w, false, 300, 15) +
					memberHCL("web1", simulator.WebServer1ID)
			}
			busy := `{"message":"Service busy, injected"}`
			mark := 0
			var rateLimited atomic.Int32
			var before string
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []tfresource.TestStep{
					{
						PreConfig: func() {
							inj.Add(fault.Rule{Method: tc.method, PathContains: tc.path, Times: maxRetries, Status: http.StatusServiceUnavailable, Body: busy})
						},
						Config: config("burst"),
						Check: func(*terraform.State) error {
							if n := inj.Rules(); n != 0 {
								return fmt.Errorf("%d injected 503 rule(s) were never served", n)
							}
							return nil
						},
					},
					{
						PreConfig: func() {
							inj.Add(fault.Rule{Method: tc.method, PathContains: tc.path, For: 3 * time.Second, Status: http.StatusTooManyRequests,
								Header: http.Header{"Retry-After": {"3"}}, Body: `{"message":"Too many requests, injected"}`,
								Do: func() { rateLimited.Add(1) }})
						},
						Config: config("rate limited"),
						Check: func(*terraform.State) error {
							if rateLimited.Load() == 0 {
								return fmt.Errorf("no request to %s %s was answered 429: the rate limit was never met", tc.method, tc.path)
							}
							return nil
						},
					},
					{
						PreConfig: func() {
							inj.Clear()
							before = worldSummary(w)
							mark = len(inj.Requests())
							inj.Add(fault.Rule{Method: tc.method, PathContains: tc.path, Status: http.StatusServiceUnavailable, Body: busy})
						},
						// A new member: its plan reads Nova too (a refresh that
						// cannot read Nova reports no drift rather than fail).
						Config:      config("down") + memberHCL("web2", simulator.WebServer2ID),
						ExpectError: wrapped(tc.want),
					},
					{
						PreConfig: func() {
							n := countSince(inj, mark, tc.method, tc.path)
							t.Logf("%s: %d requests answered 503 before the error", name, n)
							if n == 0 || n%(maxRetries+1) != 0 {
								t.Errorf("%d requests to %s %s, want a multiple of max_retries+1 = %d", n, tc.method, tc.path, maxRetries+1)
							}
							if after := worldSummary(w); after != before {
								t.Errorf("the failed run changed the sites or arrays:\nbefore:\n%s\nafter:\n%s", before, after)
							}
							inj.Clear()
						},
						Config: config("down") + memberHCL("web2", simulator.WebServer2ID),
						// The state still holds the last good apply: the
						// description is changed and web2 made now.
						ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
							plancheck.ExpectResourceAction("protector_member.web2", plancheck.ResourceActionCreate),
						}},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.StringExact("down")),
						},
					},
				},
			})
		})
	}
}

// groupWithTimeoutsHCL is the guide's group with a timeouts block.
func groupWithTimeoutsHCL(create, del string) string {
	return fmt.Sprintf(`
resource "protector_protection_group" "web" {
  name             = "prod-web-app"
  replication_type = "async"
  primary_site     = protector_site.a.name
  secondary_site   = protector_site.b.name
  volume_type      = %q
  timeouts {
    create = %q
    delete = %q
  }
}
`, simulator.TypeReplicatedSSD, create, del)
}

func memberWithTimeoutHCL(create string) string {
	return fmt.Sprintf(`
resource "protector_member" "web1" {
  protection_group_id = protector_protection_group.web.id
  instance_id         = %q
  timeouts {
    create = %q
  }
}
`, simulator.WebServer1ID, create)
}

// TestAccFault_slowerThanTimeout: site-b does not answer the creation of
// the secondary consistency group (nor later its deletion) for longer than
// the group's timeouts. Each apply fails with a timeout naming the operation
// and its limit, the request is not repeated, and what was made is recorded:
// the re-apply resumes the creation without a duplicate, and the re-run
// destroy finishes the deletion on both sites. Changing only the limits
// writes nothing on the sites.
func TestAccFault_slowerThanTimeout(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	sites := w.provider(providerOptions{}) + sitesHCL
	config := sites + groupWithTimeoutsHCL("3s", "3s")
	siteB := w.Site(simulator.SiteB).Faults()
	var groupID, secondaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: sites},
			{
				PreConfig: func() {
					siteB.ResetRequests()
					siteB.Add(fault.Rule{Method: http.MethodPost, PathContains: "/groups", Times: 1, Hang: true})
				},
				Config:      config,
				ExpectError: wrapped(`Timeout: could not create protection group prod-web-app within 3s[\s\S]*timeouts.create = "3s"[\s\S]*apply again to resume`),
			},
			{
				PreConfig: func() {
					if n := siteB.Count(http.MethodPost, "/groups"); n != 1 {
						t.Errorf("site-b saw %d group creations, want 1: a create is not repeated blindly", n)
					}
					if cgs := consistencyGroups(w, simulator.SiteA); len(cgs) != 1 {
						t.Errorf("site-a has consistency groups %v after the timeout, want the primary one", cgs)
					}
					if cgs := consistencyGroups(w, simulator.SiteB); len(cgs) != 0 {
						t.Errorf("site-b has consistency groups %v, want none (the request never completed)", cgs)
					}
				},
				Config: config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionCreate),
				}},
				Check: tfresource.ComposeTestCheckFunc(
					expectConsistencyGroups(w),
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
				),
			},
			{Config: config + memberWithTimeoutHCL("1m")},
			{
				// Changing only the time limits writes nothing on the sites.
				Config: sites + groupWithTimeoutsHCL("4s", "3s") + memberWithTimeoutHCL("2m"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("protector_member.web1", plancheck.ResourceActionUpdate),
				}},
				Check: expectVersions(w, &groupID, "1,2", "1,2"),
			},
			{
				// Destroy the group while site-b sits on its deletion.
				PreConfig: func() {
					siteB.Add(fault.Rule{Method: http.MethodPost, PathContains: "/groups/" + secondaryCG + "/action", Times: 1, Hang: true})
				},
				Config:      sites,
				ExpectError: wrapped(`Timeout: could not delete protection group prod-web-app within 3s[\s\S]*timeouts.delete = "3s"`),
			},
			{
				PreConfig: func() {
					if v := metadataVersions(w.Site(simulator.SiteA), groupID); len(v) == 0 {
						t.Errorf("the metadata of %s is gone although the deletion did not finish", groupID)
					}
				},
				Config: sites,
				Check: func(*terraform.State) error {
					for _, site := range []string{simulator.SiteA, simulator.SiteB} {
						if cgs := consistencyGroups(w, site); len(cgs) != 0 {
							return fmt.Errorf("site %s keeps consistency groups %v after the destroy", site, cgs)
						}
						if v := metadataVersions(w.Site(site), groupID); len(v) != 0 {
							return fmt.Errorf("site %s keeps metadata versions %v after the destroy", site, v)
						}
					}
					return nil
				},
			},
		},
	})
}

// TestAccFault_credentialsExpireMidRun: in the middle of an apply that adds
// a policy and a member, the Keystone tokens of both sites and the array
// sessions of both FlashArrays expire (at each one's first write). Each
// client re-authenticates exactly once, transparently: the apply succeeds.
func TestAccFault_credentialsExpireMidRun(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	type expiry struct {
		name    string
		inj     *fault.Injector
		method  string // the write at which the credential expires
		path    string
		login   string // the re-authentication request
		expire  func()
		mark    atomic.Int64 // requests seen when it expired; set by the server
		expired atomic.Bool
	}
	siteA, siteB := w.Site(simulator.SiteA), w.Site(simulator.SiteB)
	arrayA, arrayB := w.Array(simulator.ArrayA), w.Array(simulator.ArrayB)
	expiries := []*expiry{
		{name: "site-a token", inj: siteA.Faults(), method: http.MethodPut, path: "/protector/groups/", login: "/identity/v3/auth/tokens", expire: siteA.ExpireTokens},
		{name: "site-b token", inj: siteB.Faults(), method: http.MethodPut, path: "/protector/groups/", login: "/identity/v3/auth/tokens", expire: siteB.ExpireTokens},
		{name: "flasharray-a session", inj: arrayA.Faults(), method: http.MethodPatch, path: "/api/", login: "/login", expire: arrayA.ExpireSessions},
		{name: "flasharray-b session", inj: arrayB.Faults(), method: http.MethodPatch, path: "/api/", login: "/login", expire: arrayB.ExpireSessions},
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: base},
			{
				PreConfig: func() {
					for _, e := range expiries {
						e.inj.Add(fault.Rule{Method: e.method, PathContains: e.path, Times: 1, Do: func() {
							e.expire()
							e.mark.Store(int64(len(e.inj.Requests())))
							e.expired.Store(true)
						}})
					}
				},
				Config: base + policyHCL(w, false, 300, 15) + memberHCL("web1", simulator.WebServer1ID),
				Check: func(*terraform.State) error {
					for _, e := range expiries {
						if !e.expired.Load() {
							return fmt.Errorf("%s: the apply made no %s %s, so nothing expired", e.name, e.method, e.path)
						}
						if n := countSince(e.inj, int(e.mark.Load()), http.MethodPost, e.login); n != 1 {
							return fmt.Errorf("%s expired mid-run: %d re-authentications (POST %s), want exactly 1", e.name, n, e.login)
						}
					}
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("target_allowed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("protector_member.web1", tfjsonpath.New("status"), knownvalue.StringExact("protected")),
				},
			},
		},
	})
}

// TestAccFault_policySlowerThanTimeout: flasharray-b does not answer when
// the policy allows the driver's Pure group on it, for longer than the
// policy's timeouts.create. The apply fails with the timeout and what was
// recorded; the re-apply completes the binding on the same Pure group.
func TestAccFault_policySlowerThanTimeout(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	policy := strings.Replace(policyHCL(w, false, 300, 15), "  rpo_minutes          = 15\n",
		"  rpo_minutes          = 15\n  timeouts {\n    create = \"3s\"\n  }\n", 1)
	arrayB := w.Array(simulator.ArrayB).Faults()
	var groupID, primaryCG, secondaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: base, Check: tfresource.ComposeTestCheckFunc(
				capture(groupAddr, "id", &groupID),
				capture(groupAddr, "primary_consistency_group_id", &primaryCG),
				capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
			)},
			{
				PreConfig: func() { arrayB.Add(fault.Rule{Method: http.MethodPatch, Times: 1, Hang: true}) },
				Config:    base + policy,
				ExpectError: wrapped(`Timeout: could not create the replication policy of pg-[0-9a-f-]+ within 3s[\s\S]*timeouts.create = "3s"` +
					boundSoFarFix),
			},
			{
				PreConfig: func() { expectPolicyNotAttached(t, w, groupID, simulator.ConsistencyGroupPGName(primaryCG)) },
				Config:    base + policy,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(policyAddr, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("target_allowed"), knownvalue.Bool(true)),
				},
				Check: expectNewestVersion(w, &groupID, 2),
			},
		},
		CheckDestroy: expectDriverLeftovers(w, &primaryCG, &secondaryCG),
	})
}

// TestAccFault_repairAnswerLost: the secondary consistency group was
// deleted by hand, and the repair's create goes through on site-b but its
// answer is lost. The apply fails naming site-b; the re-apply adopts the
// group that was made instead of making another.
func TestAccFault_repairAnswerLost(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	siteB := w.Site(simulator.SiteB)
	var secondaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: config, Check: capture(groupAddr, "secondary_consistency_group_id", &secondaryCG)},
			{
				PreConfig: func() {
					siteB.Update(func(st *openstacksim.State) { delete(st.Groups, secondaryCG) })
					siteB.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/groups", Times: 1, After: true, Drop: true})
				},
				Config:      config,
				ExpectError: wrapped(`remote site unreachable \(site site-b\)[\s\S]*could not be reached to create the consistency group`),
			},
			{
				PreConfig: func() {
					if cgs := consistencyGroups(w, simulator.SiteB); len(cgs) != 1 {
						t.Errorf("site-b has consistency groups %v, want the one whose answer was lost", cgs)
					}
					siteB.Faults().Clear()
				},
				Config: config,
				Check:  expectConsistencyGroups(w),
			},
		},
	})
}
