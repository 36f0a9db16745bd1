package engine

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// unchanged fails for every object of before that changed or is gone now,
// and returns the objects added since.
func unchanged(t *testing.T, w *simulator.World, when string, before simulator.Objects) []string {
	t.Helper()
	changed, added := before.Changed(w.Objects())
	for _, k := range changed {
		t.Errorf("%s: %s changed", when, k)
	}
	return added
}

// expectDrillObjectsOnly fails unless what changed since before is only
// what a drill adds: objects on site-b and flasharray-b, and the drill's
// entry in the group's sync log on site-a.
func expectDrillObjectsOnly(t *testing.T, w *simulator.World, groupID, when string, before simulator.Objects) {
	t.Helper()
	for _, k := range unchanged(t, w, when, before) {
		if !strings.HasPrefix(k, "site-b ") && !strings.HasPrefix(k, "flasharray-b volume ") && !strings.HasPrefix(k, "site-a object protector/"+logPrefix(groupID)) {
			t.Errorf("%s: the drill made %s outside the secondary site and array", when, k)
		}
	}
}

// expectCleanedUp fails unless a cleanup left nothing of the drill but the
// array volumes Cinder's delete destroyed (pending eradication, as the Pure
// driver does by default) and the drill's entry in the sync log.
func expectCleanedUp(t *testing.T, w *simulator.World, groupID string, before simulator.Objects) {
	t.Helper()
	after := w.Objects()
	for _, k := range unchanged(t, w, "after cleanup", before) {
		if !strings.HasPrefix(k, "site-a object protector/"+logPrefix(groupID)) &&
			(!strings.HasPrefix(k, "flasharray-b volume volume-") || !strings.Contains(after[k], `"Destroyed":true`)) {
			t.Errorf("cleanup left %s: %s", k, after[k])
		}
	}
}

// replicateNow takes a snapshot of the policy's Pure group and lets it
// arrive on flasharray-b.
func replicateNow(t *testing.T, w *simulator.World, e *Engine, groupID string) {
	t.Helper()
	ctx := context.Background()
	d, _, err := e.loadGroup(ctx, groupID)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := arrayEndpoints(w)
	c, err := e.array(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateProtectionGroupSnapshot(ctx, d.Policy.PureGroupName, true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the world's AsyncDelay is 5 ms
}

// A drill of the guide's group brings web-server-1 up on site-b from the
// newest replicated snapshot: its two volumes copied on flasharray-b,
// managed by Cinder (renamed volume-<id>-cinder), the VM booted from them
// ACTIVE and without a network, its recovery time recorded, the drill in
// the sync log. Production never changes; cleanup removes what the drill
// made and nothing else.
func TestDrillBringsTheGroupUpAndCleansUp(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := readyAsyncGroup(t, w, e)
	replicateNow(t, w, e, g.ID)
	before := w.Objects()

	drill, err := e.StartDrill(ctx, DrillSpec{GroupID: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	if drill.Site != "site-b" || drill.Array != "flasharray-b" || !strings.HasPrefix(drill.Snapshot, "flasharray-a:") || len(drill.Members) != 1 {
		t.Fatalf("drill = %+v", drill)
	}
	m := drill.Members[0]
	if m.Outcome != DrillActive || m.InstanceName != simulator.WebServer1Name || m.RecoveryTime <= 0 || len(m.Volumes) != 2 {
		t.Fatalf("member = %+v", m)
	}
	siteB := w.Site("site-b")
	sv, ok := siteB.Server(m.ServerID)
	if !ok || sv.Status != "ACTIVE" || !strings.HasPrefix(sv.Name, "drill-") || !strings.HasSuffix(sv.Name, simulator.WebServer1Name) || len(sv.Volumes) != 2 {
		t.Fatalf("drill server on site-b = %+v, %v", sv, ok)
	}
	wantSizes := map[string]int{simulator.WebServer1BootVolumeID: 20, simulator.WebServer1DataVolumeID: 50}
	for _, v := range m.Volumes {
		got, ok := siteB.Volume(v.VolumeID)
		if !ok || got.Status != "in-use" || got.Size != wantSizes[v.SourceVolumeID] || got.Metadata["array_volume_name"] != simulator.ArrayVolumeName(v.VolumeID, false) ||
			got.Bootable != (v.BootIndex == 0) {
			t.Errorf("drill volume of %s = %+v, %v", v.SourceVolumeID, got, ok)
		}
		if _, ok := w.Array("flasharray-b").Volume(simulator.ArrayVolumeName(v.VolumeID, false)); !ok {
			t.Errorf("no array volume for drill volume %s on flasharray-b", v.VolumeID)
		}
	}
	if got, err := e.GetDrill(ctx, g.ID, drill.ID); err != nil || got.Members[0].ServerID != m.ServerID || got.Members[0].RecoveryTime != m.RecoveryTime {
		t.Fatalf("drill read back = %+v, %v", got, err)
	}
	log, err := e.SyncLog(ctx, g.ID, 0)
	if err != nil || len(log) == 0 || log[0].Outcome != "DRILL" {
		t.Fatalf("sync log = %+v, %v; want the drill first", log, err)
	}
	expectDrillObjectsOnly(t, w, g.ID, "during the drill", before)

	if err := e.CleanupDrill(ctx, g.ID, drill.ID); err != nil {
		t.Fatal(err)
	}
	expectCleanedUp(t, w, g.ID, before)
	if _, err := e.GetDrill(ctx, g.ID, drill.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("drill after cleanup: %v, want not found", err)
	}
	if err := e.CleanupDrill(ctx, g.ID, drill.ID); err != nil {
		t.Fatalf("cleanup of a drill already gone: %v", err)
	}
}

// A drill whose VM cannot boot (Nova refuses on site-b) records the member
// as failed with the volumes it managed; cleanup then removes the volumes
// and the copies, as it does for a drill interrupted before Cinder took a
// copy over.
func TestDrillInterruptedIsCleaned(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := readyAsyncGroup(t, w, e)
	replicateNow(t, w, e, g.ID)
	before := w.Objects()
	siteB := w.Site("site-b")
	siteB.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/servers", Times: 1, Status: 500,
		Body: `{"computeFault": {"code": 500, "message": "Injected failure."}}`})
	drill, err := e.StartDrill(ctx, DrillSpec{GroupID: g.ID})
	if err == nil || !strings.Contains(err.Error(), "could not bring up 1 of 1 members") {
		t.Fatalf("drill with Nova failing: %v", err)
	}
	m := drill.Members[0]
	if m.Outcome != DrillFailed || m.ServerID != "" || m.Volumes[0].VolumeID == "" || m.Volumes[1].VolumeID == "" {
		t.Fatalf("failed member = %+v", m)
	}
	// Interrupted before the manage of a further copy: only the array
	// copy exists, with the drill's name.
	w.Array("flasharray-b").AddVolume("drill-"+drillShortID(drill.ID)+"-extra", 1<<30)
	rec, tgt, err := e.drillRecord(ctx, g.ID, drill.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.Members[0].Volumes = append(rec.Members[0].Volumes, drillVolumeRecord{ArrayVolume: "drill-" + drillShortID(drill.ID) + "-extra"})
	if err := putRecord(ctx, tgt, drillObject(g.ID, drill.ID), rec); err != nil {
		t.Fatal(err)
	}

	if err := e.CleanupDrill(ctx, g.ID, drill.ID); err != nil {
		t.Fatal(err)
	}
	for _, k := range unchanged(t, w, "after cleanup", before) {
		if !strings.HasPrefix(k, "flasharray-b volume volume-") && !strings.HasPrefix(k, "site-a object protector/"+logPrefix(g.ID)) {
			t.Errorf("cleanup left %s", k)
		}
	}
	if _, ok := w.Array("flasharray-b").Volume("drill-" + drillShortID(drill.ID) + "-extra"); ok {
		t.Error("the interrupted drill's array copy is still there")
	}
}

// A provider that dies mid-drill leaves the drill's objects on site-b and
// its record running, with no state holding it. Another process (a new
// engine) refuses a new drill of the group at plan, naming the import id;
// once it has read the drill (the import, or a refresh of a state that
// holds it) it plans again, and the cleanup removes what the dead one
// made. A drill that finished blocks nothing.
func TestDrillStrandedByADeadProviderIsRefusedUntilImported(t *testing.T) {
	w, e := testWorld(t, true)
	g := readyAsyncGroup(t, w, e)
	replicateNow(t, w, e, g.ID)
	finished, err := e.StartDrill(context.Background(), DrillSpec{GroupID: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	// Another process, given the array tokens as a provider's flasharrays.
	otherProcess := func() *Engine {
		cfg := e.cfg
		cfg.ArrayTokens = e.tokens
		return New(cfg)
	}
	if err := otherProcess().CheckDrill(context.Background(), DrillSpec{GroupID: g.ID}); err != nil {
		t.Fatalf("a finished drill refused a new one in another process: %v", err)
	}
	if err := e.CleanupDrill(context.Background(), g.ID, finished.ID); err != nil {
		t.Fatal(err)
	}
	before := w.Objects()

	// The process "dies" as the drill's VM is being booted: its context
	// ends there and nothing it would write after that point reaches
	// site-b (a drill's record writes outlive a cancelled context, as they
	// must for a timeout, so the dead process's are refused instead).
	siteB := w.Site("site-b")
	ctx, cancel := context.WithCancel(context.Background())
	recordWrites := fault.Rule{Method: http.MethodPut, PathContains: "/drills/", Status: http.StatusForbidden}
	die := func() {
		siteB.Faults().Add(recordWrites)
		cancel()
	}
	siteB.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/servers", Times: 1, Hang: true, Do: die})
	stranded, err := e.StartDrill(ctx, DrillSpec{GroupID: g.ID})
	if err == nil {
		t.Fatal("the interrupted drill reported no error")
	}
	siteB.Faults().Clear()
	if err := e.CheckDrill(context.Background(), DrillSpec{GroupID: g.ID}); err != nil {
		t.Fatalf("the process that started the drill refused another: %v", err)
	}

	next := otherProcess()
	err = next.CheckDrill(context.Background(), DrillSpec{GroupID: g.ID})
	importID := "site-b/" + g.ID + "/" + stranded.ID
	if err == nil || !strings.Contains(err.Error(), "did not finish") || !strings.Contains(err.Error(), "terraform import protector_dr_drill.<name> "+importID) {
		t.Fatalf("a new drill beside a stranded one: %v; want a refusal naming the import id %s", err, importID)
	}
	if _, added := before.Changed(w.Objects()); len(added) == 0 {
		t.Fatal("the interrupted drill made nothing: the test strands nothing")
	}
	if _, err := next.GetDrill(context.Background(), g.ID, stranded.ID); err != nil {
		t.Fatal(err)
	}
	if err := next.CheckDrill(context.Background(), DrillSpec{GroupID: g.ID}); err != nil {
		t.Fatalf("a new drill once the stranded one is imported: %v", err)
	}
	if err := next.CleanupDrill(context.Background(), g.ID, stranded.ID); err != nil {
		t.Fatal(err)
	}
	expectCleanedUp(t, w, g.ID, before)
}

// With ReplicateNow a group whose policy has not replicated yet is drilled
// from a snapshot taken and replicated for it; without, it is refused
// (at plan too) saying that no snapshot has arrived.
func TestDrillReplicateNow(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := readyAsyncGroup(t, w, e)
	if err := e.CheckDrill(ctx, DrillSpec{GroupID: g.ID}); err == nil || !strings.Contains(err.Error(), "has arrived on flasharray-b yet") {
		t.Fatalf("check of a drill with no snapshot arrived: %v", err)
	}
	if err := e.CheckDrill(ctx, DrillSpec{GroupID: g.ID, ReplicateNow: true}); err != nil {
		t.Fatalf("check of a drill that replicates first: %v", err)
	}
	drill, err := e.StartDrill(ctx, DrillSpec{GroupID: g.ID, ReplicateNow: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(drill.Snapshot, "flasharray-a:") || drill.Members[0].Outcome != DrillActive {
		t.Fatalf("drill = %+v", drill)
	}
	if err := e.CleanupDrill(ctx, g.ID, drill.ID); err != nil {
		t.Fatal(err)
	}
}

// Refused before anything is made: a group that is not ready (the target
// backend down), and a secondary site without an admin credential.
func TestDrillRefused(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := readyAsyncGroup(t, w, e)
	replicateNow(t, w, e, g.ID)
	backendB, _, _ := strings.Cut(simulator.HostB, "#")
	w.Site("site-b").SetVolumeServiceDown(backendB, true)
	before := w.Objects()
	if _, err := e.StartDrill(ctx, DrillSpec{GroupID: g.ID}); err == nil || !strings.Contains(err.Error(), "target_backend_up [site-b]") || !strings.Contains(err.Error(), "Nothing was made") {
		t.Fatalf("drill of a group that is not ready: %v", err)
	}
	if added := unchanged(t, w, "refused drill", before); len(added) != 0 {
		t.Errorf("a refused drill made %v", added)
	}

	w2, e2 := testWorld(t, false)
	g2 := readyAsyncGroup(t, w2, e2)
	if _, err := e2.StartDrill(ctx, DrillSpec{GroupID: g2.ID}); err == nil || !strings.Contains(err.Error(), "sites.site-b.admin") {
		t.Fatalf("drill without an admin credential for site-b: %v", err)
	}
}

// A sync group's drill copies each member volume out of the stretched pod
// on flasharray-b (no snapshot: the pod's copy is current) and manages the
// copies with the drill's volume type, which must be given and not be a
// sync one; production unchanged, cleanup complete.
func TestDrillSyncGroup(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createSyncGroup(t, e)
	a, b := arrayEndpoints(w)
	if _, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.SyncServerID}); err != nil {
		t.Fatal(err)
	}
	if err := e.CheckDrill(ctx, DrillSpec{GroupID: g.ID}); err == nil || !strings.Contains(err.Error(), "Set volume_type") {
		t.Fatalf("sync drill without a volume type: %v", err)
	}
	if err := e.CheckDrill(ctx, DrillSpec{GroupID: g.ID, VolumeType: simulator.TypeReplicatedSync}); err == nil || !strings.Contains(err.Error(), "is a sync type") {
		t.Fatalf("sync drill with a sync volume type: %v", err)
	}
	before := w.Objects()
	drill, err := e.StartDrill(ctx, DrillSpec{GroupID: g.ID, VolumeType: simulator.TypeReplicatedSSD})
	if err != nil {
		t.Fatal(err)
	}
	if drill.Snapshot != "pod "+simulator.CinderPod || drill.VolumeType != simulator.TypeReplicatedSSD || drill.Members[0].Outcome != DrillActive {
		t.Fatalf("sync drill = %+v", drill)
	}
	for _, v := range drill.Members[0].Volumes {
		got, ok := w.Site("site-b").Volume(v.VolumeID)
		if !ok || got.Type != simulator.TypeReplicatedSSD || got.Status != "in-use" {
			t.Errorf("drill volume %+v, %v", got, ok)
		}
	}
	expectDrillObjectsOnly(t, w, g.ID, "during the sync drill", before)
	if err := e.CleanupDrill(ctx, g.ID, drill.ID); err != nil {
		t.Fatal(err)
	}
	expectCleanedUp(t, w, g.ID, before)
}
