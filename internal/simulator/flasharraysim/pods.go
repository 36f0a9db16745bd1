package flasharraysim

// podArrayStatus is an array's status in a pod: offline while that array
// is down or, seen from another array of the pod, while the connection to
// it is not connected (ActiveCluster keeps the pod online on one side
// only); resyncing until its resync ends, else online.
func (a *Array) podArrayStatus(pa *PodArrayState) string {
	if pa.array != nil && pa.array.faults.Down() {
		return "offline"
	}
	if c := a.st.Connections[pa.Name]; pa.Name != a.opts.Name && c != nil && c.Status != "connected" {
		return "offline"
	}
	if a.now().Before(pa.ResyncUntil) {
		return "resyncing"
	}
	return "online"
}

func (a *Array) podItem(p *PodState) map[string]any {
	var arrays []any
	for _, pa := range p.Arrays {
		status := a.podArrayStatus(pa)
		item := map[string]any{"name": pa.Name, "id": pa.ID, "status": status, "mediator_status": "online",
			"pre_elected": false, "frozen_at": nil, "progress": nil}
		if status == "resyncing" {
			item["progress"] = 0.5
		}
		arrays = append(arrays, item)
	}
	var remaining any
	if p.Destroyed {
		remaining = int64(86400000)
	}
	return map[string]any{
		"id": p.ID, "name": p.Name, "destroyed": p.Destroyed, "time_remaining": remaining,
		"array_count": len(p.Arrays), "arrays": arrays, "source": ref("", ""),
		"failover_preferences": []any{}, "mediator": "purestorage", "promotion_status": "promoted",
		"requested_promotion_state": "promoted", "link_source_count": 0, "link_target_count": 0,
	}
}

func (a *Array) getPods(r *request) ([]any, *apiErr) {
	destroyed, filterDestroyed, err := r.boolParam("destroyed")
	if err != nil {
		return nil, err
	}
	var pods []*PodState
	if names := r.list("names"); len(names) > 0 {
		var missing *apiErr
		for _, n := range names {
			p := a.st.Pods[n]
			if p == nil {
				missing = missing.add(notExist(n, "Pod"))
				continue
			}
			pods = append(pods, p)
		}
		if missing != nil {
			return nil, missing
		}
	} else {
		for _, n := range sortedKeys(a.st.Pods) {
			pods = append(pods, a.st.Pods[n])
		}
	}
	var out []any
	for _, p := range pods {
		if filterDestroyed && p.Destroyed != destroyed {
			continue
		}
		out = append(out, a.podItem(p))
	}
	return out, nil
}

func (a *Array) postPods(r *request) ([]any, *apiErr) {
	names, err := r.required("names")
	if err != nil {
		return nil, err
	}
	var out []any
	for _, n := range names {
		if p := a.st.Pods[n]; p != nil {
			if p.Destroyed {
				return nil, badRequest(n, "Pod has been destroyed and is pending eradication.")
			}
			return nil, alreadyExists(n, "Pod")
		}
		out = append(out, a.podItem(a.newPod(n)))
	}
	return out, nil
}

func (a *Array) patchPods(r *request) ([]any, *apiErr) {
	names, err := r.required("names")
	if err != nil {
		return nil, err
	}
	var body struct {
		Destroyed *bool `json:"destroyed"`
	}
	if err := r.decode(&body); err != nil {
		return nil, err
	}
	var out []any
	for _, n := range names {
		p := a.st.Pods[n]
		if p == nil {
			return nil, notExist(n, "Pod")
		}
		if body.Destroyed != nil && *body.Destroyed && !p.Destroyed {
			if len(p.Arrays) > 1 {
				return nil, badRequest(n, "A stretched pod cannot be destroyed; unstretch it first.")
			}
			for _, v := range p.Volumes {
				if !v.Destroyed {
					return nil, badRequest(n, "Pod contains volumes and cannot be destroyed.")
				}
			}
			p.Destroyed = true
		} else if body.Destroyed != nil && !*body.Destroyed {
			p.Destroyed = false
		}
		out = append(out, a.podItem(p))
	}
	return out, nil
}

func (a *Array) deletePods(r *request) ([]any, *apiErr) {
	names, err := r.required("names")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		p := a.st.Pods[n]
		if p == nil {
			return nil, notExist(n, "Pod")
		}
		if !p.Destroyed {
			return nil, badRequest(n, "Pod must be destroyed before it can be eradicated.")
		}
	}
	for _, n := range names {
		delete(a.st.Pods, n)
	}
	return nil, nil
}

func (a *Array) getPodArrays(r *request) ([]any, *apiErr) {
	groups, members := r.list("group_names"), r.list("member_names")
	var pods []*PodState
	if len(groups) > 0 {
		for _, g := range groups {
			p := a.st.Pods[g]
			if p == nil {
				return nil, notExist(g, "Pod")
			}
			pods = append(pods, p)
		}
	} else {
		for _, n := range sortedKeys(a.st.Pods) {
			pods = append(pods, a.st.Pods[n])
		}
	}
	var out []any
	for _, p := range pods {
		for _, pa := range p.Arrays {
			if len(members) > 0 && !contains(members, pa.Name) {
				continue
			}
			out = append(out, memberItem(p.Name, p.ID, pa.Name, pa.ID))
		}
	}
	return out, nil
}

// postPodArrays stretches a pod to a connected array (sync-replication
// connection). The new array resyncs for AsyncDelay, then is online.
func (a *Array) postPodArrays(r *request) ([]any, *apiErr) {
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
		p := a.st.Pods[g]
		if p == nil {
			return nil, notExist(g, "Pod")
		}
		if p.Destroyed {
			return nil, badRequest(g, "Pod has been destroyed.")
		}
		for _, m := range members {
			if hasPodArray(p, m) {
				return nil, badRequest(g, "Pod "+g+" is already stretched to array "+m+".")
			}
			c := a.st.Connections[m]
			if c == nil || c.peer == nil || c.Status != "connected" {
				return nil, badRequest(m, "Array "+m+" is not connected.")
			}
			if c.Type != "sync-replication" {
				return nil, badRequest(m, "Array "+m+" is not connected for synchronous replication.")
			}
			if c.peer.st.Pods[g] != nil {
				return nil, badRequest(m, "A pod named "+g+" exists on array "+m+".")
			}
		}
		for _, m := range members {
			peer := a.st.Connections[m].peer
			p.Arrays = append(p.Arrays, &PodArrayState{Name: m, ID: peer.st.ID, ResyncUntil: a.now().Add(a.opts.AsyncDelay), array: peer})
			peer.st.Pods[g] = p
			out = append(out, memberItem(g, p.ID, m, peer.st.ID))
		}
	}
	return out, nil
}

func hasPodArray(p *PodState, name string) bool {
	for _, pa := range p.Arrays {
		if pa.Name == name {
			return true
		}
	}
	return false
}

func (a *Array) deletePodArrays(r *request) ([]any, *apiErr) {
	groups, err := r.required("group_names")
	if err != nil {
		return nil, err
	}
	members, err := r.required("member_names")
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		p := a.st.Pods[g]
		if p == nil {
			return nil, notExist(g, "Pod")
		}
		for _, m := range members {
			if !hasPodArray(p, m) {
				return nil, badRequest(g, "Pod "+g+" is not stretched to array "+m+".")
			}
		}
		if len(p.Arrays) <= len(members) {
			return nil, badRequest(g, "A pod must keep at least one array.")
		}
		for _, m := range members {
			var keep []*PodArrayState
			for _, pa := range p.Arrays {
				if pa.Name != m {
					keep = append(keep, pa)
					continue
				}
				if pa.array != nil {
					delete(pa.array.st.Pods, g)
				}
			}
			p.Arrays = keep
		}
	}
	return nil, nil
}
