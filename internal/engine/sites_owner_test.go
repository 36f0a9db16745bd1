package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestSiteRegistrationHasOneOwner: a second registration of a site is
// refused and leaves the first as it was; deregistering a site that a
// group's metadata names is refused, naming the group, until the group is
// deleted.
func TestSiteRegistrationHasOneOwner(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	registerSites(t, e)
	before, _ := w.Site("site-a").Object(container, siteObject("site-a"))
	if _, err := e.RegisterSite(ctx, SiteSpec{Name: "site-a", Description: "again"}); !IsKind(err, KindRegistered) {
		t.Fatalf("second registration of site-a = %v, want refused as already registered", err)
	}
	if after, _ := w.Site("site-a").Object(container, siteObject("site-a")); string(after) != string(before) {
		t.Fatalf("the refused registration rewrote the record:\n%s\nwas\n%s", after, before)
	}
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	for _, site := range []string{"site-a", "site-b"} {
		err := e.UnregisterSite(ctx, site)
		if !IsKind(err, KindSiteInUse) || !strings.Contains(err.Error(), "prod-web-app ("+g.ID+")") {
			t.Fatalf("deregistering %s under the group = %v, want refused naming prod-web-app (%s)", site, err, g.ID)
		}
		if _, ok := w.Site(site).Object(container, siteObject(site)); !ok {
			t.Fatalf("the refused deregistration removed the record of %s", site)
		}
	}
	if err := e.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	for _, site := range []string{"site-a", "site-b"} {
		if err := e.UnregisterSite(ctx, site); err != nil {
			t.Fatalf("deregistering %s after the group was deleted: %v", site, err)
		}
	}
}

// A site named nowhere else is its clouds.yaml entry, and its admin
// credential, naming neither an entry nor an auth URL, logs in where the
// site does: both logins succeed with only a user and password given.
func TestSiteCredentialsFromItsEntry(t *testing.T) {
	_, base := testWorld(t, false)
	cfg := base.cfg
	cfg.Sites = map[string]SiteConnection{
		"site-a": {Admin: &Credentials{Username: simulator.AdminUser, Password: simulator.AdminPassword}},
	}
	s, err := New(cfg).site("site-a")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Authenticate(context.Background()); err != nil {
		t.Fatalf("the site and its admin credential log in: %v", err)
	}
	if !s.HasAdmin() {
		t.Error("the admin credential is not used")
	}
}
