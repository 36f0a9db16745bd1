package openstacksim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Neutron, as much as a recovery description reads: networks and the ports
// of servers (GET, with the project's view: its own objects and shared
// networks; an admin sees all). Every other collection answers empty, as
// the real lane's stub (tools/openstack/py/stubs.py) answers all of them. A
// site with no network and no port answers exactly as that stub does, so
// servers booted without networks look the same in both lanes.

// Network is a Neutron network.
type Network struct {
	ID, Name string
	Project  string
	Shared   bool
}

// Port is a Neutron port; a server's has DeviceID = the server's id.
type Port struct {
	ID             string
	NetworkID      string
	DeviceID       string
	Project        string
	FixedIPs       []string
	SecurityGroups []string // ids
}

// AddNetwork adds a network (ID generated when empty; Project by name or
// ID) and returns its ID.
func (s *Site) AddNetwork(n Network) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n.ID == "" {
		n.ID = newUUID()
	}
	n.Project = s.projectRef(n.Project)
	s.st.Networks[n.ID] = &n
	return n.ID
}

// AddPort adds a port (ID generated when empty) and returns its ID. The
// port's project is its network's unless given.
func (s *Site) AddPort(p Port) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ID == "" {
		p.ID = newUUID()
	}
	if p.Project == "" {
		if n := s.st.Networks[p.NetworkID]; n != nil {
			p.Project = n.Project
		}
	} else {
		p.Project = s.projectRef(p.Project)
	}
	p.FixedIPs = slices.Clone(p.FixedIPs)
	p.SecurityGroups = slices.Clone(p.SecurityGroups)
	s.st.Ports[p.ID] = &p
	return p.ID
}

func (s *Site) serveNeutron(w http.ResponseWriter, r *http.Request, rest string) {
	path := strings.TrimSuffix(strings.TrimRight(rest, "/"), ".json")
	m := emptyCollectionRe.FindStringSubmatch(path)
	if m == nil || r.Method != http.MethodGet || (m[1] != "networks" && m[1] != "ports") {
		serveEmpty(w, r, rest)
		return
	}
	c, ok := s.authenticate(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{
			"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	var items []map[string]any
	switch m[1] {
	case "networks":
		for _, n := range s.st.Networks {
			if (c.admin || n.Shared || n.Project == c.projectID) && (m[2] == "" || m[2] == n.ID) && matches(q, "id", n.ID) && matches(q, "name", n.Name) {
				items = append(items, s.networkView(n))
			}
		}
	case "ports":
		for _, p := range s.st.Ports {
			if (c.admin || p.Project == c.projectID) && (m[2] == "" || m[2] == p.ID) && matches(q, "id", p.ID) &&
				matches(q, "device_id", p.DeviceID) && matches(q, "network_id", p.NetworkID) {
				items = append(items, portView(p))
			}
		}
	}
	sort.Slice(items, func(i, j int) bool { return fmt.Sprint(items[i]["id"]) < fmt.Sprint(items[j]["id"]) })
	singular := strings.TrimSuffix(m[1], "s")
	switch {
	case m[2] == "" && items == nil:
		writeJSON(w, http.StatusOK, map[string]any{m[1]: []any{}})
	case m[2] == "":
		writeJSON(w, http.StatusOK, map[string]any{m[1]: items})
	case len(items) == 0:
		kind := strings.ToUpper(singular[:1]) + singular[1:]
		writeJSON(w, http.StatusNotFound, map[string]any{"NeutronError": map[string]any{
			"type": kind + "NotFound", "message": fmt.Sprintf("%s %s could not be found.", kind, m[2]), "detail": ""}})
	default:
		writeJSON(w, http.StatusOK, map[string]any{singular: items[0]})
	}
}

// matches is Neutron's filter: a query parameter, when given, must equal
// the field (any of its values when repeated).
func matches(q map[string][]string, key, value string) bool {
	want, ok := q[key]
	return !ok || slices.Contains(want, value)
}

func (s *Site) networkView(n *Network) map[string]any {
	var subnets []any
	for _, p := range s.st.Ports {
		if p.NetworkID == n.ID && len(subnets) == 0 {
			subnets = append(subnets, stableID("subnet", n.ID))
		}
	}
	if subnets == nil {
		subnets = []any{}
	}
	return map[string]any{
		"id": n.ID, "name": n.Name, "status": "ACTIVE", "admin_state_up": true, "shared": n.Shared,
		"project_id": n.Project, "tenant_id": n.Project, "subnets": subnets, "router:external": false,
		"mtu": 1450, "description": "", "tags": []any{}, "availability_zones": []any{"nova"},
	}
}

func portView(p *Port) map[string]any {
	ips := []any{}
	for _, ip := range p.FixedIPs {
		ips = append(ips, map[string]any{"subnet_id": stableID("subnet", p.NetworkID), "ip_address": ip})
	}
	sgs := []any{}
	for _, sg := range p.SecurityGroups {
		sgs = append(sgs, sg)
	}
	owner := ""
	if p.DeviceID != "" {
		owner = "compute:nova"
	}
	return map[string]any{
		"id": p.ID, "name": "", "network_id": p.NetworkID, "device_id": p.DeviceID, "device_owner": owner,
		"project_id": p.Project, "tenant_id": p.Project, "status": "ACTIVE", "admin_state_up": true,
		"mac_address": portMAC(p), "fixed_ips": ips, "security_groups": sgs, "allowed_address_pairs": []any{},
		"description": "", "tags": []any{},
	}
}

// portMAC is a stable MAC address in OpenStack's fa:16:3e prefix.
func portMAC(p *Port) string {
	h := stableID("mac", p.ID)
	return "fa:16:3e:" + h[0:2] + ":" + h[2:4] + ":" + h[4:6]
}

// serverAddresses is the addresses field of a server view: its ports'
// fixed IPs by network name, as Nova shows them. mu held.
func (s *Site) serverAddresses(serverID string) map[string]any {
	out := map[string]any{}
	for _, p := range s.st.Ports {
		if p.DeviceID != serverID {
			continue
		}
		name := p.NetworkID
		if n := s.st.Networks[p.NetworkID]; n != nil {
			name = n.Name
		}
		list, _ := out[name].([]any)
		for _, ip := range p.FixedIPs {
			list = append(list, map[string]any{"addr": ip, "version": 4, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": portMAC(p)})
		}
		out[name] = list
	}
	return out
}
