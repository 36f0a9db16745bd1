package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

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

// boundSoFar corrects the advice of a binding that failed half-way: what
// it changed on the Pure group is recorded, and the next apply completes
// the binding on that group.
func boundSoFar(err error, a *arrays, rec *policyRecord) error {
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

func (c *pureGroupChangesRecord) empty() bool { return c == nil || *c == pureGroupChangesRecord{} }

// describe says what changed, for messages ("" when nothing did).
func (c *pureGroupChangesRecord) describe(secondary string) string {
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
	PureGroup string                  `json:"pure_group"`
	Changes   *pureGroupChangesRecord `json:"changes,omitempty"`
}

// rememberPendingChanges records what a failed binding changed. It runs
// after a failure, also a timeout: the write gets its own deadline.
func (e *Engine) rememberPendingChanges(ctx context.Context, primary *openstack.Site, id string, rec *policyRecord) {
	if rec.Changes.empty() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = putRecord(ctx, primary, pendingPolicyObject(id), pendingPolicy{PureGroup: rec.PureGroupName, Changes: rec.Changes})
}

// recallPendingChanges learns what an earlier, failed binding of the same
// Pure group changed.
func (e *Engine) recallPendingChanges(ctx context.Context, primary *openstack.Site, id string, rec *policyRecord) {
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
func (e *Engine) bindProtectionGroup(ctx context.Context, a *arrays, rec *policyRecord) error {
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
		rec.Changes = &pureGroupChangesRecord{}
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
func (e *Engine) bindPod(ctx context.Context, a *arrays, rec *policyRecord) error {
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
func (e *Engine) undoChanges(ctx context.Context, a *arrays, pg string, ch *pureGroupChangesRecord) error {
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
