package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

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
	// servers are the ids of the project's servers; nil when not listed.
	servers map[string]bool
	// volumesErr is why the consistency group's volumes (inGroup) could
	// not be listed.
	volumesErr error
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
		vols      []openstack.Volume
		volsErr   error
		cgErr     error
	)
	calls := []func(){
		func() { peerDrift = e.inspectPeer(ctx, d) },
		func() { in.volumeType, _ = e.volumeType(ctx, primary, d.Group.VolumeType) },
		func() { vols, volsErr = primary.VolumesInGroup(ctx, cg) },
		func() { _, cgErr = primary.Group(ctx, cg) },
	}
	if len(d.Members) > 0 {
		// One listing tells every member whether its VM still exists.
		calls = append(calls, func() {
			if ids, err := primary.ServerIDs(ctx); err == nil {
				in.servers = ids
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
	in.drift = append(in.drift, peerDrift...)
	return in
}

// inspectPeer checks the secondary site: its consistency group exists and
// it holds the newest metadata version intact.
func (e *Engine) inspectPeer(ctx context.Context, d *document) []string {
	// Bounded like a reachability check: a peer that never answers must
	// not hold the refresh for the request timeout times the retries.
	ctx, cancel := e.probe(ctx)
	defer cancel()
	var drift []string
	secondary, err := e.site(d.Group.SecondarySite)
	if err != nil {
		return nil
	}
	var (
		cgErr      error
		remote     int
		remoteHash string
	)
	parallel(
		func() { _, cgErr = secondary.Group(ctx, d.Group.SecondaryConsistencyGroup) },
		func() { remote, remoteHash, err = newestVersion(ctx, secondary, d.Group.ID) },
	)
	if errors.Is(cgErr, openstack.ErrNotFound) {
		drift = append(drift, fmt.Sprintf("consistency group %s no longer exists on %s", d.Group.SecondaryConsistencyGroup, d.Group.SecondarySite))
	}
	switch {
	case err != nil:
		// An unreachable peer is not drift: the sync status says so, and a
		// change is refused until it answers.
	case remote < d.Version:
		drift = append(drift, fmt.Sprintf("%s holds metadata version %d and %s version %d: the push of a change did not arrive (the guide's sync-force repairs it)", d.Group.SecondarySite, remote, d.Group.PrimarySite, d.Version))
	case remote == d.Version && remoteHash != "" && remoteHash == d.contentHash:
		// The same bytes as the primary's copy, whose checksum held.
	default:
		if _, err := readVersion(ctx, secondary, d.Group.ID, remote); err != nil && !errors.Is(err, ErrNotFound) && !openstack.IsUnreachable(err) {
			drift = append(drift, fmt.Sprintf("the metadata on %s is damaged (%v): the guide's sync-force repairs it", d.Group.SecondarySite, err))
		}
	}
	return drift
}

// memberDrift compares one member with the primary consistency group and
// Nova. It costs one request: the instance.
func (e *Engine) memberDrift(ctx context.Context, d *document, s *openstack.Site, in *inspection, m *Member) {
	m.Drift, m.Broken, m.Unchecked = nil, nil, nil
	gone := in != nil && in.servers != nil && !in.servers[m.InstanceID]
	if in == nil || in.servers == nil {
		_, err := s.Server(ctx, m.InstanceID)
		gone = errors.Is(err, openstack.ErrNotFound)
		if err != nil && !gone {
			m.Unchecked = append(m.Unchecked, fmt.Sprintf("instance %s (%s) could not be read on %s: %v", m.InstanceName, m.InstanceID, d.Group.PrimarySite, err))
		}
	}
	if gone {
		m.Broken = append(m.Broken, fmt.Sprintf("instance %s (%s) no longer exists on %s", m.InstanceName, m.InstanceID, d.Group.PrimarySite))
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
}

// RepairGroup is the guide's sync-force and more: it recreates a
// consistency group deleted out of band (putting the members' volumes back
// on the primary) and pushes the newest metadata to the secondary.
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
				if cg, err = e.createConsistencyGroup(ctx, step.site, spec, d.Group.ID); err != nil {
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

// syncForce pushes the newest version to the secondary, replacing a copy
// that is missing or damaged, without a new version.
func (e *Engine) syncForce(ctx context.Context, id string) (*Group, error) {
	unlock := e.groupLock(id)
	d, primary, err := e.loadGroup(ctx, id)
	if err != nil {
		unlock()
		return nil, err
	}
	secondary, err := e.bothReachable(ctx, d.Group.PrimarySite, d.Group.SecondarySite)
	if err != nil {
		unlock()
		return nil, err
	}
	if _, err := readDocument(ctx, secondary, id); err != nil && !errors.Is(err, ErrNotFound) {
		if derr := secondary.DeleteObject(ctx, container, versionObject(id, d.Version)); derr != nil && !errors.Is(derr, openstack.ErrNotFound) {
			unlock()
			return nil, e.cloudError(secondary.Name(), "replace the damaged metadata", derr)
		}
	}
	e.push(ctx, primary, secondary, d)
	e.forget(id)
	unlock()
	g, err := e.GetGroup(ctx, id)
	if err == nil && g.Sync.Status != SyncSynced {
		return g, &Error{Kind: KindUnreachable, Site: d.Group.SecondarySite, Detail: "the metadata push to " + d.Group.SecondarySite + " failed: " + g.Sync.Error}
	}
	return g, err
}

// RepairMember puts a member's volumes that left the consistency group (or
// the Pure group) back.
func (e *Engine) RepairMember(ctx context.Context, groupID, memberID string) (*Member, *Group, error) {
	d, err := e.modify(ctx, groupID, func(d *document, primary, _ *openstack.Site) error {
		_, m := d.member(memberID)
		if m == nil {
			return ErrNotFound
		}
		in := e.inspect(ctx, d, primary)
		e.memberDrift(ctx, d, primary, in, m)
		if len(m.Broken) > 0 {
			return &Error{Kind: KindMismatch, Object: m.InstanceID, Detail: joinSorted(m.Broken),
				Fix: "This cannot be repaired by an apply: migrate the volume back to the group's type, or remove the member from the configuration"}
		}
		var missing []string
		var vols []*openstack.Volume
		for _, id := range m.VolumeIDs {
			if _, ok := in.inGroup[id]; !ok {
				missing = append(missing, id)
			}
			v, err := primary.Volume(ctx, id)
			if err != nil {
				return e.cloudError(primary.Name(), "read volume "+id, err)
			}
			vols = append(vols, v)
		}
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
		m.Drift = nil
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return e.GetMember(ctx, d.Group.ID, memberID)
}

func joinSorted(list []string) string {
	sorted := slices.Clone(list)
	sort.Strings(sorted)
	return strings.Join(sorted, "; ")
}
