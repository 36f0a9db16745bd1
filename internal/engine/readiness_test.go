package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// findings returns the findings of one check, formatted for messages.
func findings(list []ReadinessFinding, check string) []string {
	var out []string
	for _, f := range list {
		if f.Check == check {
			out = append(out, fmt.Sprintf("%s: %s (fix: %s)", f.Site, f.Message, f.Fix))
		}
	}
	return out
}

func readiness(t *testing.T, e *Engine, id string) *ReadinessReport {
	t.Helper()
	e.forget(id)
	r, err := e.FailoverReadiness(context.Background(), id, "")
	if err != nil {
		t.Fatalf("readiness: %v", err)
	}
	return r
}

// expectReady fails unless the report has no blocker.
func expectReady(t *testing.T, r *ReadinessReport, when string) {
	t.Helper()
	if !r.Ready || len(r.Blockers) != 0 {
		t.Fatalf("%s: ready %v, blockers %+v; want ready", when, r.Ready, r.Blockers)
	}
}

// expectBlocker fails unless the report is not ready and check blocks,
// on site, with every one of want in its message.
func expectBlocker(t *testing.T, r *ReadinessReport, check, site string, want ...string) {
	t.Helper()
	got := findings(r.Blockers, check)
	if r.Ready || len(got) == 0 {
		t.Fatalf("ready %v, blockers %+v; want a %s blocker", r.Ready, r.Blockers, check)
	}
	text := strings.Join(got, "\n")
	if !strings.HasPrefix(text, site+": ") {
		t.Errorf("%s blocker %q is not about %s", check, text, site)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s blocker %q does not say %q", check, text, w)
		}
	}
}

// readyAsyncGroup is the guide's group with the driver's Pure group bound
// by a policy and web-server-1 as its member.
func readyAsyncGroup(t *testing.T, w *simulator.World, e *Engine) *Group {
	t.Helper()
	ctx := context.Background()
	g := createGuideGroup(t, e)
	a, b := arrayEndpoints(w)
	if _, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, ReplicationInterval: 300, RPOMinutes: 15}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID}); err != nil {
		t.Fatal(err)
	}
	return g
}

// Each blocker class, made true in the simulator and put right again.
func TestReadinessBlockers(t *testing.T) {
	w, e := testWorld(t, true)
	g := readyAsyncGroup(t, w, e)
	r := readiness(t, e, g.ID)
	expectReady(t, r, "a fresh group")
	if r.Source != "site-a" || r.Target != "site-b" || r.GroupName != "prod-web-app" {
		t.Errorf("direction %s -> %s of %s", r.Source, r.Target, r.GroupName)
	}
	if got := findings(r.Warnings, CheckNetworks); len(got) != 1 || !strings.Contains(got[0], "no ports found") {
		t.Errorf("network warning %q", got)
	}
	if len(r.Warnings) != 1 {
		t.Errorf("warnings with admin credentials: %+v, want only the networks'", r.Warnings)
	}
	siteA, siteB := w.Site("site-a"), w.Site("site-b")
	backendB, _, _ := strings.Cut(simulator.HostB, "#")
	var tiny *openstacksim.Flavor
	var gone *openstacksim.Server
	cases := []struct {
		name          string
		check, site   string
		want          []string
		break_, mend_ func()
	}{
		{"flavor missing on the target", CheckFlavors, "site-b", []string{simulator.FlavorTiny, simulator.WebServer1Name},
			func() {
				siteB.Update(func(st *openstacksim.State) {
					tiny = st.Flavors[simulator.FlavorTinyID]
					delete(st.Flavors, simulator.FlavorTinyID)
				})
			},
			func() { siteB.Update(func(st *openstacksim.State) { st.Flavors[simulator.FlavorTinyID] = tiny }) }},
		{"no instance quota left on the target", CheckQuota, "site-b", []string{"instances quota on site-b is 10 with 10 in use"},
			func() {
				for i := range 10 {
					siteB.AddServer(openstacksim.Server{ID: fmt.Sprintf("filler-%d", i), Name: "filler", Project: simulator.Project, FlavorID: simulator.FlavorTinyID})
				}
			},
			func() {
				siteB.Update(func(st *openstacksim.State) {
					for i := range 10 {
						delete(st.Servers, fmt.Sprintf("filler-%d", i))
					}
				})
			}},
		{"the target's volume backend is down", CheckTargetBackend, "site-b", []string{"backend pure", "replicated-ssd", "down or disabled"},
			func() { siteB.SetVolumeServiceDown(backendB, true) },
			func() { siteB.SetVolumeServiceDown(backendB, false) }},
		{"the arrays are not connected", CheckArrayConnection, "flasharray-a", []string{"partially_connected, not connected"},
			func() {
				flasharraysim.SetConnectionStatus(w.Array("flasharray-a"), w.Array("flasharray-b"), "partially_connected")
			},
			func() {
				flasharraysim.SetConnectionStatus(w.Array("flasharray-a"), w.Array("flasharray-b"), "connected")
			}},
		{"a member volume left the consistency group", CheckMembersProtected, "site-a", []string{simulator.WebServer1Name, simulator.WebServer1BootVolumeID, "no longer in the consistency group"},
			func() {
				siteA.Update(func(st *openstacksim.State) { st.Volumes[simulator.WebServer1BootVolumeID].GroupID = "" })
			},
			func() {
				siteA.Update(func(st *openstacksim.State) {
					st.Volumes[simulator.WebServer1BootVolumeID].GroupID = g.PrimaryConsistencyGroup
				})
			}},
		{"a member's VM was deleted on the primary", CheckMembersPresent, "site-a", []string{simulator.WebServer1Name, simulator.WebServer1ID, "no longer exists on site-a", "could not recover it"},
			func() {
				siteA.Update(func(st *openstacksim.State) {
					gone = st.Servers[simulator.WebServer1ID]
					delete(st.Servers, simulator.WebServer1ID)
				})
			},
			func() { siteA.Update(func(st *openstacksim.State) { st.Servers[simulator.WebServer1ID] = gone }) }},
		{"the target's consistency group is gone", CheckConsistencyGroup, "site-b", []string{g.SecondaryConsistencyGroup, "deleted"},
			func() {
				siteB.Update(func(st *openstacksim.State) { st.Groups[g.SecondaryConsistencyGroup].Status = "deleted" })
			},
			func() {
				siteB.Update(func(st *openstacksim.State) { st.Groups[g.SecondaryConsistencyGroup].Status = "available" })
			}},
	}
	for _, c := range cases {
		c.break_()
		expectBlocker(t, readiness(t, e, g.ID), c.check, c.site, c.want...)
		c.mend_()
		expectReady(t, readiness(t, e, g.ID), "after putting right "+c.name)
	}

	// The peer lost its newest metadata: the sync status is FAILED; an
	// apply (the repair) puts it right.
	newest := versionsOn(w, "site-b", g.ID)
	siteB.DeleteObject(container, newest[len(newest)-1])
	expectBlocker(t, readiness(t, e, g.ID), CheckMetadataIdentical, "site-b", "FAILED", "version")
	if _, err := e.RepairGroup(context.Background(), g.ID); err != nil {
		t.Fatal(err)
	}
	expectReady(t, readiness(t, e, g.ID), "after the repair")

	// Twenty minutes on with nothing replicated, the RPO of 15 is missed.
	later := time.Now().UTC().Add(20 * time.Minute)
	e.now = func() time.Time { return later }
	expectBlocker(t, readiness(t, e, g.ID), CheckRPO, "flasharray-b", "RPO of protection group prod-web-app is not met", "no snapshot has arrived yet")
	e.now = func() time.Time { return time.Now().UTC() }
	expectReady(t, readiness(t, e, g.ID), "back to now")
}

// A target that does not answer is a blocker naming it, within the
// reachability timeout, and the checks needing it are not made.
func TestReadinessTargetUnreachable(t *testing.T) {
	w, e := testWorld(t, true)
	e.cfg.ReachabilityTimeout = 2 * time.Second
	g := readyAsyncGroup(t, w, e)
	w.Site("site-b").Faults().Add(fault.Rule{PathContains: "/", Hang: true})
	start := time.Now()
	r := readiness(t, e, g.ID)
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("readiness with site-b silent took %s", took)
	}
	expectBlocker(t, r, CheckSiteReachable, "site-b", "site-b did not answer", "checks that need site-b were not made", CheckTargetBackend)
	for _, check := range []string{CheckFlavors, CheckQuota, CheckTargetBackend, CheckMetadataIdentical} {
		if got := findings(append(r.Blockers, r.Warnings...), check); len(got) != 0 {
			t.Errorf("check %s was made with site-b silent: %q", check, got)
		}
	}
	w.Site("site-b").Faults().Clear()
	expectReady(t, readiness(t, e, g.ID), "site-b back")
}

// Without admin credentials the admin-only checks are warnings naming them,
// never a silent pass.
func TestReadinessWithoutAdminWarns(t *testing.T) {
	w, e := testWorld(t, false)
	g := readyAsyncGroup(t, w, e)
	r := readiness(t, e, g.ID)
	expectReady(t, r, "member credentials")
	for _, check := range []string{CheckTargetBackend, CheckTargetVolumeType} {
		if got := findings(r.Warnings, check); len(got) != 1 || !strings.Contains(got[0], "sites.site-b.admin") {
			t.Errorf("warning %s = %q, want one naming sites.site-b.admin", check, got)
		}
	}
	// Not checked is not passed: a backend down is not found, and still
	// warned about.
	backendB, _, _ := strings.Cut(simulator.HostB, "#")
	w.Site("site-b").SetVolumeServiceDown(backendB, true)
	if r = readiness(t, e, g.ID); len(findings(r.Warnings, CheckTargetBackend)) != 1 {
		t.Errorf("backend check without admin: %+v", r.Warnings)
	}
}

// A sync group needs its pod online on both arrays; the arrays losing
// each other takes it offline on the far side.
func TestReadinessSyncPod(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createSyncGroup(t, e)
	r := readiness(t, e, g.ID)
	expectBlocker(t, r, CheckReplicationPolicy, "site-a", "no replication policy")
	a, b := arrayEndpoints(w)
	if _, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.SyncServerID}); err != nil {
		t.Fatal(err)
	}
	expectReady(t, readiness(t, e, g.ID), "sync group with its pod")
	flasharraysim.SetConnectionStatus(w.Array("flasharray-a"), w.Array("flasharray-b"), "connecting")
	r = readiness(t, e, g.ID)
	expectBlocker(t, r, CheckPodStretched, "flasharray-b", simulator.CinderPod, "not online on flasharray-b")
	expectBlocker(t, r, CheckArrayConnection, "flasharray-a", "connecting")
	flasharraysim.SetConnectionStatus(w.Array("flasharray-a"), w.Array("flasharray-b"), "connected")
	expectReady(t, readiness(t, e, g.ID), "reconnected")
}

// The direction: the primary is no target, another site is refused.
func TestReadinessDirection(t *testing.T) {
	w, e := testWorld(t, true)
	g := readyAsyncGroup(t, w, e)
	r, err := e.FailoverReadiness(context.Background(), g.ID, "site-a")
	if err != nil {
		t.Fatal(err)
	}
	expectBlocker(t, r, CheckTargetSite, "site-a", "already runs on site-a")
	if _, err := e.FailoverReadiness(context.Background(), g.ID, "site-c"); !IsKind(err, KindInvalid) || !strings.Contains(err.Error(), "site-c") {
		t.Errorf("target site-c: %v, want invalid naming site-c", err)
	}
	if _, err := e.FailoverReadiness(context.Background(), "pg-00000000-0000-4000-8000-000000000000", ""); !IsKind(err, KindGroupNotFound) {
		t.Errorf("unknown group: %v", err)
	}
}

// With the primary site down, a read of a member (a refresh) says the
// primary is unreachable: it does not inspect the secondary's copy of the
// metadata on the secondary as if that were the primary, which reported
// the member's VM and volumes as gone. The readiness still answers, from
// the secondary's copy, naming the primary. Back up, the member reads
// protected.
func TestReadWithPrimaryDown(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	e.cfg.ReachabilityTimeout = 2 * time.Second
	g := readyAsyncGroup(t, w, e)
	// A new engine is a new provider process: it does not know yet which
	// site is the group's primary.
	fresh := New(e.cfg)
	w.Site("site-a").Faults().SetDown(true)
	m, _, err := fresh.GetMember(ctx, g.ID, simulator.WebServer1ID)
	if !IsKind(err, KindUnreachable) || !strings.Contains(err.Error(), "site site-a could not be reached") {
		t.Fatalf("member read with site-a down: %+v, %v; want site-a unreachable", m, err)
	}
	r, err := New(e.cfg).FailoverReadiness(ctx, g.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	expectBlocker(t, r, CheckSiteReachable, "site-a", "checks that need site-a were not made")
	if r.GroupName != g.Name || r.Source != "site-a" || r.Target != "site-b" {
		t.Errorf("readiness from site-b's copy: %s, %s -> %s", r.GroupName, r.Source, r.Target)
	}
	w.Site("site-a").Faults().SetDown(false)
	fresh = New(e.cfg)
	if m, _, err = fresh.GetMember(ctx, g.ID, simulator.WebServer1ID); err != nil || m.Status != MemberProtected || len(m.Broken)+len(m.Drift) != 0 {
		t.Fatalf("member read with site-a back: %+v, %v", m, err)
	}
}
