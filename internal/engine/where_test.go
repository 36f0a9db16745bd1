package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLoadGroupLooksWhereTheStateSays: an engine with no sites map (sites
// reached only through clouds.yaml) and a fresh process, as in a refresh
// after the first apply. Without being told where a group lives it has
// nobody to ask, and says so (an error, never "not found", so that the
// resource is not dropped from the state); told the sites, it finds the
// group, and "not found" comes only when the sites answered that it is gone.
func TestLoadGroupLooksWhereTheStateSays(t *testing.T) {
	ctx := context.Background()
	w, first := testWorld(t, false)
	registerSites(t, first)
	g, err := first.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}

	fresh := func() *Engine {
		e := New(first.cfg)
		e.cfg.Sites = nil
		return e
	}
	// No site configured and no clouds.yaml entry to try: nobody to ask.
	e := fresh()
	empty := filepath.Join(t.TempDir(), "clouds.yaml")
	if err := os.WriteFile(empty, []byte("clouds: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.cfg.CloudsYAMLPath = empty
	_, err = e.GetGroup(ctx, g.ID)
	if err == nil || errors.Is(err, ErrNotFound) || !IsKind(err, KindInvalid) {
		t.Fatalf("GetGroup with no site known: %v, want an invalid-request error that is not ErrNotFound", err)
	}
	if err := e.DeleteGroup(ctx, g.ID); err == nil {
		t.Fatal("DeleteGroup with no site known succeeded without asking anyone")
	}
	if _, ok := w.Site("site-a").Group(g.PrimaryConsistencyGroup); !ok {
		t.Fatal("the consistency group is gone after a delete that asked nobody")
	}

	// Not told where, the clouds.yaml entries are asked in turn (the
	// guide's Step 4: they are the sites).
	e = fresh()
	if got, err := e.GetGroup(ctx, g.ID); err != nil || got.PrimarySite != "site-a" {
		t.Fatalf("GetGroup through the clouds.yaml entries = %+v, %v; want the group on site-a", got, err)
	}

	e.Locate(g.ID, "site-a", "site-b")
	got, err := e.GetGroup(ctx, g.ID)
	if err != nil || got.ID != g.ID || got.PrimarySite != "site-a" {
		t.Fatalf("GetGroup with the state's sites = %+v, %v; want the group on site-a", got, err)
	}

	// A member's state names only the primary site; the secondary is
	// enough too (its copy names the primary).
	e = fresh()
	e.Locate(g.ID, "site-b")
	if _, err := e.GetGroup(ctx, g.ID); err != nil {
		t.Fatalf("GetGroup told only the secondary site: %v", err)
	}

	e = fresh()
	e.Locate(g.ID, "site-a", "site-b")
	if err := e.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatalf("DeleteGroup with the state's sites: %v", err)
	}
	for site, cg := range map[string]string{"site-a": g.PrimaryConsistencyGroup, "site-b": g.SecondaryConsistencyGroup} {
		if c, ok := w.Site(site).Group(cg); ok && c.Status != "deleted" {
			t.Errorf("consistency group %s on %s is %s after the delete", cg, site, c.Status)
		}
	}
	e = fresh()
	e.Locate(g.ID, "site-a", "site-b")
	if _, err := e.GetGroup(ctx, g.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetGroup after the delete: %v, want ErrNotFound (both sites answered)", err)
	}
}
