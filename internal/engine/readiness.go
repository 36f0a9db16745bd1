package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// Failover readiness: could the group fail over now? Every precondition
// the guide names before a failover (identical metadata, every member
// protected, RPO met or pod stretched) and what bringing the group up on the
// target needs there (the consistency group, an eligible volume type, the
// members' flavors, quota room, a volume backend that is up). It changes
// nothing, and every reading is made now: it is what a scheduled job or a
// check block asks.

// Stable identifiers of the readiness checks.
const (
	CheckSiteReachable     = "site_reachable"
	CheckTargetSite        = "target_site"
	CheckGroupStatus       = "group_status"
	CheckMetadataIdentical = "metadata_identical"
	CheckMembersProtected  = "members_protected"
	CheckConsistencyGroup  = "consistency_group"
	CheckReplicationPolicy = "replication_policy"
	CheckArrayConnection   = "array_connection"
	CheckPureGroup         = "pure_group"
	CheckRPO               = "rpo_met"
	CheckPodStretched      = "pod_stretched"
	CheckTargetVolumeType  = "target_volume_type"
	CheckFlavors           = "flavors_present"
	CheckQuota             = "quota_room"
	CheckTargetBackend     = "target_backend_up"
	CheckNetworks          = "networks_mapped"
	CheckMembersPresent    = "members_present"
)

// ReadinessFinding is one blocker or warning of a readiness report.
type ReadinessFinding struct {
	// Check is a stable identifier (CheckMetadataIdentical, ...).
	Check string
	// Site is the site or FlashArray the finding is about.
	Site string
	// Message says what is wrong, naming the objects.
	Message string
	// Fix says what to do about it.
	Fix string
}

// ReadinessReport answers "could the group fail over to Target now?".
type ReadinessReport struct {
	GroupID   string
	GroupName string
	// Source is the site the group runs on (its primary); Target the site
	// it would fail over to.
	Source string
	Target string
	// Ready: no blocker.
	Ready    bool
	Blockers []ReadinessFinding
	Warnings []ReadinessFinding
}

// readinessFindings collects findings from checks running side by side.
type readinessFindings struct {
	mu                 sync.Mutex
	blockers, warnings []ReadinessFinding
}

func (f *readinessFindings) block(check, site, msg, fix string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blockers = append(f.blockers, ReadinessFinding{Check: check, Site: site, Message: msg, Fix: fix})
}

func (f *readinessFindings) warn(check, site, msg, fix string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.warnings = append(f.warnings, ReadinessFinding{Check: check, Site: site, Message: msg, Fix: fix})
}

// blockErr records an engine error as a blocker of check, with its fix.
func (f *readinessFindings) blockErr(check, site string, err error) {
	var ee *Error
	if errors.As(err, &ee) {
		if ee.Site != "" {
			site = ee.Site
		}
		f.block(check, site, ee.Detail, ee.Fix)
		return
	}
	f.block(check, site, err.Error(), "")
}

// FailoverReadiness evaluates whether the group could fail over now to
// target (default: its secondary site). A site that does not answer within
// the reachability timeout is a blocker naming it, and the checks that
// needed it are not made; so are checks that need an admin credential the
// site lacks, which are warnings naming them. Errors are returned only for
// a request that cannot be evaluated (an unknown group or target).
func (e *Engine) FailoverReadiness(ctx context.Context, groupID, target string) (*ReadinessReport, error) {
	f := &readinessFindings{}
	r := &ReadinessReport{GroupID: groupID}
	defer func() {
		sortFindings(f.blockers)
		sortFindings(f.warnings)
		r.Blockers, r.Warnings = f.blockers, f.warnings
		r.Ready = len(r.Blockers) == 0
	}()

	// Ask every site the group may live on whether it answers, once and
	// within the reachability timeout: what follows does not wait for a
	// silent site again.
	silent := e.silentSites(ctx, e.searchSites(groupID))
	d, primary, err := e.loadGroupFrom(ctx, groupID, silentSet(silent))
	if err != nil {
		if errors.Is(err, ErrNotFound) && len(silent) == 0 {
			return nil, e.groupNotFound(groupID, err)
		}
		if len(silent) == 0 {
			return nil, err
		}
		for name, serr := range silent {
			f.block(CheckSiteReachable, name, fmt.Sprintf("site %s did not answer, so the metadata of protection group %s could not be read there: %v", name, groupID, errDetail(serr)),
				fmt.Sprintf("Check that %s is up and reachable (the guide's `site validate %s`), then read the readiness again", name, name))
		}
		return r, nil
	}
	r.GroupName, r.Source = d.Group.Name, d.Group.PrimarySite
	r.Target = target
	if r.Target == "" {
		r.Target = d.Group.SecondarySite
	}
	switch r.Target {
	case d.Group.SecondarySite:
	case d.Group.PrimarySite:
		f.block(CheckTargetSite, r.Target, fmt.Sprintf("protection group %s already runs on %s, its primary site: there is nothing to fail over to there", d.Group.Name, r.Target),
			fmt.Sprintf("Ask for readiness towards the secondary site %s (the default)", d.Group.SecondarySite))
		return r, nil
	default:
		return nil, &Error{Kind: KindInvalid, Site: r.Target, Object: d.Group.Name,
			Detail: fmt.Sprintf("site %s is not a site of protection group %s (its sites are %s and %s)", r.Target, d.Group.Name, d.Group.PrimarySite, d.Group.SecondarySite),
			Fix:    fmt.Sprintf("Name the group's secondary site %s, or leave the target out", d.Group.SecondarySite)}
	}
	// A site may have been silent when another one answered for the group.
	sourceUp, targetUp := silent[r.Source] == nil, silent[r.Target] == nil
	for _, s := range []string{r.Source, r.Target} {
		if serr := silent[s]; serr != nil {
			f.block(CheckSiteReachable, s, fmt.Sprintf("%s. The checks that need %s were not made: %s", errDetail(serr), s, strings.Join(checksNeeding(s == r.Source), ", ")),
				fmt.Sprintf("Check that %s is up and reachable (the guide's `site validate %s`), then read the readiness again", s, s))
		}
	}
	if primary == nil || primary.Name() != r.Source {
		primary = nil
	}

	switch d.Group.Status {
	case StatusActive, StatusFailedOver:
	default:
		f.block(CheckGroupStatus, r.Source, fmt.Sprintf("protection group %s is %s", d.Group.Name, d.Group.Status),
			"A failover starts from an active group: wait for the operation in progress to end, or repair the group")
	}
	if len(d.Members) == 0 {
		f.warn(CheckMembersPresent, r.Source, fmt.Sprintf("protection group %s has no members: a failover would recover no VM", d.Group.Name),
			"Add the VMs that must fail over together (protector_member)")
	}

	var calls []func()
	if sourceUp && primary != nil {
		calls = append(calls, func() { e.readinessOfSource(ctx, d, primary, r.Target, targetUp, f) })
	}
	if targetUp {
		calls = append(calls, func() { e.readinessOfTarget(ctx, d, primary, r.Target, f) })
	}
	if d.Policy == nil {
		f.block(CheckReplicationPolicy, r.Source, fmt.Sprintf("protection group %s has no replication policy: nothing replicates its volumes to %s", d.Group.Name, r.Target),
			"Attach a replication policy (protector_replication_policy)")
	} else {
		calls = append(calls, func() { e.readinessOfArrays(ctx, d, sourceUp && primary != nil, f) })
	}
	parallel(calls...)
	return r, nil
}

// silentSites asks each site, side by side, whether it answers within the
// reachability timeout; it returns those that did not, with why.
func (e *Engine) silentSites(ctx context.Context, names []string) map[string]error {
	var mu sync.Mutex
	out := map[string]error{}
	calls := make([]func(), 0, len(names))
	for _, name := range names {
		calls = append(calls, func() {
			if _, err := e.reachable(ctx, name); err != nil && IsKind(err, KindUnreachable) {
				mu.Lock()
				out[name] = err
				mu.Unlock()
			}
		})
	}
	parallel(calls...)
	return out
}

func silentSet(silent map[string]error) map[string]bool {
	out := map[string]bool{}
	for name := range silent {
		out[name] = true
	}
	return out
}

// checksNeeding lists the checks that need the source (or the target) site.
func checksNeeding(source bool) []string {
	if source {
		return []string{CheckMetadataIdentical, CheckMembersPresent, CheckMembersProtected, CheckConsistencyGroup, CheckFlavors, CheckQuota}
	}
	return []string{CheckMetadataIdentical, CheckConsistencyGroup, CheckTargetVolumeType, CheckFlavors, CheckQuota, CheckTargetBackend, CheckNetworks}
}

func sortFindings(list []ReadinessFinding) {
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Check != list[j].Check {
			return list[i].Check < list[j].Check
		}
		return list[i].Message < list[j].Message
	})
}

// readinessOfSource checks the group on its primary site: both sites hold
// the same newest metadata (the drift comparison of a refresh), the
// consistency group is there, and every member is protected with all its
// volumes in the consistency group.
func (e *Engine) readinessOfSource(ctx context.Context, d *document, primary *openstack.Site, target string, targetUp bool, f *readinessFindings) {
	in := e.inspect(ctx, d, primary)
	if targetUp {
		pv := in.peer
		if pv.status != SyncSynced {
			msg := fmt.Sprintf("the sync status of protection group %s is %s", d.Group.Name, pv.status)
			switch {
			case pv.drift != "":
				msg += ": " + pv.drift
			case pv.err != nil:
				msg += ": " + pv.err.Error()
			}
			f.block(CheckMetadataIdentical, target, msg,
				"Apply the configuration, which pushes the missing versions (the guide's sync-force), then read the readiness again; both sites must hold the same metadata before a failover")
		}
	}
	if _, status, err := e.cinderGroup(ctx, primary, d.Group.PrimaryConsistencyGroup); err != nil {
		f.blockErr(CheckConsistencyGroup, primary.Name(), err)
	} else if status != openstack.GroupStatusAvailable {
		f.block(CheckConsistencyGroup, primary.Name(), fmt.Sprintf("consistency group %s of protection group %s on %s is %s, not available", d.Group.PrimaryConsistencyGroup, d.Group.Name, primary.Name(), status),
			"Apply the configuration: it recreates a deleted consistency group and puts the members' volumes back")
	}
	for i := range d.Members {
		m := d.Members[i].api() // a copy: the document is shared
		e.memberDrift(ctx, d, primary, in, &m)
		// A member whose VM is gone has nothing to recover: that is the
		// members_present blocker; what else is wrong stays below.
		if gone := instanceGone(&m, primary.Name()); slices.Contains(m.Broken, gone) {
			f.block(CheckMembersPresent, primary.Name(), fmt.Sprintf("member %s: %s, so a failover could not recover it", m.InstanceName, gone),
				fmt.Sprintf("Restore the instance on %s, or remove the member from the group (protector_member) if the VM is gone for good", primary.Name()))
			m.Broken = slices.DeleteFunc(m.Broken, func(s string) bool { return s == gone })
		}
		var problems []string
		problems = append(problems, m.Drift...)
		problems = append(problems, m.Broken...)
		problems = append(problems, m.Unchecked...)
		if len(problems) == 0 {
			continue
		}
		fix := "Apply the configuration: it repairs the member (puts its volumes back into the consistency group, records its VM's recovery description anew)"
		if len(m.Broken) > 0 {
			fix = "This needs an operator: restore or migrate what is broken (the member's plan says what), or remove the member from the group"
		} else if len(m.Drift) == 0 {
			fix = fmt.Sprintf("Check that %s answers, then read the readiness again", primary.Name())
		}
		f.block(CheckMembersProtected, primary.Name(), fmt.Sprintf("member %s (%s) is not protected: %s", m.InstanceName, m.InstanceID, joinSorted(problems)), fix)
	}
}

// readinessOfArrays checks the FlashArrays: the connection between them,
// and for async the newest snapshot on the secondary within the RPO and
// every member volume in the Pure protection group; for sync the pod online
// on both arrays. withSource: the primary site answers, so the members'
// volumes can be read.
func (e *Engine) readinessOfArrays(ctx context.Context, d *document, withSource bool, f *readinessFindings) {
	p := d.Policy
	a, err := e.policyArrays(ctx, d)
	if err != nil {
		f.blockErr(CheckArrayConnection, p.PrimaryArrayURL, err)
		return
	}
	if err := e.checkConnection(ctx, a, d.Group.ReplicationType); err != nil {
		f.block(CheckArrayConnection, a.primaryName, errDetail(err), errFix(err))
	}
	if !withSource {
		// The members' volumes cannot be read; the RPO can, on the
		// secondary array, which is what a failover without the primary
		// site uses.
		if d.Group.ReplicationType == ReplicationAsync {
			rd, err := e.readiness(ctx, a, &Policy{PolicyRecord: *p.api()})
			if err != nil {
				f.blockErr(CheckRPO, a.secondaryName, err)
				return
			}
			e.rpoFinding(d, a.secondaryName, rd, f)
		}
		return
	}
	pol, err := e.GetPolicy(ctx, d.Group.ID, ArrayEndpoint{URL: p.PrimaryArrayURL}, ArrayEndpoint{URL: p.SecondaryArrayURL})
	if err != nil {
		f.blockErr(CheckPureGroup, a.primaryName, err)
		return
	}
	if len(pol.MissingVolumes) > 0 {
		f.block(CheckPureGroup, a.primaryName, fmt.Sprintf("member volumes %s are not in %s %s on %s, so they are not replicated", strings.Join(pol.MissingVolumes, ", "), pol.Kind, pol.PureGroupName, a.primaryName),
			"Apply the configuration: it puts the members' volumes back into the Pure protection group")
	}
	if d.Group.ReplicationType == ReplicationSync {
		if !pol.PodStretched {
			f.block(CheckPodStretched, a.secondaryName, fmt.Sprintf("pod %s is not stretched and online on both %s and %s: %s", pol.PureGroupName, a.primaryName, a.secondaryName, strings.Join(pol.Drift, "; ")),
				"Restore the arrays' connection and let the pod resync (purepod list shows it online on both arrays), or apply the configuration to stretch it again")
		}
		return
	}
	var other []string
	for _, line := range pol.Drift {
		if !strings.Contains(line, "missing from") {
			other = append(other, line)
		}
	}
	if len(other) > 0 {
		f.block(CheckPureGroup, a.primaryName, fmt.Sprintf("protection group %s does not replicate to %s: %s", pol.PureGroupName, a.secondaryName, strings.Join(other, "; ")),
			"Apply the configuration: the policy binds the Pure protection group again (schedule enabled, target allowed)")
	}
	if pol.Readiness != nil {
		e.rpoFinding(d, a.secondaryName, pol.Readiness, f)
	}
}

func (e *Engine) rpoFinding(d *document, array string, rd *Readiness, f *readinessFindings) {
	if rd.Compliant {
		return
	}
	last := "no snapshot has arrived yet"
	if !rd.LastReplicated.IsZero() {
		last = "the newest snapshot there was taken at " + rd.LastReplicated.Format("2006-01-02T15:04:05Z07:00")
	}
	f.block(CheckRPO, array, fmt.Sprintf("the RPO of protection group %s is not met on %s: %s, %s ago, and the RPO is %s", d.Group.Name, array, last, rd.Lag.Round(1e9), rd.RPO),
		"Check the replication of the Pure protection group (its schedule, the array connection and the transfers on the secondary array); a failover now would lose more than the RPO")
}

// errDetail is what an error says is wrong, without its fix (an engine
// error's fix is for a change: "Nothing was changed").
func errDetail(err error) string {
	var ee *Error
	if errors.As(err, &ee) {
		return ee.Detail
	}
	return err.Error()
}

func errFix(err error) string {
	var ee *Error
	if errors.As(err, &ee) {
		return ee.Fix
	}
	return ""
}

// readinessOfTarget checks what bringing the group up on the target
// needs: its consistency group, the volume type eligible, the members'
// flavors (read live from the primary's Nova when it answers), quota room
// for the members in the target's project, and a volume backend of the
// type up (admin).
func (e *Engine) readinessOfTarget(ctx context.Context, d *document, primary *openstack.Site, target string, f *readinessFindings) {
	// Bounded like any read of the peer: a target that answered the
	// reachability check and then stalls is reported, not waited for.
	ctx, cancel := e.probe(ctx)
	defer cancel()
	tgt, err := e.site(target)
	if err != nil {
		f.blockErr(CheckSiteReachable, target, err)
		return
	}
	var vt *openstack.VolumeType
	parallel(
		func() {
			if _, status, err := e.cinderGroup(ctx, tgt, d.Group.SecondaryConsistencyGroup); err != nil {
				f.blockErr(CheckConsistencyGroup, target, err)
			} else if status != openstack.GroupStatusAvailable {
				f.block(CheckConsistencyGroup, target, fmt.Sprintf("consistency group %s of protection group %s on %s is %s, not available", d.Group.SecondaryConsistencyGroup, d.Group.Name, target, status),
					"Apply the configuration: it recreates a deleted consistency group")
			}
		},
		func() {
			t, warn, err := e.checkVolumeType(ctx, tgt, d.Group.VolumeType, d.Group.ReplicationType)
			switch {
			case err != nil:
				f.blockErr(CheckTargetVolumeType, target, err)
			case warn != "":
				f.warn(CheckTargetVolumeType, target, warn, fmt.Sprintf("Configure an admin credential for %s (sites.%s.admin)", target, target))
			}
			vt = t
		},
		func() { e.flavorsAndQuota(ctx, d, primary, tgt, f) },
		func() { e.networksFinding(ctx, d, tgt, f) },
	)
	e.backendFinding(ctx, d, tgt, vt, f)
}

// flavorsAndQuota checks each member's flavor exists on the target by name
// and the target project has quota room for all members.
func (e *Engine) flavorsAndQuota(ctx context.Context, d *document, primary, tgt *openstack.Site, f *readinessFindings) {
	target := tgt.Name()
	if len(d.Members) == 0 {
		return
	}
	var (
		flavors  []openstack.Flavor
		limits   *openstack.Limits
		fErr     error
		lErr     error
		mu       sync.Mutex
		need     = map[string]int{"instances": len(d.Members)}
		byMember = map[string]*openstack.Flavor{}
		unread   []string
	)
	calls := []func(){
		func() { flavors, fErr = tgt.Flavors(ctx) },
		func() { limits, lErr = tgt.ProjectLimits(ctx) },
	}
	// A member's recovery description has its flavor and volume sizes:
	// what the target needs is known with the primary gone. Members
	// recorded before descriptions existed are read live.
	recorded := map[string]bool{}
	for _, m := range d.Members {
		if r := m.Recovery; r != nil {
			recorded[m.InstanceID] = true
			byMember[m.InstanceID] = &openstack.Flavor{Name: r.Flavor.Name, VCPUs: r.Flavor.VCPUs, RAM: r.Flavor.RAM, Disk: r.Flavor.Disk}
			for _, b := range r.BlockDevices {
				need["volumes"]++
				need["gigabytes"] += b.Size
			}
		}
	}
	if primary != nil {
		for _, m := range d.Members {
			if recorded[m.InstanceID] {
				continue
			}
			calls = append(calls, func() {
				fl, err := primary.ServerFlavor(ctx, m.InstanceID)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					unread = append(unread, fmt.Sprintf("%s (%s): %v", m.InstanceName, m.InstanceID, err))
					return
				}
				byMember[m.InstanceID] = fl
			})
			for _, id := range m.VolumeIDs {
				calls = append(calls, func() {
					v, err := primary.Volume(ctx, id)
					mu.Lock()
					defer mu.Unlock()
					need["volumes"]++
					if err == nil {
						need["gigabytes"] += v.Size
					}
				})
			}
		}
	}
	parallelN(fanOut, calls...)
	source := d.Group.PrimarySite
	if len(unread) > 0 {
		sort.Strings(unread)
		f.block(CheckFlavors, source, "the flavors of members could not be read on "+source+": "+strings.Join(unread, "; "),
			fmt.Sprintf("Check that the members' instances exist and %s answers, then read the readiness again", source))
	}
	if fErr != nil {
		f.blockErr(CheckFlavors, target, e.cloudError(target, "list flavors", fErr))
	} else {
		have := map[string]bool{}
		for _, fl := range flavors {
			have[fl.Name] = true
		}
		missing := map[string][]string{}
		for _, m := range d.Members {
			fl := byMember[m.InstanceID]
			if fl == nil || have[mappedFlavor(d, fl.Name)] {
				continue
			}
			how := fmt.Sprintf("read live from %s's Nova", source)
			if recorded[m.InstanceID] {
				how = "recorded in the member's recovery description"
			}
			missing[fl.Name] = append(missing[fl.Name], fmt.Sprintf("%s (%s)", m.InstanceName, how))
		}
		for _, name := range slices.Sorted(maps.Keys(missing)) {
			to := mappedFlavor(d, name)
			if to != name {
				f.block(CheckFlavors, target, fmt.Sprintf("flavor %s of %s is mapped to %s, which is not on %s", name, strings.Join(missing[name], ", "), to, target),
					fmt.Sprintf("Create flavor %s on %s (openstack flavor create), or map %s to a flavor %s has (flavor_mappings)", to, target, name, target))
				continue
			}
			f.block(CheckFlavors, target, fmt.Sprintf("flavor %s of %s is not on %s", name, strings.Join(missing[name], ", "), target),
				fmt.Sprintf("Create flavor %s on %s with the same vCPUs, RAM and disk (openstack flavor create), give the project access to it, or map it to a flavor %s has (flavor_mappings)", name, target, target))
		}
	}
	if lErr != nil {
		f.blockErr(CheckQuota, target, e.cloudError(target, "read the project's limits", lErr))
		return
	}
	for _, fl := range byMember {
		need["cores"] += fl.VCPUs
		need["ram"] += fl.RAM
	}
	for _, q := range []struct {
		name       string
		max, used  int
		unit, tool string
	}{
		{"instances", limits.MaxInstances, limits.UsedInstances, "", "--instances"},
		{"cores", limits.MaxCores, limits.UsedCores, "", "--cores"},
		{"ram", limits.MaxRAM, limits.UsedRAM, " MiB", "--ram"},
		{"volumes", limits.MaxVolumes, limits.UsedVolumes, "", "--volumes"},
		{"gigabytes", limits.MaxGigabytes, limits.UsedGigabytes, " GiB", "--gigabytes"},
	} {
		n, ok := need[q.name]
		if !ok || n == 0 || q.max < 0 || q.used+n <= q.max {
			continue
		}
		f.block(CheckQuota, target, fmt.Sprintf("the project's %s quota on %s is %d%s with %d%s in use, and the group's members need %d%s more",
			q.name, target, q.max, q.unit, q.used, q.unit, n, q.unit),
			fmt.Sprintf("Raise the quota on %s (openstack quota set %s %d <project>) or free %s there", target, q.tool, q.used+n, q.name))
	}
}

// networksFinding checks that each network the members' recovery
// descriptions record has its counterpart on the target (through the
// network mappings, else by the same name), and every mapping's target
// exists there. Without descriptions that record networks, or without
// Neutron on the target, it is a warning saying what was not checked.
func (e *Engine) networksFinding(ctx context.Context, d *document, tgt *openstack.Site, f *readinessFindings) {
	target := tgt.Name()
	type use struct {
		member string
		port   portRecord
	}
	var uses []use
	notes := map[string]bool{}
	for _, m := range d.Members {
		if m.Recovery == nil {
			notes["members recorded before recovery descriptions existed"] = true
			continue
		}
		if m.Recovery.NetworksNote != "" {
			notes[m.Recovery.NetworksNote] = true
		}
		for _, p := range m.Recovery.Ports {
			uses = append(uses, use{m.InstanceName, p})
		}
	}
	if len(uses) == 0 && len(d.Group.NetworkMappings) == 0 {
		if len(d.Members) > 0 {
			f.warn(CheckNetworks, target, fmt.Sprintf("no member's recovery description records networks on %s (%s), so no network was checked on %s", d.Group.PrimarySite, strings.Join(slices.Sorted(maps.Keys(notes)), "; "), target),
				fmt.Sprintf("If the recovered VMs need networks, make sure they exist on %s and map them (network_mappings)", target))
		}
		return
	}
	nets, err := tgt.Networks(ctx)
	if errors.Is(err, openstack.ErrNoNetworkService) {
		f.warn(CheckNetworks, target, fmt.Sprintf("the networks of the members cannot be checked: %s has no network service (Neutron)", target),
			fmt.Sprintf("Make sure the networks the recovered VMs need exist on %s", target))
		return
	}
	if err != nil {
		f.blockErr(CheckNetworks, target, e.cloudError(target, "list networks", err))
		return
	}
	have := map[string]bool{}
	for _, n := range nets {
		have[n.Name], have[n.ID] = true, true
	}
	problems := map[string]bool{}
	for _, u := range uses {
		to, mapped := mappedNetwork(d, u.port)
		switch {
		case have[to]:
		case mapped:
			from := u.port.NetworkName
			if from == "" {
				from = u.port.NetworkID
			}
			problems[fmt.Sprintf("network %s of %s is mapped to %s, which is not on %s", from, u.member, to, target)] = true
		default:
			problems[fmt.Sprintf("network %s of %s has no mapping and %s has no network of that name", to, u.member, target)] = true
		}
	}
	for from, to := range d.Group.NetworkMappings {
		if !have[to] {
			problems[fmt.Sprintf("network mapping %s -> %s: %s has no network %s", from, to, target, to)] = true
		}
	}
	for _, p := range slices.Sorted(maps.Keys(problems)) {
		f.block(CheckNetworks, target, p, fmt.Sprintf("Map each network of the members to a network of %s (network_mappings), or create it there", target))
	}
}

// backendFinding checks a volume backend of the group's type is up on the
// target: the Cinder scheduler lists the pools of the volume services that
// are up and enabled only. It needs an admin credential.
func (e *Engine) backendFinding(ctx context.Context, d *document, tgt *openstack.Site, vt *openstack.VolumeType, f *readinessFindings) {
	target := tgt.Name()
	needAdmin := func() {
		f.warn(CheckTargetBackend, target, fmt.Sprintf("whether a Cinder backend of volume type %s is up on %s could not be checked: the scheduler's pools and the volume services are shown to admins only", d.Group.VolumeType, target),
			fmt.Sprintf("Configure an admin credential for %s (sites.%s.admin) to check it", target, target))
	}
	if !tgt.HasAdmin() {
		needAdmin()
		return
	}
	pools, err := tgt.BackendPools(ctx)
	if errors.Is(err, openstack.ErrForbidden) {
		needAdmin()
		return
	}
	if err != nil {
		f.blockErr(CheckTargetBackend, target, e.cloudError(target, "list the scheduler's storage pools", err))
		return
	}
	want := ""
	if vt != nil {
		want = vt.ExtraSpecs["volume_backend_name"]
	}
	for _, p := range pools {
		if want == "" || p.BackendName == want {
			return
		}
	}
	what := "no Cinder backend"
	if want != "" {
		what = fmt.Sprintf("no pool of backend %s (the volume_backend_name of volume type %s)", want, d.Group.VolumeType)
	}
	f.block(CheckTargetBackend, target, fmt.Sprintf("%s is up on %s: the Cinder scheduler reports none, so its cinder-volume service is down or disabled, and the group's volumes could not be brought up there", what, target),
		fmt.Sprintf("On %s, check `openstack volume service list --service cinder-volume` and start or enable the backend's service", target))
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
