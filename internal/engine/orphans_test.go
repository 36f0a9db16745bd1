package engine

import (
	"context"
	"strings"
	"testing"
)

// TestCheckOrphans: consistency groups of a group whose metadata is gone
// from both sites refuse a new group of that name (at plan and at create),
// naming them; while the name record still names their group (a create
// that stopped half-way), they are the create's to resume, not orphans.
func TestCheckOrphans(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	registerSites(t, e)
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.checkOrphans(ctx, guideGroup()); err != nil {
		t.Fatalf("a live group's consistency groups were taken for orphans: %v", err)
	}
	for _, site := range []string{"site-a", "site-b"} {
		for _, name := range w.Site(site).Objects(container, groupPrefix(g.ID)) {
			w.Site(site).DeleteObject(container, name)
		}
	}
	if err := e.checkOrphans(ctx, guideGroup()); err != nil {
		t.Fatalf("a name record with no metadata (a create to resume) was refused: %v", err)
	}
	for _, site := range []string{"site-a", "site-b"} {
		w.Site(site).DeleteObject(container, nameObject(guideGroup().Name))
	}
	err = e.checkOrphans(ctx, guideGroup())
	if !IsKind(err, KindOrphaned) || !strings.Contains(err.Error(), g.PrimaryConsistencyGroup+" on site-a") ||
		!strings.Contains(err.Error(), g.SecondaryConsistencyGroup+" on site-b") {
		t.Fatalf("checkOrphans after the metadata was lost = %v, want both consistency groups named", err)
	}
	e.forget(g.ID)
	if _, err := e.CreateGroup(ctx, guideGroup()); !IsKind(err, KindOrphaned) {
		t.Fatalf("CreateGroup beside the orphans = %v, want refused", err)
	}
	if n := len(w.Site("site-a").Groups()); n != 1 {
		t.Fatalf("site-a holds %d consistency groups after the refused create, want 1", n)
	}
}
