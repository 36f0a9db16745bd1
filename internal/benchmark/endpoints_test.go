package benchmark

import (
	"strings"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

func TestEndpoint(t *testing.T) {
	tests := []struct {
		method, path, query string
		want                string
	}{
		{"get", "/volume/v3/0123456789abcdef0123456789abcdef/volumes/5e000000-0000-4000-9001-000000000007", "",
			"GET /volume/v3/{id}/volumes/{id}"},
		{"GET", "/volume/v3/0123456789abcdef0123456789abcdef/groups/aa000000-0000-4000-8000-000000000101", "list_volume=True",
			"GET /volume/v3/{id}/groups/{id}?list_volume"},
		{"GET", "/compute/v2.1/servers/5e000000-0000-4000-8000-000000000001/os-volume_attachments", "",
			"GET /compute/v2.1/servers/{id}/os-volume_attachments"},
		{"PUT", "/object-store/v1/AUTH_0123456789abcdef0123456789abcdef/protector/groups/pg-c62df1bc-cbba-4e33-9af9-11e298c1e0b1/v/0000000003", "",
			"PUT /object-store/v1/AUTH_{id}/protector/groups/pg-{id}/v/{n}"},
		{"GET", "/object-store/v1/AUTH_x/protector/names/bench-0", "",
			"GET /object-store/v1/AUTH_{id}/protector/names/{name}"},
		{"GET", "/object-store/v1/AUTH_x/protector", "prefix=groups%2Fpg-c62df1bc-cbba-4e33-9af9-11e298c1e0b1%2Fv%2F&format=json&limit=1000",
			"GET /object-store/v1/AUTH_{id}/protector?format&limit&prefix=groups/pg-{id}/v/"},
		{"GET", "/api/2.26/protection-groups/volumes", "group_names=consisgroup-c62df1bc-cbba-4e33-9af9-11e298c1e0b1-cinder",
			"GET /api/2.26/protection-groups/volumes?group_names"},
		{"POST", "/identity/v3/auth/tokens", "", "POST /identity/v3/auth/tokens"},
	}
	for _, tt := range tests {
		if got := Endpoint(tt.method, tt.path, tt.query); got != tt.want {
			t.Errorf("Endpoint(%s %s?%s)\n got %s\nwant %s", tt.method, tt.path, tt.query, got, tt.want)
		}
	}
}

func TestTallyRequests(t *testing.T) {
	srv := func(paths ...string) []fault.Request {
		var out []fault.Request
		for _, p := range paths {
			out = append(out, fault.Request{Method: "GET", Path: p})
		}
		return out
	}
	tally := TallyRequests(map[string][]fault.Request{
		"site-a": srv("/compute/v2.1/servers/5e000000-0000-4000-8000-000000000001",
			"/compute/v2.1/servers/5e000000-0000-4000-8000-000000000002", "/identity/v3"),
		"flasharray-a": srv("/api/2.26/arrays"),
	}, 0)
	if tally.Total() != 4 || tally.PerServer["site-a"] != 3 || tally.PerServer["flasharray-a"] != 1 {
		t.Fatalf("totals: %d %v", tally.Total(), tally.PerServer)
	}
	want := []Count{
		{"site-a", "GET /compute/v2.1/servers/{id}", 2},
		{"flasharray-a", "GET /api/2.26/arrays", 1},
		{"site-a", "GET /identity/v3", 1},
	}
	if len(tally.Counts) != len(want) {
		t.Fatalf("counts %+v", tally.Counts)
	}
	for i := range want {
		if tally.Counts[i] != want[i] {
			t.Errorf("count %d: %+v, want %+v", i, tally.Counts[i], want[i])
		}
	}
}

func TestParseScenarios(t *testing.T) {
	got, err := ParseScenarios("1x1, 10x50,1x100@real")
	if err != nil || len(got) != 3 || got[0] != (Scenario{Groups: 1, Members: 1}) || got[1] != (Scenario{Groups: 10, Members: 50}) ||
		got[2] != (Scenario{Groups: 1, Members: 100, Timing: TimingReal}) || got[2].String() != "1x100@real" {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "1", "0x5", "3x", "ax2", "2x3y", "1x1@fast"} {
		if _, err := ParseScenarios(bad); err == nil {
			t.Errorf("ParseScenarios(%q) accepted", bad)
		}
	}
}

func TestConfigs(t *testing.T) {
	s := Scenario{Groups: 2, Members: 3}
	ids := []string{"i0", "i1", "i2", "i3", "i4", "i5"}
	if _, err := ProtectorConfig(s, World{InstanceIDs: ids[:5]}, true); err == nil {
		t.Error("too few instances accepted")
	}
	cfg, err := ProtectorConfig(s, World{InstanceIDs: ids}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`groups = 2`, `"i5"`, `resource "protector_replication_policy" "p"`, `depends_on = [protector_replication_policy.p]`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %s", want)
		}
	}
	cfg, _ = ProtectorConfig(s, World{InstanceIDs: ids}, false)
	if strings.Contains(cfg, "protector_replication_policy") {
		t.Error("policy without -policy")
	}
	if n := ResourceCount(s, true); n != 2+2+2+6 {
		t.Errorf("ResourceCount = %d", n)
	}
	base, err := BaselineConfig(s, ids, true)
	if err != nil {
		t.Fatal(err)
	}
	// The same members, made by the same for_each over the same locals.
	for _, want := range []string{`"i5"`, `member_list = flatten(`, `for_each = ` + memberForEach, `resource "terraform_data" "policy"`, `depends_on = [terraform_data.policy]`} {
		if !strings.Contains(base, want) {
			t.Errorf("baseline lacks %s:\n%s", want, base)
		}
	}
	plugin, err := PluginConfig(s, ids, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`source = "` + PluginProvider + `"`, `"i5"`, `member_list = flatten(`, `count            = local.groups`,
		`resource "benchnull_member" "m" {
  for_each            = ` + memberForEach, `depends_on = [benchnull_replication_policy.p]`} {
		if !strings.Contains(plugin, want) {
			t.Errorf("plugin baseline lacks %s:\n%s", want, plugin)
		}
	}
	// The same graph: as many resource blocks, each type renamed.
	cfg, _ = ProtectorConfig(s, World{InstanceIDs: ids}, true)
	if got, want := strings.Count(plugin, "\nresource "), strings.Count(cfg, "\nresource "); got != want {
		t.Errorf("plugin baseline has %d resource blocks, the protector configuration %d", got, want)
	}
	if strings.Contains(plugin, "protector_") {
		t.Errorf("plugin baseline names a protector resource:\n%s", plugin)
	}
	if _, err := PluginConfig(s, ids[:5], true); err == nil {
		t.Error("plugin baseline: too few instances accepted")
	}
}

func TestPluginBound(t *testing.T) {
	rep := &Report{Latency: 20 * time.Millisecond, MinRequestsPerMember: 1}
	r := &Result{Scenario: Scenario{Groups: 1, Members: 10},
		Ops:      []Op{{Name: "plan", Wall: 2 * time.Second}},
		Baseline: Baseline{Plan: 500 * time.Millisecond},
		Plugin:   Baseline{Plan: 980 * time.Millisecond}}
	b, ok := rep.Bound(r)
	if !ok || b.Overhead != 500*time.Millisecond || b.RoundTrips != 20*time.Millisecond {
		t.Errorf("Bound = %+v, %v", b, ok)
	}
	p, ok := rep.PluginBound(r)
	if !ok || p.Overhead != 980*time.Millisecond || p.Ratio != 2 {
		t.Errorf("PluginBound = %+v, %v", p, ok)
	}
	if _, ok := rep.PluginBound(&Result{Scenario: r.Scenario, Ops: r.Ops}); ok {
		t.Error("PluginBound without a plugin baseline")
	}
	var md strings.Builder
	rep.Results = []Result{*r}
	rep.WriteMarkdown(&md, 5)
	for _, want := range []string{"| baseline (framework plugin, no API) | apply -, plan 0.98 s, destroy - |", "| 1x10 | 2.00 s | 0.98 s | 0.02 s | 1.00 s | +1.00 s | 2.00 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %s:\n%s", want, md.String())
		}
	}
}

func TestPeakInFlight(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms ...int) []fault.Request {
		var out []fault.Request
		for _, m := range ms {
			out = append(out, fault.Request{Method: "GET", Path: "/x", Time: t0.Add(time.Duration(m) * time.Millisecond)})
		}
		return out
	}
	// Three arrivals within 20ms on two servers, then one alone.
	tally := TallyRequests(map[string][]fault.Request{"site-a": at(0, 5, 100), "site-b": at(19)}, 20*time.Millisecond)
	if tally.PeakInFlight != 3 {
		t.Errorf("PeakInFlight = %d, want 3", tally.PeakInFlight)
	}
	if tally := TallyRequests(map[string][]fault.Request{"site-a": at(0, 20, 40)}, 20*time.Millisecond); tally.PeakInFlight != 1 {
		t.Errorf("sequential requests: PeakInFlight = %d, want 1", tally.PeakInFlight)
	}
}

// What an operation waited for in sequence: the most updates of one
// consistency group and versions of one group on one site.
func TestSequenceOf(t *testing.T) {
	put := func(paths ...string) []fault.Request {
		var out []fault.Request
		for _, p := range paths {
			out = append(out, fault.Request{Method: "PUT", Path: p})
		}
		return out
	}
	const cg1, cg2 = "/volume/v3/0123456789abcdef0123456789abcdef/groups/aa000000-0000-4000-8000-000000000101",
		"/volume/v3/0123456789abcdef0123456789abcdef/groups/aa000000-0000-4000-8000-000000000102"
	const v = "/object-store/v1/AUTH_x/protector/groups/pg-c62df1bc-cbba-4e33-9af9-11e298c1e0b1/v/"
	got := SequenceOf(map[string][]fault.Request{
		"site-a": append(put(cg1, cg1, cg2, v+"0000000002", v+"0000000003", v+"0000000004"),
			fault.Request{Method: "GET", Path: cg1}, fault.Request{Method: "PUT", Path: v[:len(v)-3] + "sync.json"}),
		"site-b": put(v+"0000000002", v+"0000000003"),
	})
	if got != (Sequence{GroupUpdates: 2, Versions: 3}) {
		t.Errorf("SequenceOf = %+v, want 2 group updates, 3 versions", got)
	}
}

// The floor of an apply: the plugin baseline, a wave's chain of round
// trips per wave of members and the command's once, a group create and a
// group update per wave at the scenario's times.
func TestChangeBound(t *testing.T) {
	rep := &Report{Latency: 20 * time.Millisecond, MinRequestsPerMember: 1}
	r := &Result{Scenario: Scenario{Groups: 1, Members: 100, Timing: TimingReal}, Transitions: RealTransitions,
		Ops:    []Op{{Name: "apply", Wall: 23 * time.Second, Sequence: Sequence{GroupUpdates: 2, Versions: 101}}, {Name: "destroy", Wall: 5 * time.Second}},
		Plugin: Baseline{Apply: 800 * time.Millisecond, Destroy: time.Second}}
	// 10 waves of 10 members: 10 group updates of 2 s after the create.
	f, ok := rep.ChangeBound(r, "apply")
	// 10 waves of an 8-request chain and 20 requests once, at 20 ms: 2 s
	// of round trips.
	if !ok || f.Floor() != 800*time.Millisecond+2*time.Second+22*time.Second || f.Ratio != 23.0/24.8 {
		t.Errorf("apply floor = %+v (%s), %v; want 24.8 s", f, f.Floor(), ok)
	}
	// 10 waves of a 7-request chain and 16 once: 1.72 s.
	if f, ok := rep.ChangeBound(r, "destroy"); !ok || f.Floor() != 24720*time.Millisecond {
		t.Errorf("destroy floor = %+v (%s), %v; want 24.72 s", f, f.Floor(), ok)
	}
	var md strings.Builder
	rep.Results = []Result{*r}
	rep.WriteMarkdown(&md, 5)
	if want := "| 1x100@real | 23.00 s | 2 / 101 | 0.00 | 24.80 s | 0.93 |"; !strings.Contains(md.String(), want) {
		t.Errorf("report lacks %s:\n%s", want, md.String())
	}
}
