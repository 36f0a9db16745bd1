package openstacksim

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// Cinder's view of its volume services, admin-only as in Cinder: the
// service list (os-services, policy volume_extension:services:index) and
// the scheduler's storage pools (scheduler-stats/get_pools, policy
// scheduler_extension:scheduler_stats:get_pools). The scheduler lists the
// pools of the volume services that are up and enabled only, which is how
// a client tells a backend that cannot take volumes now.

// VolumeService is one cinder-volume service (one backend of cinder.conf).
type VolumeService struct {
	// Host is host@backend (the pool follows a '#' in volume hosts).
	Host string
	// BackendName is the backend's volume_backend_name, which volume types
	// select with the extra spec of that name.
	BackendName string
	// Pools are the backend's pools (default: the part after '@').
	Pools []string
	// Down: the service stopped reporting (state "down").
	Down bool
	// Disabled: an operator disabled it (status "disabled"), with Reason.
	Disabled bool
	Reason   string
}

// AddVolumeService adds (or replaces) a cinder-volume service.
func (s *Site) AddVolumeService(v VolumeService) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := v
	c.Pools = append([]string(nil), v.Pools...)
	if len(c.Pools) == 0 {
		_, backend, _ := strings.Cut(c.Host, "@")
		c.Pools = []string{backend}
	}
	s.st.VolumeServices[c.Host] = &c
}

// SetVolumeServiceDown stops (down) or restarts a cinder-volume service,
// as `systemctl stop cinder-volume` would; false when there is no such
// service.
func (s *Site) SetVolumeServiceDown(host string, down bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.VolumeServices[host]
	if v == nil {
		return false
	}
	v.Down = down
	return true
}

func (s *Site) routeCinderServices(c *cinderRequest, p []string) bool {
	if c.r.Method != http.MethodGet {
		return false
	}
	switch {
	case len(p) == 1 && p[0] == "os-services":
		s.listCinderServices(c)
	case len(p) == 2 && p[0] == "scheduler-stats" && p[1] == "get_pools":
		s.listPools(c)
	default:
		return false
	}
	return true
}

// sortedServices are the volume services by host. mu held.
func (s *Site) sortedServices() []*VolumeService {
	out := make([]*VolumeService, 0, len(s.st.VolumeServices))
	for _, v := range s.st.VolumeServices {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

// listCinderServices is GET /os-services[?binary=&host=]: the scheduler
// (always up) and the volume services, with state up/down and status
// enabled/disabled; backend_state from 3.49 for volume services.
func (s *Site) listCinderServices(c *cinderRequest) {
	if !c.admin {
		c.fault(403, "Policy doesn't allow volume_extension:services:index to be performed.")
		return
	}
	q := c.r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC()
	up := isoTime(now)
	item := func(binary, host, state, status string, reason any) map[string]any {
		m := map[string]any{"binary": binary, "host": host, "zone": defaultAZ, "state": state, "status": status,
			"updated_at": up, "disabled_reason": reason}
		if state == "down" {
			m["updated_at"] = isoTime(now.Add(-10 * time.Minute))
		}
		if c.mv.atLeast("3.7") {
			m["cluster"] = nil
		}
		if binary == "cinder-volume" {
			m["replication_status"], m["active_backend_id"], m["frozen"] = "disabled", nil, false
			if c.mv.atLeast("3.49") {
				m["backend_state"] = "up"
				if state == "down" {
					m["backend_state"] = "down"
				}
			}
		}
		return m
	}
	all := []map[string]any{item("cinder-scheduler", s.opts.Name+"-controller", "up", "enabled", nil)}
	for _, v := range s.sortedServices() {
		state, status := "up", "enabled"
		var reason any
		if v.Down {
			state = "down"
		}
		if v.Disabled {
			status, reason = "disabled", v.Reason
		}
		all = append(all, item("cinder-volume", v.Host, state, status, reason))
	}
	out := []any{}
	for _, m := range all {
		if b := q.Get("binary"); b != "" && m["binary"] != b {
			continue
		}
		if h := q.Get("host"); h != "" && m["host"] != h {
			continue
		}
		out = append(out, m)
	}
	writeJSON(c.w, 200, map[string]any{"services": out})
}

// listPools is GET /scheduler-stats/get_pools[?detail=true]: the pools of
// the volume services that are up and enabled, names only unless detail.
func (s *Site) listPools(c *cinderRequest) {
	if !c.admin {
		c.fault(403, "Policy doesn't allow scheduler_extension:scheduler_stats:get_pools to be performed.")
		return
	}
	detail := strings.EqualFold(c.r.URL.Query().Get("detail"), "true")
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, v := range s.sortedServices() {
		if v.Down || v.Disabled {
			continue
		}
		for _, pool := range v.Pools {
			m := map[string]any{"name": v.Host + "#" + pool}
			if detail {
				m["capabilities"] = map[string]any{
					"volume_backend_name": v.BackendName, "vendor_name": "Pure Storage", "driver_version": "22.0.0",
					"storage_protocol": "iSCSI", "total_capacity_gb": 10240.0, "free_capacity_gb": 8192.0,
					"allocated_capacity_gb": 0, "reserved_percentage": 0, "QoS_support": true,
					"thin_provisioning_support": true, "multiattach": true, "replication_enabled": true,
					"consistent_group_snapshot_enabled": true, "pool_name": pool,
					"timestamp": isoTime(time.Now().UTC()),
				}
			}
			out = append(out, m)
		}
	}
	writeJSON(c.w, 200, map[string]any{"pools": out})
}
