package openstacksim

import (
	"slices"
	"testing"
)

// A VM changed behind the provider's back shows the change in Nova's
// server view, at the microversions that carry each field.
func TestNovaServerChangedBehindTheProvidersBack(t *testing.T) {
	ts := newTestSite(t)
	big := ts.AddFlavor(Flavor{Name: "m1.large", VCPUs: 4, RAM: 8192, Disk: 80, ExtraSpecs: map[string]string{"hw:cpu_policy": "dedicated"}})
	ts.Update(func(st *State) {
		sv := st.Servers[ts.server]
		sv.KeyName, sv.AvailabilityZone = "ops", "az-1"
	})
	get := func(mv string) map[string]any {
		r := ts.do("GET", "/compute/v2.1/servers/"+ts.server, ts.member(), nil, "OpenStack-API-Version", "compute "+mv)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r.json(t)["server"].(map[string]any)
	}
	m := get("2.1")
	if _, ok := m["tags"]; ok {
		t.Error("tags shown before 2.26")
	}
	if _, ok := m["flavor"].(map[string]any)["id"]; !ok {
		t.Errorf("flavor before 2.47 is a link with an id: %v", m["flavor"])
	}
	if m["key_name"] != "ops" || m["OS-EXT-AZ:availability_zone"] != "az-1" {
		t.Errorf("key_name %v az %v", m["key_name"], m["OS-EXT-AZ:availability_zone"])
	}

	if !ts.ResizeServer(ts.server, "m1.large") || !ts.SetServerTags(ts.server, "web", "tier-1") ||
		!ts.SetServerMetadata(ts.server, map[string]string{"role": "db"}) {
		t.Fatal("a change of an existing server was refused")
	}
	if ts.ResizeServer(ts.server, "no-such-flavor") || ts.SetServerTags("nope", "x") {
		t.Error("a change of a missing flavor or server was accepted")
	}
	m = get("2.47")
	fl := m["flavor"].(map[string]any)
	if fl["original_name"] != "m1.large" || fl["vcpus"] != float64(4) || fl["ram"] != float64(8192) || fl["disk"] != float64(80) ||
		fl["extra_specs"].(map[string]any)["hw:cpu_policy"] != "dedicated" {
		t.Errorf("embedded flavor after the resize: %v", fl)
	}
	if _, ok := fl["id"]; ok {
		t.Errorf("embedded flavor has an id: %v", fl)
	}
	var tags []string
	for _, x := range m["tags"].([]any) {
		tags = append(tags, x.(string))
	}
	if !slices.Equal(tags, []string{"web", "tier-1"}) || m["metadata"].(map[string]any)["role"] != "db" {
		t.Errorf("tags %v metadata %v", m["tags"], m["metadata"])
	}
	if sv, _ := ts.Server(ts.server); sv.FlavorID != big {
		t.Errorf("flavor id %s, want %s", sv.FlavorID, big)
	}

	if !ts.DetachVolume(ts.server, ts.bootVol) || ts.DetachVolume(ts.server, ts.bootVol) {
		t.Fatal("detach: first must succeed, second must find nothing")
	}
	if v, _ := ts.Volume(ts.bootVol); v.Status != "available" || len(v.Attachments) != 0 {
		t.Errorf("detached volume: %s %v", v.Status, v.Attachments)
	}
	if got := get("2.3")["os-extended-volumes:volumes_attached"].([]any); len(got) != 0 {
		t.Errorf("volumes_attached after detach: %v", got)
	}
}
