package fault

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func newServer(t *testing.T) (*Injector, *httptest.Server, *atomic.Int32) {
	t.Helper()
	handled := &atomic.Int32{}
	inj := New()
	srv := httptest.NewServer(inj.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		_, _ = io.WriteString(w, "ok")
	})))
	t.Cleanup(srv.Close)
	return inj, srv, handled
}

func get(t *testing.T, url string) (*http.Response, error) {
	t.Helper()
	resp, err := http.Get(url)
	if err == nil {
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestRuleAppliesTimesThenExpires(t *testing.T) {
	inj, srv, handled := newServer(t)
	inj.Add(Rule{PathContains: "/volumes", Times: 2, Status: 503, Body: `{"message":"busy"}`})

	for i := 0; i < 2; i++ {
		if inj.Rules() != 1 {
			t.Fatalf("before request %d: %d rules installed, want 1", i, inj.Rules())
		}
		resp, err := get(t, srv.URL+"/v3/volumes")
		if err != nil || resp.StatusCode != 503 {
			t.Fatalf("request %d: got %v %v, want 503", i, resp, err)
		}
	}
	resp, err := get(t, srv.URL+"/v3/volumes")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the rule ran out: got %v %v, want 200", resp, err)
	}
	if handled.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", handled.Load())
	}
	if inj.Rules() != 0 {
		t.Fatalf("%d rules left after the rule ran out, want 0", inj.Rules())
	}
	if got := inj.Count("GET", "/volumes"); got != 3 {
		t.Fatalf("Count = %d, want 3", got)
	}
}

func TestRuleMatchesOnlyItsPathAndMethod(t *testing.T) {
	inj, srv, _ := newServer(t)
	inj.Add(Rule{Method: "POST", PathContains: "/groups", Status: 429, Header: http.Header{"Retry-After": {"1"}}})

	resp, err := get(t, srv.URL+"/groups")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET should not match a POST rule: %v %v", resp, err)
	}
	resp, err = http.Post(srv.URL+"/groups", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("POST: got %d Retry-After=%q, want 429 with Retry-After 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestDownDropsConnections(t *testing.T) {
	inj, srv, handled := newServer(t)
	inj.SetDown(true)
	if _, err := get(t, srv.URL+"/"); err == nil {
		t.Fatal("request to a down server succeeded")
	}
	inj.SetDown(false)
	if resp, err := get(t, srv.URL+"/"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after recovery: %v %v", resp, err)
	}
	if handled.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", handled.Load())
	}
}

func TestHangLastsUntilTheClientGivesUp(t *testing.T) {
	inj, srv, handled := newServer(t)
	inj.Add(Rule{Hang: true, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("a hanging request returned")
	}
	if handled.Load() != 0 {
		t.Fatalf("handler ran %d times, want 0", handled.Load())
	}
}

// A request whose context ends while it hangs or waits gets no answer at
// all: an empty 200 written after the client gave up could still reach a
// client reading the connection.
func TestAnAbandonedRequestIsNotAnswered(t *testing.T) {
	for name, rule := range map[string]Rule{
		"hang":  {Hang: true},
		"delay": {Delay: time.Hour},
	} {
		t.Run(name, func(t *testing.T) {
			inj := New()
			inj.Add(rule)
			h := inj.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				t.Error("the handler ran")
			}))
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			req := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
			defer func() {
				if got := recover(); got != http.ErrAbortHandler {
					t.Fatalf("recovered %v, want http.ErrAbortHandler", got)
				}
			}()
			h.ServeHTTP(httptest.NewRecorder(), req)
		})
	}
}

func TestAfterRunsTheHandlerButDropsTheAnswer(t *testing.T) {
	inj, srv, handled := newServer(t)
	inj.Add(Rule{Method: "PUT", After: true, Drop: true, Times: 1})
	req, _ := http.NewRequest("PUT", srv.URL+"/obj", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the client heard an answer")
	}
	if handled.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1: the operation must happen", handled.Load())
	}
}

func TestForRefusesEveryRequestUntilItsWindowEnds(t *testing.T) {
	inj, srv, handled := newServer(t)
	window := time.Second
	inj.Add(Rule{PathContains: "/volumes", For: window, Status: 429, Header: http.Header{"Retry-After": {"1"}}})
	for i := 0; i < 3; i++ {
		if resp, err := get(t, srv.URL+"/v3/volumes"); err != nil || resp.StatusCode != 429 {
			t.Fatalf("request %d inside the window: %v %v, want 429", i, resp, err)
		}
	}
	time.Sleep(window + 100*time.Millisecond)
	if resp, err := get(t, srv.URL+"/v3/volumes"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the window: %v %v, want 200", resp, err)
	}
	if handled.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", handled.Load())
	}
}

func TestDoChangesTheWorldWhenItsRequestArrives(t *testing.T) {
	inj, srv, handled := newServer(t)
	inj.Add(Rule{Method: "POST", PathContains: "/groups", Times: 1, Do: func() { inj.SetDown(true) }})
	if resp, err := get(t, srv.URL+"/groups"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET before the trigger: %v %v", resp, err)
	}
	if resp, err := http.Post(srv.URL+"/groups", "application/json", nil); err == nil {
		resp.Body.Close()
		t.Fatal("the request whose arrival took the server down was answered")
	}
	if _, err := get(t, srv.URL+"/groups"); err == nil {
		t.Fatal("the server answered after Do took it down")
	}
	if handled.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", handled.Load())
	}
}
