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

// defaultSyncPod is the pod the Pure Cinder driver stretches for sync types
// (its pure_replication_pod_name default).
const defaultSyncPod = "cinder-pod"

// driverGroupName is the protection group the Pure Cinder driver makes for
// a consistency group (a group type with consistent_group_snapshot_enabled),
// keeps in step with the group's volumes and destroys with the group
// (pure.py _get_pgroup_name). For sync types it lives in the pod.
func driverGroupName(consistencyGroup string) string {
	return "consisgroup-" + consistencyGroup + "-cinder"
}

// pureGroupName is the Pure protection group (async) or pod (sync) a
// policy binds to; by default the ones the Pure Cinder driver keeps.
func pureGroupName(d *document, name string) string {
	if name != "" {
		return name
	}
	if d.Group.ReplicationType == ReplicationSync {
		return defaultSyncPod
	}
	return driverGroupName(d.Group.PrimaryConsistencyGroup)
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
	if _, short := RPOTooShort(spec.RPOMinutes, spec.ReplicationInterval); spec.RPOMinutes < 0 || short {
		return &Error{Kind: KindInvalid, Detail: fmt.Sprintf("rpo_minutes %d is shorter than the replication interval (%d s): the RPO could never be met", spec.RPOMinutes, EffectiveInterval(spec.ReplicationInterval)), Fix: "Raise rpo_minutes or shorten replication_interval"}
	}
	return nil
}

// DefaultReplicationInterval is the interval, in seconds, of a policy that
// sets none: the Pure driver's pure_replica_interval_default.
const DefaultReplicationInterval = 3600

// EffectiveInterval is the interval a policy replicates at: its own, or
// DefaultReplicationInterval when it sets none (0).
func EffectiveInterval(seconds int64) int64 {
	if seconds == 0 {
		return DefaultReplicationInterval
	}
	return seconds
}

// RPOTooShort reports whether an RPO of rpoMinutes (0: none) can never be
// met at a replication interval of intervalSeconds (0: the default), and
// the shortest RPO, in minutes, that can.
func RPOTooShort(rpoMinutes, intervalSeconds int64) (minMinutes int64, tooShort bool) {
	interval := EffectiveInterval(intervalSeconds)
	return (interval + 59) / 60, rpoMinutes > 0 && rpoMinutes*60 < interval
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

// checkPureGroup refuses, before anything changes, a binding that would add
// a second replicating Pure group for the consistency group's volumes, or
// one the provider would have to create: it never creates Pure groups or
// pods. Async binds the group the Cinder driver keeps for the consistency
// group, or a group configured on the array that holds no volume outside
// the consistency group (the binding adds the group's volumes missing from
// it: a new group starts empty) while the driver's group does not
// replicate. Sync binds the existing pod that holds the driver's group of
// the consistency group and its volumes. vols are the group's volumes.
func (e *Engine) checkPureGroup(ctx context.Context, a *arrays, d *document, name string, vols []*openstack.Volume) error {
	if d.Group.ReplicationType == ReplicationSync {
		return e.checkPod(ctx, a, d, name, vols)
	}
	cg := d.Group.PrimaryConsistencyGroup
	driver := driverGroupName(cg)
	useDriver := fmt.Sprintf("Remove pure_pg_name: the policy then binds %s, the protection group the Pure Cinder driver keeps for consistency group %s", driver, cg)
	if name != driver {
		local := name
		if i := strings.LastIndex(name, "::"); i >= 0 {
			local = name[i+2:]
		}
		if strings.HasPrefix(local, "consisgroup-") && strings.HasSuffix(local, "-cinder") {
			return &Error{Kind: KindArray, Object: name,
				Detail: fmt.Sprintf("pure_pg_name %q is the Pure Cinder driver's protection group of another consistency group, not of %s", name, cg), Fix: useDriver}
		}
	}
	pg, err := a.primary.ProtectionGroup(ctx, name)
	switch {
	case flasharray.IsNotFound(err) && name == driver:
		return &Error{Kind: KindArray, Object: name,
			Detail: fmt.Sprintf("protection group %s, which the Pure Cinder driver makes for consistency group %s, does not exist on %s", name, cg, a.primaryName),
			Fix: "The driver makes it when the group type has consistent_group_snapshot_enabled='<is> True' and the backend is the Pure driver of " + a.primaryName +
				"; the provider does not create Pure protection groups. Check the group's volume type and backend, or give pure_pg_name the group configured on the array for these volumes"}
	case flasharray.IsNotFound(err):
		return &Error{Kind: KindArray, Object: name,
			Detail: fmt.Sprintf("pure_pg_name %q names no protection group on %s; it must name a group configured on the array, and the provider does not create one beside the driver's", name, a.primaryName),
			Fix:    useDriver}
	case err != nil:
		return e.arrayError(a.primaryURL, "read protection group "+name, err)
	}
	if name == driver {
		return nil
	}
	if pg.Destroyed {
		return &Error{Kind: KindArray, Object: name,
			Detail: fmt.Sprintf("protection group %s is destroyed on %s (pending eradication)", name, a.primaryName),
			Fix:    "Recover it on the array (purepgroup recover " + name + ") to bind it, or " + strings.ToLower(useDriver[:1]) + useDriver[1:]}
	}
	var (
		inGroup       []string
		driverTargets []flasharray.Target
		vErr, tErr    error
	)
	parallel(
		func() { inGroup, vErr = a.primary.ProtectionGroupVolumes(ctx, name) },
		func() { driverTargets, tErr = a.primary.ProtectionGroupTargets(ctx, driver) },
	)
	if vErr != nil {
		return e.arrayError(a.primaryURL, "read the volumes of "+name, vErr)
	}
	if tErr != nil && !flasharray.IsNotFound(tErr) {
		return e.arrayError(a.primaryURL, "read the targets of "+driver, tErr)
	}
	if len(driverTargets) > 0 {
		var to []string
		for _, t := range driverTargets {
			to = append(to, t.Member)
		}
		return &Error{Kind: KindArray, Object: name,
			Detail: fmt.Sprintf("the Pure Cinder driver's protection group %s already replicates consistency group %s to %s; binding %s as well would replicate the same volumes twice", driver, cg, strings.Join(to, ", "), name),
			Fix:    useDriver}
	}
	own := map[string]bool{}
	for _, v := range vols {
		own[arrayVolumeName(v)] = true
	}
	var foreign []string
	for _, n := range inGroup {
		if !own[n] {
			foreign = append(foreign, n)
		}
	}
	if len(foreign) > 0 {
		sort.Strings(foreign)
		return &Error{Kind: KindArray, Object: name,
			Detail: fmt.Sprintf("protection group %s on %s holds volumes outside consistency group %s (%s); the policy binds a group holding exactly the consistency group's volumes", name, a.primaryName, cg, strings.Join(foreign, ", ")),
			Fix:    useDriver}
	}
	return nil
}

// pureGroupCheckedAtApply is the plan's warning for a Pure group that can
// be checked only once the group's consistency group exists.
func pureGroupCheckedAtApply(name string) []string {
	if name == "" {
		return nil
	}
	return []string{fmt.Sprintf("checked at apply, before anything changes on the arrays: the protection group is created in this run, "+
		"so its consistency group is not known yet; pure_pg_name = %q must name, for an async group, a protection group on the "+
		"primary array that holds no volume outside the new consistency group while the Pure Cinder driver's group of the "+
		"consistency group (consisgroup-<id>-cinder) does not replicate; for a sync group, the pod that holds the driver's "+
		"group. Without pure_pg_name the policy binds the driver's group (async) or pod %s (sync)", name, defaultSyncPod)}
}

// checkPod makes sure a sync policy binds the pod the Pure Cinder driver
// put the consistency group in: the pod exists (the provider does not
// create pods), holds the driver's group of the consistency group and every
// volume of the group.
func (e *Engine) checkPod(ctx context.Context, a *arrays, d *document, name string, vols []*openstack.Volume) error {
	cg := d.Group.PrimaryConsistencyGroup
	use := "Set pure_pg_name to the pod the Pure Cinder driver stretches (its pure_replication_pod_name, default " + defaultSyncPod + ")"
	for _, v := range vols {
		if pod, _, inPod := strings.Cut(arrayVolumeName(v), "::"); inPod && pod != name {
			use = fmt.Sprintf("Set pure_pg_name = %q, the pod that holds the group's volumes (or remove it when that is %s)", pod, defaultSyncPod)
			break
		}
	}
	pod, err := a.primary.Pod(ctx, name)
	if flasharray.IsNotFound(err) || (err == nil && pod.Destroyed) {
		return &Error{Kind: KindArray, Object: name,
			Detail: fmt.Sprintf("pod %s does not exist on %s; the provider does not create pods: sync volumes live in the pod the Pure Cinder driver made", name, a.primaryName),
			Fix:    use}
	}
	if err != nil {
		return e.arrayError(a.primaryURL, "read pod "+name, err)
	}
	driver := name + "::" + driverGroupName(cg)
	if _, err := a.primary.ProtectionGroup(ctx, driver); flasharray.IsNotFound(err) {
		return &Error{Kind: KindArray, Object: name,
			Detail: fmt.Sprintf("pod %s on %s does not hold %s, the protection group the Pure Cinder driver makes for consistency group %s in its sync pod", name, a.primaryName, driver, cg),
			Fix:    use}
	} else if err != nil {
		return e.arrayError(a.primaryURL, "read protection group "+driver, err)
	}
	for _, v := range vols {
		if n := arrayVolumeName(v); !strings.HasPrefix(n, name+"::") {
			return &Error{Kind: KindArray, Object: v.ID,
				Detail: fmt.Sprintf("volume %s is %s on %s, outside pod %s, so it is not replicated synchronously", v.ID, n, a.primaryName, name),
				Fix:    use}
		}
	}
	return nil
}

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
		rec := &PolicyRecord{
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

// boundSoFar corrects the advice of a binding that failed half-way: what
// it changed on the Pure group is recorded, and the next apply completes
// the binding on that group.
func boundSoFar(err error, a *arrays, rec *PolicyRecord) error {
	var ee *Error
	changed := rec.Changes.describe(a.secondaryName)
	if changed == "" || !errors.As(err, &ee) {
		return err
	}
	c := *ee
	c.Fix = strings.TrimSuffix(c.Fix, ".")
	if c.Fix != "" {
		c.Fix += ". "
	}
	c.Fix += fmt.Sprintf("The policy is not created yet; what it changed on Pure protection group %s on %s (%s) is recorded: "+
		"the next apply completes the binding on it (and destroying the policy undoes it)", rec.PureGroupName, a.primaryName, changed)
	return &c
}

func (c *PureGroupChanges) empty() bool { return c == nil || *c == PureGroupChanges{} }

// describe says what changed, for messages ("" when nothing did).
func (c *PureGroupChanges) describe(secondary string) string {
	if c.empty() {
		return ""
	}
	var parts []string
	if c.AddedTarget {
		parts = append(parts, "target "+secondary+" added")
	}
	if c.AllowedTarget {
		parts = append(parts, "target "+secondary+" allowed")
	}
	if c.PriorFrequency != 0 {
		parts = append(parts, fmt.Sprintf("replication frequency changed from %d s", c.PriorFrequency/1000))
	}
	if c.EnabledReplication {
		parts = append(parts, "replication enabled")
	}
	return strings.Join(parts, ", ")
}

// pendingPolicy remembers, across runs, what a policy whose creation failed
// changed on its Pure group: a re-run finds those changes in place, and
// without this record would take them for the group's own settings, which
// unbinding must leave alone.
type pendingPolicy struct {
	PureGroup string            `json:"pure_group"`
	Changes   *PureGroupChanges `json:"changes,omitempty"`
}

// rememberPendingChanges records what a failed binding changed. It runs
// after a failure, also a timeout: the write gets its own deadline.
func (e *Engine) rememberPendingChanges(ctx context.Context, primary *openstack.Site, id string, rec *PolicyRecord) {
	if rec.Changes.empty() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = putRecord(ctx, primary, pendingPolicyObject(id), pendingPolicy{PureGroup: rec.PureGroupName, Changes: rec.Changes})
}

// recallPendingChanges learns what an earlier, failed binding of the same
// Pure group changed.
func (e *Engine) recallPendingChanges(ctx context.Context, primary *openstack.Site, id string, rec *PolicyRecord) {
	var p pendingPolicy
	if err := getJSON(ctx, primary, pendingPolicyObject(id), &p); err == nil && p.PureGroup == rec.PureGroupName && p.Changes != nil {
		c := *p.Changes
		rec.Changes = &c
	}
}

// bindProtectionGroup makes the async binding the way the Pure driver does
// on the group it found (it never creates one): the schedule, the target
// added on the source and allowed on the target, then replication enabled.
// What it changes is added to rec.Changes as it goes, so that a binding
// that fails half-way still knows what to undo.
func (e *Engine) bindProtectionGroup(ctx context.Context, a *arrays, rec *PolicyRecord) error {
	pg := rec.PureGroupName
	existing, err := a.primary.ProtectionGroup(ctx, pg)
	switch {
	case flasharray.IsNotFound(err):
		return &Error{Kind: KindArray, Object: pg,
			Detail: fmt.Sprintf("protection group %s no longer exists on %s, and the provider does not create Pure protection groups", pg, a.primaryName),
			Fix:    "Create it again on the array under the same name (purepgroup create " + pg + "): the next apply binds it and puts the member volumes in it"}
	case err != nil:
		return e.arrayError(a.primaryURL, "read protection group "+pg, err)
	case existing.Destroyed:
		// Destroyed out of band but not yet eradicated: recover it (with
		// its snapshots).
		recovered := false
		if _, err := a.primary.UpdateProtectionGroup(ctx, pg, flasharray.ProtectionGroupPatch{Destroyed: &recovered}); err != nil {
			return e.arrayError(a.primaryURL, "recover protection group "+pg, err)
		}
	}
	targets, err := a.primary.ProtectionGroupTargets(ctx, pg)
	if err != nil {
		return e.arrayError(a.primaryURL, "read the targets of "+pg, err)
	}
	if rec.Changes == nil {
		rec.Changes = &PureGroupChanges{}
	}
	ch := rec.Changes
	var prior int64
	var enabled bool
	if rs := existing.ReplicationSchedule; rs != nil {
		enabled = rs.Enabled != nil && *rs.Enabled
		if rs.Frequency != nil {
			prior = *rs.Frequency
		}
	}
	freq := rec.ReplicationInterval * 1000
	if prior != freq {
		if _, err := a.primary.UpdateProtectionGroup(ctx, pg, flasharray.ProtectionGroupPatch{
			ReplicationSchedule: &flasharray.ReplicationSchedule{Frequency: &freq},
		}); err != nil {
			return e.arrayError(a.primaryURL, "set the replication schedule of "+pg, err)
		}
		if ch.PriorFrequency == 0 && prior != 0 {
			ch.PriorFrequency = prior
		}
	}
	var target *flasharray.Target
	for i := range targets {
		if targets[i].Member == a.secondaryName {
			target = &targets[i]
		}
	}
	if target == nil {
		if err := a.primary.AddProtectionGroupTargets(ctx, pg, a.secondaryName); err != nil {
			return e.arrayError(a.primaryURL, "add target "+a.secondaryName+" to "+pg, err)
		}
		ch.AddedTarget = true
	}
	if target == nil || !target.Allowed {
		if err := a.secondary.AllowProtectionGroupTarget(ctx, a.primaryName+":"+pg, a.secondaryName, true); err != nil {
			return e.arrayError(a.secondaryURL, "allow "+a.primaryName+":"+pg, err)
		}
		ch.AllowedTarget = ch.AllowedTarget || !ch.AddedTarget
	}
	if !enabled || existing.Destroyed {
		on := true
		if _, err := a.primary.UpdateProtectionGroup(ctx, pg, flasharray.ProtectionGroupPatch{
			ReplicationSchedule: &flasharray.ReplicationSchedule{Enabled: &on},
		}); err != nil {
			return e.arrayError(a.primaryURL, "enable replication of "+pg, err)
		}
		ch.EnabledReplication = ch.EnabledReplication || !enabled
	}
	if ch.empty() {
		rec.Changes = nil
	}
	return nil
}

// bindPod makes the sync binding on the pod the Pure Cinder driver made
// and put the group's volumes in (it never creates a pod or moves volumes,
// which would rename them under Cinder): stretched to the secondary array,
// stretched again when it no longer is, and online there.
func (e *Engine) bindPod(ctx context.Context, a *arrays, rec *PolicyRecord) error {
	name := rec.PureGroupName
	pod, err := a.primary.Pod(ctx, name)
	if flasharray.IsNotFound(err) {
		return &Error{Kind: KindArray, Object: name,
			Detail: fmt.Sprintf("pod %s no longer exists on %s, and the provider does not create pods", name, a.primaryName),
			Fix:    "The Pure Cinder driver makes its sync pod (pure_replication_pod_name) when its backend starts: check the driver's replication setup"}
	} else if err != nil {
		return e.arrayError(a.primaryURL, "read pod "+name, err)
	}
	if !podOn(pod, a.secondaryName) {
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

// pureVolumeName is the array's name of a Cinder volume, or of one Cinder
// no longer has (v nil) by the driver's rule.
func pureVolumeName(id string, v *openstack.Volume) string {
	if v == nil {
		return driverVolumeName(id)
	}
	return arrayVolumeName(v)
}

// unbindArrays undoes what the binding did and nothing else. The Pure
// group stays: the Cinder driver's group is Cinder's (it goes with the
// consistency group), one configured on the array is its administrator's.
// Undone: the changes the binding recorded (target added or allowed,
// replication enabled, frequency changed) and, for a group the driver does
// not keep in step, the member volumes the policy put in it. A sync pod is
// the driver's and shared by every sync volume of the backend: it stays
// stretched. A group an earlier version created is destroyed.
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
	if err := e.undoChanges(ctx, a, pg, d.Policy.Changes); err != nil {
		return err
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

// undoChanges reverts what a binding changed on a Pure group; a group
// already gone has nothing left to revert.
func (e *Engine) undoChanges(ctx context.Context, a *arrays, pg string, ch *PureGroupChanges) error {
	if ch.empty() {
		return nil
	}
	if cur, err := a.primary.ProtectionGroup(ctx, pg); flasharray.IsNotFound(err) || (err == nil && cur.Destroyed) {
		return nil
	} else if err != nil {
		return e.arrayError(a.primaryURL, "read protection group "+pg, err)
	}
	gone := func(err error) bool { return flasharray.IsNotFound(err) }
	if ch.EnabledReplication || ch.PriorFrequency != 0 {
		rs := &flasharray.ReplicationSchedule{}
		if ch.EnabledReplication {
			off := false
			rs.Enabled = &off
		}
		if ch.PriorFrequency != 0 {
			rs.Frequency = &ch.PriorFrequency
		}
		if _, err := a.primary.UpdateProtectionGroup(ctx, pg, flasharray.ProtectionGroupPatch{ReplicationSchedule: rs}); err != nil {
			if gone(err) {
				return nil
			}
			return e.arrayError(a.primaryURL, "restore the replication schedule of "+pg, err)
		}
	}
	if ch.AddedTarget {
		if err := a.primary.RemoveProtectionGroupTargets(ctx, pg, a.secondaryName); err != nil && !gone(err) {
			return e.arrayError(a.primaryURL, "remove target "+a.secondaryName+" from "+pg, err)
		}
	} else if ch.AllowedTarget {
		if err := a.secondary.AllowProtectionGroupTarget(ctx, a.primaryName+":"+pg, a.secondaryName, false); err != nil && !gone(err) {
			return e.arrayError(a.secondaryURL, "disallow "+a.primaryName+":"+pg, err)
		}
	}
	return nil
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
		ReplicationType: d.Group.ReplicationType, PolicyRecord: *d.Policy, MetadataVersion: d.Version, Kind: "protection_group"}
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
