package openstacksim

import (
	"testing"
)

// The volume services and the scheduler's pools are admin-only, as in
// Cinder; a stopped or disabled volume service shows state down (or status
// disabled) and its pools leave the scheduler's list.
func TestCinderServicesAndPools(t *testing.T) {
	ts := newTestSite(t)
	ts.AddVolumeService(VolumeService{Host: "pure@backend-b", BackendName: "pure", Pools: []string{"pool-b"}})
	ts.AddVolumeService(VolumeService{Host: "lvm@lvm", BackendName: "lvm"})
	member, admin := ts.member(), ts.admin()

	for _, path := range []string{"/os-services", "/scheduler-stats/get_pools"} {
		r := ts.cinder("GET", path, member, "", nil)
		if r.status != 403 || faultMessage(t, r, "forbidden") == "" {
			t.Errorf("member GET %s: %d %s, want 403", path, r.status, r.body)
		}
	}
	pools := func() []string {
		t.Helper()
		r := ts.cinder("GET", "/scheduler-stats/get_pools?detail=true", admin, "", nil)
		if r.status != 200 {
			t.Fatalf("get_pools: %d %s", r.status, r.body)
		}
		var out []string
		for _, p := range r.json(t)["pools"].([]any) {
			m := p.(map[string]any)
			out = append(out, m["name"].(string)+"="+m["capabilities"].(map[string]any)["volume_backend_name"].(string))
		}
		return out
	}
	if got := pools(); len(got) != 2 || got[0] != "lvm@lvm#lvm=lvm" || got[1] != "pure@backend-b#pool-b=pure" {
		t.Fatalf("pools %v", got)
	}
	r := ts.cinder("GET", "/scheduler-stats/get_pools", admin, "", nil)
	if p := r.json(t)["pools"].([]any); len(p) != 2 || p[0].(map[string]any)["capabilities"] != nil {
		t.Errorf("pools without detail carry capabilities: %s", r.body)
	}

	if !ts.SetVolumeServiceDown("pure@backend-b", true) || ts.SetVolumeServiceDown("nope@nope", true) {
		t.Fatal("SetVolumeServiceDown found the wrong services")
	}
	if got := pools(); len(got) != 1 || got[0] != "lvm@lvm#lvm=lvm" {
		t.Fatalf("pools with pure down %v", got)
	}
	r = ts.cinder("GET", "/os-services?binary=cinder-volume", admin, "3.49", nil)
	services := r.json(t)["services"].([]any)
	if len(services) != 2 {
		t.Fatalf("cinder-volume services %s", r.body)
	}
	pure := services[1].(map[string]any)
	if pure["host"] != "pure@backend-b" || pure["state"] != "down" || pure["status"] != "enabled" || pure["backend_state"] != "down" {
		t.Errorf("stopped service %v", pure)
	}
	r = ts.cinder("GET", "/os-services?binary=cinder-scheduler", admin, "", nil)
	if s := r.json(t)["services"].([]any); len(s) != 1 || s[0].(map[string]any)["state"] != "up" || s[0].(map[string]any)["backend_state"] != nil {
		t.Errorf("scheduler %s", r.body)
	}
	ts.SetVolumeServiceDown("pure@backend-b", false)
	ts.Update(func(st *State) { st.VolumeServices["lvm@lvm"].Disabled = true })
	if got := pools(); len(got) != 1 || got[0] != "pure@backend-b#pool-b=pure" {
		t.Fatalf("pools with lvm disabled %v", got)
	}
}
