package openstacksim

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Cinder v3 (cinder/api/openstack/wsgi.py, cinder/api/v3/*): version
// discovery, microversion negotiation, volume types and extra specs,
// volumes, group types and generic groups.

// userVisibleExtraSpecs are the only extra specs a caller without
// volume_extension:types_extra_specs:read_sensitive (admin) sees.
var userVisibleExtraSpecs = []string{"RESKEY:availability_zones", "multiattach", "replication_enabled"}

// volumeFilters are the volume list filters of Cinder's default
// resource_filters.json (checked from 3.31 for non-admins).
var volumeFilters = []string{"name", "status", "metadata", "bootable", "migration_status", "availability_zone", "group_id", "size", "created_at", "updated_at"}

// groupFilters are the group list filters of resource_filters.json.
var groupFilters = []string{}

// paginationKeys are query parameters that are not filters.
var paginationKeys = []string{"limit", "marker", "offset", "sort", "sort_key", "sort_dir", "with_count", "all_tenants", "list_volume", "is_public"}

// cinderRequest is one authenticated Cinder call.
type cinderRequest struct {
	*caller
	r  *http.Request
	w  http.ResponseWriter
	mv apiVersion
}

func (c *cinderRequest) fault(status int, format string, args ...any) {
	writeFault(c.w, status, fmt.Sprintf(format, args...))
}

func (c *cinderRequest) notFound() {
	c.fault(404, "The resource could not be found.")
}

func (s *Site) cinderVersionDoc(r *http.Request) map[string]any {
	return map[string]any{
		"id": "v3.0", "status": "CURRENT", "version": CinderMaxVersion, "min_version": CinderMinVersion,
		"updated": "2023-08-31T00:00:00Z",
		"links": []any{
			map[string]any{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
			map[string]any{"rel": "self", "href": s.baseURL(r) + "/volume/v3/"},
		},
		"media-types": []any{map[string]any{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}},
	}
}

func (s *Site) serveCinder(w http.ResponseWriter, r *http.Request, rest string) {
	parts := splitPath(rest)
	if len(parts) == 0 {
		writeJSON(w, http.StatusMultipleChoices, map[string]any{"versions": []any{s.cinderVersionDoc(r)}})
		return
	}
	if parts[0] != "v3" {
		writeFault(w, 404, "The resource could not be found.")
		return
	}
	if len(parts) == 1 {
		writeJSON(w, http.StatusOK, map[string]any{"versions": []any{s.cinderVersionDoc(r)}})
		return
	}
	c, ok := s.authenticate(r)
	if !ok {
		s.unauthorized(w, r)
		return
	}
	w.Header().Set("x-openstack-request-id", requestID())
	mv, status, msg := negotiateCinder(r.Header.Get("OpenStack-API-Version"))
	if status != 0 {
		writeFault(w, status, msg)
		return
	}
	w.Header().Set("OpenStack-API-Version", "volume "+mv.String())
	w.Header().Set("Vary", "OpenStack-API-Version")
	req := &cinderRequest{caller: c, r: r, w: w, mv: mv}
	if parts[1] != c.projectID {
		// cinder/api/openstack/wsgi.py: the URL's project must be the
		// token's.
		req.fault(400, "Malformed request url")
		return
	}
	s.routeCinder(req, parts[2:])
}

// negotiateCinder reads "OpenStack-API-Version: volume X" the way Cinder
// does: absent means 3.0, "latest" the maximum; a malformed version is 400,
// one out of range 406. X-OpenStack-Volume-API-Version is not read.
func negotiateCinder(header string) (apiVersion, int, string) {
	minV, maxV := mustVersion(CinderMinVersion), mustVersion(CinderMaxVersion)
	if header == "" {
		return minV, 0, ""
	}
	var ver string
	for _, h := range strings.Split(header, ",") {
		if strings.Contains(h, "volume") {
			f := strings.Fields(h)
			if len(f) == 2 {
				ver = f[1]
			}
			break
		}
	}
	if ver == "" {
		return minV, 400, "API version None is not supported on this method."
	}
	if ver == "latest" {
		return maxV, 0, ""
	}
	v, ok := parseAPIVersion(ver)
	if !ok {
		return minV, 400, fmt.Sprintf("API Version String %s is of invalid format. Must be of format MajorNum.MinorNum.", ver)
	}
	if v.less(minV) || maxV.less(v) {
		return minV, 406, fmt.Sprintf("Version %s is not supported by the API. Minimum is %s and maximum is %s.", v, minV, maxV)
	}
	return v, 0, ""
}

func (s *Site) routeCinder(c *cinderRequest, p []string) {
	m := c.r.Method
	if len(p) == 0 {
		c.notFound()
		return
	}
	if s.routeCinderVolumeLifecycle(c, p) || s.routeCinderServices(c, p) || s.routeCinderManage(c, p) {
		return
	}
	switch p[0] {
	case "types":
		switch {
		case len(p) == 1 && m == http.MethodGet:
			s.listVolumeTypes(c)
		case len(p) == 1 && m == http.MethodPost:
			s.createVolumeType(c)
		case len(p) == 2 && m == http.MethodGet:
			s.showVolumeType(c, p[1])
		case len(p) == 3 && p[2] == "extra_specs" && m == http.MethodGet:
			s.listExtraSpecs(c, p[1])
		case len(p) == 4 && p[2] == "extra_specs" && m == http.MethodGet:
			s.showExtraSpec(c, p[1], p[3])
		default:
			c.notFound()
		}
	case "volumes":
		switch {
		case len(p) == 1 && m == http.MethodGet:
			s.listVolumes(c, false)
		case len(p) == 2 && p[1] == "detail" && m == http.MethodGet:
			s.listVolumes(c, true)
		case len(p) == 2 && m == http.MethodGet:
			s.showVolume(c, p[1])
		default:
			c.notFound()
		}
	case "group_types":
		if !c.mv.atLeast("3.11") {
			c.notFound()
			return
		}
		switch {
		case len(p) == 1 && m == http.MethodGet:
			s.listGroupTypes(c)
		case len(p) == 1 && m == http.MethodPost:
			s.createGroupType(c)
		case len(p) == 2 && m == http.MethodGet:
			s.showGroupType(c, p[1])
		case len(p) == 3 && p[2] == "group_specs" && m == http.MethodGet:
			s.listGroupSpecs(c, p[1])
		default:
			c.notFound()
		}
	case "groups":
		if !c.mv.atLeast("3.13") {
			c.notFound()
			return
		}
		switch {
		case len(p) == 1 && m == http.MethodGet:
			s.listGroups(c, false)
		case len(p) == 1 && m == http.MethodPost:
			s.createGroup(c)
		case len(p) == 2 && p[1] == "detail" && m == http.MethodGet:
			s.listGroups(c, true)
		case len(p) == 2 && m == http.MethodGet:
			s.showGroup(c, p[1])
		case len(p) == 2 && m == http.MethodPut:
			s.updateGroup(c, p[1])
		case len(p) == 3 && p[2] == "action" && m == http.MethodPost:
			s.groupAction(c, p[1])
		default:
			c.notFound()
		}
	default:
		c.notFound()
	}
}

// ---- volume types

func (s *Site) volumeTypeView(c *cinderRequest, vt *VolumeType) map[string]any {
	m := map[string]any{
		"id": vt.ID, "name": vt.Name, "description": nilIfEmpty(vt.Description),
		"is_public": vt.IsPublic, "os-volume-type-access:is_public": vt.IsPublic,
		"extra_specs": visibleSpecs(c, vt.ExtraSpecs),
	}
	// Admin-only (volume_extension:access_types_qos_specs_id), as on Zed.
	if c.admin {
		m["qos_specs_id"] = nil
	}
	return m
}

func visibleSpecs(c *cinderRequest, specs map[string]string) map[string]string {
	if c.admin {
		return cloneMap(specs)
	}
	out := map[string]string{}
	for k, v := range specs {
		if slices.Contains(userVisibleExtraSpecs, k) {
			out[k] = v
		}
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Site) listVolumeTypes(c *cinderRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []any
	types := make([]*VolumeType, 0, len(s.st.VolumeTypes))
	for _, vt := range s.st.VolumeTypes {
		if vt.IsPublic || c.admin {
			types = append(types, vt)
		}
	}
	sort.Slice(types, func(i, j int) bool { return types[i].Name < types[j].Name })
	for _, vt := range types {
		out = append(out, s.volumeTypeView(c, vt))
	}
	if out == nil {
		out = []any{}
	}
	writeJSON(c.w, 200, map[string]any{"volume_types": out})
}

// volumeTypeByID resolves the {id} of /types/{id}: an ID, or "default".
// mu held.
func (s *Site) volumeTypeByID(id string) *VolumeType {
	if id == "default" {
		return s.volumeTypeRef("__DEFAULT__")
	}
	return s.st.VolumeTypes[id]
}

func (s *Site) showVolumeType(c *cinderRequest, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vt := s.volumeTypeByID(id)
	if vt == nil {
		c.fault(404, "Volume type %s could not be found.", id)
		return
	}
	writeJSON(c.w, 200, map[string]any{"volume_type": s.volumeTypeView(c, vt)})
}

func (s *Site) listExtraSpecs(c *cinderRequest, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vt := s.st.VolumeTypes[id]
	if vt == nil {
		c.fault(404, "Volume type %s could not be found.", id)
		return
	}
	writeJSON(c.w, 200, map[string]any{"extra_specs": visibleSpecs(c, vt.ExtraSpecs)})
}

func (s *Site) showExtraSpec(c *cinderRequest, id, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vt := s.st.VolumeTypes[id]
	if vt == nil {
		c.fault(404, "Volume type %s could not be found.", id)
		return
	}
	specs := visibleSpecs(c, vt.ExtraSpecs)
	v, ok := specs[key]
	if !ok {
		c.fault(404, "Volume Type %s has no extra specs with key %s.", id, key)
		return
	}
	writeJSON(c.w, 200, map[string]any{key: v})
}

func (s *Site) createVolumeType(c *cinderRequest) {
	if !c.admin {
		c.fault(403, "Policy doesn't allow volume_extension:types_manage to be performed.")
		return
	}
	var body struct {
		VolumeType *struct {
			Name        string            `json:"name"`
			Description string            `json:"description"`
			IsPublic    *bool             `json:"os-volume-type-access:is_public"`
			ExtraSpecs  map[string]string `json:"extra_specs"`
		} `json:"volume_type"`
	}
	if !decodeBody(c.r, &body) || body.VolumeType == nil || strings.TrimSpace(body.VolumeType.Name) == "" {
		c.fault(400, "Invalid input for field/attribute volume_type. Value: None. 'volume_type' is a required property")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.volumeTypeRef(body.VolumeType.Name) != nil {
		c.fault(409, "Volume Type %s already exists.", body.VolumeType.Name)
		return
	}
	vt := &VolumeType{ID: newUUID(), Name: strings.TrimSpace(body.VolumeType.Name), Description: body.VolumeType.Description,
		IsPublic: body.VolumeType.IsPublic == nil || *body.VolumeType.IsPublic, ExtraSpecs: cloneMap(body.VolumeType.ExtraSpecs)}
	s.st.VolumeTypes[vt.ID] = vt
	writeJSON(c.w, 200, map[string]any{"volume_type": s.volumeTypeView(c, vt)})
}

// ---- volumes

// visibleVolume reports whether the caller may see the volume. mu held.
func (c *cinderRequest) visibleVolume(v *Volume) bool {
	return v != nil && (c.admin || v.Project == c.projectID)
}

func (s *Site) volumeView(c *cinderRequest, v *Volume) map[string]any {
	base := s.baseURL(c.r)
	attachments := []any{}
	for _, a := range v.Attachments {
		var hostName any
		if c.admin {
			if sv := s.st.Servers[a.ServerID]; sv != nil {
				hostName = sv.Host
			}
		}
		attachments = append(attachments, map[string]any{
			"id": v.ID, "attachment_id": a.ID, "volume_id": v.ID, "server_id": a.ServerID,
			"host_name": hostName, "device": a.Device, "attached_at": isoTime(a.AttachedAt),
		})
	}
	bootable := "false"
	if v.Bootable {
		bootable = "true"
	}
	self := fmt.Sprintf("%s/volume/v3/%s/volumes/%s", base, v.Project, v.ID)
	m := map[string]any{
		"id": v.ID, "status": v.Status, "size": v.Size, "availability_zone": "nova",
		"created_at": isoTime(v.CreatedAt), "updated_at": isoTime(v.CreatedAt),
		"attachments": attachments, "name": nilIfEmpty(v.Name), "description": nilIfEmpty(v.Description),
		"volume_type": v.Type, "snapshot_id": nil, "source_volid": nilIfEmpty(v.SourceVolID),
		"metadata": cloneMap(v.Metadata), "user_id": stableID("user-of", v.Project),
		"links": []any{
			map[string]any{"rel": "self", "href": self},
			map[string]any{"rel": "bookmark", "href": strings.Replace(self, "/v3/", "/", 1)},
		},
		"bootable": bootable, "encrypted": false, "replication_status": v.ReplicationStatus,
		"consistencygroup_id": nil, "multiattach": false,
		"os-vol-tenant-attr:tenant_id": v.Project,
	}
	if c.admin {
		m["os-vol-host-attr:host"] = nilIfEmpty(v.Host)
		m["os-vol-mig-status-attr:migstat"] = nil
		m["os-vol-mig-status-attr:name_id"] = nil
		m["migration_status"] = nil
	}
	if c.mv.atLeast("3.13") {
		m["group_id"] = nilIfEmpty(v.GroupID)
	}
	if c.mv.atLeast("3.21") && c.admin {
		m["provider_id"] = nilIfEmpty(v.Metadata["array_volume_name"])
	}
	if c.mv.atLeast("3.48") {
		m["shared_targets"] = false
	}
	if c.mv.atLeast("3.61") && c.admin {
		m["cluster_name"] = nil
	}
	if c.mv.atLeast("3.63") {
		m["volume_type_id"] = v.TypeID
	}
	if c.mv.atLeast("3.65") {
		m["consumes_quota"] = true
	}
	return m
}

func (s *Site) showVolume(c *cinderRequest, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.Volumes[id]
	if !c.visibleVolume(v) {
		c.fault(404, "Volume %s could not be found.", id)
		return
	}
	writeJSON(c.w, 200, map[string]any{"volume": s.volumeView(c, v)})
}

// listVolumes serves GET /volumes[/detail] with Cinder's filters
// (group_id from 3.10), sort (created_at desc by default), limit and
// marker paging with a "next" link.
func (s *Site) listVolumes(c *cinderRequest, detail bool) {
	q := c.r.URL.Query()
	if !c.mv.atLeast("3.10") {
		q.Del("group_id")
	}
	if c.mv.atLeast("3.31") && !c.admin {
		if bad := invalidFilters(q, volumeFilters); len(bad) > 0 {
			c.fault(400, "Invalid filter keys: %s", strings.Join(bad, ", "))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	allTenants := c.admin && q.Has("all_tenants")
	if !allTenants {
		q.Del("project_id")
	}
	var vols []*Volume
	for _, v := range s.st.Volumes {
		if !allTenants && v.Project != c.projectID {
			continue
		}
		if !matchVolume(v, q) {
			continue
		}
		vols = append(vols, v)
	}
	sort.Slice(vols, func(i, j int) bool {
		if !vols[i].CreatedAt.Equal(vols[j].CreatedAt) {
			return vols[i].CreatedAt.After(vols[j].CreatedAt)
		}
		return vols[i].ID > vols[j].ID
	})
	page, next, ok := paginate(c, vols, func(v *Volume) string { return v.ID })
	if !ok {
		return
	}
	out := []any{}
	for _, v := range page {
		if detail {
			out = append(out, s.volumeView(c, v))
		} else {
			out = append(out, map[string]any{"id": v.ID, "name": nilIfEmpty(v.Name), "links": s.volumeView(c, v)["links"]})
		}
	}
	body := map[string]any{"volumes": out}
	if next != "" {
		body["volumes_links"] = []any{map[string]any{"rel": "next", "href": next}}
	}
	writeJSON(c.w, 200, body)
}

func invalidFilters(q url.Values, allowed []string) []string {
	var bad []string
	for k := range q {
		if !slices.Contains(allowed, k) && !slices.Contains(paginationKeys, k) {
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	return bad
}

func matchVolume(v *Volume, q url.Values) bool {
	for k, vals := range q {
		want := vals[0]
		switch k {
		case "group_id":
			if v.GroupID != want {
				return false
			}
		case "name":
			if v.Name != want {
				return false
			}
		case "status":
			if v.Status != want {
				return false
			}
		case "bootable":
			b, _ := strconv.ParseBool(want)
			if v.Bootable != b {
				return false
			}
		case "size":
			if strconv.Itoa(v.Size) != want {
				return false
			}
		case "project_id":
			// Reaches here from an admin's all_tenants listing only:
			// without it Cinder lists the caller's project whatever this
			// says.
			if v.Project != want {
				return false
			}
		}
	}
	return true
}

// paginate applies marker and limit; next is the link to the next page
// when the page is full. ok is false when it has written an error.
func paginate[T any](c *cinderRequest, items []T, id func(T) string) (page []T, next string, ok bool) {
	q := c.r.URL.Query()
	if m := q.Get("marker"); m != "" {
		idx := slices.IndexFunc(items, func(it T) bool { return id(it) == m })
		if idx < 0 {
			c.fault(404, "Marker %s could not be found.", m)
			return nil, "", false
		}
		items = items[idx+1:]
	}
	limit := 1000 // osapi_max_limit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			c.fault(400, "limit param must be an integer")
			return nil, "", false
		}
		if n < limit {
			limit = n
		}
	}
	if len(items) > limit {
		items = items[:limit]
	}
	// A full page links to the next, also when it was cut at the
	// maximum without a limit asked (Cinder's _get_collection_links).
	if len(items) == limit && limit > 0 {
		u := *c.r.URL
		nq := u.Query()
		nq.Set("marker", id(items[len(items)-1]))
		u.RawQuery = nq.Encode()
		next = c.s(u.RequestURI())
	}
	return items, next, true
}

// s makes an absolute URL for a request URI on this host.
func (c *cinderRequest) s(uri string) string { return requestBase(c.r) + uri }

// ---- group types

func (s *Site) groupTypeView(c *cinderRequest, gt *GroupType) map[string]any {
	m := map[string]any{"id": gt.ID, "name": gt.Name, "description": nilIfEmpty(gt.Description), "is_public": gt.IsPublic}
	if c.admin {
		m["group_specs"] = cloneMap(gt.GroupSpecs)
	}
	return m
}

func (s *Site) listGroupTypes(c *cinderRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var types []*GroupType
	for _, gt := range s.st.GroupTypes {
		if gt.IsPublic || c.admin {
			types = append(types, gt)
		}
	}
	sort.Slice(types, func(i, j int) bool { return types[i].Name < types[j].Name })
	out := []any{}
	for _, gt := range types {
		out = append(out, s.groupTypeView(c, gt))
	}
	writeJSON(c.w, 200, map[string]any{"group_types": out})
}

func (s *Site) showGroupType(c *cinderRequest, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "default" {
		c.fault(404, "Default group type could not be found.")
		return
	}
	gt := s.st.GroupTypes[id]
	if gt == nil {
		c.fault(404, "Group type %s could not be found.", id)
		return
	}
	writeJSON(c.w, 200, map[string]any{"group_type": s.groupTypeView(c, gt)})
}

func (s *Site) listGroupSpecs(c *cinderRequest, id string) {
	if !c.admin {
		c.fault(403, "Policy doesn't allow group:group_types_specs to be performed.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gt := s.st.GroupTypes[id]
	if gt == nil {
		c.fault(404, "Group type %s could not be found.", id)
		return
	}
	writeJSON(c.w, 200, map[string]any{"group_specs": cloneMap(gt.GroupSpecs)})
}

func (s *Site) createGroupType(c *cinderRequest) {
	if !c.admin {
		c.fault(403, "Policy doesn't allow group:group_types_manage to be performed.")
		return
	}
	var body struct {
		GroupType *struct {
			Name        string            `json:"name"`
			Description string            `json:"description"`
			IsPublic    *bool             `json:"is_public"`
			GroupSpecs  map[string]string `json:"group_specs"`
		} `json:"group_type"`
	}
	if !decodeBody(c.r, &body) || body.GroupType == nil || strings.TrimSpace(body.GroupType.Name) == "" {
		c.fault(400, "Invalid input for field/attribute group_type. Value: None. 'group_type' is a required property")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groupTypeRef(body.GroupType.Name) != nil {
		c.fault(409, "Group Type %s already exists.", body.GroupType.Name)
		return
	}
	gt := &GroupType{ID: newUUID(), Name: strings.TrimSpace(body.GroupType.Name), Description: body.GroupType.Description,
		IsPublic: body.GroupType.IsPublic == nil || *body.GroupType.IsPublic, GroupSpecs: cloneMap(body.GroupType.GroupSpecs)}
	s.st.GroupTypes[gt.ID] = gt
	writeJSON(c.w, 200, map[string]any{"group_type": s.groupTypeView(c, gt)})
}
