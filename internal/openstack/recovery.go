package openstack

import (
	"context"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/schedulerstats"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
)

// Reads a recovery needs of the site it recovers to (flavors, quotas, the
// volume backend) and of the site it recovers from (each VM's flavor).

// flavorMicroversion: 2.47 embeds the flavor in the server view (its
// original_name, vcpus, ram, disk) instead of a link to a flavor id that
// may since have been deleted.
const flavorMicroversion = "2.47"

// Flavor is a Nova flavor as a recovery needs it. ExtraSpecs are the
// embedded flavor's (2.47+; a server's view shows them to users the
// policy os_compute_api:os-flavor-extra-specs:index lets see them);
// Flavors leaves them empty.
type Flavor struct {
	// ID is the flavor's id on its site (Flavors fills it; a server's
	// embedded flavor has none).
	ID         string
	Name       string
	VCPUs      int
	RAM        int // MiB
	Disk       int // GiB
	ExtraSpecs map[string]string
}

// ServerDetails is a server as a recovery needs to rebuild it, from the
// server view at 2.47 (embedded flavor; tags from 2.26).
type ServerDetails struct {
	ID               string
	Name             string
	Flavor           Flavor
	AvailabilityZone string
	KeyName          string
	Metadata         map[string]string
	Tags             []string
	// VolumeIDs are os-extended-volumes:volumes_attached, in Nova's order.
	VolumeIDs []string
}

// serverView is the JSON of a server at flavorMicroversion.
type serverView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Flavor struct {
		OriginalName string            `json:"original_name"`
		VCPUs        int               `json:"vcpus"`
		RAM          int               `json:"ram"`
		Disk         int               `json:"disk"`
		ExtraSpecs   map[string]string `json:"extra_specs"`
	} `json:"flavor"`
	AvailabilityZone string            `json:"OS-EXT-AZ:availability_zone"`
	KeyName          *string           `json:"key_name"`
	Metadata         map[string]string `json:"metadata"`
	Tags             []string          `json:"tags"`
	Attached         []struct {
		ID string `json:"id"`
	} `json:"os-extended-volumes:volumes_attached"`
}

func (v *serverView) details() *ServerDetails {
	out := &ServerDetails{ID: v.ID, Name: v.Name, AvailabilityZone: v.AvailabilityZone, Metadata: v.Metadata, Tags: v.Tags,
		Flavor: Flavor{Name: v.Flavor.OriginalName, VCPUs: v.Flavor.VCPUs, RAM: v.Flavor.RAM, Disk: v.Flavor.Disk, ExtraSpecs: v.Flavor.ExtraSpecs}}
	if v.KeyName != nil {
		out.KeyName = *v.KeyName
	}
	for _, a := range v.Attached {
		out.VolumeIDs = append(out.VolumeIDs, a.ID)
	}
	return out
}

// ServerDetails reads a server at 2.47 with the main credential, whose
// project owns the VM. ErrNotFound when the server does not exist.
func (s *Site) ServerDetails(ctx context.Context, id string) (*ServerDetails, error) {
	sc, err := s.main.serviceClient(ctx, serviceCompute)
	if err != nil {
		return nil, err
	}
	c := *sc
	c.Microversion = flavorMicroversion
	// ExtractInto unwraps "server".
	var v serverView
	if err := servers.Get(ctx, &c, id).ExtractInto(&v); err != nil {
		return nil, s.wrap("read server "+id, err)
	}
	return v.details(), nil
}

// ServersDetails lists the project's servers at 2.47, following Nova's
// pages: one request answers, for many VMs, whether each still exists,
// which volumes it has and what a recovery would rebuild.
func (s *Site) ServersDetails(ctx context.Context) (map[string]*ServerDetails, error) {
	sc, err := s.main.serviceClient(ctx, serviceCompute)
	if err != nil {
		return nil, err
	}
	c := *sc
	c.Microversion = flavorMicroversion
	type page struct {
		Servers []serverView       `json:"servers"`
		Links   []gophercloud.Link `json:"servers_links"`
	}
	out := map[string]*ServerDetails{}
	err = listPages(ctx, &c, c.ServiceURL("servers", "detail"), func(p *page) []gophercloud.Link {
		for i := range p.Servers {
			out[p.Servers[i].ID] = p.Servers[i].details()
		}
		return p.Links
	})
	if err != nil {
		return nil, s.wrap("list servers", err)
	}
	return out, nil
}

// ServerFlavor reads the flavor a server was booted with (the embedded
// copy of 2.47+), with the main credential, whose project owns the VM.
// ErrNotFound when the server does not exist.
func (s *Site) ServerFlavor(ctx context.Context, id string) (*Flavor, error) {
	d, err := s.ServerDetails(ctx, id)
	if err != nil {
		return nil, err
	}
	return &d.Flavor, nil
}

// Flavors lists the flavors the main credential's project may boot: the
// public ones and the private ones it was given access to.
func (s *Site) Flavors(ctx context.Context) ([]Flavor, error) {
	sc, err := s.main.serviceClient(ctx, serviceCompute)
	if err != nil {
		return nil, err
	}
	pages, err := flavors.ListDetail(sc, flavors.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, s.wrap("list flavors", err)
	}
	list, err := flavors.ExtractFlavors(pages)
	if err != nil {
		return nil, s.wrap("list flavors", err)
	}
	out := make([]Flavor, 0, len(list))
	for _, f := range list {
		out = append(out, Flavor{ID: f.ID, Name: f.Name, VCPUs: f.VCPUs, RAM: f.RAM, Disk: f.Disk})
	}
	return out, nil
}

// Limits are a project's absolute quotas and what it uses of them, from
// Nova's and Cinder's GET /limits (any member may read its own project's).
// A negative maximum is unlimited.
type Limits struct {
	MaxInstances, UsedInstances int
	MaxCores, UsedCores         int
	MaxRAM, UsedRAM             int // MiB
	MaxVolumes, UsedVolumes     int
	MaxGigabytes, UsedGigabytes int
}

// ProjectLimits reads the main credential's project's quotas and usage
// from Nova and Cinder.
func (s *Site) ProjectLimits(ctx context.Context) (*Limits, error) {
	sc, err := s.main.serviceClient(ctx, serviceCompute)
	if err != nil {
		return nil, err
	}
	var nova struct {
		Limits struct {
			Absolute struct {
				MaxTotalInstances  int `json:"maxTotalInstances"`
				TotalInstancesUsed int `json:"totalInstancesUsed"`
				MaxTotalCores      int `json:"maxTotalCores"`
				TotalCoresUsed     int `json:"totalCoresUsed"`
				MaxTotalRAMSize    int `json:"maxTotalRAMSize"`
				TotalRAMUsed       int `json:"totalRAMUsed"`
			} `json:"absolute"`
		} `json:"limits"`
	}
	if _, err := sc.Get(ctx, sc.ServiceURL("limits"), &nova, nil); err != nil {
		return nil, s.wrap("read the compute limits", err)
	}
	vc, err := s.main.volumeClient(ctx)
	if err != nil {
		return nil, err
	}
	var cinder struct {
		Limits struct {
			Absolute struct {
				MaxTotalVolumes         int `json:"maxTotalVolumes"`
				TotalVolumesUsed        int `json:"totalVolumesUsed"`
				MaxTotalVolumeGigabytes int `json:"maxTotalVolumeGigabytes"`
				TotalGigabytesUsed      int `json:"totalGigabytesUsed"`
			} `json:"absolute"`
		} `json:"limits"`
	}
	if _, err := vc.Get(ctx, vc.ServiceURL("limits"), &cinder, nil); err != nil {
		return nil, s.wrap("read the volume limits", err)
	}
	n, c := nova.Limits.Absolute, cinder.Limits.Absolute
	return &Limits{
		MaxInstances: n.MaxTotalInstances, UsedInstances: n.TotalInstancesUsed,
		MaxCores: n.MaxTotalCores, UsedCores: n.TotalCoresUsed,
		MaxRAM: n.MaxTotalRAMSize, UsedRAM: n.TotalRAMUsed,
		MaxVolumes: c.MaxTotalVolumes, UsedVolumes: c.TotalVolumesUsed,
		MaxGigabytes: c.MaxTotalVolumeGigabytes, UsedGigabytes: c.TotalGigabytesUsed,
	}, nil
}

// Pool is a storage pool the Cinder scheduler reports: its name
// (host@backend#pool) and the backend's volume_backend_name.
type Pool struct {
	Name        string
	BackendName string
}

// BackendPools lists the pools the Cinder scheduler can place volumes on
// (GET /scheduler-stats/get_pools?detail=true), with the admin credential
// when configured: the call is admin-only. The scheduler reports only the
// pools of volume services that are up and enabled.
func (s *Site) BackendPools(ctx context.Context) ([]Pool, error) {
	c, err := s.reader().volumeClient(ctx)
	if err != nil {
		return nil, err
	}
	pages, err := schedulerstats.List(c, schedulerstats.ListOpts{Detail: true}).AllPages(ctx)
	if err != nil {
		return nil, s.wrap("list the scheduler's storage pools", err)
	}
	list, err := schedulerstats.ExtractStoragePools(pages)
	if err != nil {
		return nil, s.wrap("list the scheduler's storage pools", err)
	}
	out := make([]Pool, 0, len(list))
	for _, p := range list {
		out = append(out, Pool{Name: p.Name, BackendName: p.Capabilities.VolumeBackendName})
	}
	return out, nil
}
