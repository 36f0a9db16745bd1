package engine

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// testWorld starts the two-site world and an engine that reaches it through
// clouds.yaml, as a user following the guide's Step 4 would.
func testWorld(t *testing.T, admin bool) (*simulator.World, *Engine) {
	t.Helper()
	w, err := simulator.Start(simulator.Options{AsyncDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	t.Cleanup(func() {
		if err := w.SpecError(); err != nil {
			t.Error(err)
		}
	})
	dir := t.TempDir()
	clouds := filepath.Join(dir, "clouds.yaml")
	if err := w.WriteCloudsYAML(clouds); err != nil {
		t.Fatal(err)
	}
	caPath := filepath.Join(dir, "ca.pem")
	if err := w.WriteCACert(caPath); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	sites := map[string]SiteConnection{"site-a": {}, "site-b": {}}
	if admin {
		sites = map[string]SiteConnection{
			"site-a": {Admin: &Credentials{Cloud: "site-a-admin"}},
			"site-b": {Admin: &Credentials{Cloud: "site-b-admin"}},
		}
	}
	e := New(Config{
		Sites:          sites,
		CloudsYAMLPath: clouds,
		ArrayCACertPEM: ca,
		MaxRetries:     2,
		RetryWaitMin:   time.Millisecond,
		RetryWaitMax:   5 * time.Millisecond,
		RequestTimeout: 10 * time.Second,
	})
	return w, e
}

func registerSites(t *testing.T, e *Engine) {
	t.Helper()
	for _, name := range []string{"site-a", "site-b"} {
		if _, err := e.RegisterSite(context.Background(), SiteSpec{Name: name}); err != nil {
			t.Fatalf("register %s: %v", name, err)
		}
	}
}

func guideGroup() GroupSpec {
	return GroupSpec{Name: "prod-web-app", Description: "Production web application tier", PrimarySite: "site-a",
		SecondarySite: "site-b", ReplicationType: ReplicationAsync, VolumeType: "replicated-ssd"}
}

// configurePureGroup makes, as an array administrator would, an empty
// protection group on flasharray-a for a policy's pure_pg_name.
func configurePureGroup(t *testing.T, w *simulator.World) {
	t.Helper()
	if err := w.Array("flasharray-a").CreateProtectionGroup("pg-prod-web-app"); err != nil {
		t.Fatal(err)
	}
}

func arrayEndpoints(w *simulator.World) (ArrayEndpoint, ArrayEndpoint) {
	return ArrayEndpoint{URL: w.Array("flasharray-a").URL(), APIToken: simulator.ArrayAToken},
		ArrayEndpoint{URL: w.Array("flasharray-b").URL(), APIToken: simulator.ArrayBToken}
}

// versionsOn lists the metadata versions a site holds for a group.
func versionsOn(w *simulator.World, site, id string) []string {
	names := w.Site(site).Objects(container, versionPrefix(id))
	sort.Strings(names)
	return names
}

func TestGuideWorkflow(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	registerSites(t, e)

	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatalf("create group: %v", err)
	}
	if g.Status != StatusActive || g.MetadataVersion != 1 || g.FailoverCount != 0 || !strings.HasPrefix(g.ID, "pg-") {
		t.Fatalf("new group = %+v, want active, version 1, failover count 0, id pg-...", g)
	}
	for site, cg := range map[string]string{"site-a": g.PrimaryConsistencyGroup, "site-b": g.SecondaryConsistencyGroup} {
		got, ok := w.Site(site).Group(cg)
		if !ok || got.Status != "available" {
			t.Fatalf("consistency group %s on %s: %+v, %v; want available", cg, site, got, ok)
		}
		if v := versionsOn(w, site, g.ID); len(v) != 1 {
			t.Fatalf("%s holds versions %v, want exactly version 1", site, v)
		}
	}
	if g.Sync.Status != SyncSynced || g.Sync.RemoteVersion != 1 {
		t.Fatalf("sync after create = %+v, want SYNCED at version 1", g.Sync)
	}

	a, b := arrayEndpoints(w)
	// The guide's name exists on no array: refused before any change.
	_, err = e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, PureGroupName: "pg-prod-web-app", ReplicationInterval: 300, RPOMinutes: 15})
	driver := simulator.ConsistencyGroupPGName(g.PrimaryConsistencyGroup)
	if err == nil || !strings.Contains(err.Error(), `pure_pg_name "pg-prod-web-app" names no protection group on flasharray-a`) || !strings.Contains(err.Error(), "binds "+driver) {
		t.Fatalf("policy on a Pure group that does not exist: %v; want refused, naming %s", err, driver)
	}
	if _, ok := w.Array("flasharray-a").ProtectionGroup("pg-prod-web-app"); ok {
		t.Fatal("the refused policy created pg-prod-web-app")
	}
	if pg, _ := w.Array("flasharray-a").ProtectionGroup(driver); len(pg.Targets) != 0 || pg.ReplicationEnabled {
		t.Fatalf("the refused policy changed %s: %+v", driver, pg)
	}
	p, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, ReplicationInterval: 300, RPOMinutes: 15})
	if err != nil {
		t.Fatalf("create policy: %v", err)
	}
	if !p.ReplicationEnabled || p.ActualInterval != 300 || !p.TargetAllowed || p.MetadataVersion != 2 || p.PureGroupName != driver {
		t.Fatalf("policy = %+v, want %s replicating every 300 s, target allowed, version 2", p, driver)
	}

	want := map[string]int{simulator.WebServer1ID: 2, simulator.WebServer2ID: 2, simulator.DBServer1ID: 3}
	names := map[string]string{simulator.WebServer1ID: "web-server-1", simulator.WebServer2ID: "web-server-2", simulator.DBServer1ID: "db-server-1"}
	var members []*Member
	for _, id := range []string{simulator.WebServer1ID, simulator.WebServer2ID, simulator.DBServer1ID} {
		m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: id})
		if err != nil {
			t.Fatalf("add member %s: %v", id, err)
		}
		if m.Status != MemberProtected || len(m.VolumeIDs) != want[id] || m.InstanceName != names[id] {
			t.Fatalf("member %s = %+v, want protected %s with %d volumes", id, m, names[id], want[id])
		}
		members = append(members, m)
	}
	cg, _ := w.Site("site-a").Group(g.PrimaryConsistencyGroup)
	if len(cg.VolumeIDs) != 7 {
		t.Fatalf("consistency group holds %d volumes, want 7", len(cg.VolumeIDs))
	}
	pg, _ := w.Array("flasharray-a").ProtectionGroup(driver)
	if len(pg.Volumes) != 7 {
		t.Fatalf("Pure protection group holds %v, want 7 volumes", pg.Volumes)
	}
	g, err = e.GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.MetadataVersion != 5 || len(versionsOn(w, "site-b", g.ID)) != 5 || g.Sync.Status != SyncSynced {
		t.Fatalf("after three members: version %d, site-b versions %v, sync %+v; want 5, 5, SYNCED", g.MetadataVersion, versionsOn(w, "site-b", g.ID), g.Sync)
	}

	// Adding the same instance again changes nothing.
	if m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID}); err != nil || m.ID != members[0].ID {
		t.Fatalf("re-adding a member: %v, %+v", err, m)
	}

	if err := e.RemoveMember(ctx, g.ID, members[0].ID); err != nil {
		t.Fatalf("remove member: %v", err)
	}
	cg, _ = w.Site("site-a").Group(g.PrimaryConsistencyGroup)
	pg, _ = w.Array("flasharray-a").ProtectionGroup(driver)
	if len(cg.VolumeIDs) != 5 || len(pg.Volumes) != 5 {
		t.Fatalf("after removal the CG holds %d and the Pure group %d volumes, want 5 and 5", len(cg.VolumeIDs), len(pg.Volumes))
	}

	if _, err := e.UpdateGroupDescription(ctx, g.ID, "changed"); err != nil {
		t.Fatal(err)
	}
	if v := versionsOn(w, "site-b", g.ID); len(v) != 7 {
		t.Fatalf("site-b holds %d versions after the description change, want 7", len(v))
	}

	if err := e.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatalf("delete group: %v", err)
	}
	for site, id := range map[string]string{"site-a": g.PrimaryConsistencyGroup, "site-b": g.SecondaryConsistencyGroup} {
		if _, ok := w.Site(site).Group(id); ok {
			t.Fatalf("consistency group %s survived on %s", id, site)
		}
		if objs := w.Site(site).Objects(container, groupPrefix(g.ID)); len(objs) != 0 {
			t.Fatalf("metadata survived on %s: %v", site, objs)
		}
	}
	// The driver destroyed its group with the consistency group.
	if pg, ok := w.Array("flasharray-a").ProtectionGroup(driver); !ok || !pg.Destroyed {
		t.Fatalf("%s after the group's delete: %+v, %v; want destroyed by the driver", driver, pg, ok)
	}
	if _, err := e.GetGroup(ctx, g.ID); err != ErrNotFound {
		t.Fatalf("GetGroup after delete: %v, want ErrNotFound", err)
	}
}

func TestEligibility(t *testing.T) {
	ctx := context.Background()
	_, e := testWorld(t, true)
	for _, tc := range []struct {
		name, volumeType, replication string
		wantSite                      string
	}{
		{"eligible on site-a only", "replicated-a-only", ReplicationAsync, "site-b"},
		{"not replicated", "standard", ReplicationAsync, "site-a"},
		{"replication type differs", "replicated-ssd", ReplicationSync, "site-a"},
		{"missing type", "no-such-type", ReplicationAsync, "site-a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := guideGroup()
			spec.VolumeType, spec.ReplicationType = tc.volumeType, tc.replication
			_, err := e.CheckGroup(ctx, spec)
			if !IsKind(err, KindNotEligible) {
				t.Fatalf("CheckGroup: %v, want %q", err, KindNotEligible)
			}
			if ee := err.(*Error); ee.Site != tc.wantSite || !strings.Contains(err.Error(), "volume type not eligible for replication") {
				t.Fatalf("error names site %q: %v; want site %s", ee.Site, err, tc.wantSite)
			}
		})
	}
	if w, err := e.CheckGroup(ctx, guideGroup()); err != nil || len(w) != 0 {
		t.Fatalf("eligible type with admin credentials: warnings %v, error %v", w, err)
	}
}

func TestEligibilityWithoutAdminWarns(t *testing.T) {
	_, e := testWorld(t, false)
	warnings, err := e.CheckGroup(context.Background(), guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "could not be checked") {
		t.Fatalf("warnings = %q, want one per site saying replication_type could not be checked", warnings)
	}
}

func TestMemberChecks(t *testing.T) {
	ctx := context.Background()
	for _, admin := range []bool{true, false} {
		w, e := testWorld(t, admin)
		registerSites(t, e)
		g, err := e.CreateGroup(ctx, guideGroup())
		if err != nil {
			t.Fatal(err)
		}
		// The first member puts the group on backend pure@backend-a.
		if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID}); err != nil {
			t.Fatal(err)
		}
		_, err = e.CheckMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.MixedServerID})
		if !IsKind(err, KindMismatch) || !strings.Contains(err.Error(), simulator.MixedDataVolumeID) {
			t.Fatalf("admin=%v mixed server: %v, want volume type mismatch naming the standard volume", admin, err)
		}
		warnings, err := e.CheckMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.OtherBackendServerID})
		if admin {
			if !IsKind(err, KindBackend) || !strings.Contains(err.Error(), "pure@backend-c") {
				t.Fatalf("other backend with admin: %v, want %q naming pure@backend-c at plan", err, KindBackend)
			}
		} else {
			if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "could not be checked") {
				t.Fatalf("other backend without admin: %v %q, want one warning that the backend could not be checked", err, warnings)
			}
			_, _, err = e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.OtherBackendServerID})
			if !IsKind(err, KindBackend) || !strings.Contains(err.Error(), "not local to this node") {
				t.Fatalf("other backend without admin at apply: %v, want %q with Cinder's words", err, KindBackend)
			}
		}
		cg, _ := w.Site("site-a").Group(g.PrimaryConsistencyGroup)
		if len(cg.VolumeIDs) != 2 {
			t.Fatalf("admin=%v: refused members changed the consistency group: %v", admin, cg.VolumeIDs)
		}
		if got, _ := e.GetGroup(ctx, g.ID); got.MetadataVersion != 2 {
			t.Fatalf("admin=%v: refused members moved the metadata to version %d", admin, got.MetadataVersion)
		}
	}
}

func TestPeerUnreachableBlocksChangesAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	registerSites(t, e)
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	w.Site("site-b").Faults().SetDown(true)
	for name, call := range map[string]func() error{
		"check": func() error {
			_, err := e.CheckMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID})
			return err
		},
		"add": func() error {
			_, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID})
			return err
		},
		"description": func() error { _, err := e.UpdateGroupDescription(ctx, g.ID, "x"); return err },
	} {
		err := call()
		if !IsKind(err, KindUnreachable) || !strings.Contains(err.Error(), "site-b") {
			t.Fatalf("%s with site-b down: %v, want remote site unreachable naming site-b", name, err)
		}
	}
	cg, _ := w.Site("site-a").Group(g.PrimaryConsistencyGroup)
	if len(cg.VolumeIDs) != 0 || len(versionsOn(w, "site-a", g.ID)) != 1 {
		t.Fatalf("a blocked change changed site-a: volumes %v, versions %v", cg.VolumeIDs, versionsOn(w, "site-a", g.ID))
	}
	w.Site("site-b").Faults().SetDown(false)
	if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID}); err != nil {
		t.Fatalf("after site-b recovered: %v", err)
	}
}

func TestDeleteBlockedDuringDROperation(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	registerSites(t, e)
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.site("site-a")
	d, err := readDocument(ctx, s, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	d.Version++
	d.Group.Status = StatusFailingOver
	if err := writeDocument(ctx, s, d); err != nil {
		t.Fatal(err)
	}
	err = e.DeleteGroup(ctx, g.ID)
	if !IsKind(err, KindBlocked) || !strings.Contains(err.Error(), "failing_over") {
		t.Fatalf("delete during failover: %v, want a block naming failing_over", err)
	}
	if _, ok := w.Site("site-a").Group(g.PrimaryConsistencyGroup); !ok {
		t.Fatal("a blocked delete removed the consistency group")
	}
}

func TestConcurrentWriterLosesWithConflict(t *testing.T) {
	ctx := context.Background()
	_, e := testWorld(t, true)
	registerSites(t, e)
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.site("site-a")
	d, _ := readDocument(ctx, s, g.ID)
	first, second := d.clone(), d.clone()
	first.Version, second.Version = 2, 2
	first.Group.Description, second.Group.Description = "one", "two"
	if err := writeDocument(ctx, s, first); err != nil {
		t.Fatal(err)
	}
	if err := writeDocument(ctx, s, second); !IsKind(err, KindConflict) {
		t.Fatalf("second writer of version 2: %v, want %q", err, KindConflict)
	}
	got, _ := readDocument(ctx, s, g.ID)
	if got.Group.Description != "one" {
		t.Fatalf("the losing write replaced the winner: %q", got.Group.Description)
	}
}

func TestCreateResumesAfterSecondarySiteFailed(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	registerSites(t, e)
	// The secondary site refuses the consistency group once; the primary
	// one is already made.
	w.Site("site-b").Faults().Add(faultRule("POST", "/groups", 1))
	if _, err := e.CreateGroup(ctx, guideGroup()); err == nil {
		t.Fatal("create succeeded although site-b refused the consistency group")
	}
	if n := len(w.Site("site-a").Groups()); n != 1 {
		t.Fatalf("site-a has %d groups after the failed create, want 1", n)
	}
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if n := len(w.Site("site-a").Groups()); n != 1 {
		t.Fatalf("site-a has %d groups after the re-run, want 1 (no orphan, no duplicate)", n)
	}
	if n := len(w.Site("site-b").Groups()); n != 1 {
		t.Fatalf("site-b has %d groups, want 1", n)
	}
	if g.MetadataVersion != 1 {
		t.Fatalf("version %d, want 1", g.MetadataVersion)
	}
}

// faultRule refuses the next n matching requests the way Cinder refuses a
// request it cannot serve.
func faultRule(method, path string, n int) fault.Rule {
	return fault.Rule{Method: method, PathContains: path, Times: n, Status: 400,
		Body: `{"badRequest": {"code": 400, "message": "Injected failure."}}`}
}

// createSyncGroup registers both sites and creates prod-db, a sync group
// of replicated-sync.
func createSyncGroup(t *testing.T, e *Engine) *Group {
	t.Helper()
	registerSites(t, e)
	spec := guideGroup()
	spec.Name, spec.ReplicationType, spec.VolumeType = "prod-db", ReplicationSync, "replicated-sync"
	g, err := e.CreateGroup(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSyncGroupBindsThePod(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createSyncGroup(t, e)
	a, b := arrayEndpoints(w)
	if _, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, ReplicationInterval: 300}); !IsKind(err, KindInvalid) {
		t.Fatalf("interval on a sync policy: %v, want %q", err, KindInvalid)
	}
	p, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b})
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != "pod" || p.PureGroupName != simulator.CinderPod || !p.PodStretched || p.CreatedPureGroup {
		t.Fatalf("sync policy = %+v, want the driver's stretched pod, adopted", p)
	}
	if !p.ReplicationEnabled || !p.TargetAllowed {
		t.Errorf("the stretched pod's replication enabled %v, target allowed %v; want both", p.ReplicationEnabled, p.TargetAllowed)
	}
	m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.SyncServerID})
	if err != nil || len(m.VolumeIDs) != 2 {
		t.Fatalf("sync member: %+v %v", m, err)
	}
	if p, err = e.GetPolicy(ctx, g.ID, a, b); err != nil || len(p.MissingVolumes) != 0 {
		t.Fatalf("policy after the member: %+v %v, want every volume in the pod", p, err)
	}
	if err := e.DeletePolicy(ctx, g.ID, a, b); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.Array("flasharray-a").Pod(simulator.CinderPod); !ok {
		t.Fatal("deleting the policy destroyed the driver's pod")
	}
}

// With the driver's own Pure group, member changes reach the array through
// Cinder, so they need no array token.
func TestDriverManagedPolicyNeedsNoTokenForMembers(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	registerSites(t, e)
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	a, b := arrayEndpoints(w)
	p, err := e.CreatePolicy(ctx, PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, ReplicationInterval: 300})
	if err != nil {
		t.Fatal(err)
	}
	if want := "consisgroup-" + g.PrimaryConsistencyGroup + "-cinder"; p.PureGroupName != want || p.CreatedPureGroup {
		t.Fatalf("default Pure group = %q (created %v), want the driver's %q, adopted", p.PureGroupName, p.CreatedPureGroup, want)
	}
	// A later run knows no token at all.
	fresh := New(e.cfg)
	fresh.cfg.ArrayTokens = nil
	if _, _, err := fresh.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID}); err != nil {
		t.Fatalf("add member without tokens: %v", err)
	}
	pg, _ := w.Array("flasharray-a").ProtectionGroup(p.PureGroupName)
	if len(pg.Volumes) != 2 {
		t.Fatalf("the driver's group holds %v, want the member's 2 volumes", pg.Volumes)
	}
}

// A primary consistency group deleted out of band is recreated with the
// members' volumes; the secondary alone is recreated empty.
func TestRepairGroupRecreatesConsistencyGroups(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	registerSites(t, e)
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID}); err != nil {
		t.Fatal(err)
	}
	for _, site := range []string{"site-a", "site-b"} {
		cg := g.PrimaryConsistencyGroup
		if site == "site-b" {
			cg = g.SecondaryConsistencyGroup
		}
		w.Site(site).Update(func(st *openstacksim.State) {
			delete(st.Groups, cg)
			for _, v := range st.Volumes {
				if v.GroupID == cg {
					v.GroupID = ""
				}
			}
		})
		fresh := New(e.cfg)
		got, err := fresh.GetGroup(ctx, g.ID)
		if err != nil || len(got.Drift) != 1 || !strings.Contains(got.Drift[0], site) {
			t.Fatalf("%s: drift %q, %v; want one line naming %s", site, got.Drift, err, site)
		}
		repaired, err := fresh.RepairGroup(ctx, g.ID)
		if err != nil {
			t.Fatalf("repair after deleting the group on %s: %v", site, err)
		}
		if len(repaired.Drift) != 0 {
			t.Fatalf("%s: drift after repair: %q", site, repaired.Drift)
		}
		pcg, _ := w.Site("site-a").Group(repaired.PrimaryConsistencyGroup)
		if len(pcg.VolumeIDs) != 2 {
			t.Fatalf("%s: the primary consistency group holds %v after the repair, want web-server-1's 2 volumes", site, pcg.VolumeIDs)
		}
		g = repaired
	}
}

// Policy drift on the arrays shows on a read and an update binds again; the
// RPO readiness measures the newest snapshot on the secondary array.
func TestPolicyDriftAndReadiness(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	registerSites(t, e)
	g, err := e.CreateGroup(ctx, guideGroup())
	if err != nil {
		t.Fatal(err)
	}
	a, b := arrayEndpoints(w)
	configurePureGroup(t, w)
	spec := PolicySpec{GroupID: g.ID, Primary: a, Secondary: b, PureGroupName: "pg-prod-web-app", ReplicationInterval: 300, RPOMinutes: 15}
	if _, err := e.CreatePolicy(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID}); err != nil {
		t.Fatal(err)
	}
	p, err := e.GetPolicy(ctx, g.ID, a, b)
	if err != nil || len(p.Drift) != 0 || p.Readiness == nil || !p.Readiness.Compliant || !p.Readiness.LastReplicated.IsZero() {
		t.Fatalf("fresh policy: %+v %+v %v; want no drift, pending (compliant, nothing replicated yet)", p, p.Readiness, err)
	}

	// Twenty minutes later with nothing replicated, the RPO of 15 is breached.
	later := time.Now().UTC().Add(20 * time.Minute)
	e.now = func() time.Time { return later }
	e.forget(g.ID)
	if p, _ = e.GetPolicy(ctx, g.ID, a, b); p.Readiness.Compliant || p.Readiness.Lag < 19*time.Minute {
		t.Fatalf("readiness 20 minutes on: %+v, want a breach", p.Readiness)
	}
	e.now = func() time.Time { return time.Now().UTC() }

	// Out of band: a member volume leaves the Pure group, the target is
	// disallowed on the secondary array.
	arrayA := w.Array("flasharray-a")
	volume := simulator.ArrayVolumeName(simulator.WebServer1BootVolumeID, false)
	if err := arrayA.RemoveProtectionGroupVolumes("pg-prod-web-app", volume); err != nil {
		t.Fatal(err)
	}
	client, _ := e.array(b)
	if err := client.AllowProtectionGroupTarget(ctx, "flasharray-a:pg-prod-web-app", "flasharray-b", false); err != nil {
		t.Fatal(err)
	}
	e.forget(g.ID)
	p, err = e.GetPolicy(ctx, g.ID, a, b)
	if err != nil || len(p.Drift) != 2 {
		t.Fatalf("drift after out-of-band changes: %q %v; want the missing volume and the disallowed target", p.Drift, err)
	}
	if _, err := e.UpdatePolicy(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if p, _ = e.GetPolicy(ctx, g.ID, a, b); len(p.Drift) != 0 || !p.TargetAllowed {
		t.Fatalf("after the repair: drift %q, target allowed %v", p.Drift, p.TargetAllowed)
	}

	// Unbinding leaves the configured group as it was before the policy:
	// there, empty, without target, not replicating, hourly.
	if err := e.DeletePolicy(ctx, g.ID, a, b); err != nil {
		t.Fatal(err)
	}
	pg, ok := arrayA.ProtectionGroup("pg-prod-web-app")
	if !ok || pg.Destroyed || len(pg.Targets) != 0 || pg.ReplicationEnabled || pg.ReplicationFrequency != time.Hour || len(pg.Volumes) != 0 {
		t.Fatalf("pg-prod-web-app after the policy's delete: %+v, %v; want it as configured (empty, no target, disabled, hourly)", pg, ok)
	}
}
