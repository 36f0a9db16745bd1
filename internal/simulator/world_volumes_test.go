package simulator

import (
	"context"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/manageablevolumes"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
)

// A volume created through Cinder gets its array volume from the Pure
// driver, named as the seeded ones (in cinder-pod for a sync type), on the
// site's own array; deleting it destroys the array volume.
func TestWorldVolumeCreateAndDeleteOnTheArray(t *testing.T) {
	w := startWorld(t)
	ctx := context.Background()
	for _, tc := range []struct {
		site, array, typ string
		sync             bool
	}{
		{SiteA, ArrayA, TypeReplicatedSSD, false},
		{SiteB, ArrayB, TypeReplicatedSync, true},
	} {
		site, arr := w.Site(tc.site), w.Array(tc.array)
		pc, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
			IdentityEndpoint: site.AuthURL(), Username: DemoUser, Password: DemoPassword, DomainName: "Default", TenantName: Project,
		})
		if err != nil {
			t.Fatal(err)
		}
		cinder, err := openstack.NewBlockStorageV3(pc, gophercloud.EndpointOpts{Region: Region})
		if err != nil {
			t.Fatal(err)
		}
		v, err := volumes.Create(ctx, cinder, volumes.CreateOpts{Name: "new", Size: 3, VolumeType: tc.typ}, nil).Extract()
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "volume available", func() bool { got, _ := site.Volume(v.ID); return got.Status == "available" })
		name := ArrayVolumeName(v.ID, tc.sync)
		got, _ := site.Volume(v.ID)
		if got.Metadata["array_volume_name"] != name || got.Metadata["array_name"] != tc.array || got.Host != site.Volumes()[0].Host {
			t.Errorf("%s: volume %+v, want array volume %s", tc.site, got, name)
		}
		av, ok := arr.Volume(name)
		if !ok || av.Provisioned != 3<<30 || av.Destroyed {
			t.Errorf("%s: array volume %s: %+v %v", tc.site, name, av, ok)
		}
		if err := volumes.Delete(ctx, cinder, v.ID, nil).ExtractErr(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "volume deleted", func() bool { _, ok := site.Volume(v.ID); return !ok })
		if av, ok := arr.Volume(name); !ok || !av.Destroyed {
			t.Errorf("%s: array volume after delete %+v %v", tc.site, av, ok)
		}
	}
}

// Manage-existing on site-b as the Pure driver does it: an array volume
// copied on flasharray-b is taken over by Cinder, renamed
// volume-<id>-cinder on the array, its size rounded up to GiB; a sync
// type, a pod volume and a name the array lacks end in error_managing and
// leave the array volume alone.
func TestWorldManageExistingRenamesOnTheArray(t *testing.T) {
	w := startWorld(t)
	ctx := context.Background()
	site, arr := w.Site(SiteB), w.Array(ArrayB)
	arr.AddVolume("drill-1-web-1-boot", 5<<30-1<<20)
	pc, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: site.AuthURL(), Username: AdminUser, Password: AdminPassword, DomainName: "Default", TenantName: Project,
	})
	if err != nil {
		t.Fatal(err)
	}
	cinder, err := openstack.NewBlockStorageV3(pc, gophercloud.EndpointOpts{Region: Region})
	if err != nil {
		t.Fatal(err)
	}
	manage := func(name, typ string) string {
		t.Helper()
		v, err := manageablevolumes.ManageExisting(ctx, cinder, manageablevolumes.ManageExistingOpts{
			Host: HostB, Ref: map[string]string{"name": name}, VolumeType: typ, Name: "drill " + name,
		}).Extract()
		if err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	id := manage("drill-1-web-1-boot", TypeReplicatedSSD)
	waitFor(t, "volume managed", func() bool { got, _ := site.Volume(id); return got.Status == "available" })
	got, _ := site.Volume(id)
	want := ArrayVolumeName(id, false)
	if got.Size != 5 || got.Metadata["array_volume_name"] != want || got.Metadata["array_name"] != ArrayB {
		t.Fatalf("managed volume = %+v, want 5 GiB on %s", got, want)
	}
	if _, ok := arr.Volume("drill-1-web-1-boot"); ok {
		t.Fatal("the array volume kept its old name")
	}
	if av, ok := arr.Volume(want); !ok || av.Provisioned != 5<<30-1<<20 {
		t.Fatalf("renamed array volume = %+v, %v", av, ok)
	}

	arr.AddVolume("drill-1-other", 1<<30)
	arr.AddVolume(CinderPod+"::drill-1-pod", 1<<30)
	for _, c := range []struct{ name, typ string }{
		{"drill-1-other", TypeReplicatedSync},
		{CinderPod + "::drill-1-pod", TypeReplicatedSSD},
		{"no-such-volume", TypeReplicatedSSD},
	} {
		id := manage(c.name, c.typ)
		waitFor(t, "volume refused", func() bool { got, _ := site.Volume(id); return got.Status == "error_managing" })
	}
	if _, ok := arr.Volume("drill-1-other"); !ok {
		t.Fatal("a refused manage renamed the array volume")
	}
}
