package provider

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestAccProjectListings: the listings that answer a wave of member checks
// instead of each VM and volume (openstack's ProjectServers and
// ProjectVolumes) answer in both lanes as the reads of one server and one
// volume do: the fixture VMs with their volumes, the admin-only root device
// and host included when the admin credential lists (all projects narrowed
// to the main credential's project with all_tenants and project_id).
func TestAccProjectListings(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, admin := range []bool{false, true} {
		cfg := openstack.Config{Name: simulator.SiteA, Credentials: openstack.Credentials{Cloud: simulator.SiteA, CloudsYAMLPath: w.cloudsYAML}}
		if admin {
			cfg.Admin = &openstack.Credentials{Cloud: simulator.SiteA + "-admin", CloudsYAMLPath: w.cloudsYAML}
		}
		s, err := openstack.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		servers, err := s.ProjectServers(ctx)
		if err != nil {
			t.Fatalf("admin %v: %v", admin, err)
		}
		volumes, err := s.ProjectVolumes(ctx)
		if err != nil {
			t.Fatalf("admin %v: %v", admin, err)
		}
		for _, fx := range []accServer{w.fx.WebServer1, w.fx.WebServer2, w.fx.DBServer1} {
			i := slices.IndexFunc(servers, func(sv *openstack.Server) bool { return sv.ID == fx.ID })
			if i < 0 {
				t.Fatalf("admin %v: %s (%s) is not in the listing of %d servers", admin, fx.Name, fx.ID, len(servers))
			}
			listed := servers[i]
			read, err := s.Server(ctx, fx.ID)
			if err != nil {
				t.Fatal(err)
			}
			if listed.Name != read.Name || !sameElements(listed.VolumeIDs, read.VolumeIDs) || !sameElements(listed.VolumeIDs, fx.VolumeIDs) ||
				listed.RootDeviceVisible != read.RootDeviceVisible || listed.RootDeviceName != read.RootDeviceName || listed.Details == nil {
				t.Errorf("admin %v: %s listed as %+v, read as %+v", admin, fx.Name, listed, read)
			}
			for _, id := range fx.VolumeIDs {
				j := slices.IndexFunc(volumes, func(v openstack.Volume) bool { return v.ID == id })
				if j < 0 {
					t.Fatalf("admin %v: volume %s of %s is not in the listing of %d volumes", admin, id, fx.Name, len(volumes))
				}
				lv := volumes[j]
				rv, err := s.Volume(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if lv.VolumeType != rv.VolumeType || lv.HostVisible != rv.HostVisible || lv.Host != rv.Host || lv.GroupID != rv.GroupID ||
					len(lv.Attachments) != len(rv.Attachments) {
					t.Errorf("admin %v: volume %s listed as %+v, read as %+v", admin, id, lv, *rv)
				}
			}
			if admin && !listed.RootDeviceVisible {
				t.Errorf("the admin listing does not show the root device of %s", fx.Name)
			}
		}
	}
}
