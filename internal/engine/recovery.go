package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// Recovery descriptions: what the secondary site needs to bring a member's
// VM up without the primary (its flavor, its block devices in boot order
// with the array volume names the Pure driver gave them, its zone, key
// pair, metadata, tags and networks). Read from Nova, Cinder and Neutron
// when the member is added and again by every repair, stored in the
// member's record (format 2). A VM changed since is member drift.

// RecoveryDescription is how to rebuild one member's VM.
type RecoveryDescription struct {
	Flavor           RecoveryFlavor
	BlockDevices     []RecoveryBlockDevice
	AvailabilityZone string
	KeyName          string
	Metadata         map[string]string
	Tags             []string
	// Ports are the VM's Neutron ports; NetworksNote says why there are
	// none ("no ports found", "the site has no network service").
	Ports        []RecoveryPort
	NetworksNote string
	ReadAt       time.Time
}

// RecoveryFlavor is the flavor the VM runs with (Nova's embedded copy).
type RecoveryFlavor struct {
	Name       string
	VCPUs      int
	RAM        int // MiB
	Disk       int // GiB
	ExtraSpecs map[string]string
}

// RecoveryBlockDevice is one volume of the VM. BootIndex is 0 for the
// boot volume and -1 for the others, as in Nova's block device mapping.
type RecoveryBlockDevice struct {
	BootIndex       int
	DeviceName      string
	VolumeID        string
	Size            int // GiB
	VolumeType      string
	ArrayVolumeName string
}

// RecoveryPort is one Neutron port of the VM.
type RecoveryPort struct {
	PortID         string
	NetworkID      string
	NetworkName    string
	FixedIPs       []string
	SecurityGroups []string
}

// Notes when a description has no ports.
const (
	noPortsFound     = "no ports found"
	noNetworkService = "the site has no network service (Neutron)"
)

// recoveryRecord is a RecoveryDescription as the metadata stores it.
type recoveryRecord struct {
	Flavor           flavorRecord        `json:"flavor"`
	BlockDevices     []blockDeviceRecord `json:"block_devices"`
	AvailabilityZone string              `json:"availability_zone,omitempty"`
	KeyName          string              `json:"key_name,omitempty"`
	Metadata         map[string]string   `json:"metadata,omitempty"`
	Tags             []string            `json:"tags,omitempty"`
	Ports            []portRecord        `json:"ports,omitempty"`
	NetworksNote     string              `json:"networks_note,omitempty"`
	ReadAt           time.Time           `json:"read_at"`
}

type flavorRecord struct {
	Name       string            `json:"name"`
	VCPUs      int               `json:"vcpus"`
	RAM        int               `json:"ram_mib"`
	Disk       int               `json:"disk_gib"`
	ExtraSpecs map[string]string `json:"extra_specs,omitempty"`
}

type blockDeviceRecord struct {
	BootIndex       int    `json:"boot_index"`
	DeviceName      string `json:"device_name"`
	VolumeID        string `json:"volume_id"`
	Size            int    `json:"size_gib"`
	VolumeType      string `json:"volume_type"`
	ArrayVolumeName string `json:"array_volume_name,omitempty"`
}

type portRecord struct {
	PortID         string   `json:"port_id"`
	NetworkID      string   `json:"network_id"`
	NetworkName    string   `json:"network_name,omitempty"`
	FixedIPs       []string `json:"fixed_ips,omitempty"`
	SecurityGroups []string `json:"security_groups,omitempty"`
}

// api is the engine's view of a stored description; nil for nil.
func (r *recoveryRecord) api() *RecoveryDescription {
	if r == nil {
		return nil
	}
	out := &RecoveryDescription{
		Flavor:           RecoveryFlavor{Name: r.Flavor.Name, VCPUs: r.Flavor.VCPUs, RAM: r.Flavor.RAM, Disk: r.Flavor.Disk, ExtraSpecs: maps.Clone(r.Flavor.ExtraSpecs)},
		AvailabilityZone: r.AvailabilityZone, KeyName: r.KeyName,
		Metadata: maps.Clone(r.Metadata), Tags: slices.Clone(r.Tags),
		NetworksNote: r.NetworksNote, ReadAt: r.ReadAt,
	}
	for _, b := range r.BlockDevices {
		out.BlockDevices = append(out.BlockDevices, RecoveryBlockDevice(b))
	}
	for _, p := range r.Ports {
		out.Ports = append(out.Ports, RecoveryPort{PortID: p.PortID, NetworkID: p.NetworkID, NetworkName: p.NetworkName,
			FixedIPs: slices.Clone(p.FixedIPs), SecurityGroups: slices.Clone(p.SecurityGroups)})
	}
	return out
}

// describeInstance reads what a recovery of the instance needs: the
// server at 2.47, its ports (when the site has Neutron) and, from the
// attachments and volumes already read, its block devices in boot order.
// server is the admin view when there is one (root device name).
func (e *Engine) describeInstance(ctx context.Context, s *openstack.Site, server *openstack.Server, attachments []openstack.VolumeAttachment, volumes []*openstack.Volume) (*recoveryRecord, error) {
	return e.describeInstanceWith(ctx, s, server, attachments, volumes, nil)
}

// instancePorts is what a batch of members read of Neutron at once: the
// ports of every instance of the batch and, when any has one, the
// networks (nil: each instance's ports are read on their own).
type instancePorts struct {
	ports    map[string][]openstack.Port
	networks []openstack.Network
	err      error // of the ports; nErr of the networks
	nErr     error
}

// readInstancePorts reads the ports of several instances in one listing,
// and the networks once.
func (e *Engine) readInstancePorts(ctx context.Context, s *openstack.Site, instanceIDs []string) *instancePorts {
	r := &instancePorts{}
	if r.ports, r.err = s.ServersPorts(ctx, instanceIDs); r.err == nil && len(r.ports) > 0 {
		r.networks, r.nErr = s.Networks(ctx)
	}
	return r
}

// describeInstanceWith is describeInstance with the instance's ports and
// the networks already read (net), or read here when net is nil.
func (e *Engine) describeInstanceWith(ctx context.Context, s *openstack.Site, server *openstack.Server, attachments []openstack.VolumeAttachment, volumes []*openstack.Volume, net *instancePorts) (*recoveryRecord, error) {
	var (
		details  *openstack.ServerDetails
		dErr     error
		ports    []openstack.Port
		pErr     error
		networks []openstack.Network
		nErr     error
	)
	parallel(
		func() {
			if details = server.Details; details == nil {
				details, dErr = s.ServerDetails(ctx, server.ID)
			}
		},
		func() {
			if net != nil {
				ports, pErr = net.ports[server.ID], net.err
				if len(ports) > 0 {
					networks, nErr = net.networks, net.nErr
				}
				return
			}
			if ports, pErr = s.ServerPorts(ctx, server.ID); pErr == nil && len(ports) > 0 {
				networks, nErr = s.Networks(ctx)
			}
		},
	)
	if dErr != nil {
		return nil, e.cloudError(s.Name(), "read instance "+server.ID, dErr)
	}
	r := &recoveryRecord{
		Flavor: flavorRecord{Name: details.Flavor.Name, VCPUs: details.Flavor.VCPUs, RAM: details.Flavor.RAM, Disk: details.Flavor.Disk,
			ExtraSpecs: emptyToNil(details.Flavor.ExtraSpecs)},
		AvailabilityZone: details.AvailabilityZone, KeyName: details.KeyName,
		Metadata: emptyToNil(details.Metadata), Tags: sortedTags(details.Tags),
		ReadAt: e.now().UTC(),
	}
	r.BlockDevices = blockDevices(server, attachments, volumes)
	switch {
	case errors.Is(pErr, openstack.ErrNoNetworkService):
		r.NetworksNote = noNetworkService
	case pErr != nil:
		return nil, e.cloudError(s.Name(), "list the ports of instance "+server.ID, pErr)
	case nErr != nil && !errors.Is(nErr, openstack.ErrNoNetworkService):
		return nil, e.cloudError(s.Name(), "list networks", nErr)
	case len(ports) == 0:
		r.NetworksNote = noPortsFound
	}
	names := map[string]string{}
	for _, n := range networks {
		names[n.ID] = n.Name
	}
	for _, p := range ports {
		r.Ports = append(r.Ports, portRecord{PortID: p.ID, NetworkID: p.NetworkID, NetworkName: names[p.NetworkID],
			FixedIPs: p.FixedIPs, SecurityGroups: sortedTags(p.SecurityGroups)})
	}
	return r, nil
}

// blockDevices orders an instance's volumes as a recovery attaches them:
// the boot volume first (the root device when visible, else the bootable
// volume on the lowest device), then the others by device name.
func blockDevices(server *openstack.Server, attachments []openstack.VolumeAttachment, volumes []*openstack.Volume) []blockDeviceRecord {
	byID := map[string]*openstack.Volume{}
	for _, v := range volumes {
		byID[v.ID] = v
	}
	atts := slices.Clone(attachments)
	sort.SliceStable(atts, func(i, j int) bool { return atts[i].Device < atts[j].Device })
	boot := -1
	for i, a := range atts {
		if server.RootDeviceVisible && a.Device == server.RootDeviceName {
			boot = i
			break
		}
		if v := byID[a.VolumeID]; boot < 0 && !server.RootDeviceVisible && v != nil && v.Bootable {
			boot = i
		}
	}
	if boot > 0 {
		atts = append([]openstack.VolumeAttachment{atts[boot]}, slices.Delete(atts, boot, boot+1)...)
	}
	out := make([]blockDeviceRecord, 0, len(atts))
	for i, a := range atts {
		b := blockDeviceRecord{BootIndex: -1, DeviceName: a.Device, VolumeID: a.VolumeID}
		if i == 0 && boot >= 0 {
			b.BootIndex = 0
		}
		if v := byID[a.VolumeID]; v != nil {
			b.Size, b.VolumeType, b.ArrayVolumeName = v.Size, v.VolumeType, arrayVolumeName(v)
		}
		out = append(out, b)
	}
	return out
}

func emptyToNil(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func sortedTags(tags []string) []string {
	if len(tags) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(tags))
}

// recoveryDrift says what of a member's VM changed since its description
// was recorded, from the server listing and the consistency group's
// volumes; an apply records the new description. A member recorded
// before descriptions existed has one recorded by the next apply.
func recoveryDrift(m *Member, now *openstack.ServerDetails, inGroup map[string]*openstack.Volume) []string {
	if now == nil {
		return nil
	}
	rec := m.Recovery
	if rec == nil {
		return []string{fmt.Sprintf("instance %s (%s) has no recovery description in the metadata (written before format %d): apply records it", m.InstanceName, m.InstanceID, formatVersion)}
	}
	var out []string
	add := func(what string, from, to any) {
		out = append(out, fmt.Sprintf("%s of instance %s changed from %v to %v: apply records the new recovery description", what, m.InstanceName, from, to))
	}
	f := now.Flavor
	if f.Name != rec.Flavor.Name {
		add("the flavor", fmt.Sprintf("%s (%d vCPUs, %d MiB RAM, %d GiB disk)", rec.Flavor.Name, rec.Flavor.VCPUs, rec.Flavor.RAM, rec.Flavor.Disk),
			fmt.Sprintf("%s (%d vCPUs, %d MiB RAM, %d GiB disk), resized", f.Name, f.VCPUs, f.RAM, f.Disk))
	} else if f.VCPUs != rec.Flavor.VCPUs || f.RAM != rec.Flavor.RAM || f.Disk != rec.Flavor.Disk || !maps.Equal(emptyToNil(f.ExtraSpecs), rec.Flavor.ExtraSpecs) {
		add("flavor "+f.Name, fmt.Sprintf("%d vCPUs, %d MiB RAM, %d GiB disk, extra specs %v", rec.Flavor.VCPUs, rec.Flavor.RAM, rec.Flavor.Disk, rec.Flavor.ExtraSpecs),
			fmt.Sprintf("%d vCPUs, %d MiB RAM, %d GiB disk, extra specs %v", f.VCPUs, f.RAM, f.Disk, emptyToNil(f.ExtraSpecs)))
	}
	if now.AvailabilityZone != rec.AvailabilityZone {
		add("the availability zone", quoted(rec.AvailabilityZone), quoted(now.AvailabilityZone))
	}
	if now.KeyName != rec.KeyName {
		add("the key pair", quoted(rec.KeyName), quoted(now.KeyName))
	}
	if !maps.Equal(emptyToNil(now.Metadata), rec.Metadata) {
		add("the server metadata", fmtMap(rec.Metadata), fmtMap(now.Metadata))
	}
	if tags := sortedTags(now.Tags); !slices.Equal(tags, rec.Tags) {
		add("the tags", "["+strings.Join(rec.Tags, ", ")+"]", "["+strings.Join(tags, ", ")+"]")
	}
	for _, b := range rec.BlockDevices {
		if !slices.Contains(now.VolumeIDs, b.VolumeID) {
			out = append(out, fmt.Sprintf("volume %s (%s) was detached from instance %s: apply records the new recovery description", b.VolumeID, b.DeviceName, m.InstanceName))
			continue
		}
		v := inGroup[b.VolumeID]
		if v == nil {
			continue
		}
		if v.Size != b.Size {
			add(fmt.Sprintf("the size of volume %s (%s)", b.VolumeID, b.DeviceName), fmt.Sprintf("%d GiB", b.Size), fmt.Sprintf("%d GiB", v.Size))
		}
		// Cinder's attachment says where the volume is attached now: a
		// recovery attaches it at the recorded device, in boot order.
		for _, a := range v.Attachments {
			if a.ServerID == m.InstanceID && a.Device != "" && a.Device != b.DeviceName {
				add(fmt.Sprintf("the device name of volume %s", b.VolumeID), quoted(b.DeviceName), quoted(a.Device))
			}
		}
	}
	return out
}

// portDrift says how the Neutron ports of a member's VM (now, from the
// project's port listing) differ from those its recovery description
// records: a port added or removed, or its network, fixed IPs or security
// groups changed. A member recorded before descriptions existed is
// reported by recoveryDrift.
func portDrift(m *Member, now []openstack.Port) []string {
	rec := m.Recovery
	if rec == nil {
		return nil
	}
	var out []string
	recorded := map[string]RecoveryPort{}
	for _, p := range rec.Ports {
		recorded[p.PortID] = p
	}
	current := map[string]openstack.Port{}
	for _, p := range now {
		current[p.ID] = p
	}
	list := func(s []string) string { return "[" + strings.Join(sortedTags(s), ", ") + "]" }
	for _, id := range slices.Sorted(maps.Keys(recorded)) {
		r := recorded[id]
		net := r.NetworkName
		if net == "" {
			net = r.NetworkID
		}
		p, ok := current[id]
		if !ok {
			out = append(out, fmt.Sprintf("port %s on network %s (fixed IPs %s) was removed from instance %s: apply records the new recovery description",
				id, net, list(r.FixedIPs), m.InstanceName))
			continue
		}
		change := func(what string, from, to any) {
			out = append(out, fmt.Sprintf("the %s of port %s of instance %s changed from %v to %v: apply records the new recovery description", what, id, m.InstanceName, from, to))
		}
		if p.NetworkID != r.NetworkID {
			change("network", r.NetworkID, p.NetworkID)
		}
		if !slices.Equal(sortedTags(p.FixedIPs), sortedTags(r.FixedIPs)) {
			change("fixed IPs", list(r.FixedIPs), list(p.FixedIPs))
		}
		if !slices.Equal(sortedTags(p.SecurityGroups), sortedTags(r.SecurityGroups)) {
			change("security groups", list(r.SecurityGroups), list(p.SecurityGroups))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(current)) {
		if _, ok := recorded[id]; ok {
			continue
		}
		p := current[id]
		out = append(out, fmt.Sprintf("port %s on network %s (fixed IPs %s) was added to instance %s: apply records the new recovery description",
			id, p.NetworkID, list(p.FixedIPs), m.InstanceName))
	}
	return out
}

func quoted(s string) string {
	if s == "" {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}

func fmtMap(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
