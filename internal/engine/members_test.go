package engine

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// addConcurrently adds instances to a group the way OpenTofu creates
// members: all at once. The test holds the group's lock until every change
// is queued, so that they meet in one batch whatever the scheduler does.
func addConcurrently(t *testing.T, e *Engine, groupID string, instances ...string) map[string]error {
	t.Helper()
	unlock := e.groupLock(groupID)
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := e.AddMember(context.Background(), MemberSpec{GroupID: groupID, InstanceID: id})
			mu.Lock()
			errs[id] = err
			mu.Unlock()
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.mu.Lock()
		queued := len(e.memberQueues[groupID])
		e.mu.Unlock()
		if queued == len(instances) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d changes queued", queued, len(instances))
		}
		time.Sleep(time.Millisecond)
	}
	unlock()
	wg.Wait()
	return errs
}

// Members added at once share one Cinder update, one call to the array and
// one metadata version, pushed to the peer; each caller gets its own member.
func TestConcurrentMembersShareOneChange(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	a, b := arrayEndpoints(w)
	configurePureGroup(t, w)
	if _, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, PureGroupName: "pg-prod-web-app", ReplicationInterval: 300, RPOMinutes: 15}); err != nil {
		t.Fatal(err)
	}
	site, peer, array := w.Site("site-a").Faults(), w.Site("site-b").Faults(), w.Array("flasharray-a").Faults()
	site.ResetRequests()
	peer.ResetRequests()
	array.ResetRequests()

	instances := []string{simulator.WebServer1ID, simulator.WebServer2ID, simulator.DBServer1ID}
	for id, err := range addConcurrently(t, e, g.ID, instances...) {
		if err != nil {
			t.Fatalf("add %s: %v", id, err)
		}
	}
	if n := site.Count("PUT", "/protector/"+versionPrefix(g.ID)); n != 1 {
		t.Fatalf("%d metadata versions written for 3 members added at once, want 1", n)
	}
	if n := peer.Count("PUT", "/protector/"+versionPrefix(g.ID)); n != 1 {
		t.Fatalf("%d versions pushed to the peer for 3 members added at once, want 1", n)
	}
	if n := site.Count("PUT", "/groups/"+g.PrimaryConsistencyGroup); n != 1 {
		t.Fatalf("%d Cinder group updates for 3 members added at once, want 1", n)
	}
	if n := array.Count("POST", "/protection-groups/volumes"); n != 1 {
		t.Fatalf("%d additions to the Pure group for 3 members added at once, want 1", n)
	}
	got, err := e.GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Members) != 3 || got.MetadataVersion != 3 || got.Sync.RemoteVersion != 3 {
		t.Fatalf("group records %d members at version %d (peer %d), want 3 at version 3 on both (group, policy, the batch)",
			len(got.Members), got.MetadataVersion, got.Sync.RemoteVersion)
	}
	log, err := e.SyncLog(ctx, g.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var logged []int
	for _, entry := range log {
		if entry.Outcome == SyncSynced {
			logged = append(logged, entry.Version)
		}
	}
	if slices.Sort(logged); !slices.Equal(logged, []int{1, 2, 3}) {
		t.Fatalf("the sync log lists pushes of versions %v, want each of 1..3", logged)
	}
	cg, _ := w.Site("site-a").Group(g.PrimaryConsistencyGroup)
	want := []string{simulator.WebServer1BootVolumeID, simulator.WebServer1DataVolumeID, simulator.WebServer2BootVolumeID,
		simulator.WebServer2DataVolumeID, simulator.DBServer1BootVolumeID, simulator.DBServer1Data1VolumeID, simulator.DBServer1Data2VolumeID}
	have := slices.Sorted(slices.Values(cg.VolumeIDs))
	if !slices.Equal(have, want) {
		t.Fatalf("consistency group holds %v, want %v", have, want)
	}

	// Removed at once, too: one update, one version.
	site.ResetRequests()
	unlock := e.groupLock(g.ID)
	var wg sync.WaitGroup
	for _, m := range got.Members[:2] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.RemoveMember(ctx, g.ID, m.ID); err != nil {
				t.Errorf("remove %s: %v", m.InstanceName, err)
			}
		}()
	}
	for {
		e.mu.Lock()
		n := len(e.memberQueues[g.ID])
		e.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	unlock()
	wg.Wait()
	if n := site.Count("PUT", "/groups/"+g.PrimaryConsistencyGroup); n != 1 {
		t.Fatalf("%d Cinder group updates for 2 members removed at once, want 1", n)
	}
	// The volumes of the removed members (most of the group's) are read
	// once, in one listing of the consistency group, for the consistency
	// group and the Pure group both.
	if n, list := site.Count("GET", "/volumes/"), site.Count("GET", "/volumes/detail"); n != 1 || list != 1 {
		t.Fatalf("%d volume reads (%d listings) to remove members with %d volumes, want one listing", n, list, len(got.Members[0].VolumeIDs)+len(got.Members[1].VolumeIDs))
	}
	after, _ := e.GetGroup(ctx, g.ID)
	if len(after.Members) != 1 || after.Members[0].InstanceID != got.Members[2].InstanceID || after.MetadataVersion != 4 {
		t.Fatalf("after removing two members the group records %+v at version %d, want one member at version 4", after.Members, after.MetadataVersion)
	}
	for v := 1; v <= 4; v++ {
		if _, err := readVersion(ctx, mustSite(t, e, "site-a"), g.ID, v); err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
	}
}

// A change that fails its own check fails alone; one that Cinder refuses
// makes the batch fall back to one change at a time, so that each caller
// gets its own answer and nothing of the others is lost.
func TestBatchedMembersFailAlone(t *testing.T) {
	w, e := testWorld(t, false) // no admin: the other backend is only found by Cinder
	g := createGuideGroup(t, e)
	errs := addConcurrently(t, e, g.ID, simulator.WebServer1ID, simulator.MixedServerID, simulator.OtherBackendServerID, simulator.WebServer2ID)
	if err := errs[simulator.MixedServerID]; !IsKind(err, KindMismatch) {
		t.Fatalf("mixed server: %v, want %s", err, KindMismatch)
	}
	if err := errs[simulator.OtherBackendServerID]; !IsKind(err, KindBackend) {
		t.Fatalf("other backend server: %v, want %s with Cinder's words", err, KindBackend)
	}
	for _, id := range []string{simulator.WebServer1ID, simulator.WebServer2ID} {
		if errs[id] != nil {
			t.Fatalf("add %s failed beside the bad ones: %v", id, errs[id])
		}
	}
	_, members := groupInstances(t, e, g.ID)
	if want := []string{simulator.WebServer1ID, simulator.WebServer2ID}; !slices.Equal(members, slices.Sorted(slices.Values(want))) {
		t.Fatalf("group records members %v, want %v", members, want)
	}
	cg, _ := w.Site("site-a").Group(g.PrimaryConsistencyGroup)
	if len(cg.VolumeIDs) != 4 {
		t.Fatalf("consistency group holds %v, want the four volumes of the two web servers", cg.VolumeIDs)
	}
}

func mustSite(t *testing.T, e *Engine, name string) *openstack.Site {
	t.Helper()
	s, err := e.site(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// createGuideGroup registers both sites and creates the guide's group.
func createGuideGroup(t *testing.T, e *Engine) *Group {
	t.Helper()
	registerSites(t, e)
	g, err := e.CreateGroup(context.Background(), guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A volume whose Cinder attachment does not name its device (the devices
// come from the volumes' attachments) sends the member's read to Nova's
// attachment listing, and the member is added all the same.
func TestMemberDevicesFromNovaWhenCinderLacksThem(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	site := w.Site("site-a")
	server := w.AddServers(1)[0]
	boot, data := simulator.ExtraServerVolumeID(1, 0), simulator.ExtraServerVolumeID(1, 1)
	site.SetCinderAttachmentDevice(data, server, "")
	site.Faults().ResetRequests()
	m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: server})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.VolumeIDs, []string{boot, data}) {
		t.Fatalf("member volumes %v, want [%s %s]", m.VolumeIDs, boot, data)
	}
	if n := site.Faults().Count("GET", "/os-volume_attachments"); n != 1 {
		t.Fatalf("Nova's attachment listing asked %d times, want once (Cinder named no device)", n)
	}

	// Cinder's devices that do not name Nova's root device (visible to
	// the admin credential) leave the boot volume to Nova's listing too.
	other := w.AddServers(1)[0]
	site.SetCinderAttachmentDevice(simulator.ExtraServerVolumeID(2, 0), other, "/dev/sda")
	site.Faults().ResetRequests()
	if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: other}); err != nil {
		t.Fatal(err)
	}
	if n := site.Faults().Count("GET", "/os-volume_attachments"); n != 1 {
		t.Fatalf("Nova's attachment listing asked %d times, want once (Cinder's devices miss the root device)", n)
	}
	doc, err := readDocument(ctx, mustSite(t, e, "site-a"), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, rec := doc.member(other)
	if rec == nil || rec.Recovery == nil || len(rec.Recovery.BlockDevices) == 0 || rec.Recovery.BlockDevices[0].BootIndex != 0 || rec.Recovery.BlockDevices[0].DeviceName != "/dev/vda" {
		t.Fatalf("recovery of %s: %+v, want the boot volume first at /dev/vda (Nova's)", other, rec)
	}
}

// A member change is sent to its consistency group at once; when the group
// is busy (another change under way), Cinder refuses it and the change
// waits for the group and is made, not failed or split.
func TestMemberChangeWaitsForABusyGroup(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	site := w.Site("site-a")
	setStatus := func(status string) {
		site.Update(func(st *openstacksim.State) { st.Groups[g.PrimaryConsistencyGroup].Status = status })
	}
	setStatus("updating")
	time.AfterFunc(100*time.Millisecond, func() { setStatus("available") })
	site.Faults().ResetRequests()
	m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID})
	if err != nil {
		t.Fatalf("add while the group was busy: %v", err)
	}
	if len(m.VolumeIDs) != 2 {
		t.Fatalf("member %+v, want web-server-1's 2 volumes", m)
	}
	if n := site.Faults().Count("PUT", "/groups/"+g.PrimaryConsistencyGroup); n != 2 {
		t.Fatalf("%d group updates, want 2 (refused while busy, then made)", n)
	}
	cg, _ := site.Group(g.PrimaryConsistencyGroup)
	if len(cg.VolumeIDs) != 2 {
		t.Fatalf("consistency group holds %v, want web-server-1's 2 volumes", cg.VolumeIDs)
	}
}

// A batch that follows this process's own version starts from it: both
// sites' version listings (taken with the reachability check) show it still
// the newest, so no version is read, and the checks of the batch's members
// read no metadata either.
func TestBatchStartsFromTheVersionItWrote(t *testing.T) {
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	ids := w.AddServers(6)
	apply := New(e.cfg) // a new provider process
	checkConcurrently(t, apply, g.ID, ids[:3]...)
	for id, err := range addConcurrently(t, apply, g.ID, ids[:3]...) {
		if err != nil {
			t.Fatalf("add %s: %v", id, err)
		}
	}
	for _, s := range []string{"site-a", "site-b"} {
		w.Site(s).Faults().ResetRequests()
	}
	checkConcurrently(t, apply, g.ID, ids[3:]...)
	for id, err := range addConcurrently(t, apply, g.ID, ids[3:]...) {
		if err != nil {
			t.Fatalf("add %s: %v", id, err)
		}
	}
	for _, s := range []string{"site-a", "site-b"} {
		f := w.Site(s).Faults()
		if n := f.Count("GET", versionPrefix(g.ID)); n != 0 {
			t.Errorf("the second batch read %d metadata versions on %s, want 0 (it wrote the newest itself)", n, s)
		}
		listings := 0
		for _, r := range f.Requests() {
			if r.Method == "GET" && strings.Contains(r.Query, url.QueryEscape(versionPrefix(g.ID))) {
				listings++
			}
		}
		if listings != 1 {
			t.Errorf("the second batch listed the versions on %s %d times, want once", s, listings)
		}
	}
	got, err := New(e.cfg).GetGroup(context.Background(), g.ID)
	if err != nil || len(got.Members) != 6 || got.MetadataVersion != 3 {
		t.Fatalf("group after two batches: %+v, %v; want 6 members at version 3", got, err)
	}
}

// The version a process wrote is only a starting point: when another run
// changed the group since, the next batch reads the newer version and
// builds on it, and no change is lost or refused.
func TestBatchAfterAnotherRunsChangeBuildsOnIt(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	ids := w.AddServers(3)
	apply := New(e.cfg)
	if _, _, err := apply.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: ids[0]}); err != nil {
		t.Fatal(err)
	}
	// Another provider process adds a member meanwhile.
	if _, _, err := New(e.cfg).AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: ids[1]}); err != nil {
		t.Fatal(err)
	}
	if _, err := apply.CheckMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: ids[2]}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := apply.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: ids[2]}); err != nil {
		t.Fatalf("a batch after another run's version: %v", err)
	}
	got, members := groupInstances(t, New(e.cfg), g.ID)
	want := slices.Sorted(slices.Values(ids))
	if !slices.Equal(members, want) || got.MetadataVersion != 4 {
		t.Fatalf("members %v at version %d, want %v at version 4", members, got.MetadataVersion, want)
	}
	for _, s := range []string{"site-a", "site-b"} {
		if v := versionsOn(w, s, g.ID); len(v) != 4 {
			t.Fatalf("%s holds versions %v, want 1 to 4", s, v)
		}
	}
}

// groupInstances reads a group and the instance ids of its members, sorted.
func groupInstances(t *testing.T, e *Engine, id string) (*Group, []string) {
	t.Helper()
	g, err := e.GetGroup(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var instances []string
	for _, m := range g.Members {
		instances = append(instances, m.InstanceID)
	}
	slices.Sort(instances)
	return g, instances
}
