package openstacksim

import (
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Nova calls that build and tear down a boot-from-volume server without
// networks, as terraform-provider-openstack's openstack_compute_instance_v2
// and openstack_compute_volume_attach_v2 make them: server create
// (block_device_mapping_v2, networks "none"), volume attach and detach,
// flavors and their extra specs, availability zones, quotas, limits, tags.

// Flavor is a Nova flavor.
type Flavor struct {
	ID, Name         string
	RAM, VCPUs, Disk int
	Description      string
	IsPrivate        bool
	ExtraSpecs       map[string]string
	Ephemeral, Swap  int
}

// fallbackFlavor is what a server added without a flavor (the seeded
// fixtures) shows.
var fallbackFlavor = Flavor{ID: "2", Name: "m1.small", RAM: 512, VCPUs: 1}

// novaQuotaLimits are Nova's default quotas (nova/conf/quota.py).
var novaQuotaLimits = map[string]int{
	"instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "key_pairs": 100,
	"server_groups": 10, "server_group_members": 10, "injected_files": 5,
	"injected_file_content_bytes": 10240, "injected_file_path_bytes": 255,
}

// SetComputeQuota sets one of Nova's quotas (instances, cores, ram, ...)
// of every project, as `openstack quota set --instances N` would.
func (s *Site) SetComputeQuota(name string, limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.ComputeQuotas[name] = limit
}

// novaQuotaLimitsBefore236 are the network quotas proxied until 2.35.
var novaQuotaLimitsBefore236 = map[string]int{
	"fixed_ips": -1, "floating_ips": 10, "security_groups": 10, "security_group_rules": 20, "networks": -1,
}

func (s *Site) routeNovaBuild(n *novaRequest, p []string) bool {
	m := n.r.Method
	switch {
	case len(p) == 1 && p[0] == "servers" && m == http.MethodPost:
		s.createServer(n)
	case len(p) == 3 && p[0] == "servers" && p[2] == "os-volume_attachments" && m == http.MethodPost:
		s.attachVolume(n, p[1])
	case len(p) == 4 && p[0] == "servers" && p[2] == "os-volume_attachments" && m == http.MethodDelete:
		s.detachVolume(n, p[1], p[3])
	case len(p) == 3 && p[0] == "servers" && p[2] == "tags" && m == http.MethodGet:
		s.serverTags(n, p[1])
	case len(p) == 1 && p[0] == "flavors" && m == http.MethodGet:
		s.listFlavors(n, false)
	case len(p) == 2 && p[0] == "flavors" && p[1] == "detail" && m == http.MethodGet:
		s.listFlavors(n, true)
	case len(p) == 2 && p[0] == "flavors" && m == http.MethodGet:
		s.showFlavor(n, p[1])
	case len(p) == 3 && p[0] == "flavors" && p[2] == "os-extra_specs" && m == http.MethodGet:
		s.flavorExtraSpecs(n, p[1], "")
	case len(p) == 4 && p[0] == "flavors" && p[2] == "os-extra_specs" && m == http.MethodGet:
		s.flavorExtraSpecs(n, p[1], p[3])
	case len(p) == 1 && p[0] == "os-availability-zone" && m == http.MethodGet:
		writeJSON(n.w, 200, map[string]any{"availabilityZoneInfo": []any{
			map[string]any{"zoneName": defaultAZ, "zoneState": map[string]any{"available": true}, "hosts": nil},
		}})
	case len(p) == 2 && p[0] == "os-availability-zone" && p[1] == "detail" && m == http.MethodGet:
		s.novaAZDetail(n)
	case len(p) == 2 && p[0] == "os-quota-sets" && m == http.MethodGet:
		s.novaQuotas(n, p[1], false)
	case len(p) == 3 && p[0] == "os-quota-sets" && p[2] == "detail" && m == http.MethodGet:
		s.novaQuotas(n, p[1], true)
	case len(p) == 1 && p[0] == "limits" && m == http.MethodGet:
		s.novaLimits(n)
	default:
		return false
	}
	return true
}

// AddFlavor adds a public flavor (ID generated when empty).
func (s *Site) AddFlavor(f Flavor) (id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nf := f
	if nf.ID == "" {
		nf.ID = newUUID()
	}
	nf.ExtraSpecs = cloneMap(f.ExtraSpecs)
	s.st.Flavors[nf.ID] = &nf
	return nf.ID
}

// ---- servers

type blockDeviceMapping struct {
	UUID                string `json:"uuid"`
	SourceType          string `json:"source_type"`
	DestinationType     string `json:"destination_type"`
	BootIndex           *int   `json:"boot_index"`
	DeleteOnTermination bool   `json:"delete_on_termination"`
	DeviceName          string `json:"device_name"`
}

// createServer is POST /servers for a server booted from an existing
// volume: 202, BUILD while the volumes are attached, then ACTIVE with them
// in-use. There is no network service with anything in it, so networks
// must be "none" (2.37+); "auto" fails as Nova does when it cannot
// allocate a network, and named networks are not found.
func (s *Site) createServer(n *novaRequest) {
	var body struct {
		Server *struct {
			Name             string               `json:"name"`
			FlavorRef        string               `json:"flavorRef"`
			ImageRef         string               `json:"imageRef"`
			Networks         any                  `json:"networks"`
			AvailabilityZone string               `json:"availability_zone"`
			Metadata         map[string]string    `json:"metadata"`
			BDMs             []blockDeviceMapping `json:"block_device_mapping_v2"`
		} `json:"server"`
	}
	if !decodeBody(n.r, &body) || body.Server == nil {
		n.fault(400, "Invalid input for field/attribute server. Value: None. 'server' is a required property")
		return
	}
	in := body.Server
	if strings.TrimSpace(in.Name) == "" {
		n.fault(400, "Invalid input for field/attribute name. Value: %s. '%s' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'", in.Name, in.Name)
		return
	}
	if in.FlavorRef == "" {
		n.fault(400, "Invalid input for field/attribute server. 'flavorRef' is a required property")
		return
	}
	switch nets := in.Networks.(type) {
	case nil:
		if n.mv.atLeast("2.37") {
			n.fault(400, "Invalid input for field/attribute server. 'networks' is a required property")
			return
		}
		// Before 2.37 Nova picks the project's networks; there are none.
		n.fault(400, "Unable to automatically allocate a network for project %s", n.projectID)
		return
	case string:
		if !n.mv.atLeast("2.37") {
			n.fault(400, "Invalid input for field/attribute networks. Value: %s. '%s' is not of type 'array'", nets, nets)
			return
		}
		switch nets {
		case "none":
		case "auto":
			n.fault(400, "Unable to automatically allocate a network for project %s", n.projectID)
			return
		default:
			n.fault(400, "Invalid input for field/attribute networks. Value: %s. '%s' is not one of ['none', 'auto']", nets, nets)
			return
		}
	case []any:
		if len(nets) > 0 {
			n.fault(400, "Network could not be found.")
			return
		}
	default:
		n.fault(400, "Invalid input for field/attribute networks.")
		return
	}
	if in.AvailabilityZone != "" && in.AvailabilityZone != defaultAZ {
		n.fault(400, "The requested availability zone is not available")
		return
	}
	if in.ImageRef != "" {
		n.fault(400, "Image %s could not be found.", in.ImageRef)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Flavors[in.FlavorRef] == nil {
		n.fault(400, "Flavor %s could not be found.", in.FlavorRef)
		return
	}
	var atts []Attachment
	var vols []*Volume
	bootOK := false
	for i, bdm := range in.BDMs {
		if bdm.SourceType != "volume" || bdm.DestinationType != "volume" {
			n.fault(501, "openstacksim: only block devices with source_type and destination_type volume are simulated")
			return
		}
		v, status, msg := s.volumeForAttach(n.projectID, n.admin, bdm.UUID)
		if status != 0 {
			if status == 404 {
				msg = fmt.Sprintf("Block Device Mapping is Invalid: failed to get volume %s.", bdm.UUID)
			}
			n.fault(400, "%s", msg)
			return
		}
		if bdm.BootIndex != nil && *bdm.BootIndex == 0 {
			// compute/api.py _get_bdm_image_metadata: the root volume
			// must be bootable.
			if !v.Bootable {
				n.fault(400, "Block Device %s is not bootable.", v.ID)
				return
			}
			bootOK = true
		}
		dev := bdm.DeviceName
		if dev == "" {
			dev = "/dev/vd" + string(rune('a'+i))
		}
		atts = append(atts, Attachment{VolumeID: v.ID, Device: dev, AttachmentID: newUUID(), BDMUUID: newUUID(), DeleteOnTermination: bdm.DeleteOnTermination})
		vols = append(vols, v)
	}
	if !bootOK {
		n.fault(400, "Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.")
		return
	}
	sv := &Server{
		ID: newUUID(), Name: in.Name, Project: n.projectID, Status: "BUILD", FlavorID: in.FlavorRef,
		Volumes: atts, RootDeviceName: atts[0].Device, Host: s.opts.Name + "-compute-1", CreatedAt: s.nextTime(),
		Metadata: cloneMap(in.Metadata),
	}
	for _, v := range vols {
		v.Status = "reserved"
	}
	s.st.Servers[sv.ID] = sv
	n.w.Header().Set("Location", s.baseURL(n.r)+"/compute/v2.1/servers/"+sv.ID)
	writeJSON(n.w, http.StatusAccepted, map[string]any{"server": map[string]any{
		"id": sv.ID, "links": s.serverLinks(n.r, sv), "OS-DCF:diskConfig": "MANUAL",
		"security_groups": []any{map[string]any{"name": "default"}}, "adminPass": newHex()[:12],
	}})
	id := sv.ID
	s.afterDelay(s.opts.Transitions.ServerBuild, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		sv := s.st.Servers[id]
		if sv == nil || sv.Status != "BUILD" {
			return
		}
		now := s.nextTime()
		for _, a := range sv.Volumes {
			if v := s.st.Volumes[a.VolumeID]; v != nil {
				v.Status = "in-use"
				v.Attachments = append(v.Attachments, VolumeAttachment{ID: a.AttachmentID, ServerID: id, Device: a.Device, AttachedAt: now})
			}
		}
		sv.Status = "ACTIVE"
	})
}

// attachVolume is POST /servers/{id}/os-volume_attachments: Nova reserves
// the volume and records the block device mapping at once (200); the
// volume is "attaching", then "in-use" once the compute host has it.
func (s *Site) attachVolume(n *novaRequest, serverID string) {
	var body struct {
		VA *struct {
			VolumeID            string `json:"volumeId"`
			Device              string `json:"device"`
			DeleteOnTermination bool   `json:"delete_on_termination"`
		} `json:"volumeAttachment"`
	}
	if !decodeBody(n.r, &body) || body.VA == nil || body.VA.VolumeID == "" {
		n.fault(400, "Invalid input for field/attribute volumeAttachment. Value: None. 'volumeId' is a required property")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[serverID]
	if !n.visibleServer(sv) {
		n.fault(404, "Instance %s could not be found.", serverID)
		return
	}
	if sv.Status != "ACTIVE" && sv.Status != "SHUTOFF" || sv.Deleting {
		n.fault(409, "Cannot 'attach_volume' instance %s while it is in vm_state %s", serverID, vmState(sv))
		return
	}
	for _, a := range sv.Volumes {
		if a.VolumeID == body.VA.VolumeID {
			n.fault(400, "Invalid volume: volume %s already attached", a.VolumeID)
			return
		}
	}
	v, status, msg := s.volumeForAttach(n.projectID, n.admin, body.VA.VolumeID)
	if status != 0 {
		n.fault(status, "%s", msg)
		return
	}
	dev := body.VA.Device
	if dev == "" {
		dev = nextDevice(sv)
	}
	a := Attachment{VolumeID: v.ID, Device: dev, AttachmentID: newUUID(), BDMUUID: newUUID(), DeleteOnTermination: body.VA.DeleteOnTermination && n.mv.atLeast("2.79")}
	sv.Volumes = append(sv.Volumes, a)
	v.Status = "attaching"
	writeJSON(n.w, 200, map[string]any{"volumeAttachment": s.attachmentView(n, sv, a)})
	s.afterDelay(s.opts.Transitions.VolumeAttach, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		v := s.st.Volumes[a.VolumeID]
		if v == nil || v.Status != "attaching" {
			return
		}
		v.Status = "in-use"
		v.Attachments = append(v.Attachments, VolumeAttachment{ID: a.AttachmentID, ServerID: serverID, Device: a.Device, AttachedAt: s.nextTime()})
	})
}

// nextDevice is the first /dev/vdX the server does not use. mu held.
func nextDevice(sv *Server) string {
	used := map[string]bool{}
	for _, a := range sv.Volumes {
		used[a.Device] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		if d := "/dev/vd" + string(c); !used[d] {
			return d
		}
	}
	return "/dev/vdz"
}

func vmState(sv *Server) string {
	if sv.Status == "BUILD" {
		return "building"
	}
	if sv.Deleting {
		return "deleting"
	}
	return strings.ToLower(sv.Status)
}

// detachVolume is DELETE /servers/{id}/os-volume_attachments/{volume}:
// 202, the volume "detaching", then "available" and the mapping gone. The
// root volume cannot be detached; a second detach while one runs is 400
// (Cinder refuses begin_detaching).
func (s *Site) detachVolume(n *novaRequest, serverID, volumeID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[serverID]
	if !n.visibleServer(sv) {
		n.fault(404, "Instance %s could not be found.", serverID)
		return
	}
	idx := -1
	for i, a := range sv.Volumes {
		if a.VolumeID == volumeID {
			idx = i
		}
	}
	if idx < 0 {
		n.fault(404, "Volume %s is not attached to %s", volumeID, serverID)
		return
	}
	if sv.Volumes[idx].Device == sv.RootDeviceName {
		n.fault(400, "Cannot detach a root device volume")
		return
	}
	v := s.st.Volumes[volumeID]
	if v != nil && v.Status != "in-use" {
		n.fault(400, "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.")
		return
	}
	if v != nil {
		v.Status = "detaching"
	}
	n.w.WriteHeader(http.StatusAccepted)
	s.after(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if sv := s.st.Servers[serverID]; sv != nil {
			var keep []Attachment
			for _, a := range sv.Volumes {
				if a.VolumeID != volumeID {
					keep = append(keep, a)
				}
			}
			sv.Volumes = keep
		}
		if v := s.st.Volumes[volumeID]; v != nil {
			var keep []VolumeAttachment
			for _, va := range v.Attachments {
				if va.ServerID != serverID {
					keep = append(keep, va)
				}
			}
			v.Attachments = keep
			if len(keep) == 0 {
				v.Status = "available"
			}
		}
	})
}

// serverTags is GET /servers/{id}/tags (2.26+).
func (s *Site) serverTags(n *novaRequest, id string) {
	if !n.mv.atLeast("2.26") {
		n.fault(404, "The resource could not be found.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !n.visibleServer(s.st.Servers[id]) {
		n.fault(404, "Instance %s could not be found.", id)
		return
	}
	writeJSON(n.w, 200, map[string]any{"tags": []string{}})
}

// ---- flavors

func (s *Site) flavorLinks(n *novaRequest, f *Flavor) []any {
	base := s.baseURL(n.r)
	return []any{
		map[string]any{"rel": "self", "href": base + "/compute/v2.1/flavors/" + f.ID},
		map[string]any{"rel": "bookmark", "href": base + "/compute/flavors/" + f.ID},
	}
}

func (s *Site) flavorView(n *novaRequest, f *Flavor, detail bool) map[string]any {
	m := map[string]any{"id": f.ID, "name": f.Name, "links": s.flavorLinks(n, f)}
	if n.mv.atLeast("2.55") {
		m["description"] = nilIfEmpty(f.Description)
	}
	if !detail {
		return m
	}
	m["ram"], m["vcpus"], m["disk"] = f.RAM, f.VCPUs, f.Disk
	m["OS-FLV-EXT-DATA:ephemeral"] = f.Ephemeral
	m["OS-FLV-DISABLED:disabled"] = false
	m["os-flavor-access:is_public"] = !f.IsPrivate
	m["rxtx_factor"] = 1.0
	// Before 2.75 a flavor without swap shows "".
	if f.Swap == 0 && !n.mv.atLeast("2.75") {
		m["swap"] = ""
	} else {
		m["swap"] = f.Swap
	}
	if n.mv.atLeast("2.61") {
		m["extra_specs"] = cloneMap(f.ExtraSpecs)
	}
	return m
}

func (s *Site) listFlavors(n *novaRequest, detail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// flavors.py _get_flavors: only an admin may ask for private flavors
	// (is_public=false) or all of them (is_public=none, as
	// terraform-provider-openstack sends); everyone else sees the public ones.
	want := "true"
	if n.admin {
		want = strings.ToLower(n.r.URL.Query().Get("is_public"))
	}
	var flavors []*Flavor
	for _, f := range s.st.Flavors {
		if want == "none" || (want == "false") == f.IsPrivate {
			flavors = append(flavors, f)
		}
	}
	// Nova sorts by flavorid ascending by default.
	sort.Slice(flavors, func(i, j int) bool { return flavors[i].ID < flavors[j].ID })
	out := []any{}
	for _, f := range flavors {
		out = append(out, s.flavorView(n, f, detail))
	}
	writeJSON(n.w, 200, map[string]any{"flavors": out})
}

func (s *Site) showFlavor(n *novaRequest, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.st.Flavors[id]
	if f == nil {
		n.fault(404, "Flavor %s could not be found.", id)
		return
	}
	writeJSON(n.w, 200, map[string]any{"flavor": s.flavorView(n, f, true)})
}

func (s *Site) flavorExtraSpecs(n *novaRequest, id, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.st.Flavors[id]
	if f == nil {
		n.fault(404, "Flavor %s could not be found.", id)
		return
	}
	if key == "" {
		writeJSON(n.w, 200, map[string]any{"extra_specs": cloneMap(f.ExtraSpecs)})
		return
	}
	v, ok := f.ExtraSpecs[key]
	if !ok {
		n.fault(404, "Flavor %s has no extra specs with key %s.", id, key)
		return
	}
	writeJSON(n.w, 200, map[string]any{key: v})
}

// ---- availability zones, quotas, limits

func (s *Site) novaAZDetail(n *novaRequest) {
	if !n.admin {
		n.fault(403, "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed.")
		return
	}
	svc := map[string]any{"available": true, "active": true, "updated_at": isoTime(s.nextTimeLocked())}
	writeJSON(n.w, 200, map[string]any{"availabilityZoneInfo": []any{
		map[string]any{"zoneName": "internal", "zoneState": map[string]any{"available": true},
			"hosts": map[string]any{s.opts.Name + "-controller": map[string]any{"nova-conductor": svc, "nova-scheduler": svc}}},
		map[string]any{"zoneName": defaultAZ, "zoneState": map[string]any{"available": true},
			"hosts": map[string]any{s.opts.Name + "-compute-1": map[string]any{"nova-compute": svc}}},
	}})
}

func (s *Site) nextTimeLocked() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextTime()
}

// novaUsage is the project's instances, cores and RAM. mu held.
func (s *Site) novaUsage(project string) map[string]int {
	use := map[string]int{}
	for _, sv := range s.st.Servers {
		if sv.Project != project {
			continue
		}
		use["instances"]++
		f := s.st.Flavors[sv.FlavorID]
		if f == nil {
			f = &fallbackFlavor
		}
		use["cores"] += f.VCPUs
		use["ram"] += f.RAM
	}
	return use
}

func (s *Site) novaQuotas(n *novaRequest, project string, detail bool) {
	if project != n.projectID && !n.admin {
		n.fault(403, "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.")
		return
	}
	s.mu.Lock()
	use := s.novaUsage(project)
	limits := maps.Clone(s.st.ComputeQuotas)
	s.mu.Unlock()
	qs := map[string]any{"id": project}
	put := func(k string, limit int) {
		if detail {
			qs[k] = map[string]any{"limit": limit, "in_use": use[k], "reserved": 0}
		} else {
			qs[k] = limit
		}
	}
	for k, v := range limits {
		put(k, v)
	}
	if !n.mv.atLeast("2.36") {
		for k, v := range novaQuotaLimitsBefore236 {
			put(k, v)
		}
	}
	if n.mv.atLeast("2.57") {
		for _, k := range []string{"injected_files", "injected_file_content_bytes", "injected_file_path_bytes"} {
			delete(qs, k)
		}
	}
	writeJSON(n.w, 200, map[string]any{"quota_set": qs})
}

func (s *Site) novaLimits(n *novaRequest) {
	s.mu.Lock()
	use := s.novaUsage(n.projectID)
	q := maps.Clone(s.st.ComputeQuotas)
	s.mu.Unlock()
	abs := map[string]any{
		"maxTotalInstances": q["instances"], "maxTotalCores": q["cores"],
		"maxTotalRAMSize": q["ram"], "maxServerMeta": q["metadata_items"],
		"maxImageMeta": q["metadata_items"], "maxTotalKeypairs": q["key_pairs"],
		"maxServerGroups": q["server_groups"], "maxServerGroupMembers": q["server_group_members"],
		"totalInstancesUsed": use["instances"], "totalCoresUsed": use["cores"], "totalRAMUsed": use["ram"],
		"totalServerGroupsUsed": 0,
	}
	if !n.mv.atLeast("2.57") {
		abs["maxPersonality"], abs["maxPersonalitySize"] = q["injected_files"], q["injected_file_content_bytes"]
	}
	if !n.mv.atLeast("2.36") {
		abs["maxSecurityGroups"], abs["maxSecurityGroupRules"] = 10, 20
		abs["maxTotalFloatingIps"], abs["totalFloatingIpsUsed"], abs["totalSecurityGroupsUsed"] = 10, 0, 0
	}
	writeJSON(n.w, 200, map[string]any{"limits": map[string]any{"rate": []any{}, "absolute": abs}})
}
