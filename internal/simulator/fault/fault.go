// Package fault makes a simulated API fail on demand: down (connections
// dropped), slow (latency on every request), failing with a status code for
// the next N matching requests (5xx, 429 with Retry-After), or hanging until
// the client gives up, refused for a rate-limit window (For), or changing
// the world when a given request arrives (Do). It also records every
// request it sees, so tests can count API calls per endpoint instead of
// timing them.
package fault

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Rule makes matching requests misbehave. A zero Method or PathContains
// matches every request.
type Rule struct {
	Method       string
	PathContains string

	// Times is how many matching requests the rule applies to; 0 means every
	// matching request until the rule is cleared.
	Times int

	// Status, with Body and Header, is the response sent instead of the real
	// one. Zero leaves the response to the handler (useful with Delay).
	Status int
	Body   string
	Header http.Header

	// Delay is slept before the request is handled or answered.
	Delay time.Duration
	// Hang blocks until the client gives up (its context ends or the
	// connection closes): a response slower than any timeout.
	Hang bool
	// Drop closes the connection without an answer, as a dead peer would.
	Drop bool
	// After lets the real handler run first and then applies the rule's
	// Drop: the operation happened but the client never hears of it.
	After bool

	// For, when set, keeps the rule applying to every matching request for
	// this long after it first matched, then removes it (Times is ignored):
	// a rate limiter answering 429 until its window ends. A client that
	// honours Retry-After (>= For) is refused once; one that does not is
	// refused again and again.
	For time.Duration
	// Do, when set, runs (outside the injector's lock) each time the rule
	// matches, before the request is handled: it changes the world at an
	// exact point of a run, e.g. expires tokens or takes a peer down when a
	// given request arrives.
	Do func()

	// until is when a rule with For stops applying (zero before it first
	// matched).
	until time.Time
}

func (r *Rule) matches(req *http.Request) bool {
	if r.Method != "" && !strings.EqualFold(r.Method, req.Method) {
		return false
	}
	return r.PathContains == "" || strings.Contains(req.URL.Path, r.PathContains)
}

// Request is one request the injector saw.
type Request struct {
	Method string
	Path   string
	Query  string
	Time   time.Time
}

// Injector wraps an http.Handler with the faults currently set.
type Injector struct {
	mu       sync.Mutex
	down     bool
	latency  time.Duration
	rules    []*Rule
	requests []Request
}

// New returns an injector with no faults set.
func New() *Injector { return &Injector{} }

// SetDown makes every request fail as if the host were unreachable.
func (i *Injector) SetDown(down bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.down = down
}

// Down reports whether the injector drops every request.
func (i *Injector) Down() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.down
}

// SetLatency delays every request by d, standing for a WAN round trip.
func (i *Injector) SetLatency(d time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.latency = d
}

// Add installs a rule; rules are tried in the order they were added.
func (i *Injector) Add(r Rule) {
	i.mu.Lock()
	defer i.mu.Unlock()
	rule := r
	i.rules = append(i.rules, &rule)
}

// Clear removes every rule, the latency and the down flag. Recorded
// requests are kept.
func (i *Injector) Clear() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rules = nil
	i.latency = 0
	i.down = false
}

// Rules counts the rules still installed: a rule with Times is removed once
// it has applied that many times, so 0 after a run proves every injected
// failure was served.
func (i *Injector) Rules() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return len(i.rules)
}

// Requests returns a copy of the requests seen so far.
func (i *Injector) Requests() []Request {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]Request(nil), i.requests...)
}

// Count returns how many recorded requests have the method (empty: any) and
// a path containing pathContains.
func (i *Injector) Count(method, pathContains string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	n := 0
	for _, r := range i.requests {
		if (method == "" || strings.EqualFold(method, r.Method)) && strings.Contains(r.Path, pathContains) {
			n++
		}
	}
	return n
}

// ResetRequests forgets the recorded requests.
func (i *Injector) ResetRequests() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.requests = nil
}

// take returns the rule for req, consuming one of its Times, and the current
// down flag and latency.
func (i *Injector) take(req *http.Request) (rule *Rule, down bool, latency time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.requests = append(i.requests, Request{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Time: time.Now()})
	now := time.Now()
	live := i.rules[:0:0]
	for _, r := range i.rules {
		if r.For == 0 || r.until.IsZero() || !now.After(r.until) {
			live = append(live, r)
		}
	}
	i.rules = live
	for idx, r := range i.rules {
		if !r.matches(req) {
			continue
		}
		if r.For > 0 {
			if r.until.IsZero() {
				r.until = now.Add(r.For)
			}
		} else if r.Times > 0 {
			r.Times--
			if r.Times == 0 {
				i.rules = append(i.rules[:idx:idx], i.rules[idx+1:]...)
			}
		}
		c := *r
		rule = &c
		break
	}
	return rule, i.down, i.latency
}

// Wrap returns next behind the injector.
func (i *Injector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rule, down, latency := i.take(req)
		if rule != nil && rule.Do != nil {
			rule.Do()
			down = i.Down() // Do may take the server down, this request included
		}
		if down {
			drop(w)
			return
		}
		if latency > 0 && !sleep(req, latency) {
			abandon()
		}
		if rule == nil {
			next.ServeHTTP(w, req)
			return
		}
		if rule.Delay > 0 && !sleep(req, rule.Delay) {
			abandon()
		}
		if rule.Hang {
			<-req.Context().Done()
			abandon()
		}
		if rule.After {
			rec := &discard{header: http.Header{}}
			next.ServeHTTP(rec, req)
			drop(w)
			return
		}
		if rule.Drop {
			drop(w)
			return
		}
		if rule.Status == 0 {
			next.ServeHTTP(w, req)
			return
		}
		for k, vs := range rule.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		if rule.Body != "" && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(rule.Status)
		_, _ = w.Write([]byte(rule.Body))
	})
}

// abandon ends a request with no answer at all: net/http closes the
// connection. After the client gave up, a plain return would let net/http
// send an empty 200, which a client still reading the connection takes for
// a real answer.
func abandon() {
	panic(http.ErrAbortHandler)
}

func sleep(req *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-req.Context().Done():
		return false
	}
}

// drop closes the connection without writing a response.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	abandon()
}

// discard swallows a response the client must not see.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
