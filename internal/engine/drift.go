package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// inspection is what a read of a group found on the two sites, shared by
// the group and all its members in one refresh.
type inspection struct {
	drift []string
	// inGroup maps the volumes in the primary consistency group to their
	// volume type; nil when the group could not be read.
	inGroup map[string]string
	// volumes are the volumes of the primary consistency group, by id.
	volumes map[string]*openstack.Volume
	// volumeType is the group's type on the primary site, resolved once.
	volumeType *openstack.VolumeType
	// servers maps the ids of the project's servers to the volumes attached
	// to them now; nil when not listed.
	servers map[string][]string
	// details are the same listing's servers as a recovery description
	// reads them (flavor, zone, key pair, metadata, tags); nil when not
	// listed.
	details map[string]*openstack.ServerDetails
	// ports are the project's Neutron ports by server (device_id), to
	// compare with the members' recorded ports; nil when not listed (no
	// Neutron, or the listing failed: the ports are then not compared).
	ports map[string][]openstack.Port
	// volumesErr is why the consistency group's volumes (inGroup) could
	// not be listed.
	volumesErr error
	// peer is the secondary's newest metadata compared with the primary's.
	peer peerView
}

// inspect compares the metadata with both sites: the consistency groups
// exist, the secondary holds the newest version intact. It changes nothing.
func (e *Engine) inspect(ctx context.Context, d *document, primary *openstack.Site) *inspection {
	in := &inspection{}
	cg := d.Group.PrimaryConsistencyGroup
	// Every read below is independent of the others: run them side by side,
	// so a refresh waits for one round trip per site, not one per read.
	var (
		peerDrift []string
		peer      peerView
		vols      []openstack.Volume
		volsErr   error
		cgErr     error
	)
	calls := []func(){
		func() { peerDrift, peer = e.inspectPeer(ctx, d) },
		func() { in.volumeType, _ = e.volumeType(ctx, primary, d.Group.VolumeType) },
		func() { vols, volsErr = primary.VolumesInGroup(ctx, cg) },
		func() { _, cgErr = primary.Group(ctx, cg) },
	}
	if len(d.Members) > 0 {
		// One listing tells every member whether its VM still exists and
		// which volumes it has now (one attached since it became a member
		// is drift): the detailed listing, not one request per member.
		calls = append(calls, func() {
			if details, err := primary.ServersDetails(ctx); err == nil {
				in.details = details
				in.servers = make(map[string][]string, len(details))
				for id, sv := range details {
					in.servers[id] = append([]string{}, sv.VolumeIDs...)
				}
			}
		}, func() {
			// Likewise one listing of the ports tells whether a member's
			// VM gained, lost or changed a port since its recovery
			// description was recorded.
			if ports, err := primary.ProjectPorts(ctx); err == nil {
				in.ports = ports
			}
		})
	}
	parallel(calls...)
	in.volumesErr = volsErr
	if volsErr == nil {
		in.inGroup = map[string]string{}
		in.volumes = map[string]*openstack.Volume{}
		for i := range vols {
			in.inGroup[vols[i].ID] = vols[i].VolumeType
			in.volumes[vols[i].ID] = &vols[i]
		}
	}
	if errors.Is(cgErr, openstack.ErrNotFound) {
		in.drift = append(in.drift, fmt.Sprintf("consistency group %s no longer exists on %s", cg, d.Group.PrimarySite))
		in.inGroup = map[string]string{}
	}
	if d.damagedNewer != "" {
		in.drift = append(in.drift, fmt.Sprintf("the metadata on %s is damaged (%s), and its newest intact version is %d: "+
			"apply replaces the damaged copy with %s's, or deletes it when no site holds that version intact (the guide's sync-force)",
			d.Group.PrimarySite, d.damagedNewer, d.Version, d.Group.SecondarySite))
	}
	in.drift = append(in.drift, peerDrift...)
	in.peer = peer
	return in
}

// inspectPeer checks the secondary site: its consistency group exists and
// it holds the same newest metadata document as the primary.
func (e *Engine) inspectPeer(ctx context.Context, d *document) ([]string, peerView) {
	// Bounded like a reachability check: a peer that never answers must
	// not hold the refresh for the request timeout times the retries.
	ctx, cancel := e.probe(ctx)
	defer cancel()
	var drift []string
	secondary, err := e.site(d.Group.SecondarySite)
	if err != nil {
		return nil, peerView{status: SyncUnreachable, err: err}
	}
	var (
		cgErr error
		pv    peerView
	)
	parallel(
		func() { _, cgErr = secondary.Group(ctx, d.Group.SecondaryConsistencyGroup) },
		func() { pv = e.comparePeer(ctx, d, secondary) },
	)
	if errors.Is(cgErr, openstack.ErrNotFound) {
		drift = append(drift, fmt.Sprintf("consistency group %s no longer exists on %s", d.Group.SecondaryConsistencyGroup, d.Group.SecondarySite))
	}
	// An unreachable peer is not drift: the sync status says so, and a
	// change is refused until it answers.
	if pv.drift != "" {
		drift = append(drift, pv.drift)
	}
	return drift, pv
}

// peerView is the secondary site's newest metadata compared, now, with the
// primary's.
type peerView struct {
	version int  // the secondary's newest version; 0 when it holds none
	live    bool // version was read from the secondary now
	// status is SYNCED when the secondary's newest document is the
	// primary's, UNREACHABLE when it could not be read, FAILED otherwise.
	status string
	// drift says which site holds what and what an apply does about it;
	// empty when both hold the same newest document.
	drift string
	// newer is the secondary's newest document when it is newer than the
	// primary's and intact: by the repair rule it is the group's metadata.
	newer *document
	err   error // why the secondary could not be read
}

// comparePeer compares the newest metadata of both sites, version and
// content. When the secondary's listing shows the primary's bytes (the
// common case) nothing is read.
func (e *Engine) comparePeer(ctx context.Context, d *document, secondary *openstack.Site) (pv peerView) {
	defer func() {
		// The primary's newest object is damaged: the sites cannot hold
		// the same newest document (inspect reports the drift).
		if d.damagedNewer != "" && pv.status == SyncSynced {
			pv.status = SyncFailed
			pv.err = fmt.Errorf("the metadata on %s is damaged (%s)", d.Group.PrimarySite, d.damagedNewer)
		}
	}()
	id, local := d.Group.ID, d.Version
	p, s := d.Group.PrimarySite, d.Group.SecondarySite
	unread := func(doing string, err error) peerView {
		pv := peerView{status: SyncFailed, err: e.cloudError(s, doing, err)}
		if openstack.IsUnreachable(err) {
			pv.status = SyncUnreachable
		}
		return pv
	}
	v, hash, err := newestVersion(ctx, secondary, id)
	if err != nil {
		return unread("list the metadata versions of group "+id, err)
	}
	pv = peerView{version: v, live: true, status: SyncFailed}
	if v == local && hash != "" && hash == d.contentHash {
		pv.status = SyncSynced
		return pv
	}
	if v < local {
		pv.drift = fmt.Sprintf("%s's newest metadata is version %d, %s holds version %d: the push of a change did not arrive; "+
			"apply copies the missing versions from %s (the guide's sync-force)", s, v, p, local, p)
		return pv
	}
	remote, err := readVersion(ctx, secondary, id, v)
	switch {
	case err != nil && !isDamaged(err):
		pv = unread(fmt.Sprintf("read metadata version %d of group %s", v, id), err)
		pv.version = v
		return pv
	case err != nil && v == local:
		pv.drift = fmt.Sprintf("the metadata on %s is damaged (%v): apply replaces it with %s's copy of version %d (the guide's sync-force)", s, err, p, local)
	case err != nil:
		pv.drift = fmt.Sprintf("the metadata on %s is damaged (%v), and %s's newest is version %d: "+
			"apply deletes the damaged copy and copies %s's versions to %s (the guide's sync-force)", s, err, p, local, p, s)
	case v > local:
		pv.newer = remote
		pv.drift = fmt.Sprintf("%s's newest metadata is version %d, %s holds version %d: %s lost its newest copy; apply restores it from %s",
			p, local, s, v, p, s)
	case remote.Checksum == d.Checksum:
		// The same document in other bytes.
		pv.status = SyncSynced
	default:
		pv.drift = divergedDetail(d, remote.Checksum, p, s)
	}
	return pv
}

// sameVersions tells whether two sites hold the same version numbers.
func sameVersions(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for v := range a {
		if _, ok := b[v]; !ok {
			return false
		}
	}
	return true
}

// divergedDetail describes two intact but different documents at one
// version, which no rule can choose between.
func divergedDetail(d *document, otherChecksum, site, otherSite string) string {
	return fmt.Sprintf("%s and %s both hold metadata version %d with different content (checksum %s on %s, %s on %s): "+
		"an apply cannot tell which is right and fails until the wrong copy is deleted (object %s of container %s on that site); "+
		"the next apply then restores it from the other site", site, otherSite, d.Version, d.Checksum, site, otherChecksum, otherSite,
		versionObject(d.Group.ID, d.Version), container)
}

// reconcile makes both sites hold the newest complete metadata of a group
// and returns it. It is the one rule by which the two copies are repaired:
// the newest complete (checksum-valid) document wins. A site that lacks
// versions the other holds gets them copied as they are (a site that lost
// its newest copy is restored from the other, never given a rebuilt one); a
// damaged copy is replaced by the other site's intact copy, or deleted when
// neither site holds that version intact. Two intact but different
// documents at one version are not repaired: which is right cannot be
// known, so it fails, naming both, and nothing is changed. cur is the
// primary's newest document as loaded; when the other site holds the same
// versions and cur's bytes as its newest, nothing more is read.
//
// It first checks that both sites answer (bothReachable) and lists both
// sites' versions while that check runs: one round trip for the two. It
// returns the secondary site.
func (e *Engine) reconcile(ctx context.Context, cur *document, primary *openstack.Site) (*document, *openstack.Site, error) {
	id := cur.Group.ID
	var (
		secondary              *openstack.Site
		onPrimary, onSecondary map[int]string
		rerr, perr, serr       error
	)
	// The listings end with a failed check: a silent peer is reported
	// within the check's deadline, not the listing's.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parallel(
		func() {
			if secondary, rerr = e.bothReachable(ctx, cur.Group.PrimarySite, cur.Group.SecondarySite); rerr != nil {
				cancel()
			}
		},
		func() { onPrimary, perr = listVersions(lctx, primary, id) },
		func() {
			s, err := e.site(cur.Group.SecondarySite)
			if err != nil {
				serr = err
				return
			}
			onSecondary, serr = listVersions(lctx, s, id)
		},
	)
	if rerr != nil {
		return nil, nil, rerr
	}
	if perr != nil {
		return nil, nil, e.cloudError(primary.Name(), "list the metadata versions of group "+id, perr)
	}
	if serr != nil {
		return nil, nil, e.cloudError(secondary.Name(), "list the metadata versions of group "+id, serr)
	}
	d, err := e.reconcileListed(ctx, cur, primary, secondary, onPrimary, onSecondary)
	return d, secondary, err
}

// reconcileListed is reconcile once both sites' versions are listed.
func (e *Engine) reconcileListed(ctx context.Context, cur *document, primary, secondary *openstack.Site, onPrimary, onSecondary map[int]string) (*document, error) {
	id := cur.Group.ID
	sites := [2]*openstack.Site{primary, secondary}
	held := [2]map[int]string{onPrimary, onSecondary}
	if sameVersions(onPrimary, onSecondary) && onSecondary[cur.Version] == cur.contentHash && cur.contentHash != "" &&
		slices.Max(slices.Collect(maps.Keys(onPrimary))) == cur.Version {
		return cur, nil
	}

	// The newest version held intact by either site.
	versions := slices.Collect(maps.Keys(onPrimary))
	for v := range onSecondary {
		if _, ok := onPrimary[v]; !ok {
			versions = append(versions, v)
		}
	}
	slices.Sort(versions)
	slices.Reverse(versions)
	var (
		win      *document
		winSite  int
		toDelete [2][]int // damaged copies of versions at or above the winner's
	)
	for _, v := range versions {
		var docs [2]*document
		var errs [2]error
		parallel(
			func() {
				if _, ok := onPrimary[v]; ok {
					docs[0], errs[0] = readVersion(ctx, primary, id, v)
				}
			},
			func() {
				if _, ok := onSecondary[v]; ok {
					docs[1], errs[1] = readVersion(ctx, secondary, id, v)
				}
			},
		)
		for i, err := range errs {
			if err != nil && !isDamaged(err) && !errors.Is(err, ErrNotFound) {
				return nil, e.cloudError(sites[i].Name(), fmt.Sprintf("read metadata version %d of group %s", v, id), err)
			}
			if isDamaged(err) {
				toDelete[i] = append(toDelete[i], v)
			}
		}
		switch {
		case docs[0] != nil && docs[1] != nil && docs[0].Checksum != docs[1].Checksum:
			return nil, &Error{Kind: KindConflict, Site: secondary.Name(), Object: cur.Group.Name,
				Detail: divergedDetail(docs[0], docs[1].Checksum, primary.Name(), secondary.Name()),
				Fix: fmt.Sprintf("Nothing was changed. Compare the two copies (object %s of container %s on each site), delete the wrong one, "+
					"then apply again: the copy that is left is restored to the other site", versionObject(id, v), container)}
		case docs[0] != nil:
			win, winSite = docs[0], 0
		case docs[1] != nil:
			win, winSite = docs[1], 1
		}
		if win != nil {
			break
		}
	}
	if win == nil {
		return nil, &Error{Kind: KindCloud, Site: primary.Name(), Object: cur.Group.Name,
			Detail: fmt.Sprintf("neither %s nor %s holds an intact metadata version of protection group %s", primary.Name(), secondary.Name(), cur.Group.Name)}
	}

	for i, vs := range toDelete {
		for _, v := range vs {
			if err := sites[i].DeleteObject(ctx, container, versionObject(id, v)); err != nil && !errors.Is(err, openstack.ErrNotFound) {
				return nil, e.cloudError(sites[i].Name(), "delete the damaged metadata version "+strconv.Itoa(v), err)
			}
			delete(held[i], v)
		}
	}
	// Every version up to the winner's that one site holds and the other
	// lacks is copied, the winner's from the site it was read on.
	type copyJob struct{ from, to, v int }
	var jobs []copyJob
	for i := range held {
		for v := range held[i] {
			if _, ok := held[1-i][v]; !ok && v <= win.Version && (v != win.Version || i == winSite) {
				jobs = append(jobs, copyJob{from: i, to: 1 - i, v: v})
			}
		}
	}
	var (
		mu       sync.Mutex
		firstErr error
		pushed   []int
		calls    []func()
	)
	for _, j := range jobs {
		calls = append(calls, func() {
			err := copyVersion(ctx, sites[j.from], sites[j.to], id, j.v)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && j.to == 1:
				pushed = append(pushed, j.v)
			case err == nil, isDamaged(err) && j.v != win.Version:
				// An older version damaged on its only site stays a gap.
			case firstErr == nil:
				firstErr = e.cloudError(sites[j.to].Name(), fmt.Sprintf("copy metadata version %d from %s", j.v, sites[j.from].Name()), err)
			}
		})
	}
	parallelN(fanOut, calls...)
	if firstErr != nil {
		return nil, firstErr
	}
	// Each version that reached the peer has its entry in the sync log.
	start := e.now()
	slices.Sort(pushed)
	calls = calls[:0]
	for _, v := range pushed {
		entry := syncLogRecord{Version: v, Time: start, Outcome: SyncSynced}
		calls = append(calls, func() { _ = putJSON(ctx, primary, logObject(id, start, v), entry, false) })
	}
	calls = append(calls, func() {
		_ = putJSON(ctx, primary, syncObject(id), syncRecord{Status: SyncSynced, RemoteVersion: win.Version, LastSync: start}, false)
	})
	parallelN(fanOut, calls...)
	return win, nil
}

// memberDrift compares one member with the primary consistency group and
// Nova. With the group's inspection it costs no request but one per volume
// that is not where it should be.
func (e *Engine) memberDrift(ctx context.Context, d *document, s *openstack.Site, in *inspection, m *Member) {
	m.Drift, m.Broken, m.Unchecked = nil, nil, nil
	defer func() {
		// The status is what this check saw, not what was recorded when
		// the member was added; a check not made leaves it as recorded.
		switch {
		case len(m.Drift) > 0 || len(m.Broken) > 0:
			m.Status = MemberError
		case len(m.Unchecked) == 0:
			m.Status = MemberProtected
		}
	}()
	attached, listed := []string(nil), false
	if in != nil && in.servers != nil {
		attached, listed = in.servers[m.InstanceID]
	}
	gone := in != nil && in.servers != nil && !listed
	if in == nil || in.servers == nil {
		_, err := s.Server(ctx, m.InstanceID)
		gone = errors.Is(err, openstack.ErrNotFound)
		if err != nil && !gone {
			m.Unchecked = append(m.Unchecked, fmt.Sprintf("instance %s (%s) could not be read on %s: %v", m.InstanceName, m.InstanceID, d.Group.PrimarySite, err))
		}
	}
	if gone {
		m.Broken = append(m.Broken, instanceGone(m, d.Group.PrimarySite))
	} else if in != nil && in.details != nil {
		m.Drift = append(m.Drift, recoveryDrift(m, in.details[m.InstanceID], in.volumes)...)
		if in.ports != nil {
			m.Drift = append(m.Drift, portDrift(m, in.ports[m.InstanceID])...)
		}
	}
	if in == nil || in.inGroup == nil {
		if in != nil && in.volumesErr != nil {
			m.Unchecked = append(m.Unchecked, fmt.Sprintf("the volumes of %s could not be checked: the consistency group's volumes could not be listed on %s: %v", m.InstanceName, d.Group.PrimarySite, in.volumesErr))
		}
		return
	}
	vt := in.volumeType
	for _, id := range m.VolumeIDs {
		if t, ok := in.inGroup[id]; ok {
			if vt != nil && t != vt.Name && t != vt.ID {
				m.Broken = append(m.Broken, fmt.Sprintf("volume %s of %s was retyped to %q, which is not the group's type %q", id, m.InstanceName, t, vt.Name))
			}
			continue
		}
		v, err := s.Volume(ctx, id)
		switch {
		case errors.Is(err, openstack.ErrNotFound):
			m.Broken = append(m.Broken, fmt.Sprintf("volume %s of %s no longer exists", id, m.InstanceName))
		case err != nil:
			m.Unchecked = append(m.Unchecked, fmt.Sprintf("volume %s of %s could not be read on %s: %v", id, m.InstanceName, d.Group.PrimarySite, err))
		case vt != nil && v.VolumeType != vt.Name && v.VolumeType != vt.ID:
			m.Broken = append(m.Broken, fmt.Sprintf("volume %s of %s was retyped to %q, which is not the group's type %q, and left the consistency group", id, m.InstanceName, v.VolumeType, vt.Name))
		default:
			m.Drift = append(m.Drift, fmt.Sprintf("volume %s of %s is no longer in the consistency group on %s", id, m.InstanceName, d.Group.PrimarySite))
		}
	}
	for _, id := range unrecordedVolumes(m, attached) {
		e.newVolumeDrift(ctx, d, s, in, m, id)
	}
}

// instanceGone is the finding of a member whose instance no longer exists
// on the primary site.
func instanceGone(m *Member, site string) string {
	return fmt.Sprintf("instance %s (%s) no longer exists on %s", m.InstanceName, m.InstanceID, site)
}

// unrecordedVolumes are the volumes attached to a member's instance that
// the member does not record: attached after it became a member.
func unrecordedVolumes(m *Member, attached []string) []string {
	var out []string
	for _, id := range attached {
		if !slices.Contains(m.VolumeIDs, id) {
			out = append(out, id)
		}
	}
	return out
}

// newVolumeDrift checks a volume attached to a member's instance after it
// became a member, as adding the member checked its volumes: apply adds it
// when it could join the consistency group, and cannot when it is of
// another type or backend or in another group.
func (e *Engine) newVolumeDrift(ctx context.Context, d *document, s *openstack.Site, in *inspection, m *Member, id string) {
	unprotected := fmt.Sprintf("volume %s attached to %s is not protected: apply adds it to the consistency group", id, m.InstanceName)
	if _, ok := in.inGroup[id]; ok {
		m.Drift = append(m.Drift, unprotected)
		return
	}
	v, err := s.Volume(ctx, id)
	vt := in.volumeType
	switch {
	case errors.Is(err, openstack.ErrNotFound):
		// Detached and deleted since the listing: nothing to protect.
	case err != nil:
		m.Unchecked = append(m.Unchecked, fmt.Sprintf("volume %s attached to %s could not be read on %s: %v", id, m.InstanceName, d.Group.PrimarySite, err))
	case vt != nil && v.VolumeType != vt.Name && v.VolumeType != vt.ID:
		m.Broken = append(m.Broken, fmt.Sprintf("volume %s attached to %s has type %q, not the group's type %q, so it cannot join the consistency group", id, m.InstanceName, v.VolumeType, vt.Name))
	case v.GroupID != "" && v.GroupID != d.Group.PrimaryConsistencyGroup:
		m.Broken = append(m.Broken, fmt.Sprintf("volume %s attached to %s belongs to another Cinder group (%s)", id, m.InstanceName, v.GroupID))
	case v.HostVisible && d.Group.Backend != "" && backendOf(v.Host) != d.Group.Backend:
		m.Broken = append(m.Broken, fmt.Sprintf("volume %s attached to %s is on backend %s, not the group's backend %s, so it cannot join the consistency group", id, m.InstanceName, backendOf(v.Host), d.Group.Backend))
	default:
		m.Drift = append(m.Drift, unprotected)
	}
}

// RepairGroup is the guide's sync-force and more: it recreates a
// consistency group deleted out of band (putting the members' volumes back
// on the primary) and makes both sites hold the newest complete metadata
// (reconcile).
func (e *Engine) RepairGroup(ctx context.Context, id string) (*Group, error) {
	d, err := e.modify(ctx, id, func(d *document, primary, secondary *openstack.Site) error {
		changed, primaryRecreated := false, false
		for i, step := range []struct {
			site *openstack.Site
			cg   *string
		}{{primary, &d.Group.PrimaryConsistencyGroup}, {secondary, &d.Group.SecondaryConsistencyGroup}} {
			if _, err := step.site.Group(ctx, *step.cg); !errors.Is(err, openstack.ErrNotFound) {
				if err != nil {
					return e.cloudError(step.site.Name(), "read consistency group "+*step.cg, err)
				}
				continue
			}
			// An earlier repair may have made it and lost the answer.
			cg, err := e.unrecordedConsistencyGroup(ctx, step.site, d.Group.Name, d.Group.ID)
			if err != nil {
				return err
			}
			if cg == "" {
				spec := GroupSpec{Name: d.Group.Name, VolumeType: d.Group.VolumeType}
				if cg, err = e.createConsistencyGroup(ctx, step.site, nil, spec, d.Group.ID); err != nil {
					return err
				}
			}
			if _, err := step.site.WaitForGroup(ctx, cg, "available"); err != nil {
				return e.cloudError(step.site.Name(), "wait for consistency group "+cg, err)
			}
			*step.cg = cg
			changed = true
			primaryRecreated = primaryRecreated || i == 0
		}
		if primaryRecreated {
			// The members' volumes lost their group with it.
			var vols []string
			for _, m := range d.Members {
				vols = append(vols, m.VolumeIDs...)
			}
			if len(vols) > 0 {
				if err := e.changeGroupVolumes(ctx, primary, d.Group.PrimaryConsistencyGroup, vols, nil); err != nil {
					return err
				}
			}
		}
		if !changed {
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return e.syncForce(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	return e.GetGroup(ctx, d.Group.ID)
}

// syncForce is the guide's sync-force by the repair rule of reconcile:
// both sites end with the newest complete metadata, the versions either
// lacks copied from the other, without a new version.
func (e *Engine) syncForce(ctx context.Context, id string) (*Group, error) {
	unlock := e.groupLock(id)
	d, primary, err := e.loadGroup(ctx, id)
	if err != nil {
		unlock()
		return nil, err
	}
	_, _, err = e.reconcile(ctx, d, primary)
	e.forget(id)
	unlock()
	if err != nil {
		return nil, err
	}
	return e.GetGroup(ctx, id)
}

// cannotRepair is what to do about a member whose drift an apply cannot
// repair (Member.Broken): a retyped volume, or one attached since that
// cannot join the consistency group. member names the member as the
// reader knows it.
func cannotRepair(member string) string {
	return "An apply cannot bring this back: migrate the volume back to the group's volume type " +
		"(a volume attached since the instance became a member: migrate it to the group's type and backend, or detach it), " +
		"or remove " + member + " from the configuration (its remaining volumes then leave the consistency group)"
}

// Findings are all that differs from what the member recorded: what an
// apply repairs, then what it cannot.
func (m *Member) Findings() []string {
	return append(append([]string(nil), m.Drift...), m.Broken...)
}

// RepairRefused says why an apply cannot repair the member and what to do
// instead, for a plan to fail with before the apply does; "" when its drift
// (if any) can be repaired. member names the member as the reader knows it
// ("this protector_member").
func (m *Member) RepairRefused(member string) string {
	if len(m.Broken) == 0 {
		return ""
	}
	return strings.Join(m.Broken, "; ") + ". " + cannotRepair(member) + "."
}

// RepairMember puts a member's volumes that left the consistency group (or
// the Pure group) back.
func (e *Engine) RepairMember(ctx context.Context, groupID, memberID string) (*Member, *Group, error) {
	d, err := e.modify(ctx, groupID, func(d *document, primary, _ *openstack.Site) error {
		_, rec := d.member(memberID)
		if rec == nil {
			return ErrNotFound
		}
		in := e.inspect(ctx, d, primary)
		view := rec.api()
		m := &view
		e.memberDrift(ctx, d, primary, in, m)
		if len(m.Broken) > 0 {
			return &Error{Kind: KindMismatch, Object: m.InstanceID, Detail: joinSorted(m.Broken), Fix: cannotRepair("the member")}
		}
		var attached []string
		if in.servers != nil {
			// Volumes attached since it became a member join it.
			attached = unrecordedVolumes(m, in.servers[m.InstanceID])
		}
		var missing, ids []string
		var vols []*openstack.Volume
		for _, id := range append(slices.Clone(m.VolumeIDs), attached...) {
			v, err := primary.Volume(ctx, id)
			if errors.Is(err, openstack.ErrNotFound) && slices.Contains(attached, id) {
				continue // detached and deleted since the listing
			}
			if err != nil {
				return e.cloudError(primary.Name(), "read volume "+id, err)
			}
			if _, ok := in.inGroup[id]; !ok {
				missing = append(missing, id)
			}
			ids = append(ids, id)
			vols = append(vols, v)
		}
		rec.VolumeIDs = ids
		if len(missing) > 0 {
			if err := e.changeGroupVolumes(ctx, primary, d.Group.PrimaryConsistencyGroup, missing, nil); err != nil {
				return memberError(m.InstanceName, err)
			}
		}
		if d.Policy != nil {
			if err := e.protectVolumes(ctx, d, vols); err != nil {
				return err
			}
		}
		// What the VM is now is what the secondary will rebuild.
		recovery, err := e.redescribe(ctx, primary, rec.InstanceID, vols)
		if err != nil {
			return err
		}
		rec.Recovery, rec.Status = recovery, MemberProtected
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return e.GetMember(ctx, d.Group.ID, memberID)
}

// redescribe reads a member's recovery description anew, with volumes
// already read (others attached are read here).
func (e *Engine) redescribe(ctx context.Context, s *openstack.Site, instanceID string, vols []*openstack.Volume) (*recoveryRecord, error) {
	var (
		server *openstack.Server
		atts   []openstack.VolumeAttachment
		sErr   error
		aErr   error
	)
	parallel(
		func() { server, sErr = s.Server(ctx, instanceID) },
		func() { atts, aErr = s.ServerVolumeAttachments(ctx, instanceID) },
	)
	if sErr != nil {
		return nil, e.cloudError(s.Name(), "read instance "+instanceID, sErr)
	}
	if aErr != nil {
		return nil, e.cloudError(s.Name(), "list the volumes of instance "+instanceID, aErr)
	}
	for _, a := range atts {
		if !slices.ContainsFunc(vols, func(v *openstack.Volume) bool { return v.ID == a.VolumeID }) {
			v, err := s.Volume(ctx, a.VolumeID)
			if err != nil {
				return nil, e.cloudError(s.Name(), "read volume "+a.VolumeID, err)
			}
			vols = append(vols, v)
		}
	}
	return e.describeInstance(ctx, s, server, atts, vols)
}

func joinSorted(list []string) string {
	sorted := slices.Clone(list)
	sort.Strings(sorted)
	return strings.Join(sorted, "; ")
}

// readPolicyArrays reads what the arrays hold of a policy: the pod's
// stretch, or the Pure group's schedule, target and volumes, and the RPO
// lag; what differs from the policy is its drift.
func (e *Engine) readPolicyArrays(ctx context.Context, a *arrays, p *Policy, vols []*openstack.Volume) (*Policy, error) {
	if p.Kind == "pod" {
		pod, err := a.primary.Pod(ctx, p.PureGroupName)
		if flasharray.IsNotFound(err) {
			p.Drift = append(p.Drift, fmt.Sprintf("pod %s no longer exists on %s", p.PureGroupName, a.primaryName))
			return p, nil
		}
		if err != nil {
			return nil, e.arrayError(a.primaryURL, "read pod "+p.PureGroupName, err)
		}
		// Online on both arrays: ActiveCluster takes the pod offline on
		// one side when the arrays lose each other.
		online := map[string]bool{}
		for _, pa := range pod.Arrays {
			online[pa.Name] = pa.Status == "online"
		}
		p.PodStretched = online[a.primaryName] && online[a.secondaryName]
		// A pod replicates, to the other array, exactly while stretched.
		p.ReplicationEnabled, p.TargetAllowed = p.PodStretched, p.PodStretched
		for _, name := range []string{a.primaryName, a.secondaryName} {
			if !online[name] {
				p.Drift = append(p.Drift, fmt.Sprintf("pod %s is not online on %s", p.PureGroupName, name))
			}
		}
		for _, v := range vols {
			if !strings.HasPrefix(arrayVolumeName(v), p.PureGroupName+"::") {
				p.MissingVolumes = append(p.MissingVolumes, v.ID)
			}
		}
		return p, nil
	}
	// The group, its targets, its volumes and the secondary's transfers are
	// independent reads: one round trip instead of four.
	var (
		pg                       *flasharray.ProtectionGroup
		targets                  []flasharray.Target
		inGroup                  []string
		pgErr, tErr, vErr, rdErr error
	)
	parallel(
		func() { pg, pgErr = a.primary.ProtectionGroup(ctx, p.PureGroupName) },
		func() { targets, tErr = a.primary.ProtectionGroupTargets(ctx, p.PureGroupName) },
		func() { inGroup, vErr = a.primary.ProtectionGroupVolumes(ctx, p.PureGroupName) },
		func() { p.Readiness, rdErr = e.readiness(ctx, a, p) },
	)
	if flasharray.IsNotFound(pgErr) || (pgErr == nil && pg.Destroyed) {
		p.Drift = append(p.Drift, fmt.Sprintf("protection group %s no longer exists on %s", p.PureGroupName, a.primaryName))
		p.Readiness = nil
		return p, nil
	}
	for _, r := range []struct {
		err   error
		doing string
	}{{pgErr, "read protection group "}, {tErr, "read the targets of "}, {vErr, "read the volumes of "}} {
		if r.err != nil {
			return nil, e.arrayError(a.primaryURL, r.doing+p.PureGroupName, r.err)
		}
	}
	if rdErr != nil {
		return nil, rdErr
	}
	if pg.ReplicationSchedule != nil {
		p.ReplicationEnabled = pg.ReplicationSchedule.Enabled != nil && *pg.ReplicationSchedule.Enabled
		if pg.ReplicationSchedule.Frequency != nil {
			p.ActualInterval = *pg.ReplicationSchedule.Frequency / 1000
		}
	}
	for _, t := range targets {
		if t.Member == a.secondaryName && t.Allowed {
			p.TargetAllowed = true
		}
	}
	have := map[string]bool{}
	for _, n := range inGroup {
		have[n] = true
	}
	for _, v := range vols {
		if !have[arrayVolumeName(v)] {
			p.MissingVolumes = append(p.MissingVolumes, v.ID)
		}
	}
	sort.Strings(p.MissingVolumes)
	if !p.ReplicationEnabled {
		p.Drift = append(p.Drift, fmt.Sprintf("replication of %s is disabled on %s", p.PureGroupName, a.primaryName))
	}
	if !p.TargetAllowed {
		p.Drift = append(p.Drift, fmt.Sprintf("%s is not an allowed target of %s", a.secondaryName, p.PureGroupName))
	}
	if len(p.MissingVolumes) > 0 {
		p.Drift = append(p.Drift, fmt.Sprintf("member volumes %s are missing from %s", strings.Join(p.MissingVolumes, ", "), p.PureGroupName))
	}
	return p, nil
}
