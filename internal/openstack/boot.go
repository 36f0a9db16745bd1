package openstack

import (
	"context"
	"fmt"
	"slices"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
)

// bootMicroversion: 2.37 lets a server have no network ("networks":
// "none"), which is how a drill keeps its VMs isolated.
const bootMicroversion = "2.37"

// Server statuses this package waits on.
const (
	ServerStatusActive  = "ACTIVE"
	ServerStatusError   = "ERROR"
	ServerStatusDeleted = "DELETED" // gone: only a wait target
)

// BootVolume is one volume of a server booted from volumes, in the block
// device mapping's terms: boot index 0 is the root disk, -1 a data disk.
type BootVolume struct {
	VolumeID   string
	BootIndex  int
	DeviceName string
}

// BootOpts describes a server booted from existing volumes.
type BootOpts struct {
	Name             string
	FlavorID         string
	AvailabilityZone string
	Metadata         map[string]string
	Volumes          []BootVolume
	// NetworkIDs the server gets a port on; none: no network at all.
	NetworkIDs []string
}

// bootOpts adds block_device_mapping_v2 to gophercloud's create options:
// gophercloud's BlockDevice has no device_name, which keeps each volume
// where the protected VM had it.
type bootOpts struct {
	servers.CreateOpts
	volumes []BootVolume
}

func (o bootOpts) ToServerCreateMap() (map[string]any, error) {
	m, err := o.CreateOpts.ToServerCreateMap()
	if err != nil {
		return nil, err
	}
	var bdms []map[string]any
	for _, v := range o.volumes {
		bdm := map[string]any{
			"uuid": v.VolumeID, "source_type": "volume", "destination_type": "volume",
			"boot_index": v.BootIndex, "delete_on_termination": false,
		}
		if v.DeviceName != "" {
			bdm["device_name"] = v.DeviceName
		}
		bdms = append(bdms, bdm)
	}
	server, ok := m["server"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("boot %s: gophercloud built no server body", o.Name)
	}
	server["block_device_mapping_v2"] = bdms
	return m, nil
}

// BootServer boots a server from existing volumes with the main
// credential (the volumes stay when the server is deleted). The server it
// returns is BUILD; wait for it with WaitForServer.
func (s *Site) BootServer(ctx context.Context, opts BootOpts) (*Server, error) {
	sc, err := s.main.serviceClient(ctx, serviceCompute)
	if err != nil {
		return nil, err
	}
	c := *sc
	c.Microversion = bootMicroversion
	create := servers.CreateOpts{
		Name: opts.Name, FlavorRef: opts.FlavorID, AvailabilityZone: opts.AvailabilityZone, Metadata: opts.Metadata,
		Networks: "none",
	}
	if len(opts.NetworkIDs) > 0 {
		var nets []servers.Network
		for _, id := range opts.NetworkIDs {
			nets = append(nets, servers.Network{UUID: id})
		}
		create.Networks = nets
	}
	created, err := servers.Create(ctx, &c, bootOpts{CreateOpts: create, volumes: opts.Volumes}, nil).Extract()
	if err != nil {
		return nil, s.wrap("boot server "+opts.Name, err)
	}
	return &Server{ID: created.ID, Name: opts.Name, Status: "BUILD"}, nil
}

// DeleteServer deletes a server; one already gone is not an error.
func (s *Site) DeleteServer(ctx context.Context, id string) error {
	sc, err := s.main.serviceClient(ctx, serviceCompute)
	if err != nil {
		return err
	}
	if err := servers.Delete(ctx, sc, id).ExtractErr(); err != nil && !isNotFound(err) {
		return s.wrap("delete server "+id, err)
	}
	return nil
}

// WaitForServer polls a server until its status is one of target (default
// ACTIVE; ServerStatusDeleted waits until it is gone), failing at once on
// ERROR when that is not a target.
func (s *Site) WaitForServer(ctx context.Context, id string, target ...string) (*Server, error) {
	if len(target) == 0 {
		target = []string{ServerStatusActive}
	}
	op := fmt.Sprintf("wait for server %s to be %v", id, target)
	sv, gone, err := waitForStatus(ctx, s, op, func() (*Server, string, error) {
		sv, err := s.Server(ctx, id)
		if err != nil {
			return nil, "", err
		}
		return sv, sv.Status, nil
	}, target, ServerStatusError)
	if gone && slices.Contains(target, ServerStatusDeleted) {
		return nil, nil
	}
	return sv, err
}
