package simulator

import (
	"context"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
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
