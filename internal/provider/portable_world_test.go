package provider

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// The real-OpenStack lane (make test-openstack, tools/openstack) runs the
// portable acceptance tests against two real OpenStack sites instead of the
// simulated ones; the FlashArrays stay simulated, in-process.
const (
	// envRealClouds names the folder tools/openstack writes: clouds.yaml
	// (site-a-member, site-a-admin, ...) and fixtures.json (the ids of the
	// servers and volumes it made through the real APIs).
	envRealClouds = "PROTECTOR_ACC_CLOUDS"
	// envRealRole is the role of the provider's main credential in the
	// real lane: "member" (default) or "admin".
	envRealRole = "PROTECTOR_ACC_ROLE"
)

// realLane reports whether the acceptance tests run against real sites.
func realLane() bool { return os.Getenv(envRealClouds) != "" }

// realAdminRun reports whether the real lane's main credential is an admin.
func realAdminRun() bool { return realLane() && os.Getenv(envRealRole) == "admin" }

// accServer is a fixture server of site-a: its volumes boot first, their
// devices in the server and their names on flasharray-a.
type accServer struct {
	ID, Name     string
	VolumeIDs    []string
	Devices      []string
	ArrayVolumes []string
}

// accFixtures are the servers portable tests use: the simulator's
// constants, or what the real lane created.
type accFixtures struct {
	WebServer1, WebServer2, DBServer1, Mixed, OtherBackend, Sync, AOnly accServer
}

// server returns the fixture server with an id (zero for another id).
func (f accFixtures) server(id string) accServer {
	for _, s := range []accServer{f.WebServer1, f.WebServer2, f.DBServer1, f.Mixed, f.OtherBackend, f.Sync, f.AOnly} {
		if s.ID == id {
			return s
		}
	}
	return accServer{}
}

func simulatorFixtures() accFixtures {
	server := func(id, name string, sync bool) accServer {
		s := accServer{ID: id, Name: name, VolumeIDs: simulator.ServerVolumeIDs(id)}
		for i, v := range s.VolumeIDs {
			s.ArrayVolumes = append(s.ArrayVolumes, simulator.ArrayVolumeName(v, sync))
			s.Devices = append(s.Devices, "/dev/vd"+string(rune('a'+i)))
		}
		return s
	}
	return accFixtures{
		WebServer1:   server(simulator.WebServer1ID, simulator.WebServer1Name, false),
		WebServer2:   server(simulator.WebServer2ID, simulator.WebServer2Name, false),
		DBServer1:    server(simulator.DBServer1ID, simulator.DBServer1Name, false),
		Mixed:        server(simulator.MixedServerID, simulator.MixedServerName, false),
		OtherBackend: server(simulator.OtherBackendServerID, simulator.OtherBackendServerName, false),
		Sync:         server(simulator.SyncServerID, simulator.SyncServerName, true),
		AOnly:        server(simulator.AOnlyServerID, simulator.AOnlyServerName, false),
	}
}

// laneAccFixtures are the fixture servers the real lane made.
func laneAccFixtures(t *testing.T, lf *simulator.LaneFixtures) accFixtures {
	server := func(name string) accServer {
		s, ok := lf.Servers[name]
		if !ok {
			t.Fatalf("%s: fixtures.json has no server %s", envRealClouds, name)
		}
		out := accServer{ID: s.ID, Name: name}
		for _, v := range s.Volumes {
			out.VolumeIDs = append(out.VolumeIDs, v.ID)
			out.ArrayVolumes = append(out.ArrayVolumes, v.ArrayVolumeName)
			out.Devices = append(out.Devices, v.Device)
		}
		return out
	}
	return accFixtures{
		WebServer1: server(simulator.WebServer1Name), WebServer2: server(simulator.WebServer2Name),
		DBServer1: server(simulator.DBServer1Name), Mixed: server(simulator.MixedServerName),
		OtherBackend: server(simulator.OtherBackendServerName), Sync: server(simulator.SyncServerName),
		AOnly: server(simulator.AOnlyServerName),
	}
}

// siteView is what tests read of a site to check outcomes: the simulator's
// state directly, or a real site through its APIs as admin.
type siteView interface {
	Name() string
	AuthURL() string
	Group(id string) (openstacksim.Group, bool)
	Volume(id string) (openstacksim.Volume, bool)
	Server(id string) (openstacksim.Server, bool)
	Objects(container, prefix string) []string
	Object(container, name string) ([]byte, bool)
}

// realSite reads a real site through its APIs as admin, so that what a
// test checks does not depend on the role under test.
type realSite struct {
	t      *testing.T
	name   string
	client *openstack.Site
}

func (r *realSite) Name() string    { return r.name }
func (r *realSite) AuthURL() string { return r.client.AuthURL() }

func (r *realSite) Group(id string) (openstacksim.Group, bool) {
	g, err := r.client.Group(context.Background(), id)
	if err != nil {
		if errors.Is(err, openstack.ErrNotFound) {
			return openstacksim.Group{}, false
		}
		r.t.Errorf("read group %s on %s: %v", id, r.name, err)
		return openstacksim.Group{}, false
	}
	vols, err := r.client.VolumesInGroup(context.Background(), id)
	if err != nil {
		r.t.Errorf("list the volumes of group %s on %s: %v", id, r.name, err)
	}
	out := openstacksim.Group{ID: g.ID, Name: g.Name, Status: g.Status}
	for _, v := range vols {
		out.VolumeIDs = append(out.VolumeIDs, v.ID)
	}
	sort.Strings(out.VolumeIDs)
	return out, true
}

func (r *realSite) Volume(id string) (openstacksim.Volume, bool) {
	v, err := r.client.Volume(context.Background(), id)
	if err != nil {
		if !errors.Is(err, openstack.ErrNotFound) {
			r.t.Errorf("read volume %s on %s: %v", id, r.name, err)
		}
		return openstacksim.Volume{}, false
	}
	return openstacksim.Volume{ID: v.ID, Name: v.Name, Type: v.VolumeType, GroupID: v.GroupID, Host: v.Host, Size: v.Size,
		Status: v.Status, Bootable: v.Bootable, Metadata: v.Metadata}, true
}

func (r *realSite) Server(id string) (openstacksim.Server, bool) {
	s, err := r.client.Server(context.Background(), id)
	if err != nil {
		if !errors.Is(err, openstack.ErrNotFound) {
			r.t.Errorf("read server %s on %s: %v", id, r.name, err)
		}
		return openstacksim.Server{}, false
	}
	sv := openstacksim.Server{ID: s.ID, Name: s.Name, Status: s.Status}
	for _, v := range s.VolumeIDs {
		sv.Volumes = append(sv.Volumes, openstacksim.Attachment{VolumeID: v})
	}
	return sv, true
}

func (r *realSite) Objects(container, prefix string) []string {
	names, err := r.client.ListObjects(context.Background(), container, prefix)
	if err != nil && !errors.Is(err, openstack.ErrNotFound) {
		r.t.Errorf("list objects %s/%s* on %s: %v", container, prefix, r.name, err)
	}
	sort.Strings(names)
	return names
}

func (r *realSite) Object(container, name string) ([]byte, bool) {
	b, err := r.client.GetObject(context.Background(), container, name)
	if err != nil {
		if !errors.Is(err, openstack.ErrNotFound) {
			r.t.Errorf("read object %s/%s on %s: %v", container, name, r.name, err)
		}
		return nil, false
	}
	return b, true
}

// newPortableWorld starts the world of a test that runs in both lanes:
// the simulator, or (with PROTECTOR_ACC_CLOUDS set) the real sites with
// both FlashArrays simulated in-process. Portable tests reach sites through
// w.view, fixtures through w.fx, and arrays through w.Array.
func newPortableWorld(t *testing.T) *accWorld {
	t.Helper()
	if !realLane() {
		w := newAccWorld(t)
		w.fx = simulatorFixtures()
		return w
	}
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (see DESIGN.md, Toolchain facts)")
	}
	skipWithoutEngine(t)
	dir := os.Getenv(envRealClouds)
	lf, err := simulator.ReadLaneFixtures(filepath.Join(dir, "fixtures.json"))
	if err != nil {
		t.Fatalf("%s: %v", envRealClouds, err)
	}
	tmp := t.TempDir()
	w := &accWorld{t: t, cloudsYAML: filepath.Join(tmp, "clouds.yaml"), caFile: filepath.Join(tmp, "flasharray-ca.pem"),
		fx: laneAccFixtures(t, lf), arrays: map[string]*flasharraysim.Array{}, views: map[string]siteView{}, lane: lf}
	arrays, err := simulator.StartLaneArrays(lf, "127.0.0.1:0", "127.0.0.1:0", w.caFile)
	if err != nil {
		t.Fatal(err)
	}
	// As in the simulator lane: every request the arrays saw (here the
	// provider's and the Cinder driver's) follows their OpenAPI spec.
	t.Cleanup(func() {
		if err := arrays.SpecError(); err != nil {
			t.Error(err)
		}
		arrays.Close()
	})
	w.arrays[simulator.ArrayA], w.arrays[simulator.ArrayB] = arrays.A, arrays.B
	if err := simulator.WriteLaneCloudsYAML(filepath.Join(dir, "clouds.yaml"), w.cloudsYAML, os.Getenv(envRealRole) == "admin"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{simulator.SiteA, simulator.SiteB} {
		c, err := openstack.New(openstack.Config{Name: name, Credentials: openstack.Credentials{
			Cloud: name + "-admin", CloudsYAMLPath: filepath.Join(dir, "clouds.yaml")}})
		if err != nil {
			t.Fatal(err)
		}
		w.views[name] = &realSite{t: t, name: name, client: c}
	}
	return w
}

// view returns what a test may read of a site, in either lane.
func (w *accWorld) view(name string) siteView {
	if w.World != nil {
		return w.World.Site(name)
	}
	return w.views[name]
}

// Site returns a simulated site (the embedded World's): simulator-only
// helpers use it. In the real lane there is none, and a portable test that
// reaches one fails here, by name, instead of panicking the whole run.
func (w *accWorld) Site(name string) *openstacksim.Site {
	w.t.Helper()
	if w.World == nil {
		w.t.Fatalf("the real-OpenStack lane has no simulated %s: read it through w.view, or mark the step simulatorOnly", name)
	}
	return w.World.Site(name)
}

// Array returns a FlashArray of either lane.
func (w *accWorld) Array(name string) *flasharraysim.Array {
	if w.World != nil {
		return w.World.Array(name)
	}
	return w.arrays[name]
}

// region is the region of a site in either lane.
func (w *accWorld) region(site string) string {
	if w.lane != nil {
		return w.lane.Sites[site].Region
	}
	return simulator.Region
}

// simulatorOnly skips a step of a portable test that needs the simulator
// (fault injection, state edited behind the provider's back).
func simulatorOnly(t *testing.T, why string) {
	t.Helper()
	if realLane() {
		t.Skipf("simulator only (%s): the real-OpenStack lane cannot do this", why)
	}
}

// memberOnly skips a test whose point is what a member cannot see, in the
// real lane's admin run (the provider's main credential is an admin there,
// so nothing is hidden and no check is skipped).
func memberOnly(t *testing.T, why string) {
	t.Helper()
	if realAdminRun() {
		t.Skipf("member run only (%s): this run's main credential is an admin", why)
	}
}

// volumeIDsOf lists the volumes of fixture servers, sorted.
func (w *accWorld) volumeIDsOf(servers ...string) (ids, arrayNames []string) {
	for _, id := range servers {
		s := w.fx.server(id)
		ids = append(ids, s.VolumeIDs...)
		arrayNames = append(arrayNames, s.ArrayVolumes...)
	}
	sort.Strings(ids)
	sort.Strings(arrayNames)
	return ids, arrayNames
}
