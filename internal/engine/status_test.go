package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestStatusReads: the guide's read commands on the group of Examples 1-2
// (one member), then with the peer's copy behind and with the peer down.
func TestStatusReads(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	registerSites(t, e)
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID}); err != nil {
		t.Fatal(err)
	}

	r, err := e.SyncStatus(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != SyncSynced || r.LocalVersion != 2 || r.RemoteVersion != 2 || !r.RemoteLive || !r.InSync || r.Error != "" {
		t.Fatalf("sync status = %+v, want SYNCED at 2 = 2", r)
	}
	want := []SyncCheck{{"Versions match (2 = 2)", true}, {"Sync status is 'synced'", true}, {"Last sync is recent", true}}
	for i, c := range want {
		if r.Checks[i] != c {
			t.Errorf("check %d = %+v, want %+v", i, r.Checks[i], c)
		}
	}

	log, err := e.SyncLog(ctx, g.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Version != 2 || log[1].Version != 1 || log[0].Outcome != SyncSynced || log[0].Time.Before(log[1].Time) {
		t.Fatalf("sync log = %+v, want versions 2 then 1, SYNCED", log)
	}
	if one, _ := e.SyncLog(ctx, g.ID, 1); len(one) != 1 || one[0].Version != 2 {
		t.Fatalf("sync log limit 1 = %+v", one)
	}

	cg, err := e.ConsistencyGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cg.Status != CGActive || cg.VolumeCount != 2 || cg.BackendName != "pure@backend-a" || cg.ID != "cg-"+strings.TrimPrefix(g.ID, "pg-") ||
		cg.PrimaryCGID != g.PrimaryConsistencyGroup || cg.SecondaryCGID != g.SecondaryConsistencyGroup || cg.VolumeTypeName != "replicated-ssd" {
		t.Fatalf("consistency group = %+v", cg)
	}

	members, err := e.Members(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0].InstanceName != "web-server-1" || members[0].Status != MemberProtected || len(members[0].VolumeIDs) != 2 {
		t.Fatalf("members = %+v", members)
	}

	sites, err := e.Sites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 2 || sites[0].Name != "site-a" || !sites[1].Validation.Reachable || !sites[1].Validation.AdminChecks {
		t.Fatalf("sites = %+v", sites)
	}

	// The newest version never reached the peer.
	names := versionsOn(w, "site-b", g.ID)
	w.Site("site-b").DeleteObject(container, names[len(names)-1])
	r, err = e.SyncStatus(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != SyncFailed || r.RemoteVersion != 1 || r.InSync || r.Checks[0] != (SyncCheck{"Versions match (2 != 1)", false}) {
		t.Fatalf("sync status with the peer behind = %+v", r)
	}

	// The peer down: UNREACHABLE, the remote version is the recorded one.
	w.Site("site-b").Faults().SetDown(true)
	r, err = e.SyncStatus(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != SyncUnreachable || r.RemoteLive || r.InSync || !strings.Contains(r.Error, "site-b") || r.Checks[0].OK {
		t.Fatalf("sync status with site-b down = %+v", r)
	}
	cg, err = e.ConsistencyGroup(ctx, g.ID)
	if err != nil || cg.Status != CGDegraded || cg.SecondaryStatus != "unreachable" {
		t.Fatalf("consistency group with site-b down = %+v, %v", cg, err)
	}
	sites, err = e.Sites(ctx)
	if err != nil || len(sites) != 2 || sites[1].Status != SiteStatusUnreachable || sites[1].Validation.Reachable {
		t.Fatalf("sites with site-b down = %+v, %v", sites, err)
	}
}

func TestSyncChecksRecency(t *testing.T) {
	now := time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC)
	for age, recent := range map[time.Duration]bool{5 * time.Second: true, SyncRecentWithin: true, SyncRecentWithin + time.Second: false} {
		r := &SyncReport{LocalVersion: 4, RemoteVersion: 4, RemoteLive: true, Status: SyncSynced, LastSync: now.Add(-age)}
		r.evaluate(now)
		if r.Checks[2].OK != recent || !r.InSync {
			t.Errorf("last sync %s ago: checks %+v, in sync %v; want recent %v and in sync", age, r.Checks, r.InSync, recent)
		}
	}
}

func TestVolumeTypeReport(t *testing.T) {
	tests := []struct {
		name     string
		vt       openstack.VolumeType
		want     VolumeTypeReport
		inReason string
	}{
		{"async", openstack.VolumeType{Name: "replicated-ssd", SpecsComplete: true, ExtraSpecs: map[string]string{"replication_enabled": "<is> True", "replication_type": "<in> async"}},
			VolumeTypeReport{Name: "replicated-ssd", ReplicationType: "async", Eligible: true, Checked: true}, ""},
		{"sync", openstack.VolumeType{Name: "replicated-sync", SpecsComplete: true, ExtraSpecs: map[string]string{"replication_enabled": " <is> True ", "replication_type": "<in> sync"}},
			VolumeTypeReport{Name: "replicated-sync", ReplicationType: "sync", Eligible: true, Checked: true}, ""},
		{"not enabled", openstack.VolumeType{Name: "standard", SpecsComplete: false},
			VolumeTypeReport{Name: "standard", Checked: true}, "replication_enabled is no such property, not '<is> True'"},
		{"enabled, type hidden", openstack.VolumeType{Name: "replicated-ssd", ExtraSpecs: map[string]string{"replication_enabled": "<is> True"}},
			VolumeTypeReport{Name: "replicated-ssd"}, "admins only (configure sites.site-a.admin)"},
		{"enabled, no type", openstack.VolumeType{Name: "half", SpecsComplete: true, ExtraSpecs: map[string]string{"replication_enabled": "<is> True"}},
			VolumeTypeReport{Name: "half", Checked: true}, "replication_type is no such property"},
		{"other type", openstack.VolumeType{Name: "odd", SpecsComplete: true, ExtraSpecs: map[string]string{"replication_enabled": "<is> True", "replication_type": "<in> metro"}},
			VolumeTypeReport{Name: "odd", ReplicationType: "<in> metro", Checked: true}, "replication_type is '<in> metro'"},
	}
	for _, tt := range tests {
		got := volumeTypeReport(&tt.vt, "site-a")
		reason := got.Reason
		got.Reason = ""
		if got != tt.want || !strings.Contains(reason, tt.inReason) || (tt.inReason == "") != (reason == "") {
			t.Errorf("%s: %+v (reason %q), want %+v with a reason containing %q", tt.name, got, reason, tt.want, tt.inReason)
		}
	}
}

func TestVolumeTypesOfSite(t *testing.T) {
	ctx := context.Background()
	for _, admin := range []bool{true, false} {
		_, e := testWorld(t, admin)
		types, err := e.VolumeTypes(ctx, "site-a")
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]VolumeTypeReport{}
		for _, vt := range types {
			byName[vt.Name] = vt
		}
		ssd, std := byName[simulator.TypeReplicatedSSD], byName[simulator.TypeStandard]
		if std.Eligible || !std.Checked || std.Reason == "" {
			t.Errorf("admin %v: standard = %+v", admin, std)
		}
		if admin && (!ssd.Eligible || ssd.ReplicationType != "async" || !byName[simulator.TypeReplicatedSync].Eligible) {
			t.Errorf("admin: replicated-ssd = %+v, replicated-sync = %+v", ssd, byName[simulator.TypeReplicatedSync])
		}
		if !admin && (ssd.Eligible || ssd.Checked || !strings.Contains(ssd.Reason, "admins only")) {
			t.Errorf("member: replicated-ssd = %+v, want not checked", ssd)
		}
	}
}
