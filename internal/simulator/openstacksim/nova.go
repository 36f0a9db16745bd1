package openstacksim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Nova v2.1: version documents, microversions, servers (show, list,
// delete) and their volume attachments.

func (s *Site) novaVersionDoc(r *http.Request, id string) map[string]any {
	doc := map[string]any{
		"id": id, "status": "CURRENT", "version": NovaMaxVersion, "min_version": NovaMinVersion,
		"updated": "2013-07-23T11:33:21Z",
		"links":   []any{map[string]any{"rel": "self", "href": s.baseURL(r) + "/compute/" + id + "/"}},
	}
	if id == "v2.0" {
		doc["status"], doc["version"], doc["min_version"], doc["updated"] = "SUPPORTED", "", "", "2011-01-21T11:33:21Z"
	}
	return doc
}

type novaRequest struct {
	*caller
	r  *http.Request
	w  http.ResponseWriter
	mv apiVersion
}

func (n *novaRequest) fault(status int, format string, args ...any) {
	writeFault(n.w, status, fmt.Sprintf(format, args...))
}

func (s *Site) serveNova(w http.ResponseWriter, r *http.Request, rest string) {
	parts := splitPath(rest)
	if len(parts) == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"versions": []any{s.novaVersionDoc(r, "v2.0"), s.novaVersionDoc(r, "v2.1")}})
		return
	}
	if parts[0] != "v2.1" {
		writeFault(w, 404, "The resource could not be found.")
		return
	}
	if len(parts) == 1 {
		writeJSON(w, http.StatusOK, map[string]any{"version": s.novaVersionDoc(r, "v2.1")})
		return
	}
	c, ok := s.authenticate(r)
	if !ok {
		s.unauthorized(w, r)
		return
	}
	w.Header().Set("x-openstack-request-id", requestID())
	w.Header().Set("x-compute-request-id", w.Header().Get("x-openstack-request-id"))
	mv, status, msg := negotiateNova(r.Header)
	if status != 0 {
		writeFault(w, status, msg)
		return
	}
	w.Header().Set("OpenStack-API-Version", "compute "+mv.String())
	w.Header().Set("X-OpenStack-Nova-API-Version", mv.String())
	w.Header().Set("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version")
	n := &novaRequest{caller: c, r: r, w: w, mv: mv}
	p := parts[1:]
	// Legacy URLs carry the project: /v2.1/{project_id}/servers.
	if len(p) > 1 && p[0] == c.projectID {
		p = p[1:]
	}
	if s.routeNovaBuild(n, p) {
		return
	}
	m := r.Method
	switch {
	case len(p) == 1 && p[0] == "servers" && m == http.MethodGet:
		s.listServers(n, false)
	case len(p) == 2 && p[0] == "servers" && p[1] == "detail" && m == http.MethodGet:
		s.listServers(n, true)
	case len(p) == 2 && p[0] == "servers" && m == http.MethodGet:
		s.showServer(n, p[1])
	case len(p) == 2 && p[0] == "servers" && m == http.MethodDelete:
		s.deleteServer(n, p[1])
	case len(p) == 3 && p[0] == "servers" && p[2] == "os-volume_attachments" && m == http.MethodGet:
		s.listAttachments(n, p[1])
	case len(p) == 4 && p[0] == "servers" && p[2] == "os-volume_attachments" && m == http.MethodGet:
		s.showAttachment(n, p[1], p[3])
	default:
		n.fault(404, "The resource could not be found.")
	}
}

// negotiateNova reads OpenStack-API-Version: compute X, else the legacy
// X-OpenStack-Nova-API-Version; absent means 2.1.
func negotiateNova(h http.Header) (apiVersion, int, string) {
	minV, maxV := mustVersion(NovaMinVersion), mustVersion(NovaMaxVersion)
	ver := ""
	for _, part := range strings.Split(h.Get("OpenStack-API-Version"), ",") {
		f := strings.Fields(part)
		if len(f) == 2 && strings.EqualFold(f[0], "compute") {
			ver = f[1]
		}
	}
	if ver == "" {
		ver = strings.TrimSpace(h.Get("X-OpenStack-Nova-API-Version"))
	}
	if ver == "" {
		return minV, 0, ""
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

func (n *novaRequest) visibleServer(sv *Server) bool {
	return sv != nil && (n.admin || sv.Project == n.projectID)
}

func (s *Site) serverLinks(r *http.Request, sv *Server) []any {
	base := s.baseURL(r)
	return []any{
		map[string]any{"rel": "self", "href": base + "/compute/v2.1/servers/" + sv.ID},
		map[string]any{"rel": "bookmark", "href": base + "/compute/servers/" + sv.ID},
	}
}

// serverView is the server as GET /servers/{id} shows it at the request's
// microversion; OS-EXT-SRV-ATTR fields are admin-only.
func (s *Site) serverView(n *novaRequest, sv *Server) map[string]any {
	attached := []any{}
	for _, a := range sv.Volumes {
		item := map[string]any{"id": a.VolumeID}
		if n.mv.atLeast("2.3") {
			item["delete_on_termination"] = a.DeleteOnTermination
		}
		attached = append(attached, item)
	}
	taskState := any(nil)
	if sv.Deleting {
		taskState = "deleting"
	} else if sv.Status == "BUILD" {
		taskState = "spawning"
	}
	metadata := cloneMap(sv.Metadata)
	flavor := s.st.Flavors[sv.FlavorID]
	if flavor == nil {
		flavor = &fallbackFlavor
	}
	m := map[string]any{
		"id": sv.ID, "name": sv.Name, "status": sv.Status, "tenant_id": sv.Project,
		"user_id": stableID("user-of", sv.Project), "metadata": metadata,
		"hostId": stableID("host", sv.Project, sv.Host)[:28], "image": "",
		"created": isoTimeZ(sv.CreatedAt), "updated": isoTimeZ(sv.CreatedAt),
		"addresses": s.serverAddresses(sv.ID), "accessIPv4": "", "accessIPv6": "",
		"links": s.serverLinks(n.r, sv), "OS-DCF:diskConfig": "MANUAL", "progress": 0,
		"OS-EXT-AZ:availability_zone": availabilityZone(sv), "config_drive": "", "key_name": keyName(sv),
		"OS-SRV-USG:launched_at": isoTime(sv.CreatedAt), "OS-SRV-USG:terminated_at": nil,
		"OS-EXT-STS:task_state": taskState, "OS-EXT-STS:vm_state": vmState(sv),
		"OS-EXT-STS:power_state": 1, "os-extended-volumes:volumes_attached": attached,
	}
	if n.mv.atLeast("2.47") {
		m["flavor"] = map[string]any{"vcpus": flavor.VCPUs, "ram": flavor.RAM, "disk": flavor.Disk, "ephemeral": flavor.Ephemeral, "swap": flavor.Swap, "original_name": flavor.Name, "extra_specs": cloneMap(flavor.ExtraSpecs)}
	} else {
		m["flavor"] = map[string]any{"id": flavor.ID, "links": []any{map[string]any{"rel": "bookmark", "href": s.baseURL(n.r) + "/compute/flavors/" + flavor.ID}}}
	}
	if n.mv.atLeast("2.9") {
		m["locked"] = false
	}
	if n.mv.atLeast("2.19") {
		m["description"] = nil
	}
	if n.mv.atLeast("2.26") {
		m["tags"] = append([]string{}, sv.Tags...)
	}
	if n.mv.atLeast("2.63") {
		m["trusted_image_certificates"] = nil
	}
	if n.mv.atLeast("2.16") && n.admin {
		m["host_status"] = "UP"
	}
	if n.mv.atLeast("2.73") {
		m["locked_reason"] = nil
	}
	if n.admin {
		m["OS-EXT-SRV-ATTR:host"] = sv.Host
		m["OS-EXT-SRV-ATTR:hypervisor_hostname"] = sv.Host
		m["OS-EXT-SRV-ATTR:instance_name"] = "instance-" + sv.ID[:8]
		if n.mv.atLeast("2.3") {
			m["OS-EXT-SRV-ATTR:root_device_name"] = sv.RootDeviceName
			m["OS-EXT-SRV-ATTR:reservation_id"] = "r-" + sv.ID[:8]
			m["OS-EXT-SRV-ATTR:launch_index"] = 0
			m["OS-EXT-SRV-ATTR:hostname"] = sv.Name
			m["OS-EXT-SRV-ATTR:kernel_id"] = ""
			m["OS-EXT-SRV-ATTR:ramdisk_id"] = ""
			m["OS-EXT-SRV-ATTR:user_data"] = nil
		}
	}
	if n.mv.atLeast("2.90") && !n.admin {
		m["OS-EXT-SRV-ATTR:hostname"] = sv.Name
	}
	return m
}

// availabilityZone is the zone a server shows: Nova's default zone when
// the fixture named none.
func availabilityZone(sv *Server) string {
	if sv.AvailabilityZone == "" {
		return "nova"
	}
	return sv.AvailabilityZone
}

// keyName is key_name as Nova shows it: null for a server booted without
// a key pair.
func keyName(sv *Server) any {
	if sv.KeyName == "" {
		return nil
	}
	return sv.KeyName
}

func (s *Site) showServer(n *novaRequest, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[id]
	if !n.visibleServer(sv) {
		n.fault(404, "Instance %s could not be found.", id)
		return
	}
	writeJSON(n.w, 200, map[string]any{"server": s.serverView(n, sv)})
}

func (s *Site) listServers(n *novaRequest, detail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := n.r.URL.Query()
	allTenants := n.admin && q.Has("all_tenants")
	// An admin's all_tenants listing may be narrowed to one project;
	// without all_tenants Nova lists the caller's project whatever
	// project_id says.
	project := ""
	if allTenants {
		project = q.Get("project_id")
	}
	var servers []*Server
	for _, sv := range s.st.Servers {
		mine := sv.Project == n.projectID
		if allTenants {
			mine = project == "" || sv.Project == project
		}
		if mine {
			servers = append(servers, sv)
		}
	}
	sort.Slice(servers, func(i, j int) bool {
		if !servers[i].CreatedAt.Equal(servers[j].CreatedAt) {
			return servers[i].CreatedAt.After(servers[j].CreatedAt)
		}
		return servers[i].ID > servers[j].ID
	})
	// Pages as Nova's: marker and limit, at most max_limit (1000), and a
	// servers_links next link when a page is full.
	if m := q.Get("marker"); m != "" {
		i := slices.IndexFunc(servers, func(sv *Server) bool { return sv.ID == m })
		if i < 0 {
			n.fault(400, "marker [%s] not found", m)
			return
		}
		servers = servers[i+1:]
	}
	limit := 1000
	if l := q.Get("limit"); l != "" {
		v, err := strconv.Atoi(l)
		if err != nil || v < 0 {
			n.fault(400, "Invalid input for query parameters limit. Value: %s.", l)
			return
		}
		limit = min(limit, v)
	}
	var links []any
	if len(servers) >= limit {
		servers = servers[:limit]
		if limit > 0 {
			u := *n.r.URL
			nq := u.Query()
			nq.Set("marker", servers[len(servers)-1].ID)
			u.RawQuery = nq.Encode()
			links = []any{map[string]any{"rel": "next", "href": requestBase(n.r) + u.RequestURI()}}
		}
	}
	out := []any{}
	for _, sv := range servers {
		if detail {
			out = append(out, s.serverView(n, sv))
		} else {
			out = append(out, map[string]any{"id": sv.ID, "name": sv.Name, "links": s.serverLinks(n.r, sv)})
		}
	}
	body := map[string]any{"servers": out}
	if links != nil {
		body["servers_links"] = links
	}
	writeJSON(n.w, 200, body)
}

// deleteServer answers 204 at once; the server shows task_state deleting
// until the async delay has passed, then it is gone and its volumes are
// detached (deleted when delete_on_termination and in no group).
func (s *Site) deleteServer(n *novaRequest, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[id]
	if !n.visibleServer(sv) {
		n.fault(404, "Instance %s could not be found.", id)
		return
	}
	sv.Deleting = true
	n.w.WriteHeader(http.StatusNoContent)
	s.after(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		sv := s.st.Servers[id]
		if sv == nil {
			return
		}
		delete(s.st.Servers, id)
		for _, a := range sv.Volumes {
			v := s.st.Volumes[a.VolumeID]
			if v == nil {
				continue
			}
			var keep []VolumeAttachment
			for _, va := range v.Attachments {
				if va.ServerID != id {
					keep = append(keep, va)
				}
			}
			v.Attachments = keep
			if len(keep) == 0 && v.Status == "in-use" {
				v.Status = "available"
			}
			if a.DeleteOnTermination && v.GroupID == "" && len(keep) == 0 {
				delete(s.st.Volumes, v.ID)
			}
		}
	})
}

func (s *Site) attachmentView(n *novaRequest, sv *Server, a Attachment) map[string]any {
	m := map[string]any{"serverId": sv.ID, "volumeId": a.VolumeID, "device": a.Device}
	if !n.mv.atLeast("2.89") {
		m["id"] = a.VolumeID
	}
	if n.mv.atLeast("2.70") {
		m["tag"] = nil
	}
	if n.mv.atLeast("2.79") {
		m["delete_on_termination"] = a.DeleteOnTermination
	}
	if n.mv.atLeast("2.89") {
		m["attachment_id"] = a.AttachmentID
		m["bdm_uuid"] = a.BDMUUID
	}
	return m
}

func (s *Site) listAttachments(n *novaRequest, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[id]
	if !n.visibleServer(sv) {
		n.fault(404, "Instance %s could not be found.", id)
		return
	}
	out := []any{}
	for _, a := range sv.Volumes {
		out = append(out, s.attachmentView(n, sv, a))
	}
	writeJSON(n.w, 200, map[string]any{"volumeAttachments": out})
}

func (s *Site) showAttachment(n *novaRequest, id, volumeID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.Servers[id]
	if !n.visibleServer(sv) {
		n.fault(404, "Instance %s could not be found.", id)
		return
	}
	for _, a := range sv.Volumes {
		if a.VolumeID == volumeID {
			writeJSON(n.w, 200, map[string]any{"volumeAttachment": s.attachmentView(n, sv, a)})
			return
		}
	}
	n.fault(404, "Volume %s is not attached to %s", volumeID, id)
}
