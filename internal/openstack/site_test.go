package openstack

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// Fixture names of the simulated site (the same as the two-site world's).
const (
	backendA = "pure@backend-a#pool-a"
	backendC = "pure@backend-c#pool-c"

	demoPassword  = "demo-password-Zq81"
	adminPassword = "admin-password-Xk42"
	appCredID     = "app-cred-site-a"
	appSecret     = "app-secret-site-a-Wm77"

	serverID = "a1b2c3d4-1111-2222-3333-aabbccddeeff"
)

// simSite is one simulated site with the fixtures the tests use.
type simSite struct {
	*openstacksim.Site
	replicatedType, standardType, groupType                  string
	bootVol, dataVol, otherBackendVol, standardVol, spareVol string
}

func startSim(t *testing.T) *simSite {
	t.Helper()
	return startSimWith(t, openstacksim.Options{})
}

// startSimWith is startSim with the transitions of opts.
func startSimWith(t *testing.T, opts openstacksim.Options) *simSite {
	t.Helper()
	opts.Name, opts.Region, opts.AsyncDelay = "site-a", "RegionOne", 10*time.Millisecond
	sim := openstacksim.New(opts)
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	sim.SetBackend(openstacksim.Backend{Host: backendA})
	sim.AddProject("demo")
	sim.AddUser("demo", demoPassword, "demo", "member")
	sim.AddUser("admin", adminPassword, "demo", "admin")
	sim.AddApplicationCredential(appCredID, appSecret, "demo")
	s := &simSite{Site: sim}
	s.replicatedType = sim.AddVolumeType("replicated-ssd", map[string]string{
		"replication_enabled": "<is> True", "replication_type": "<in> async", "volume_backend_name": "pure",
	})
	s.standardType = sim.AddVolumeType("standard", nil)
	s.groupType = sim.AddGroupType("consistency-group", map[string]string{"consistent_group_snapshot_enabled": "<is> True"})
	s.bootVol = sim.AddVolume(openstacksim.Volume{Name: "web-1-boot", Project: "demo", Type: "replicated-ssd", Host: backendA, Bootable: true,
		Metadata: map[string]string{"array_name": "flasharray-a"}})
	s.dataVol = sim.AddVolume(openstacksim.Volume{Name: "web-1-data", Project: "demo", Type: "replicated-ssd", Host: backendA})
	s.spareVol = sim.AddVolume(openstacksim.Volume{Name: "spare", Project: "demo", Type: "replicated-ssd", Host: backendA})
	s.otherBackendVol = sim.AddVolume(openstacksim.Volume{Name: "elsewhere", Project: "demo", Type: "replicated-ssd", Host: backendC})
	s.standardVol = sim.AddVolume(openstacksim.Volume{Name: "plain", Project: "demo", Type: "standard", Host: backendA})
	sim.AddServer(openstacksim.Server{ID: serverID, Name: "web-server-1", Project: "demo", Volumes: []openstacksim.Attachment{
		{VolumeID: s.bootVol, Device: "/dev/vda"}, {VolumeID: s.dataVol, Device: "/dev/vdb"},
	}})
	return s
}

func (s *simSite) memberCreds() Credentials {
	return Credentials{AuthURL: s.AuthURL(), Region: "RegionOne", Username: "demo", Password: demoPassword,
		ProjectName: "demo", UserDomainName: "Default", ProjectDomainName: "Default"}
}

func (s *simSite) adminCreds() *Credentials {
	return &Credentials{AuthURL: s.AuthURL(), Region: "RegionOne", Username: "admin", Password: adminPassword,
		ProjectName: "demo", UserDomainID: "default", ProjectDomainID: "default"}
}

// testConfig is a member login with retries fast enough for tests.
func (s *simSite) testConfig() Config {
	return Config{
		Name: "site-a", Credentials: s.memberCreds(),
		MaxRetries: 3, RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 40 * time.Millisecond,
		RequestTimeout: 5 * time.Second, getenv: envOf(nil),
	}
}

func newSite(t *testing.T, cfg Config) *Site {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAuthenticationMethods(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	dir := t.TempDir()
	clouds := writeFile(t, filepath.Join(dir, "clouds.yaml"), fmt.Sprintf(`
clouds:
  site-a:
    auth:
      auth_url: %s
      username: demo
      password: %s
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
  site-a-app:
    auth_type: v3applicationcredential
    auth:
      auth_url: %s
      application_credential_id: %s
      application_credential_secret: %s
    region_name: RegionOne
`, sim.AuthURL(), demoPassword, sim.AuthURL(), appCredID, appSecret))

	tests := []struct {
		name  string
		creds Credentials
	}{
		{"inline password", sim.memberCreds()},
		{"clouds.yaml password", Credentials{Cloud: "site-a", CloudsYAMLPath: clouds}},
		{"clouds.yaml application credential", Credentials{Cloud: "site-a-app", CloudsYAMLPath: clouds}},
		{"inline application credential", Credentials{AuthURL: sim.AuthURL(), ApplicationCredentialID: appCredID, ApplicationCredentialSecret: appSecret}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sim.testConfig()
			cfg.Credentials = tc.creds
			s := newSite(t, cfg)
			ctx := testCtx(t)
			if err := s.Authenticate(ctx); err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			services, err := s.Services(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"compute", "object-store", "identity"} {
				if !slices.Contains(services, want) {
					t.Errorf("services %v lack %q", services, want)
				}
			}
			v, err := s.Volume(ctx, sim.bootVol)
			if err != nil {
				t.Fatalf("Volume: %v", err)
			}
			if v.Name != "web-1-boot" || v.VolumeType != "replicated-ssd" || !v.Bootable || v.Metadata["array_name"] != "flasharray-a" {
				t.Errorf("volume = %+v", v)
			}
		})
	}
}

func TestAuthenticationOnceForConcurrentCalls(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Volume(ctx, sim.dataVol)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.Faults().Count(http.MethodPost, "/auth/tokens"); n != 1 {
		t.Errorf("%d token requests, want 1 shared login", n)
	}
}

func TestBadPasswordSaysWhatToCheck(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	cfg := sim.testConfig()
	cfg.Credentials.Password = "wrong-password-Qv19"
	s := newSite(t, cfg)
	err := s.Authenticate(testCtx(t))
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v, want an APIError 401", err)
	}
	for _, want := range []string{`site "site-a"`, "password", "authenticate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "wrong-password-Qv19") {
		t.Errorf("error shows the password: %q", err)
	}
	if IsUnreachable(err) {
		t.Error("a refused login is not an unreachable site")
	}
}

func TestAdminOnlyDataIsReportedAsSeenOrNot(t *testing.T) {
	t.Parallel()
	sim := startSim(t)

	t.Run("member only", func(t *testing.T) {
		s := newSite(t, sim.testConfig())
		ctx := testCtx(t)
		v, err := s.Volume(ctx, sim.bootVol)
		if err != nil {
			t.Fatal(err)
		}
		if v.HostVisible || v.Host != "" {
			t.Errorf("member sees host %q (visible %v)", v.Host, v.HostVisible)
		}
		vt, err := s.VolumeType(ctx, "replicated-ssd")
		if err != nil {
			t.Fatal(err)
		}
		if vt.SpecsComplete || vt.ExtraSpecs["replication_type"] != "" || vt.ExtraSpecs["replication_enabled"] != "<is> True" {
			t.Errorf("member view of type: %+v", vt)
		}
		gt, err := s.GroupType(ctx, "consistency-group")
		if err != nil {
			t.Fatal(err)
		}
		if gt.SpecsComplete || len(gt.GroupSpecs) != 0 || gt.ID != sim.groupType {
			t.Errorf("member view of group type: %+v", gt)
		}
		srv, err := s.Server(ctx, serverID)
		if err != nil {
			t.Fatal(err)
		}
		if srv.RootDeviceVisible || srv.RootDeviceName != "" {
			t.Errorf("member sees root device %q", srv.RootDeviceName)
		}
		if s.HasAdmin() {
			t.Error("HasAdmin with a member credential only")
		}
	})

	t.Run("admin configured", func(t *testing.T) {
		cfg := sim.testConfig()
		cfg.Admin = sim.adminCreds()
		s := newSite(t, cfg)
		ctx := testCtx(t)
		if !s.HasAdmin() {
			t.Error("HasAdmin false with admin credentials configured")
		}
		v, err := s.Volume(ctx, sim.bootVol)
		if err != nil {
			t.Fatal(err)
		}
		if !v.HostVisible || v.Host != backendA {
			t.Errorf("admin read: host %q visible %v", v.Host, v.HostVisible)
		}
		vt, err := s.VolumeType(ctx, sim.replicatedType)
		if err != nil {
			t.Fatal(err)
		}
		if !vt.SpecsComplete || vt.ExtraSpecs["replication_type"] != "<in> async" || vt.Name != "replicated-ssd" {
			t.Errorf("admin view of type: %+v", vt)
		}
		gt, err := s.GroupType(ctx, sim.groupType)
		if err != nil {
			t.Fatal(err)
		}
		if !gt.SpecsComplete || gt.GroupSpecs["consistent_group_snapshot_enabled"] != "<is> True" {
			t.Errorf("admin view of group type: %+v", gt)
		}
		srv, err := s.Server(ctx, serverID)
		if err != nil {
			t.Fatal(err)
		}
		if !srv.RootDeviceVisible || srv.RootDeviceName != "/dev/vda" {
			t.Errorf("admin read of server: %+v", srv)
		}
		// Group members are read the same way.
		const gid = "5c1a1b2e-0000-4000-8000-000000000001"
		sim.Update(func(st *openstacksim.State) { st.Volumes[sim.spareVol].GroupID = gid })
		members, err := s.VolumesInGroup(ctx, gid)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) != 1 || members[0].ID != sim.spareVol || !members[0].HostVisible || members[0].Host != backendA {
			t.Errorf("admin VolumesInGroup = %+v", members)
		}
	})

	t.Run("main credential with the admin role", func(t *testing.T) {
		cfg := sim.testConfig()
		cfg.Credentials = *sim.adminCreds()
		s := newSite(t, cfg)
		if err := s.Authenticate(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		if !s.HasAdmin() {
			t.Error("HasAdmin false although the token has the admin role")
		}
	})
}

func TestNovaReads(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)

	srv, err := s.Server(ctx, serverID)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Name != "web-server-1" || srv.Status != "ACTIVE" || !slices.Equal(srv.VolumeIDs, []string{sim.bootVol, sim.dataVol}) {
		t.Errorf("server = %+v", srv)
	}
	atts, err := s.ServerVolumeAttachments(ctx, serverID)
	if err != nil {
		t.Fatal(err)
	}
	devices := map[string]string{}
	for _, a := range atts {
		devices[a.VolumeID] = a.Device
	}
	if devices[sim.bootVol] != "/dev/vda" || devices[sim.dataVol] != "/dev/vdb" || len(devices) != 2 {
		t.Errorf("attachments = %+v", atts)
	}
	if _, err := s.Server(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing server: err = %v, want ErrNotFound", err)
	}
}

func TestVolumeTypeLookup(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	for _, ref := range []string{"standard", sim.standardType} {
		vt, err := s.VolumeType(ctx, ref)
		if err != nil {
			t.Fatalf("VolumeType(%q): %v", ref, err)
		}
		if vt.ID != sim.standardType || vt.Name != "standard" {
			t.Errorf("VolumeType(%q) = %+v", ref, vt)
		}
	}
	if _, err := s.VolumeType(ctx, "no-such-type"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing type: err = %v", err)
	}
	if _, err := s.GroupType(ctx, "no-such-group-type"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing group type: err = %v", err)
	}
	if _, err := s.Volume(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing volume: err = %v", err)
	}
}

func TestGroupLifecycle(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)

	g, err := s.CreateGroup(ctx, GroupCreateOpts{Name: "pg-web", Description: "web tier",
		GroupType: "consistency-group", VolumeTypes: []string{sim.replicatedType}})
	if err != nil {
		t.Fatal(err)
	}
	if g.ID == "" || g.Status != GroupStatusCreating {
		t.Errorf("created group = %+v", g)
	}
	g, err = s.WaitForGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Status != GroupStatusAvailable || g.Name != "pg-web" || g.GroupType != sim.groupType || !slices.Equal(g.VolumeTypes, []string{sim.replicatedType}) {
		t.Errorf("available group = %+v", g)
	}
	gid := g.ID

	if err := s.UpdateGroup(ctx, gid, GroupUpdateOpts{AddVolumes: []string{sim.bootVol, sim.dataVol}}); err != nil {
		t.Fatal(err)
	}
	if g, err = s.WaitForGroup(ctx, gid, GroupStatusAvailable); err != nil {
		t.Fatal(err)
	}
	if want := sorted(sim.bootVol, sim.dataVol); !slices.Equal(sorted(g.VolumeIDs...), want) {
		t.Errorf("members %v, want %v", g.VolumeIDs, want)
	}
	members, err := s.VolumesInGroup(ctx, gid)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range members {
		ids = append(ids, v.ID)
		if v.GroupID != gid {
			t.Errorf("member %s has group_id %q", v.ID, v.GroupID)
		}
	}
	if !slices.Equal(sorted(ids...), sorted(sim.bootVol, sim.dataVol)) {
		t.Errorf("VolumesInGroup = %v", ids)
	}
	if v, err := s.Volume(ctx, sim.bootVol); err != nil || v.GroupID != gid {
		t.Errorf("Volume.GroupID = %q, err %v", v.GroupID, err)
	}

	// Cinder's rules come back with Cinder's message.
	rules := []struct {
		name string
		opts GroupUpdateOpts
		want string
	}{
		{"volume on another backend", GroupUpdateOpts{AddVolumes: []string{sim.otherBackendVol}}, "not local"},
		{"volume type not in the group", GroupUpdateOpts{AddVolumes: []string{sim.standardVol}}, sim.standardVol},
		{"same volume added and removed", GroupUpdateOpts{AddVolumes: []string{sim.spareVol}, RemoveVolumes: []string{sim.spareVol}}, sim.spareVol},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			err := s.UpdateGroup(ctx, gid, r.opts)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
				t.Fatalf("err = %v, want APIError 400", err)
			}
			if !strings.Contains(ae.Message, r.want) || !strings.Contains(err.Error(), ae.Message) {
				t.Errorf("message %q (error %q) does not mention %q", ae.Message, err, r.want)
			}
			if strings.Contains(ae.Message, "{") {
				t.Errorf("message is raw JSON: %q", ae.Message)
			}
		})
	}

	// Deleting a group that still holds volumes needs delete-volumes.
	err = s.DeleteGroup(ctx, gid, false)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
		t.Fatalf("delete of a non-empty group: err = %v, want APIError 400", err)
	}

	if err := s.UpdateGroup(ctx, gid, GroupUpdateOpts{RemoveVolumes: []string{sim.bootVol, sim.dataVol}}); err != nil {
		t.Fatal(err)
	}
	if g, err = s.WaitForGroup(ctx, gid); err != nil || len(g.VolumeIDs) != 0 {
		t.Fatalf("after remove: %+v, %v", g, err)
	}
	if v, _ := s.Volume(ctx, sim.dataVol); v.GroupID != "" {
		t.Errorf("removed volume still has group_id %q", v.GroupID)
	}
	if err := s.DeleteGroup(ctx, gid, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitForGroup(ctx, gid, GroupStatusDeleted); !errors.Is(err, ErrNotFound) {
		t.Errorf("waiting for deletion: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Group(ctx, gid); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted group: err = %v, want ErrNotFound", err)
	}
	if _, ok := sim.Group(gid); ok {
		t.Error("the simulator still has the group")
	}
}

func TestWaitForGroupFailsFastOnError(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	g, err := s.CreateGroup(ctx, GroupCreateOpts{Name: "g", GroupType: sim.groupType, VolumeTypes: []string{sim.replicatedType}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitForGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	sim.Update(func(st *openstacksim.State) { st.Groups[g.ID].Status = "error" })
	got, err := s.WaitForGroup(ctx, g.ID, GroupStatusAvailable)
	if err == nil || !strings.Contains(err.Error(), `"error"`) || got == nil || got.Status != "error" {
		t.Fatalf("WaitForGroup = %+v, %v; want the error status reported", got, err)
	}
	if ctx.Err() != nil {
		t.Fatal("WaitForGroup waited for the context instead of failing fast")
	}

	// A context that ends stops the wait.
	sim.Update(func(st *openstacksim.State) { st.Groups[g.ID].Status = "updating" })
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.WaitForGroup(short, g.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
}

func TestTokenExpiryReauthenticatesOnce(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	if _, err := s.Volume(ctx, sim.bootVol); err != nil {
		t.Fatal(err)
	}
	sim.ExpireTokens()
	if _, err := s.Volume(ctx, sim.bootVol); err != nil {
		t.Fatalf("after token expiry: %v", err)
	}
	if n := sim.Faults().Count(http.MethodPost, "/auth/tokens"); n != 2 {
		t.Errorf("%d logins, want 2 (first + one re-authentication)", n)
	}
	if n := sim.Faults().Count(http.MethodGet, "/volumes/"+sim.bootVol); n != 3 {
		t.Errorf("%d volume reads, want 3 (ok, 401, retried ok)", n)
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	if err := s.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Faults().Add(fault.Rule{Method: http.MethodGet, PathContains: "/volumes/" + sim.dataVol, Times: 1,
		Status: http.StatusTooManyRequests, Body: `{"overLimit": {"code": 429, "message": "slow down"}}`,
		Header: http.Header{"Retry-After": {"1"}}})
	v, err := s.Volume(ctx, sim.dataVol)
	if err != nil || v.ID != sim.dataVol {
		t.Fatalf("Volume after 429: %+v, %v", v, err)
	}
	if n := sim.Faults().Count(http.MethodGet, "/volumes/"+sim.dataVol); n != 2 {
		t.Errorf("%d requests, want 2 (429 then success)", n)
	}

	// A 429 that never ends is reported as such after MaxRetries retries.
	sim.Faults().ResetRequests()
	sim.Faults().Add(fault.Rule{Method: http.MethodGet, PathContains: "/volumes/" + sim.bootVol,
		Status: http.StatusTooManyRequests, Body: `{"overLimit": {"code": 429, "message": "slow down"}}`,
		Header: http.Header{"Retry-After": {"0"}}})
	_, err = s.Volume(ctx, sim.bootVol)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusTooManyRequests || ae.Message != "slow down" {
		t.Fatalf("err = %v, want APIError 429", err)
	}
	if n := sim.Faults().Count(http.MethodGet, "/volumes/"+sim.bootVol); n != 4 {
		t.Errorf("%d requests, want 4 (1 + MaxRetries 3)", n)
	}
	if !strings.Contains(err.Error(), "(retried up to 3 times)") {
		t.Errorf("error %q does not say the 429 lasted through the retries", err)
	}
}

func TestGatewayErrorsRetriedForReadsOnly(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	if err := s.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}

	sim.Faults().Add(fault.Rule{Method: http.MethodGet, PathContains: "/volumes/" + sim.dataVol, Times: 3, Status: http.StatusServiceUnavailable})
	if _, err := s.Volume(ctx, sim.dataVol); err != nil {
		t.Fatalf("503 burst shorter than MaxRetries: %v", err)
	}
	if n := sim.Faults().Count(http.MethodGet, "/volumes/"+sim.dataVol); n != 4 {
		t.Errorf("%d reads, want 4 (3 x 503, then success)", n)
	}

	// A create must not be sent twice: a 503 is reported at once.
	sim.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/groups", Times: 1, Status: http.StatusServiceUnavailable})
	_, err := s.CreateGroup(ctx, GroupCreateOpts{Name: "g", GroupType: sim.groupType, VolumeTypes: []string{sim.replicatedType}})
	if !IsUnreachable(err) {
		t.Errorf("503 on create: err = %v, want unreachable", err)
	}
	if err != nil && strings.Contains(err.Error(), "retried") {
		t.Errorf("503 on create: error %q claims retries that were not made", err)
	}
	if n := sim.Faults().Count(http.MethodPost, "/groups"); n != 1 {
		t.Errorf("%d create requests, want 1", n)
	}
	if len(sim.Groups()) != 0 {
		t.Errorf("groups created: %v", sim.Groups())
	}
}

func TestDroppedConnectionsRetriedForReadsOnly(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	if err := s.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Faults().Add(fault.Rule{Method: http.MethodGet, PathContains: "/volumes/" + sim.dataVol, Times: 3, Drop: true})
	if _, err := s.Volume(ctx, sim.dataVol); err != nil {
		t.Fatalf("3 dropped connections with MaxRetries 3: %v", err)
	}
	if n := sim.Faults().Count(http.MethodGet, "/volumes/"+sim.dataVol); n != 4 {
		t.Errorf("%d reads, want 4", n)
	}

	// The create happened but its answer was lost: sending it again would
	// make a second group, so the loss is reported instead.
	sim.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/groups", Times: 1, Drop: true, After: true})
	_, err := s.CreateGroup(ctx, GroupCreateOpts{Name: "g", GroupType: sim.groupType, VolumeTypes: []string{sim.replicatedType}})
	if !IsUnreachable(err) {
		t.Errorf("lost create answer: err = %v, want unreachable", err)
	}
	if n := len(sim.Groups()); n != 1 {
		t.Errorf("%d groups, want exactly 1", n)
	}
}

func TestSiteDownIsUnreachable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		breakSite func(sim *simSite)
	}{
		{"connections dropped", func(sim *simSite) { sim.Faults().SetDown(true) }},
		{"server gone", func(sim *simSite) { sim.Close() }},
		{"server hangs", func(sim *simSite) { sim.Faults().Add(fault.Rule{Hang: true}) }},
		{"503 on every read", func(sim *simSite) { sim.Faults().Add(fault.Rule{Status: http.StatusServiceUnavailable}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t)
			cfg := sim.testConfig()
			cfg.RequestTimeout = 200 * time.Millisecond
			cfg.MaxRetries = 2
			s := newSite(t, cfg)
			ctx := testCtx(t)
			// Once before (authenticated, then the site fails) and once
			// from the start (the login itself fails).
			if _, err := s.Volume(ctx, sim.bootVol); err != nil {
				t.Fatal(err)
			}
			fresh := newSite(t, cfg)
			tc.breakSite(sim)
			for name, site := range map[string]*Site{"authenticated": s, "fresh": fresh} {
				_, err := site.Volume(ctx, sim.bootVol)
				if !IsUnreachable(err) {
					t.Errorf("%s: err = %v, want unreachable", name, err)
				}
				if err != nil && !strings.Contains(err.Error(), `site "site-a"`) {
					t.Errorf("%s: error %q does not name the site", name, err)
				}
			}
			if ctx.Err() != nil {
				t.Error("the retries were not bounded: the test context ran out")
			}
		})
	}
}

func TestObjectStorage(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	const c = "protector-metadata"

	if _, err := s.ListObjects(ctx, c, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("list of a missing container: err = %v", err)
	}
	for range 2 { // idempotent
		if err := s.EnsureContainer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	put := func(name, data string, opts PutObjectOpts) error {
		return s.PutObject(ctx, c, name, []byte(data), opts)
	}
	if err := put("groups/pg-web/v1", `{"v":1}`, PutObjectOpts{IfNoneMatch: true, ContentType: "application/json", Metadata: map[string]string{"Version": "1"}}); err != nil {
		t.Fatal(err)
	}
	// Compare-and-swap: the second create of the same name loses.
	err := put("groups/pg-web/v1", `{"v":"other"}`, PutObjectOpts{IfNoneMatch: true})
	if !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("second If-None-Match PUT: err = %v, want ErrPreconditionFailed", err)
	}
	if data, _ := sim.Object(c, "groups/pg-web/v1"); string(data) != `{"v":1}` {
		t.Errorf("object changed by the losing write: %s", data)
	}
	for _, n := range []string{"groups/pg-web/v2", "groups/pg-db/v1", "sites/site-a"} {
		if err := put(n, n, PutObjectOpts{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := put("groups/pg-web/v2", "overwritten", PutObjectOpts{}); err != nil {
		t.Fatal(err)
	}
	data, err := s.GetObject(ctx, c, "groups/pg-web/v2")
	if err != nil || string(data) != "overwritten" {
		t.Errorf("GetObject = %q, %v", data, err)
	}
	names, err := s.ListObjects(ctx, c, "groups/pg-web/")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"groups/pg-web/v1", "groups/pg-web/v2"}) {
		t.Errorf("ListObjects = %v", names)
	}
	all, err := s.ListObjects(ctx, c, "")
	if err != nil || len(all) != 4 {
		t.Errorf("ListObjects all = %v, %v", all, err)
	}
	infos, err := s.ListObjectInfo(ctx, c, "groups/pg-web/v2")
	if sum := md5.Sum([]byte("overwritten")); err != nil || len(infos) != 1 || infos[0].Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("ListObjectInfo = %+v, %v; want the MD5 of the content", infos, err)
	}
	if err := s.DeleteObject(ctx, c, "groups/pg-web/v2"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(ctx, c, "groups/pg-web/v2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.GetObject(ctx, c, "groups/pg-web/v2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after delete: err = %v, want ErrNotFound", err)
	}
}

func TestSecretsStayOutOfErrorsAndLogs(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	var mu sync.Mutex
	var logs []string
	cfg := sim.testConfig()
	cfg.Admin = sim.adminCreds()
	cfg.Logger = func(_ context.Context, msg string, kv map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprint(msg, kv))
	}
	s := newSite(t, cfg)
	ctx := testCtx(t)
	var errs []error
	collect := func(err error) {
		if err == nil {
			t.Helper()
			t.Fatal("expected an error")
		}
		errs = append(errs, err)
	}

	if err := s.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	tokens := []string{s.main.token(), s.admin.token()}
	err := s.UpdateGroup(ctx, "00000000-0000-0000-0000-000000000000", GroupUpdateOpts{AddVolumes: []string{sim.bootVol}})
	collect(err)
	sim.Faults().Add(fault.Rule{Method: http.MethodGet, Status: http.StatusBadGateway})
	_, err = s.Volume(ctx, sim.bootVol)
	collect(err)
	sim.Faults().Clear()
	sim.ExpireTokens()
	sim.Update(func(st *openstacksim.State) {
		for _, u := range st.Users {
			u.Password = "changed"
		}
	})
	_, err = s.Volume(ctx, sim.bootVol)
	collect(err) // re-authentication refused

	bad := sim.testConfig()
	bad.Credentials = Credentials{AuthURL: sim.AuthURL(), ApplicationCredentialID: appCredID, ApplicationCredentialSecret: "not-" + appSecret}
	bad.Logger = cfg.Logger
	collect(newSite(t, bad).Authenticate(ctx))

	secrets := append([]string{demoPassword, adminPassword, appSecret}, tokens...)
	mu.Lock()
	defer mu.Unlock()
	if len(logs) == 0 || !strings.Contains(strings.Join(logs, "\n"), "status:401") {
		t.Errorf("logs lack the requests: %v", logs)
	}
	for _, secret := range secrets {
		if secret == "" {
			t.Fatal("no token captured")
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains a secret", err)
			}
		}
		for _, l := range logs {
			if strings.Contains(l, secret) {
				t.Errorf("log %q contains a secret", l)
			}
		}
	}
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// A listing longer than one page follows Swift's markers to the end; a
// listing shorter than a page costs one request.
func TestListObjectsPaging(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	const c = "protector"
	if err := s.EnsureContainer(ctx, c); err != nil {
		t.Fatal(err)
	}
	for i := range listPageSize + 3 {
		sim.PutObject("demo", c, fmt.Sprintf("groups/pg-big/v/%010d", i), []byte("x"))
	}
	if err := s.PutObject(ctx, c, "sites/site-a.json", []byte("{}"), PutObjectOpts{}); err != nil {
		t.Fatal(err)
	}
	names, err := s.ListObjects(ctx, c, "groups/pg-big/")
	if err != nil || len(names) != listPageSize+3 {
		t.Fatalf("listed %d names (%v), want %d", len(names), err, listPageSize+3)
	}
	sim.Faults().ResetRequests()
	if names, err := s.ListObjects(ctx, c, "sites/"); err != nil || len(names) != 1 {
		t.Fatalf("short listing: %v %v", names, err)
	}
	if n := sim.Faults().Count("GET", "/"+c); n != 1 {
		t.Fatalf("a short listing made %d requests, want 1", n)
	}
}

// ServerVolumes lists every server of the project with its attached
// volumes in one listing.
func TestServerVolumes(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	want := map[string][]string{}
	for _, name := range []string{"vm-1", "vm-2", "vm-3"} {
		want[sim.AddServer(openstacksim.Server{Name: name, Project: "demo"})] = []string{}
	}
	vol := sim.AddVolume(openstacksim.Volume{Name: "vm-4-boot", Project: "demo", Type: "replicated-ssd", Host: backendA})
	want[sim.AddServer(openstacksim.Server{Name: "vm-4", Project: "demo", Volumes: []openstacksim.Attachment{{VolumeID: vol, Device: "/dev/vda"}}})] = []string{vol}
	sim.Faults().ResetRequests()
	got, err := s.ServerVolumes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id, vols := range want {
		if v, ok := got[id]; !ok || !slices.Equal(v, vols) {
			t.Fatalf("server %s lists volumes %v (listed %v), want %v", id, v, ok, vols)
		}
	}
	if n := sim.Faults().Count("GET", "/servers"); n != 1 {
		t.Fatalf("listing 4 servers took %d requests, want 1", n)
	}
}

// The project listings answer as Server and Volume do (the admin-only
// root device and host included when an admin credential is configured),
// for the main credential's project only: an admin of another project
// lists all projects narrowed to it.
func TestProjectListings(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	demoID := sim.AddProject("demo")
	sim.AddProject("ops")
	sim.AddUser("ops-admin", adminPassword, "ops", "admin")
	otherVol := sim.AddVolume(openstacksim.Volume{Name: "ops-boot", Project: "ops", Type: "replicated-ssd", Host: backendA})
	otherServer := sim.AddServer(openstacksim.Server{Name: "ops-vm", Project: "ops", Volumes: []openstacksim.Attachment{{VolumeID: otherVol, Device: "/dev/vda"}}})

	list := func(t *testing.T, cfg Config) (map[string]*Server, map[string]Volume) {
		t.Helper()
		s := newSite(t, cfg)
		servers, err := s.ProjectServers(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		volumes, err := s.ProjectVolumes(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		sv, vs := map[string]*Server{}, map[string]Volume{}
		for _, s := range servers {
			sv[s.ID] = s
		}
		for _, v := range volumes {
			vs[v.ID] = v
		}
		if sv[otherServer] != nil {
			t.Errorf("server %s of project ops listed for project demo", otherServer)
		}
		if _, ok := vs[otherVol]; ok {
			t.Errorf("volume %s of project ops listed for project demo", otherVol)
		}
		srv := sv[serverID]
		if srv == nil || srv.Name != "web-server-1" || !slices.Equal(srv.VolumeIDs, []string{sim.bootVol, sim.dataVol}) || srv.Details == nil || srv.Status == "" {
			t.Fatalf("web-server-1 listed as %+v", srv)
		}
		if len(vs) != 5 || vs[sim.bootVol].VolumeType != "replicated-ssd" || len(vs[sim.bootVol].Attachments) != 1 {
			t.Fatalf("volumes listed: %+v, want the 5 of project demo, the boot volume attached", vs)
		}
		return sv, vs
	}

	t.Run("member", func(t *testing.T) {
		sim.Faults().ResetRequests()
		sv, vs := list(t, sim.testConfig())
		if sv[serverID].RootDeviceVisible || vs[sim.bootVol].HostVisible {
			t.Errorf("a member sees the root device (%v) or the host (%v)", sv[serverID].RootDeviceVisible, vs[sim.bootVol].HostVisible)
		}
		for _, r := range sim.Faults().Requests() {
			if strings.Contains(r.Query, "all_tenants") {
				t.Errorf("a member's listing asks %s?%s", r.Path, r.Query)
			}
		}
	})
	t.Run("admin of another project", func(t *testing.T) {
		cfg := sim.testConfig()
		cfg.Admin = sim.adminCreds()
		cfg.Admin.Username, cfg.Admin.ProjectName = "ops-admin", "ops"
		sim.Faults().ResetRequests()
		sv, vs := list(t, cfg)
		if !sv[serverID].RootDeviceVisible || sv[serverID].RootDeviceName != "/dev/vda" || !vs[sim.bootVol].HostVisible || vs[sim.bootVol].Host != backendA {
			t.Errorf("the admin listing shows root device %q (%v), host %q (%v)", sv[serverID].RootDeviceName, sv[serverID].RootDeviceVisible, vs[sim.bootVol].Host, vs[sim.bootVol].HostVisible)
		}
		for _, path := range []string{"/servers/detail", "/volumes/detail"} {
			if n := sim.Faults().Count("GET", path); n != 1 {
				t.Errorf("%d requests to %s, want 1", n, path)
			}
		}
		for _, r := range sim.Faults().Requests() {
			if strings.HasSuffix(r.Path, "/detail") && r.Query != "all_tenants=true&project_id="+demoID {
				t.Errorf("the admin's listing asks %s?%s, want all_tenants narrowed to project demo (%s)", r.Path, r.Query, demoID)
			}
		}
	})
}

// A wait learns how long the site's transitions of a kind take: the second
// group update of the same length is waited for with fewer reads.
func TestWaitsLearnTheSitesTransitions(t *testing.T) {
	t.Parallel()
	sim := startSimWith(t, openstacksim.Options{Transitions: openstacksim.Transitions{GroupUpdate: 400 * time.Millisecond}})
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	g, err := s.CreateGroup(ctx, GroupCreateOpts{Name: "learn", GroupType: sim.groupType, VolumeTypes: []string{sim.replicatedType}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitForGroup(ctx, g.ID, GroupStatusAvailable); err != nil {
		t.Fatal(err)
	}
	update := func(opts GroupUpdateOpts) (reads int, took time.Duration) {
		t.Helper()
		if err := s.UpdateGroup(ctx, g.ID, opts); err != nil {
			t.Fatal(err)
		}
		sim.Faults().ResetRequests()
		start := time.Now()
		if _, err := s.WaitForGroup(ctx, g.ID, GroupStatusAvailable); err != nil {
			t.Fatal(err)
		}
		return sim.Faults().Count("GET", "/groups/"+g.ID), time.Since(start)
	}
	first, firstTook := update(GroupUpdateOpts{AddVolumes: []string{sim.spareVol}})
	second, secondTook := update(GroupUpdateOpts{RemoveVolumes: []string{sim.spareVol}})
	t.Logf("first wait: %d reads in %s; second: %d reads in %s", first, firstTook, second, secondTook)
	if second >= first {
		t.Errorf("the second wait read the group %d times, the first %d: want fewer once the transition's length is known", second, first)
	}
}
