package engine

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// A delete of a group's metadata cut short leaves the group readable at
// its newest version, never at an older one: the newest goes last.
func TestDeleteCutShortKeepsTheNewestVersion(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	g := createGuideGroup(t, e)
	for _, text := range []string{"one", "two", "three"} {
		if _, err := e.UpdateGroupDescription(ctx, g.ID, text); err != nil {
			t.Fatal(err)
		}
	}
	w.Site("site-a").Faults().Add(fault.Rule{Method: "DELETE", PathContains: versionObject(g.ID, 4), Times: 100, Status: 503})
	if err := e.DeleteGroup(ctx, g.ID); err == nil {
		t.Fatal("delete succeeded although the newest version could not be deleted")
	}
	if left := versionsOn(w, "site-a", g.ID); len(left) != 1 || left[0] != versionObject(g.ID, 4) {
		t.Fatalf("site-a keeps %v, want only the newest version", left)
	}
	w.Site("site-a").Faults().Clear()
	s, _ := e.site("site-a")
	d, err := readDocument(ctx, s, g.ID)
	if err != nil || d.Version != 4 || d.Group.Description != "three" {
		t.Fatalf("after the cut-short delete the group reads as %+v, %v; want version 4", d, err)
	}
	if err := e.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatalf("delete again: %v", err)
	}
	if left := versionsOn(w, "site-a", g.ID); len(left) != 0 {
		t.Fatalf("site-a keeps %v after the delete", left)
	}
}

// A push to a peer whose metadata container was removed out of band makes
// it again and delivers the version, and the versions it lost.
func TestPushRecreatesAMissingPeerContainer(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	g := createGuideGroup(t, e)
	w.Site("site-b").Update(func(st *openstacksim.State) {
		for key := range st.Containers {
			if strings.HasSuffix(key, "/"+container) {
				delete(st.Containers, key)
			}
		}
	})
	got, err := e.UpdateGroupDescription(ctx, g.ID, "after the container went")
	if err != nil {
		t.Fatal(err)
	}
	if got.Sync.Status != SyncSynced || got.Sync.RemoteVersion != 2 {
		t.Fatalf("sync %+v, want synced at version 2", got.Sync)
	}
	// Version 1 went with the container: it is restored beside version 2.
	if left := versionsOn(w, "site-b", g.ID); len(left) != 2 || left[0] != versionObject(g.ID, 1) || left[1] != versionObject(g.ID, 2) {
		t.Fatalf("site-b holds %v, want versions 1 and 2", left)
	}
}

// A peer copy at the newest version but with other bytes is read and found
// damaged: the content hash spares the read only when the bytes are the
// same.
func TestDamagedPeerCopyIsFoundDespiteTheHashShortcut(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	g := createGuideGroup(t, e)
	b := w.Site("site-b")
	project, _ := b.ProjectID(simulator.Project)
	name := versionObject(g.ID, 1)
	data, ok := b.Object(container, name)
	if !ok {
		t.Fatalf("site-b holds no %s", name)
	}
	b.PutObject(project, container, name, []byte(strings.Replace(string(data), "prod-web-app", "tampered", 1)))
	got, err := New(e.cfg).GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got.Drift, func(d string) bool { return strings.Contains(d, "the metadata on site-b is damaged") }) {
		t.Fatalf("drift %q, want the damaged copy on site-b", got.Drift)
	}
	if n := b.Faults().Count("GET", "/protector/"+name); n != 1 {
		t.Fatalf("site-b's copy was read %d times, want once", n)
	}
}

// The repair rule on the peer's side: a damaged copy newer than the
// primary's newest is deleted, not taken, and the versions the peer lacks
// are copied from the primary as the bytes they are.
func TestRepairDropsADamagedNewerPeerCopy(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	g := createGuideGroup(t, e)
	b := w.Site("site-b")
	project, _ := b.ProjectID(simulator.Project)
	b.PutObject(project, container, versionObject(g.ID, 2), []byte(`{"version": 2, "checksum": "sha256:0"}`))
	got, err := New(e.cfg).GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MetadataVersion != 1 || got.Sync.Status != SyncFailed ||
		!slices.ContainsFunc(got.Drift, func(d string) bool { return strings.Contains(d, "the metadata on site-b is damaged") }) {
		t.Fatalf("version %d, sync %+v, drift %q; want version 1, FAILED, the damaged copy on site-b", got.MetadataVersion, got.Sync, got.Drift)
	}
	if _, err := e.RepairGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if left := versionsOn(w, "site-b", g.ID); len(left) != 1 || left[0] != versionObject(g.ID, 1) {
		t.Fatalf("site-b holds %v after the repair, want version 1 only", left)
	}
	pa, _ := w.Site("site-a").Object(container, versionObject(g.ID, 1))
	pb, _ := b.Object(container, versionObject(g.ID, 1))
	if string(pa) != string(pb) {
		t.Fatal("site-b's version 1 differs from site-a's after the repair")
	}
	got, err = New(e.cfg).GetGroup(ctx, g.ID)
	if err != nil || got.Sync.Status != SyncSynced || len(got.Drift) != 0 {
		t.Fatalf("after the repair: %v, sync %+v, drift %q; want SYNCED without drift", err, got.Sync, got.Drift)
	}
}

// The primary's newest copy damaged: the group reads as its newest intact
// version, the refresh says what is damaged, and the repair takes the
// peer's intact copy of that version rather than write another.
func TestDamagedPrimaryCopyIsReplacedFromThePeer(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	g := createGuideGroup(t, e)
	if _, err := e.UpdateGroupDescription(ctx, g.ID, "second"); err != nil {
		t.Fatal(err)
	}
	a := w.Site("site-a")
	project, _ := a.ProjectID(simulator.Project)
	name := versionObject(g.ID, 2)
	good, _ := a.Object(container, name)
	a.PutObject(project, container, name, []byte(strings.Replace(string(good), "second", "tampered", 1)))
	got, err := New(e.cfg).GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sync.Status != SyncFailed || got.Description != "second" ||
		!slices.ContainsFunc(got.Drift, func(d string) bool { return strings.Contains(d, "the metadata on site-a is damaged (version 2: ") }) {
		t.Fatalf("description %q, sync %+v, drift %q; want site-b's version 2, FAILED, the damaged copy on site-a", got.Description, got.Sync, got.Drift)
	}
	if _, err := e.RepairGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if now, _ := a.Object(container, name); string(now) != string(good) {
		t.Fatal("site-a's version 2 is not site-b's copy after the repair")
	}
	got, err = New(e.cfg).GetGroup(ctx, g.ID)
	if err != nil || got.Sync.Status != SyncSynced || len(got.Drift) != 0 || got.MetadataVersion != 2 {
		t.Fatalf("after the repair: %v, version %d, sync %+v, drift %q; want version 2, SYNCED, no drift", err, got.MetadataVersion, got.Sync, got.Drift)
	}
}
