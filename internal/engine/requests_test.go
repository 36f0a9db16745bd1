package engine

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
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
