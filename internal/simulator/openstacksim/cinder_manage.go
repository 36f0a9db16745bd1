package openstacksim

import (
	"net/http"
	"strings"
)

// Cinder's manage-existing (api/contrib/volume_manage.py, volume/api.py
// manage_existing): an admin brings a backend object under Cinder's
// management. The API checks the policy, the volume type and the named
// cinder-volume service (unknown, disabled or down: 400), answers 202 with
// the volume "managing", and the backend then takes the object over
// (Backend.OnVolumeManage: the Pure driver renames it volume-<id>-cinder)
// and the volume is "available", or "error_managing" when the backend
// refuses the reference.

func (s *Site) routeCinderManage(c *cinderRequest, p []string) bool {
	if len(p) != 1 || p[0] != "manageable_volumes" || c.r.Method != http.MethodPost {
		return false
	}
	s.manageVolume(c)
	return true
}

func (s *Site) manageVolume(c *cinderRequest) {
	if !c.admin {
		c.fault(403, "Policy doesn't allow volume_extension:volume_manage to be performed.")
		return
	}
	var body struct {
		Volume *struct {
			Host             string            `json:"host"`
			Ref              map[string]any    `json:"ref"`
			Name             string            `json:"name"`
			Description      string            `json:"description"`
			VolumeType       string            `json:"volume_type"`
			AvailabilityZone string            `json:"availability_zone"`
			Bootable         bool              `json:"bootable"`
			Metadata         map[string]string `json:"metadata"`
		} `json:"volume"`
	}
	if !decodeBody(c.r, &body) || body.Volume == nil {
		c.fault(400, "Invalid input for field/attribute volume. Value: None. 'volume' is a required property")
		return
	}
	in := body.Volume
	if in.Ref == nil {
		c.fault(400, "Invalid input for field/attribute volume. 'ref' is a required property")
		return
	}
	if in.Host == "" {
		c.fault(400, "Invalid input received: One of host or cluster must be specified.")
		return
	}
	s.mu.Lock()
	ref := in.VolumeType
	if ref == "" {
		ref = "__DEFAULT__"
	}
	vt := s.volumeTypeRef(ref)
	if vt == nil {
		s.mu.Unlock()
		c.fault(400, "Invalid volume type: Cannot find requested '%s' volume type", in.VolumeType)
		return
	}
	backend, _, _ := strings.Cut(in.Host, "#")
	svc := s.st.VolumeServices[backend]
	switch {
	case svc == nil:
		s.mu.Unlock()
		c.fault(400, "Host '%s' not found", in.Host)
		return
	case svc.Disabled || svc.Down:
		s.mu.Unlock()
		c.fault(400, "Service is unavailable at this time.")
		return
	}
	host := in.Host
	if !strings.Contains(host, "#") {
		host = backend + "#" + svc.Pools[0]
	}
	v := &Volume{
		ID: newUUID(), Name: in.Name, Description: in.Description, Project: c.projectID,
		Type: vt.Name, TypeID: vt.ID, Host: host, Status: "managing",
		Metadata: cloneMap(in.Metadata), ReplicationStatus: "disabled", CreatedAt: s.nextTime(),
	}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	s.st.Volumes[v.ID] = v
	view := s.volumeView(c, v)
	onManage := s.backend.OnVolumeManage
	managed := copyVolume(v)
	replicated := isTrue(vt.ExtraSpecs["replication_enabled"])
	s.mu.Unlock()
	writeJSON(c.w, http.StatusAccepted, map[string]any{"volume": view})
	s.afterDelay(s.opts.Transitions.VolumeManage, func() {
		size, meta, err := 0, map[string]string(nil), error(nil)
		if onManage != nil {
			size, meta, err = onManage(managed, in.Ref)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		v := s.st.Volumes[managed.ID]
		if v == nil || v.Status != "managing" {
			return
		}
		if onManage == nil || err != nil {
			v.Status = "error_managing"
			return
		}
		for k, val := range meta {
			v.Metadata[k] = val
		}
		v.Size, v.Bootable, v.Status = size, in.Bootable, "available"
		if replicated {
			v.ReplicationStatus = "enabled"
		}
	})
}
