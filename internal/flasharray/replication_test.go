package flasharray_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
)

// pair starts two connected arrays on one clock and a client for each.
func pair(t *testing.T, delay time.Duration) (clk *clock, a, b *flasharraysim.Array, ca, cb *flasharray.Client) {
	t.Helper()
	clk = newClock()
	a = startArray(t, flasharraysim.Options{Name: "flasharray-a", APITokens: []string{tokenA}, AsyncDelay: delay, Now: clk.Now})
	b = startArray(t, flasharraysim.Options{Name: "flasharray-b", APITokens: []string{tokenB}, AsyncDelay: delay, Now: clk.Now})
	flasharraysim.Connect(a, b)
	return clk, a, b, newClient(t, testConfig(a, tokenA)), newClient(t, testConfig(b, tokenB))
}

func ptr[T any](v T) *T { return &v }

func TestAsyncReplicationBinding(t *testing.T) {
	ctx := context.Background()
	clk, a, _, ca, cb := pair(t, time.Minute)
	a.AddVolume("volume-1-cinder", 10<<30)
	a.AddVolume("volume-2-cinder", 20<<30)
	const pg = "consisgroup-42-cinder"

	conns, err := ca.ArrayConnections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 1 || conns[0].Name != "flasharray-b" || conns[0].Status != "connected" || conns[0].Type == "" {
		t.Fatalf("connections = %+v", conns)
	}

	created, err := ca.CreateProtectionGroup(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	if created.Name != pg || !created.IsLocal || created.Destroyed {
		t.Fatalf("created %+v", created)
	}
	if _, err := ca.CreateProtectionGroup(ctx, pg); !flasharray.IsAlreadyExists(err) {
		t.Fatalf("second create: %v, want already exists", err)
	}

	updated, err := ca.UpdateProtectionGroup(ctx, pg, flasharray.ProtectionGroupPatch{
		ReplicationSchedule: &flasharray.ReplicationSchedule{Frequency: ptr(int64(300000))},
		TargetRetention:     &flasharray.RetentionPolicy{AllForSec: ptr(int64(86400)), PerDay: ptr(int64(4)), Days: ptr(int64(7))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rs := updated.ReplicationSchedule; rs == nil || rs.Frequency == nil || *rs.Frequency != 300000 || rs.Enabled == nil || *rs.Enabled {
		t.Fatalf("schedule after patch = %+v, want 5 minutes, not yet enabled", rs)
	}

	// Target: added on the source, not allowed until the target says so.
	for range 2 {
		if err := ca.AddProtectionGroupTargets(ctx, pg, "flasharray-b"); err != nil {
			t.Fatalf("add target (idempotent): %v", err)
		}
	}
	targets, err := ca.ProtectionGroupTargets(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].Member != "flasharray-b" || targets[0].Allowed {
		t.Fatalf("targets = %+v, want flasharray-b not allowed", targets)
	}
	if err := ca.AllowProtectionGroupTarget(ctx, pg, "flasharray-b", true); err == nil {
		t.Fatal("allowing on the source array succeeded; the array refuses it")
	}
	remote, err := cb.ProtectionGroup(ctx, "flasharray-a:"+pg)
	if err != nil {
		t.Fatalf("the group is not visible on the target: %v", err)
	}
	if remote.IsLocal || remote.Source == nil || remote.Source.Name != "flasharray-a" {
		t.Fatalf("remote view = %+v", remote)
	}
	for range 2 {
		if err := cb.AllowProtectionGroupTarget(ctx, "flasharray-a:"+pg, "flasharray-b", true); err != nil {
			t.Fatalf("allow on the target: %v", err)
		}
	}
	targets, err = ca.ProtectionGroupTargets(ctx, pg)
	if err != nil || len(targets) != 1 || !targets[0].Allowed {
		t.Fatalf("targets on the source after allow = %+v, %v", targets, err)
	}

	// Volumes, added twice and in a mixed list: no error, no duplicate.
	if err := ca.AddProtectionGroupVolumes(ctx, pg, "volume-1-cinder"); err != nil {
		t.Fatal(err)
	}
	if err := ca.AddProtectionGroupVolumes(ctx, pg, "volume-1-cinder", "volume-2-cinder"); err != nil {
		t.Fatalf("adding a list with a member already in: %v", err)
	}
	if err := ca.AddProtectionGroupVolumes(ctx, pg, "volume-1-cinder"); err != nil {
		t.Fatalf("adding a member again: %v", err)
	}
	if err := ca.AddProtectionGroupVolumes(ctx, pg, "volume-missing"); !flasharray.IsNotFound(err) {
		t.Fatalf("adding a missing volume: %v, want not found", err)
	}
	vols, err := ca.ProtectionGroupVolumes(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(vols, []string{"volume-1-cinder", "volume-2-cinder"}) {
		t.Fatalf("volumes = %v", vols)
	}
	// A volume may be in several groups (the driver's cinder-group too).
	if _, err := ca.CreateProtectionGroup(ctx, "cinder-group"); err != nil {
		t.Fatal(err)
	}
	if err := ca.AddProtectionGroupVolumes(ctx, "cinder-group", "volume-1-cinder"); err != nil {
		t.Fatalf("second group for a volume: %v", err)
	}
	if info, _ := a.Volume("volume-1-cinder"); !slices.Equal(info.ProtectionGroups, []string{"cinder-group", pg}) {
		t.Fatalf("volume-1 groups = %v", info.ProtectionGroups)
	}

	// Enable the schedule; a manual snapshot replicates now.
	if _, err := ca.UpdateProtectionGroup(ctx, pg, flasharray.ProtectionGroupPatch{
		ReplicationSchedule: &flasharray.ReplicationSchedule{Enabled: ptr(true)},
	}); err != nil {
		t.Fatal(err)
	}
	snap, err := ca.CreateProtectionGroupSnapshot(ctx, pg, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(snap.Name, pg+".") || snap.Source != pg || !snap.Created.Equal(clk.Now()) {
		t.Fatalf("snapshot = %+v", snap)
	}
	source := "flasharray-a:" + pg
	transfers, err := cb.ProtectionGroupSnapshotTransfers(ctx, source)
	if err != nil {
		t.Fatal(err)
	}
	if len(transfers) != 1 || transfers[0].Name != "flasharray-a:"+snap.Name || transfers[0].Done() || transfers[0].Started.IsZero() {
		t.Fatalf("transfers right after the snapshot = %+v, want one in progress", transfers)
	}
	if _, ok := flasharray.NewestCompleted(transfers); ok {
		t.Fatal("a transfer in progress counted as completed")
	}

	clk.Advance(time.Minute)
	transfers, err = cb.ProtectionGroupSnapshotTransfers(ctx, source)
	if err != nil {
		t.Fatal(err)
	}
	newest, ok := flasharray.NewestCompleted(transfers)
	if !ok || newest.Progress != 1 || !newest.Completed.Equal(snap.Created.Add(time.Minute)) || !newest.Created.Equal(snap.Created) {
		t.Fatalf("after the delay: %+v, want the snapshot complete", transfers)
	}

	// The schedule (every 5 minutes from when it was enabled) takes and
	// replicates snapshots as the clock moves: the lag is measurable.
	enabledAt := snap.Created
	clk.Advance(10 * time.Minute) // now = enabled + 11m: slots at +5m and +10m
	transfers, err = cb.ProtectionGroupSnapshotTransfers(ctx, source)
	if err != nil {
		t.Fatal(err)
	}
	if len(transfers) != 3 {
		t.Fatalf("got %d transfers, want 3 (manual + 2 scheduled): %+v", len(transfers), transfers)
	}
	newest, ok = flasharray.NewestCompleted(transfers)
	if !ok || !newest.Created.Equal(enabledAt.Add(10*time.Minute)) {
		t.Fatalf("newest completed = %+v, want the one taken at +10m", newest)
	}
	if lag := clk.Now().Sub(newest.Created); lag != time.Minute {
		t.Fatalf("replication lag = %s, want 1m", lag)
	}

	// Disallowing on the target stops replication: the lag grows.
	if err := cb.AllowProtectionGroupTarget(ctx, source, "", false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(15 * time.Minute)
	transfers, err = cb.ProtectionGroupSnapshotTransfers(ctx, source)
	if err != nil {
		t.Fatal(err)
	}
	if newest, _ := flasharray.NewestCompleted(transfers); clk.Now().Sub(newest.Created) != 16*time.Minute {
		t.Fatalf("lag with the target disallowed = %s, want 16m", clk.Now().Sub(newest.Created))
	}
	if info, _ := a.ProtectionGroup(pg); !info.ReplicationEnabled || info.ReplicationFrequency != 5*time.Minute || len(info.Volumes) != 2 || len(info.Targets) != 1 || info.Targets[0].Allowed {
		t.Fatalf("simulator view = %+v", info)
	}

	// Unbind: remove volumes (twice), the target, then destroy and eradicate.
	for range 2 {
		if err := ca.RemoveProtectionGroupVolumes(ctx, pg, "volume-1-cinder", "volume-2-cinder"); err != nil {
			t.Fatalf("remove volumes: %v", err)
		}
	}
	for range 2 {
		if err := ca.RemoveProtectionGroupTargets(ctx, pg, "flasharray-b"); err != nil {
			t.Fatalf("remove target: %v", err)
		}
	}
	if _, err := cb.ProtectionGroup(ctx, source); !flasharray.IsNotFound(err) {
		t.Fatalf("the target still sees the group: %v", err)
	}
	if err := ca.DestroyProtectionGroup(ctx, pg, false); err != nil {
		t.Fatal(err)
	}
	got, err := ca.ProtectionGroup(ctx, pg)
	if err != nil || !got.Destroyed || got.TimeRemaining == 0 {
		t.Fatalf("destroyed group = %+v, %v", got, err)
	}
	if err := ca.DestroyProtectionGroup(ctx, pg, true); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.ProtectionGroup(ctx, pg); !flasharray.IsNotFound(err) {
		t.Fatalf("after eradication: %v, want not found", err)
	}
	eradications := 0
	for _, r := range a.Faults().Requests() {
		if r.Method == http.MethodDelete && strings.HasSuffix(r.Path, "/protection-groups") {
			eradications++
		}
	}
	if eradications != 1 {
		t.Fatalf("DELETE /protection-groups sent %d times, want 1", eradications)
	}
}

func TestPodStretch(t *testing.T) {
	ctx := context.Background()
	clk, a, b, ca, cb := pair(t, 30*time.Second)
	a.AddVolume("volume-9-cinder", 1<<30)
	a.AddVolume("volume-10-cinder", 1<<30)

	pod, err := ca.CreatePod(ctx, "dr-pod")
	if err != nil {
		t.Fatal(err)
	}
	if len(pod.Arrays) != 1 || pod.Arrays[0].Name != "flasharray-a" || pod.Arrays[0].Status != "online" {
		t.Fatalf("new pod = %+v", pod)
	}
	if _, err := ca.CreatePod(ctx, "dr-pod"); !flasharray.IsAlreadyExists(err) {
		t.Fatalf("second create: %v, want already exists", err)
	}
	moved, err := ca.MoveVolumeToPod(ctx, "volume-9-cinder", "dr-pod")
	if err != nil {
		t.Fatal(err)
	}
	if moved.Name != "dr-pod::volume-9-cinder" || moved.Pod == nil || moved.Pod.Name != "dr-pod" {
		t.Fatalf("moved volume = %+v", moved)
	}

	for range 2 {
		if err := ca.StretchPod(ctx, "dr-pod", "flasharray-b"); err != nil {
			t.Fatalf("stretch (idempotent): %v", err)
		}
	}
	status := func(c *flasharray.Client) map[string]string {
		t.Helper()
		p, err := c.Pod(ctx, "dr-pod")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, pa := range p.Arrays {
			out[pa.Name] = pa.Status
		}
		return out
	}
	if got := status(ca); got["flasharray-a"] != "online" || got["flasharray-b"] != "resyncing" {
		t.Fatalf("right after stretching: %v", got)
	}
	clk.Advance(30 * time.Second)
	for _, c := range []*flasharray.Client{ca, cb} {
		if got := status(c); len(got) != 2 || got["flasharray-a"] != "online" || got["flasharray-b"] != "online" {
			t.Fatalf("after resync on %s: %v", c.URL(), got)
		}
	}
	vols, err := cb.Volumes(ctx, "dr-pod::volume-9-cinder")
	if err != nil || len(vols) != 1 {
		t.Fatalf("the pod volume on the other array: %+v, %v", vols, err)
	}
	if _, err := ca.MoveVolumeToPod(ctx, "volume-10-cinder", "dr-pod"); err == nil {
		t.Fatal("moved a volume into a stretched pod; the array refuses it")
	}

	b.Faults().SetDown(true)
	if got := status(ca); got["flasharray-b"] != "offline" {
		t.Fatalf("with flasharray-b down: %v", got)
	}
	b.Faults().SetDown(false)

	for range 2 {
		if err := ca.UnstretchPod(ctx, "dr-pod", "flasharray-b"); err != nil {
			t.Fatalf("unstretch (idempotent): %v", err)
		}
	}
	if _, err := cb.Pod(ctx, "dr-pod"); !flasharray.IsNotFound(err) {
		t.Fatalf("pod still on flasharray-b: %v", err)
	}
	if err := ca.DestroyPod(ctx, "dr-pod", true); err == nil {
		t.Fatal("destroyed a pod that holds a volume")
	}
	if _, err := ca.MoveVolumeToPod(ctx, "dr-pod::volume-9-cinder", ""); err != nil {
		t.Fatalf("move out of the pod: %v", err)
	}
	if err := ca.DestroyPod(ctx, "dr-pod", true); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Pod("dr-pod"); ok {
		t.Fatal("pod still there after eradication")
	}
}

// A drill's array side: on the target array, copy a volume out of the
// newest replicated snapshot, then destroy and eradicate the copy; the
// replicated snapshot and the source's volumes are untouched.
func TestCopyVolumeFromReplicaAndDestroy(t *testing.T) {
	ctx := context.Background()
	clk, a, b, ca, cb := pair(t, time.Second)
	a.AddVolume("volume-1-cinder", 10<<30)
	const pg = "consisgroup-42-cinder"
	if _, err := ca.CreateProtectionGroup(ctx, pg); err != nil {
		t.Fatal(err)
	}
	if err := ca.AddProtectionGroupVolumes(ctx, pg, "volume-1-cinder"); err != nil {
		t.Fatal(err)
	}
	if err := ca.AddProtectionGroupTargets(ctx, pg, "flasharray-b"); err != nil {
		t.Fatal(err)
	}
	if err := cb.AllowProtectionGroupTarget(ctx, "flasharray-a:"+pg, "flasharray-b", true); err != nil {
		t.Fatal(err)
	}
	snap, err := ca.CreateProtectionGroupSnapshot(ctx, pg, true)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	source := "flasharray-a:" + snap.Name + ".volume-1-cinder"

	v, err := cb.CopyVolume(ctx, "drill-1-volume-1", source, false)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "drill-1-volume-1" || v.Provisioned != 10<<30 || v.Source != source || v.Pod != nil {
		t.Fatalf("copy = %+v", v)
	}
	if _, err := cb.CopyVolume(ctx, "drill-1-volume-1", source, false); !flasharray.IsAlreadyExists(err) {
		t.Fatalf("second copy: %v, want already exists", err)
	}
	if _, err := cb.CopyVolume(ctx, "drill-1-volume-1", source, true); err != nil {
		t.Fatalf("copy with overwrite: %v", err)
	}
	if _, err := cb.CopyVolume(ctx, "drill-1-volume-2", "flasharray-a:"+snap.Name+".volume-9-cinder", false); !flasharray.IsNotFound(err) {
		t.Fatalf("copy of a volume the snapshot lacks: %v, want not found", err)
	}

	if err := cb.DestroyVolume(ctx, "drill-1-volume-1", true); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Volume("drill-1-volume-1"); ok {
		t.Fatal("the copy is still on flasharray-b after eradication")
	}
	if err := cb.DestroyVolume(ctx, "drill-1-volume-1", true); err != nil {
		t.Fatalf("destroying a volume already gone: %v", err)
	}
	if got := b.ProtectionGroupSnapshots("flasharray-a:" + pg); len(got) != 1 {
		t.Fatalf("replicas after the drill = %+v, want the one snapshot", got)
	}
	if v, ok := a.Volume("volume-1-cinder"); !ok || v.Destroyed {
		t.Fatalf("the source volume = %+v, %v", v, ok)
	}
}
