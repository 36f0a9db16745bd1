package openstacksim

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Cinder volume lifecycle (cinder/api/v3/volumes.py, volume/api.py): create
// and delete, extend and retype, as terraform-provider-openstack's
// openstack_blockstorage_volume_v3 drives them, plus the availability zone,
// quota and limits reads clients make around them.

// volumeDeletableStatus are the statuses volume/api.py delete accepts.
var volumeDeletableStatus = []string{"available", "error", "error_restoring", "error_extending", "error_managing"}

// defaultAZ is the only availability zone of a devstack-like site (Nova's
// and Cinder's default "nova").
const defaultAZ = "nova"

func (s *Site) routeCinderVolumeLifecycle(c *cinderRequest, p []string) bool {
	m := c.r.Method
	switch {
	case len(p) == 1 && p[0] == "volumes" && m == http.MethodPost:
		s.createVolume(c)
	case len(p) == 2 && p[0] == "volumes" && m == http.MethodDelete:
		s.deleteVolume(c, p[1])
	case len(p) == 2 && p[0] == "volumes" && m == http.MethodPut:
		s.updateVolume(c, p[1])
	case len(p) == 3 && p[0] == "volumes" && p[2] == "action" && m == http.MethodPost:
		s.volumeAction(c, p[1])
	case len(p) == 1 && p[0] == "os-availability-zone" && m == http.MethodGet:
		writeJSON(c.w, 200, map[string]any{"availabilityZoneInfo": []any{
			map[string]any{"zoneName": defaultAZ, "zoneState": map[string]any{"available": true}},
		}})
	case len(p) == 2 && p[0] == "os-quota-sets" && m == http.MethodGet:
		s.cinderQuotas(c, p[1])
	case len(p) == 1 && p[0] == "limits" && m == http.MethodGet:
		s.cinderLimits(c)
	default:
		return false
	}
	return true
}

// createVolume is POST /volumes: 202 with the volume "creating"; the
// backend (the Pure driver) makes it, then it is "available" ("error"
// when the backend fails). Blank volumes and clones of a volume
// (source_volid, volume/flows/api/create_volume.py): the clone takes the
// source's type, size and backend unless given, and its bootable flag
// once made (the manager copies it); no snapshot, image or backup.
func (s *Site) createVolume(c *cinderRequest) {
	var body struct {
		Volume *struct {
			Name             string            `json:"name"`
			Description      string            `json:"description"`
			Size             *int              `json:"size"`
			VolumeType       string            `json:"volume_type"`
			AvailabilityZone string            `json:"availability_zone"`
			Metadata         map[string]string `json:"metadata"`
			SnapshotID       string            `json:"snapshot_id"`
			SourceVolID      string            `json:"source_volid"`
			ImageRef         string            `json:"imageRef"`
			BackupID         string            `json:"backup_id"`
		} `json:"volume"`
	}
	if !decodeBody(c.r, &body) || body.Volume == nil {
		c.fault(400, "Invalid input for field/attribute volume. Value: None. 'volume' is a required property")
		return
	}
	in := body.Volume
	if in.SnapshotID != "" || in.ImageRef != "" || in.BackupID != "" {
		c.fault(501, "openstacksim: volumes from a snapshot, image or backup are not simulated")
		return
	}
	if in.Size != nil && *in.Size < 1 || in.Size == nil && in.SourceVolID == "" {
		c.fault(400, "Invalid input received: Volume size must be an integer and greater than 0")
		return
	}
	if in.AvailabilityZone != "" && in.AvailabilityZone != defaultAZ {
		c.fault(400, "Invalid input received: Availability zone '%s' is invalid.", in.AvailabilityZone)
		return
	}
	s.mu.Lock()
	var src *Volume
	if in.SourceVolID != "" {
		src = s.st.Volumes[in.SourceVolID]
		if !c.visibleVolume(src) {
			s.mu.Unlock()
			c.fault(404, "Volume %s could not be found.", in.SourceVolID)
			return
		}
		if src.Status != "available" && src.Status != "in-use" {
			s.mu.Unlock()
			c.fault(400, "Invalid volume: Originating source volume status must be one of 'available, in-use' values")
			return
		}
	}
	ref := in.VolumeType
	switch {
	case ref == "" && src != nil:
		ref = src.TypeID
	case ref == "":
		ref = "__DEFAULT__"
	}
	vt := s.volumeTypeRef(ref)
	if vt == nil || (!vt.IsPublic && !c.admin) {
		s.mu.Unlock()
		c.fault(404, "Volume type with name %s could not be found.", ref)
		return
	}
	size, host := 0, s.groupHost()
	if in.Size != nil {
		size = *in.Size
	}
	if src != nil {
		// volume/api.py refuses a type the source cannot be retyped to;
		// the simulator's types all differ in their specs.
		if vt.ID != src.TypeID {
			s.mu.Unlock()
			c.fault(400, "Invalid input received: Invalid volume_type provided: %s (requested type is not compatible; either match source volume, or omit type argument).", vt.ID)
			return
		}
		if size == 0 {
			size = src.Size
		}
		if size < src.Size {
			s.mu.Unlock()
			c.fault(400, "Invalid input received: Volume size '%d'GB cannot be smaller than original volume size  %dGB. They must be >= original volume size.", size, src.Size)
			return
		}
		host = src.Host
	}
	v := &Volume{
		ID: newUUID(), Name: in.Name, Description: in.Description, Project: c.projectID,
		Type: vt.Name, TypeID: vt.ID, Host: host, Size: size, Status: "creating",
		Metadata: cloneMap(in.Metadata), ReplicationStatus: "disabled", CreatedAt: s.nextTime(),
		SourceVolID: in.SourceVolID,
	}
	bootable := src != nil && src.Bootable
	if isTrue(vt.ExtraSpecs["replication_enabled"]) {
		v.ReplicationStatus = "enabled"
	}
	s.st.Volumes[v.ID] = v
	view := s.volumeView(c, v)
	onCreate := s.backend.OnVolumeCreate
	created := copyVolume(v)
	s.mu.Unlock()
	writeJSON(c.w, http.StatusAccepted, map[string]any{"volume": view})
	s.after(func() {
		var meta map[string]string
		var err error
		if onCreate != nil {
			meta, err = onCreate(created)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		v := s.st.Volumes[created.ID]
		if v == nil || v.Status != "creating" {
			return
		}
		if err != nil {
			v.Status = "error"
			return
		}
		for k, val := range meta {
			v.Metadata[k] = val
		}
		v.Bootable = bootable
		v.Status = "available"
	})
}

// deleteVolume is DELETE /volumes/{id}: 202, "deleting", then gone. As
// volume/api.py, a volume attached, in a group or not in a settled status
// cannot be deleted (400).
func (s *Site) deleteVolume(c *cinderRequest, id string) {
	s.mu.Lock()
	v := s.st.Volumes[id]
	if !c.visibleVolume(v) {
		s.mu.Unlock()
		c.fault(404, "Volume %s could not be found.", id)
		return
	}
	if !slices.Contains(volumeDeletableStatus, v.Status) || len(v.Attachments) > 0 || v.GroupID != "" {
		s.mu.Unlock()
		c.fault(400, "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.")
		return
	}
	v.Status = "deleting"
	onDelete := s.backend.OnVolumeDelete
	deleted := copyVolume(v)
	s.mu.Unlock()
	c.w.WriteHeader(http.StatusAccepted)
	s.after(func() {
		var err error
		if onDelete != nil {
			err = onDelete(deleted)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		v := s.st.Volumes[id]
		if v == nil {
			return
		}
		if err != nil {
			v.Status = "error_deleting"
			return
		}
		delete(s.st.Volumes, id)
	})
}

// updateVolume is PUT /volumes/{id}: name, description and metadata.
func (s *Site) updateVolume(c *cinderRequest, id string) {
	var body struct {
		Volume *struct {
			Name        *string           `json:"name"`
			Description *string           `json:"description"`
			Metadata    map[string]string `json:"metadata"`
		} `json:"volume"`
	}
	if !decodeBody(c.r, &body) || body.Volume == nil {
		c.fault(400, "Invalid input for field/attribute volume. Value: None. 'volume' is a required property")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.Volumes[id]
	if !c.visibleVolume(v) {
		c.fault(404, "Volume %s could not be found.", id)
		return
	}
	if body.Volume.Name != nil {
		v.Name = *body.Volume.Name
	}
	if body.Volume.Description != nil {
		v.Description = *body.Volume.Description
	}
	if body.Volume.Metadata != nil {
		// Cinder replaces the user metadata; the driver's keys stay.
		keep := map[string]string{}
		for _, k := range []string{"array_volume_name", "array_name"} {
			if val, ok := v.Metadata[k]; ok {
				keep[k] = val
			}
		}
		for k, val := range body.Volume.Metadata {
			keep[k] = val
		}
		v.Metadata = keep
	}
	writeJSON(c.w, 200, map[string]any{"volume": s.volumeView(c, v)})
}

// volumeAction serves os-extend (available, or in-use from 3.42) and
// os-retype (to a type on the same backend: no migration).
func (s *Site) volumeAction(c *cinderRequest, id string) {
	var body map[string]map[string]any
	if !decodeBody(c.r, &body) || len(body) != 1 {
		c.fault(400, "Malformed request body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.Volumes[id]
	if !c.visibleVolume(v) {
		c.fault(404, "Volume %s could not be found.", id)
		return
	}
	switch {
	case body["os-extend"] != nil:
		newSize, ok := body["os-extend"]["new_size"].(float64)
		if !ok || newSize != float64(int(newSize)) {
			c.fault(400, "Invalid input for field/attribute new_size.")
			return
		}
		okStatus := v.Status == "available" || (v.Status == "in-use" && c.mv.atLeast("3.42"))
		if !okStatus {
			c.fault(400, "Invalid volume: Volume %s status must be available or in-use, but current status is: %s.", id, v.Status)
			return
		}
		if int(newSize) <= v.Size {
			c.fault(400, "Invalid input received: New size for extend must be greater than current size. (current: %d, extended: %d).", v.Size, int(newSize))
			return
		}
		prev, size := v.Status, int(newSize)
		v.Status = "extending"
		onExtend := s.backend.OnVolumeExtend
		extended := copyVolume(v)
		c.w.WriteHeader(http.StatusAccepted)
		s.after(func() {
			var err error
			if onExtend != nil {
				err = onExtend(extended, size)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if v := s.st.Volumes[id]; v != nil && v.Status == "extending" {
				if err != nil {
					v.Status = "error_extending"
					return
				}
				v.Size, v.Status = size, prev
			}
		})
	case body["os-retype"] != nil:
		ref, _ := body["os-retype"]["new_type"].(string)
		vt := s.volumeTypeRef(ref)
		if vt == nil {
			c.fault(404, "Volume type with name %s could not be found.", ref)
			return
		}
		if v.Status != "available" && v.Status != "in-use" {
			c.fault(400, "Invalid volume: Volume %s status must be available or in-use, but current status is: %s.", id, v.Status)
			return
		}
		if v.GroupID != "" {
			c.fault(400, "Invalid volume: Volume %s is in group %s and cannot be retyped.", id, v.GroupID)
			return
		}
		if vt.ID == v.TypeID {
			c.fault(400, "Invalid input received: New volume_type same as original: %s.", vt.Name)
			return
		}
		prev := v.Status
		v.Status = "retyping"
		c.w.WriteHeader(http.StatusAccepted)
		s.after(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if v := s.st.Volumes[id]; v != nil && v.Status == "retyping" {
				v.Type, v.TypeID, v.Status = vt.Name, vt.ID, prev
				v.ReplicationStatus = "disabled"
				if isTrue(vt.ExtraSpecs["replication_enabled"]) {
					v.ReplicationStatus = "enabled"
				}
			}
		})
	default:
		var names []string
		for k := range body {
			names = append(names, k)
		}
		c.fault(404, "There is no such action: %s", strings.Join(names, ","))
	}
}

// cinderQuotaLimits are Cinder's default quotas (cinder/quota.py).
var cinderQuotaLimits = map[string]int{
	"volumes": 10, "gigabytes": 1000, "snapshots": 10, "backups": 10,
	"backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1,
}

// SetCinderQuota sets one of Cinder's quotas (volumes, gigabytes, ...) of
// every project, as `openstack quota set --volumes N` would: a DR site's
// project sized for failovers and drills.
func (s *Site) SetCinderQuota(name string, limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.CinderQuotas[name] = limit
}

// cinderUsage is the project's volumes, gigabytes and groups. mu held.
func (s *Site) cinderUsage(project string) map[string]int {
	use := map[string]int{}
	for _, v := range s.st.Volumes {
		if v.Project == project {
			use["volumes"]++
			use["gigabytes"] += v.Size
		}
	}
	for _, g := range s.st.Groups {
		if g.Project == project {
			use["groups"]++
		}
	}
	return use
}

// cinderQuotas is GET /os-quota-sets/{project}[?usage=true].
func (s *Site) cinderQuotas(c *cinderRequest, project string) {
	if project != c.projectID && !c.admin {
		c.fault(403, "Policy doesn't allow volume_extension:quotas:show to be performed.")
		return
	}
	s.mu.Lock()
	use := s.cinderUsage(project)
	limits := maps.Clone(s.st.CinderQuotas)
	s.mu.Unlock()
	usage := c.r.URL.Query().Get("usage") == "true" || c.r.URL.Query().Get("usage") == "True"
	qs := map[string]any{"id": project}
	for k, limit := range limits {
		if usage {
			qs[k] = map[string]any{"limit": limit, "in_use": use[k], "reserved": 0, "allocated": 0}
		} else {
			qs[k] = limit
		}
	}
	writeJSON(c.w, 200, map[string]any{"quota_set": qs})
}

// cinderLimits is GET /limits: absolute quotas and usage, no rate limits.
func (s *Site) cinderLimits(c *cinderRequest) {
	s.mu.Lock()
	use := s.cinderUsage(c.projectID)
	q := maps.Clone(s.st.CinderQuotas)
	s.mu.Unlock()
	writeJSON(c.w, 200, map[string]any{"limits": map[string]any{"rate": []any{}, "absolute": map[string]any{
		"maxTotalVolumes": q["volumes"], "maxTotalVolumeGigabytes": q["gigabytes"],
		"maxTotalSnapshots": q["snapshots"], "maxTotalBackups": q["backups"],
		"maxTotalBackupGigabytes": q["backup_gigabytes"],
		"totalVolumesUsed":        use["volumes"], "totalGigabytesUsed": use["gigabytes"],
		"totalSnapshotsUsed": 0, "totalBackupsUsed": 0, "totalBackupGigabytesUsed": 0,
	}}})
}

// volumeByIDForAttach checks a volume Nova may attach: visible to the
// caller and available. Returns the Nova-style error message. mu held.
func (s *Site) volumeForAttach(project string, admin bool, id string) (*Volume, int, string) {
	v := s.st.Volumes[id]
	if v == nil || (!admin && v.Project != project) {
		return nil, 404, fmt.Sprintf("Volume %s could not be found.", id)
	}
	if v.Status != "available" {
		return nil, 400, fmt.Sprintf("Invalid volume: volume %s status must be 'available'. Currently in '%s'", id, v.Status)
	}
	return v, 0, ""
}
