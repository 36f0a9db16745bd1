package openstacksim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Cinder generic volume groups (cinder/api/v3/groups.py and the rules of
// cinder/group/api.py). Error messages are Cinder's, with the exception
// prefixes ("Invalid volume: ", "Invalid Group: ") its API returns.

const (
	groupAvailable = "available"
	groupCreating  = "creating"
	groupUpdating  = "updating"
	groupDeleting  = "deleting"
	groupError     = "error"
)

// validAddStatus and validRemoveStatus are group/api.py's
// VALID_ADD_VOL_TO_GROUP_STATUS and VALID_REMOVE_VOL_FROM_GROUP_STATUS,
// printed as Python tuples in its messages.
var (
	validAddStatus    = []string{"available", "in-use"}
	validRemoveStatus = []string{"available", "in-use", "error", "error_deleting"}
)

func pyTuple(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = "'" + it + "'"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

func pyList(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = "'" + it + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// visibleGroup reports whether the caller may see the group. mu held.
func (c *cinderRequest) visibleGroup(g *Group) bool {
	return g != nil && (c.admin || g.Project == c.projectID)
}

func (s *Site) groupView(c *cinderRequest, g *Group, listVolume bool) map[string]any {
	vts := g.VolumeTypeIDs
	if vts == nil {
		vts = []string{}
	}
	m := map[string]any{
		"id": g.ID, "status": g.Status, "availability_zone": g.AvailabilityZone,
		"created_at": isoTime(g.CreatedAt), "name": nilIfEmpty(g.Name), "description": nilIfEmpty(g.Description),
		"group_type": g.GroupTypeID, "volume_types": vts,
	}
	if c.mv.atLeast("3.14") {
		m["group_snapshot_id"] = nil
		m["source_group_id"] = nil
	}
	if c.mv.atLeast("3.25") && listVolume {
		ids := s.groupVolumeIDs(g.ID)
		if ids == nil {
			ids = []string{}
		}
		m["volumes"] = ids
	}
	if c.mv.atLeast("3.38") {
		m["replication_status"] = g.ReplicationStatus
	}
	if c.mv.atLeast("3.58") && c.admin {
		m["project_id"] = g.Project
	}
	return m
}

func boolParam(v string) bool {
	b, err := strconv.ParseBool(strings.ToLower(v))
	if err != nil {
		return strings.EqualFold(v, "yes") || strings.EqualFold(v, "on") || v == "y"
	}
	return b
}

func (s *Site) listGroups(c *cinderRequest, detail bool) {
	q := c.r.URL.Query()
	if c.mv.atLeast("3.31") && !c.admin {
		if bad := invalidFilters(q, groupFilters); len(bad) > 0 {
			c.fault(400, "Invalid filter keys: %s", strings.Join(bad, ", "))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	allTenants := c.admin && q.Has("all_tenants")
	var groups []*Group
	for _, g := range s.st.Groups {
		if allTenants || g.Project == c.projectID {
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool {
		if !groups[i].CreatedAt.Equal(groups[j].CreatedAt) {
			return groups[i].CreatedAt.After(groups[j].CreatedAt)
		}
		return groups[i].ID > groups[j].ID
	})
	page, next, ok := paginate(c, groups, func(g *Group) string { return g.ID })
	if !ok {
		return
	}
	out := []any{}
	listVolume := boolParam(q.Get("list_volume"))
	for _, g := range page {
		if detail {
			out = append(out, s.groupView(c, g, listVolume))
		} else {
			out = append(out, map[string]any{"id": g.ID, "name": nilIfEmpty(g.Name)})
		}
	}
	body := map[string]any{"groups": out}
	if next != "" {
		body["group_links"] = []any{map[string]any{"rel": "next", "href": next}}
	}
	writeJSON(c.w, 200, body)
}

func (s *Site) showGroup(c *cinderRequest, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.st.Groups[id]
	if !c.visibleGroup(g) {
		c.fault(404, "Group %s could not be found.", id)
		return
	}
	writeJSON(c.w, 200, map[string]any{"group": s.groupView(c, g, boolParam(c.r.URL.Query().Get("list_volume")))})
}

// rawObject decodes a JSON body into a map of raw members, for the
// schema checks (additionalProperties false) Cinder makes.
func rawObject(b json.RawMessage) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if len(b) == 0 || json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func (s *Site) createGroup(c *cinderRequest) {
	var body map[string]json.RawMessage
	if !decodeBody(c.r, &body) {
		c.fault(400, "Malformed request body")
		return
	}
	raw, ok := rawObject(body["group"])
	if !ok || len(body) != 1 {
		c.fault(400, "Invalid input for field/attribute group. Value: None. 'group' is a required property")
		return
	}
	for k := range raw {
		switch k {
		case "name", "description", "group_type", "volume_types", "availability_zone":
		default:
			c.fault(400, "Additional properties are not allowed ('%s' was unexpected)", k)
			return
		}
	}
	var req struct {
		Name             *string  `json:"name"`
		Description      *string  `json:"description"`
		GroupType        *string  `json:"group_type"`
		VolumeTypes      []string `json:"volume_types"`
		AvailabilityZone *string  `json:"availability_zone"`
	}
	groupJSON, _ := json.Marshal(raw)
	if err := json.Unmarshal(groupJSON, &req); err != nil {
		c.fault(400, "Invalid input for field/attribute group. Value: %s. %v", groupJSON, err)
		return
	}
	if req.GroupType == nil {
		c.fault(400, "Invalid input for field/attribute group. Value: %s. 'group_type' is a required property", groupJSON)
		return
	}
	if _, present := raw["volume_types"]; !present {
		c.fault(400, "Invalid input for field/attribute group. Value: %s. 'volume_types' is a required property", groupJSON)
		return
	}
	if len(req.VolumeTypes) == 0 {
		c.fault(400, "Invalid input for field/attribute volume_types. Value: []. [] is too short")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	gt := s.groupTypeRef(*req.GroupType)
	if gt == nil {
		if isUUIDLike(*req.GroupType) {
			c.fault(404, "Group type %s could not be found.", *req.GroupType)
		} else {
			c.fault(404, "Group type with name %s could not be found.", *req.GroupType)
		}
		return
	}
	if gt.Name == "default_cgsnapshot_type" {
		c.fault(400, "Group_type %s is reserved for migrating CGs to groups. Migrated group can only be operated by CG APIs.", gt.ID)
		return
	}
	var vtIDs []string
	for _, ref := range req.VolumeTypes {
		vt := s.volumeTypeRef(ref)
		if vt == nil {
			if isUUIDLike(ref) {
				c.fault(404, "Volume type %s could not be found.", ref)
			} else {
				c.fault(404, "Volume type with name %s could not be found.", ref)
			}
			return
		}
		vtIDs = append(vtIDs, vt.ID)
	}
	az := "nova"
	if req.AvailabilityZone != nil && *req.AvailabilityZone != "" {
		if *req.AvailabilityZone != "nova" {
			c.fault(400, "Invalid input received: Availability zone '%s' is invalid.", *req.AvailabilityZone)
			return
		}
	}
	g := &Group{
		ID: newUUID(), Project: c.projectID, Status: groupCreating, GroupTypeID: gt.ID, VolumeTypeIDs: vtIDs,
		AvailabilityZone: az, ReplicationStatus: "disabled", CreatedAt: s.nextTime(),
	}
	if req.Name != nil {
		g.Name = strings.TrimSpace(*req.Name)
	}
	if req.Description != nil {
		g.Description = strings.TrimSpace(*req.Description)
	}
	s.st.Groups[g.ID] = g
	writeJSON(c.w, 202, map[string]any{"group": map[string]any{"id": g.ID, "name": nilIfEmpty(g.Name)}})
	s.afterDelay(s.opts.Transitions.GroupCreate, func() { s.finishCreate(g.ID) })
}

// finishCreate is the scheduler and volume manager: place the group on the
// backend host and let the driver create it.
func (s *Site) finishCreate(id string) {
	s.mu.Lock()
	g := s.st.Groups[id]
	if g == nil || g.Status != groupCreating {
		s.mu.Unlock()
		return
	}
	g.Host = s.groupHost()
	hook := s.backend.OnGroupCreate
	cp := s.copyGroup(g)
	s.mu.Unlock()
	var err error
	if hook != nil {
		err = hook(cp)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.st.Groups[id]; g != nil && g.Status == groupCreating {
		g.Status = groupAvailable
		if err != nil {
			g.Status = groupError
		}
	}
}

func isUUIDLike(s string) bool {
	h := strings.ReplaceAll(strings.Trim(s, "{}"), "-", "")
	if len(h) != 32 {
		return false
	}
	for _, r := range strings.ToLower(h) {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// splitIDs reads a comma-separated volume list as group/api.py does:
// strip surrounding commas, then split.
func splitIDs(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (s *Site) updateGroup(c *cinderRequest, id string) {
	var body map[string]json.RawMessage
	if !decodeBody(c.r, &body) {
		c.fault(400, "Malformed request body")
		return
	}
	raw, ok := rawObject(body["group"])
	if !ok || len(body) != 1 {
		c.fault(400, "Invalid input for field/attribute group. Value: None. 'group' is a required property")
		return
	}
	var req struct {
		Name          *string `json:"name"`
		Description   *string `json:"description"`
		AddVolumes    *string `json:"add_volumes"`
		RemoveVolumes *string `json:"remove_volumes"`
	}
	for k, v := range raw {
		switch k {
		case "name", "description", "add_volumes", "remove_volumes":
			var str *string
			if json.Unmarshal(v, &str) != nil {
				c.fault(400, "Invalid input for field/attribute %s. Value: %s. %s is not of type 'string', 'null'", k, v, v)
				return
			}
		default:
			c.fault(400, "Additional properties are not allowed ('%s' was unexpected)", k)
			return
		}
	}
	groupJSON, _ := json.Marshal(raw)
	_ = json.Unmarshal(groupJSON, &req)
	if len(raw) == 0 {
		c.fault(400, "Invalid input for field/attribute group. Value: {}. {} is not valid under any of the given schemas")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.st.Groups[id]
	if !c.visibleGroup(g) {
		c.fault(404, "Group %s could not be found.", id)
		return
	}
	if g.Status != groupAvailable {
		c.fault(400, "Invalid Group: Group status must be available, but current status is: %s.", g.Status)
		return
	}
	var addList, removeList []string
	if req.AddVolumes != nil {
		addList = splitIDs(*req.AddVolumes)
	}
	if req.RemoveVolumes != nil {
		removeList = splitIDs(*req.RemoveVolumes)
	}
	var both []string
	for _, a := range addList {
		if containsStr(removeList, a) {
			both = append(both, a)
		}
	}
	if len(both) > 0 {
		c.fault(400, "Invalid volume: UUIDs %s are in both add and remove volume list.", pyList(both))
		return
	}
	var name, description *string
	if req.Name != nil {
		n := strings.TrimSpace(*req.Name)
		if n != g.Name {
			name = &n
		}
	}
	if req.Description != nil {
		d := strings.TrimSpace(*req.Description)
		if d != g.Description {
			description = &d
		}
	}
	members := s.groupVolumeIDs(g.ID)
	var added, removed []string
	if len(addList) > 0 {
		var msg string
		if added, msg = s.validateAddVolumes(c, g, members, addList); msg != "" {
			c.fault(400, "Invalid volume: %s", msg)
			return
		}
	}
	if len(removeList) > 0 {
		var msg string
		if removed, msg = s.validateRemoveVolumes(g, members, removeList); msg != "" {
			c.fault(400, "Invalid volume: %s", msg)
			return
		}
	}
	if name == nil && description == nil && len(added) == 0 && len(removed) == 0 {
		c.fault(400, "Invalid Group: Cannot update group %s because no valid name, description, add_volumes, or remove_volumes were provided.", g.ID)
		return
	}
	if name != nil {
		g.Name = *name
	}
	if description != nil {
		g.Description = *description
	}
	c.w.WriteHeader(202)
	if len(added) == 0 && len(removed) == 0 {
		return
	}
	g.Status = groupUpdating
	s.afterDelay(s.opts.Transitions.GroupUpdate, func() { s.finishUpdate(id, added, removed) })
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validateAddVolumes is group/api.py _validate_add_volumes: volumes already
// in the group are dropped; each other one must exist, be in no group,
// belong to the group's project, have a type of the group, be available or
// in-use and sit on the group's host@backend. mu held.
func (s *Site) validateAddVolumes(c *cinderRequest, g *Group, members, addList []string) ([]string, string) {
	var todo []string
	for _, id := range addList {
		if !containsStr(members, id) {
			todo = append(todo, id)
		}
	}
	var out []string
	for _, id := range todo {
		v := s.st.Volumes[id]
		if !c.visibleVolume(v) {
			return nil, fmt.Sprintf("Cannot add volume %s to group %s because volume cannot be found.", id, g.ID)
		}
		if v.GroupID != "" {
			return nil, fmt.Sprintf("Cannot add volume %s to group %s because it is already in group %s.", v.ID, g.ID, v.GroupID)
		}
		if v.Project != g.Project {
			return nil, fmt.Sprintf("Cannot add volume %s to group %s as they belong to different projects.", v.ID, g.ID)
		}
		if v.TypeID == "" {
			return nil, fmt.Sprintf("Cannot add volume %s to group %s because it has no volume type.", v.ID, g.ID)
		}
		if !containsStr(g.VolumeTypeIDs, v.TypeID) {
			return nil, fmt.Sprintf("Cannot add volume %s to group %s because volume type %s is not supported by the group.", v.ID, g.ID, v.TypeID)
		}
		if !containsStr(validAddStatus, v.Status) {
			return nil, fmt.Sprintf("Cannot add volume %s to group %s because volume is in an invalid state: %s. Valid states are: %s.", v.ID, g.ID, v.Status, pyTuple(validAddStatus))
		}
		if extractHost(v.Host) != extractHost(g.Host) {
			return nil, "Volume is not local to this node."
		}
		out = append(out, v.ID)
	}
	return out, ""
}

// validateRemoveVolumes is group/api.py _validate_remove_volumes. mu held.
func (s *Site) validateRemoveVolumes(g *Group, members, removeList []string) ([]string, string) {
	var out []string
	for _, id := range members {
		if !containsStr(removeList, id) {
			continue
		}
		v := s.st.Volumes[id]
		if !containsStr(validRemoveStatus, v.Status) {
			return nil, fmt.Sprintf("Cannot remove volume %s from group %s because volume is in an invalid state: %s. Valid states are: %s.", v.ID, g.ID, v.Status, pyTuple(validRemoveStatus))
		}
		out = append(out, id)
	}
	for _, id := range removeList {
		if !containsStr(out, id) {
			return nil, fmt.Sprintf("Cannot remove volume %s from group %s because it is not in the group.", id, g.ID)
		}
	}
	return out, ""
}

// extractHost is volume_utils.extract_host at level "backend":
// "host@backend#pool" -> "host@backend".
func extractHost(h string) string {
	if i := strings.Index(h, "#"); i >= 0 {
		return h[:i]
	}
	return h
}

// finishUpdate is the volume manager's update_group: the driver first,
// then the membership; a driver error puts the group and the volumes in
// error.
func (s *Site) finishUpdate(id string, added, removed []string) {
	s.mu.Lock()
	g := s.st.Groups[id]
	if g == nil || g.Status != groupUpdating {
		s.mu.Unlock()
		return
	}
	hook := s.backend.OnGroupVolumes
	cp := s.copyGroup(g)
	s.mu.Unlock()
	var err error
	if hook != nil {
		err = hook(cp, added, removed)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g = s.st.Groups[id]
	if g == nil {
		return
	}
	if err != nil {
		g.Status = groupError
		for _, vid := range append(append([]string(nil), added...), removed...) {
			if v := s.st.Volumes[vid]; v != nil {
				v.Status = "error"
			}
		}
		return
	}
	for _, vid := range added {
		if v := s.st.Volumes[vid]; v != nil {
			v.GroupID = id
		}
	}
	for _, vid := range removed {
		if v := s.st.Volumes[vid]; v != nil && v.GroupID == id {
			v.GroupID = ""
		}
	}
	g.Status = groupAvailable
}

func (s *Site) groupAction(c *cinderRequest, id string) {
	var body map[string]json.RawMessage
	if !decodeBody(c.r, &body) || len(body) == 0 {
		c.fault(400, "Malformed request body")
		return
	}
	var action string
	for k := range body {
		action = k
	}
	if len(body) != 1 {
		c.fault(400, "Malformed request body")
		return
	}
	switch action {
	case "delete":
		s.deleteGroup(c, id, body["delete"])
	case "reset_status", "enable_replication", "disable_replication", "failover_replication", "list_replication_targets":
		c.fault(501, "Group action %s is not simulated.", action)
	default:
		c.fault(400, "There is no such action: %s. Verify the request body and Content-Type header and try again.", action)
	}
}

// deleteGroup is group/api.py delete.
func (s *Site) deleteGroup(c *cinderRequest, id string, rawBody json.RawMessage) {
	raw, ok := rawObject(rawBody)
	if !ok {
		c.fault(400, "Invalid input for field/attribute delete. Value: %s. %s is not of type 'object'", rawBody, rawBody)
		return
	}
	deleteVolumes := false
	for k, v := range raw {
		if k != "delete-volumes" {
			c.fault(400, "Additional properties are not allowed ('%s' was unexpected)", k)
			return
		}
		var b any
		_ = json.Unmarshal(v, &b)
		switch x := b.(type) {
		case bool:
			deleteVolumes = x
		case string:
			switch strings.ToLower(x) {
			case "true", "1", "yes", "on", "y", "t":
				deleteVolumes = true
			case "false", "0", "no", "off", "n", "f":
			default:
				c.fault(400, "Invalid input for field/attribute delete-volumes. Value: %s. %s is not valid under any of the given schemas", v, v)
				return
			}
		default:
			c.fault(400, "Invalid input for field/attribute delete-volumes. Value: %s. %s is not valid under any of the given schemas", v, v)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.st.Groups[id]
	if !c.visibleGroup(g) {
		c.fault(404, "Group %s could not be found.", id)
		return
	}
	if g.Host == "" {
		// Never scheduled: deleted from the database at once.
		delete(s.st.Groups, id)
		c.w.WriteHeader(202)
		return
	}
	if !deleteVolumes && g.Status != groupAvailable && g.Status != groupError {
		c.fault(400, "Invalid Group: Group status must be available or error, but current status is: %s", g.Status)
		return
	}
	members := s.groupVolumeIDs(id)
	if len(members) > 0 && !deleteVolumes {
		c.fault(400, "Invalid Group: Group %s still contains volumes. The delete-volumes flag is required to delete it.", id)
		return
	}
	for _, vid := range members {
		if len(s.st.Volumes[vid].Attachments) > 0 {
			c.fault(400, "Invalid Group: Volume in group %s is attached. Need to detach first.", id)
			return
		}
	}
	for _, vid := range members {
		s.st.Volumes[vid].Status = "deleting"
	}
	g.Status = groupDeleting
	c.w.WriteHeader(202)
	s.afterDelay(s.opts.Transitions.GroupDelete, func() { s.finishDelete(id, members) })
}

// finishDelete is the volume manager's delete_group.
func (s *Site) finishDelete(id string, volumes []string) {
	s.mu.Lock()
	g := s.st.Groups[id]
	if g == nil || g.Status != groupDeleting {
		s.mu.Unlock()
		return
	}
	hook := s.backend.OnGroupDelete
	cp := s.copyGroup(g)
	s.mu.Unlock()
	var err error
	if hook != nil {
		err = hook(cp)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if g := s.st.Groups[id]; g != nil {
			g.Status = groupError
		}
		for _, vid := range volumes {
			if v := s.st.Volumes[vid]; v != nil {
				v.Status = "error"
			}
		}
		return
	}
	delete(s.st.Groups, id)
	for _, vid := range volumes {
		delete(s.st.Volumes, vid)
	}
}
