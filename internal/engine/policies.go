package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// CheckPolicy makes the plan-time checks of a policy: values, both sites
// reachable, both arrays reachable with the tokens given, connected to each
// other, and a Pure group or pod to bind that adds no second replicating
// group (checkPureGroup). A group that a plan of this process proposes to
// create (PlanGroup) is checked as planned.
func (e *Engine) CheckPolicy(ctx context.Context, spec PolicySpec) ([]string, error) {
	d, _, err := e.planGroupRead(ctx, spec.GroupID)
	if err != nil {
		return nil, e.groupNotFound(spec.GroupID, err)
	}
	if err := spec.validate(d.Group.ReplicationType); err != nil {
		return nil, err
	}
	// A policy is recorded in the group's metadata on both sites: refuse
	// at plan what the apply would refuse.
	if err := e.bothRecentlyReachable(ctx, d.Group.PrimarySite, d.Group.SecondarySite); err != nil {
		return nil, err
	}
	a, err := e.connectArrays(ctx, spec.Primary, spec.Secondary)
	if err != nil {
		return nil, err
	}
	if err := e.checkConnection(ctx, a, d.Group.ReplicationType); err != nil {
		return nil, err
	}
	name := pureGroupName(d, spec.PureGroupName)
	if d.Policy != nil && d.Policy.PureGroupName == name {
		return nil, nil // bound already: the refresh reports its drift
	}
	r, err := e.readGroup(ctx, spec.GroupID)
	if errors.Is(err, ErrNotFound) {
		// A group planned in this run has no consistency group yet, so no
		// driver's group: CreatePolicy checks it before any array change.
		return pureGroupCheckedAtApply(spec.PureGroupName), nil
	}
	if err != nil {
		return nil, err
	}
	vols, err := e.memberVolumes(ctx, r.site, d, r.in.volumes)
	if err != nil {
		return nil, err
	}
	return nil, e.checkPureGroup(ctx, a, d, name, vols)
}

// CreatePolicy binds the group to a Pure protection group (async) or pod
// (sync) on the arrays and records the policy in the metadata.
func (e *Engine) CreatePolicy(ctx context.Context, spec PolicySpec) (*Policy, error) {
	d, err := e.modify(ctx, spec.GroupID, func(d *document, primary, _ *openstack.Site) error {
		if err := spec.validate(d.Group.ReplicationType); err != nil {
			return err
		}
		if d.Policy != nil {
			return &Error{Kind: KindPolicyExists, Object: d.Group.Name, Detail: fmt.Sprintf("protection group %s already has a replication policy (Pure group %s)", d.Group.Name, d.Policy.PureGroupName), Fix: "A group has one policy: import it, or update it in place"}
		}
		a, err := e.connectArrays(ctx, spec.Primary, spec.Secondary)
		if err != nil {
			return err
		}
		if err := e.checkConnection(ctx, a, d.Group.ReplicationType); err != nil {
			return err
		}
		vols, err := e.memberVolumes(ctx, primary, d)
		if err != nil {
			return err
		}
		rec := &policyRecord{
			PrimaryArrayURL: spec.Primary.URL, SecondaryArrayURL: spec.Secondary.URL,
			PrimaryArrayName: a.primaryName, SecondaryArrayName: a.secondaryName,
			PureGroupName: pureGroupName(d, spec.PureGroupName),
			CreatedAt:     e.now(),
		}
		// Nothing has changed on the arrays yet: refuse here what the plan
		// could not check (a group created in the same run).
		if err := e.checkPureGroup(ctx, a, d, rec.PureGroupName, vols); err != nil {
			return err
		}
		if d.Group.ReplicationType == ReplicationAsync {
			rec.ReplicationInterval = EffectiveInterval(spec.ReplicationInterval)
			rec.RPOMinutes = spec.RPOMinutes
			e.recallPendingChanges(ctx, primary, d.Group.ID, rec)
			if err = e.bindProtectionGroup(ctx, a, rec); err != nil {
				e.rememberPendingChanges(ctx, primary, d.Group.ID, rec)
				return boundSoFar(err, a, rec)
			}
		} else if err = e.bindPod(ctx, a, rec); err != nil {
			return err
		}
		d.Policy = rec
		return e.protectVolumes(ctx, d, vols)
	})
	if err != nil {
		return nil, err
	}
	if s, serr := e.site(d.Group.PrimarySite); serr == nil {
		_ = s.DeleteObject(ctx, container, pendingPolicyObject(d.Group.ID))
	}
	return e.GetPolicy(ctx, d.Group.ID, spec.Primary, spec.Secondary)
}

// GetPolicy reads the policy from the metadata and the arrays.
func (e *Engine) GetPolicy(ctx context.Context, groupID string, primary, secondary ArrayEndpoint) (*Policy, error) {
	var (
		r          *groupRead
		err        error
		a          *arrays
		connectErr error
	)
	if primary.URL != "" && secondary.URL != "" {
		// A refresh knows the arrays from the state: connect to them while
		// the group is read instead of after.
		parallel(
			func() { r, err = e.readGroup(ctx, groupID) },
			func() { a, connectErr = e.connectArrays(ctx, primary, secondary) },
		)
	} else {
		r, err = e.readGroup(ctx, groupID)
	}
	if err != nil {
		return nil, err
	}
	d, s := r.doc, r.site
	if d.Policy == nil {
		return nil, ErrNotFound
	}
	if primary.URL == "" {
		primary.URL = d.Policy.PrimaryArrayURL
	}
	if secondary.URL == "" {
		secondary.URL = d.Policy.SecondaryArrayURL
	}
	p := &Policy{GroupID: d.Group.ID, PrimarySite: d.Group.PrimarySite, SecondarySite: d.Group.SecondarySite,
		ReplicationType: d.Group.ReplicationType, PolicyRecord: *d.Policy.api(), MetadataVersion: d.Version, Kind: "protection_group"}
	if d.Group.ReplicationType == ReplicationSync {
		p.Kind = "pod"
	}
	if a == nil && connectErr == nil {
		a, connectErr = e.connectArrays(ctx, primary, secondary)
	}
	if connectErr != nil {
		return nil, connectErr
	}
	vols, err := e.memberVolumes(ctx, s, d, r.in.volumes)
	if err != nil {
		return nil, err
	}
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

// UpdatePolicy changes interval and RPO in place.
func (e *Engine) UpdatePolicy(ctx context.Context, spec PolicySpec) (*Policy, error) {
	d, err := e.modify(ctx, spec.GroupID, func(d *document, primary, _ *openstack.Site) error {
		if d.Policy == nil {
			return ErrNotFound
		}
		if err := spec.validate(d.Group.ReplicationType); err != nil {
			return err
		}
		a, err := e.connectArrays(ctx, spec.Primary, spec.Secondary)
		if err != nil {
			return err
		}
		if d.Group.ReplicationType == ReplicationSync {
			// Binding again repairs drift: a pod no longer stretched.
			return e.bindPod(ctx, a, d.Policy)
		}
		vols, err := e.memberVolumes(ctx, primary, d)
		if err != nil {
			return err
		}
		d.Policy.ReplicationInterval = EffectiveInterval(spec.ReplicationInterval)
		d.Policy.RPOMinutes = spec.RPOMinutes
		if err := e.bindProtectionGroup(ctx, a, d.Policy); err != nil {
			return err
		}
		// Binding again repairs drift: volumes taken out of the Pure group,
		// even the driver's.
		return e.addToPureGroup(ctx, d, vols)
	})
	if err != nil {
		return nil, err
	}
	return e.GetPolicy(ctx, d.Group.ID, spec.Primary, spec.Secondary)
}

// DeletePolicy unbinds the group from the arrays.
func (e *Engine) DeletePolicy(ctx context.Context, groupID string, primary, secondary ArrayEndpoint) error {
	_, err := e.modify(ctx, groupID, func(d *document, _, _ *openstack.Site) error {
		if d.Policy == nil {
			return errUnchanged
		}
		if _, err := e.connectArrays(ctx, primary, secondary); err != nil {
			return err
		}
		if err := e.unbindArrays(ctx, d); err != nil {
			return err
		}
		d.Policy = nil
		return nil
	})
	if errors.Is(err, errUnchanged) || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
