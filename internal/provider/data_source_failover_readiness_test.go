package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/config"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

const readinessAddr = "data.protector_failover_readiness.web"

// readinessHCL reads the group's readiness after its policy and members.
const readinessHCL = `
data "protector_failover_readiness" "web" {
  protection_group_id = protector_protection_group.web.id
  depends_on          = [protector_member.web1, protector_replication_policy.web]
}
`

// readinessAfterHCL reads the group's readiness depending on the group
// only: a refresh reads it even when a member or the policy drifted (a
// data source that depends on a resource with changes is read at apply).
const readinessAfterHCL = `
data "protector_failover_readiness" "web" {
  protection_group_id = protector_protection_group.web.id
}
`

// readinessResources is the guide's async group with its policy (the Pure
// driver's group, RPO rpo minutes) and web-server-1.
func readinessResources(w *accWorld, o providerOptions, rpo int) string {
	o.arrayTokens = true
	return w.provider(o) + sitesHCL + groupHCL("web", "async", simulator.TypeReplicatedSSD) +
		policyHCL(w, false, 300, rpo) + memberHCL("web1", w.fx.WebServer1.ID)
}

// readinessConfig is readinessResources and their readiness.
func readinessConfig(w *accWorld, o providerOptions, rpo int) string {
	return readinessResources(w, o, rpo) + readinessHCL
}

// expectReadiness checks ready and, when not ready, that a blocker of
// check names every one of want; the state's blockers are read as
// flattened attributes.
func expectReadiness(ready bool, check string, want ...string) tfresource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[readinessAddr]
		if !ok {
			return fmt.Errorf("%s is not in the state", readinessAddr)
		}
		a := rs.Primary.Attributes
		var blockers []string
		for i := 0; a[fmt.Sprintf("blockers.%d.check", i)] != ""; i++ {
			p := fmt.Sprintf("blockers.%d.", i)
			blockers = append(blockers, a[p+"check"]+" ["+a[p+"site"]+"]: "+a[p+"message"]+" (fix: "+a[p+"fix"]+")")
		}
		if got := a["ready"]; got != fmt.Sprint(ready) {
			return fmt.Errorf("ready = %s, want %v; blockers %q", got, ready, blockers)
		}
		if ready {
			if len(blockers) != 0 {
				return fmt.Errorf("ready with blockers %q", blockers)
			}
			return nil
		}
		for _, b := range blockers {
			if !strings.HasPrefix(b, check+" [") {
				continue
			}
			missing := false
			for _, w := range want {
				missing = missing || !strings.Contains(b, w)
			}
			if !missing {
				return nil
			}
		}
		return fmt.Errorf("no %s blocker naming %q among %q", check, want, blockers)
	}
}

// readinessSteps: the resources made, their readiness is ready; broken, a
// refresh reports the blocker of check naming want; mended, a refresh
// reports ready. drift: the broken state is also drift of a resource,
// which a plan shows.
func readinessSteps(resources string, breakIt, mendIt func(), drift bool, check string, want ...string) []tfresource.TestStep {
	return []tfresource.TestStep{
		{Config: resources},
		{Config: resources + readinessAfterHCL, Check: expectReadiness(true, "")},
		{PreConfig: breakIt, RefreshState: true, ExpectNonEmptyPlan: drift, Check: expectReadiness(false, check, want...)},
		{PreConfig: mendIt, RefreshState: true, Check: expectReadiness(true, "")},
	}
}

// TestAccFailoverReadiness_ready needs no fault: the guide's group, with
// its policy and a member, is ready on both lanes; without an admin
// credential the admin-only checks are warnings naming them; the networks
// are a warning: the member's description records no ports (both lanes'
// Neutron is empty), so none was checked.
func TestAccFailoverReadiness_ready(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: readinessConfig(w, providerOptions{}, 15),
			Check:  expectReadiness(true, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(readinessAddr, tfjsonpath.New("source_site"), knownvalue.StringExact(simulator.SiteA)),
				statecheck.ExpectKnownValue(readinessAddr, tfjsonpath.New("target_site"), knownvalue.StringExact(simulator.SiteB)),
				statecheck.ExpectKnownValue(readinessAddr, tfjsonpath.New("blockers"), knownvalue.ListSizeExact(0)),
				readinessWarning("networks_mapped", "no network was checked"),
				readinessWarning("target_backend_up", "sites.site-b.admin"),
				readinessWarning("target_volume_type", "sites.site-b.admin"),
			},
		}},
	})
}

// readinessWarning checks a warning of check whose message or fix says want
// (the admin-only ones in a member run only: an admin's run has none).
func readinessWarning(check, want string) statecheck.StateCheck {
	return stateFunc(func(s *tfjson.State) error {
		if realAdminRun() && check != "networks_mapped" {
			return nil
		}
		for _, r := range s.Values.RootModule.Resources {
			if r.Address != readinessAddr {
				continue
			}
			for _, wv := range r.AttributeValues["warnings"].([]any) {
				m := wv.(map[string]any)
				if m["check"] == check && (strings.Contains(m["message"].(string), want) || strings.Contains(m["fix"].(string), want)) {
					return nil
				}
			}
			return fmt.Errorf("no %s warning saying %q: %v", check, want, r.AttributeValues["warnings"])
		}
		return fmt.Errorf("%s is not in the state", readinessAddr)
	})
}

// stateFunc is a StateCheck from a function.
type stateFunc func(*tfjson.State) error

func (f stateFunc) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		resp.Error = fmt.Errorf("no state")
		return
	}
	resp.Error = f(req.State)
}

// The peer lost its newest metadata: the sync status is FAILED; put back,
// ready. That is drift of the group itself, so the readiness is read by
// the group's id (a variable), not through the group, which a refresh
// would defer.
func TestAccFailoverReadiness_metadata(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	var name, groupID string
	var saved []byte
	siteB := w.Site(simulator.SiteB)
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	steps := readinessSteps(resources,
		func() {
			versions := siteB.Objects("protector", "groups/"+groupID+"/v/")
			name = versions[len(versions)-1]
			saved, _ = siteB.Object("protector", name)
			siteB.DeleteObject("protector", name)
		},
		func() { siteB.PutObject(simulator.Project, "protector", name, saved) },
		true, "metadata_identical", "FAILED", "site-b's newest metadata is version")
	tfresource.Test(t, tfresource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: readByGroupID(steps, resources, &groupID)})
}

// readByGroupID makes readinessSteps read the readiness by the group's id
// (a variable captured by the first step), not through the group: when the
// blocker is drift of the group itself, a refresh would defer a data
// source that depends on it.
func readByGroupID(steps []tfresource.TestStep, resources string, groupID *string) []tfresource.TestStep {
	steps[0].Check = capture(groupAddr, "id", groupID)
	steps[1].Config = resources + `
variable "group_id" {
  type = string
}

data "protector_failover_readiness" "web" {
  protection_group_id = var.group_id
}
`
	for i := 1; i < len(steps); i++ {
		steps[i].ConfigVariables = config.Variables{"group_id": lazyString{groupID}}
	}
	return steps
}

// lazyString is a configuration variable whose value is read when the step
// runs (an id an earlier step captured).
type lazyString struct{ v *string }

func (l lazyString) MarshalJSON() ([]byte, error) { return json.Marshal(*l.v) }

// A member volume left the consistency group out of band: the member is
// not protected (and drifted); put back, ready.
func TestAccFailoverReadiness_memberNotProtected(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	var cg string
	siteA := w.Site(simulator.SiteA)
	boot := simulator.WebServer1BootVolumeID
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: readinessSteps(readinessResources(w, providerOptions{admin: true}, 15),
			func() {
				siteA.Update(func(st *openstacksim.State) { cg, st.Volumes[boot].GroupID = st.Volumes[boot].GroupID, "" })
			},
			func() { siteA.Update(func(st *openstacksim.State) { st.Volumes[boot].GroupID = cg }) },
			true, "members_protected", simulator.WebServer1Name, boot, "no longer in the consistency group"),
	})
}

// The newest snapshot on the secondary array is older than the RPO (the
// arrays' clocks run 20 minutes behind); a 30 minute RPO puts it right.
func TestAccFailoverReadiness_rpo(t *testing.T) {
	t.Parallel()
	w := newAccWorldWith(t, simulator.Options{ArrayClockOffset: -20 * time.Minute})
	w.fx = simulatorFixtures()
	var primaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: readinessConfig(w, providerOptions{admin: true}, 15), Check: tfresource.ComposeTestCheckFunc(
				expectReadiness(true, ""), capture(groupAddr, "primary_consistency_group_id", &primaryCG))},
			{
				PreConfig:    func() { snapshotNow(t, w, primaryCG) },
				RefreshState: true,
				Check:        expectReadiness(false, "rpo_met", "flasharray-b", "RPO of protection group prod-web-app is not met", "RPO is 15m0s"),
			},
			{Config: readinessConfig(w, providerOptions{admin: true}, 30), Check: expectReadiness(true, "")},
		},
	})
}

// Sync: the arrays lose their connection; the connection and the pod
// (offline on flasharray-b) block; reconnected, ready.
func TestAccFailoverReadiness_arrayConnectionAndPod(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	a, b := w.Array(simulator.ArrayA), w.Array(simulator.ArrayB)
	config := w.provider(providerOptions{admin: true, arrayTokens: true}) + sitesHCL + groupHCL("db", "sync", simulator.TypeReplicatedSync) +
		policyHCL(w, false, 0, 0) + memberHCL("web1", simulator.SyncServerID)
	steps := readinessSteps(config,
		func() { flasharraysim.SetConnectionStatus(a, b, "partially_connected") },
		func() { flasharraysim.SetConnectionStatus(a, b, "connected") },
		true, "pod_stretched", "flasharray-b", "cinder-pod", "not online on flasharray-b")
	// The policy shows the pod's drift; its connection is a blocker too.
	steps[2].Check = tfresource.ComposeTestCheckFunc(steps[2].Check,
		expectReadiness(false, "array_connection", "flasharray-a", "partially_connected, not connected"))
	tfresource.Test(t, tfresource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}

// On the target: the members' flavor is missing, the project's quota is
// full, the Cinder backend is down, each a blocker; put right, ready.
func TestAccFailoverReadiness_target(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	siteB := w.Site(simulator.SiteB)
	backendB, _, _ := strings.Cut(simulator.HostB, "#")
	var tiny *openstacksim.Flavor
	config := readinessConfig(w, providerOptions{admin: true}, 15)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: config, Check: expectReadiness(true, "")},
			{
				PreConfig: func() {
					siteB.Update(func(st *openstacksim.State) {
						tiny = st.Flavors[simulator.FlavorTinyID]
						delete(st.Flavors, simulator.FlavorTinyID)
					})
				},
				RefreshState: true,
				Check:        expectReadiness(false, "flavors_present", "site-b", simulator.FlavorTiny, simulator.WebServer1Name),
			},
			{
				PreConfig: func() {
					siteB.Update(func(st *openstacksim.State) { st.Flavors[simulator.FlavorTinyID] = tiny })
					for i := range 10 {
						siteB.AddServer(openstacksim.Server{ID: fmt.Sprintf("filler-%d", i), Name: "filler", Project: simulator.Project, FlavorID: simulator.FlavorTinyID})
					}
				},
				RefreshState: true,
				Check:        expectReadiness(false, "quota_room", "site-b", "instances quota on site-b is 10 with 10 in use"),
			},
			{
				PreConfig: func() {
					siteB.Update(func(st *openstacksim.State) {
						for i := range 10 {
							delete(st.Servers, fmt.Sprintf("filler-%d", i))
						}
					})
					siteB.SetVolumeServiceDown(backendB, true)
				},
				RefreshState: true,
				Check:        expectReadiness(false, "target_backend_up", "site-b", "backend pure", "down or disabled"),
			},
			{PreConfig: func() { siteB.SetVolumeServiceDown(backendB, false) }, RefreshState: true, Check: expectReadiness(true, "")},
		},
	})
}

// The target site does not answer: a blocker naming it, within seconds (a
// 2 s reachability timeout); back, ready.
func TestAccFailoverReadiness_targetUnreachable(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	config := strings.Replace(readinessResources(w, providerOptions{admin: true}, 15), "request_timeout    = \"20s\"\n",
		"request_timeout    = \"20s\"\n  reachability_timeout = \"2s\"\n", 1)
	siteB := w.Site(simulator.SiteB)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: readinessSteps(config,
			func() { siteB.Faults().SetDown(true) },
			func() { siteB.Faults().SetDown(false) },
			false, "site_reachable", "site-b", "could not be reached", "checks that need site-b were not made"),
	})
}

// In a check block, the scoped data source warns on every plan and apply
// while a blocker exists (the check fails, the run does not), and passes
// once it is put right.
func TestAccFailoverReadiness_checkBlock(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	siteB := w.Site(simulator.SiteB)
	backendB, _, _ := strings.Cut(simulator.HostB, "#")
	config := w.provider(providerOptions{admin: true, arrayTokens: true}) + sitesHCL + groupHCL("web", "async", simulator.TypeReplicatedSSD) +
		policyHCL(w, false, 300, 15) + memberHCL("web1", simulator.WebServer1ID) + `
check "failover_ready" {
  data "protector_failover_readiness" "now" {
    protection_group_id = protector_protection_group.web.id
    depends_on          = [protector_member.web1, protector_replication_policy.web]
  }
  assert {
    condition     = data.protector_failover_readiness.now.ready
    error_message = join("; ", [for b in data.protector_failover_readiness.now.blockers : "${b.check}: ${b.message}"])
  }
}
`
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			// A check block's data source is read on every plan: the plan
			// after an apply always shows that read.
			{Config: config, ExpectNonEmptyPlan: true, ConfigStateChecks: []statecheck.StateCheck{checkStatus("failover_ready", tfjson.CheckStatusPass, "")}},
			{
				PreConfig:          func() { siteB.SetVolumeServiceDown(backendB, true) },
				Config:             config,
				ExpectNonEmptyPlan: true,
				ConfigStateChecks:  []statecheck.StateCheck{checkStatus("failover_ready", tfjson.CheckStatusFail, "target_backend_up: no pool of backend pure")},
			},
			{
				PreConfig:          func() { siteB.SetVolumeServiceDown(backendB, false) },
				Config:             config,
				ExpectNonEmptyPlan: true,
				ConfigStateChecks:  []statecheck.StateCheck{checkStatus("failover_ready", tfjson.CheckStatusPass, "")},
			},
		},
	})
}

// checkStatus checks the status of a check block in the state and, when
// want is set, that a problem's message contains it.
func checkStatus(name string, status tfjson.CheckStatus, want string) statecheck.StateCheck {
	return stateFunc(func(s *tfjson.State) error {
		for _, c := range s.Checks {
			if c.Address.Kind != tfjson.CheckKindCheckBlock || c.Address.Name != name {
				continue
			}
			if c.Status != status {
				return fmt.Errorf("check %s is %s, want %s: %+v", name, c.Status, status, c.Instances)
			}
			if want == "" {
				return nil
			}
			for _, in := range c.Instances {
				for _, p := range in.Problems {
					if strings.Contains(p.Message, want) {
						return nil
					}
				}
			}
			return fmt.Errorf("check %s: no problem saying %q: %+v", name, want, c.Instances)
		}
		return fmt.Errorf("no check block %s in the state (checks %+v)", name, s.Checks)
	})
}

// volumeTypeOn runs f on a site's volume type of that name, in the
// simulator's state.
func volumeTypeOn(t *testing.T, site *openstacksim.Site, name string, f func(st *openstacksim.State, vt *openstacksim.VolumeType)) {
	t.Helper()
	found := false
	site.Update(func(st *openstacksim.State) {
		for _, vt := range st.VolumeTypes {
			if vt.Name == name {
				found = true
				f(st, vt)
				return
			}
		}
	})
	if !found {
		t.Fatalf("%s has no volume type %s", site.Name(), name)
	}
}

// The target site's volume type lost replication_enabled (an admin's
// `volume type unset --property`): not eligible there; restored, ready.
// Then the type is deleted on the target; put back, ready.
func TestAccFailoverReadiness_targetVolumeType(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	siteB := w.Site(simulator.SiteB)
	var enabled string
	var deleted *openstacksim.VolumeType
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	steps := readinessSteps(resources,
		func() {
			volumeTypeOn(t, siteB, simulator.TypeReplicatedSSD, func(_ *openstacksim.State, vt *openstacksim.VolumeType) {
				enabled = vt.ExtraSpecs["replication_enabled"]
				delete(vt.ExtraSpecs, "replication_enabled")
			})
		},
		func() {
			volumeTypeOn(t, siteB, simulator.TypeReplicatedSSD, func(_ *openstacksim.State, vt *openstacksim.VolumeType) {
				vt.ExtraSpecs["replication_enabled"] = enabled
			})
		},
		false, "target_volume_type", "site-b", simulator.TypeReplicatedSSD, "does not have replication_enabled='<is> True'", "openstack volume type set")
	steps = append(steps,
		tfresource.TestStep{
			PreConfig: func() {
				volumeTypeOn(t, siteB, simulator.TypeReplicatedSSD, func(st *openstacksim.State, vt *openstacksim.VolumeType) {
					deleted = vt
					delete(st.VolumeTypes, vt.ID)
				})
			},
			RefreshState: true,
			Check:        expectReadiness(false, "target_volume_type", "site-b", simulator.TypeReplicatedSSD),
		},
		tfresource.TestStep{
			PreConfig:    func() { siteB.Update(func(st *openstacksim.State) { st.VolumeTypes[deleted.ID] = deleted }) },
			RefreshState: true,
			Check:        expectReadiness(true, ""),
		},
	)
	tfresource.Test(t, tfresource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}

// A DR operation of another tool is in progress: the newest metadata on
// both sites says failing_over (the same document on both, so nothing else
// blocks); over (active again), ready.
func TestAccFailoverReadiness_groupStatus(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	var groupID string
	setStatus := func(status string) func() {
		return func() {
			for _, site := range []string{simulator.SiteA, simulator.SiteB} {
				setGroupStatus(t, w.Site(site), groupID, status)
			}
		}
	}
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	steps := readinessSteps(resources, setStatus("failing_over"), setStatus("active"),
		false, "group_status", "site-a", "protection group prod-web-app is failing_over", "wait for the operation in progress to end")
	tfresource.Test(t, tfresource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: readByGroupID(steps, resources, &groupID)})
}

// The target site's consistency group was deleted out of band (drift of
// the group); restored, ready. Then it is in error; available, ready.
func TestAccFailoverReadiness_consistencyGroup(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	siteB := w.Site(simulator.SiteB)
	var groupID, secondaryCG string
	var saved *openstacksim.Group
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	steps := readinessSteps(resources,
		func() {
			siteB.Update(func(st *openstacksim.State) {
				saved = st.Groups[secondaryCG]
				delete(st.Groups, secondaryCG)
			})
		},
		func() { siteB.Update(func(st *openstacksim.State) { st.Groups[secondaryCG] = saved }) },
		true, "consistency_group", "site-b")
	steps = readByGroupID(steps, resources, &groupID)
	steps[0].Check = tfresource.ComposeTestCheckFunc(steps[0].Check, capture(groupAddr, "secondary_consistency_group_id", &secondaryCG))
	// The blocker names the deleted group.
	steps[2].Check = tfresource.ComposeTestCheckFunc(steps[2].Check, func(s *terraform.State) error {
		return expectReadiness(false, "consistency_group", "site-b", secondaryCG)(s)
	})
	steps = append(steps,
		tfresource.TestStep{
			PreConfig:       func() { siteB.Update(func(st *openstacksim.State) { st.Groups[secondaryCG].Status = "error" }) },
			RefreshState:    true,
			ConfigVariables: steps[1].ConfigVariables,
			Check: func(s *terraform.State) error {
				return expectReadiness(false, "consistency_group", "site-b", secondaryCG, "is error, not available")(s)
			},
		},
		tfresource.TestStep{
			PreConfig:       func() { siteB.Update(func(st *openstacksim.State) { st.Groups[secondaryCG].Status = "available" }) },
			RefreshState:    true,
			ConfigVariables: steps[1].ConfigVariables,
			Check:           expectReadiness(true, ""),
		},
	)
	tfresource.Test(t, tfresource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}

// The Pure protection group on flasharray-a lost a member volume (policy
// drift): it is not replicated; put back, ready. Then flasharray-b no
// longer allows the group as a target (on its own REST API): the group does
// not replicate there; allowed again, ready.
func TestAccFailoverReadiness_pureGroup(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	arrayA := w.Array(simulator.ArrayA)
	var primaryCG string
	pgName := func() string { return simulator.ConsistencyGroupPGName(primaryCG) }
	boot := simulator.ArrayVolumeName(simulator.WebServer1BootVolumeID, false)
	clientB, err := flasharray.New(flasharray.Config{URL: w.arrayURL(simulator.ArrayB), APIToken: simulator.ArrayBToken, CACertPEM: w.Array(simulator.ArrayB).CACertPEM()})
	if err != nil {
		t.Fatal(err)
	}
	allow := func(allowed bool) func() {
		return func() {
			if err := clientB.AllowProtectionGroupTarget(context.Background(), simulator.ArrayA+":"+pgName(), simulator.ArrayB, allowed); err != nil {
				t.Fatalf("allow %v %s:%s on flasharray-b: %v", allowed, simulator.ArrayA, pgName(), err)
			}
		}
	}
	steps := readinessSteps(readinessResources(w, providerOptions{admin: true}, 15),
		func() {
			if err := arrayA.RemoveProtectionGroupVolumes(pgName(), boot); err != nil {
				t.Fatal(err)
			}
		},
		func() {
			if err := arrayA.AddProtectionGroupVolumes(pgName(), boot); err != nil {
				t.Fatal(err)
			}
		},
		true, "pure_group", "flasharray-a", simulator.WebServer1BootVolumeID, "so they are not replicated")
	steps[0].Check = capture(groupAddr, "primary_consistency_group_id", &primaryCG)
	steps = append(steps,
		tfresource.TestStep{
			PreConfig:          allow(false),
			RefreshState:       true,
			ExpectNonEmptyPlan: true,
			Check: func(s *terraform.State) error {
				return expectReadiness(false, "pure_group", "flasharray-a", pgName()+" does not replicate to flasharray-b", "not an allowed target")(s)
			},
		},
		tfresource.TestStep{PreConfig: allow(true), RefreshState: true, Check: expectReadiness(true, "")},
	)
	tfresource.Test(t, tfresource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}

// A group with a member and no replication policy: nothing replicates it,
// a blocker; the policy added, ready.
func TestAccFailoverReadiness_replicationPolicy(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	noPolicy := w.provider(providerOptions{admin: true, arrayTokens: true}) + sitesHCL + groupHCL("web", "async", simulator.TypeReplicatedSSD) +
		memberHCL("web1", w.fx.WebServer1.ID) + `
data "protector_failover_readiness" "web" {
  protection_group_id = protector_protection_group.web.id
  depends_on          = [protector_member.web1]
}
`
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: noPolicy, Check: expectReadiness(false, "replication_policy", "site-a", "prod-web-app has no replication policy", "protector_replication_policy")},
			{Config: readinessConfig(w, providerOptions{admin: true}, 15), Check: expectReadiness(true, "")},
		},
	})
}

// readinessJobHCL is the scheduled readiness job of the drift-detection
// guide: a root module of its own, with no resources, reading the
// readiness by the group's id. The removed blocks (destroy = false) forget
// the resources the first step made without destroying them (they live on
// in the simulator): a failure that makes their refresh fail (a member's VM
// deleted, the primary site down) does not keep the job from reading the
// readiness.
const readinessJobHCL = `
removed {
  from = protector_member.web1
  lifecycle {
    destroy = false
  }
}

removed {
  from = protector_replication_policy.web
  lifecycle {
    destroy = false
  }
}

removed {
  from = protector_protection_group.web
  lifecycle {
    destroy = false
  }
}

removed {
  from = protector_site.a
  lifecycle {
    destroy = false
  }
}

removed {
  from = protector_site.b
  lifecycle {
    destroy = false
  }
}

variable "group_id" {
  type = string
}

data "protector_failover_readiness" "web" {
  protection_group_id = var.group_id
}
`

// readinessJobSteps: the resources made; the readiness job's root module
// (provider, the job) reads ready; broken, it reports the blocker of check
// naming want; mended, ready.
func readinessJobSteps(resources, provider string, breakIt, mendIt func(), check string, want ...string) []tfresource.TestStep {
	var groupID string
	vars := config.Variables{"group_id": lazyString{&groupID}}
	job := provider + readinessJobHCL
	return []tfresource.TestStep{
		{Config: resources, Check: capture(groupAddr, "id", &groupID)},
		{Config: job, ConfigVariables: vars, Check: expectReadiness(true, "")},
		{PreConfig: breakIt, Config: job, ConfigVariables: vars, Check: expectReadiness(false, check, want...)},
		{PreConfig: mendIt, Config: job, ConfigVariables: vars, Check: expectReadiness(true, "")},
	}
}

// web-server-1 was deleted on site-a out of band: the member's VM is not
// there to fail over, a blocker. (The member's refresh fails then, as an
// apply cannot repair it: the readiness job's root module reads it.) The
// VM back, ready.
func TestAccFailoverReadiness_membersPresent(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	siteA := w.Site(simulator.SiteA)
	var saved *openstacksim.Server
	o := providerOptions{admin: true, arrayTokens: true}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: readinessJobSteps(readinessResources(w, o, 15), w.provider(o),
			func() {
				siteA.Update(func(st *openstacksim.State) {
					saved = st.Servers[simulator.WebServer1ID]
					delete(st.Servers, simulator.WebServer1ID)
				})
			},
			func() { siteA.Update(func(st *openstacksim.State) { st.Servers[simulator.WebServer1ID] = saved }) },
			"members_present", "site-a", simulator.WebServer1Name, simulator.WebServer1ID, "no longer exists on site-a"),
	})
}

// Readiness towards the group's own primary: nothing to fail over to, a
// blocker; towards the secondary (named, or the default), ready.
func TestAccFailoverReadiness_targetSite(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	resources := readinessResources(w, providerOptions{admin: true}, 15)
	towards := func(site string) string {
		return resources + fmt.Sprintf(`
data "protector_failover_readiness" "web" {
  protection_group_id = protector_protection_group.web.id
  target_site         = %q
  depends_on          = [protector_member.web1, protector_replication_policy.web]
}
`, site)
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: towards(simulator.SiteA), Check: expectReadiness(false, "target_site", "site-a", "already runs on site-a, its primary site", "towards the secondary site site-b")},
			{Config: towards(simulator.SiteB), Check: expectReadiness(true, "")},
		},
	})
}

// The primary site does not answer (2 s reachability timeout): the
// readiness job still reads the readiness, from the metadata stored on
// site-b, within seconds, and reports site-a unreachable; what the target
// needs is still checked, from the stored recovery descriptions (the
// members' flavor missing on site-b is found without site-a); both put
// right, ready. Before that, the plan of the managing configuration with
// site-a down fails saying so.
func TestAccFailoverReadiness_primaryUnreachable(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	w.fx = simulatorFixtures()
	o := providerOptions{admin: true, arrayTokens: true}
	provider := strings.Replace(w.provider(o), "request_timeout    = \"20s\"\n", "request_timeout    = \"20s\"\n  reachability_timeout = \"2s\"\n", 1)
	siteA, siteB := w.Site(simulator.SiteA), w.Site(simulator.SiteB)
	var tiny *openstacksim.Flavor
	var start time.Time
	steps := readinessJobSteps(readinessResources(w, o, 15), provider,
		func() {
			siteA.Faults().SetDown(true)
			siteB.Update(func(st *openstacksim.State) {
				tiny = st.Flavors[simulator.FlavorTinyID]
				delete(st.Flavors, simulator.FlavorTinyID)
			})
			start = time.Now()
		},
		func() {
			siteA.Faults().SetDown(false)
			siteB.Update(func(st *openstacksim.State) { st.Flavors[simulator.FlavorTinyID] = tiny })
		},
		"site_reachable", "site-a", "could not be reached", "checks that need site-a were not made")
	steps[2].Check = tfresource.ComposeTestCheckFunc(
		func(*terraform.State) error {
			// The job's plan and apply, each reading the readiness with
			// site-a silent, in seconds, not the 20 s request timeout.
			if took := time.Since(start); took > 30*time.Second {
				return fmt.Errorf("the readiness job with site-a silent took %s", took)
			}
			return nil
		},
		steps[2].Check,
		expectReadiness(false, "flavors_present", "site-b", simulator.FlavorTiny, simulator.WebServer1Name, "recorded in the member's recovery description"),
		tfresource.TestCheckResourceAttr(readinessAddr, "name", "prod-web-app"),
		tfresource.TestCheckResourceAttr(readinessAddr, "source_site", simulator.SiteA),
		tfresource.TestCheckResourceAttr(readinessAddr, "target_site", simulator.SiteB),
	)
	// Before the job: with site-a down, the plan of the configuration that
	// manages the group fails saying site-a is unreachable (it read
	// site-b's copy as if site-b were the primary, and said the member's VM
	// and volumes no longer existed).
	down := tfresource.TestStep{
		PreConfig:   func() { siteA.Faults().SetDown(true) },
		Config:      steps[0].Config,
		ExpectError: wrapped(`remote site unreachable \(site site-a\)[\s\S]*site site-a could not be reached to read the metadata of group`),
	}
	up := tfresource.TestStep{PreConfig: func() { siteA.Faults().SetDown(false) }, Config: steps[0].Config}
	steps = append([]tfresource.TestStep{steps[0], down, up}, steps[1:]...)
	tfresource.Test(t, tfresource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}
