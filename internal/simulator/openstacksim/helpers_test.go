package openstacksim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	hostA = "pure@backend-a#pool-a"
	hostC = "pure@backend-c#pool-c"
)

// testSite is a started site with a small fixture: project demo, users
// demo (member) and admin, types replicated/standard, a consistency group
// type, volumes on two backends and a server.
type testSite struct {
	*Site
	t         *testing.T
	project   string
	repType   string
	stdType   string
	groupType string
	// volumes on hostA of type replicated, available
	free []string
	// volume of type standard on hostA, volume of type replicated on hostC
	std, otherHost string
	server         string
	bootVol        string
}

func newTestSite(t *testing.T) *testSite {
	t.Helper()
	s := New(Options{Name: "site-t", AsyncDelay: 5 * time.Millisecond})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ts := &testSite{Site: s, t: t}
	ts.project = s.AddProject("demo")
	s.AddUser("demo", "demo-password", "demo", "member")
	s.AddUser("admin", "admin-password", "demo", "admin")
	s.AddApplicationCredential("app-cred", "app-secret", "demo")
	ts.repType = s.AddVolumeType("replicated-ssd", map[string]string{
		"replication_enabled": "<is> True", "replication_type": "<in> async", "volume_backend_name": "pure"})
	ts.stdType = s.AddVolumeType("standard", nil)
	ts.groupType = s.AddGroupType("consistency-group", map[string]string{"consistent_group_snapshot_enabled": "<is> True"})
	s.SetBackend(Backend{Host: hostA})
	for i := 0; i < 4; i++ {
		ts.free = append(ts.free, s.AddVolume(Volume{Project: "demo", Type: "replicated-ssd", Host: hostA, Size: 1,
			Metadata: map[string]string{"array_volume_name": "volume-x-cinder", "array_name": "flasharray-a"}}))
	}
	ts.std = s.AddVolume(Volume{Project: "demo", Type: "standard", Host: hostA})
	ts.otherHost = s.AddVolume(Volume{Project: "demo", Type: "replicated-ssd", Host: hostC})
	ts.bootVol = s.AddVolume(Volume{Project: "demo", Type: "replicated-ssd", Host: hostA, Bootable: true})
	ts.server = s.AddServer(Server{Name: "web-1", Project: "demo", Volumes: []Attachment{{VolumeID: ts.bootVol, Device: "/dev/vda"}}})
	return ts
}

// token authenticates with a password, scoped to project demo.
func (ts *testSite) token(user, password string) string {
	ts.t.Helper()
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + user +
		`","domain":{"name":"Default"},"password":"` + password + `"}}},"scope":{"project":{"name":"demo","domain":{"name":"Default"}}}}}`
	resp, err := http.Post(ts.AuthURL()+"/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		b, _ := io.ReadAll(resp.Body)
		ts.t.Fatalf("auth %s: %d %s", user, resp.StatusCode, b)
	}
	return resp.Header.Get("X-Subject-Token")
}

func (ts *testSite) member() string { return ts.token("demo", "demo-password") }
func (ts *testSite) admin() string  { return ts.token("admin", "admin-password") }

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// do sends a request with a token and optional headers (name, value pairs).
func (ts *testSite) do(method, path, token string, body any, headers ...string) response {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.URL()+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// cinder calls /volume/v3/{project}<path> at microversion mv ("" = none).
func (ts *testSite) cinder(method, path, token, mv string, body any) response {
	ts.t.Helper()
	var h []string
	if mv != "" {
		h = []string{"OpenStack-API-Version", "volume " + mv}
	}
	return ts.do(method, "/volume/v3/"+ts.project+path, token, body, h...)
}

// createGroup creates a group of the replicated type and waits until it is
// available.
func (ts *testSite) createGroup(token string) string {
	ts.t.Helper()
	r := ts.cinder("POST", "/groups", token, "3.13", map[string]any{"group": map[string]any{
		"name": "g", "group_type": ts.groupType, "volume_types": []string{ts.repType}}})
	if r.status != 202 {
		ts.t.Fatalf("create group: %d %s", r.status, r.body)
	}
	id := r.json(ts.t)["group"].(map[string]any)["id"].(string)
	ts.waitGroup(id, "available")
	return id
}

// waitGroup polls the site's state until the group has the status ("" =
// gone).
func (ts *testSite) waitGroup(id, status string) {
	ts.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		g, ok := ts.Group(id)
		if (status == "" && !ok) || (ok && g.Status == status) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	g, ok := ts.Group(id)
	ts.t.Fatalf("group %s: status %q (exists %v), want %q", id, g.Status, ok, status)
}

// faultMessage extracts {"<name>": {"code", "message"}} and checks name.
func faultMessage(t *testing.T, r response, name string) string {
	t.Helper()
	m := r.json(t)
	f, ok := m[name].(map[string]any)
	if !ok {
		t.Fatalf("want a %q fault, got %s", name, r.body)
	}
	if int(f["code"].(float64)) != r.status {
		t.Fatalf("fault code %v != status %d", f["code"], r.status)
	}
	return f["message"].(string)
}
