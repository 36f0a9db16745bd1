package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// Extra-spec values Cinder compares exactly (API-NOTES §1.7).
const (
	specReplicationEnabled = "replication_enabled"
	specReplicationType    = "replication_type"
	specTrue               = "<is> True"
)

// checkVolumeType checks that a volume type is eligible for replication of
// the given type on one site. It returns the type and a warning when the
// replication_type could not be seen (it is admin-only).
func (e *Engine) checkVolumeType(ctx context.Context, s *openstack.Site, name, replicationType string) (*openstack.VolumeType, string, error) {
	site := s.Name()
	vt, err := e.volumeType(ctx, s, name)
	if errors.Is(err, openstack.ErrNotFound) {
		return nil, "", &Error{Kind: KindNotEligible, Site: site, Object: name,
			Detail: fmt.Sprintf("volume type %q does not exist on site %s", name, site),
			Fix:    fmt.Sprintf("Create it on %s with replication_enabled='<is> True' and replication_type='<in> %s', or name a type that exists on both sites", site, replicationType)}
	}
	if err != nil {
		return nil, "", e.cloudError(site, "read volume type "+name, err)
	}
	fix := fmt.Sprintf("On %s run: openstack volume type set %s --property replication_enabled='<is> True' --property replication_type='<in> %s', then plan again", site, vt.Name, replicationType)
	specs := replicationSpecsOf(vt)
	if !specs.enabled() {
		return nil, "", &Error{Kind: KindNotEligible, Site: site, Object: vt.Name,
			Detail: fmt.Sprintf("volume type %q on site %s does not have replication_enabled='<is> True' (it has %s)", vt.Name, site, quoteSpec(specs.Enabled)),
			Fix:    fix}
	}
	if !specs.TypeSeen {
		return vt, fmt.Sprintf("The replication_type of volume type %q on site %s could not be checked: Cinder shows it to admins only. Configure an admin credential for the site (sites.%s.admin) to check it at plan. Without one, the first member's volumes tell: a volume the Pure driver keeps in its pod (array_volume_name pod::...) is of a sync type, and such a member of an async group is refused.", vt.Name, site, site), nil
	}
	if !specs.replicates(replicationType) {
		return nil, "", &Error{Kind: KindNotEligible, Site: site, Object: vt.Name,
			Detail: fmt.Sprintf("volume type %q on site %s has replication_type %s, and a %s protection group needs '%s'", vt.Name, site, quoteSpec(specs.Type), replicationType, "<in> "+replicationType),
			Fix:    fix}
	}
	return vt, "", nil
}

// replicationSpecs are the two extra specs of a volume type that decide its
// eligibility for replication (the guide's Troubleshooting), as the caller
// could see them. The rules are enabled and replicates; checkVolumeType and
// VolumeTypeReport both apply them.
type replicationSpecs struct {
	Enabled  string // replication_enabled, as Cinder shows it
	Type     string // replication_type, as Cinder shows it
	TypeSeen bool   // false: replication_type is admin-only and was not shown
}

func replicationSpecsOf(vt *openstack.VolumeType) replicationSpecs {
	got, seen := vt.ExtraSpecs[specReplicationType]
	return replicationSpecs{Enabled: vt.ExtraSpecs[specReplicationEnabled], Type: got, TypeSeen: seen || vt.SpecsComplete}
}

// enabled: replication_enabled='<is> True'.
func (r replicationSpecs) enabled() bool { return strings.TrimSpace(r.Enabled) == specTrue }

// replicates: replication_type='<in> async' (or sync) as the group needs.
func (r replicationSpecs) replicates(replicationType string) bool {
	return r.TypeSeen && strings.TrimSpace(r.Type) == "<in> "+replicationType
}

func quoteSpec(v string) string {
	if v == "" {
		return "no such property"
	}
	return "'" + v + "'"
}

// CheckGroup makes the plan-time checks of a new group: both sites
// reachable, the volume type eligible on both. Warnings name checks that
// could not be made (no admin credential). Registration of the sites is
// checked at apply, since their protector_site resources may be created in
// the same run.
func (e *Engine) CheckGroup(ctx context.Context, spec GroupSpec) ([]string, error) {
	warnings, _, err := e.checkGroup(ctx, spec, false)
	return warnings, err
}

func (e *Engine) checkGroup(ctx context.Context, spec GroupSpec, registered bool) ([]string, [2]*siteRecord, error) {
	var records [2]*siteRecord
	if err := spec.validate(); err != nil {
		return nil, records, err
	}
	// The two sites are checked side by side; the primary's failure is
	// reported first.
	var (
		sites    [2]*openstack.Site
		warnings [2]string
		errs     [2]error
	)
	names := [2]string{spec.PrimarySite, spec.SecondarySite}
	parallel(
		func() { sites[0], records[0], warnings[0], errs[0] = e.checkGroupSite(ctx, spec, names[0], registered) },
		func() { sites[1], records[1], warnings[1], errs[1] = e.checkGroupSite(ctx, spec, names[1], registered) },
	)
	if errs[0] != nil {
		return nil, records, errs[0]
	}
	if errs[1] != nil {
		return nil, records, peerUnreachable(names[1], errs[1])
	}
	var out []string
	for _, w := range warnings {
		if w != "" {
			out = append(out, w)
		}
	}
	warn, err := e.checkMappings(ctx, sites[0], sites[1], spec.Mappings)
	if err != nil {
		return nil, records, err
	}
	return append(out, warn...), records, nil
}

// checkGroupSite checks one site of a new group: it answers, it is
// registered (when registered is asked: its record is returned), and the
// group's volume type is eligible on it.
func (e *Engine) checkGroupSite(ctx context.Context, spec GroupSpec, name string, registered bool) (*openstack.Site, *siteRecord, string, error) {
	s, err := e.site(name)
	if err != nil {
		return nil, nil, "", err
	}
	// The record and the type are read while the site's reachability is
	// checked; a failed check ends them, so a silent site is reported
	// within the check's deadline.
	var (
		rec                     *siteRecord
		reachErr, recErr, vtErr error
		warn                    string
	)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parallel(
		func() {
			if _, reachErr = e.reachable(ctx, name); reachErr != nil {
				cancel()
			}
		},
		func() {
			if registered {
				rec, _, recErr = e.readSiteRecord(rctx, name)
			}
		},
		func() { _, warn, vtErr = e.checkVolumeType(rctx, s, spec.VolumeType, spec.ReplicationType) },
	)
	if reachErr != nil {
		return nil, nil, "", reachErr
	}
	if errors.Is(recErr, ErrNotFound) {
		return nil, nil, "", &Error{Kind: KindNotRegistered, Site: name,
			Detail: fmt.Sprintf("site %s is not registered for DR", name),
			Fix:    fmt.Sprintf("Add a protector_site resource named %q and reference it from the group, so that it is created first", name)}
	}
	if recErr != nil {
		return nil, nil, "", recErr
	}
	if vtErr != nil {
		return nil, nil, "", vtErr
	}
	return s, rec, warn, nil
}

func (spec GroupSpec) validate() error {
	nameProblem := GroupNameProblem(spec.Name)
	siteProblem := SameSiteProblem(spec.PrimarySite, spec.SecondarySite)
	typeProblem := CinderTypeNameProblem(spec.VolumeType)
	switch {
	case spec.Name == "":
		return &Error{Kind: KindInvalid, Detail: "a protection group needs a name"}
	case nameProblem != "":
		return &Error{Kind: KindInvalid, Detail: fmt.Sprintf("the group name %q %s", spec.Name, nameProblem)}
	case spec.PrimarySite == "" || spec.SecondarySite == "":
		return &Error{Kind: KindInvalid, Detail: "a protection group needs a primary and a secondary site"}
	case siteProblem != "":
		return &Error{Kind: KindInvalid, Detail: siteProblem}
	case spec.ReplicationType != ReplicationAsync && spec.ReplicationType != ReplicationSync:
		return &Error{Kind: KindInvalid, Detail: fmt.Sprintf("replication type %q is neither async nor sync", spec.ReplicationType)}
	case spec.VolumeType == "":
		return &Error{Kind: KindInvalid, Detail: "a protection group needs a volume type"}
	case typeProblem != "":
		return &Error{Kind: KindInvalid, Detail: fmt.Sprintf("the volume type %q %s", spec.VolumeType, typeProblem)}
	}
	return nil
}

// SameSiteProblem says why a group naming one site as both its primary and
// its secondary is refused ("" when the sites differ).
func SameSiteProblem(primary, secondary string) string {
	if primary != secondary {
		return ""
	}
	return fmt.Sprintf("primary_site and secondary_site are both %q. A protection group replicates to a different (DR) site: "+
		"name another registered site.", primary)
}

// instanceVolumes are the volumes of one instance as a member check sees them.
type instanceVolumes struct {
	server      *openstack.Server
	attachments []openstack.VolumeAttachment
	volumes     []*openstack.Volume
	backend     string // host@backend shared by all volumes; "" when not visible
}

// instanceRead is one read of an instance and its volumes: the server (with
// what a recovery needs, Server.Details), its attachments and each volume.
type instanceRead struct {
	site        string
	server      *openstack.Server
	attachments []openstack.VolumeAttachment
	volumes     []*openstack.Volume
	at          time.Time
}

// readInstance reads an instance and every volume attached to it (boot
// volume included): the server, then its volumes side by side. Each
// volume's Cinder attachments name the device it is attached at, so Nova's
// attachment listing is asked only when one does not.
func (e *Engine) readInstance(ctx context.Context, d *document, s *openstack.Site, instanceID string) (*instanceRead, error) {
	site := s.Name()
	// Read with the others that arrive now (instance_reads.go); what the
	// listing does not hold is read on its own.
	listed := e.listedInstances(ctx, s)
	var server *openstack.Server
	var err error
	if listed != nil {
		server = listed.servers[instanceID]
	}
	if server == nil {
		server, err = s.Server(ctx, instanceID)
	}
	if errors.Is(err, openstack.ErrNotFound) {
		return nil, &Error{Kind: KindInvalid, Site: site, Object: instanceID,
			Detail: fmt.Sprintf("instance %s does not exist on site %s, the primary site of protection group %s", instanceID, site, d.Group.Name),
			Fix:    "Check the instance id with `openstack server show`"}
	}
	if err != nil {
		return nil, e.cloudError(site, "read instance "+instanceID, err)
	}
	r := &instanceRead{site: site, server: server, volumes: make([]*openstack.Volume, len(server.VolumeIDs))}
	errs := make([]error, len(server.VolumeIDs))
	var calls []func()
	for i, id := range server.VolumeIDs {
		if listed != nil && listed.volumes[id] != nil {
			// A copy: the read is kept for the add, the listing's whole
			// page of volumes need not be.
			v := *listed.volumes[id]
			r.volumes[i] = &v
			continue
		}
		calls = append(calls, func() { r.volumes[i], errs[i] = s.Volume(ctx, id) })
	}
	parallelN(fanOut, calls...)
	for i, err := range errs {
		if err != nil {
			return nil, e.cloudError(site, "read volume "+server.VolumeIDs[i], err)
		}
	}
	for _, v := range r.volumes {
		i := slices.IndexFunc(v.Attachments, func(a openstack.VolumeAttachment) bool { return a.ServerID == instanceID && a.Device != "" })
		if i < 0 {
			r.attachments = nil
			break
		}
		r.attachments = append(r.attachments, openstack.VolumeAttachment{VolumeID: v.ID, ServerID: instanceID, Device: v.Attachments[i].Device})
	}
	if r.attachments != nil && server.RootDeviceVisible &&
		!slices.ContainsFunc(r.attachments, func(a openstack.VolumeAttachment) bool { return a.Device == server.RootDeviceName }) {
		// Cinder's devices do not name Nova's root device: the boot
		// volume is told by Nova's.
		r.attachments = nil
	}
	if r.attachments == nil {
		// A volume Cinder does not show attached here (or without its
		// device), or none at all, or devices Nova does not use: Nova's
		// listing is the authority.
		if r.attachments, err = s.ServerVolumeAttachments(ctx, instanceID); err != nil {
			return nil, e.cloudError(site, "list the volumes of instance "+instanceID, err)
		}
		if r.volumes, err = e.attachedVolumes(ctx, s, r.attachments, r.volumes); err != nil {
			return nil, err
		}
	}
	if len(r.attachments) == 0 {
		return nil, &Error{Kind: KindInvalid, Site: site, Object: instanceID,
			Detail: fmt.Sprintf("instance %s (%s) has no Cinder volumes attached, so there is nothing to replicate", server.Name, instanceID),
			Fix:    "Boot the instance from a volume of the group's volume type"}
	}
	r.at = e.now()
	return r, nil
}

// attachedVolumes is the volumes of attachments, in their order, taken
// from read where it holds them and read otherwise.
func (e *Engine) attachedVolumes(ctx context.Context, s *openstack.Site, attachments []openstack.VolumeAttachment, read []*openstack.Volume) ([]*openstack.Volume, error) {
	out := make([]*openstack.Volume, 0, len(attachments))
	for _, a := range attachments {
		if i := slices.IndexFunc(read, func(v *openstack.Volume) bool { return v.ID == a.VolumeID }); i >= 0 {
			out = append(out, read[i])
			continue
		}
		v, err := s.Volume(ctx, a.VolumeID)
		if err != nil {
			return nil, e.cloudError(s.Name(), "read volume "+a.VolumeID, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// instanceReuse is how long a read of an instance by a member's plan-time
// check serves the add of that member in the same process. OpenTofu plans
// each member again just before creating it, so the check and the add read
// the same instance moments apart; the add waits for the batch ahead of it
// (a Cinder group update or two), hence longer than readReuse. Cinder still
// judges the update, and a volume attached since is drift that the next
// refresh shows.
const instanceReuse = 30 * time.Second

// rememberInstance keeps a check's read of an instance for its add.
func (e *Engine) rememberInstance(r *instanceRead) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, old := range e.instances {
		if e.now().Sub(old.at) >= instanceReuse {
			delete(e.instances, k)
		}
	}
	e.instances[r.site+"\x00"+r.server.ID] = r
}

// takeInstance returns, once, a check's recent read of an instance.
func (e *Engine) takeInstance(site, instanceID string) *instanceRead {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := site + "\x00" + instanceID
	r := e.instances[k]
	delete(e.instances, k)
	if r == nil || e.now().Sub(r.at) >= instanceReuse {
		return nil
	}
	return r
}

// judgeInstance checks a read instance against the group: every volume of
// the group's volume type, in no other Cinder group, on one backend, the
// backend of the group's existing members.
func (e *Engine) judgeInstance(ctx context.Context, d *document, s *openstack.Site, r *instanceRead) (*instanceVolumes, []string, error) {
	site := s.Name()
	server, attachments, instanceID := r.server, r.attachments, r.server.ID
	vt, err := e.volumeType(ctx, s, d.Group.VolumeType)
	if err != nil {
		return nil, nil, e.cloudError(site, "read volume type "+d.Group.VolumeType, err)
	}
	out := &instanceVolumes{server: server, attachments: attachments}
	var mismatched []string
	backends := map[string][]string{}
	hostHidden := false
	for i, a := range attachments {
		v := r.volumes[i]
		out.volumes = append(out.volumes, v)
		if v.VolumeType != vt.Name && v.VolumeType != vt.ID {
			mismatched = append(mismatched, fmt.Sprintf("%s (%s) has type %q", v.ID, a.Device, v.VolumeType))
		}
		if v.GroupID != "" && v.GroupID != d.Group.PrimaryConsistencyGroup {
			return nil, nil, &Error{Kind: KindInvalid, Site: site, Object: v.ID,
				Detail: fmt.Sprintf("volume %s of instance %s already belongs to another Cinder group (%s)", v.ID, server.Name, v.GroupID),
				Fix:    "A volume can be in one consistency group only: remove it from the other group or the instance from the other protection group"}
		}
		if !v.HostVisible {
			hostHidden = true
			continue
		}
		b := backendOf(v.Host)
		backends[b] = append(backends[b], v.ID)
	}
	if len(mismatched) > 0 {
		return nil, nil, &Error{Kind: KindMismatch, Site: site, Object: instanceID,
			Detail: fmt.Sprintf("instance %s (%s) has volumes that do not use the group's volume type %q: %s", server.Name, instanceID, vt.Name, strings.Join(mismatched, "; ")),
			Fix:    fmt.Sprintf("All volumes of a member must use %q: migrate them (openstack volume set --type %s --retype-policy on-demand <volume>) or leave this instance out", vt.Name, vt.Name)}
	}
	if err := checkDriverReplication(d, site, server.Name, vt, out.volumes); err != nil {
		return nil, nil, err
	}
	var warnings []string
	if hostHidden {
		warnings = append(warnings, fmt.Sprintf("The storage backend of the volumes of instance %s on site %s could not be checked: Cinder shows os-vol-host-attr:host to admins only. Configure an admin credential (sites.%s.admin) to check it at plan; otherwise Cinder refuses volumes of another backend at apply.", server.Name, site, site))
		return out, warnings, nil
	}
	if len(backends) > 1 || (d.Group.Backend != "" && backends[d.Group.Backend] == nil) {
		var parts []string
		for b, ids := range backends {
			parts = append(parts, fmt.Sprintf("%s on %s", strings.Join(ids, ", "), b))
		}
		sort.Strings(parts)
		want := d.Group.Backend
		if want == "" {
			want = "one backend"
		}
		return nil, nil, &Error{Kind: KindBackend, Site: site, Object: instanceID,
			Detail: fmt.Sprintf("all volumes of a consistency group must share one storage backend (%s), and the volumes of instance %s are %s", want, server.Name, strings.Join(parts, "; ")),
			Fix:    "Migrate the volumes to the group's backend (openstack volume migrate), or leave this instance out"}
	}
	for b := range backends {
		out.backend = b
	}
	return out, warnings, nil
}

// backendOf strips the pool from a Cinder host (host@backend#pool).
func backendOf(host string) string {
	if i := strings.Index(host, "#"); i >= 0 {
		return host[:i]
	}
	return host
}

// CheckMember makes the plan-time checks of a new member: both sites
// reachable, every volume of the instance of the group's type on one backend.
// A group that a plan of this process proposes to create (PlanGroup) is
// checked as planned; a second member planned into a group without members
// must share the first one's backend.
func (e *Engine) CheckMember(ctx context.Context, spec MemberSpec) ([]string, error) {
	// OpenTofu plans a member again right before creating it: from the
	// start of its check, a batch of the group waits for its add.
	e.expectMember(spec.GroupID, spec.InstanceID)
	warnings, err := e.checkMember(ctx, spec)
	if err != nil {
		e.unexpectMember(spec.GroupID, spec.InstanceID)
	}
	return warnings, err
}

func (e *Engine) checkMember(ctx context.Context, spec MemberSpec) ([]string, error) {
	d, s, err := e.planGroupRead(ctx, spec.GroupID)
	if err != nil {
		return nil, e.groupNotFound(spec.GroupID, err)
	}
	if err := e.bothRecentlyReachable(ctx, d.Group.PrimarySite, d.Group.SecondarySite); err != nil {
		return nil, err
	}
	if _, m := d.member(spec.InstanceID); m != nil {
		return nil, nil
	}
	r, err := e.readInstance(ctx, d, s, spec.InstanceID)
	if err != nil {
		return nil, err
	}
	iv, warnings, err := e.judgeInstance(ctx, d, s, r)
	if err != nil {
		return nil, err
	}
	if err := e.claimBackend(d, iv); err != nil {
		return nil, err
	}
	e.rememberInstance(r)
	return warnings, nil
}
