package flasharraysim

import (
	"sort"
	"strings"
	"time"
)

// findGroup finds a group by its name on this array: a local group, or
// <source>:<group> for a group of a connected array that targets this one.
func (a *Array) findGroup(name string) (pg *ProtectionGroupState, source *Array) {
	if src, g, remote := strings.Cut(name, ":"); remote && !strings.Contains(name, "::") {
		c := a.st.Connections[src]
		if c == nil || c.peer == nil {
			return nil, nil
		}
		pg := c.peer.st.ProtectionGroups[g]
		if pg == nil || pg.target(a.opts.Name) == nil {
			return nil, nil
		}
		return pg, c.peer
	}
	return a.st.ProtectionGroups[name], nil
}

func (pg *ProtectionGroupState) target(name string) *TargetState {
	for _, t := range pg.Targets {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// groupView is a group with its name and source as this array sees it.
type groupView struct {
	name   string
	pg     *ProtectionGroupState
	source *Array // nil for a local group
}

// groups lists local groups, then groups replicated here.
func (a *Array) groups() []groupView {
	var out []groupView
	for _, n := range sortedKeys(a.st.ProtectionGroups) {
		out = append(out, groupView{name: n, pg: a.st.ProtectionGroups[n]})
	}
	for _, cn := range sortedKeys(a.st.Connections) {
		peer := a.st.Connections[cn].peer
		if peer == nil {
			continue
		}
		for _, n := range sortedKeys(peer.st.ProtectionGroups) {
			pg := peer.st.ProtectionGroups[n]
			if pg.target(a.opts.Name) != nil {
				out = append(out, groupView{name: peer.opts.Name + ":" + n, pg: pg, source: peer})
			}
		}
	}
	return out
}

func retentionItem(r Retention) map[string]any {
	return map[string]any{"all_for_sec": r.AllForSec, "per_day": r.PerDay, "days": r.Days}
}

func (a *Array) groupItem(g groupView, minor int) map[string]any {
	pg := g.pg
	source := a
	if g.source != nil {
		source = g.source
	}
	var at any // a nil *int64 would be written as null
	if pg.ReplicationAt != nil {
		at = *pg.ReplicationAt
	}
	var remaining any
	if pg.Destroyed {
		remaining = int64(86400000)
	}
	item := map[string]any{
		"name": g.name, "destroyed": pg.Destroyed, "is_local": g.source == nil,
		"pod":    ref("", ""),
		"source": ref(source.opts.Name, source.st.ID),
		"replication_schedule": map[string]any{
			"enabled": pg.ReplicationEnabled, "frequency": pg.ReplicationFrequency, "at": at,
			"blackout": map[string]any{"start": nil, "end": nil},
		},
		"snapshot_schedule": map[string]any{"enabled": pg.SnapshotEnabled, "frequency": pg.SnapshotFrequency, "at": nil},
		"source_retention":  retentionItem(pg.SourceRetention),
		"target_retention":  retentionItem(pg.TargetRetention),
		"target_count":      len(pg.Targets),
		"volume_count":      len(pg.Volumes),
		"host_count":        0,
		"host_group_count":  0,
		"time_remaining":    remaining,
	}
	if minor >= 13 {
		item["retention_lock"] = "unlocked"
		item["eradication_config"] = map[string]any{"manual_eradication": "enabled"}
	}
	if minor >= 26 {
		item["id"] = pg.ID
	}
	return item
}

func (a *Array) getGroups(r *request) ([]any, *apiErr) {
	destroyed, filterDestroyed, err := r.boolParam("destroyed")
	if err != nil {
		return nil, err
	}
	var views []groupView
	if names := r.list("names"); len(names) > 0 {
		var missing *apiErr
		for _, n := range names {
			pg, src := a.findGroup(n)
			if pg == nil {
				missing = missing.add(notExist(n, "Protection group"))
				continue
			}
			views = append(views, groupView{name: n, pg: pg, source: src})
		}
		if missing != nil {
			return nil, missing
		}
	} else {
		views = a.groups()
	}
	var out []any
	for _, g := range views {
		if filterDestroyed && g.pg.Destroyed != destroyed {
			continue
		}
		out = append(out, a.groupItem(g, r.minor))
	}
	return out, nil
}

// createGroup is POST /protection-groups for one name.
func (a *Array) createGroup(name string) (*ProtectionGroupState, *apiErr) {
	// A group inside a pod is named <pod>::<group> (the Pure Cinder driver
	// makes cinder-pod::consisgroup-<id>-cinder for sync types); the pod must
	// exist. Any other colon is reserved for replicated views (<src>:<pg>).
	local := name
	if pod, rest, inPod := strings.Cut(name, "::"); inPod {
		if p := a.st.Pods[pod]; p == nil || p.Destroyed {
			return nil, badRequest(name, "Pod does not exist.")
		}
		local = rest
	}
	if local == "" || strings.Contains(local, ":") {
		return nil, badRequest(name, "Invalid protection group name.")
	}
	if pg := a.st.ProtectionGroups[name]; pg != nil {
		if pg.Destroyed {
			return nil, badRequest(name, "Protection group has been destroyed and is pending eradication.")
		}
		return nil, alreadyExists(name, "Protection group")
	}
	pg := &ProtectionGroupState{ID: newID(), Name: name, Created: a.now(),
		// Purity's defaults: hourly replication, off until enabled.
		ReplicationFrequency: 3600000,
		SnapshotFrequency:    3600000,
		SourceRetention:      Retention{AllForSec: 86400, PerDay: 4, Days: 7},
		TargetRetention:      Retention{AllForSec: 86400, PerDay: 4, Days: 7},
	}
	a.st.ProtectionGroups[name] = pg
	return pg, nil
}

func (a *Array) postGroups(r *request) ([]any, *apiErr) {
	names, err := r.required("names")
	if err != nil {
		return nil, err
	}
	var out []any
	for _, n := range names {
		pg, err := a.createGroup(n)
		if err != nil {
			return nil, err
		}
		out = append(out, a.groupItem(groupView{name: n, pg: pg}, r.minor))
	}
	return out, nil
}

type retentionPatch struct {
	AllForSec *int64 `json:"all_for_sec"`
	PerDay    *int64 `json:"per_day"`
	Days      *int64 `json:"days"`
}

func (p *retentionPatch) apply(r *Retention) {
	if p == nil {
		return
	}
	if p.AllForSec != nil {
		r.AllForSec = *p.AllForSec
	}
	if p.PerDay != nil {
		r.PerDay = *p.PerDay
	}
	if p.Days != nil {
		r.Days = *p.Days
	}
}

type schedulePatch struct {
	Enabled   *bool  `json:"enabled"`
	Frequency *int64 `json:"frequency"`
	At        *int64 `json:"at"`
}

func (a *Array) patchGroups(r *request) ([]any, *apiErr) {
	names, err := r.required("names")
	if err != nil {
		return nil, err
	}
	var body struct {
		Destroyed           *bool           `json:"destroyed"`
		Name                *string         `json:"name"`
		ReplicationSchedule *schedulePatch  `json:"replication_schedule"`
		SnapshotSchedule    *schedulePatch  `json:"snapshot_schedule"`
		SourceRetention     *retentionPatch `json:"source_retention"`
		TargetRetention     *retentionPatch `json:"target_retention"`
	}
	if err := r.decode(&body); err != nil {
		return nil, err
	}
	var out []any
	for _, n := range names {
		pg, src := a.findGroup(n)
		if pg == nil {
			return nil, notExist(n, "Protection group")
		}
		if src != nil {
			return nil, badRequest(n, "Protection group settings can only be changed on the source array.")
		}
		changesSettings := body.Name != nil || body.ReplicationSchedule != nil || body.SnapshotSchedule != nil ||
			body.SourceRetention != nil || body.TargetRetention != nil
		if pg.Destroyed && changesSettings && (body.Destroyed == nil || *body.Destroyed) {
			return nil, badRequest(n, "Protection group has been destroyed.")
		}
		if rs := body.ReplicationSchedule; rs != nil {
			if rs.Frequency != nil {
				if *rs.Frequency < 300000 {
					return nil, badRequest(n, "Replication frequency must be at least 5 minutes (300000 ms).")
				}
				if *rs.Frequency != pg.ReplicationFrequency {
					pg.ReplicationFrequency = *rs.Frequency
					pg.ScheduleAnchor = time.Time{}
				}
			}
			if rs.Enabled != nil {
				if *rs.Enabled && !pg.ReplicationEnabled {
					pg.ScheduleAnchor = time.Time{}
				}
				pg.ReplicationEnabled = *rs.Enabled
			}
			if rs.At != nil {
				v := *rs.At
				pg.ReplicationAt = &v
			}
		}
		if ss := body.SnapshotSchedule; ss != nil {
			if ss.Enabled != nil {
				pg.SnapshotEnabled = *ss.Enabled
			}
			if ss.Frequency != nil {
				pg.SnapshotFrequency = *ss.Frequency
			}
		}
		body.SourceRetention.apply(&pg.SourceRetention)
		body.TargetRetention.apply(&pg.TargetRetention)
		if body.Destroyed != nil {
			pg.Destroyed = *body.Destroyed
		}
		name := n
		if body.Name != nil && *body.Name != n {
			if a.st.ProtectionGroups[*body.Name] != nil {
				return nil, alreadyExists(*body.Name, "Protection group")
			}
			delete(a.st.ProtectionGroups, n)
			pg.Name = *body.Name
			a.st.ProtectionGroups[pg.Name] = pg
			name = pg.Name
		}
		a.advanceAll()
		out = append(out, a.groupItem(groupView{name: name, pg: pg}, r.minor))
	}
	return out, nil
}

func (a *Array) deleteGroups(r *request) ([]any, *apiErr) {
	names, err := r.required("names")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		pg, src := a.findGroup(n)
		if pg == nil {
			return nil, notExist(n, "Protection group")
		}
		if src != nil {
			return nil, badRequest(n, "Protection group can only be eradicated on the source array.")
		}
		if !pg.Destroyed {
			return nil, badRequest(n, "Protection group must be destroyed before it can be eradicated.")
		}
	}
	for _, n := range names {
		delete(a.st.ProtectionGroups, n)
		for sn, s := range a.st.Snapshots {
			if s.Source == n {
				delete(a.st.Snapshots, sn)
			}
		}
	}
	return nil, nil
}

func memberItem(group, groupID, member, memberID string) map[string]any {
	return map[string]any{"group": ref(group, groupID), "member": ref(member, memberID)}
}

// selectGroups is the groups a membership listing names in group_names
// (local or replicated here), or every group when it names none.
func (a *Array) selectGroups(names []string) ([]groupView, *apiErr) {
	if len(names) == 0 {
		return a.groups(), nil
	}
	views := make([]groupView, 0, len(names))
	for _, n := range names {
		pg, src := a.findGroup(n)
		if pg == nil {
			return nil, notExist(n, "Protection group")
		}
		views = append(views, groupView{name: n, pg: pg, source: src})
	}
	return views, nil
}

func (a *Array) getGroupVolumes(r *request) ([]any, *apiErr) {
	views, err := a.selectGroups(r.list("group_names"))
	if err != nil {
		return nil, err
	}
	members := r.list("member_names")
	var out []any
	for _, g := range views {
		if g.source != nil {
			continue // the volumes live on the source array
		}
		vols := append([]string(nil), g.pg.Volumes...)
		sort.Strings(vols)
		for _, v := range vols {
			if len(members) > 0 && !contains(members, v) {
				continue
			}
			item := memberItem(g.name, g.pg.ID, v, "")
			if vs := a.volume(v); vs != nil {
				item["member"] = map[string]any{"name": v, "id": vs.ID, "destroyed": vs.Destroyed}
			}
			out = append(out, item)
		}
	}
	return out, nil
}

// localGroup finds a local, not destroyed group for a membership change.
func (a *Array) localGroup(name string) (*ProtectionGroupState, *apiErr) {
	pg, src := a.findGroup(name)
	if pg == nil {
		return nil, notExist(name, "Protection group")
	}
	if src != nil {
		return nil, badRequest(name, "Protection group members can only be changed on the source array.")
	}
	if pg.Destroyed {
		return nil, badRequest(name, "Protection group has been destroyed.")
	}
	return pg, nil
}

// addGroupVolumes adds the new volumes; each one already there gives an
// "already belongs" error (and the new ones are still added).
func (a *Array) addGroupVolumes(group string, volumes []string) ([]any, *apiErr) {
	pg, err := a.localGroup(group)
	if err != nil {
		return nil, err
	}
	for _, v := range volumes {
		if vs := a.volume(v); vs == nil || vs.Destroyed {
			return nil, notExist(v, "Volume")
		}
	}
	var out []any
	var already *apiErr
	for _, v := range volumes {
		if contains(pg.Volumes, v) {
			already = already.add(badRequest(v, "Volume "+v+" already belongs to protection group "+group+"."))
			continue
		}
		pg.Volumes = append(pg.Volumes, v)
		out = append(out, memberItem(group, pg.ID, v, a.volume(v).ID))
	}
	return out, already
}

func (a *Array) removeGroupVolumes(group string, volumes []string) *apiErr {
	pg, err := a.localGroup(group)
	if err != nil {
		return err
	}
	var missing *apiErr
	for _, v := range volumes {
		if !contains(pg.Volumes, v) {
			missing = missing.add(badRequest(v, "Volume "+v+" is not a member of protection group "+group+"."))
			continue
		}
		pg.Volumes = remove(pg.Volumes, v)
	}
	return missing
}

func (a *Array) postGroupVolumes(r *request) ([]any, *apiErr) {
	groups, err := r.required("group_names")
	if err != nil {
		return nil, err
	}
	members, err := r.required("member_names")
	if err != nil {
		return nil, err
	}
	var out []any
	var errs *apiErr
	for _, g := range groups {
		items, err := a.addGroupVolumes(g, members)
		if err != nil && !err.allContain("already belongs") {
			return nil, err
		}
		errs = errs.add(err)
		out = append(out, items...)
	}
	if errs != nil {
		return nil, errs
	}
	return out, nil
}

func (a *Array) deleteGroupVolumes(r *request) ([]any, *apiErr) {
	groups, err := r.required("group_names")
	if err != nil {
		return nil, err
	}
	members, err := r.required("member_names")
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if err := a.removeGroupVolumes(g, members); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (a *Array) targetItem(group string, pg *ProtectionGroupState, t *TargetState) map[string]any {
	return map[string]any{"group": ref(group, pg.ID), "member": map[string]any{"name": t.Name}, "allowed": t.Allowed}
}

func (a *Array) getGroupTargets(r *request) ([]any, *apiErr) {
	views, err := a.selectGroups(r.list("group_names"))
	if err != nil {
		return nil, err
	}
	members := r.list("member_names")
	var out []any
	for _, g := range views {
		for _, t := range g.pg.Targets {
			if len(members) > 0 && !contains(members, t.Name) {
				continue
			}
			out = append(out, a.targetItem(g.name, g.pg, t))
		}
	}
	return out, nil
}

func (a *Array) postGroupTargets(r *request) ([]any, *apiErr) {
	groups, err := r.required("group_names")
	if err != nil {
		return nil, err
	}
	members, err := r.required("member_names")
	if err != nil {
		return nil, err
	}
	var out []any
	for _, g := range groups {
		pg, err := a.localGroup(g)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if m == a.opts.Name {
				return nil, badRequest(m, "An array cannot be a target of its own protection group.")
			}
			if c := a.st.Connections[m]; c == nil || c.Status != "connected" {
				return nil, badRequest(m, "Array "+m+" is not connected.")
			}
			if pg.target(m) != nil {
				return nil, badRequest(m, "Target "+m+" already exists on protection group "+g+".")
			}
		}
		for _, m := range members {
			t := &TargetState{Name: m}
			pg.Targets = append(pg.Targets, t)
			out = append(out, a.targetItem(g, pg, t))
		}
	}
	return out, nil
}

// patchGroupTargets sets allowed; only the target array may, on the
// group's name there (<source>:<group>).
func (a *Array) patchGroupTargets(r *request) ([]any, *apiErr) {
	groups, err := r.required("group_names")
	if err != nil {
		return nil, err
	}
	var body struct {
		Allowed *bool `json:"allowed"`
	}
	if err := r.decode(&body); err != nil {
		return nil, err
	}
	if body.Allowed == nil {
		return nil, badRequest("", "Missing required field: allowed.")
	}
	members := r.list("member_names")
	var out []any
	for _, g := range groups {
		pg, src := a.findGroup(g)
		if pg == nil {
			return nil, notExist(g, "Protection group")
		}
		if src == nil {
			return nil, badRequest(g, "The allowed status of a target can only be changed on the target array.")
		}
		for _, m := range members {
			if m != a.opts.Name {
				return nil, badRequest(m, "The allowed status can only be changed for this array ("+a.opts.Name+").")
			}
		}
		t := pg.target(a.opts.Name)
		t.Allowed = *body.Allowed
		out = append(out, a.targetItem(g, pg, t))
	}
	return out, nil
}

func (a *Array) deleteGroupTargets(r *request) ([]any, *apiErr) {
	groups, err := r.required("group_names")
	if err != nil {
		return nil, err
	}
	members, err := r.required("member_names")
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		pg, src := a.findGroup(g)
		if pg == nil {
			return nil, notExist(g, "Protection group")
		}
		if src != nil {
			return nil, badRequest(g, "Targets can only be removed on the source array.")
		}
		for _, m := range members {
			if pg.target(m) == nil {
				return nil, badRequest(m, "Array "+m+" is not a target of protection group "+g+".")
			}
		}
		for _, m := range members {
			var keep []*TargetState
			for _, t := range pg.Targets {
				if t.Name != m {
					keep = append(keep, t)
				}
			}
			pg.Targets = keep
		}
	}
	return nil, nil
}
