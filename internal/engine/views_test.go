package engine

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The readings the engine gives its callers ready-made, so that none of
// them decides what a group, member, site or drill means.

// Moved from the provider's TestSyncWarningSaysWhatIsWhere.
func TestPushFailedSaysWhatIsWhere(t *testing.T) {
	g := &Group{Name: "prod-web-app", PrimarySite: "site-a", SecondarySite: "site-b", MetadataVersion: 2,
		Sync: SyncStatus{Status: SyncUnreachable, RemoteVersion: 1, Error: "PUT ...: EOF"}}
	summary, detail := g.PushFailed()
	for _, want := range []string{"out of sync (UNREACHABLE)", "version 2 is recorded on site-a", "push to site-b failed: PUT ...: EOF", "site-b holds version 1", "next plan shows the repair"} {
		if !strings.Contains(summary+" "+detail, want) {
			t.Errorf("%q / %q does not say %q", summary, detail, want)
		}
	}
	for _, status := range []string{SyncSynced, ""} {
		g.Sync = SyncStatus{Status: status, RemoteVersion: 2}
		if summary, _ := g.PushFailed(); summary != "" {
			t.Errorf("a group whose push said %q failed: %s", status, summary)
		}
	}
}

func TestMemberFindings(t *testing.T) {
	m := &Member{Drift: []string{"volume v3 is not protected"}, Broken: []string{"the instance is gone"}}
	if got := m.Findings(); !slices.Equal(got, []string{"volume v3 is not protected", "the instance is gone"}) {
		t.Errorf("Findings() = %q, want the drift, then what an apply cannot repair", got)
	}
	if len(m.Drift) != 1 {
		t.Errorf("Findings changed the member's drift: %q", m.Drift)
	}
}

func TestSiteNamesGroupType(t *testing.T) {
	s := &Site{ConsistencyGroupType: "consistent-snapshots", ConsistencyGroupTypeID: "6f1c1f3e-0a34-4b1a-9a53-6b0e7a6f1a11"}
	for name, want := range map[string]bool{"consistent-snapshots": true, "6f1c1f3e-0a34-4b1a-9a53-6b0e7a6f1a11": true, "default": false} {
		if got := s.NamesGroupType(name); got != want {
			t.Errorf("NamesGroupType(%q) = %v, want %v", name, got, want)
		}
	}
}

// A drill's recovery time is its slowest member's; a member's volumes are
// those the drill made.
func TestDrillReadings(t *testing.T) {
	d := &Drill{Members: []DrillMember{
		{RecoveryTime: 40 * time.Second, Volumes: []DrillVolume{{VolumeID: "v1"}, {VolumeID: ""}, {VolumeID: "v2"}}},
		{RecoveryTime: 75 * time.Second},
		{RecoveryTime: 60 * time.Second},
	}}
	if got := d.RecoveryTime(); got != 75*time.Second {
		t.Errorf("RecoveryTime() = %s, want the slowest member's 1m15s", got)
	}
	if got := d.Members[0].VolumeIDs(); !slices.Equal(got, []string{"v1", "v2"}) {
		t.Errorf("VolumeIDs() = %q, want the two the drill made", got)
	}
	if got := (&Drill{}).RecoveryTime(); got != 0 {
		t.Errorf("a drill without members took %s", got)
	}
}
