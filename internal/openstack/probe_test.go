package openstack

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// countingDials returns an HTTP client that counts the connections it opens:
// a refused connection never reaches the server, so the server cannot count
// the attempts.
func countingDials(dials *atomic.Int32) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	var d net.Dialer
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: t}
}

// TestProbeTakesATransportFailureAsTheAnswer: a login under Probing is sent
// once to a site that refuses connections or never answers, where an
// ordinary login retries MaxRetries times.
func TestProbeTakesATransportFailureAsTheAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		breakSite func(sim *simSite)
	}{
		{"refused", func(sim *simSite) { sim.Close() }},
		{"accepts and never answers", func(sim *simSite) { sim.Faults().Add(fault.Rule{Hang: true}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t)
			tc.breakSite(sim)
			for _, probe := range []bool{true, false} {
				var dials atomic.Int32
				cfg := sim.testConfig()
				cfg.RequestTimeout = 100 * time.Millisecond
				cfg.HTTPClient = countingDials(&dials)
				s := newSite(t, cfg)
				ctx := testCtx(t)
				if probe {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(Probing(ctx), 2*time.Second)
					defer cancel()
				}
				err := s.Authenticate(ctx)
				if !IsUnreachable(err) {
					t.Fatalf("probe=%t: err = %v, want unreachable", probe, err)
				}
				want := int32(1)
				if !probe {
					want = int32(cfg.MaxRetries) + 1
				}
				if n := dials.Load(); n != want {
					t.Errorf("probe=%t: %d connections, want %d", probe, n, want)
				}
			}
		})
	}
}

// TestLoginWaitEndsWithTheContext: a caller waiting behind a login to a
// site that never answers gives up when its own context ends.
func TestLoginWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	sim.Faults().Add(fault.Rule{Hang: true})
	cfg := sim.testConfig()
	cfg.RequestTimeout = time.Minute
	s := newSite(t, cfg)
	first, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	go func() { _ = s.Authenticate(first) }()
	for sim.Faults().Count(http.MethodPost, "/auth/tokens") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := s.Authenticate(ctx)
	if !IsUnreachable(err) {
		t.Fatalf("err = %v, want unreachable", err)
	}
	if n := sim.Faults().Count(http.MethodPost, "/auth/tokens"); n != 1 {
		t.Errorf("%d logins sent, want 1 (the second caller waits for the first)", n)
	}
}
