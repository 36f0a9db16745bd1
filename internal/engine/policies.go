package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// Bounds of the async schedule, in seconds (the arrays accept minutes to
// days; a shorter interval than 5 minutes is rejected by Purity).
const (
	MinReplicationInterval = 300
	MaxReplicationInterval = 7 * 24 * 3600
)

// defaultSyncPod is the pod the Pure Cinder driver stretches for sync types.
const defaultSyncPod = "cinder-pod"

// pureGroupName is the Pure protection group (async) or pod (sync) a
// policy binds to; by default the names the Pure Cinder driver uses.
func pureGroupName(d *document, name string) string {
	if name != "" {
		return name
	}
	if d.Group.ReplicationType == ReplicationSync {
		return defaultSyncPod
	}
	return "consisgroup-" + d.Group.PrimaryConsistencyGroup + "-cinder"
}

// arrayVolumeName is the name of a Cinder volume on its FlashArray: the
// driver records it in the volume's metadata, else it follows the driver's
// template.
func arrayVolumeName(v *openstack.Volume) string {
	if n := v.Metadata["array_volume_name"]; n != "" {
		return n
	}
	return driverVolumeName(v.ID)
}

// driverVolumeName is the Pure driver's template for a volume's array name.
func driverVolumeName(id string) string { return "volume-" + id + "-cinder" }

// podVolumeName is the array name of a volume once it is in pod.
func podVolumeName(name, pod string) string {
	if i := strings.LastIndex(name, "::"); i >= 0 {
		name = name[i+2:]
	}
	return pod + "::" + name
}

func (spec PolicySpec) validate(replicationType string) error {
	for _, ep := range []struct{ name, url string }{{"primary_fa_url", spec.Primary.URL}, {"secondary_fa_url", spec.Secondary.URL}} {
		if !strings.HasPrefix(ep.url, "https://") {
			return &Error{Kind: KindInvalid, Object: ep.url, Detail: fmt.Sprintf("%s %q is not an HTTPS URL", ep.name, ep.url), Fix: "FlashArray management APIs are reached over HTTPS: use https://<array>"}
		}
	}
	if spec.Primary.URL == spec.Secondary.URL {
		return &Error{Kind: KindInvalid, Detail: "primary and secondary FlashArray URLs are the same", Fix: "Name the array of each site"}
	}
	if replicationType == ReplicationSync {
		if spec.ReplicationInterval != 0 || spec.RPOMinutes != 0 {
			return &Error{Kind: KindInvalid, Detail: "replication_interval and rpo_minutes apply to async groups only; a sync group replicates every write (zero RPO)", Fix: "Remove them from the policy"}
		}
		return nil
	}
	if spec.ReplicationInterval != 0 && (spec.ReplicationInterval < MinReplicationInterval || spec.ReplicationInterval > MaxReplicationInterval) {
		return &Error{Kind: KindInvalid, Detail: fmt.Sprintf("replication_interval %d s is outside %d..%d s", spec.ReplicationInterval, MinReplicationInterval, MaxReplicationInterval)}
	}
	if spec.RPOMinutes < 0 || (spec.RPOMinutes > 0 && spec.ReplicationInterval > 0 && spec.RPOMinutes*60 < spec.ReplicationInterval) {
		return &Error{Kind: KindInvalid, Detail: fmt.Sprintf("rpo_minutes %d is shorter than the replication interval (%d s): the RPO could never be met", spec.RPOMinutes, spec.ReplicationInterval), Fix: "Raise rpo_minutes or shorten replication_interval"}
	}
	return nil
}

// arrays are the two FlashArrays of a policy with their own names.
type arrays struct {
	primary, secondary         *flasharray.Client
	primaryURL, secondaryURL   string
	primaryName, secondaryName string
}

func (e *Engine) connectArrays(ctx context.Context, primary, secondary ArrayEndpoint) (*arrays, error) {
	a := &arrays{primaryURL: primary.URL, secondaryURL: secondary.URL}
	var err error
	if a.primary, err = e.array(primary); err != nil {
		return nil, err
	}
	if a.secondary, err = e.array(secondary); err != nil {
		return nil, err
	}
	// Each array's first call negotiates, logs in and reads its name: two
	// independent chains of round trips, so run them side by side.
	var perr error
	parallel(
		func() { a.primaryName, perr = e.arrayName(ctx, a.primary, primary.URL) },
		func() { a.secondaryName, err = e.arrayName(ctx, a.secondary, secondary.URL) },
	)
	if perr != nil {
		return nil, perr
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// arrayName reads an array's name once per engine.
func (e *Engine) arrayName(ctx context.Context, c *flasharray.Client, url string) (string, error) {
	e.mu.Lock()
	name, ok := e.arrayNames[url]
	e.mu.Unlock()
	if ok {
		return name, nil
	}
	arr, err := c.Array(ctx)
	if err != nil {
		return "", e.arrayError(url, "read the array", err)
	}
	e.mu.Lock()
	e.arrayNames[url] = arr.Name
	e.mu.Unlock()
	return arr.Name, nil
}

// checkConnection checks the primary array replicates to the secondary.
func (e *Engine) checkConnection(ctx context.Context, a *arrays, replicationType string) error {
	conns, err := a.primary.ArrayConnections(ctx)
	if err != nil {
		return e.arrayError(a.primaryURL, "list array connections", err)
	}
	// A sync (ActiveCluster) connection carries async replication too; an
	// async-only connection cannot stretch a pod.
	accepted := []string{"async-replication", "sync-replication"}
	if replicationType == ReplicationSync {
		accepted = []string{"sync-replication"}
	}
	for _, c := range conns {
		if c.Name == a.secondaryName {
			if c.Status != "connected" {
				return &Error{Kind: KindArray, Object: a.primaryURL, Detail: fmt.Sprintf("the connection from %s to %s is %s, not connected", a.primaryName, a.secondaryName, c.Status), Fix: "Repair the array connection (purearray connect), then run again"}
			}
			if !slices.Contains(accepted, c.Type) {
				return &Error{Kind: KindArray, Object: a.primaryURL, Detail: fmt.Sprintf("the connection from %s to %s is of type %s, and a %s group needs %s", a.primaryName, a.secondaryName, c.Type, replicationType, strings.Join(accepted, " or "))}
			}
			return nil
		}
	}
	return &Error{Kind: KindArray, Object: a.primaryURL, Detail: fmt.Sprintf("FlashArray %s has no connection to %s", a.primaryName, a.secondaryName), Fix: "Connect the arrays for replication first (purearray connect)"}
}

// CheckPolicy makes the plan-time checks of a policy: values, both sites
// reachable, both arrays reachable with the tokens given, and connected to
// each other.
func (e *Engine) CheckPolicy(ctx context.Context, spec PolicySpec) ([]string, error) {
	r, err := e.readGroup(ctx, spec.GroupID)
	if err != nil {
		return nil, e.groupNotFound(spec.GroupID, err)
	}
	d := r.doc
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
	return nil, e.checkConnection(ctx, a, d.Group.ReplicationType)
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
		rec := &PolicyRecord{
			PrimaryArrayURL: spec.Primary.URL, SecondaryArrayURL: spec.Secondary.URL,
			PrimaryArrayName: a.primaryName, SecondaryArrayName: a.secondaryName,
			PureGroupName: pureGroupName(d, spec.PureGroupName),
			CreatedAt:     e.now(),
		}
		if d.Group.ReplicationType == ReplicationAsync {
			rec.ReplicationInterval = spec.ReplicationInterval
			if rec.ReplicationInterval == 0 {
				rec.ReplicationInterval = 3600 // the Pure driver's pure_replica_interval_default
			}
			rec.RPOMinutes = spec.RPOMinutes
			err = e.bindProtectionGroup(ctx, a, rec)
		} else {
			err = e.bindPod(ctx, a, rec, vols)
		}
		if rerr := e.rememberCreatedPureGroup(ctx, primary, d.Group.ID, rec); err == nil {
			err = rerr
		}
		if err != nil {
			return boundSoFar(err, a, rec, d.Group.ReplicationType == ReplicationSync)
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

// boundSoFar corrects the advice of a binding that failed half-way: the
// Pure group it made stays on the array, recorded, and the next apply
// completes the binding on it.
func boundSoFar(err error, a *arrays, rec *PolicyRecord, pod bool) error {
	var ee *Error
	if !rec.CreatedPureGroup || !errors.As(err, &ee) {
		return err
	}
	c := *ee
	c.Fix = strings.TrimSuffix(c.Fix, ".")
	if c.Fix != "" {
		c.Fix += ". "
	}
	kind := "Pure protection group"
	if pod {
		kind = "pod"
	}
	c.Fix += fmt.Sprintf("The policy is not created yet; %s %s on %s was made by the provider and is kept, recorded as such: "+
		"the next apply completes the binding on it (and destroying the policy removes it)", kind, rec.PureGroupName, a.primaryName)
	return &c
}

// pendingPolicy remembers, across runs, a Pure group or pod the engine
// created for a policy whose creation then failed: a re-run finds it on the
// array, and without this record would take it for one it must not destroy.
type pendingPolicy struct {
	CreatedPureGroup string `json:"created_pure_group"`
}

// rememberCreatedPureGroup records that this run created the policy's Pure
// group, or learns that an earlier, failed run did.
func (e *Engine) rememberCreatedPureGroup(ctx context.Context, primary *openstack.Site, id string, rec *PolicyRecord) error {
	if rec.CreatedPureGroup {
		if err := putRecord(ctx, primary, pendingPolicyObject(id), pendingPolicy{CreatedPureGroup: rec.PureGroupName}); err != nil {
			return e.cloudError(primary.Name(), "record the Pure group "+rec.PureGroupName+" as created", err)
		}
		return nil
	}
	var p pendingPolicy
	if err := getJSON(ctx, primary, pendingPolicyObject(id), &p); err == nil && p.CreatedPureGroup == rec.PureGroupName {
		rec.CreatedPureGroup = true
	}
	return nil
}

// bindProtectionGroup makes the async binding the way the Pure driver does:
// the group with its schedule, the target added on the source and allowed on
// the target, then replication enabled.
func (e *Engine) bindProtectionGroup(ctx context.Context, a *arrays, rec *PolicyRecord) error {
	pg := rec.PureGroupName
	existing, err := a.primary.ProtectionGroup(ctx, pg)
	switch {
	case flasharray.IsNotFound(err):
		if _, err := a.primary.CreateProtectionGroup(ctx, pg); err != nil {
			return e.arrayError(a.primaryURL, "create protection group "+pg, err)
		}
		rec.CreatedPureGroup = true
	case err != nil:
		return e.arrayError(a.primaryURL, "read protection group "+pg, err)
	case existing.Destroyed:
		// Destroyed out of band but not yet eradicated: its name is taken
		// until it is, so recover it (with its snapshots) instead.
		recovered := false
		if _, err := a.primary.UpdateProtectionGroup(ctx, pg, flasharray.ProtectionGroupPatch{Destroyed: &recovered}); err != nil {
			return e.arrayError(a.primaryURL, "recover protection group "+pg, err)
		}
	}
	freq := rec.ReplicationInterval * 1000
	if _, err := a.primary.UpdateProtectionGroup(ctx, pg, flasharray.ProtectionGroupPatch{
		ReplicationSchedule: &flasharray.ReplicationSchedule{Frequency: &freq},
	}); err != nil {
		return e.arrayError(a.primaryURL, "set the replication schedule of "+pg, err)
	}
	if err := a.primary.AddProtectionGroupTargets(ctx, pg, a.secondaryName); err != nil {
		return e.arrayError(a.primaryURL, "add target "+a.secondaryName+" to "+pg, err)
	}
	if err := a.secondary.AllowProtectionGroupTarget(ctx, a.primaryName+":"+pg, a.secondaryName, true); err != nil {
		return e.arrayError(a.secondaryURL, "allow "+a.primaryName+":"+pg, err)
	}
	enabled := true
	if _, err := a.primary.UpdateProtectionGroup(ctx, pg, flasharray.ProtectionGroupPatch{
		ReplicationSchedule: &flasharray.ReplicationSchedule{Enabled: &enabled},
	}); err != nil {
		return e.arrayError(a.primaryURL, "enable replication of "+pg, err)
	}
	return nil
}

// bindPod makes the sync binding: a pod holding the member volumes,
// stretched to the secondary array and online there. Volumes move into a
// pod only while it is not stretched, so a new pod gets them first.
func (e *Engine) bindPod(ctx context.Context, a *arrays, rec *PolicyRecord, vols []*openstack.Volume) error {
	name := rec.PureGroupName
	pod, err := a.primary.Pod(ctx, name)
	if flasharray.IsNotFound(err) {
		if pod, err = a.primary.CreatePod(ctx, name); err != nil {
			return e.arrayError(a.primaryURL, "create pod "+name, err)
		}
		rec.CreatedPureGroup = true
	} else if err != nil {
		return e.arrayError(a.primaryURL, "read pod "+name, err)
	}
	if !podOn(pod, a.secondaryName) {
		for _, v := range vols {
			if n := arrayVolumeName(v); !strings.HasPrefix(n, name+"::") {
				if _, err := a.primary.MoveVolumeToPod(ctx, n, name); err != nil {
					return e.arrayError(a.primaryURL, "move volume "+n+" into pod "+name, err)
				}
			}
		}
		if err := a.primary.StretchPod(ctx, name, a.secondaryName); err != nil {
			return e.arrayError(a.primaryURL, "stretch pod "+name+" to "+a.secondaryName, err)
		}
	}
	return e.waitPodOnline(ctx, a, name)
}

func podOn(pod *flasharray.Pod, array string) bool {
	for _, pa := range pod.Arrays {
		if pa.Name == array {
			return true
		}
	}
	return false
}

// waitPodOnline polls until the pod is online on the secondary array; a
// freshly stretched pod resyncs first.
func (e *Engine) waitPodOnline(ctx context.Context, a *arrays, name string) error {
	return poll(ctx, func() (bool, error) {
		pod, err := a.primary.Pod(ctx, name)
		if err != nil {
			return false, e.arrayError(a.primaryURL, "read pod "+name, err)
		}
		for _, pa := range pod.Arrays {
			if pa.Name == a.secondaryName && pa.Status == "online" {
				return true, nil
			}
		}
		return false, nil
	})
}

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

func (e *Engine) policyArrays(ctx context.Context, d *document) (*arrays, error) {
	return e.connectArrays(ctx, ArrayEndpoint{URL: d.Policy.PrimaryArrayURL}, ArrayEndpoint{URL: d.Policy.SecondaryArrayURL})
}

// driverManaged reports whether the policy binds the Pure group the Cinder
// driver keeps for the consistency group: the driver adds and removes its
// volumes with the Cinder group, so member changes need no array call.
func driverManaged(d *document) bool {
	return d.Group.ReplicationType == ReplicationAsync &&
		d.Policy.PureGroupName == "consisgroup-"+d.Group.PrimaryConsistencyGroup+"-cinder"
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

// pureVolumeName is the array's name of a Cinder volume, or of one Cinder
// no longer has (v nil) by the driver's rule.
func pureVolumeName(id string, v *openstack.Volume) string {
	if v == nil {
		return driverVolumeName(id)
	}
	return arrayVolumeName(v)
}

// unbindArrays undoes the binding: an async Pure group the engine created is
// destroyed; an adopted one loses only the member volumes the policy added.
func (e *Engine) unbindArrays(ctx context.Context, d *document) error {
	if d.Group.ReplicationType == ReplicationSync {
		return nil
	}
	a, err := e.policyArrays(ctx, d)
	if err != nil {
		return err
	}
	pg := d.Policy.PureGroupName
	if d.Policy.CreatedPureGroup {
		if err := a.primary.DestroyProtectionGroup(ctx, pg, true); err != nil && !flasharray.IsNotFound(err) {
			return e.arrayError(a.primaryURL, "destroy protection group "+pg, err)
		}
		return nil
	}
	s, err := e.site(d.Group.PrimarySite)
	if err != nil {
		return err
	}
	var ids []string
	for _, m := range d.Members {
		ids = append(ids, m.VolumeIDs...)
	}
	return e.unprotectVolumes(ctx, d, s, ids, nil)
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
	p := &Policy{GroupID: d.Group.ID, ReplicationType: d.Group.ReplicationType, PolicyRecord: *d.Policy, MetadataVersion: d.Version, Kind: "protection_group"}
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
		for _, pa := range pod.Arrays {
			if pa.Name == a.secondaryName && pa.Status == "online" {
				p.PodStretched = true
			}
		}
		if !p.PodStretched {
			p.Drift = append(p.Drift, fmt.Sprintf("pod %s is not online on %s", p.PureGroupName, a.secondaryName))
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

// readiness measures the RPO lag on the secondary array: now minus the
// creation of the newest snapshot fully transferred there.
func (e *Engine) readiness(ctx context.Context, a *arrays, p *Policy) (*Readiness, error) {
	r := &Readiness{RPO: time.Duration(p.RPOMinutes) * time.Minute}
	transfers, err := a.secondary.ProtectionGroupSnapshotTransfers(ctx, a.primaryName+":"+p.PureGroupName)
	if flasharray.IsNotFound(err) {
		return r, nil
	}
	if err != nil {
		return nil, e.arrayError(a.secondaryURL, "read the snapshot transfers of "+p.PureGroupName, err)
	}
	// Before the first snapshot arrives, the clock runs from the policy's
	// creation: a new policy is pending, not in breach.
	since := p.CreatedAt
	if newest, ok := flasharray.NewestCompleted(transfers); ok {
		r.LastReplicated = newest.Created
		since = newest.Created
	}
	r.Lag = e.now().Sub(since)
	r.Compliant = r.RPO == 0 || r.Lag <= r.RPO
	return r, nil
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
		vols, err := e.memberVolumes(ctx, primary, d)
		if err != nil {
			return err
		}
		if d.Group.ReplicationType == ReplicationSync {
			// Binding again repairs drift: a pod no longer stretched.
			return e.bindPod(ctx, a, d.Policy, vols)
		}
		interval := spec.ReplicationInterval
		if interval == 0 {
			interval = 3600
		}
		d.Policy.ReplicationInterval = interval
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
