package openstacksim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNovaServerViewAndMicroversions(t *testing.T) {
	ts := newTestSite(t)
	get := func(tok string, h ...string) (response, map[string]any) {
		r := ts.do("GET", "/compute/v2.1/servers/"+ts.server, tok, nil, h...)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r, r.json(t)["server"].(map[string]any)
	}
	r, m := get(ts.member())
	if r.header.Get("X-OpenStack-Nova-API-Version") != "2.1" || r.header.Get("OpenStack-API-Version") != "compute 2.1" {
		t.Errorf("default microversion headers %v", r.header)
	}
	if m["image"] != "" || m["status"] != "ACTIVE" {
		t.Errorf("boot-from-volume server: image %v status %v", m["image"], m["status"])
	}
	if _, ok := m["OS-EXT-SRV-ATTR:root_device_name"]; ok {
		t.Error("member sees root_device_name")
	}
	att := m["os-extended-volumes:volumes_attached"].([]any)[0].(map[string]any)
	if att["id"] != ts.bootVol {
		t.Errorf("volumes_attached %v", att)
	}
	r, m = get(ts.admin(), "OpenStack-API-Version", "compute 2.79")
	if r.header.Get("X-OpenStack-Nova-API-Version") != "2.79" || m["OS-EXT-SRV-ATTR:root_device_name"] != "/dev/vda" {
		t.Errorf("admin at 2.79: %v root %v", r.header, m["OS-EXT-SRV-ATTR:root_device_name"])
	}
	_, m = get(ts.member(), "X-OpenStack-Nova-API-Version", "2.3")
	if _, ok := m["os-extended-volumes:volumes_attached"].([]any)[0].(map[string]any)["delete_on_termination"]; !ok {
		t.Error("delete_on_termination missing at 2.3 (legacy header)")
	}
	if r := ts.do("GET", "/compute/v2.1/servers/"+ts.server, ts.member(), nil, "OpenStack-API-Version", "compute 2.999"); r.status != 406 {
		t.Errorf("compute 2.999: %d", r.status)
	}
	if r := ts.do("GET", "/compute/v2.1/servers/nope", ts.member(), nil); r.status != 404 || faultMessage(t, r, "itemNotFound") != "Instance nope could not be found." {
		t.Errorf("missing server: %d %s", r.status, r.body)
	}
}

func TestNovaVolumeAttachmentsByMicroversion(t *testing.T) {
	ts := newTestSite(t)
	list := func(mv string) map[string]any {
		r := ts.do("GET", "/compute/v2.1/servers/"+ts.server+"/os-volume_attachments", ts.member(), nil, "OpenStack-API-Version", "compute "+mv)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r.json(t)["volumeAttachments"].([]any)[0].(map[string]any)
	}
	a := list("2.1")
	if a["volumeId"] != ts.bootVol || a["device"] != "/dev/vda" || a["serverId"] != ts.server || a["id"] != ts.bootVol {
		t.Errorf("2.1: %v", a)
	}
	a = list("2.89")
	if _, ok := a["id"]; ok || a["attachment_id"] == nil || a["bdm_uuid"] == nil {
		t.Errorf("2.89: %v", a)
	}
}

func TestNovaDeleteServerDetachesItsVolumes(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	if r := ts.do("DELETE", "/compute/v2.1/servers/"+ts.server, tok, nil); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if r := ts.do("GET", "/compute/v2.1/servers/"+ts.server, tok, nil); r.status == 404 {
			if v, _ := ts.Volume(ts.bootVol); v.Status != "available" || len(v.Attachments) != 0 {
				t.Errorf("volume after server delete: %s %v", v.Status, v.Attachments)
			}
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("server never went away")
}

func TestSwiftContainersObjectsAndConditionalPut(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	acct := "/object-store/v1/AUTH_" + ts.project
	if r := ts.do("PUT", acct+"/protector", tok, nil); r.status != 201 {
		t.Fatalf("create container: %d", r.status)
	}
	if r := ts.do("PUT", acct+"/protector", tok, nil); r.status != 202 {
		t.Errorf("create it again: %d, want 202", r.status)
	}
	if r := ts.do("PUT", acct+"/missing/obj", tok, "x"); r.status != 404 {
		t.Errorf("object in a missing container: %d", r.status)
	}
	for _, name := range []string{"pg-1/00000001", "pg-1/00000002", "pg-1/00000003", "pg-2/00000001"} {
		if r := ts.do("PUT", acct+"/protector/"+name, tok, `{"v":"`+name+`"}`, "If-None-Match", "*", "X-Object-Meta-Checksum", "abc"); r.status != 201 || r.header.Get("Etag") == "" {
			t.Fatalf("put %s: %d", name, r.status)
		}
	}
	r := ts.do("PUT", acct+"/protector/pg-1/00000002", tok, "overwrite", "If-None-Match", "*")
	if r.status != 412 {
		t.Fatalf("conditional put over an existing object: %d, want 412", r.status)
	}
	if b, _ := ts.Object("protector", "pg-1/00000002"); string(b) != `{"v":"pg-1/00000002"}` {
		t.Errorf("object changed by a refused put: %s", b)
	}
	r = ts.do("GET", acct+"/protector/pg-1/00000002", tok, nil)
	if r.status != 200 || r.header.Get("X-Object-Meta-Checksum") != "abc" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("get: %d %v", r.status, r.header)
	}
	if r := ts.do("HEAD", acct+"/protector/pg-1/00000002", tok, nil); r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") != "21" {
		t.Errorf("head: %d %v", r.status, r.header)
	}

	r = ts.do("GET", acct+"/protector?format=json&prefix=pg-1/", tok, nil)
	var names []string
	for _, o := range jsonArray(t, r) {
		names = append(names, o["name"].(string))
	}
	if strings.Join(names, ",") != "pg-1/00000001,pg-1/00000002,pg-1/00000003" {
		t.Errorf("prefix listing %v", names)
	}
	r = ts.do("GET", acct+"/protector?prefix=pg-1/&limit=2&marker=pg-1/00000001", tok, nil)
	if string(r.body) != "pg-1/00000002\npg-1/00000003\n" {
		t.Errorf("plain listing with marker and limit: %q", r.body)
	}
	if r := ts.do("GET", acct+"/protector?prefix=none/", tok, nil); r.status != 204 {
		t.Errorf("empty plain listing: %d, want 204", r.status)
	}
	if r := ts.do("GET", acct+"/protector?prefix=none/&format=json", tok, nil); r.status != 200 || string(r.body) != "[]" {
		t.Errorf("empty json listing: %d %s", r.status, r.body)
	}
	if r := ts.do("DELETE", acct+"/protector", tok, nil); r.status != 409 {
		t.Errorf("delete a non-empty container: %d", r.status)
	}
	if r := ts.do("DELETE", acct+"/protector/pg-2/00000001", tok, nil); r.status != 204 {
		t.Errorf("delete object: %d", r.status)
	}
	if r := ts.do("GET", acct+"/protector/pg-2/00000001", tok, nil); r.status != 404 {
		t.Errorf("deleted object: %d", r.status)
	}
	if got := ts.Objects("protector", "pg-"); len(got) != 3 {
		t.Errorf("Objects = %v", got)
	}
	if r := ts.do("GET", "/object-store/v1/AUTH_someoneelse", tok, nil); r.status != 403 {
		t.Errorf("another account: %d, want 403", r.status)
	}
}

func jsonArray(t *testing.T, r response) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := jsonUnmarshal(r.body, &out); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	return out
}

// Nova's server listings page as Nova's do (limit, marker, a next link in
// servers_links when a page is full), and an admin's all_tenants listing
// can be narrowed to one project; without all_tenants project_id changes
// nothing.
func TestServerListingPagesAndProjects(t *testing.T) {
	ts := newTestSite(t)
	opsID := ts.AddProject("ops")
	for i := range 4 {
		ts.AddServer(Server{Name: fmt.Sprintf("vm-%d", i), Project: "demo"})
	}
	other := ts.AddServer(Server{Name: "ops-vm", Project: "ops"})
	ids := func(r response) (out []string) {
		for _, s := range r.json(t)["servers"].([]any) {
			out = append(out, s.(map[string]any)["id"].(string))
		}
		return out
	}
	var all []string
	path := "/compute/v2.1/servers/detail?limit=2"
	for i := 0; i < 5 && path != ""; i++ {
		r := ts.do("GET", path, ts.member(), nil)
		all = append(all, ids(r)...)
		path = ""
		if links, ok := r.json(t)["servers_links"].([]any); ok {
			href := links[0].(map[string]any)["href"].(string)
			path = href[strings.Index(href, "/compute"):]
		}
	}
	if len(all) != 5 || slices.Contains(all, other) {
		t.Errorf("paged listing of the member's project returned %v, want its 5 servers", all)
	}
	if r := ts.do("GET", "/compute/v2.1/servers?marker=nope", ts.member(), nil); r.status != 400 {
		t.Errorf("unknown marker: %d, want 400", r.status)
	}
	if got := ids(ts.do("GET", "/compute/v2.1/servers?all_tenants=1", ts.admin(), nil)); len(got) != 6 {
		t.Errorf("admin all_tenants listing: %d servers, want 6", len(got))
	}
	if got := ids(ts.do("GET", "/compute/v2.1/servers?all_tenants=1&project_id="+opsID, ts.admin(), nil)); !slices.Equal(got, []string{other}) {
		t.Errorf("admin listing narrowed to project ops: %v, want [%s]", got, other)
	}
	if got := ids(ts.do("GET", "/compute/v2.1/servers?project_id="+opsID, ts.admin(), nil)); len(got) != 5 {
		t.Errorf("admin listing with project_id but no all_tenants: %d servers, want the 5 of its own project", len(got))
	}
}
