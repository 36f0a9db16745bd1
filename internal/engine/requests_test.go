package engine

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// Request counts are stable where timings are not: these guard the caches.

// One engine (one provider process) asks Keystone for one token per site,
// however many operations it makes.
func TestOneTokenPerSitePerEngine(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	g := createGuideGroup(t, e)
	for _, id := range []string{simulator.WebServer1ID, simulator.WebServer2ID} {
		if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: id}); err != nil {
			t.Fatal(err)
		}
	}
	for _, site := range []string{"site-a", "site-b"} {
		if n := w.Site(site).Faults().Count("POST", "/auth/tokens"); n != 1 {
			t.Fatalf("%s issued %d tokens, want 1", site, n)
		}
	}
}

// A refresh of many members reads the group and the peer once, and one
// listing of servers answers for every member's VM.
func TestMemberRefreshReadsTheGroupOnce(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	g := createGuideGroup(t, e)
	var members []*Member
	for _, id := range []string{simulator.WebServer1ID, simulator.WebServer2ID, simulator.DBServer1ID} {
		m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: id})
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	// A new engine is a new provider process: nothing is cached yet.
	fresh := New(e.cfg)
	for _, site := range []string{"site-a", "site-b"} {
		w.Site(site).Faults().ResetRequests()
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			if _, _, err := fresh.GetMember(ctx, g.ID, id); err != nil {
				t.Error(err)
			}
		}(m.ID)
	}
	wg.Wait()
	a := w.Site("site-a").Faults()
	// Once per group: token, version listing, newest version, sync record,
	// the group's volumes, the consistency group, the volume type, and one
	// detailed listing of the project's servers (a deleted VM is drift, and
	// so is a volume attached to a member's VM since: the detailed listing
	// carries volumes_attached), and one listing of the project's ports
	// (a port added, removed or changed is drift of the recovery
	// description) after the network endpoint's version document. Nothing
	// per member.
	const perGroup = 10
	if got := len(a.Requests()); got != perGroup {
		t.Fatalf("refreshing %d members made %d requests to site-a (%v), want %d", len(members), got, a.Requests(), perGroup)
	}
	if got := a.Count("GET", "/servers/detail"); got != 1 {
		t.Fatalf("%d detailed server listings for %d members, want 1", got, len(members))
	}
	if got := a.Count("GET", "/networking/v2.0/ports"); got != 1 {
		t.Fatalf("%d port listings for %d members, want 1", got, len(members))
	}
	// site-b: token, the secondary consistency group, the version listing.
	// Its newest version has the same content hash as site-a's, so it is
	// intact without being read.
	if got := len(w.Site("site-b").Faults().Requests()); got != 3 {
		t.Fatalf("refreshing members made %d requests to site-b (%v), want 3", got, w.Site("site-b").Faults().Requests())
	}
}

// A policy refresh takes the members' volumes from the consistency group's
// listing, not one request per volume, and reads each array's name once.
func TestPolicyRefreshReadsNoVolumeOneByOne(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	a, b := arrayEndpoints(w)
	configurePureGroup(t, w)
	if _, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, PureGroupName: "pg-prod-web-app", ReplicationInterval: 300, RPOMinutes: 15}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{simulator.WebServer1ID, simulator.WebServer2ID, simulator.DBServer1ID} {
		if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: id}); err != nil {
			t.Fatal(err)
		}
	}
	fresh := New(e.cfg)
	w.Site("site-a").Faults().ResetRequests()
	w.Array("flasharray-a").Faults().ResetRequests()
	for range 2 {
		p, err := fresh.GetPolicy(ctx, g.ID, a, b)
		if err != nil || len(p.MissingVolumes) != 0 {
			t.Fatalf("policy: %+v %v", p, err)
		}
	}
	if n := w.Site("site-a").Faults().Count("GET", "/volumes/aa"); n != 0 {
		t.Fatalf("a policy refresh read %d volumes one by one, want 0", n)
	}
	if n := w.Array("flasharray-a").Faults().Count("GET", "/arrays"); n != 1 {
		t.Fatalf("two policy refreshes read the array %d times, want once", n)
	}
}

// Members planned at once check each site's reachability once between
// them, not once each.
func TestMemberChecksShareOneReachabilityCheck(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	fresh := New(e.cfg)
	for _, site := range []string{"site-a", "site-b"} {
		w.Site(site).Faults().ResetRequests()
	}
	var wg sync.WaitGroup
	for _, id := range []string{simulator.WebServer1ID, simulator.WebServer2ID, simulator.DBServer1ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fresh.CheckMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: id}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, site := range []string{"site-a", "site-b"} {
		n := 0
		for _, r := range w.Site(site).Faults().Requests() {
			if r.Method == "GET" && strings.Contains(r.Query, url.QueryEscape(siteObject(site))) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%s was checked %d times for 3 members planned at once, want 1", site, n)
		}
	}
}

// A group's creation reads each site's record once (its check reads it,
// and the consistency group is made with the group type it names), reads
// no pending record for a name it has just claimed, and makes both sites'
// consistency groups side by side.
func TestGroupCreateReadsEachRecordOnce(t *testing.T) {
	w, e := testWorld(t, false)
	registerSites(t, e)
	for _, s := range []string{"site-a", "site-b"} {
		w.Site(s).Faults().ResetRequests()
	}
	w.SetLatency(20 * time.Millisecond)
	if _, err := e.CreateGroup(context.Background(), guideGroup()); err != nil {
		t.Fatal(err)
	}
	w.SetLatency(0)
	for _, s := range []string{"site-a", "site-b"} {
		if n := w.Site(s).Faults().Count("GET", siteObject(s)); n != 1 {
			t.Errorf("creating a group read the record of %s %d times, want once", s, n)
		}
	}
	if n := w.Site("site-a").Faults().Count("GET", "/pending"); n != 0 {
		t.Errorf("creating a group under a name it just claimed read a pending record %d times, want 0", n)
	}
	// Side by side: the secondary's create was sent before the primary's
	// group was first read (made one after the other, it was sent after the
	// primary's group was available).
	var primaryCreated, primaryRead, secondaryCreated time.Time
	for _, r := range w.Site("site-a").Faults().Requests() {
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/groups"):
			primaryCreated = r.Time
		case r.Method == "GET" && strings.Contains(r.Path, "/groups/") && primaryRead.IsZero() && !primaryCreated.IsZero():
			primaryRead = r.Time
		}
	}
	for _, r := range w.Site("site-b").Faults().Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/groups") {
			secondaryCreated = r.Time
		}
	}
	if primaryRead.IsZero() || secondaryCreated.IsZero() || !secondaryCreated.Before(primaryRead) {
		t.Errorf("the secondary's consistency group was created at %v, the primary's first read at %v: want side by side", secondaryCreated, primaryRead)
	}
}

// Deleting a group deletes both sites' consistency groups side by side:
// the secondary's delete is sent before the primary's group is gone (one
// after the other, it was sent after the primary's deletion was seen).
func TestGroupDeleteRemovesBothConsistencyGroupsSideBySide(t *testing.T) {
	w, e := testWorld(t, false)
	g := createGuideGroup(t, e)
	for _, s := range []string{"site-a", "site-b"} {
		w.Site(s).Faults().ResetRequests()
	}
	w.SetLatency(20 * time.Millisecond)
	if err := e.DeleteGroup(context.Background(), g.ID); err != nil {
		t.Fatal(err)
	}
	w.SetLatency(0)
	var primaryLastRead, secondaryDeleted time.Time
	for _, r := range w.Site("site-a").Faults().Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/groups/"+g.PrimaryConsistencyGroup) {
			primaryLastRead = r.Time
		}
	}
	for _, r := range w.Site("site-b").Faults().Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/groups/"+g.SecondaryConsistencyGroup+"/action") && secondaryDeleted.IsZero() {
			secondaryDeleted = r.Time
		}
	}
	if primaryLastRead.IsZero() || secondaryDeleted.IsZero() || !secondaryDeleted.Before(primaryLastRead) {
		t.Errorf("the secondary's consistency group was deleted at %v, the primary's last read at %v: want side by side", secondaryDeleted, primaryLastRead)
	}
	for s, cg := range map[string]string{"site-a": g.PrimaryConsistencyGroup, "site-b": g.SecondaryConsistencyGroup} {
		if _, ok := w.Site(s).Group(cg); ok {
			t.Errorf("consistency group %s is still on %s", cg, s)
		}
	}
}

// A deletion that fails on one site while the other's consistency group is
// already gone leaves the group's metadata on both sites, identical, and
// the next run finishes it: the group already gone is skipped.
func TestGroupDeleteFailingOnOneSiteIsFinishedByTheNextRun(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, false)
	g := createGuideGroup(t, e)
	w.Site("site-b").Faults().Add(fault.Rule{Method: "POST", PathContains: "/groups/" + g.SecondaryConsistencyGroup + "/action",
		Status: 400, Body: `{"badRequest": {"code": 400, "message": "Injected failure."}}`})
	if err := e.DeleteGroup(ctx, g.ID); err == nil {
		t.Fatal("the deletion succeeded with site-b refusing to delete its consistency group")
	}
	if _, ok := w.Site("site-a").Group(g.PrimaryConsistencyGroup); ok {
		t.Errorf("site-a's consistency group %s is still there: it was not deleted beside site-b's", g.PrimaryConsistencyGroup)
	}
	a, b := w.Site("site-a").Objects(container, versionPrefix(g.ID)), w.Site("site-b").Objects(container, versionPrefix(g.ID))
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("after the failed deletion the sites hold versions %v and %v, want the same, not none", a, b)
	}
	w.Site("site-b").Faults().Clear()
	if err := e.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatalf("the next run: %v", err)
	}
	for s, cg := range map[string]string{"site-a": g.PrimaryConsistencyGroup, "site-b": g.SecondaryConsistencyGroup} {
		if _, ok := w.Site(s).Group(cg); ok {
			t.Errorf("consistency group %s is still on %s", cg, s)
		}
		if objs := w.Site(s).Objects(container, groupPrefix(g.ID)); len(objs) != 0 {
			t.Errorf("%s still holds the group's metadata %v", s, objs)
		}
	}
}

// A policy created in the process that created its group reads no
// metadata: the check of a group without members and the policy's answer
// use the version the process wrote.
func TestPolicyAfterItsGroupReadsNoMetadata(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	a, b := arrayEndpoints(w)
	configurePureGroup(t, w)
	w.Site("site-a").Faults().ResetRequests()
	spec := PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, PureGroupName: "pg-prod-web-app", ReplicationInterval: 300, RPOMinutes: 15}
	if _, err := e.CheckPolicy(ctx, spec); err != nil {
		t.Fatal(err)
	}
	p, err := e.CreatePolicy(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if p.MetadataVersion != 2 || p.PureGroupName != "pg-prod-web-app" {
		t.Fatalf("policy %+v, want pg-prod-web-app at version 2", p)
	}
	if n := w.Site("site-a").Faults().Count("GET", versionPrefix(g.ID)); n != 0 {
		t.Errorf("checking and creating the policy read %d metadata versions, want 0", n)
	}
	if n := w.Site("site-a").Faults().Count("GET", syncObject(g.ID)); n != 0 {
		t.Errorf("checking and creating the policy read the sync record %d times, want 0", n)
	}
}

// Prewarm gets every configured site's token and array's session before
// any call needs them, and the calls that follow ask for no other.
func TestPrewarmAuthenticatesAheadOfTheFirstCall(t *testing.T) {
	w, e := testWorld(t, false)
	a, b := arrayEndpoints(w)
	cfg := e.cfg
	cfg.ArrayTokens = map[string]string{a.URL: a.APIToken, b.URL: b.APIToken}
	fresh := New(cfg)
	fresh.Prewarm(context.Background())
	logins := func() (n int) {
		for _, site := range []string{"site-a", "site-b"} {
			n += w.Site(site).Faults().Count("POST", "/auth/tokens")
		}
		for _, array := range []string{"flasharray-a", "flasharray-b"} {
			n += w.Array(array).Faults().Count("GET", "/arrays")
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for logins() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 tokens and 2 array reads made after Prewarm", logins())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := fresh.ValidateSite(context.Background(), "site-a"); err != nil {
		t.Fatal(err)
	}
	if n := w.Site("site-a").Faults().Count("POST", "/auth/tokens"); n != 1 {
		t.Fatalf("site-a issued %d tokens, want the prewarmed one only", n)
	}
}

// memberCosts counts the requests (both sites and both arrays) of adding n
// new VMs (a boot and a data volume each) to a group with a policy, as an
// apply's provider process makes them: each member's plan-time check
// (OpenTofu plans every resource again just before creating it), then
// every add in one batch; and of removing them all in one batch, as a
// destroy does. It returns the counts and the Cinder group updates of each.
func memberCosts(t *testing.T, n int) (add, remove, addUpdates, removeUpdates int) {
	t.Helper()
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	a, b := arrayEndpoints(w)
	if _, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, ReplicationInterval: 300, RPOMinutes: 15}); err != nil {
		t.Fatal(err)
	}
	ids := w.AddServers(n)
	reset := func() {
		for _, s := range []string{"site-a", "site-b"} {
			w.Site(s).Faults().ResetRequests()
		}
		for _, s := range []string{"flasharray-a", "flasharray-b"} {
			w.Array(s).Faults().ResetRequests()
		}
	}
	count := func() (total, updates int) {
		for _, s := range []string{"site-a", "site-b"} {
			total += len(w.Site(s).Faults().Requests())
		}
		for _, s := range []string{"flasharray-a", "flasharray-b"} {
			total += len(w.Array(s).Faults().Requests())
		}
		return total, w.Site("site-a").Faults().Count("PUT", "/groups/"+g.PrimaryConsistencyGroup)
	}

	reset()
	apply := New(e.cfg) // a new provider process: nothing cached
	checkConcurrently(t, apply, g.ID, ids...)
	var wg sync.WaitGroup
	for id, err := range addConcurrently(t, apply, g.ID, ids...) {
		if err != nil {
			t.Fatalf("add %s: %v", id, err)
		}
	}
	add, addUpdates = count()
	got, err := New(e.cfg).GetGroup(ctx, g.ID)
	if err != nil || len(got.Members) != n {
		t.Fatalf("group after the adds: %+v, %v; want %d members", got, err, n)
	}
	// The batch is one version, on both sites.
	for _, site := range []string{"site-a", "site-b"} {
		if v := versionsOn(w, site, g.ID); len(v) != 3 {
			t.Fatalf("%s holds %d versions after adding %d members in one batch, want 3 (group, policy, the batch)", site, len(v), n)
		}
	}

	reset()
	destroy := New(e.cfg)
	unlock := destroy.groupLock(g.ID)
	for _, m := range got.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := destroy.RemoveMember(ctx, g.ID, m.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		destroy.mu.Lock()
		queued := len(destroy.memberQueues[g.ID])
		destroy.mu.Unlock()
		if queued == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d removals queued", queued, n)
		}
	}
	unlock()
	wg.Wait()
	remove, removeUpdates = count()
	return add, remove, addUpdates, removeUpdates
}

// Adding members costs at most half a request each, check included, and
// removing them at most 1: what one more member adds to a batch (the
// difference between batches of 10 and 30), so that the requests each
// batch makes once (token, metadata, the group update and its waits, its
// one metadata version) do not count. The checks that arrive together read
// the project's servers and volumes in one listing each, and a check's
// read serves its add (the devices come from the volumes' attachments);
// the ports come with the batch's, the recovery description with the
// server; the volume type is read once for all the checks. A removal reads
// the group's volumes in one listing.
func TestRequestsPerMember(t *testing.T) {
	const small, large = 10, 30
	add10, rm10, up10, rup10 := memberCosts(t, small)
	add30, rm30, up30, rup30 := memberCosts(t, large)
	perAdd := float64(add30-add10) / (large - small)
	perRemove := float64(rm30-rm10) / (large - small)
	t.Logf("add: %d requests for %d members, %d for %d: %.2f per member added; remove: %d, %d: %.2f per member removed",
		add10, small, add30, large, perAdd, rm10, rm30, perRemove)
	if perAdd > 0.5 {
		t.Errorf("%.2f requests per member added (plan-time check and add), want at most 0.5", perAdd)
	}
	if perRemove > 1 {
		t.Errorf("%.2f requests per member removed, want at most 1", perRemove)
	}
	for _, u := range []struct {
		what string
		n    int
	}{{"adding 10", up10}, {"adding 30", up30}, {"removing 10", rup10}, {"removing 30", rup30}} {
		if u.n != 1 {
			t.Errorf("%d Cinder group updates %s members in one batch, want 1", u.n, u.what)
		}
	}
}

// OpenTofu creates members -parallelism (10) at a time, each planned again
// just before its create: a hundred members then arrive in waves, and each
// wave is one batch, one Cinder group update and one metadata version,
// however its members' checks
// and creates interleave (without waiting for the members just checked,
// the first of a wave made a batch of its own and the rest another).
func TestMembersArrivingInWavesAreBatchedPerWave(t *testing.T) {
	const members, parallelism = 100, 10
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	ids := w.AddServers(members)
	w.SetLatency(2 * time.Millisecond)
	site := w.Site("site-a").Faults()
	site.ResetRequests()
	apply := New(e.cfg)
	slots := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			spec := MemberSpec{GroupID: g.ID, InstanceID: id}
			if _, err := apply.CheckMember(ctx, spec); err != nil {
				t.Error(err)
				return
			}
			if _, _, err := apply.AddMember(ctx, spec); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	updates := site.Count("PUT", "/groups/"+g.PrimaryConsistencyGroup)
	t.Logf("%d members added %d at a time: %d Cinder group updates", members, parallelism, updates)
	if want := members/parallelism + 1; updates > want {
		t.Errorf("%d Cinder group updates for %d members created %d at a time, want at most %d (one per wave)", updates, members, parallelism, want)
	}
	// Each wave is one version too, on both sites.
	for _, s := range []string{"site-a", "site-b"} {
		if v := versionsOn(w, s, g.ID); len(v) != 1+updates {
			t.Errorf("%s holds %d versions after %d batches, want %d (the group, one per batch)", s, len(v), updates, 1+updates)
		}
	}

	// A destroy removes them 10 at a time too, with no check before each:
	// a batch is taken once its queue stops growing.
	got, err := New(e.cfg).GetGroup(ctx, g.ID)
	if err != nil || len(got.Members) != members {
		t.Fatalf("group: %v, %v", got, err)
	}
	site.ResetRequests()
	destroy := New(e.cfg)
	for _, m := range got.Members {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := destroy.RemoveMember(ctx, g.ID, m.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	updates = site.Count("PUT", "/groups/"+g.PrimaryConsistencyGroup)
	t.Logf("%d members removed %d at a time: %d Cinder group updates", members, parallelism, updates)
	if want := members/parallelism + 1; updates > want {
		t.Errorf("%d Cinder group updates for %d members removed %d at a time, want at most %d (one per wave)", updates, members, parallelism, want)
	}
}

// Members planned into a group the same plan creates ask the sites once
// whether it exists yet, not once each.
func TestMembersOfAPlannedGroupReadItOnce(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	registerSites(t, e)
	ids := w.AddServers(10)
	plan := New(e.cfg)
	id, _, err := plan.PlanGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	for _, site := range []string{"site-a", "site-b"} {
		w.Site(site).Faults().ResetRequests()
	}
	var wg sync.WaitGroup
	for _, instance := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := plan.CheckMember(ctx, MemberSpec{GroupID: id, InstanceID: instance}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, site := range []string{"site-a", "site-b"} {
		n := 0
		for _, r := range w.Site(site).Faults().Requests() {
			if r.Method == "GET" && strings.Contains(r.Query, url.QueryEscape(versionPrefix(id))) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s was asked %d times for the versions of a planned group checked by %d members, want once", site, n, len(ids))
		}
	}
}

// checkConcurrently makes the plan-time checks of members all at once, as
// OpenTofu plans them.
func checkConcurrently(t *testing.T, e *Engine, groupID string, instances ...string) {
	t.Helper()
	var wg sync.WaitGroup
	for _, id := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.CheckMember(context.Background(), MemberSpec{GroupID: groupID, InstanceID: id}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// Member checks that arrive together (a plan's, -parallelism at a time)
// read the project's servers and volumes in one listing each, the admin's
// narrowed to the members' project, instead of each server and volume. A
// listing answers only the reads that arrived before it was sent: a
// volume attached after it is seen by the next checks, and a check alone
// reads its own server and volumes.
func TestMemberChecksArrivingTogetherShareOneListing(t *testing.T) {
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	ids := w.AddServers(6)
	site := w.Site("site-a").Faults()
	plan := New(e.cfg) // a new provider process: nothing cached
	listings := func() (servers, volumes int) {
		for _, r := range site.Requests() {
			if r.Method != "GET" || !strings.Contains(r.Query, "project_id=") || !strings.Contains(r.Query, "all_tenants=true") {
				continue
			}
			switch {
			case strings.HasSuffix(r.Path, "/servers/detail"):
				servers++
			case strings.HasSuffix(r.Path, "/volumes/detail"):
				volumes++
			}
		}
		return servers, volumes
	}
	one := regexp.MustCompile(`/(servers|volumes)/[0-9a-f-]{36}$`)
	reads := func() (n int) {
		for _, r := range site.Requests() {
			if r.Method == "GET" && one.MatchString(r.Path) {
				n++
			}
		}
		return n
	}

	site.ResetRequests()
	checkConcurrently(t, plan, g.ID, ids[:5]...)
	if s, v := listings(); s != 1 || v != 1 {
		t.Fatalf("5 checks at once: %d server and %d volume listings of the project, want 1 each", s, v)
	}
	if n := reads(); n != 0 {
		t.Fatalf("5 checks at once read %d servers or volumes one by one, want none (the listings answer them)", n)
	}

	added := w.AttachNewVolume(ids[0], simulator.TypeReplicatedSSD, 10)
	checkConcurrently(t, plan, g.ID, ids[:5]...)
	if s, v := listings(); s != 2 || v != 2 {
		t.Fatalf("5 more checks: %d server and %d volume listings in all, want 2 each (a listing serves only the reads that arrived before it)", s, v)
	}
	r := plan.takeInstance("site-a", ids[0])
	if r == nil || !slices.ContainsFunc(r.volumes, func(v *openstack.Volume) bool { return v.ID == added }) {
		t.Fatalf("the check after volume %s was attached read %+v, want the volume in it", added, r)
	}

	site.ResetRequests()
	checkConcurrently(t, plan, g.ID, ids[5:]...)
	if s, v := listings(); s != 0 || v != 0 {
		t.Fatalf("one check alone listed the project (%d server, %d volume listings), want its own reads", s, v)
	}
	if n := site.Count("GET", "/servers/"+ids[5]); n != 1 {
		t.Fatalf("one check alone read its server %d times, want 1", n)
	}
}
