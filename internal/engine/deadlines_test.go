package engine

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
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

// TestPrewarmDoesNotHoldUpACallsDeadline: a call whose deadline ends while
// Prewarm's login to an array is still unanswered returns then, with the
// array reported unreachable, instead of waiting for that login.
func TestPrewarmDoesNotHoldUpACallsDeadline(t *testing.T) {
	w, e := testWorld(t, false)
	a, _ := arrayEndpoints(w)
	arr := w.Array("flasharray-a")
	arrived, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the world closes
	arr.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/login", Times: 1, Do: func() {
		close(arrived)
		<-release
	}})
	cfg := e.cfg
	cfg.Sites = nil
	cfg.ArrayTokens = map[string]string{a.URL: a.APIToken}
	// Only the test ends the prewarm's login: neither its bound nor a
	// request's timeout does.
	cfg.RequestTimeout, cfg.ReachabilityTimeout = time.Hour, time.Hour
	fresh := New(cfg)
	fresh.Prewarm(context.Background())
	<-arrived

	c, err := fresh.array(ArrayEndpoint{URL: a.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = fresh.arrayName(ctx, c, a.URL)
	if !IsKind(err, KindArray) || !flasharray.IsUnreachable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the array unreachable within the call's deadline", err)
	}
	if !strings.Contains(err.Error(), "could not be reached") {
		t.Errorf("%q does not say the array could not be reached", err)
	}
}

// TestPrewarmArrayLoginIsBounded: Prewarm gives up a login to an array that
// does not answer at the reachability timeout, however long a request may
// take, so a call waiting for it then logs in itself.
func TestPrewarmArrayLoginIsBounded(t *testing.T) {
	w, e := testWorld(t, false)
	a, _ := arrayEndpoints(w)
	arr := w.Array("flasharray-a")
	cfg := e.cfg
	cfg.Sites = nil
	cfg.ArrayTokens = map[string]string{a.URL: a.APIToken}
	cfg.RequestTimeout, cfg.ReachabilityTimeout = time.Hour, time.Second
	fresh := New(cfg)
	c, err := fresh.array(a)
	if err != nil {
		t.Fatal(err)
	}
	// A session opened and ended beforehand leaves the version negotiated
	// and a connection open: the prewarm's login reaches the array at once,
	// well within its bound.
	if _, err := c.Array(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{})
	arr.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/login", Times: 1, Hang: true, Do: func() { close(arrived) }})
	fresh.Prewarm(context.Background())
	<-arrived

	name, err := fresh.arrayName(context.Background(), c, a.URL)
	if err != nil || name != "flasharray-a" {
		t.Fatalf("arrayName = %q, %v; want flasharray-a", name, err)
	}
	if n := arr.Faults().Count(http.MethodPost, "/login"); n != 3 {
		t.Errorf("%d logins, want 3 (before, Prewarm's given up, the call's)", n)
	}
}
