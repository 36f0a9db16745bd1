package openstacksim

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	blockazs "github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/availabilityzones"
	blocklimits "github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/limits"
	blockquotas "github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/quotasets"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	computeazs "github.com/gophercloud/gophercloud/v2/openstack/compute/v2/availabilityzones"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	computelimits "github.com/gophercloud/gophercloud/v2/openstack/compute/v2/limits"
	computequotas "github.com/gophercloud/gophercloud/v2/openstack/compute/v2/quotasets"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/tags"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
)

// slowTransitions makes asynchronous transitions last long enough that a
// poll on a loaded machine still sees the intermediate statuses.
func (ts *testSite) slowTransitions() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.opts.AsyncDelay = 200 * time.Millisecond
}

// waitVolume polls the site until the volume has the status ("" = gone)
// and returns every status it saw, in order.
func (ts *testSite) waitVolume(id, status string) []string {
	ts.t.Helper()
	var seen []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		v, ok := ts.Volume(id)
		st := ""
		if ok {
			st = v.Status
		}
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		if st == status {
			return seen
		}
		time.Sleep(time.Millisecond)
	}
	ts.t.Fatalf("volume %s: statuses %v, want %q", id, seen, status)
	return nil
}

func (ts *testSite) waitServer(id, status string) {
	ts.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		sv, ok := ts.Server(id)
		if (status == "" && !ok) || (ok && sv.Status == status) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	ts.t.Fatalf("server %s never reached %q", id, status)
}

func errCode(err error) int {
	var e gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &e) {
		return e.Actual
	}
	return 0
}

// The volume lifecycle terraform-provider-openstack drives: create (202,
// creating -> available, the backend naming the array volume), extend,
// retype, delete (202, deleting -> gone); a volume in use or in a group is
// not deleted.
func TestGophercloudVolumeLifecycle(t *testing.T) {
	ts := newTestSite(t)
	ts.slowTransitions()
	var created, deleted []string
	var extended int
	ts.SetBackend(Backend{Host: hostA,
		OnVolumeCreate: func(v Volume) (map[string]string, error) {
			created = append(created, v.ID)
			return map[string]string{"array_volume_name": "volume-" + v.ID + "-cinder"}, nil
		},
		OnVolumeDelete: func(v Volume) error { deleted = append(deleted, v.ID); return nil },
		OnVolumeExtend: func(v Volume, size int) error { extended = size; return nil },
	})
	ctx := context.Background()
	cinder, _, _ := ts.services(ts.client("demo", "demo-password"))
	v, err := volumes.Create(ctx, cinder, volumes.CreateOpts{Name: "data", Size: 2, VolumeType: "replicated-ssd", Metadata: map[string]string{"app": "db"}}, nil).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "creating" || v.Size != 2 || v.VolumeType != "replicated-ssd" || v.AvailabilityZone != "nova" {
		t.Errorf("created %+v", v)
	}
	if seen := ts.waitVolume(v.ID, "available"); seen[0] != "creating" {
		t.Errorf("statuses %v", seen)
	}
	got, err := volumes.Get(ctx, cinder, v.ID).Extract()
	if err != nil || got.Metadata["array_volume_name"] != "volume-"+v.ID+"-cinder" || got.Metadata["app"] != "db" || got.ReplicationStatus != "enabled" {
		t.Errorf("after create %+v %v", got, err)
	}
	if len(created) != 1 || created[0] != v.ID {
		t.Errorf("backend create calls %v", created)
	}

	if _, err := volumes.Create(ctx, cinder, volumes.CreateOpts{Size: 1, VolumeType: "nope"}, nil).Extract(); errCode(err) != 404 {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := volumes.Create(ctx, cinder, volumes.CreateOpts{Size: 1, AvailabilityZone: "az9"}, nil).Extract(); errCode(err) != 400 {
		t.Errorf("unknown az: %v", err)
	}

	if err := volumes.ExtendSize(ctx, cinder, v.ID, volumes.ExtendSizeOpts{NewSize: 1}).ExtractErr(); errCode(err) != 400 {
		t.Errorf("shrink: %v", err)
	}
	if err := volumes.ExtendSize(ctx, cinder, v.ID, volumes.ExtendSizeOpts{NewSize: 5}).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if seen := ts.waitVolume(v.ID, "available"); seen[0] != "extending" {
		t.Errorf("extend statuses %v", seen)
	}
	if got, _ := ts.Volume(v.ID); got.Size != 5 || extended != 5 {
		t.Errorf("extended size %d backend %d", got.Size, extended)
	}
	if err := volumes.ChangeType(ctx, cinder, v.ID, volumes.ChangeTypeOpts{NewType: "standard"}).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if seen := ts.waitVolume(v.ID, "available"); seen[0] != "retyping" {
		t.Errorf("retype statuses %v", seen)
	}
	if got, _ := ts.Volume(v.ID); got.Type != "standard" || got.ReplicationStatus != "disabled" {
		t.Errorf("retyped %+v", got)
	}

	// In use (the seeded server's boot volume) and in a group: 400.
	if err := volumes.Delete(ctx, cinder, ts.bootVol, nil).ExtractErr(); errCode(err) != 400 {
		t.Errorf("delete in-use: %v", err)
	}
	g := ts.createGroup(ts.member())
	if r := ts.cinder("PUT", "/groups/"+g, ts.member(), "3.13", map[string]any{"group": map[string]any{"add_volumes": ts.free[0]}}); r.status != 202 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	ts.waitGroup(g, "available")
	if err := volumes.Delete(ctx, cinder, ts.free[0], nil).ExtractErr(); errCode(err) != 400 {
		t.Errorf("delete group member: %v", err)
	}

	if err := volumes.Delete(ctx, cinder, v.ID, nil).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if seen := ts.waitVolume(v.ID, ""); seen[0] != "deleting" {
		t.Errorf("delete statuses %v", seen)
	}
	if len(deleted) != 1 || deleted[0] != v.ID {
		t.Errorf("backend delete calls %v", deleted)
	}
	if _, err := volumes.Get(ctx, cinder, v.ID).Extract(); errCode(err) != 404 {
		t.Errorf("get deleted: %v", err)
	}
}

// A server booted from a clone of a bootable volume with networks "none"
// (2.37), a second volume attached and detached through
// os-volume_attachments, then the server deleted, with Cinder's statuses
// along the way.
func TestGophercloudBootFromVolumeAndAttach(t *testing.T) {
	ts := newTestSite(t)
	ts.slowTransitions()
	flavor := ts.AddFlavor(Flavor{Name: "m1.tiny", RAM: 64, VCPUs: 1, ExtraSpecs: map[string]string{"hw:cpu_policy": "shared"}})
	ctx := context.Background()
	cinder, nova, _ := ts.services(ts.client("demo", "demo-password"))
	data := ts.free[1]
	blank := []servers.BlockDevice{{UUID: ts.free[0], SourceType: servers.SourceVolume, DestinationType: servers.DestinationVolume, BootIndex: 0}}
	nova.Microversion = "2.37"
	_, err := servers.Create(ctx, nova, servers.CreateOpts{Name: "vm-0", FlavorRef: flavor, Networks: "none", BlockDevice: blank}, nil).Extract()
	if errCode(err) != 400 || !strings.Contains(err.Error(), "Block Device "+ts.free[0]+" is not bootable.") {
		t.Errorf("boot from a blank volume: %v", err)
	}
	nova.Microversion = ""

	// A clone of the seeded server's (in-use, bootable) boot volume: its
	// type and size unless given, bootable once made.
	for _, bad := range []struct {
		opts volumes.CreateOpts
		code int
	}{
		{volumes.CreateOpts{SourceVolID: "missing"}, 404},
		{volumes.CreateOpts{SourceVolID: ts.bootVol, VolumeType: "standard"}, 400},
	} {
		if _, err := volumes.Create(ctx, cinder, bad.opts, nil).Extract(); errCode(err) != bad.code {
			t.Errorf("clone %+v: %v, want %d", bad.opts, err, bad.code)
		}
	}
	src, _ := ts.Volume(ts.bootVol)
	if _, err := volumes.Create(ctx, cinder, volumes.CreateOpts{SourceVolID: ts.bootVol, Size: src.Size - 1}, nil).Extract(); src.Size > 1 && errCode(err) != 400 {
		t.Errorf("clone smaller than its source: %v", err)
	}
	clone, err := volumes.Create(ctx, cinder, volumes.CreateOpts{Name: "boot", SourceVolID: ts.bootVol}, nil).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if clone.Status != "creating" || clone.VolumeType != "replicated-ssd" || clone.Size != src.Size || clone.SourceVolID != ts.bootVol || clone.Bootable != "false" {
		t.Errorf("clone %+v", clone)
	}
	ts.waitVolume(clone.ID, "available")
	if got, err := volumes.Get(ctx, cinder, clone.ID).Extract(); err != nil || got.Bootable != "true" {
		t.Errorf("made clone %+v %v", got, err)
	}
	boot := clone.ID
	bdm := []servers.BlockDevice{{UUID: boot, SourceType: servers.SourceVolume, DestinationType: servers.DestinationVolume, BootIndex: 0}}
	opts := servers.CreateOpts{Name: "vm-1", FlavorRef: flavor, Networks: "none", BlockDevice: bdm}

	// networks "none" needs 2.37; "auto" finds no network to allocate.
	if _, err := servers.Create(ctx, nova, opts, nil).Extract(); errCode(err) != 400 {
		t.Errorf("networks none at 2.1: %v", err)
	}
	nova.Microversion = "2.37"
	auto := opts
	auto.Networks = "auto"
	if _, err := servers.Create(ctx, nova, auto, nil).Extract(); errCode(err) != 400 {
		t.Errorf("networks auto: %v", err)
	}
	noFlavor := opts
	noFlavor.FlavorRef = "missing"
	if _, err := servers.Create(ctx, nova, noFlavor, nil).Extract(); errCode(err) != 400 {
		t.Errorf("unknown flavor: %v", err)
	}
	sv, err := servers.Create(ctx, nova, opts, nil).Extract()
	if err != nil {
		t.Fatal(err)
	}
	nova.Microversion = ""
	got, err := servers.Get(ctx, nova, sv.ID).Extract()
	if err != nil || (got.Status != "BUILD" && got.Status != "ACTIVE") {
		t.Fatalf("new server %+v %v", got, err)
	}
	ts.waitServer(sv.ID, "ACTIVE")
	got, err = servers.Get(ctx, nova, sv.ID).Extract()
	if err != nil || got.Flavor["id"] != flavor || len(got.AttachedVolumes) != 1 || got.AttachedVolumes[0].ID != boot {
		t.Errorf("active server %+v %v", got, err)
	}
	if v, _ := ts.Volume(boot); v.Status != "in-use" || len(v.Attachments) != 1 || v.Attachments[0].ServerID != sv.ID {
		t.Errorf("boot volume %+v", v)
	}
	if _, err := servers.Create(ctx, nova, opts, nil).Extract(); errCode(err) != 400 {
		t.Errorf("boot from an in-use volume: %v", err)
	}

	va, err := volumeattach.Create(ctx, nova, sv.ID, volumeattach.CreateOpts{VolumeID: data}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if va.ID != data || va.Device != "/dev/vdb" || va.ServerID != sv.ID {
		t.Errorf("attachment %+v", va)
	}
	if seen := ts.waitVolume(data, "in-use"); seen[0] != "attaching" {
		t.Errorf("attach statuses %v", seen)
	}
	if a, err := volumeattach.Get(ctx, nova, sv.ID, data).Extract(); err != nil || a.VolumeID != data {
		t.Errorf("get attachment %+v %v", a, err)
	}
	cv, err := volumes.Get(ctx, cinder, data).Extract()
	if err != nil || len(cv.Attachments) != 1 || cv.Attachments[0].ServerID != sv.ID || cv.Attachments[0].ID != data {
		t.Errorf("cinder view of the attachment %+v %v", cv, err)
	}
	if err := volumeattach.Delete(ctx, nova, sv.ID, boot).ExtractErr(); errCode(err) != 400 {
		t.Errorf("detach root: %v", err)
	}
	if err := volumeattach.Delete(ctx, nova, sv.ID, data).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if seen := ts.waitVolume(data, "available"); seen[0] != "detaching" {
		t.Errorf("detach statuses %v", seen)
	}
	if _, err := volumeattach.Get(ctx, nova, sv.ID, data).Extract(); errCode(err) != 404 {
		t.Errorf("detached attachment: %v", err)
	}

	nova.Microversion = "2.26"
	if tl, err := tags.List(ctx, nova, sv.ID).Extract(); err != nil || len(tl) != 0 {
		t.Errorf("tags %v %v", tl, err)
	}
	nova.Microversion = ""
	if err := servers.Delete(ctx, nova, sv.ID).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	ts.waitServer(sv.ID, "")
	if _, err := servers.Get(ctx, nova, sv.ID).Extract(); errCode(err) != 404 {
		t.Errorf("deleted server: %v", err)
	}
	if v, _ := ts.Volume(boot); v.Status != "available" || len(v.Attachments) != 0 {
		t.Errorf("boot volume after delete %+v", v)
	}
}

// Flavors (list, show, extra specs), both services' availability zones,
// quotas and limits.
func TestGophercloudFlavorsZonesQuotasLimits(t *testing.T) {
	ts := newTestSite(t)
	id := ts.AddFlavor(Flavor{Name: "m1.tiny", RAM: 64, VCPUs: 1, ExtraSpecs: map[string]string{"hw:cpu_policy": "shared"}})
	ctx := context.Background()
	cinder, nova, _ := ts.services(ts.client("demo", "demo-password"))
	pages, err := flavors.ListDetail(nova, nil).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := flavors.ExtractFlavors(pages)
	if err != nil || len(all) != 1 || all[0].ID != id || all[0].Name != "m1.tiny" || all[0].RAM != 64 || all[0].Swap != 0 || !all[0].IsPublic {
		t.Errorf("flavors %+v %v", all, err)
	}
	private := ts.AddFlavor(Flavor{Name: "private", RAM: 128, VCPUs: 1, IsPrivate: true})
	_, aNova, _ := ts.services(ts.client("admin", "admin-password"))
	for _, c := range []struct {
		nova   *gophercloud.ServiceClient
		access flavors.AccessType
		want   []string
	}{
		{nova, flavors.AllAccess, []string{id}}, // a member sees the public ones only
		{aNova, flavors.PublicAccess, []string{id}},
		{aNova, flavors.PrivateAccess, []string{private}},
		{aNova, flavors.AllAccess, []string{id, private}},
	} {
		pages, err := flavors.ListDetail(c.nova, flavors.ListOpts{AccessType: c.access}).AllPages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		list, _ := flavors.ExtractFlavors(pages)
		var got []string
		for _, f := range list {
			got = append(got, f.ID)
		}
		sort.Strings(got)
		sort.Strings(c.want)
		if !slices.Equal(got, c.want) {
			t.Errorf("flavors with is_public=%s: %v, want %v", c.access, got, c.want)
		}
	}
	nova.Microversion = "2.61"
	f, err := flavors.Get(ctx, nova, id).Extract()
	if err != nil || f.ExtraSpecs["hw:cpu_policy"] != "shared" {
		t.Errorf("flavor at 2.61 %+v %v", f, err)
	}
	nova.Microversion = ""
	specs, err := flavors.ListExtraSpecs(ctx, nova, id).Extract()
	if err != nil || specs["hw:cpu_policy"] != "shared" {
		t.Errorf("extra specs %v %v", specs, err)
	}
	if _, err := flavors.Get(ctx, nova, "missing").Extract(); errCode(err) != 404 {
		t.Errorf("missing flavor: %v", err)
	}

	pages, err = computeazs.List(nova).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if zs, err := computeazs.ExtractAvailabilityZones(pages); err != nil || len(zs) != 1 || zs[0].ZoneName != "nova" || !zs[0].ZoneState.Available {
		t.Errorf("nova zones %+v %v", zs, err)
	}
	pages, err = blockazs.List(cinder).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if zs, err := blockazs.ExtractAvailabilityZones(pages); err != nil || len(zs) != 1 || zs[0].ZoneName != "nova" {
		t.Errorf("cinder zones %+v %v", zs, err)
	}

	if q, err := computequotas.Get(ctx, nova, ts.project).Extract(); err != nil || q.Instances != 10 || q.Cores != 20 {
		t.Errorf("nova quotas %+v %v", q, err)
	}
	if q, err := computequotas.GetDetail(ctx, nova, ts.project).Extract(); err != nil || q.Instances.InUse != 1 {
		t.Errorf("nova quota usage %+v %v", q, err)
	}
	if l, err := computelimits.Get(ctx, nova, nil).Extract(); err != nil || l.Absolute.MaxTotalInstances != 10 || l.Absolute.TotalInstancesUsed != 1 {
		t.Errorf("nova limits %+v %v", l, err)
	}
	if q, err := blockquotas.Get(ctx, cinder, ts.project).Extract(); err != nil || q.Volumes != 10 {
		t.Errorf("cinder quotas %+v %v", q, err)
	}
	if q, err := blockquotas.GetUsage(ctx, cinder, ts.project).Extract(); err != nil || q.Volumes.InUse != 7 {
		t.Errorf("cinder quota usage %+v %v", q, err)
	}
	if l, err := blocklimits.Get(ctx, cinder).Extract(); err != nil || l.Absolute.MaxTotalVolumes != 10 || l.Absolute.TotalVolumesUsed != 7 {
		t.Errorf("cinder limits %+v %v", l, err)
	}
	if r := ts.do("GET", "/compute/v2.1/os-quota-sets/other", ts.member(), nil); r.status != 403 {
		t.Errorf("other project's quotas: %d", r.status)
	}
}

// The image and network endpoints are in the catalog and answer as
// tools/openstack/py/stubs.py does: empty collections, missing objects.
func TestGophercloudEmptyImageAndNetwork(t *testing.T) {
	ts := newTestSite(t)
	ctx := context.Background()
	pc := ts.client("demo", "demo-password")
	eo := gophercloud.EndpointOpts{Region: "RegionOne"}
	img, err := openstack.NewImageV2(pc, eo)
	if err != nil {
		t.Fatal(err)
	}
	net, err := openstack.NewNetworkV2(pc, eo)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := images.List(img, nil).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if all, err := images.ExtractImages(pages); err != nil || len(all) != 0 {
		t.Errorf("images %v %v", all, err)
	}
	if _, err := images.Get(ctx, img, "x").Extract(); errCode(err) != 404 {
		t.Errorf("image get: %v", err)
	}
	pages, err = networks.List(net, nil).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if all, err := networks.ExtractNetworks(pages); err != nil || len(all) != 0 {
		t.Errorf("networks %v %v", all, err)
	}
	pages, err = ports.List(net, ports.ListOpts{DeviceID: "x"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if all, err := ports.ExtractPorts(pages); err != nil || len(all) != 0 {
		t.Errorf("ports %v %v", all, err)
	}
	if r := ts.do("GET", "/networking/", "", nil); r.status != 200 {
		t.Errorf("network versions %d %s", r.status, r.body)
	}
	if r := ts.do("DELETE", "/networking/v2.0/ports/p1", "", nil); r.status != 204 {
		t.Errorf("port delete %d", r.status)
	}
}
