package flasharraysim

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "T-sim-test-token"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// session is a raw HTTPS client logged in to one array.
type session struct {
	t     *testing.T
	a     *Array
	http  *http.Client
	token string
}

func start(t *testing.T, name string, clk *clock, delay time.Duration) *Array {
	t.Helper()
	a := New(Options{Name: name, APITokens: []string{testToken}, AsyncDelay: delay, Now: clk.Now})
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	t.Cleanup(func() {
		if err := a.SpecError(); err != nil {
			t.Error(err)
		}
	})
	return a
}

func httpClient(t *testing.T, a *Array) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(a.CACertPEM()) {
		t.Fatal("CA PEM unreadable")
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func login(t *testing.T, a *Array) *session {
	t.Helper()
	s := &session{t: t, a: a, http: httpClient(t, a)}
	req, _ := http.NewRequest(http.MethodPost, a.URL()+"/api/2.26/login", nil)
	req.Header.Set("api-token", testToken)
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("x-auth-token") == "" {
		t.Fatalf("login: %d, token %q", resp.StatusCode, resp.Header.Get("x-auth-token"))
	}
	s.token = resp.Header.Get("x-auth-token")
	return s
}

// do calls /api/2.26<path> and decodes the JSON answer (nil when empty).
func (s *session) do(method, path string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.a.URL()+"/api/2.26"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("x-auth-token", s.token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if len(bytes.TrimSpace(raw)) == 0 {
		return resp.StatusCode, nil
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
	}
	return resp.StatusCode, out
}

// must calls and fails the test unless the status is 200.
func (s *session) must(method, path string, body any) map[string]any {
	s.t.Helper()
	status, out := s.do(method, path, body)
	if status != 200 {
		s.t.Fatalf("%s %s: %d %v", method, path, status, out)
	}
	return out
}

func items(out map[string]any) []map[string]any {
	var res []map[string]any
	for _, it := range out["items"].([]any) {
		res = append(res, it.(map[string]any))
	}
	return res
}

// firstError returns the context and message of the first error.
func firstError(t *testing.T, out map[string]any) (string, string) {
	t.Helper()
	errs, ok := out["errors"].([]any)
	if !ok || len(errs) == 0 {
		t.Fatalf("no errors list in %v", out)
	}
	e := errs[0].(map[string]any)
	ctx, _ := e["context"].(string)
	return ctx, e["message"].(string)
}

func TestVersionsAndAuth(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	a := start(t, "fa", clk, 0)
	hc := httpClient(t, a)

	resp, err := hc.Get(a.URL() + "/api/api_version")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Version []string }
	_ = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if len(v.Version) == 0 || v.Version[len(v.Version)-1] != "2.26" {
		t.Fatalf("versions = %v", v.Version)
	}

	tests := []struct {
		name   string
		header string
		value  string
		path   string
		want   int
	}{
		{"login with unknown token", "api-token", "T-unknown", "/api/2.26/login", 401},
		{"login without token", "", "", "/api/2.26/login", 401},
		{"call without session", "", "", "/api/2.26/arrays", 401},
		{"call with made-up session", "x-auth-token", "not-a-session", "/api/2.26/arrays", 401},
		{"unsupported version", "x-auth-token", "x", "/api/2.99/arrays", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodGet
			if strings.HasSuffix(tt.path, "/login") {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, a.URL()+tt.path, nil)
			if tt.header != "" {
				req.Header.Set(tt.header, tt.value)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			firstError(t, out)
		})
	}
	// Those requests were bad on purpose: the spec check caught each.
	var caught []string
	for _, m := range a.SpecMismatches() {
		caught = append(caught, m.Problem)
	}
	if want := []string{"login without an api-token header", "no x-auth-token (or Authorization) header", "REST version 2.99 is not covered by the 2.26 spec"}; !slices.Equal(caught, want) {
		t.Errorf("spec mismatches = %q, want %q", caught, want)
	}
	a.ResetSpecMismatches()

	s := login(t, a)
	s.must(http.MethodGet, "/arrays", nil)
	a.ExpireSessions()
	if status, _ := s.do(http.MethodGet, "/arrays", nil); status != 401 {
		t.Fatalf("after ExpireSessions: %d, want 401", status)
	}
	s = login(t, a)
	s.must(http.MethodPost, "/logout", nil)
	if status, _ := s.do(http.MethodGet, "/arrays", nil); status != 401 {
		t.Fatalf("after logout: %d, want 401", status)
	}
}

func TestListShapeAndPaging(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	a := start(t, "fa", clk, 0)
	for _, n := range []string{"v1", "v2", "v3", "v4", "v5"} {
		a.AddVolume(n, 1<<20)
	}
	s := login(t, a)

	out := s.must(http.MethodGet, "/volumes", nil)
	for _, k := range []string{"more_items_remaining", "items"} {
		if _, ok := out[k]; !ok {
			t.Errorf("list answer lacks %q: %v", k, out)
		}
	}
	// The last page has no continuation_token (absent: the spec has no null).
	if _, ok := out["continuation_token"]; ok || len(items(out)) != 5 || out["more_items_remaining"] != false {
		t.Fatalf("unpaged list = %v", out)
	}

	var names []string
	path := "/volumes?limit=2&total_item_count=true"
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("paging does not end")
		}
		out := s.must(http.MethodGet, path, nil)
		if out["total_item_count"] != float64(5) {
			t.Fatalf("total_item_count = %v", out["total_item_count"])
		}
		for _, it := range items(out) {
			names = append(names, it["name"].(string))
		}
		tok, _ := out["continuation_token"].(string)
		if tok == "" {
			if out["more_items_remaining"] != false {
				t.Fatalf("no token but more items: %v", out)
			}
			break
		}
		path = "/volumes?limit=2&total_item_count=true&continuation_token=" + tok
	}
	if strings.Join(names, ",") != "v1,v2,v3,v4,v5" {
		t.Fatalf("paged names = %v", names)
	}

	if status, out := s.do(http.MethodGet, "/volumes?filter=name%3D'v1'", nil); status != 400 {
		t.Fatalf("unsupported parameter: %d %v, want 400", status, out)
	}
	if status, out := s.do(http.MethodGet, "/volumes?names=v1,nope", nil); status != 400 {
		t.Fatalf("missing name: %d %v, want 400", status, out)
	} else if ctx, msg := firstError(t, out); ctx != "nope" || !strings.Contains(msg, "does not exist") {
		t.Fatalf("missing name error = %q %q", ctx, msg)
	}
}

func TestProtectionGroupRules(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	a := start(t, "fa-a", clk, time.Minute)
	b := start(t, "fa-b", clk, time.Minute)
	c := start(t, "fa-c", clk, time.Minute) // not connected
	Connect(a, b)
	a.AddVolume("vol", 1<<30)
	sa, sb := login(t, a), login(t, b)

	tests := []struct {
		name    string
		s       *session
		method  string
		path    string
		body    any
		want    int
		context string
		message string
	}{
		{"create", sa, "POST", "/protection-groups?names=pg", nil, 200, "", ""},
		{"create again", sa, "POST", "/protection-groups?names=pg", nil, 400, "pg", "already exists"},
		{"patch missing", sa, "PATCH", "/protection-groups?names=nope", map[string]any{"destroyed": true}, 400, "nope", "does not exist"},
		{"frequency too short", sa, "PATCH", "/protection-groups?names=pg", map[string]any{"replication_schedule": map[string]any{"frequency": 1000}}, 400, "pg", "at least"},
		{"eradicate before destroy", sa, "DELETE", "/protection-groups?names=pg", nil, 400, "pg", "must be destroyed"},
		{"target not connected", sa, "POST", "/protection-groups/targets?group_names=pg&member_names=" + c.Name(), nil, 400, c.Name(), "not connected"},
		{"add target", sa, "POST", "/protection-groups/targets?group_names=pg&member_names=fa-b", nil, 200, "", ""},
		{"add target again", sa, "POST", "/protection-groups/targets?group_names=pg&member_names=fa-b", nil, 400, "fa-b", "already exists"},
		{"allow on the source", sa, "PATCH", "/protection-groups/targets?group_names=pg", map[string]any{"allowed": true}, 400, "pg", "only be changed on the target array"},
		{"allow on the target, local name", sb, "PATCH", "/protection-groups/targets?group_names=pg", map[string]any{"allowed": true}, 400, "pg", "does not exist"},
		{"allow for another array", sb, "PATCH", "/protection-groups/targets?group_names=fa-a:pg&member_names=fa-c", map[string]any{"allowed": true}, 400, "fa-c", ""},
		{"allow on the target", sb, "PATCH", "/protection-groups/targets?group_names=fa-a:pg&member_names=fa-b", map[string]any{"allowed": true}, 200, "", ""},
		{"settings on the target", sb, "PATCH", "/protection-groups?names=fa-a:pg", map[string]any{"destroyed": true}, 400, "fa-a:pg", "source array"},
		{"add volume", sa, "POST", "/protection-groups/volumes?group_names=pg&member_names=vol", nil, 200, "", ""},
		{"add volume again", sa, "POST", "/protection-groups/volumes?group_names=pg&member_names=vol", nil, 400, "vol", "already belongs"},
		{"add missing volume", sa, "POST", "/protection-groups/volumes?group_names=pg&member_names=ghost", nil, 400, "ghost", "does not exist"},
		{"remove non-member", sa, "DELETE", "/protection-groups/volumes?group_names=pg&member_names=ghost", nil, 400, "ghost", "not a member"},
		{"snapshot without source", sa, "POST", "/protection-group-snapshots", nil, 400, "", "source_names"},
		{"replicate and replicate_now", sa, "POST", "/protection-group-snapshots?source_names=pg&replicate=true&replicate_now=true", nil, 400, "", "cannot be used together"},
		{"destroy", sa, "PATCH", "/protection-groups?names=pg", map[string]any{"destroyed": true}, 200, "", ""},
		{"change a destroyed group", sa, "PATCH", "/protection-groups?names=pg", map[string]any{"replication_schedule": map[string]any{"enabled": true}}, 400, "pg", "has been destroyed"},
		{"recreate a destroyed group", sa, "POST", "/protection-groups?names=pg", nil, 400, "pg", "pending eradication"},
		{"eradicate", sa, "DELETE", "/protection-groups?names=pg", nil, 200, "", ""},
		{"gone on the target", sb, "GET", "/protection-groups?names=fa-a:pg", nil, 400, "fa-a:pg", "does not exist"},
	}
	for _, tt := range tests {
		status, out := tt.s.do(tt.method, tt.path, tt.body)
		if status != tt.want {
			t.Fatalf("%s: status %d %v, want %d", tt.name, status, out, tt.want)
		}
		if tt.want == 200 {
			continue
		}
		ctx, msg := firstError(t, out)
		if ctx != tt.context || !strings.Contains(msg, tt.message) {
			t.Fatalf("%s: error %q %q, want context %q and %q", tt.name, ctx, msg, tt.context, tt.message)
		}
	}
}

func TestTargetViewAndReplication(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	a := start(t, "fa-a", clk, 2*time.Minute)
	b := start(t, "fa-b", clk, 2*time.Minute)
	Connect(a, b)
	a.AddVolume("vol", 1<<30)
	if err := a.CreateProtectionGroup("pg"); err != nil {
		t.Fatal(err)
	}
	if err := a.AddProtectionGroupVolumes("pg", "vol", "vol"); err != nil {
		t.Fatal(err)
	}
	sa, sb := login(t, a), login(t, b)
	sa.must("POST", "/protection-groups/targets?group_names=pg&member_names=fa-b", nil)

	remote := items(sb.must("GET", "/protection-groups", nil))
	if len(remote) != 1 || remote[0]["name"] != "fa-a:pg" || remote[0]["is_local"] != false || remote[0]["source"].(map[string]any)["name"] != "fa-a" {
		t.Fatalf("target view = %v", remote)
	}
	tg := items(sb.must("GET", "/protection-groups/targets?group_names=fa-a:pg", nil))
	if len(tg) != 1 || tg[0]["allowed"] != false {
		t.Fatalf("targets on the target before allow = %v", tg)
	}

	// Not allowed yet: a snapshot stays local.
	sa.must("POST", "/protection-group-snapshots?source_names=pg&replicate_now=true", map[string]any{"suffix": "early"})
	if got := items(sb.must("GET", "/protection-group-snapshots/transfer?source_names=fa-a:pg", nil)); len(got) != 0 {
		t.Fatalf("replicated before the target allowed it: %v", got)
	}

	sb.must("PATCH", "/protection-groups/targets?group_names=fa-a:pg", map[string]any{"allowed": true})
	tg = items(sa.must("GET", "/protection-groups/targets?group_names=pg", nil))
	if tg[0]["allowed"] != true {
		t.Fatalf("source does not see the allow: %v", tg)
	}
	snap := items(sa.must("POST", "/protection-group-snapshots?source_names=pg&replicate_now=true", nil))[0]
	if snap["name"] != "pg.1" || snap["source"].(map[string]any)["name"] != "pg" {
		t.Fatalf("snapshot = %v", snap)
	}
	clk.Advance(time.Minute)
	tr := items(sb.must("GET", "/protection-group-snapshots/transfer?source_names=fa-a:pg", nil))
	if len(tr) != 1 || tr[0]["name"] != "fa-a:pg.1" || tr[0]["completed"] != nil || tr[0]["progress"].(float64) <= 0 || tr[0]["progress"].(float64) >= 1 {
		t.Fatalf("half-way transfer = %v", tr)
	}
	clk.Advance(time.Minute)
	tr = items(sb.must("GET", "/protection-group-snapshots/transfer?names=fa-a:pg.1", nil))
	if tr[0]["completed"] == nil || tr[0]["progress"] != float64(1) {
		t.Fatalf("finished transfer = %v", tr)
	}
	if got := items(sb.must("GET", "/protection-group-snapshots?names=fa-a:pg", nil)); len(got) != 1 || got[0]["created"] != snap["created"] {
		t.Fatalf("snapshots by group name on the target = %v", got)
	}

	// Schedule: every 5 minutes from when it is enabled; nothing while the
	// target array is down. Schedules are evaluated on each request and
	// inspection, so the slot owed while down is evaluated while down.
	sa.must("PATCH", "/protection-groups?names=pg", map[string]any{"replication_schedule": map[string]any{"enabled": true, "frequency": 300000}})
	clk.Advance(10 * time.Minute)
	if got := a.ProtectionGroupSnapshots("pg"); len(got) != 4 {
		t.Fatalf("source snapshots = %d, want early, 1 and 2 scheduled", len(got))
	}
	b.Faults().SetDown(true)
	clk.Advance(5 * time.Minute)
	if got := a.ProtectionGroupSnapshots("pg"); len(got) != 5 || !got[4].Started.IsZero() {
		t.Fatalf("the slot while fa-b is down = %+v, want taken, not sent", got[len(got)-1])
	}
	b.Faults().SetDown(false)
	got := b.ProtectionGroupSnapshots("fa-a:pg")
	if len(got) != 3 {
		t.Fatalf("replicas = %+v, want pg.1 and two scheduled (not the one taken while down)", got)
	}
	last := got[len(got)-1]
	if want := clk.Now().Add(-5 * time.Minute); !last.Created.Equal(want) || last.Completed.IsZero() {
		t.Fatalf("newest replica = %+v, want created %s and complete", last, want)
	}
	if info, ok := b.ProtectionGroup("fa-a:pg"); !ok || info.Source != "fa-a" || !info.Targets[0].Allowed {
		t.Fatalf("inspection on the target = %+v", info)
	}
}

func TestPodRules(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	a := start(t, "fa-a", clk, 0)
	b := start(t, "fa-b", clk, 0)
	c := start(t, "fa-c", clk, 0)
	Connect(a, b)
	ConnectType(a, c, "async-replication")
	a.AddPod("cinder-pod", b)
	a.AddVolume("cinder-pod::volume-1-cinder", 1<<30)
	sa, sb := login(t, a), login(t, b)

	pods := items(sb.must("GET", "/pods?names=cinder-pod", nil))
	arrays := pods[0]["arrays"].([]any)
	if len(arrays) != 2 || arrays[1].(map[string]any)["status"] != "online" {
		t.Fatalf("fixture pod on fa-b = %v", pods)
	}
	if v := items(sb.must("GET", "/volumes?names=cinder-pod::volume-1-cinder", nil)); v[0]["pod"].(map[string]any)["name"] != "cinder-pod" {
		t.Fatalf("pod volume on fa-b = %v", v)
	}

	tests := []struct {
		name    string
		s       *session
		method  string
		path    string
		body    any
		want    int
		message string
	}{
		{"stretch to an async connection", sa, "POST", "/pods/arrays?group_names=cinder-pod&member_names=fa-c", nil, 400, "synchronous"},
		{"stretch again", sa, "POST", "/pods/arrays?group_names=cinder-pod&member_names=fa-b", nil, 400, "already stretched"},
		{"destroy a stretched pod", sa, "PATCH", "/pods?names=cinder-pod", map[string]any{"destroyed": true}, 400, "unstretch"},
		{"create a pod", sa, "POST", "/pods?names=p2", map[string]any{}, 200, ""},
		{"stretch where the name is taken", sb, "POST", "/pods?names=p3", map[string]any{}, 200, ""},
		{"eradicate before destroy", sa, "DELETE", "/pods?names=p2", nil, 400, "must be destroyed"},
		{"move into a missing pod", sa, "PATCH", "/volumes?names=cinder-pod::volume-1-cinder", map[string]any{"pod": map[string]any{"name": "nope"}}, 400, "does not exist"},
		{"unstretch a pod not on that array", sa, "DELETE", "/pods/arrays?group_names=p2&member_names=fa-b", nil, 400, "not stretched"},
		{"unstretch", sa, "DELETE", "/pods/arrays?group_names=cinder-pod&member_names=fa-b", nil, 200, ""},
		{"destroy a pod with volumes", sa, "PATCH", "/pods?names=cinder-pod", map[string]any{"destroyed": true}, 400, "contains volumes"},
		{"destroy", sa, "PATCH", "/pods?names=p2", map[string]any{"destroyed": true}, 200, ""},
		{"eradicate", sa, "DELETE", "/pods?names=p2", nil, 200, ""},
	}
	for _, tt := range tests {
		status, out := tt.s.do(tt.method, tt.path, tt.body)
		if status != tt.want {
			t.Fatalf("%s: status %d %v, want %d", tt.name, status, out, tt.want)
		}
		if tt.want != 200 {
			if _, msg := firstError(t, out); !strings.Contains(msg, tt.message) {
				t.Fatalf("%s: message %q, want %q", tt.name, msg, tt.message)
			}
		}
	}
	if _, ok := b.Pod("cinder-pod"); ok {
		t.Fatal("fa-b still has the pod after unstretch")
	}
	if status, _ := sb.do("GET", "/volumes?names=cinder-pod::volume-1-cinder", nil); status != 400 {
		t.Fatalf("fa-b still sees the pod volume: %d", status)
	}
}

func TestFaultsWrapTheAPI(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	a := start(t, "fa", clk, 0)
	s := login(t, a)
	a.Faults().SetDown(true)
	req, _ := http.NewRequest(http.MethodGet, a.URL()+"/api/2.26/arrays", nil)
	req.Header.Set("x-auth-token", s.token)
	if resp, err := s.http.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a down array answered %d", resp.StatusCode)
	}
	if a.Faults().Count(http.MethodGet, "/arrays") != 1 {
		t.Fatal("the injector did not see the request")
	}
}

// A volume copied from a replicated protection group snapshot on the target
// array (what a drill or a failover restores): the copy has the size the
// volume had when the snapshot was taken and names its source; an unknown
// snapshot volume, a name in use without overwrite, and a copy of a
// volume that is not in the snapshot are refused.
func TestCopyVolumeFromReplicatedSnapshot(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	a := start(t, "fa-a", clk, time.Second)
	b := start(t, "fa-b", clk, time.Second)
	Connect(a, b)
	a.AddVolume("vol", 2<<30)
	a.AddVolume("other", 1<<30)
	if err := a.CreateProtectionGroup("pg"); err != nil {
		t.Fatal(err)
	}
	if err := a.AddProtectionGroupVolumes("pg", "vol"); err != nil {
		t.Fatal(err)
	}
	sa, sb := login(t, a), login(t, b)
	sa.must("POST", "/protection-groups/targets?group_names=pg&member_names=fa-b", nil)
	sb.must("PATCH", "/protection-groups/targets?group_names=fa-a:pg", map[string]any{"allowed": true})
	sa.must("POST", "/protection-group-snapshots?source_names=pg&replicate_now=true", nil)
	clk.Advance(2 * time.Second)
	// Grown after the snapshot: the copy has the snapshot's size.
	sa.must("PATCH", "/volumes?names=vol", map[string]any{"provisioned": 4 << 30})

	copied := items(sb.must("POST", "/volumes?names=drill-vol", map[string]any{"source": map[string]any{"name": "fa-a:pg.1.vol"}}))
	if len(copied) != 1 || copied[0]["name"] != "drill-vol" || copied[0]["provisioned"] != float64(2<<30) ||
		copied[0]["source"].(map[string]any)["name"] != "fa-a:pg.1.vol" {
		t.Fatalf("copy = %v", copied)
	}
	if v, ok := b.Volume("drill-vol"); !ok || v.Provisioned != 2<<30 {
		t.Fatalf("copy on fa-b = %+v, %v", v, ok)
	}
	for _, c := range []struct {
		path, source, want string
	}{
		{"/volumes?names=drill-2", "fa-a:pg.1.other", "Volume snapshot does not exist."},
		{"/volumes?names=drill-2", "fa-a:pg.9.vol", "Volume snapshot does not exist."},
		{"/volumes?names=drill-vol", "fa-a:pg.1.vol", "Volume already exists."},
	} {
		status, out := sb.do("POST", c.path, map[string]any{"source": map[string]any{"name": c.source}})
		if _, msg := firstError(t, out); status != 400 || msg != c.want {
			t.Fatalf("POST %s from %s = %d %q, want 400 %q", c.path, c.source, status, msg, c.want)
		}
	}
	// overwrite=true restores the copy from the snapshot again.
	sb.must("POST", "/volumes?names=drill-vol&overwrite=true", map[string]any{"source": map[string]any{"name": "fa-a:pg.1.vol"}})
	// Renamed as the Pure driver does on manage-existing; not into a pod.
	if got := items(sb.must("PATCH", "/volumes?names=drill-vol", map[string]any{"name": "volume-1-cinder"})); got[0]["name"] != "volume-1-cinder" {
		t.Fatalf("renamed = %v", got)
	}
	if status, out := sb.do("PATCH", "/volumes?names=volume-1-cinder", map[string]any{"name": "pod::volume-1-cinder"}); status != 400 {
		t.Fatalf("rename into a pod = %d %v, want 400", status, out)
	}
	// The source array keeps its own snapshot's volumes too.
	if got := items(sa.must("POST", "/volumes?names=local-copy", map[string]any{"source": map[string]any{"name": "pg.1.vol"}})); got[0]["provisioned"] != float64(2<<30) {
		t.Fatalf("local copy = %v", got)
	}
}
