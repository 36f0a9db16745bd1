package openstacksim

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// AddProject creates a project in domain Default (or returns the ID of the
// existing one with that name).
func (s *Site) AddProject(name string) (id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addProject(name)
}

func (s *Site) addProject(name string) string {
	if p := s.projectByName(name); p != nil {
		return p.ID
	}
	p := &Project{ID: newHex(), Name: name}
	s.st.Projects[p.ID] = p
	return p.ID
}

func (s *Site) projectByName(name string) *Project {
	for _, p := range s.st.Projects {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// projectRef resolves a project name or ID, creating the project by name
// when unknown.
func (s *Site) projectRef(nameOrID string) string {
	if _, ok := s.st.Projects[nameOrID]; ok {
		return nameOrID
	}
	return s.addProject(nameOrID)
}

// ProjectID returns the ID of the project with that name.
func (s *Site) ProjectID(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.projectByName(name); p != nil {
		return p.ID, true
	}
	return "", false
}

// AddUser creates a user in domain Default with roles on a project (by
// name or ID; created if missing). The role "admin" implies "member" and
// "reader", and "member" implies "reader", as in Keystone's default
// implied roles.
func (s *Site) AddUser(name, password, project string, roles ...string) (id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pid := s.projectRef(project)
	for _, u := range s.st.Users {
		if u.Name == name {
			u.Password = password
			u.Roles[pid] = expandRoles(append(u.Roles[pid], roles...))
			return u.ID
		}
	}
	u := &User{ID: newHex(), Name: name, Password: password, Roles: map[string][]string{pid: expandRoles(roles)}}
	s.st.Users[u.ID] = u
	return u.ID
}

func expandRoles(roles []string) []string {
	set := map[string]bool{}
	for _, r := range roles {
		set[r] = true
		switch r {
		case "admin":
			set["member"], set["reader"] = true, true
		case "member":
			set["reader"] = true
		}
	}
	out := sortedKeys(set)
	return out
}

// AddApplicationCredential gives a user (name or ID) an application
// credential on the user's first project, with the user's roles there.
func (s *Site) AddApplicationCredential(id, secret, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userRef(user)
	if u == nil {
		panic(fmt.Sprintf("openstacksim: AddApplicationCredential: unknown user %q", user))
	}
	projects := sortedKeys(u.Roles)
	if len(projects) == 0 {
		panic(fmt.Sprintf("openstacksim: AddApplicationCredential: user %q has no project", user))
	}
	pid := projects[0]
	s.st.AppCreds[id] = &ApplicationCredential{ID: id, Name: id, Secret: secret, UserID: u.ID, ProjectID: pid, Roles: slices.Clone(u.Roles[pid])}
}

func (s *Site) userRef(nameOrID string) *User {
	if u, ok := s.st.Users[nameOrID]; ok {
		return u
	}
	for _, u := range s.st.Users {
		if u.Name == nameOrID {
			return u
		}
	}
	return nil
}

// AddVolumeType creates a public volume type with extra specs.
func (s *Site) AddVolumeType(name string, extraSpecs map[string]string) (id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vt := &VolumeType{ID: newUUID(), Name: name, IsPublic: true, ExtraSpecs: cloneMap(extraSpecs)}
	s.st.VolumeTypes[vt.ID] = vt
	return vt.ID
}

// AddGroupType creates a public group type with group specs.
func (s *Site) AddGroupType(name string, groupSpecs map[string]string) (id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gt := &GroupType{ID: newUUID(), Name: name, IsPublic: true, GroupSpecs: cloneMap(groupSpecs)}
	s.st.GroupTypes[gt.ID] = gt
	return gt.ID
}

func (s *Site) volumeTypeRef(nameOrID string) *VolumeType {
	if vt, ok := s.st.VolumeTypes[nameOrID]; ok {
		return vt
	}
	for _, vt := range s.st.VolumeTypes {
		if vt.Name == nameOrID {
			return vt
		}
	}
	return nil
}

func (s *Site) groupTypeRef(nameOrID string) *GroupType {
	if gt, ok := s.st.GroupTypes[nameOrID]; ok {
		return gt
	}
	for _, gt := range s.st.GroupTypes {
		if gt.Name == nameOrID {
			return gt
		}
	}
	return nil
}

// VolumeType returns a copy of a volume type by name or ID.
func (s *Site) VolumeType(nameOrID string) (VolumeType, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vt := s.volumeTypeRef(nameOrID)
	if vt == nil {
		return VolumeType{}, false
	}
	c := *vt
	c.ExtraSpecs = cloneMap(vt.ExtraSpecs)
	return c, true
}

// GroupType returns a copy of a group type by name or ID.
func (s *Site) GroupType(nameOrID string) (GroupType, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gt := s.groupTypeRef(nameOrID)
	if gt == nil {
		return GroupType{}, false
	}
	c := *gt
	c.GroupSpecs = cloneMap(gt.GroupSpecs)
	return c, true
}

// AddVolume creates a volume. ID is generated when empty, Status defaults
// to "available", Size to 1, Project to the only project when there is one.
// The type must exist (name or ID).
func (s *Site) AddVolume(v Volume) (id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nv := v
	if nv.ID == "" {
		nv.ID = newUUID()
	}
	if nv.Project == "" && len(s.st.Projects) == 1 {
		for pid := range s.st.Projects {
			nv.Project = pid
		}
	}
	nv.Project = s.projectRef(nv.Project)
	ref := nv.Type
	if ref == "" {
		ref = nv.TypeID
	}
	if ref == "" {
		ref = "__DEFAULT__"
	}
	vt := s.volumeTypeRef(ref)
	if vt == nil {
		panic(fmt.Sprintf("openstacksim: AddVolume %s: unknown volume type %q", nv.ID, ref))
	}
	nv.Type, nv.TypeID = vt.Name, vt.ID
	if nv.Status == "" {
		nv.Status = "available"
	}
	if nv.Size == 0 {
		nv.Size = 1
	}
	if nv.Host == "" {
		nv.Host = s.groupHost()
	}
	if nv.ReplicationStatus == "" {
		nv.ReplicationStatus = "disabled"
		if isTrue(vt.ExtraSpecs["replication_enabled"]) {
			nv.ReplicationStatus = "enabled"
		}
	}
	nv.Metadata = cloneMap(v.Metadata)
	nv.Attachments = slices.Clone(v.Attachments)
	if nv.CreatedAt.IsZero() {
		nv.CreatedAt = s.nextTime()
	}
	s.st.Volumes[nv.ID] = &nv
	return nv.ID
}

// isTrue reads a "<is> True" spec the way Cinder's is_replicated_spec does:
// "<is>" followed by a true-ish word.
func isTrue(spec string) bool {
	f := strings.Fields(spec)
	return len(f) == 2 && f[0] == "<is>" && strings.EqualFold(f[1], "true")
}

// AddServer creates an ACTIVE server in its project and attaches its
// volumes (they become in-use). ID is generated when empty.
func (s *Site) AddServer(sv Server) (id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := sv
	if n.ID == "" {
		n.ID = newUUID()
	}
	if n.Project == "" && len(s.st.Projects) == 1 {
		for pid := range s.st.Projects {
			n.Project = pid
		}
	}
	n.Project = s.projectRef(n.Project)
	if n.Status == "" {
		n.Status = "ACTIVE"
	}
	if n.Host == "" {
		n.Host = s.opts.Name + "-compute-1"
	}
	n.CreatedAt = s.nextTime()
	n.Volumes = nil
	for _, a := range sv.Volumes {
		v := s.st.Volumes[a.VolumeID]
		if v == nil {
			panic(fmt.Sprintf("openstacksim: AddServer %s: unknown volume %s", n.ID, a.VolumeID))
		}
		if a.AttachmentID == "" {
			a.AttachmentID = newUUID()
		}
		if a.BDMUUID == "" {
			a.BDMUUID = newUUID()
		}
		v.Status = "in-use"
		v.Attachments = append(v.Attachments, VolumeAttachment{ID: a.AttachmentID, ServerID: n.ID, Device: a.Device, AttachedAt: n.CreatedAt})
		n.Volumes = append(n.Volumes, a)
	}
	if n.RootDeviceName == "" && len(n.Volumes) > 0 {
		n.RootDeviceName = n.Volumes[0].Device
	}
	s.st.Servers[n.ID] = &n
	return n.ID
}

// AttachVolume attaches a volume to a server at its next free device, as
// a completed os-volume_attachments create leaves them (the volume in-use).
func (s *Site) AttachVolume(serverID, volumeID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv, v := s.st.Servers[serverID], s.st.Volumes[volumeID]
	if sv == nil || v == nil {
		panic(fmt.Sprintf("openstacksim: AttachVolume: unknown server %s or volume %s", serverID, volumeID))
	}
	a := Attachment{VolumeID: volumeID, Device: nextDevice(sv), AttachmentID: newUUID(), BDMUUID: newUUID()}
	sv.Volumes = append(sv.Volumes, a)
	v.Status = "in-use"
	v.Attachments = append(v.Attachments, VolumeAttachment{ID: a.AttachmentID, ServerID: serverID, Device: a.Device, AttachedAt: s.nextTime()})
}

// SetCinderAttachmentDevice sets the device Cinder's attachment of a
// volume to a server names (Nova's record is left as it is): an attachment
// made by an older flow, or whose mountpoint Cinder never learnt, names
// none. It panics when there is no such attachment.
func (s *Site) SetCinderAttachmentDevice(volumeID, serverID, device string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.st.Volumes[volumeID]; v != nil {
		for i := range v.Attachments {
			if v.Attachments[i].ServerID == serverID {
				v.Attachments[i].Device = device
				return
			}
		}
	}
	panic(fmt.Sprintf("openstacksim: SetCinderAttachmentDevice: volume %s is not attached to server %s", volumeID, serverID))
}

// Volume returns a copy of a volume.
func (s *Site) Volume(id string) (Volume, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.Volumes[id]
	if v == nil {
		return Volume{}, false
	}
	return copyVolume(v), true
}

// Volumes returns copies of every volume, oldest first.
func (s *Site) Volumes() []Volume {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Volume, 0, len(s.st.Volumes))
	for _, v := range s.st.Volumes {
		out = append(out, copyVolume(v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

func copyVolume(v *Volume) Volume {
	c := *v
	c.Metadata = cloneMap(v.Metadata)
	c.Attachments = slices.Clone(v.Attachments)
	return c
}

// Server returns a copy of a server.
func (s *Site) Server(id string) (Server, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[id]
	if sv == nil {
		return Server{}, false
	}
	c := *sv
	c.Volumes = slices.Clone(sv.Volumes)
	c.Metadata = cloneMap(sv.Metadata)
	c.Tags = slices.Clone(sv.Tags)
	return c, true
}

// Group returns a copy of a group with its member volume IDs.
func (s *Site) Group(id string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.st.Groups[id]
	if g == nil {
		return Group{}, false
	}
	return s.copyGroup(g), true
}

// Groups returns copies of every group, oldest first.
func (s *Site) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, 0, len(s.st.Groups))
	for _, g := range s.st.Groups {
		out = append(out, s.copyGroup(g))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

func (s *Site) copyGroup(g *Group) Group {
	c := *g
	c.VolumeTypeIDs = slices.Clone(g.VolumeTypeIDs)
	c.VolumeIDs = s.groupVolumeIDs(g.ID)
	return c
}

// groupVolumeIDs lists the member volumes of a group, sorted. mu held.
func (s *Site) groupVolumeIDs(groupID string) []string {
	var ids []string
	for _, v := range s.st.Volumes {
		if v.GroupID == groupID {
			ids = append(ids, v.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// Object returns the content of an object in a container of any account.
func (s *Site) Object(container, name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range sortedKeys(s.st.Containers) {
		c := s.st.Containers[k]
		if c.Name != container {
			continue
		}
		if o, ok := c.Objects[name]; ok {
			return slices.Clone(o.Data), true
		}
	}
	return nil, false
}

// Objects lists the object names with a prefix in a container of any
// account, sorted.
func (s *Site) Objects(container, prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.st.Containers {
		if c.Name != container {
			continue
		}
		for n := range c.Objects {
			if strings.HasPrefix(n, prefix) {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// PutObject writes an object out of band (creating the container in the
// account of the project, by name or ID).
func (s *Site) PutObject(project, container, name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.projectRef(project)
	key := acct + "/" + container
	c := s.st.Containers[key]
	if c == nil {
		c = &Container{Account: acct, Name: container, Metadata: map[string]string{}, Objects: map[string]*Object{}, Created: s.nextTime()}
		s.st.Containers[key] = c
	}
	c.Objects[name] = newObject(name, data, "application/octet-stream", nil, s.nextTime())
}

// DeleteObject removes an object out of band from every account.
func (s *Site) DeleteObject(container, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, c := range s.st.Containers {
		if c.Name == container {
			if _, ok := c.Objects[name]; ok {
				delete(c.Objects, name)
				found = true
			}
		}
	}
	return found
}
