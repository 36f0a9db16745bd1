package openstacksim

import "slices"

// Changes an operator makes to a VM behind the provider's back, as their
// outcome shows in Nova's server view: a resize confirmed to another
// flavor (the embedded flavor of 2.47+ follows it), server metadata set
// (openstack server set --property), tags replaced (PUT
// /servers/{id}/tags), a volume detached. Each returns false when the
// server (or flavor, or attachment) does not exist.

// ResizeServer moves a server to another flavor, named by id or name, as
// a confirmed resize leaves it.
func (s *Site) ResizeServer(serverID, flavor string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[serverID]
	if sv == nil {
		return false
	}
	for id, f := range s.st.Flavors {
		if id == flavor || f.Name == flavor {
			sv.FlavorID = id
			return true
		}
	}
	return false
}

// SetServerMetadata replaces a server's metadata.
func (s *Site) SetServerMetadata(serverID string, metadata map[string]string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[serverID]
	if sv == nil {
		return false
	}
	sv.Metadata = cloneMap(metadata)
	return true
}

// SetServerTags replaces a server's tags.
func (s *Site) SetServerTags(serverID string, tags ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[serverID]
	if sv == nil {
		return false
	}
	sv.Tags = slices.Clone(tags)
	return true
}

// DetachVolume detaches a volume from a server, as a completed
// os-volume_attachments delete leaves them (the volume available when no
// other server holds it).
func (s *Site) DetachVolume(serverID, volumeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv, v := s.st.Servers[serverID], s.st.Volumes[volumeID]
	if sv == nil || v == nil {
		return false
	}
	i := slices.IndexFunc(sv.Volumes, func(a Attachment) bool { return a.VolumeID == volumeID })
	if i < 0 {
		return false
	}
	sv.Volumes = slices.Delete(sv.Volumes, i, i+1)
	v.Attachments = slices.DeleteFunc(v.Attachments, func(a VolumeAttachment) bool { return a.ServerID == serverID })
	if len(v.Attachments) == 0 && v.Status == "in-use" {
		v.Status = "available"
	}
	return true
}

// MoveAttachment moves a server's volume to another device, in Nova's and
// Cinder's views alike, as detaching it and attaching it again at device
// does. False when the volume is not attached to the server.
func (s *Site) MoveAttachment(serverID, volumeID, device string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv, v := s.st.Servers[serverID], s.st.Volumes[volumeID]
	if sv == nil || v == nil {
		return false
	}
	i := slices.IndexFunc(sv.Volumes, func(a Attachment) bool { return a.VolumeID == volumeID })
	j := slices.IndexFunc(v.Attachments, func(a VolumeAttachment) bool { return a.ServerID == serverID })
	if i < 0 || j < 0 {
		return false
	}
	sv.Volumes[i].Device = device
	v.Attachments[j].Device = device
	return true
}
