package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// memberVolumes reads the volumes of every member; known, when given,
// holds volumes already read (the consistency group's listing).
func (e *Engine) memberVolumes(ctx context.Context, s *openstack.Site, d *document, known ...map[string]*openstack.Volume) ([]*openstack.Volume, error) {
	var out []*openstack.Volume
	for _, m := range d.Members {
		for _, id := range m.VolumeIDs {
			if len(known) > 0 && known[0][id] != nil {
				out = append(out, known[0][id])
				continue
			}
			v, err := s.Volume(ctx, id)
			if err != nil {
				return nil, e.cloudError(s.Name(), "read volume "+id, err)
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// driverManaged reports whether the policy binds the Pure group the Cinder
// driver keeps for the consistency group: the driver adds and removes its
// volumes with the Cinder group, so member changes need no array call.
func driverManaged(d *document) bool {
	return d.Group.ReplicationType == ReplicationAsync &&
		d.Policy.PureGroupName == driverGroupName(d.Group.PrimaryConsistencyGroup)
}

// protectVolumes puts volumes into the policy's Pure group (async) or pod
// (sync), unless the Cinder driver does it (driverManaged).
func (e *Engine) protectVolumes(ctx context.Context, d *document, vols []*openstack.Volume) error {
	if driverManaged(d) {
		return nil
	}
	return e.addToPureGroup(ctx, d, vols)
}

// addToPureGroup puts volumes into the policy's Pure group or checks they
// are in its pod.
func (e *Engine) addToPureGroup(ctx context.Context, d *document, vols []*openstack.Volume) error {
	if len(vols) == 0 {
		return nil
	}
	a, err := e.policyArrays(ctx, d)
	if err != nil {
		return err
	}
	p := d.Policy
	if d.Group.ReplicationType == ReplicationSync {
		for _, v := range vols {
			if name := arrayVolumeName(v); !strings.HasPrefix(name, p.PureGroupName+"::") {
				return &Error{Kind: KindArray, Object: v.ID,
					Detail: fmt.Sprintf("volume %s is %s on %s, outside the stretched pod %s, so it is not replicated synchronously", v.ID, name, a.primaryName, p.PureGroupName),
					Fix:    "Volumes of a sync volume type are created in the pod by the Pure Cinder driver: check the type's replication_type and the driver's pure_replication_pod_name"}
			}
		}
		return nil
	}
	names := make([]string, 0, len(vols))
	for _, v := range vols {
		names = append(names, arrayVolumeName(v))
	}
	if err := a.primary.AddProtectionGroupVolumes(ctx, p.PureGroupName, names...); err != nil {
		return e.arrayError(a.primaryURL, "add volumes to protection group "+p.PureGroupName, err)
	}
	return nil
}

// unprotectVolumes takes volumes out of the async Pure group. Volumes of a
// sync group stay in the pod: moving them out would stop replication of a
// live volume and rename it under Cinder. known holds volumes the caller
// already read (nil: gone from Cinder).
func (e *Engine) unprotectVolumes(ctx context.Context, d *document, s *openstack.Site, ids []string, known map[string]*openstack.Volume) error {
	if d.Group.ReplicationType == ReplicationSync || len(ids) == 0 || driverManaged(d) {
		return nil
	}
	a, err := e.policyArrays(ctx, d)
	if err != nil {
		return err
	}
	names := make([]string, len(ids))
	errs := make([]error, len(ids))
	var reads []func()
	for i, id := range ids {
		if v, ok := known[id]; ok {
			names[i] = pureVolumeName(id, v)
			continue
		}
		reads = append(reads, func() {
			v, err := s.Volume(ctx, id)
			if err != nil && !errors.Is(err, openstack.ErrNotFound) {
				errs[i] = e.cloudError(s.Name(), "read volume "+id, err)
				return
			}
			names[i] = pureVolumeName(id, v)
		})
	}
	parallelN(fanOut, reads...)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := a.primary.RemoveProtectionGroupVolumes(ctx, d.Policy.PureGroupName, names...); err != nil && !flasharray.IsNotFound(err) {
		return e.arrayError(a.primaryURL, "remove volumes from protection group "+d.Policy.PureGroupName, err)
	}
	return nil
}
