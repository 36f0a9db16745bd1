package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

func startWorld(t *testing.T) *World {
	t.Helper()
	w, err := Start(Options{AsyncDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	t.Cleanup(func() {
		if err := w.SpecError(); err != nil {
			t.Error(err)
		}
	})
	return w
}

func TestWorldFixtures(t *testing.T) {
	w := startWorld(t)
	a, b := w.Site(SiteA), w.Site(SiteB)
	if a == nil || b == nil || w.Array(ArrayA) == nil || w.Array(ArrayB) == nil {
		t.Fatal("missing site or array")
	}
	for _, s := range []*openstacksim.Site{a, b} {
		for _, name := range []string{TypeReplicatedSSD, TypeReplicatedSync, TypeStandard, TypeReplicatedAOnly} {
			if _, ok := s.VolumeType(name); !ok {
				t.Errorf("%s: no volume type %s", s.Name(), name)
			}
		}
		if gt, ok := s.GroupType(GroupTypeConsistency); !ok || gt.GroupSpecs["consistent_group_snapshot_enabled"] != "<is> True" {
			t.Errorf("%s: group type %+v", s.Name(), gt)
		}
	}
	if vt, _ := b.VolumeType(TypeReplicatedAOnly); vt.ExtraSpecs["replication_enabled"] != "" {
		t.Errorf("site-b replicated-a-only should lack replication_enabled: %v", vt.ExtraSpecs)
	}
	ta, _ := a.VolumeType(TypeReplicatedSSD)
	tb, _ := b.VolumeType(TypeReplicatedSSD)
	if ta.ID == tb.ID {
		t.Error("volume type IDs should differ per site")
	}

	for _, sv := range siteAServers {
		got, ok := a.Server(sv.id)
		if !ok || got.Name != sv.name || len(got.Volumes) != len(sv.volumes) {
			t.Errorf("server %s: %+v", sv.name, got)
			continue
		}
		for i, fv := range sv.volumes {
			v, _ := a.Volume(fv.id)
			if v.Type != fv.typ || v.Host != sv.host || v.Status != "in-use" || v.Bootable != (i == 0) {
				t.Errorf("%s volume %d: %+v", sv.name, i, v)
			}
			if got.Volumes[i].Device != "/dev/vd"+string(rune('a'+i)) {
				t.Errorf("%s volume %d at %s", sv.name, i, got.Volumes[i].Device)
			}
			want := ArrayVolumeName(fv.id, fv.typ == TypeReplicatedSync)
			if v.Metadata["array_volume_name"] != want || v.Metadata["array_name"] != ArrayA {
				t.Errorf("%s metadata %v", fv.id, v.Metadata)
			}
			if _, ok := w.Array(ArrayA).Volume(want); !ok {
				t.Errorf("flasharray-a lacks %s", want)
			}
		}
	}
	if p, ok := w.Array(ArrayB).Pod(CinderPod); !ok || len(p.Arrays) != 2 {
		t.Errorf("cinder-pod on flasharray-b: %+v", p)
	}
	if ids := ServerVolumeIDs(DBServer1ID); len(ids) != 3 || ids[0] != DBServer1BootVolumeID {
		t.Errorf("ServerVolumeIDs = %v", ids)
	}
}

type siteClient struct {
	t       *testing.T
	site    *openstacksim.Site
	token   string
	project string
}

func login(t *testing.T, s *openstacksim.Site, user, password string) *siteClient {
	t.Helper()
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + user + `","domain":{"name":"Default"},"password":"` + password +
		`"}}},"scope":{"project":{"name":"demo","domain":{"name":"Default"}}}}}`
	resp, err := http.Post(s.AuthURL()+"/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	pid, _ := s.ProjectID(Project)
	return &siteClient{t: t, site: s, token: resp.Header.Get("X-Subject-Token"), project: pid}
}

func (c *siteClient) cinder(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.site.URL()+"/volume/v3/"+c.project+path, rd)
	req.Header.Set("X-Auth-Token", c.token)
	req.Header.Set("OpenStack-API-Version", "volume 3.38")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestPureDriverModelFollowsTheCinderGroup(t *testing.T) {
	w := startWorld(t)
	a := w.Site(SiteA)
	arr := w.Array(ArrayA)
	c := login(t, a, DemoUser, DemoPassword)

	status, body := c.cinder("POST", "/groups", map[string]any{"group": map[string]any{
		"name": "web", "group_type": GroupTypeConsistency, "volume_types": []string{TypeReplicatedSSD}}})
	if status != 202 {
		t.Fatalf("create group: %d %v", status, body)
	}
	gid := body["group"].(map[string]any)["id"].(string)
	pg := ConsistencyGroupPGName(gid)
	waitFor(t, "group available", func() bool { g, _ := a.Group(gid); return g.Status == "available" })
	if info, ok := arr.ProtectionGroup(pg); !ok || info.Destroyed {
		t.Fatalf("no protection group %s on flasharray-a: %+v", pg, info)
	}
	if _, ok := w.Array(ArrayB).ProtectionGroup(pg); ok {
		t.Error("the PG appeared on flasharray-b")
	}

	add := WebServer1BootVolumeID + "," + WebServer1DataVolumeID
	if status, body := c.cinder("PUT", "/groups/"+gid, map[string]any{"group": map[string]any{"add_volumes": add}}); status != 202 {
		t.Fatalf("add volumes: %d %v", status, body)
	}
	waitFor(t, "volumes in the PG", func() bool {
		info, _ := arr.ProtectionGroup(pg)
		return len(info.Volumes) == 2
	})
	info, _ := arr.ProtectionGroup(pg)
	for _, id := range []string{WebServer1BootVolumeID, WebServer1DataVolumeID} {
		found := false
		for _, v := range info.Volumes {
			found = found || v == ArrayVolumeName(id, false)
		}
		if !found {
			t.Errorf("PG volumes %v lack %s", info.Volumes, id)
		}
	}

	// The other backend is refused by Cinder before the array is touched.
	status, body = c.cinder("PUT", "/groups/"+gid, map[string]any{"group": map[string]any{"add_volumes": OtherBackendBootVolumeID}})
	if status != 400 || body["badRequest"].(map[string]any)["message"] != "Invalid volume: Volume is not local to this node." {
		t.Errorf("other backend: %d %v", status, body)
	}

	waitFor(t, "group available", func() bool { g, _ := a.Group(gid); return g.Status == "available" })
	if status, _ := c.cinder("PUT", "/groups/"+gid, map[string]any{"group": map[string]any{"remove_volumes": add}}); status != 202 {
		t.Fatalf("remove: %d", status)
	}
	waitFor(t, "PG emptied", func() bool { info, _ := arr.ProtectionGroup(pg); return len(info.Volumes) == 0 })
	waitFor(t, "group available", func() bool { g, _ := a.Group(gid); return g.Status == "available" })
	if status, body := c.cinder("POST", "/groups/"+gid+"/action", map[string]any{"delete": map[string]any{"delete-volumes": false}}); status != 202 {
		t.Fatalf("delete: %d %v", status, body)
	}
	waitFor(t, "PG destroyed", func() bool { info, _ := arr.ProtectionGroup(pg); return info.Destroyed })
	waitFor(t, "group gone", func() bool { _, ok := a.Group(gid); return !ok })
}

func TestGenericGroupTypeMakesNoProtectionGroup(t *testing.T) {
	w := startWorld(t)
	a := w.Site(SiteA)
	a.AddGroupType("generic", nil)
	c := login(t, a, DemoUser, DemoPassword)
	status, body := c.cinder("POST", "/groups", map[string]any{"group": map[string]any{"group_type": "generic", "volume_types": []string{TypeReplicatedSSD}}})
	if status != 202 {
		t.Fatalf("%d %v", status, body)
	}
	gid := body["group"].(map[string]any)["id"].(string)
	waitFor(t, "group available", func() bool { g, _ := a.Group(gid); return g.Status == "available" })
	if _, ok := w.Array(ArrayA).ProtectionGroup(ConsistencyGroupPGName(gid)); ok {
		t.Error("a generic group made a protection group")
	}
}

func TestCloudsYAMLAndCACert(t *testing.T) {
	w := startWorld(t)
	dir := t.TempDir()
	if err := w.WriteCloudsYAML(filepath.Join(dir, "clouds.yaml")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "clouds.yaml"))
	var doc struct {
		Clouds map[string]struct {
			Auth       map[string]string `yaml:"auth"`
			RegionName string            `yaml:"region_name"`
			Interface  string            `yaml:"interface"`
		} `yaml:"clouds"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{SiteA: DemoUser, SiteB: DemoUser, SiteA + "-admin": AdminUser, SiteB + "-admin": AdminUser}
	for name, user := range want {
		e, ok := doc.Clouds[name]
		site := w.Site(strings.TrimSuffix(name, "-admin"))
		if !ok || e.Auth["username"] != user || e.Auth["auth_url"] != site.AuthURL() || e.RegionName != Region ||
			e.Interface != "public" || e.Auth["user_domain_name"] != Domain || e.Auth["project_domain_name"] != Domain || e.Auth["project_name"] != Project {
			t.Errorf("cloud %s: %+v", name, e)
		}
	}
	if err := w.WriteCACert(filepath.Join(dir, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if n := strings.Count(string(pem), "BEGIN CERTIFICATE"); n < 1 {
		t.Errorf("CA bundle has %d certificates", n)
	}
}

func TestAddServers(t *testing.T) {
	w := startWorld(t)
	a, arr := w.Site(SiteA), w.Array(ArrayA)
	before := len(siteAServers)

	first := w.AddServers(3)
	more := w.AddServers(2)
	if len(first) != 3 || len(more) != 2 {
		t.Fatalf("AddServers returned %d and %d ids", len(first), len(more))
	}
	ids := append(append([]string(nil), first...), more...)
	seen := map[string]bool{}
	for k, id := range ids {
		if seen[id] {
			t.Fatalf("id %s returned twice", id)
		}
		seen[id] = true
		if id != ExtraServerID(k+1) {
			t.Errorf("server %d: id %s, want %s", k+1, id, ExtraServerID(k+1))
		}
		sv, ok := a.Server(id)
		if !ok {
			t.Errorf("site-a has no server %s", id)
			continue
		}
		if sv.Status != "ACTIVE" || sv.RootDeviceName != "/dev/vda" || len(sv.Volumes) != 2 {
			t.Errorf("server %s: %+v", id, sv)
			continue
		}
		for i, att := range sv.Volumes {
			if att.Device != "/dev/vd"+string(rune('a'+i)) {
				t.Errorf("server %s volume %d at %s", id, i, att.Device)
			}
			v, ok := a.Volume(att.VolumeID)
			if !ok {
				t.Errorf("server %s: no volume %s", id, att.VolumeID)
				continue
			}
			if v.Type != TypeReplicatedSSD || v.Host != HostA || v.Status != "in-use" || v.Bootable != (i == 0) {
				t.Errorf("server %s volume %d: %+v", id, i, v)
			}
			name := ArrayVolumeName(v.ID, false)
			if v.Metadata["array_volume_name"] != name || v.Metadata["array_name"] != ArrayA {
				t.Errorf("volume %s metadata %v", v.ID, v.Metadata)
			}
			if _, ok := arr.Volume(name); !ok {
				t.Errorf("flasharray-a lacks %s", name)
			}
		}
	}
	// The contract's fixtures are untouched.
	if len(siteAServers) != before {
		t.Errorf("fixture servers changed: %d, was %d", len(siteAServers), before)
	}
	if sv, ok := a.Server(WebServer1ID); !ok || len(sv.Volumes) != 2 {
		t.Errorf("web-server-1: %+v", sv)
	}
	if _, ok := w.Site(SiteB).Server(first[0]); ok {
		t.Error("extra servers belong to site-a only")
	}
}
