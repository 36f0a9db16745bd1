package flasharraysim

import (
	"net/url"
	"sort"
	"strings"
	"time"
)

func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// ref is a reference to a named object; no name is no reference (left
// out of the answer).
func ref(name, id string) any {
	if name == "" {
		return nil
	}
	return map[string]any{"id": id, "name": name}
}

func (a *Array) getArrays(r *request) ([]any, *apiErr) {
	return []any{map[string]any{
		"id": a.st.ID, "name": a.opts.Name, "os": "Purity//FA", "version": a.opts.PurityVersion,
		"_as_of": a.now().UnixMilli(), "banner": "", "idle_timeout": 0, "time_zone": "UTC",
	}}, nil
}

func (a *Array) getConnections(r *request) ([]any, *apiErr) {
	want := r.list("names")
	for _, n := range want {
		if a.st.Connections[n] == nil {
			return nil, notExist(n, "Array connection")
		}
	}
	var out []any
	for _, n := range sortedKeys(a.st.Connections) {
		if len(want) > 0 && !contains(want, n) {
			continue
		}
		c := a.st.Connections[n]
		status := c.Status
		mgmt := ""
		if c.peer != nil {
			if c.peer.faults.Down() {
				status = "connecting"
			}
			if u, err := url.Parse(c.peer.URL()); err == nil {
				mgmt = u.Hostname()
			}
		}
		out = append(out, map[string]any{
			"id": c.ID, "name": c.Name, "status": status, "type": c.Type,
			"management_address": mgmt, "replication_addresses": []string{mgmt},
			"replication_transport": "ip", "version": a.opts.PurityVersion,
			"throttle": map[string]any{},
		})
	}
	return out, nil
}

// volume finds a volume by name, in or out of a pod on this array.
func (a *Array) volume(name string) *VolumeState {
	if v := a.st.Volumes[name]; v != nil {
		return v
	}
	if pod, ok := podOf(name); ok {
		if p := a.st.Pods[pod]; p != nil {
			return p.Volumes[name]
		}
	}
	return nil
}

func (a *Array) allVolumes() []*VolumeState {
	var out []*VolumeState
	for _, v := range a.st.Volumes {
		out = append(out, v)
	}
	for _, p := range a.st.Pods {
		for _, v := range p.Volumes {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (a *Array) volumeItem(v *VolumeState) map[string]any {
	podName, podID := "", ""
	if pod, ok := podOf(v.Name); ok {
		podName = pod
		if p := a.st.Pods[pod]; p != nil {
			podID = p.ID
		}
	}
	var remaining any
	if v.Destroyed {
		remaining = int64(86400000)
	}
	return map[string]any{
		"id": v.ID, "name": v.Name, "serial": v.Serial, "provisioned": v.Provisioned,
		"created": v.Created.UnixMilli(), "destroyed": v.Destroyed, "time_remaining": remaining,
		"pod": ref(podName, podID), "volume_group": ref("", ""), "source": a.sourceRef(v.Source),
		"subtype": "regular", "promotion_status": "promoted", "requested_promotion_state": "promoted",
		"connection_count": 0,
	}
}

// sourceRef is a copy's source as the array reports it: a volume by name
// and id, or a snapshot's volume by name.
func (a *Array) sourceRef(name string) any {
	if name == "" {
		return nil
	}
	if v := a.volume(name); v != nil {
		return ref(name, v.ID)
	}
	return map[string]any{"name": name}
}

func (a *Array) getVolumes(r *request) ([]any, *apiErr) {
	destroyed, filterDestroyed, err := r.boolParam("destroyed")
	if err != nil {
		return nil, err
	}
	keep := func(v *VolumeState) bool { return !filterDestroyed || v.Destroyed == destroyed }
	var out []any
	if names := r.list("names"); len(names) > 0 {
		var missing *apiErr
		for _, n := range names {
			v := a.volume(n)
			if v == nil {
				missing = missing.add(notExist(n, "Volume"))
				continue
			}
			if keep(v) {
				out = append(out, a.volumeItem(v))
			}
		}
		if missing != nil {
			return nil, missing
		}
		return out, nil
	}
	for _, v := range a.allVolumes() {
		if keep(v) {
			out = append(out, a.volumeItem(v))
		}
	}
	return out, nil
}

// postVolumes creates volumes, empty ({provisioned}) or as copies of a
// source ({source:{name}}): a volume, or a volume snapshot of a protection
// group snapshot (<pg snapshot>.<volume>, replicated ones included, as
// flasharray-a:pg.1.volume-x-cinder on the target). A name in use is
// refused unless overwrite=true, which replaces its contents.
func (a *Array) postVolumes(r *request) ([]any, *apiErr) {
	names, err := r.required("names")
	if err != nil {
		return nil, err
	}
	overwrite, _, err := r.boolParam("overwrite")
	if err != nil {
		return nil, err
	}
	var body struct {
		Provisioned int64 `json:"provisioned"`
		Source      *struct {
			Name string `json:"name"`
		} `json:"source"`
	}
	if err := r.decode(&body); err != nil {
		return nil, err
	}
	size, source := body.Provisioned, ""
	switch {
	case body.Source != nil:
		source = body.Source.Name
		var ok bool
		if size, ok = a.sourceSize(source); !ok {
			return nil, notExist(source, "Volume snapshot")
		}
	case body.Provisioned <= 0:
		return nil, badRequest("", "Volume size (provisioned) is required.")
	}
	var out []any
	for _, n := range names {
		if v := a.volume(n); v != nil {
			if !overwrite || source == "" {
				return nil, alreadyExists(n, "Volume")
			}
			v.Provisioned, v.Source = size, source
			out = append(out, a.volumeItem(v))
			continue
		}
		v := a.newVolume(n, size)
		v.Source = source
		if pod, ok := podOf(n); ok {
			p := a.st.Pods[pod]
			if p == nil {
				return nil, notExist(pod, "Pod")
			}
			p.Volumes[n] = v
		} else {
			a.st.Volumes[n] = v
		}
		out = append(out, a.volumeItem(v))
	}
	return out, nil
}

// sourceSize is the size of what a copy reads: a volume on this array, or
// a volume in a protection group snapshot held here (not destroyed).
func (a *Array) sourceSize(name string) (int64, bool) {
	if v := a.volume(name); v != nil && !v.Destroyed {
		return v.Provisioned, true
	}
	for _, s := range a.st.Snapshots {
		vol, ok := strings.CutPrefix(name, s.Name+".")
		if !ok || s.Destroyed || !contains(s.Volumes, vol) {
			continue
		}
		return s.Sizes[vol], true
	}
	return 0, false
}

func (a *Array) patchVolumes(r *request) ([]any, *apiErr) {
	names, err := r.required("names")
	if err != nil {
		return nil, err
	}
	var body struct {
		Destroyed   *bool   `json:"destroyed"`
		Provisioned *int64  `json:"provisioned"`
		Name        *string `json:"name"`
		Pod         *struct {
			Name *string `json:"name"`
		} `json:"pod"`
	}
	if err := r.decode(&body); err != nil {
		return nil, err
	}
	var out []any
	for _, n := range names {
		v := a.volume(n)
		if v == nil {
			return nil, notExist(n, "Volume")
		}
		if body.Destroyed != nil {
			v.Destroyed = *body.Destroyed
		}
		if body.Provisioned != nil {
			v.Provisioned = *body.Provisioned
		}
		if body.Name != nil {
			if err := a.renameVolume(v, *body.Name); err != nil {
				return nil, err
			}
		}
		if body.Pod != nil {
			target := ""
			if body.Pod.Name != nil {
				target = *body.Pod.Name
			}
			moved, err := a.moveVolume(v, target)
			if err != nil {
				return nil, err
			}
			v = moved
		}
		out = append(out, a.volumeItem(v))
	}
	return out, nil
}

// renameVolume renames a volume where it is (a name in a pod keeps the
// pod's prefix; a rename does not move a volume between pods).
func (a *Array) renameVolume(v *VolumeState, name string) *apiErr {
	pod, inPod := podOf(v.Name)
	newPod, newInPod := podOf(name)
	if inPod != newInPod || inPod && pod != newPod {
		return badRequest(v.Name, "Volume cannot be renamed into or out of a pod.")
	}
	if name == v.Name {
		return nil
	}
	if a.volume(name) != nil {
		return alreadyExists(name, "Volume")
	}
	vols := a.st.Volumes
	if inPod {
		vols = a.st.Pods[pod].Volumes
	}
	delete(vols, v.Name)
	for _, pg := range a.st.ProtectionGroups {
		for i, m := range pg.Volumes {
			if m == v.Name {
				pg.Volumes[i] = name
			}
		}
	}
	v.Name = name
	vols[name] = v
	return nil
}

// moveVolume moves a volume into a pod (or out, with an empty pod). As on
// the array, volumes move into an unstretched pod only: stretch the pod
// after moving its volumes in.
func (a *Array) moveVolume(v *VolumeState, pod string) (*VolumeState, *apiErr) {
	current, inPod := podOf(v.Name)
	base := v.Name
	if inPod {
		base = strings.TrimPrefix(v.Name, current+"::")
	}
	if pod == current {
		return v, nil
	}
	newName := base
	var target *PodState
	if pod != "" {
		target = a.st.Pods[pod]
		if target == nil {
			return nil, notExist(pod, "Pod")
		}
		if len(target.Arrays) > 1 {
			return nil, badRequest(v.Name, "Volumes cannot be moved into a stretched pod.")
		}
		newName = pod + "::" + base
	}
	if inPod {
		if p := a.st.Pods[current]; p != nil && len(p.Arrays) > 1 {
			return nil, badRequest(v.Name, "Volumes cannot be moved out of a stretched pod.")
		}
	}
	if a.volume(newName) != nil {
		return nil, alreadyExists(newName, "Volume")
	}
	old := v.Name
	if inPod {
		delete(a.st.Pods[current].Volumes, old)
	} else {
		delete(a.st.Volumes, old)
	}
	v.Name = newName
	if target != nil {
		target.Volumes[newName] = v
	} else {
		a.st.Volumes[newName] = v
	}
	for _, pg := range a.st.ProtectionGroups {
		for i, m := range pg.Volumes {
			if m == old {
				pg.Volumes[i] = newName
			}
		}
	}
	return v, nil
}

func (a *Array) deleteVolumes(r *request) ([]any, *apiErr) {
	names, err := r.required("names")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		v := a.volume(n)
		if v == nil {
			return nil, notExist(n, "Volume")
		}
		if !v.Destroyed {
			return nil, badRequest(n, "Volume must be destroyed before it can be eradicated.")
		}
	}
	for _, n := range names {
		if pod, ok := podOf(n); ok {
			delete(a.st.Pods[pod].Volumes, n)
		} else {
			delete(a.st.Volumes, n)
		}
		for _, pg := range a.st.ProtectionGroups {
			pg.Volumes = remove(pg.Volumes, n)
		}
	}
	return nil, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
