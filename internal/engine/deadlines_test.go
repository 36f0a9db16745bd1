package engine

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// TestMaxRetriesZeroRetriesNothing: MaxRetries 0 sends a failing request
// once (the clients read their own 0 as "default"), and MaxRetries 2 three
// times.
func TestMaxRetriesZeroRetriesNothing(t *testing.T) {
	for _, retries := range []int{0, 2} {
		w, e := testWorld(t, false)
		e.cfg.MaxRetries = retries
		faults := w.Site("site-b").Faults()
		faults.Add(fault.Rule{Method: http.MethodPost, PathContains: "/auth/tokens", Status: http.StatusServiceUnavailable})
		s, err := e.site("site-b")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Authenticate(context.Background()); err == nil {
			t.Fatalf("max retries %d: login answered 503 succeeded", retries)
		}
		if n := faults.Count(http.MethodPost, "/auth/tokens"); n != retries+1 {
			t.Errorf("max retries %d: %d logins sent, want %d", retries, n, retries+1)
		}
	}
}

// TestUnknownSiteIsTitledForWhatItIs: a site neither in Sites nor in
// clouds.yaml is an unknown site, and the fix names the provider's real
// argument (clouds_yaml).
func TestUnknownSiteIsTitledForWhatItIs(t *testing.T) {
	_, e := testWorld(t, false)
	_, err := e.site("site-c")
	if !IsKind(err, KindUnknownSite) {
		t.Fatalf("err = %v, want kind %q", err, KindUnknownSite)
	}
	for _, want := range []string{`site "site-c" is not configured in the provider's sites and has no clouds.yaml entry of that name`, "clouds_yaml argument"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "clouds_yaml_path") {
		t.Errorf("%q names clouds_yaml_path, which is no argument", err)
	}
}
