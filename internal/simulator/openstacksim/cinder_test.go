package openstacksim

import (
	"strings"
	"testing"
)

func TestCinderMicroversionNegotiation(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	cases := []struct {
		header    string
		status    int
		got       string // response OpenStack-API-Version
		faultName string
		message   string
	}{
		{"", 200, "volume 3.0", "", ""},
		{"volume 3.13", 200, "volume 3.13", "", ""},
		{"volume latest", 200, "volume 3.71", "", ""},
		{"compute 2.1, volume 3.38", 200, "volume 3.38", "", ""},
		{"volume 3.99", 406, "", "computeFault", "Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.71."},
		{"volume 2.0", 406, "", "computeFault", "Minimum is 3.0"},
		{"volume 3.x", 400, "", "badRequest", "API Version String 3.x is of invalid format. Must be of format MajorNum.MinorNum."},
	}
	for _, tc := range cases {
		t.Run(tc.header, func(t *testing.T) {
			var h []string
			if tc.header != "" {
				h = []string{"OpenStack-API-Version", tc.header}
			}
			r := ts.do("GET", "/volume/v3/"+ts.project+"/volumes", tok, nil, h...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.got != "" && (r.header.Get("OpenStack-API-Version") != tc.got || r.header.Get("Vary") != "OpenStack-API-Version") {
				t.Errorf("headers %v, want OpenStack-API-Version %q", r.header, tc.got)
			}
			if tc.faultName != "" {
				if msg := faultMessage(t, r, tc.faultName); !strings.Contains(msg, tc.message) {
					t.Errorf("message %q, want %q", msg, tc.message)
				}
			}
		})
	}
}

func TestCinderIgnoresTheLegacyVolumeHeader(t *testing.T) {
	ts := newTestSite(t)
	// Cinder reads only OpenStack-API-Version: a client that sends just
	// X-OpenStack-Volume-API-Version gets 3.0, where /groups do not exist.
	r := ts.do("GET", "/volume/v3/"+ts.project+"/groups", ts.member(), nil, "X-OpenStack-Volume-API-Version", "3.13")
	if r.status != 404 || r.header.Get("OpenStack-API-Version") != "volume 3.0" {
		t.Fatalf("got %d %q", r.status, r.header.Get("OpenStack-API-Version"))
	}
}

func TestCinderAPIsBelowTheirMicroversionAre404(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	for _, tc := range []struct{ path, below, at string }{
		{"/groups", "3.12", "3.13"},
		{"/groups/detail", "3.12", "3.13"},
		{"/group_types", "3.10", "3.11"},
	} {
		if r := ts.cinder("GET", tc.path, tok, tc.below, nil); r.status != 404 {
			t.Errorf("%s at %s: %d, want 404", tc.path, tc.below, r.status)
		} else if msg := faultMessage(t, r, "itemNotFound"); msg != "The resource could not be found." {
			t.Errorf("%s: message %q", tc.path, msg)
		}
		if r := ts.cinder("GET", tc.path, tok, tc.at, nil); r.status != 200 {
			t.Errorf("%s at %s: %d, want 200", tc.path, tc.at, r.status)
		}
	}
}

func TestCinderVersionDiscovery(t *testing.T) {
	ts := newTestSite(t)
	for path, status := range map[string]int{"/volume/": 300, "/volume/v3/": 200} {
		r := ts.do("GET", path, "", nil)
		if r.status != status {
			t.Fatalf("%s: %d, want %d", path, r.status, status)
		}
		v := r.json(t)["versions"].([]any)[0].(map[string]any)
		if v["id"] != "v3.0" || v["min_version"] != "3.0" || v["version"] != "3.71" {
			t.Errorf("%s: %v", path, v)
		}
	}
}

func TestCinderURLProjectMustBeTheTokens(t *testing.T) {
	ts := newTestSite(t)
	r := ts.do("GET", "/volume/v3/someoneelse/volumes", ts.member(), nil)
	if r.status != 400 || faultMessage(t, r, "badRequest") != "Malformed request url" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestExtraSpecsHiddenFromMembers(t *testing.T) {
	ts := newTestSite(t)
	member, admin := ts.member(), ts.admin()
	specs := func(tok string) map[string]any {
		r := ts.cinder("GET", "/types/"+ts.repType, tok, "3.0", nil)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r.json(t)["volume_type"].(map[string]any)["extra_specs"].(map[string]any)
	}
	if got := specs(member); len(got) != 1 || got["replication_enabled"] != "<is> True" {
		t.Errorf("member sees %v, want only replication_enabled", got)
	}
	if got := specs(admin); got["replication_type"] != "<in> async" || got["volume_backend_name"] != "pure" {
		t.Errorf("admin sees %v, want every spec", got)
	}
	r := ts.cinder("GET", "/types/"+ts.repType+"/extra_specs/replication_type", member, "", nil)
	if r.status != 404 {
		t.Errorf("member reading replication_type: %d, want 404", r.status)
	}
	if r := ts.cinder("GET", "/types/"+ts.repType+"/extra_specs/replication_type", admin, "", nil); r.status != 200 || r.json(t)["replication_type"] != "<in> async" {
		t.Errorf("admin reading replication_type: %d %s", r.status, r.body)
	}
	r = ts.cinder("GET", "/types/"+ts.repType+"/extra_specs", member, "", nil)
	if m := r.json(t)["extra_specs"].(map[string]any); r.status != 200 || len(m) != 1 {
		t.Errorf("member extra_specs list: %d %s", r.status, r.body)
	}
	if r := ts.cinder("GET", "/types/replicated-ssd", member, "", nil); r.status != 404 {
		t.Errorf("type by name: %d, want 404 (show takes an ID)", r.status)
	}
	if r := ts.cinder("POST", "/types", member, "", map[string]any{"volume_type": map[string]any{"name": "x"}}); r.status != 403 {
		t.Errorf("member creating a type: %d, want 403", r.status)
	}
}

func TestVolumeDetailAdminOnlyFields(t *testing.T) {
	ts := newTestSite(t)
	get := func(tok, mv string) map[string]any {
		r := ts.cinder("GET", "/volumes/"+ts.bootVol, tok, mv, nil)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r.json(t)["volume"].(map[string]any)
	}
	m := get(ts.member(), "3.13")
	if _, ok := m["os-vol-host-attr:host"]; ok {
		t.Errorf("member sees os-vol-host-attr:host")
	}
	if m["volume_type"] != "replicated-ssd" || m["bootable"] != "true" || m["status"] != "in-use" {
		t.Errorf("member view %v", m)
	}
	if _, ok := m["group_id"]; !ok {
		t.Error("group_id missing at 3.13")
	}
	att := m["attachments"].([]any)[0].(map[string]any)
	if att["server_id"] != ts.server || att["device"] != "/dev/vda" || att["host_name"] != nil {
		t.Errorf("attachment %v", att)
	}
	if _, ok := get(ts.member(), "3.0")["group_id"]; ok {
		t.Error("group_id shown below 3.13")
	}
	a := get(ts.admin(), "3.63")
	if a["os-vol-host-attr:host"] != hostA || a["volume_type_id"] != ts.repType {
		t.Errorf("admin view %v", a)
	}
	if r := ts.cinder("GET", "/volumes/00000000-0000-4000-8000-000000000000", ts.member(), "", nil); r.status != 404 ||
		faultMessage(t, r, "itemNotFound") != "Volume 00000000-0000-4000-8000-000000000000 could not be found." {
		t.Errorf("missing volume: %d %s", r.status, r.body)
	}
}

func TestVolumeListFiltersAndPages(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	gid := ts.createGroup(tok)
	ts.Update(func(st *State) { st.Volumes[ts.free[0]].GroupID = gid; st.Volumes[ts.free[1]].GroupID = gid })

	ids := func(r response) []string {
		var out []string
		for _, v := range r.json(t)["volumes"].([]any) {
			out = append(out, v.(map[string]any)["id"].(string))
		}
		return out
	}
	r := ts.cinder("GET", "/volumes/detail?group_id="+gid, tok, "3.13", nil)
	if got := ids(r); len(got) != 2 {
		t.Errorf("group_id filter at 3.13: %v", got)
	}
	// Below 3.10 Cinder drops the group_id filter.
	if got := ids(ts.cinder("GET", "/volumes/detail?group_id="+gid, tok, "3.0", nil)); len(got) != 7 {
		t.Errorf("group_id filter at 3.0 should be ignored, got %d volumes", len(got))
	}
	if r := ts.cinder("GET", "/volumes/detail?colour=red", tok, "3.31", nil); r.status != 400 ||
		faultMessage(t, r, "badRequest") != "Invalid filter keys: colour" {
		t.Errorf("unknown filter: %d %s", r.status, r.body)
	}
	// Paging: three pages of 3, 3, 1 with next links.
	var all []string
	path := "/volumes?limit=3"
	for i := 0; i < 5 && path != ""; i++ {
		r := ts.cinder("GET", path, tok, "3.13", nil)
		all = append(all, ids(r)...)
		path = ""
		if links, ok := r.json(t)["volumes_links"].([]any); ok {
			href := links[0].(map[string]any)["href"].(string)
			path = href[strings.Index(href, "/volumes"):]
		}
	}
	if len(all) != 7 {
		t.Errorf("paged listing returned %d volumes, want 7", len(all))
	}
}

func TestGroupTypesSpecsAdminOnly(t *testing.T) {
	ts := newTestSite(t)
	r := ts.cinder("GET", "/group_types", ts.member(), "3.11", nil)
	gt := r.json(t)["group_types"].([]any)[0].(map[string]any)
	if _, ok := gt["group_specs"]; ok || gt["name"] != "consistency-group" {
		t.Errorf("member view %v", gt)
	}
	r = ts.cinder("GET", "/group_types/"+ts.groupType, ts.admin(), "3.11", nil)
	specs := r.json(t)["group_type"].(map[string]any)["group_specs"].(map[string]any)
	if specs["consistent_group_snapshot_enabled"] != "<is> True" {
		t.Errorf("admin view %s", r.body)
	}
	if r := ts.cinder("GET", "/group_types/"+ts.groupType+"/group_specs", ts.member(), "3.11", nil); r.status != 403 {
		t.Errorf("member group_specs: %d, want 403", r.status)
	}
}
