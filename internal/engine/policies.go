package engine

import (
	"context"
	"errors"
	"fmt"

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
	// at plan what the apply would refuse. The sites and the arrays are
	// asked side by side.
	var (
		a                *arrays
		sitesErr, arrErr error
	)
	parallel(
		func() { sitesErr = e.bothRecentlyReachable(ctx, d.Group.PrimarySite, d.Group.SecondarySite) },
		func() {
			if a, arrErr = e.connectArrays(ctx, spec.Primary, spec.Secondary); arrErr == nil {
				arrErr = e.checkConnection(ctx, a, d.Group.ReplicationType)
			}
		},
	)
	if sitesErr != nil {
		return nil, sitesErr
	}
	if arrErr != nil {
		return nil, arrErr
	}
	name := pureGroupName(d, spec.PureGroupName)
	if d.Policy != nil && d.Policy.PureGroupName == name {
		return nil, nil // bound already: the refresh reports its drift
	}
	switch {
	case d.Version == 0:
		// A group planned in this run has no consistency group yet, so no
		// driver's group: CreatePolicy checks it before any array change.
		return pureGroupCheckedAtApply(spec.PureGroupName), nil
	case len(d.Members) == 0:
		// No volume to read.
		return nil, e.checkPureGroup(ctx, a, d, name, nil)
	}
	r, err := e.readGroup(ctx, spec.GroupID)
	if errors.Is(err, ErrNotFound) {
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
	var (
		a    *arrays
		vols []*openstack.Volume
	)
	d, err := e.modify(ctx, spec.GroupID, func(d *document, primary, _ *openstack.Site) error {
		if err := spec.validate(d.Group.ReplicationType); err != nil {
			return err
		}
		if d.Policy != nil {
			return &Error{Kind: KindPolicyExists, Object: d.Group.Name, Detail: fmt.Sprintf("protection group %s already has a replication policy (Pure group %s)", d.Group.Name, d.Policy.PureGroupName), Fix: "A group has one policy: import it, or update it in place"}
		}
		var err error
		if a, err = e.connectArrays(ctx, spec.Primary, spec.Secondary); err != nil {
			return err
		}
		if err := e.checkConnection(ctx, a, d.Group.ReplicationType); err != nil {
			return err
		}
		if vols, err = e.memberVolumes(ctx, primary, d); err != nil {
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
	// The policy as the arrays now hold it, of the version just written
	// (read back, the group would be read again for nothing).
	var p *Policy
	parallel(
		func() {
			if s, serr := e.site(d.Group.PrimarySite); serr == nil {
				_ = s.DeleteObject(ctx, container, pendingPolicyObject(d.Group.ID))
			}
		},
		func() { p, err = e.readPolicyArrays(ctx, a, policyOf(d), vols) },
	)
	return p, err
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
	p := policyOf(d)
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
	return e.readPolicyArrays(ctx, a, p, vols)
}

// policyOf is the policy a document records, before the arrays are read.
func policyOf(d *document) *Policy {
	p := &Policy{GroupID: d.Group.ID, PrimarySite: d.Group.PrimarySite, SecondarySite: d.Group.SecondarySite,
		ReplicationType: d.Group.ReplicationType, PolicyRecord: *d.Policy.api(), MetadataVersion: d.Version, Kind: "protection_group"}
	if d.Group.ReplicationType == ReplicationSync {
		p.Kind = "pod"
	}
	return p
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
