package openstack

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// Manage-existing with the admin credential: the volume is "managing",
// then "available" with the size and metadata the backend gave; a bad
// reference ends in "error_managing", which WaitForVolume reports; a
// member's token is refused (ErrForbidden); a backend that is down is
// refused before anything is made. DeleteVolume then removes it.
func TestManageVolume(t *testing.T) {
	sim := startSim(t)
	sim.AddVolumeService(openstacksim.VolumeService{Host: "pure@backend-a", BackendName: "pure", Pools: []string{"pool-a"}})
	objects := map[string]int{"drill-1-vol": 10 << 30}
	sim.SetBackend(openstacksim.Backend{Host: backendA,
		OnVolumeManage: func(v openstacksim.Volume, ref map[string]any) (int, map[string]string, error) {
			name, _ := ref["name"].(string)
			size, ok := objects[name]
			if !ok {
				return 0, nil, fmt.Errorf("unable to find Purity ref with name=%s", name)
			}
			delete(objects, name)
			return size >> 30, map[string]string{"array_volume_name": "volume-" + v.ID + "-cinder"}, nil
		}})
	ctx := testCtx(t)
	cfg := sim.testConfig()
	cfg.Admin = sim.adminCreds()
	site := newSite(t, cfg)

	opts := ManageVolumeOpts{Host: backendA, Ref: map[string]string{"name": "drill-1-vol"}, Name: "drill-1 web-1-boot",
		VolumeType: "replicated-ssd", Bootable: true}
	v, err := site.ManageVolume(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "managing" || v.ID == "" {
		t.Fatalf("managed volume at first = %+v, want managing", v)
	}
	got, err := site.WaitForVolume(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != 10 || !got.Bootable || got.VolumeType != "replicated-ssd" || got.Metadata["array_volume_name"] != "volume-"+v.ID+"-cinder" ||
		got.Host != backendA || got.Name != "drill-1 web-1-boot" {
		t.Fatalf("managed volume = %+v", got)
	}

	bad, err := site.ManageVolume(ctx, ManageVolumeOpts{Host: backendA, Ref: map[string]string{"name": "no-such"}, VolumeType: "replicated-ssd"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.WaitForVolume(ctx, bad.ID); err == nil || !strings.Contains(err.Error(), `"error_managing"`) {
		t.Fatalf("waiting for a bad reference: %v, want error_managing", err)
	}

	member := newSite(t, sim.testConfig())
	if _, err := member.ManageVolume(ctx, opts); !errors.Is(err, ErrForbidden) {
		t.Fatalf("manage as a member: %v, want ErrForbidden", err)
	}
	sim.SetVolumeServiceDown("pure@backend-a", true)
	if _, err := site.ManageVolume(ctx, opts); err == nil || !strings.Contains(err.Error(), "Service is unavailable") {
		t.Fatalf("manage on a backend that is down: %v", err)
	}

	if err := site.DeleteVolume(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := site.WaitForVolume(ctx, v.ID, VolumeStatusDeleted); err != nil {
		t.Fatal(err)
	}
	if _, err := site.Volume(ctx, v.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted volume read: %v, want not found", err)
	}
}
