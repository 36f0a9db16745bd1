package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// The guide's read commands: sync-status, sync-log, consistency-group show,
// member-list, the registered sites with their validation, and the volume
// types eligible for replication. They change nothing.

// SyncRecentWithin is how old the last push to the peer may be for the
// guide's "Last sync is recent" check.
const SyncRecentWithin = time.Hour

// SyncReport is the guide's `protection-group sync-status` (Example 4).
type SyncReport struct {
	GroupID       string
	GroupName     string
	PrimarySite   string
	SecondarySite string
	LocalVersion  int
	LocalModified time.Time
	// RemoteVersion is read now from the secondary site; when that site
	// cannot be reached it is the version the last push recorded.
	RemoteVersion int
	RemoteLive    bool
	// Status is SYNCED (the secondary's newest metadata is the primary's,
	// version and content, read now), UNREACHABLE (the secondary does not
	// answer now) or FAILED (anything else: Error says which site holds
	// what).
	Status   string
	LastSync time.Time
	Error    string
	Checks   []SyncCheck
	// Readiness is the replication policy's RPO readiness (async groups
	// with a policy); ReadinessError says why it could not be measured (no
	// policy yet is not an error: Readiness is nil).
	Readiness      *Readiness
	ReadinessError string
	// InSync: versions match and Status is SYNCED, what the guide requires
	// before a failover. The age of the last sync is not part of it: a group
	// that has not changed for a day is still in sync.
	InSync bool
}

// SyncCheck is one validation line of Example 4.
type SyncCheck struct {
	Check string
	OK    bool
}

// SyncStatus reads the local metadata on the primary site, the last push
// recorded there, and the newest version on the secondary site, live.
func (e *Engine) SyncStatus(ctx context.Context, id string) (*SyncReport, error) {
	d, primary, err := e.loadGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &SyncReport{GroupID: d.Group.ID, GroupName: d.Group.Name, PrimarySite: d.Group.PrimarySite,
		SecondarySite: d.Group.SecondarySite, LocalVersion: d.Version, LocalModified: d.ModifiedAt}
	var rec syncRecord
	if err := getJSON(ctx, primary, syncObject(id), &rec); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, e.cloudError(primary.Name(), "read the sync record of group "+id, err)
	}
	r.LastSync, r.RemoteVersion, r.Error = rec.LastSync, rec.RemoteVersion, rec.Error
	r.Status = e.remoteStatus(ctx, d, r)
	r.evaluate(e.now())
	if d.Policy != nil && d.Group.ReplicationType == ReplicationAsync {
		// The arrays' tokens come from the configuration or earlier calls.
		if p, err := e.GetPolicy(ctx, id, ArrayEndpoint{}, ArrayEndpoint{}); err != nil {
			r.ReadinessError = err.Error()
		} else {
			r.Readiness = p.Readiness
		}
	}
	return r, nil
}

// remoteStatus compares the newest metadata of both sites now, version
// and content, reads the secondary's version into r and decides the status:
// what the sites hold, not what the last push recorded.
func (e *Engine) remoteStatus(ctx context.Context, d *document, r *SyncReport) string {
	secondary, err := e.reachable(ctx, d.Group.SecondarySite)
	if err != nil {
		r.Error = err.Error()
		return SyncUnreachable
	}
	pv := e.comparePeer(ctx, d, secondary)
	if pv.live {
		r.RemoteVersion, r.RemoteLive = pv.version, true
	}
	switch {
	case pv.status == SyncSynced:
		r.Error = ""
	case pv.drift != "":
		r.Error = pv.drift
	case pv.err != nil:
		r.Error = pv.err.Error()
	}
	return pv.status
}

// evaluate fills in the validation lines of Example 4 and InSync.
func (r *SyncReport) evaluate(now time.Time) {
	match := r.LocalVersion == r.RemoteVersion && r.RemoteLive
	recent := !r.LastSync.IsZero() && now.Sub(r.LastSync) <= SyncRecentWithin
	r.Checks = []SyncCheck{
		{Check: fmt.Sprintf("Versions match (%d = %d)", r.LocalVersion, r.RemoteVersion), OK: match},
		{Check: "Sync status is 'synced'", OK: r.Status == SyncSynced},
		{Check: "Last sync is recent", OK: recent},
	}
	if !match {
		r.Checks[0].Check = fmt.Sprintf("Versions match (%d != %d)", r.LocalVersion, r.RemoteVersion)
		if !r.RemoteLive {
			r.Checks[0].Check = fmt.Sprintf("Versions match (%d, remote unknown: %s not reachable)", r.LocalVersion, r.SecondarySite)
		}
	}
	r.InSync = match && r.Status == SyncSynced
}

// DefaultSyncLogLimit is how many pushes a sync log shows when its caller
// says nothing: the guide's `sync-log --limit 10`.
const DefaultSyncLogLimit = 10

// SyncLog is the guide's `protection-group sync-log --limit N`: the last
// limit pushes of the group's metadata to the peer, newest first, as the
// primary site recorded them (limit < 1: all).
func (e *Engine) SyncLog(ctx context.Context, id string, limit int) ([]SyncLogEntry, error) {
	d, primary, err := e.loadGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	names, err := primary.ListObjects(ctx, container, logPrefix(d.Group.ID))
	if err != nil && !errors.Is(err, openstack.ErrNotFound) {
		return nil, e.cloudError(primary.Name(), "list the sync log of group "+id, err)
	}
	// Names carry the push time in nanoseconds, zero-padded: they sort by
	// time. An object holds one push, of one version or several.
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	out := make([]SyncLogEntry, 0, min(len(names), max(limit, 0)))
	for _, n := range names {
		if limit > 0 && len(out) >= limit {
			break
		}
		var obj syncLogObject
		if err := getJSON(ctx, primary, n, &obj); err != nil {
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return nil, e.cloudError(primary.Name(), "read sync log entry "+n, err)
		}
		out = append(out, obj.entries()...)
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ConsistencyGroupReport is the guide's `consistency-group show` (Example 6).
type ConsistencyGroupReport struct {
	// ID names the binding of the protection group to its two Cinder
	// groups. The engine keeps no record of its own for it (the binding is
	// part of the group's metadata), so it is derived from the group's id:
	// pg-<uuid> -> cg-<uuid>.
	ID                string
	ProtectionGroupID string
	VolumeTypeName    string
	// BackendName is host@backend of the members' volumes: recorded by the
	// first member, else read from a volume when the caller may see it.
	BackendName     string
	PrimaryCGID     string
	SecondaryCGID   string
	PrimaryStatus   string // Cinder's status, "deleted" or "unreachable"
	SecondaryStatus string
	// Status is active when both Cinder groups are available, else
	// degraded.
	Status string
	// VolumeCount is the number of volumes in the primary Cinder group now.
	VolumeCount int
}

// Consistency group statuses of ConsistencyGroupReport.
const (
	CGActive   = "active"
	CGDegraded = "degraded"
)

// ConsistencyGroup reads both Cinder groups of a protection group.
func (e *Engine) ConsistencyGroup(ctx context.Context, id string) (*ConsistencyGroupReport, error) {
	d, primary, err := e.loadGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &ConsistencyGroupReport{
		ID:                "cg-" + strings.TrimPrefix(d.Group.ID, "pg-"),
		ProtectionGroupID: d.Group.ID,
		VolumeTypeName:    d.Group.VolumeType,
		BackendName:       d.Group.Backend,
		PrimaryCGID:       d.Group.PrimaryConsistencyGroup,
		SecondaryCGID:     d.Group.SecondaryConsistencyGroup,
	}
	g, status, err := e.cinderGroup(ctx, primary, r.PrimaryCGID)
	if err != nil {
		return nil, err
	}
	r.PrimaryStatus = status
	if g != nil {
		vols, err := primary.VolumesInGroup(ctx, g.ID)
		if err != nil {
			return nil, e.cloudError(primary.Name(), "list the volumes of consistency group "+g.ID, err)
		}
		r.VolumeCount = len(vols)
		for _, v := range vols {
			if r.BackendName == "" && v.HostVisible && v.Host != "" {
				r.BackendName = backendOf(v.Host)
			}
		}
	}
	// The peer's read is bounded like a reachability check: a peer that
	// never answers is "unreachable" within seconds.
	pctx, cancel := e.probe(ctx)
	defer cancel()
	if secondary, err := e.site(d.Group.SecondarySite); err != nil {
		r.SecondaryStatus = "unreachable"
	} else if _, r.SecondaryStatus, err = e.cinderGroup(pctx, secondary, r.SecondaryCGID); err != nil {
		if !IsKind(err, KindUnreachable) {
			return nil, err
		}
		r.SecondaryStatus = "unreachable"
	}
	r.Status = CGDegraded
	if r.PrimaryStatus == openstack.GroupStatusAvailable && r.SecondaryStatus == openstack.GroupStatusAvailable {
		r.Status = CGActive
	}
	return r, nil
}

// cinderGroup reads a Cinder group; "deleted" when it is gone.
func (e *Engine) cinderGroup(ctx context.Context, s *openstack.Site, id string) (*openstack.Group, string, error) {
	g, err := s.Group(ctx, id)
	if errors.Is(err, openstack.ErrNotFound) {
		return nil, openstack.GroupStatusDeleted, nil
	}
	if err != nil {
		return nil, "", e.cloudError(s.Name(), "read consistency group "+id, err)
	}
	return g, g.Status, nil
}

// Members is the guide's `protection-group member-list`: the members as the
// group's newest metadata records them.
func (e *Engine) Members(ctx context.Context, id string) ([]Member, error) {
	d, _, err := e.loadGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	return membersOf(d), nil
}

// SiteStatusUnreachable is the status of a configured site that could not be
// reached to read its registration.
const SiteStatusUnreachable = "unreachable"

// Sites reads the registration and validation of every site configured in
// Config.Sites, in name order. Sites that answer and are not registered are
// left out; sites that cannot be read are listed with status unreachable
// (whether they are registered cannot be known) and the reason.
func (e *Engine) Sites(ctx context.Context) ([]Site, error) {
	names := make([]string, 0, len(e.cfg.Sites))
	for name := range e.cfg.Sites {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]Site, 0, len(names))
	for _, name := range names {
		s, err := e.GetSite(ctx, name)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			out = append(out, Site{Name: name, Status: SiteStatusUnreachable,
				Validation: SiteValidation{Messages: []string{err.Error()}}})
		default:
			out = append(out, *s)
		}
	}
	return out, nil
}

// VolumeTypeReport is one volume type of a site and whether a protection
// group may use it.
type VolumeTypeReport struct {
	ID   string
	Name string
	// ReplicationType is async or sync from replication_type='<in> async'
	// (or sync); the raw value otherwise; "" when absent or not visible.
	ReplicationType string
	// Eligible: replication_enabled='<is> True' and replication_type
	// '<in> async' or '<in> sync' (the rules CheckGroup applies).
	Eligible bool
	// Checked is false when replication_type could not be seen (it is
	// admin-only) and replication_enabled did not already rule the type out.
	Checked bool
	// Reason says why the type is not eligible, or what could not be checked.
	Reason string
}

// VolumeTypes lists every volume type of a site with its eligibility for
// replication, in name order.
func (e *Engine) VolumeTypes(ctx context.Context, site string) ([]VolumeTypeReport, error) {
	s, err := e.site(site)
	if err != nil {
		return nil, err
	}
	all, err := s.VolumeTypes(ctx)
	if err != nil {
		return nil, e.cloudError(site, "list volume types", err)
	}
	out := make([]VolumeTypeReport, 0, len(all))
	for i := range all {
		out = append(out, volumeTypeReport(&all[i], site))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func volumeTypeReport(vt *openstack.VolumeType, site string) VolumeTypeReport {
	specs := replicationSpecsOf(vt)
	r := VolumeTypeReport{ID: vt.ID, Name: vt.Name, Checked: true}
	raw := strings.TrimSpace(specs.Type)
	r.ReplicationType = raw
	for _, rt := range []string{ReplicationAsync, ReplicationSync} {
		if specs.replicates(rt) {
			r.ReplicationType = rt
			r.Eligible = specs.enabled()
		}
	}
	switch {
	case !specs.enabled():
		r.Eligible = false
		r.Reason = fmt.Sprintf("replication_enabled is %s, not '<is> True'", quoteSpec(specs.Enabled))
	case !specs.TypeSeen:
		r.Checked = false
		r.Reason = fmt.Sprintf("replication_type could not be checked: Cinder shows it to admins only (configure sites.%s.admin)", site)
	case !r.Eligible:
		r.Reason = fmt.Sprintf("replication_type is %s, not '<in> async' or '<in> sync'", quoteSpec(specs.Type))
	}
	return r
}
