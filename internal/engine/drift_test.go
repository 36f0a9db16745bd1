package engine

import (
	"context"
	"net/http"
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
