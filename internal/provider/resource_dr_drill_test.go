package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

const drillAddr = "protector_dr_drill.q4"

// drillHCL is a drill of the guide's group once its policy and member exist.
const drillHCL = `
resource "protector_dr_drill" "q4" {
  protection_group_id = protector_protection_group.web.id
  triggers            = { quarter = "2026-Q4" }
  depends_on          = [protector_member.web1, protector_replication_policy.web]
}
`

// drillServers are site-b's servers the drill made (named drill-...).
func drillServers(w *accWorld) []openstacksim.Server {
	var out []openstacksim.Server
	w.Site(simulator.SiteB).Update(func(st *openstacksim.State) {
		for _, sv := range st.Servers {
			if strings.HasPrefix(sv.Name, "drill-") {
				out = append(out, *sv)
			}
		}
	})
	return out
}

// productionUntouched checks that no object that existed before changed,
// and that what was added is the drill's: on site-b and flasharray-b, and
// the drill's entry in the group's sync log on site-a.
func productionUntouched(w *accWorld, before *simulator.Objects) tfresource.TestCheckFunc {
	return func(*terraform.State) error {
		now := w.Objects()
		changed, added := before.Changed(now)
		if len(changed) > 0 {
			return fmt.Errorf("the drill changed production objects %q", changed)
		}
		for _, k := range added {
			if !strings.HasPrefix(k, simulator.SiteB+" ") && !strings.HasPrefix(k, simulator.ArrayB+" volume ") &&
				!regexp.MustCompile(`^site-a object protector/groups/[^/]+/log/`).MatchString(k) {
				return fmt.Errorf("the drill made %s outside the secondary site and array", k)
			}
		}
		return nil
	}
}

// The guide's group drilled through OpenTofu: refused at plan while the
// target backend is down (nothing made); then web-server-1 is brought up
// on site-b, ACTIVE, with its recovery time, production unchanged; the
// next plan is empty; a changed trigger runs it again (the old drill
// cleaned first); destroying the drill leaves site-b and flasharray-b as
// they were, destroyed array volumes aside.
func TestAccDrill_lifecycle(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	backendB, _, _ := strings.Cut(simulator.HostB, "#")
	var primaryCG, firstServer string
	before := &simulator.Objects{}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: resources, Check: capture(groupAddr, "primary_consistency_group_id", &primaryCG)},
			{
				PreConfig: func() {
					snapshotNow(t, w, primaryCG)
					w.Site(simulator.SiteB).SetVolumeServiceDown(backendB, true)
					*before = w.Objects()
				},
				Config:      resources + drillHCL,
				ExpectError: regexp.MustCompile(`not ready to fail over(.|\n)*target_backend_up\s+\[site-b\]`),
			},
			{
				PreConfig: func() {
					if _, added := before.Changed(w.Objects()); len(added) > 0 {
						t.Errorf("a drill refused at plan made %q", added)
					}
					w.Site(simulator.SiteB).SetVolumeServiceDown(backendB, false)
					*before = w.Objects()
				},
				Config: resources + drillHCL,
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(drillAddr, "site", simulator.SiteB),
					tfresource.TestCheckResourceAttr(drillAddr, "array", simulator.ArrayB),
					tfresource.TestCheckResourceAttr(drillAddr, "members.#", "1"),
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.instance_name", simulator.WebServer1Name),
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.outcome", "ACTIVE"),
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.volume_ids.#", "2"),
					tfresource.TestMatchResourceAttr(drillAddr, "snapshot", regexp.MustCompile(`^flasharray-a:consisgroup-.*-cinder\.\d+$`)),
					tfresource.TestMatchResourceAttr(drillAddr, "recovery_time_seconds", regexp.MustCompile(`^0?\.\d*[1-9]|^[1-9]`)),
					capture(drillAddr, "members.0.server_id", &firstServer),
					func(*terraform.State) error {
						sv := drillServers(w)
						if len(sv) != 1 || sv[0].ID != firstServer || sv[0].Status != "ACTIVE" {
							return fmt.Errorf("drill servers on site-b = %+v, want %s ACTIVE", sv, firstServer)
						}
						return nil
					},
					productionUntouched(w, before),
				),
			},
			{
				Config: strings.Replace(resources+drillHCL, "2026-Q4", "2027-Q1", 1),
				Check: func(*terraform.State) error {
					sv := drillServers(w)
					if len(sv) != 1 || sv[0].ID == firstServer || sv[0].Status != "ACTIVE" {
						return fmt.Errorf("after the trigger changed, drill servers = %+v, want one new ACTIVE", sv)
					}
					return nil
				},
			},
			{
				Config: resources,
				Check: tfresource.ComposeTestCheckFunc(
					func(*terraform.State) error {
						if sv := drillServers(w); len(sv) != 0 {
							return fmt.Errorf("drill servers left on site-b: %+v", sv)
						}
						changed, added := before.Changed(w.Objects())
						if len(changed) > 0 {
							return fmt.Errorf("production objects changed: %q", changed)
						}
						for _, k := range added {
							if !strings.Contains(k, "/log/") && !strings.HasPrefix(k, simulator.ArrayB+" volume volume-") {
								return fmt.Errorf("destroying the drill left %s", k)
							}
							if strings.HasPrefix(k, simulator.ArrayB+" volume ") && !strings.Contains(w.Objects()[k], `"Destroyed":true`) {
								return fmt.Errorf("array volume %s of the drill is not destroyed", k)
							}
						}
						return nil
					},
				),
			},
		},
	})
}

// A drill whose VM cannot boot (Nova answers 500 once) fails the apply
// naming the member; the next apply replaces the tainted drill: what the
// failed one made is removed and one drill VM runs.
func TestAccDrill_interruptedIsCleanedByTheNextApply(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	var primaryCG string
	var volumesBefore int
	countVolumes := func() int {
		n := 0
		w.Site(simulator.SiteB).Update(func(st *openstacksim.State) { n = len(st.Volumes) })
		return n
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: resources, Check: capture(groupAddr, "primary_consistency_group_id", &primaryCG)},
			{
				PreConfig: func() {
					snapshotNow(t, w, primaryCG)
					volumesBefore = countVolumes()
					w.Site(simulator.SiteB).Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/servers", Times: 1, Status: 500,
						Body: `{"computeFault": {"code": 500, "message": "Injected failure."}}`})
				},
				Config:      resources + drillHCL,
				ExpectError: regexp.MustCompile(`could\s+not\s+bring\s+up\s+1\s+of\s+1\s+members`),
			},
			{
				Config: resources + drillHCL,
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.outcome", "ACTIVE"),
					func(*terraform.State) error {
						if sv := drillServers(w); len(sv) != 1 {
							return fmt.Errorf("drill servers = %+v, want the new drill's only", sv)
						}
						if got := countVolumes(); got != volumesBefore+2 {
							return fmt.Errorf("site-b has %d volumes, want %d: the failed drill's were not removed", got, volumesBefore+2)
						}
						return nil
					},
				),
			},
		},
	})
}

// Without an admin credential for site-b the drill is refused at plan,
// naming the argument to set.
func TestAccDrill_needsTheSecondaryAdmin(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	resources := readinessResources(w, providerOptions{}, 15)
	var primaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: resources, Check: capture(groupAddr, "primary_consistency_group_id", &primaryCG)},
			{
				PreConfig:   func() { snapshotNow(t, w, primaryCG) },
				Config:      resources + drillHCL,
				ExpectError: regexp.MustCompile(`sites\.site-b\.admin`),
			},
		},
	})
}

// A drill in the configuration that creates its group: refused at plan
// without replicate_now (the new policy will not have replicated
// anything); with it, the first apply makes the group, its policy and
// member, replicates a snapshot and drills from it.
func TestAccDrill_withItsGroup(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      resources + drillHCL,
				ExpectError: regexp.MustCompile(`created by this plan(.|\n)*replicate_now = true`),
			},
			{
				Config: resources + strings.Replace(drillHCL, "triggers", "replicate_now       = true\n  triggers", 1),
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.outcome", "ACTIVE"),
					tfresource.TestMatchResourceAttr(drillAddr, "snapshot", regexp.MustCompile(`^flasharray-a:consisgroup-.*-cinder\.\d+$`)),
				),
			},
		},
	})
}

// A sync group's drill through OpenTofu: refused at plan without a
// volume_type; with replicated-ssd it comes up from the pod's copy on
// flasharray-b, production unchanged.
func TestAccDrill_syncGroup(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	resources := w.provider(providerOptions{admin: true, arrayTokens: true}) + sitesHCL + groupHCL("db", "sync", simulator.TypeReplicatedSync) +
		policyHCL(w, false, 0, 0) + memberHCL("web1", simulator.SyncServerID)
	before := &simulator.Objects{}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: resources, Check: func(*terraform.State) error { *before = w.Objects(); return nil }},
			{Config: resources + drillHCL, ExpectError: regexp.MustCompile(`Set\s+volume_type`)},
			{
				Config: resources + strings.Replace(drillHCL, "triggers", "volume_type         = \""+simulator.TypeReplicatedSSD+"\"\n  triggers", 1),
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(drillAddr, "snapshot", "pod "+simulator.CinderPod),
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.outcome", "ACTIVE"),
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.volume_ids.#", "2"),
					productionUntouched(w, before),
				),
			},
		},
	})
}

// Portable (both lanes): the guide's group drilled with replicate_now;
// web-server-1 comes up on site-b from the replicated copies, ACTIVE with
// both volumes; destroying the drill removes its VM and volumes there,
// while the protected VM's volumes stay in their consistency group.
func TestAccDrill_portable(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	drill := strings.Replace(drillHCL, "triggers", "replicate_now       = true\n  triggers", 1)
	var server, vol0, vol1, primaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: resources + drill,
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.outcome", "ACTIVE"),
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.volume_ids.#", "2"),
					capture(drillAddr, "members.0.server_id", &server),
					capture(drillAddr, "members.0.volume_ids.0", &vol0),
					capture(drillAddr, "members.0.volume_ids.1", &vol1),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					func(*terraform.State) error {
						sv, ok := w.view(simulator.SiteB).Server(server)
						if !ok || sv.Status != "ACTIVE" {
							return fmt.Errorf("drill server %s on site-b: %+v, %v", server, sv, ok)
						}
						for _, id := range []string{vol0, vol1} {
							v, ok := w.view(simulator.SiteB).Volume(id)
							if !ok || v.Status != "in-use" || !strings.HasPrefix(v.Metadata["array_volume_name"], "volume-"+id) {
								return fmt.Errorf("drill volume %s on site-b: %+v, %v", id, v, ok)
							}
						}
						return nil
					},
				),
			},
			{
				Config: resources,
				Check: func(*terraform.State) error {
					if _, ok := w.view(simulator.SiteB).Server(server); ok {
						return fmt.Errorf("the drill's server %s is still on site-b", server)
					}
					for _, id := range []string{vol0, vol1} {
						if _, ok := w.view(simulator.SiteB).Volume(id); ok {
							return fmt.Errorf("the drill's volume %s is still on site-b", id)
						}
					}
					for _, id := range w.fx.WebServer1.VolumeIDs {
						if v, ok := w.view(simulator.SiteA).Volume(id); !ok || v.GroupID != primaryCG {
							return fmt.Errorf("protected volume %s after the drill: %+v, %v", id, v, ok)
						}
					}
					return nil
				},
			},
		},
	})
}

// A provider that dies mid-drill strands the drill: its volumes and array
// copies on site-b, its record still running, and no state holding it.
// Here the drill's last record writes never reach site-b (as when the
// process dies) and a removed block then forgets the drill without
// destroying it. A new drill of the group is refused at plan, naming the
// import id; imported, the drill is managed again and its replacement
// removes what it made.
func TestAccDrill_strandedIsRefusedUntilImported(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	siteB := w.Site(simulator.SiteB)
	var primaryCG string
	// strandedImportID is the import id of the one drill record on site-b.
	strandedImportID := func(*terraform.State) (string, error) {
		var ids []string
		siteB.Update(func(st *openstacksim.State) {
			for _, c := range st.Containers {
				for name := range c.Objects {
					if m := regexp.MustCompile(`^groups/([^/]+)/drills/([^/]+)\.json$`).FindStringSubmatch(name); m != nil {
						ids = append(ids, simulator.SiteB+"/"+m[1]+"/"+m[2])
					}
				}
			}
		})
		if len(ids) != 1 {
			return "", fmt.Errorf("drill records on site-b: %q, want the stranded one", ids)
		}
		return ids[0], nil
	}
	var strandedID string
	const forgetDrill = `
removed {
  from = protector_dr_drill.q4
  lifecycle {
    destroy = false
  }
}
`
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if sv := drillServers(w); len(sv) != 0 {
				return fmt.Errorf("drill servers left on site-b: %+v", sv)
			}
			_, err := strandedImportID(nil)
			if err == nil {
				return fmt.Errorf("a drill record is left on site-b")
			}
			return nil
		},
		Steps: []tfresource.TestStep{
			{Config: resources, Check: capture(groupAddr, "primary_consistency_group_id", &primaryCG)},
			{
				PreConfig: func() {
					snapshotNow(t, w, primaryCG)
					// The VM's boot fails, and from then on the process
					// writes nothing more to site-b.
					siteB.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/servers", Times: 1, Status: 500,
						Body: `{"computeFault": {"code": 500, "message": "Injected failure."}}`,
						Do: func() {
							siteB.Faults().Add(fault.Rule{Method: http.MethodPut, PathContains: "/drills/", Status: http.StatusForbidden})
						}})
				},
				Config:      resources + drillHCL,
				ExpectError: regexp.MustCompile(`could\s+not\s+bring\s+up\s+1\s+of\s+1\s+members`),
			},
			{
				PreConfig: func() { siteB.Faults().Clear() },
				Config:    resources + forgetDrill,
				Check: func(s *terraform.State) error {
					var err error
					strandedID, err = strandedImportID(s)
					return err
				},
			},
			{
				Config:      resources + drillHCL,
				ExpectError: regexp.MustCompile(`did\s+not\s+finish,\s+and\s+no\s+state\s+holds\s+it(.|\n)*terraform\s+import\s+protector_dr_drill\.<name>\s+site-b/pg-[0-9a-f-]+/drill-[0-9a-f-]+`),
			},
			{
				Config:             resources + drillHCL,
				ResourceName:       drillAddr,
				ImportState:        true,
				ImportStateIdFunc:  strandedImportID,
				ImportStatePersist: true,
			},
			{
				// The imported drill lacks the configuration's triggers:
				// it is replaced, its objects removed first.
				Config: resources + drillHCL,
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(drillAddr, "members.0.outcome", "ACTIVE"),
					func(s *terraform.State) error {
						if id, err := strandedImportID(s); err != nil || id == strandedID {
							return fmt.Errorf("drill records after the replacement: %s, %v; want the new drill's only", id, err)
						}
						return nil
					},
				),
			},
		},
	})
}
