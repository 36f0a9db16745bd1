package openstacksim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func addVolumes(ids ...string) map[string]any {
	return map[string]any{"group": map[string]any{"add_volumes": strings.Join(ids, ",")}}
}

func TestGroupLifecycleIsAsynchronous(t *testing.T) {
	ts := newTestSite(t)
	var mu sync.Mutex
	var calls []string
	release := make(chan struct{})
	ts.SetBackend(Backend{
		Host: hostA,
		OnGroupCreate: func(g Group) error {
			<-release // hold the group in "creating" until the test has looked
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, "create "+g.Host)
			return nil
		},
		OnGroupVolumes: func(g Group, added, removed []string) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, fmt.Sprintf("volumes +%d -%d", len(added), len(removed)))
			return nil
		},
		OnGroupDelete: func(g Group) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, "delete")
			return nil
		},
	})
	tok := ts.member()
	r := ts.cinder("POST", "/groups", tok, "3.13", map[string]any{"group": map[string]any{
		"name": " app ", "group_type": "consistency-group", "volume_types": []string{"replicated-ssd"}}})
	if r.status != 202 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.json(t)["group"].(map[string]any)
	if len(created) != 2 || created["name"] != "app" {
		t.Errorf("create answer %v, want only id and name", created)
	}
	id := created["id"].(string)
	r = ts.cinder("GET", "/groups/"+id, tok, "3.38", nil)
	g := r.json(t)["group"].(map[string]any)
	if g["status"] != "creating" || g["group_type"] != ts.groupType || g["volume_types"].([]any)[0] != ts.repType || g["replication_status"] != "disabled" {
		t.Errorf("group right after create: %v", g)
	}
	if r := ts.cinder("PUT", "/groups/"+id, tok, "3.13", addVolumes(ts.free[0])); r.status != 400 ||
		faultMessage(t, r, "badRequest") != "Invalid Group: Group status must be available, but current status is: creating." {
		t.Errorf("update while creating: %d %s", r.status, r.body)
	}
	close(release)
	ts.waitGroup(id, "available")

	r = ts.cinder("PUT", "/groups/"+id, tok, "3.13", addVolumes(ts.free[0], ts.free[1]))
	if r.status != 202 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	if g, _ := ts.Group(id); g.Status != "updating" || len(g.VolumeIDs) != 0 {
		t.Errorf("right after add: status %s members %v, want updating and no member yet", g.Status, g.VolumeIDs)
	}
	ts.waitGroup(id, "available")
	r = ts.cinder("GET", "/groups/"+id+"?list_volume=True", tok, "3.25", nil)
	vols := r.json(t)["group"].(map[string]any)["volumes"].([]any)
	if len(vols) != 2 {
		t.Errorf("list_volume: %v", vols)
	}
	if v, _ := ts.Volume(ts.free[0]); v.GroupID != id {
		t.Errorf("volume group_id = %q", v.GroupID)
	}
	if r := ts.cinder("GET", "/groups/"+id+"?list_volume=True", tok, "3.24", nil); r.json(t)["group"].(map[string]any)["volumes"] != nil {
		t.Error("volumes listed below 3.25")
	}

	// A name change alone keeps the group available.
	if r := ts.cinder("PUT", "/groups/"+id, tok, "3.13", map[string]any{"group": map[string]any{"name": "renamed"}}); r.status != 202 {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}
	if g, _ := ts.Group(id); g.Status != "available" || g.Name != "renamed" {
		t.Errorf("after rename: %+v", g)
	}

	if r := ts.cinder("PUT", "/groups/"+id, tok, "3.13", map[string]any{"group": map[string]any{"remove_volumes": ts.free[0] + "," + ts.free[1]}}); r.status != 202 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	ts.waitGroup(id, "available")
	r = ts.cinder("POST", "/groups/"+id+"/action", tok, "3.13", map[string]any{"delete": map[string]any{"delete-volumes": false}})
	if r.status != 202 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if g, _ := ts.Group(id); g.Status != "deleting" {
		t.Errorf("right after delete: %s", g.Status)
	}
	ts.waitGroup(id, "")
	if r := ts.cinder("GET", "/groups/"+id, tok, "3.13", nil); r.status != 404 ||
		faultMessage(t, r, "itemNotFound") != "Group "+id+" could not be found." {
		t.Errorf("deleted group: %d %s", r.status, r.body)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"create " + hostA, "volumes +2 -0", "volumes +0 -2", "delete"}
	if !slices.Equal(calls, want) {
		t.Errorf("backend calls %q, want %q", calls, want)
	}
}

func TestGroupUpdateRules(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	gid := ts.createGroup(tok)
	other := ts.createGroup(tok)
	// Fixture for the rules: one volume already in gid, one in the other
	// group, one in error, one of another project.
	ts.Update(func(st *State) {
		st.Volumes[ts.free[0]].GroupID = gid
		st.Volumes[ts.free[1]].GroupID = other
		st.Volumes[ts.free[2]].Status = "error"
	})
	foreign := ts.AddVolume(Volume{Project: "other-project", Type: "replicated-ssd", Host: hostA})
	creating := ts.AddVolume(Volume{Project: "demo", Type: "replicated-ssd", Host: hostA, Status: "creating"})
	missing := "00000000-0000-4000-8000-00000000dead"

	cases := []struct {
		name string
		body map[string]any
		msg  string
	}{
		{"same id in add and remove", map[string]any{"group": map[string]any{"add_volumes": ts.free[3], "remove_volumes": ts.free[3]}},
			fmt.Sprintf("Invalid volume: UUIDs ['%s'] are in both add and remove volume list.", ts.free[3])},
		{"volume not found", addVolumes(missing),
			fmt.Sprintf("Invalid volume: Cannot add volume %s to group %s because volume cannot be found.", missing, gid)},
		{"volume of another project", addVolumes(foreign),
			fmt.Sprintf("Invalid volume: Cannot add volume %s to group %s because volume cannot be found.", foreign, gid)},
		{"volume in another group", addVolumes(ts.free[1]),
			fmt.Sprintf("Invalid volume: Cannot add volume %s to group %s because it is already in group %s.", ts.free[1], gid, other)},
		{"type not in the group", addVolumes(ts.std),
			fmt.Sprintf("Invalid volume: Cannot add volume %s to group %s because volume type %s is not supported by the group.", ts.std, gid, ts.stdType)},
		{"volume in error", addVolumes(ts.free[2]),
			fmt.Sprintf("Invalid volume: Cannot add volume %s to group %s because volume is in an invalid state: error. Valid states are: ('available', 'in-use').", ts.free[2], gid)},
		{"volume creating", addVolumes(creating),
			fmt.Sprintf("Invalid volume: Cannot add volume %s to group %s because volume is in an invalid state: creating. Valid states are: ('available', 'in-use').", creating, gid)},
		{"other backend", addVolumes(ts.otherHost), "Invalid volume: Volume is not local to this node."},
		{"remove a non-member", map[string]any{"group": map[string]any{"remove_volumes": ts.free[3]}},
			fmt.Sprintf("Invalid volume: Cannot remove volume %s from group %s because it is not in the group.", ts.free[3], gid)},
		{"add only a member already there", addVolumes(ts.free[0]),
			fmt.Sprintf("Invalid Group: Cannot update group %s because no valid name, description, add_volumes, or remove_volumes were provided.", gid)},
		{"same name", map[string]any{"group": map[string]any{"name": "g"}},
			fmt.Sprintf("Invalid Group: Cannot update group %s because no valid name, description, add_volumes, or remove_volumes were provided.", gid)},
		{"empty list", map[string]any{"group": map[string]any{"add_volumes": ","}},
			fmt.Sprintf("Invalid Group: Cannot update group %s because no valid name, description, add_volumes, or remove_volumes were provided.", gid)},
		{"unknown key", map[string]any{"group": map[string]any{"volumes": "x"}}, "Additional properties are not allowed ('volumes' was unexpected)"},
		{"volumes as an array", map[string]any{"group": map[string]any{"add_volumes": []string{ts.free[3]}}}, "is not of type 'string'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.cinder("PUT", "/groups/"+gid, tok, "3.13", tc.body)
			if r.status != 400 {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			if msg := faultMessage(t, r, "badRequest"); !strings.Contains(msg, tc.msg) {
				t.Errorf("message\n %q\nwant\n %q", msg, tc.msg)
			}
			if g, _ := ts.Group(gid); g.Status != "available" || !slices.Equal(g.VolumeIDs, []string{ts.free[0]}) {
				t.Errorf("a refused update changed the group: %+v", g)
			}
		})
	}

	// Removing a member in error is allowed; in creating it is not.
	ts.Update(func(st *State) { st.Volumes[ts.free[0]].Status = "creating" })
	r := ts.cinder("PUT", "/groups/"+gid, tok, "3.13", map[string]any{"group": map[string]any{"remove_volumes": ts.free[0]}})
	if r.status != 400 || !strings.Contains(faultMessage(t, r, "badRequest"),
		"because volume is in an invalid state: creating. Valid states are: ('available', 'in-use', 'error', 'error_deleting').") {
		t.Errorf("remove a creating member: %d %s", r.status, r.body)
	}
	ts.Update(func(st *State) { st.Volumes[ts.free[0]].Status = "error" })
	if r := ts.cinder("PUT", "/groups/"+gid, tok, "3.13", map[string]any{"group": map[string]any{"remove_volumes": ts.free[0]}}); r.status != 202 {
		t.Errorf("remove a member in error: %d %s", r.status, r.body)
	}
	ts.waitGroup(gid, "available")
	// In-use volumes (attached) may join.
	if r := ts.cinder("PUT", "/groups/"+gid, tok, "3.13", addVolumes(ts.bootVol)); r.status != 202 {
		t.Errorf("add an in-use volume: %d %s", r.status, r.body)
	}
}

func TestGroupCreateErrors(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	cases := []struct {
		name   string
		body   any
		status int
		fault  string
		msg    string
	}{
		{"unknown group type name", map[string]any{"group": map[string]any{"group_type": "nope", "volume_types": []string{ts.repType}}},
			404, "itemNotFound", "Group type with name nope could not be found."},
		{"unknown group type id", map[string]any{"group": map[string]any{"group_type": "00000000-0000-4000-8000-000000000001", "volume_types": []string{ts.repType}}},
			404, "itemNotFound", "Group type 00000000-0000-4000-8000-000000000001 could not be found."},
		{"unknown volume type", map[string]any{"group": map[string]any{"group_type": ts.groupType, "volume_types": []string{"nope"}}},
			404, "itemNotFound", "Volume type with name nope could not be found."},
		{"no volume types", map[string]any{"group": map[string]any{"group_type": ts.groupType, "volume_types": []string{}}},
			400, "badRequest", "is too short"},
		{"missing group_type", map[string]any{"group": map[string]any{"volume_types": []string{ts.repType}}},
			400, "badRequest", "'group_type' is a required property"},
		{"missing volume_types", map[string]any{"group": map[string]any{"group_type": ts.groupType}},
			400, "badRequest", "'volume_types' is a required property"},
		{"bad availability zone", map[string]any{"group": map[string]any{"group_type": ts.groupType, "volume_types": []string{ts.repType}, "availability_zone": "mars"}},
			400, "badRequest", "Availability zone 'mars' is invalid."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.cinder("POST", "/groups", tok, "3.13", tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if msg := faultMessage(t, r, tc.fault); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q, want %q", msg, tc.msg)
			}
		})
	}
	if n := len(ts.Groups()); n != 0 {
		t.Errorf("%d groups created by failed requests", n)
	}
}

func TestGroupDeleteRules(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	del := func(id string, body any) response {
		return ts.cinder("POST", "/groups/"+id+"/action", tok, "3.13", body)
	}
	gid := ts.createGroup(tok)
	ts.Update(func(st *State) { st.Volumes[ts.free[0]].GroupID = gid })

	r := del(gid, map[string]any{"delete": map[string]any{}})
	if r.status != 400 || faultMessage(t, r, "badRequest") != "Invalid Group: Group "+gid+" still contains volumes. The delete-volumes flag is required to delete it." {
		t.Errorf("delete with members: %d %s", r.status, r.body)
	}
	if r := del(gid, map[string]any{"delete": map[string]any{"force": true}}); r.status != 400 {
		t.Errorf("unknown key: %d", r.status)
	}
	if r := del(gid, map[string]any{"remove": map[string]any{}}); r.status != 400 ||
		!strings.Contains(faultMessage(t, r, "badRequest"), "There is no such action: remove") {
		t.Errorf("unknown action: %d %s", r.status, r.body)
	}
	if r := del("00000000-0000-4000-8000-000000000009", map[string]any{"delete": map[string]any{}}); r.status != 404 {
		t.Errorf("unknown group: %d", r.status)
	}

	attached := ts.createGroup(tok)
	ts.Update(func(st *State) { st.Volumes[ts.bootVol].GroupID = attached })
	if r := del(attached, map[string]any{"delete": map[string]any{"delete-volumes": true}}); r.status != 400 ||
		faultMessage(t, r, "badRequest") != "Invalid Group: Volume in group "+attached+" is attached. Need to detach first." {
		t.Errorf("delete-volumes with an attached member: %d %s", r.status, r.body)
	}

	ts.Update(func(st *State) { st.Groups[gid].Status = "updating" })
	r = del(gid, map[string]any{"delete": map[string]any{"delete-volumes": false}})
	if r.status != 400 || faultMessage(t, r, "badRequest") != "Invalid Group: Group status must be available or error, but current status is: updating" {
		t.Errorf("delete while updating: %d %s", r.status, r.body)
	}
	ts.Update(func(st *State) { st.Groups[gid].Status = "available" })

	// delete-volumes takes the member volumes too.
	if r := del(gid, map[string]any{"delete": map[string]any{"delete-volumes": true}}); r.status != 202 {
		t.Fatalf("delete-volumes: %d %s", r.status, r.body)
	}
	ts.waitGroup(gid, "")
	if _, ok := ts.Volume(ts.free[0]); ok {
		t.Error("member volume survived delete-volumes")
	}
}

func TestBackendErrorsPutTheGroupInError(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	ts.SetBackend(Backend{Host: hostA, OnGroupVolumes: func(Group, []string, []string) error { return errors.New("array says no") }})
	gid := ts.createGroup(tok)
	if r := ts.cinder("PUT", "/groups/"+gid, tok, "3.13", addVolumes(ts.free[0])); r.status != 202 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	ts.waitGroup(gid, "error")
	if v, _ := ts.Volume(ts.free[0]); v.Status != "error" || v.GroupID != "" {
		t.Errorf("volume after a driver error: %s in %q", v.Status, v.GroupID)
	}
	// A group in error may be deleted without the flag (it has no member).
	if r := ts.cinder("POST", "/groups/"+gid+"/action", tok, "3.13", map[string]any{"delete": map[string]any{}}); r.status != 202 {
		t.Errorf("delete a group in error: %d %s", r.status, r.body)
	}
}

func TestGroupsAreProjectScoped(t *testing.T) {
	ts := newTestSite(t)
	gid := ts.createGroup(ts.member())
	ts.AddUser("eve", "eve-password", "other", "member")
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"eve","domain":{"name":"Default"},"password":"eve-password"}}},"scope":{"project":{"name":"other","domain":{"name":"Default"}}}}}`
	r := ts.do("POST", "/identity/v3/auth/tokens", "", body)
	eve := r.header.Get("X-Subject-Token")
	otherID, _ := ts.ProjectID("other")
	if r := ts.do("GET", "/volume/v3/"+otherID+"/groups/"+gid, eve, nil, "OpenStack-API-Version", "volume 3.13"); r.status != 404 {
		t.Errorf("group of another project: %d", r.status)
	}
	if r := ts.do("GET", "/volume/v3/"+otherID+"/groups/detail", eve, nil, "OpenStack-API-Version", "volume 3.13"); len(r.json(t)["groups"].([]any)) != 0 {
		t.Errorf("other project lists %s", r.body)
	}
}

func TestConcurrentGroupUpdatesOneWins(t *testing.T) {
	ts := newTestSite(t)
	tok := ts.member()
	gid := ts.createGroup(tok)
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = ts.cinder("PUT", "/groups/"+gid, tok, "3.13", addVolumes(ts.free[i])).status
		}(i)
	}
	wg.Wait()
	accepted := 0
	for _, c := range codes {
		if c == 202 {
			accepted++
		} else if c != 400 {
			t.Errorf("unexpected status %d", c)
		}
	}
	if accepted != 1 {
		t.Errorf("%d concurrent member changes accepted, want 1 (the group is updating after the first)", accepted)
	}
	ts.waitGroup(gid, "available")
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if g, _ := ts.Group(gid); len(g.VolumeIDs) == 1 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Error("the accepted volume never joined")
}
