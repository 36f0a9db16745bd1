package engine

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// A read whose Nova or Cinder answers fail must not pass the member's
// checks: it reports no drift and no breakage, and says what it could not
// check.
func TestMemberReadSaysWhatItCouldNotCheck(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	registerSites(t, e)
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := e.GetMember(ctx, g.ID, m.ID); err != nil || len(got.Unchecked) != 0 {
		t.Fatalf("healthy read: %+v %v, want every check made", got, err)
	}

	busy := `{"message": "busy"}`
	w.Site("site-a").Faults().Add(fault.Rule{Method: http.MethodGet, PathContains: "/compute/", Status: http.StatusServiceUnavailable, Body: busy})
	w.Site("site-a").Faults().Add(fault.Rule{Method: http.MethodGet, PathContains: "/volumes/detail", Status: http.StatusServiceUnavailable, Body: busy})
	e.forget(g.ID)
	got, _, err := e.GetMember(ctx, g.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Drift) != 0 || len(got.Broken) != 0 {
		t.Errorf("unreadable checks reported drift %q / broken %q", got.Drift, got.Broken)
	}
	text := strings.Join(got.Unchecked, "; ")
	for _, want := range []string{"instance web-server-1 (" + simulator.WebServer1ID + ") could not be read on site-a", "the volumes of web-server-1 could not be checked"} {
		if !strings.Contains(text, want) {
			t.Errorf("unchecked %q does not say %q", text, want)
		}
	}
}

// A volume attached to a member's VM after it became a member (by
// terraform-provider-openstack's volume attach, say) is drift the refresh
// finds in its one server listing; the repair adds it to the consistency
// group and the Pure group and records it in a version pushed to the peer.
// One of another type cannot join: the repair refuses, naming it.
func TestMemberVolumeAttachedLaterIsRepaired(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	a, b := arrayEndpoints(w)
	configurePureGroup(t, w)
	if _, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, PureGroupName: "pg-prod-web-app", ReplicationInterval: 300, RPOMinutes: 15}); err != nil {
		t.Fatal(err)
	}
	m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID})
	if err != nil {
		t.Fatal(err)
	}
	vol := w.AttachNewVolume(simulator.WebServer1ID, simulator.TypeReplicatedSSD, 10)
	e.forget(g.ID)
	got, _, err := e.GetMember(ctx, g.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "volume " + vol + " attached to web-server-1 is not protected: apply adds it to the consistency group"
	if len(got.Drift) != 1 || got.Drift[0] != want || got.Status != MemberError {
		t.Fatalf("refresh after an attach: drift %q, status %s; want [%q], error", got.Drift, got.Status, want)
	}

	before := got.VolumeIDs
	repaired, grp, err := e.RepairMember(ctx, g.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(repaired.VolumeIDs) != 3 || repaired.VolumeIDs[2] != vol || len(repaired.Drift) != 0 || repaired.Status != MemberProtected {
		t.Fatalf("after the repair the member records %v (was %v), drift %q, status %s; want the new volume added", repaired.VolumeIDs, before, repaired.Drift, repaired.Status)
	}
	if v, _ := w.Site("site-a").Volume(vol); v.GroupID != g.PrimaryConsistencyGroup {
		t.Fatalf("volume %s in Cinder group %q after the repair, want %s", vol, v.GroupID, g.PrimaryConsistencyGroup)
	}
	pg, _ := w.Array("flasharray-a").ProtectionGroup("pg-prod-web-app")
	if !slices.Contains(pg.Volumes, simulator.ArrayVolumeName(vol, false)) {
		t.Fatalf("Pure group holds %v after the repair, want %s among them", pg.Volumes, simulator.ArrayVolumeName(vol, false))
	}
	if grp.MetadataVersion != g.MetadataVersion+3 || grp.Sync.RemoteVersion != grp.MetadataVersion {
		t.Fatalf("after the repair: version %d (peer %d), want %d on both (policy, member, repair)", grp.MetadataVersion, grp.Sync.RemoteVersion, g.MetadataVersion+3)
	}
	e.forget(g.ID)
	if got, _, err := e.GetMember(ctx, g.ID, m.ID); err != nil || len(got.Drift) != 0 || got.Status != MemberProtected {
		t.Fatalf("refresh after the repair: %+v %v, want no drift", got, err)
	}

	// A volume of a type the group cannot hold: not repairable.
	other := w.AttachNewVolume(simulator.WebServer1ID, simulator.TypeStandard, 10)
	e.forget(g.ID)
	if got, _, err = e.GetMember(ctx, g.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	if len(got.Broken) != 1 || !strings.Contains(got.Broken[0], "volume "+other+" attached to web-server-1 has type \"standard\"") {
		t.Fatalf("refresh after attaching a standard volume: broken %q, drift %q; want it named", got.Broken, got.Drift)
	}
	if _, _, err := e.RepairMember(ctx, g.ID, m.ID); !IsKind(err, KindMismatch) || !strings.Contains(err.Error(), other) {
		t.Fatalf("repair with a standard volume attached: %v, want a mismatch naming %s", err, other)
	}
}
