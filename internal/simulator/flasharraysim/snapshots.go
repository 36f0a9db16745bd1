package flasharraysim

import (
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxSnapshotsPerGroup bounds the snapshots kept per group (oldest go first),
// standing in for the retention policy.
const maxSnapshotsPerGroup = 100

// maxCatchUp bounds how many missed schedule slots are filled in at once
// when the clock jumps far ahead.
const maxCatchUp = 100

// advanceAll runs the replication schedules of this array and of the
// arrays connected to it, up to now. Called with worldMu held.
func (a *Array) advanceAll() {
	a.advance()
	for _, n := range sortedKeys(a.st.Connections) {
		if p := a.st.Connections[n].peer; p != nil {
			p.advance()
		}
	}
}

// advance takes the snapshots the replication schedules owe up to now and
// replicates them to the allowed targets.
func (a *Array) advance() {
	now := a.now()
	for _, n := range sortedKeys(a.st.ProtectionGroups) {
		pg := a.st.ProtectionGroups[n]
		if pg.Destroyed || !pg.ReplicationEnabled || pg.ReplicationFrequency <= 0 {
			continue
		}
		if pg.ScheduleAnchor.IsZero() {
			pg.ScheduleAnchor = now
			continue
		}
		freq := time.Duration(pg.ReplicationFrequency) * time.Millisecond
		if missed := int(now.Sub(pg.ScheduleAnchor) / freq); missed > maxCatchUp {
			pg.ScheduleAnchor = pg.ScheduleAnchor.Add(time.Duration(missed-maxCatchUp) * freq)
		}
		for !pg.ScheduleAnchor.Add(freq).After(now) {
			pg.ScheduleAnchor = pg.ScheduleAnchor.Add(freq)
			s := a.takeSnapshot(pg, "", pg.ScheduleAnchor)
			a.replicate(pg, s, pg.ScheduleAnchor)
		}
	}
}

// takeSnapshot snapshots a local group at time at.
func (a *Array) takeSnapshot(pg *ProtectionGroupState, suffix string, at time.Time) *SnapshotState {
	if suffix == "" {
		for {
			pg.SnapshotSeq++
			suffix = strconv.Itoa(pg.SnapshotSeq)
			if a.st.Snapshots[pg.Name+"."+suffix] == nil {
				break
			}
		}
	}
	s := &SnapshotState{ID: newID(), Name: pg.Name + "." + suffix, Suffix: suffix, Source: pg.Name, Created: at,
		Volumes: append([]string(nil), pg.Volumes...), Sizes: map[string]int64{}}
	for _, v := range pg.Volumes {
		if vs := a.volume(v); vs != nil {
			s.Sizes[v] = vs.Provisioned
			s.Bytes += vs.Provisioned / 100 // a changed-block estimate; only reported
		}
	}
	a.st.Snapshots[s.Name] = s
	a.prune(pg.Name)
	return s
}

// replicate sends a snapshot to every allowed target whose array is
// connected and up; the transfer takes AsyncDelay.
func (a *Array) replicate(pg *ProtectionGroupState, s *SnapshotState, start time.Time) {
	done := start.Add(a.opts.AsyncDelay)
	for _, t := range pg.Targets {
		if !t.Allowed {
			continue
		}
		c := a.st.Connections[t.Name]
		if c == nil || c.peer == nil || c.Status != "connected" || c.peer.faults.Down() || a.faults.Down() {
			continue
		}
		peer := c.peer
		source := a.opts.Name + ":" + pg.Name
		r := &SnapshotState{ID: newID(), Name: a.opts.Name + ":" + s.Name, Suffix: s.Suffix, Source: source,
			Created: s.Created, Volumes: append([]string(nil), s.Volumes...), Sizes: maps.Clone(s.Sizes), TransferStart: start, TransferDone: done, Bytes: s.Bytes}
		peer.st.Snapshots[r.Name] = r
		peer.prune(source)
		s.TransferStart, s.TransferDone = start, done
	}
}

// prune keeps the newest maxSnapshotsPerGroup snapshots of a source.
func (a *Array) prune(source string) {
	snaps := a.snapshotsOf(source)
	for len(snaps) > maxSnapshotsPerGroup {
		delete(a.st.Snapshots, snaps[0].Name)
		snaps = snaps[1:]
	}
}

// snapshotsOf lists the snapshots of a source group, oldest first.
func (a *Array) snapshotsOf(source string) []*SnapshotState {
	var out []*SnapshotState
	for _, s := range a.st.Snapshots {
		if s.Source == source {
			out = append(out, s)
		}
	}
	sortSnapshots(out)
	return out
}

func sortSnapshots(s []*SnapshotState) {
	sort.Slice(s, func(i, j int) bool {
		if !s[i].Created.Equal(s[j].Created) {
			return s[i].Created.Before(s[j].Created)
		}
		ni, ei := strconv.Atoi(s[i].Suffix)
		nj, ej := strconv.Atoi(s[j].Suffix)
		if ei == nil && ej == nil {
			return ni < nj
		}
		return s[i].Name < s[j].Name
	})
}

// transfer is the transfer state of a snapshot now.
func (a *Array) transfer(s *SnapshotState) (started, completed time.Time, progress float64) {
	if s.TransferStart.IsZero() {
		return time.Time{}, time.Time{}, 0
	}
	now := a.now()
	if !now.Before(s.TransferDone) {
		return s.TransferStart, s.TransferDone, 1
	}
	total := s.TransferDone.Sub(s.TransferStart)
	p := float64(now.Sub(s.TransferStart)) / float64(total)
	return s.TransferStart, time.Time{}, max(0, min(p, 0.99))
}

// selectSnapshots applies names and source_names. A name may be a snapshot
// name or a group name (all its snapshots).
func (a *Array) selectSnapshots(r *request) ([]*SnapshotState, *apiErr) {
	destroyed, filterDestroyed, err := r.boolParam("destroyed")
	if err != nil {
		return nil, err
	}
	names, sources := r.list("names"), r.list("source_names")
	for _, src := range sources {
		if pg, _ := a.findGroup(src); pg == nil && len(a.snapshotsOf(src)) == 0 {
			return nil, notExist(src, "Protection group")
		}
	}
	var out []*SnapshotState
	var missing *apiErr
	if len(names) > 0 {
		for _, n := range names {
			if s := a.st.Snapshots[n]; s != nil {
				out = append(out, s)
				continue
			}
			if snaps := a.snapshotsOf(n); len(snaps) > 0 || a.groupExists(n) {
				out = append(out, snaps...)
				continue
			}
			missing = missing.add(notExist(n, "Protection group snapshot"))
		}
	} else {
		for _, s := range a.st.Snapshots {
			out = append(out, s)
		}
	}
	if missing != nil {
		return nil, missing
	}
	var kept []*SnapshotState
	for _, s := range out {
		if len(sources) > 0 && !contains(sources, s.Source) {
			continue
		}
		if filterDestroyed && s.Destroyed != destroyed {
			continue
		}
		kept = append(kept, s)
	}
	sortSnapshots(kept)
	return kept, nil
}

func (a *Array) groupExists(name string) bool {
	pg, _ := a.findGroup(name)
	return pg != nil
}

func (a *Array) snapshotItem(s *SnapshotState) map[string]any {
	var remaining any
	if s.Destroyed {
		remaining = int64(86400000)
	}
	sourceID := ""
	if pg, _ := a.findGroup(s.Source); pg != nil {
		sourceID = pg.ID
	}
	return map[string]any{
		"id": s.ID, "name": s.Name, "suffix": s.Suffix, "created": s.Created.UnixMilli(),
		"destroyed": s.Destroyed, "time_remaining": remaining,
		"source": ref(s.Source, sourceID), "pod": ref("", ""),
		"eradication_config": map[string]any{"manual_eradication": "enabled"},
	}
}

func (a *Array) getSnapshots(r *request) ([]any, *apiErr) {
	snaps, err := a.selectSnapshots(r)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, s := range snaps {
		out = append(out, a.snapshotItem(s))
	}
	return out, nil
}

func (a *Array) getTransfers(r *request) ([]any, *apiErr) {
	snaps, err := a.selectSnapshots(r)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, s := range snaps {
		started, completed, progress := a.transfer(s)
		item := map[string]any{
			"id": s.ID, "name": s.Name, "destroyed": s.Destroyed,
			"started": ms(started), "completed": ms(completed), "progress": nil,
			"data_transferred": nil, "physical_bytes_written": nil,
		}
		if !started.IsZero() {
			item["progress"] = progress
			item["data_transferred"] = int64(float64(s.Bytes) * progress)
			item["physical_bytes_written"] = int64(float64(s.Bytes) * progress / 3)
		}
		out = append(out, item)
	}
	return out, nil
}

func (a *Array) postSnapshots(r *request) ([]any, *apiErr) {
	sources, err := r.required("source_names")
	if err != nil {
		return nil, err
	}
	replicate, _, err := r.boolParam("replicate")
	if err != nil {
		return nil, err
	}
	replicateNow, _, err := r.boolParam("replicate_now")
	if err != nil {
		return nil, err
	}
	if replicate && replicateNow {
		return nil, badRequest("", "The replicate and replicate_now parameters cannot be used together.")
	}
	var body struct {
		Suffix string `json:"suffix"`
	}
	if err := r.decode(&body); err != nil {
		return nil, err
	}
	if strings.ContainsAny(body.Suffix, ".: ") {
		return nil, badRequest(body.Suffix, "Invalid snapshot suffix.")
	}
	var out []any
	now := a.now()
	for _, src := range sources {
		pg, err := a.localGroup(src)
		if err != nil {
			return nil, err
		}
		if body.Suffix != "" && a.st.Snapshots[src+"."+body.Suffix] != nil {
			return nil, alreadyExists(src+"."+body.Suffix, "Protection group snapshot")
		}
		s := a.takeSnapshot(pg, body.Suffix, now)
		if replicate || replicateNow {
			a.replicate(pg, s, now)
		}
		out = append(out, a.snapshotItem(s))
	}
	return out, nil
}
