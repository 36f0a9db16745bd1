package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// DR drills: the group brought up on its secondary site from the newest
// replicated snapshot, without touching production. On the secondary
// array each member volume is copied out of the snapshot into a new array
// volume named for the drill; Cinder on the secondary site manages the
// copy (manage-existing, admin); Nova boots each member's VM there from
// its recovery description, isolated (no network unless the drill names
// one). The drill's record on the secondary site says what is about to be
// made before it is made, so that a drill interrupted half-way is cleaned
// by the next cleanup. Failover will reuse this path.

// Drill outcomes per member.
const (
	DrillActive = "ACTIVE"
	DrillFailed = "FAILED"
)

// DrillSpec asks for a drill of a group.
type DrillSpec struct {
	GroupID string
	// NetworkID, when set, is the secondary-site network the drill's VMs
	// get a port on; empty keeps them without a network.
	NetworkID string
	// ReplicateNow takes a snapshot of the group's Pure group and
	// replicates it before the drill, which then restores it: a drill of
	// now rather than of the last scheduled replication. The snapshot is
	// the only thing it adds on the primary array.
	ReplicateNow bool
	// VolumeType is the type the drill's volumes get on the secondary
	// site; empty: the group's. A sync group needs another one (not sync):
	// the Pure driver will not manage a volume of a sync type.
	VolumeType string
}

// Drill is a drill as its record holds it.
type Drill struct {
	ID      string
	GroupID string
	// Site and Array are where the drill runs (the group's secondary).
	Site  string
	Array string
	// Snapshot is what the drill restored: the replicated protection group
	// snapshot (async), or the stretched pod whose copy on the secondary
	// array it copied (sync).
	Snapshot   string
	VolumeType string
	NetworkID  string
	StartedAt  time.Time
	Members    []DrillMember
}

// DrillMember is one member's VM brought up by a drill.
type DrillMember struct {
	MemberID     string
	InstanceName string
	// ServerID is the drill's VM on the secondary site.
	ServerID string
	// Outcome is DrillActive or DrillFailed (Error says why).
	Outcome string
	Error   string
	// RecoveryTime is from the drill's start until the VM was ACTIVE.
	RecoveryTime time.Duration
	Volumes      []DrillVolume
}

// DrillVolume is one member volume restored by a drill.
type DrillVolume struct {
	// SourceVolumeID is the protected volume on the primary site.
	SourceVolumeID string
	// ArrayVolume is the copy on the secondary array, before Cinder
	// renamed it (volume-<VolumeID>-cinder).
	ArrayVolume string
	// VolumeID is the Cinder volume on the secondary site.
	VolumeID   string
	BootIndex  int
	DeviceName string
}

// RecoveryTime is the group's recovery time in the drill: its slowest
// member's.
func (d *Drill) RecoveryTime() time.Duration {
	var longest time.Duration
	for _, m := range d.Members {
		longest = max(longest, m.RecoveryTime)
	}
	return longest
}

// VolumeIDs are the Cinder volumes the drill made for the member (a volume
// whose restore failed has none).
func (m *DrillMember) VolumeIDs() []string {
	var ids []string
	for _, v := range m.Volumes {
		if v.VolumeID != "" {
			ids = append(ids, v.VolumeID)
		}
	}
	return ids
}

// drillRecord is a Drill as the secondary site stores it.
type drillRecord struct {
	ID         string    `json:"id"`
	GroupID    string    `json:"group_id"`
	Site       string    `json:"site"`
	ArrayURL   string    `json:"array_url"`
	Array      string    `json:"array"`
	Snapshot   string    `json:"snapshot"`
	VolumeType string    `json:"volume_type"`
	NetworkID  string    `json:"network_id,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	// Running is set from the first write until the drill has every
	// member's outcome: a record still running that no state holds is
	// what a provider that died mid-drill left (CheckDrill refuses a new
	// drill of the group then). Records written before the field existed
	// read as finished.
	Running bool                `json:"running,omitempty"`
	Members []drillMemberRecord `json:"members"`
}

type drillMemberRecord struct {
	MemberID       string              `json:"member_id"`
	InstanceName   string              `json:"instance_name"`
	ServerID       string              `json:"server_id,omitempty"`
	Outcome        string              `json:"outcome,omitempty"`
	Error          string              `json:"error,omitempty"`
	RecoverySecond float64             `json:"recovery_seconds,omitempty"`
	Volumes        []drillVolumeRecord `json:"volumes"`
}

type drillVolumeRecord struct {
	SourceVolumeID string `json:"source_volume_id"`
	ArrayVolume    string `json:"array_volume"`
	VolumeID       string `json:"volume_id,omitempty"`
	BootIndex      int    `json:"boot_index"`
	DeviceName     string `json:"device_name,omitempty"`
}

func drillPrefix(groupID string) string     { return groupPrefix(groupID) + "drills/" }
func drillObject(groupID, id string) string { return drillPrefix(groupID) + id + ".json" }

// drillServerName names a drill's VM: drill-<short id>-<instance name>.
func drillServerName(r *drillRecord, instance string) string {
	return "drill-" + drillShortID(r.ID) + "-" + instance
}

// drillShortID is the first block of a drill id's uuid, which names its
// objects within Purity's 63-character limit.
func drillShortID(id string) string {
	short, _, _ := strings.Cut(strings.TrimPrefix(id, "drill-"), "-")
	return short
}

func (r *drillRecord) api() *Drill {
	d := &Drill{ID: r.ID, GroupID: r.GroupID, Site: r.Site, Array: r.Array, Snapshot: r.Snapshot, VolumeType: r.VolumeType, NetworkID: r.NetworkID, StartedAt: r.StartedAt}
	for _, m := range r.Members {
		dm := DrillMember{MemberID: m.MemberID, InstanceName: m.InstanceName, ServerID: m.ServerID, Outcome: m.Outcome, Error: m.Error,
			RecoveryTime: time.Duration(m.RecoverySecond * float64(time.Second))}
		for _, v := range m.Volumes {
			dm.Volumes = append(dm.Volumes, DrillVolume(v))
		}
		d.Members = append(d.Members, dm)
	}
	return d
}

// drillRun is a drill being made: its record, written again after each
// step. Members come up side by side, so writes are grouped: a step's
// change waits for a write that holds it, and one write carries every
// change made while the one before was in flight.
type drillRun struct {
	mu  sync.Mutex
	rec *drillRecord
	tgt *openstack.Site
	// made counts the changes, written those the site holds; writing is
	// closed when the write in flight ends (nil: none).
	made, written int
	writing       chan struct{}
}

func (r *drillRun) update(ctx context.Context, change func(rec *drillRecord)) error {
	r.mu.Lock()
	change(r.rec)
	r.made++
	mine := r.made
	r.mu.Unlock()
	for {
		r.mu.Lock()
		if r.written >= mine {
			r.mu.Unlock()
			return nil
		}
		if wait := r.writing; wait != nil {
			r.mu.Unlock()
			<-wait
			continue
		}
		done := make(chan struct{})
		r.writing = done
		b, err := json.Marshal(r.rec)
		upTo := r.made
		r.mu.Unlock()
		if err == nil {
			err = putRecord(ctx, r.tgt, drillObject(r.rec.GroupID, r.rec.ID), json.RawMessage(b))
		}
		r.mu.Lock()
		if err == nil {
			r.written = upTo
		}
		r.writing = nil
		close(done)
		r.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// CheckDrill is the plan-time check of a new drill: everything StartDrill
// checks before it makes anything (a policy, an async group, the
// secondary's admin credential, the group ready to fail over, a snapshot
// arrived on the secondary array).
//
// A group this plan creates (PlanGroup) is checked for what it can be: its
// replication type and the secondary's admin credential; and since its new
// policy will not have replicated anything when the drill runs, the drill
// must replicate first.
func (e *Engine) CheckDrill(ctx context.Context, spec DrillSpec) error {
	if _, err := e.readGroup(ctx, spec.GroupID); errors.Is(err, ErrNotFound) {
		if d := e.plannedDocument(spec.GroupID); d != nil {
			if err := e.drillSupported(ctx, d, spec.VolumeType); err != nil {
				return err
			}
			if !spec.ReplicateNow && d.Group.ReplicationType == ReplicationAsync {
				return &Error{Kind: KindInvalid, Object: spec.GroupID,
					Detail: fmt.Sprintf("protection group %s is created by this plan, so its replication policy will not have replicated a snapshot when the drill runs", d.Group.Name),
					Fix:    "Set replicate_now = true on the drill, or add the drill in a later apply, once a snapshot has arrived on the secondary array"}
			}
			return nil
		}
	}
	setup, err := e.drillPlan(ctx, spec, !spec.ReplicateNow)
	if err != nil {
		return err
	}
	return e.noStrandedDrill(ctx, setup.tgt, setup.d)
}

// noStrandedDrill refuses a new drill while the group has a drill record
// still running that this process has not read from a state (a refresh
// reads every drill a state holds): a provider that died between the
// record's first write and the state's save left that drill's VMs,
// volumes and array copies on the secondary site, and only an import
// brings them under management again. A drill still running in another
// apply is refused the same way.
func (e *Engine) noStrandedDrill(ctx context.Context, tgt *openstack.Site, d *document) error {
	names, err := tgt.ListObjects(ctx, container, drillPrefix(d.Group.ID))
	if err != nil {
		return e.cloudError(tgt.Name(), "list the drills of protection group "+d.Group.Name, err)
	}
	for _, name := range names {
		id := strings.TrimSuffix(strings.TrimPrefix(name, drillPrefix(d.Group.ID)), ".json")
		if e.drillSeen(id) {
			continue
		}
		var rec drillRecord
		if err := getJSON(ctx, tgt, name, &rec); err != nil {
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return e.cloudError(tgt.Name(), "read drill "+id, err)
		}
		if !rec.Running {
			continue
		}
		return &Error{Kind: KindInvalid, Site: tgt.Name(), Object: id,
			Detail: fmt.Sprintf("drill %s of protection group %s, started at %s, did not finish, and no state holds it: an apply that was interrupted (or one still running) left its VMs, volumes and array copies on %s",
				id, d.Group.Name, rec.StartedAt.Format(time.RFC3339), tgt.Name()),
			Fix: fmt.Sprintf("If another apply is still running the drill, wait for it. Otherwise bring the drill under management and let OpenTofu remove it: "+
				"terraform import protector_dr_drill.<name> %s/%s/%s (or an import block with that id), then destroy or replace that resource", tgt.Name(), d.Group.ID, id)}
	}
	return nil
}

// drillSeen says whether this process has read or started the drill; see
// noStrandedDrill.
func (e *Engine) drillSeen(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.drills[id]
}

func (e *Engine) sawDrill(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.drills[id] = true
}

// drillSetup is what a drill starts from, read and checked.
type drillSetup struct {
	d        *document
	primary  *openstack.Site
	tgt      *openstack.Site
	a        *arrays
	snapshot string
}

// drillPlan reads and checks what a drill starts from; withSnapshot: the
// newest replicated snapshot must exist already (not so when the drill
// replicates one first).
func (e *Engine) drillPlan(ctx context.Context, spec DrillSpec, withSnapshot bool) (*drillSetup, error) {
	d, primary, err := e.loadGroup(ctx, spec.GroupID)
	if err != nil {
		return nil, e.groupNotFound(spec.GroupID, err)
	}
	if err := e.drillPossible(ctx, d, spec.VolumeType); err != nil {
		return nil, err
	}
	rep, err := e.FailoverReadiness(ctx, d.Group.ID, d.Group.SecondarySite)
	if err != nil {
		return nil, err
	}
	if !rep.Ready {
		var lines []string
		for _, b := range rep.Blockers {
			lines = append(lines, fmt.Sprintf("%s [%s]: %s", b.Check, b.Site, b.Message))
		}
		return nil, &Error{Kind: KindNotReady, Object: d.Group.ID,
			Detail: fmt.Sprintf("protection group %s could not fail over to %s now, so a drill would not prove anything: %s", d.Group.Name, rep.Target, strings.Join(lines, "; ")),
			Fix:    "Put the blockers right (data source protector_failover_readiness lists each with its fix), then apply again. Nothing was made"}
	}
	tgt, err := e.site(d.Group.SecondarySite)
	if err != nil {
		return nil, err
	}
	a, err := e.policyArrays(ctx, d)
	if err != nil {
		return nil, err
	}
	setup := &drillSetup{d: d, primary: primary, tgt: tgt, a: a}
	if d.Group.ReplicationType == ReplicationSync {
		// The pod is stretched and online on both arrays (readiness): its
		// copy on the secondary array is current.
		setup.snapshot = "pod " + d.Policy.PureGroupName
		return setup, nil
	}
	if withSnapshot {
		if setup.snapshot, err = e.newestReplica(ctx, a, d); err != nil {
			return nil, err
		}
	}
	return setup, nil
}

// StartDrill runs a drill of a group: readiness first (a blocker refuses
// it, nothing made), then every member brought up on the secondary site.
// A member that fails is recorded with its error and the others go on;
// the drill is returned with the outcomes, and an error when a member
// failed. What the drill made stays until CleanupDrill.
func (e *Engine) StartDrill(ctx context.Context, spec DrillSpec) (*Drill, error) {
	setup, err := e.drillPlan(ctx, spec, !spec.ReplicateNow)
	if err != nil {
		return nil, err
	}
	d, primary, tgt, a, snapshot := setup.d, setup.primary, setup.tgt, setup.a, setup.snapshot
	volumeType := spec.VolumeType
	if volumeType == "" {
		volumeType = d.Group.VolumeType
	}
	if spec.ReplicateNow && d.Group.ReplicationType == ReplicationAsync {
		if snapshot, err = e.replicateNow(ctx, a, d); err != nil {
			return nil, err
		}
	}
	host, err := e.drillHost(ctx, tgt, volumeType)
	if err != nil {
		return nil, err
	}
	flavors, err := tgt.Flavors(ctx)
	if err != nil {
		return nil, e.cloudError(tgt.Name(), "list the flavors", err)
	}

	rec := &drillRecord{ID: newID("drill-"), GroupID: d.Group.ID, Site: tgt.Name(), ArrayURL: a.secondaryURL, Array: a.secondaryName,
		Snapshot: snapshot, VolumeType: volumeType, NetworkID: spec.NetworkID, StartedAt: e.now(), Running: true}
	e.sawDrill(rec.ID)
	for _, m := range d.Members {
		mr := drillMemberRecord{MemberID: m.ID, InstanceName: m.InstanceName}
		if m.Recovery != nil {
			for _, b := range m.Recovery.BlockDevices {
				mr.Volumes = append(mr.Volumes, drillVolumeRecord{SourceVolumeID: b.VolumeID, BootIndex: b.BootIndex, DeviceName: b.DeviceName,
					ArrayVolume: "drill-" + drillShortID(rec.ID) + "-" + b.VolumeID})
			}
		}
		rec.Members = append(rec.Members, mr)
	}
	run := &drillRun{rec: rec, tgt: tgt}
	// What is about to be made is recorded before anything is made.
	if err := run.update(ctx, func(*drillRecord) {}); err != nil {
		return nil, e.cloudError(tgt.Name(), "record drill "+rec.ID, err)
	}
	calls := make([]func(), 0, len(d.Members))
	for i := range d.Members {
		calls = append(calls, func() {
			err := e.drillMember(ctx, run, a, d, i, host, flavors)
			_ = run.update(ctx, func(rec *drillRecord) {
				m := &rec.Members[i]
				if err != nil {
					m.Outcome, m.Error = DrillFailed, err.Error()
					return
				}
				m.Outcome = DrillActive
				m.RecoverySecond = e.now().Sub(rec.StartedAt).Seconds()
			})
		})
	}
	parallelN(drillParallelism, calls...)
	// A record left running only matters to a process with no state
	// holding the drill (noStrandedDrill): a failed member's error says
	// more than this write's.
	endErr := run.update(ctx, func(rec *drillRecord) { rec.Running = false })

	drill := rec.api()
	var failed []string
	for _, m := range drill.Members {
		if m.Outcome != DrillActive {
			failed = append(failed, m.InstanceName+": "+m.Error)
		}
	}
	entry := syncLogRecord{Version: d.Version, Time: rec.StartedAt, Outcome: "DRILL", Duration: e.now().Sub(rec.StartedAt)}
	if len(failed) > 0 {
		entry.Error = strings.Join(failed, "; ")
	}
	_ = putRecord(ctx, primary, logObject(d.Group.ID, rec.StartedAt, d.Version), entry)
	if len(failed) > 0 {
		return drill, &Error{Kind: KindCloud, Site: tgt.Name(), Object: rec.ID,
			Detail: fmt.Sprintf("drill %s of protection group %s could not bring up %d of %d members on %s: %s", rec.ID, d.Group.Name, len(failed), len(drill.Members), tgt.Name(), strings.Join(failed, "; ")),
			Fix:    "Destroy the drill (it removes what it made) and run it again once the cause is put right"}
	}
	if endErr != nil {
		return drill, e.cloudError(tgt.Name(), "record the end of drill "+rec.ID, endErr)
	}
	return drill, nil
}

// drillParallelism bounds the members brought up at once (each with its
// volumes side by side): enough to keep a group's recovery time near one
// member's on a cloud that builds VMs in parallel, few enough not to flood
// its APIs.
const drillParallelism = 16

// drillPossible is what a drill needs beyond readiness: a policy, a volume
// type the Pure driver will manage (not sync) and the secondary site's
// admin credential (manage-existing is admin-only).
func (e *Engine) drillPossible(ctx context.Context, d *document, volumeType string) error {
	if d.Policy == nil {
		return &Error{Kind: KindInvalid, Object: d.Group.ID,
			Detail: fmt.Sprintf("protection group %s has no replication policy, so nothing is replicated to drill with", d.Group.Name),
			Fix:    "Add a protector_replication_policy for the group and let its first snapshot arrive"}
	}
	return e.drillSupported(ctx, d, volumeType)
}

// drillSupported: a volume type for the drill's volumes that is not sync
// (a sync group names one), and an admin credential for the secondary.
func (e *Engine) drillSupported(ctx context.Context, d *document, volumeType string) error {
	if d.Group.ReplicationType == ReplicationSync && volumeType == "" {
		return &Error{Kind: KindInvalid, Object: d.Group.ID,
			Detail: fmt.Sprintf("protection group %s replicates synchronously, and the Pure driver will not manage a volume of its sync volume type %s on %s", d.Group.Name, d.Group.VolumeType, d.Group.SecondarySite),
			Fix:    "Set volume_type on the drill to a type of the same Pure backend on the secondary site that is not sync (an async or unreplicated one)"}
	}
	tgt, err := e.site(d.Group.SecondarySite)
	if err != nil {
		return err
	}
	if !tgt.HasAdmin() {
		if err := tgt.Authenticate(ctx); err != nil {
			return e.cloudError(tgt.Name(), "authenticate", err)
		}
		if !tgt.HasAdmin() {
			return e.drillNeedsAdmin(tgt.Name())
		}
	}
	if volumeType == "" {
		return nil
	}
	vt, err := e.volumeType(ctx, tgt, volumeType)
	if err != nil {
		return err
	}
	if strings.TrimSpace(vt.ExtraSpecs["replication_type"]) == "<in> sync" {
		return &Error{Kind: KindInvalid, Site: tgt.Name(), Object: volumeType,
			Detail: fmt.Sprintf("volume type %s on %s is a sync type, and the Pure driver will not manage a volume of a sync type", volumeType, tgt.Name()),
			Fix:    "Set volume_type to an async or unreplicated type of the same Pure backend"}
	}
	return nil
}

func (e *Engine) drillNeedsAdmin(site string) error {
	return &Error{Kind: KindInvalid, Site: site,
		Detail: fmt.Sprintf("a drill brings the replicated volumes into Cinder on %s with manage-existing, which Cinder allows admins only, and %s has no admin credential", site, site),
		Fix:    fmt.Sprintf("Configure an admin credential for %s (sites.%s.admin)", site, site)}
}

// newestReplica is the newest snapshot of the group's Pure group that has
// arrived on the secondary array.
func (e *Engine) newestReplica(ctx context.Context, a *arrays, d *document) (string, error) {
	group := a.primaryName + ":" + d.Policy.PureGroupName
	transfers, err := a.secondary.ProtectionGroupSnapshotTransfers(ctx, group)
	if err != nil && !flasharray.IsNotFound(err) {
		return "", e.arrayError(a.secondaryURL, "read the snapshots of "+group, err)
	}
	newest, ok := flasharray.NewestCompleted(transfers)
	if !ok {
		return "", &Error{Kind: KindArray, Object: group,
			Detail: fmt.Sprintf("no snapshot of %s has arrived on %s yet", group, a.secondaryName),
			Fix:    "Wait for the first replication of the policy (or take one with purepgroup snap --replicate-now), then apply again"}
	}
	return newest.Name, nil
}

// replicateNow takes a snapshot of the group's Pure group, replicates it
// at once and waits until it has arrived on the secondary array; it
// returns the replica's name there.
func (e *Engine) replicateNow(ctx context.Context, a *arrays, d *document) (string, error) {
	pg := d.Policy.PureGroupName
	snap, err := a.primary.CreateProtectionGroupSnapshot(ctx, pg, true)
	if err != nil {
		return "", e.arrayError(a.primaryURL, "take a snapshot of "+pg+" and replicate it", err)
	}
	replica := a.primaryName + ":" + snap.Name
	err = poll(ctx, func() (bool, error) {
		transfers, err := a.secondary.ProtectionGroupSnapshotTransfers(ctx, a.primaryName+":"+pg)
		if err != nil {
			return false, e.arrayError(a.secondaryURL, "read the snapshot transfers of "+pg, err)
		}
		for _, t := range transfers {
			if t.Name == replica && t.Done() {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return "", fmt.Errorf("wait for snapshot %s to arrive on %s: %w", snap.Name, a.secondaryName, err)
	}
	return replica, nil
}

// drillHost is the secondary site's pool of the group's volume type's
// backend, where the copies are managed.
func (e *Engine) drillHost(ctx context.Context, tgt *openstack.Site, volumeType string) (string, error) {
	vt, err := e.volumeType(ctx, tgt, volumeType)
	if err != nil {
		return "", err
	}
	pools, err := tgt.BackendPools(ctx)
	if errors.Is(err, openstack.ErrForbidden) {
		return "", e.drillNeedsAdmin(tgt.Name())
	}
	if err != nil {
		return "", e.cloudError(tgt.Name(), "list the scheduler's storage pools", err)
	}
	want := vt.ExtraSpecs["volume_backend_name"]
	var names []string
	for _, p := range pools {
		if want == "" || p.BackendName == want {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return "", &Error{Kind: KindCloud, Site: tgt.Name(),
			Detail: fmt.Sprintf("no Cinder pool of volume type %s is up on %s", volumeType, tgt.Name()),
			Fix:    fmt.Sprintf("On %s, start or enable the backend's cinder-volume service", tgt.Name())}
	}
	sort.Strings(names)
	return names[0], nil
}

// drillMember brings one member up: its volumes copied and managed, its
// VM booted and ACTIVE. Each id is recorded as soon as it exists.
func (e *Engine) drillMember(ctx context.Context, run *drillRun, a *arrays, d *document, i int, host string, flavors []openstack.Flavor) error {
	m := d.Members[i]
	rec := run.rec
	if m.Recovery == nil || len(m.Recovery.BlockDevices) == 0 {
		return fmt.Errorf("member %s has no recovery description (written by a provider before format 2): apply the configuration to record it", m.InstanceName)
	}
	flavor := m.Recovery.Flavor.Name
	if mapped, ok := d.Group.FlavorMappings[flavor]; ok {
		flavor = mapped
	}
	flavorID := ""
	for _, f := range flavors {
		if f.Name == flavor {
			flavorID = f.ID
		}
	}
	if flavorID == "" {
		return fmt.Errorf("flavor %s is not on %s", flavor, run.tgt.Name())
	}
	// The member's volumes are restored side by side; the VM boots once
	// all are available.
	boot := make([]openstack.BootVolume, len(m.Recovery.BlockDevices))
	errs := make([]error, len(boot))
	calls := make([]func(), 0, len(boot))
	for j, b := range m.Recovery.BlockDevices {
		calls = append(calls, func() {
			id, err := e.drillVolume(ctx, run, a, d, i, j, host)
			boot[j], errs[j] = openstack.BootVolume{VolumeID: id, BootIndex: b.BootIndex, DeviceName: b.DeviceName}, err
		})
	}
	parallel(calls...)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var nets []string
	if rec.NetworkID != "" {
		nets = []string{rec.NetworkID}
	}
	sv, err := run.tgt.BootServer(ctx, openstack.BootOpts{
		Name: drillServerName(rec, m.InstanceName), FlavorID: flavorID, Volumes: boot, NetworkIDs: nets,
		Metadata: map[string]string{"protector_drill": rec.ID, "protector_member": m.ID},
	})
	if err != nil {
		return e.cloudError(run.tgt.Name(), "boot "+m.InstanceName, err)
	}
	if err := run.update(ctx, func(rec *drillRecord) { rec.Members[i].ServerID = sv.ID }); err != nil {
		return e.cloudError(run.tgt.Name(), "record drill "+rec.ID, err)
	}
	if _, err := run.tgt.WaitForServer(ctx, sv.ID); err != nil {
		return e.cloudError(run.tgt.Name(), "boot "+m.InstanceName, err)
	}
	return nil
}

// drillVolume restores block device j of member i: the array copy, managed
// by Cinder, available. It returns the Cinder volume's id.
func (e *Engine) drillVolume(ctx context.Context, run *drillRun, a *arrays, d *document, i, j int, host string) (string, error) {
	rec, m := run.rec, d.Members[i]
	b := m.Recovery.BlockDevices[j]
	copyName := rec.Members[i].Volumes[j].ArrayVolume
	// Async: the member volume's snapshot in the replicated group
	// snapshot; sync: the volume itself, in the pod stretched to the
	// secondary array.
	source := rec.Snapshot + "." + b.ArrayVolumeName
	if d.Group.ReplicationType == ReplicationSync {
		source = b.ArrayVolumeName
	}
	if _, err := a.secondary.CopyVolume(ctx, copyName, source, false); err != nil {
		return "", e.arrayError(a.secondaryURL, "copy "+source+" to "+copyName, err)
	}
	v, err := run.tgt.ManageVolume(ctx, openstack.ManageVolumeOpts{
		Host: host, Ref: map[string]string{"name": copyName}, VolumeType: rec.VolumeType, Bootable: b.BootIndex == 0,
		Name:     fmt.Sprintf("drill-%s %s %s", drillShortID(rec.ID), m.InstanceName, b.DeviceName),
		Metadata: map[string]string{"protector_drill": rec.ID, "protector_source_volume": b.VolumeID},
	})
	if err != nil {
		return "", e.cloudError(run.tgt.Name(), "manage "+copyName, err)
	}
	if err := run.update(ctx, func(rec *drillRecord) { rec.Members[i].Volumes[j].VolumeID = v.ID }); err != nil {
		return "", e.cloudError(run.tgt.Name(), "record drill "+rec.ID, err)
	}
	if _, err := run.tgt.WaitForVolume(ctx, v.ID); err != nil {
		return "", e.cloudError(run.tgt.Name(), "manage "+copyName, err)
	}
	return v.ID, nil
}

// GetDrill reads a drill's record from the group's secondary site;
// ErrNotFound once it is gone.
func (e *Engine) GetDrill(ctx context.Context, groupID, id string) (*Drill, error) {
	rec, _, err := e.drillRecord(ctx, groupID, id)
	if err != nil {
		return nil, err
	}
	e.sawDrill(id)
	return rec.api(), nil
}

func (e *Engine) drillRecord(ctx context.Context, groupID, id string) (*drillRecord, *openstack.Site, error) {
	d, _, err := e.loadGroup(ctx, groupID)
	if err != nil {
		return nil, nil, e.groupNotFound(groupID, err)
	}
	tgt, err := e.site(d.Group.SecondarySite)
	if err != nil {
		return nil, nil, err
	}
	var rec drillRecord
	if err := getJSON(ctx, tgt, drillObject(groupID, id), &rec); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil, ErrNotFound
		}
		return nil, nil, e.cloudError(tgt.Name(), "read drill "+id, err)
	}
	return &rec, tgt, nil
}

// CleanupDrill removes everything a drill made, in reverse order: its VMs
// (by the record, and by name for a VM booted just before an interruption),
// its Cinder volumes (the driver destroys the array volume they became),
// the array copies Cinder never took over (destroyed and eradicated), then
// its record. Nothing of the protected group is touched. A drill already
// gone is not an error.
func (e *Engine) CleanupDrill(ctx context.Context, groupID, id string) error {
	rec, tgt, err := e.drillRecord(ctx, groupID, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	servers := map[string]bool{}
	for _, m := range rec.Members {
		if m.ServerID != "" {
			servers[m.ServerID] = true
		}
	}
	all, err := tgt.ServersDetails(ctx)
	if err != nil {
		return e.cloudError(tgt.Name(), "list the servers", err)
	}
	prefix := "drill-" + drillShortID(rec.ID) + "-"
	for sid, s := range all {
		if strings.HasPrefix(s.Name, prefix) && s.Metadata["protector_drill"] == rec.ID {
			servers[sid] = true
		}
	}
	var errs []error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	var calls []func()
	for sid := range servers {
		calls = append(calls, func() {
			if err := tgt.DeleteServer(ctx, sid); err != nil {
				fail(e.cloudError(tgt.Name(), "delete drill server "+sid, err))
				return
			}
			if _, err := tgt.WaitForServer(ctx, sid, openstack.ServerStatusDeleted); err != nil {
				fail(e.cloudError(tgt.Name(), "delete drill server "+sid, err))
			}
		})
	}
	parallelN(drillParallelism, calls...)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	a, err := e.array(ArrayEndpoint{URL: rec.ArrayURL})
	if err != nil {
		return err
	}
	calls = nil
	for _, m := range rec.Members {
		for _, v := range m.Volumes {
			calls = append(calls, func() {
				if v.VolumeID != "" {
					if err := tgt.DeleteVolume(ctx, v.VolumeID); err != nil {
						fail(e.cloudError(tgt.Name(), "delete drill volume "+v.VolumeID, err))
						return
					}
					if _, err := tgt.WaitForVolume(ctx, v.VolumeID, openstack.VolumeStatusDeleted); err != nil {
						fail(e.cloudError(tgt.Name(), "delete drill volume "+v.VolumeID, err))
						return
					}
				}
				// A copy Cinder never took over keeps the drill's name.
				if err := a.DestroyVolume(ctx, v.ArrayVolume, true); err != nil {
					fail(e.arrayError(rec.ArrayURL, "destroy drill copy "+v.ArrayVolume, err))
				}
			})
		}
	}
	parallelN(drillParallelism, calls...)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := tgt.DeleteObject(ctx, container, drillObject(groupID, id)); err != nil && !errors.Is(err, openstack.ErrNotFound) {
		return e.cloudError(tgt.Name(), "delete the record of drill "+id, err)
	}
	return nil
}
