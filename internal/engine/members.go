package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// AddMember discovers the instance's volumes, adds them to the consistency
// group (and the Pure group when a policy exists) and records the member.
// Adding an instance that is already a member returns that member.
func (e *Engine) AddMember(ctx context.Context, spec MemberSpec) (*Member, *Group, error) {
	c := &memberChange{add: &spec}
	if err := e.queueMemberChange(ctx, spec.GroupID, c); err != nil {
		return nil, nil, err
	}
	if c.doc == nil {
		g, err := e.GetGroup(ctx, spec.GroupID)
		return &c.member, g, err
	}
	g := *c.group
	return &c.member, &g, nil
}

// memberChange is one member to add or remove. Changes that arrive while
// their group is being changed are made together by the next change: one
// Cinder update, one call to the array and one metadata version for all of
// them, where one each would serialise OpenTofu's parallel creates behind
// the group's lock.
type memberChange struct {
	add      *MemberSpec // or
	removeID string

	done   chan struct{}
	member Member    // the member added (or found)
	doc    *document // the version that holds the change; nil when nothing changed
	group  *Group    // the group at doc, shared by the batch: read once for all
	err    error

	queued  time.Time // when it joined its group's queue
	checked bool      // an add whose plan-time check ran in this process

	// Set while a batch is made.
	iv       *instanceVolumes
	recovery *recoveryRecord
	active   bool
}

// queueMemberChange queues a change for its group and returns once a change of
// the group made it (this caller's or the one that held the lock before).
func (e *Engine) queueMemberChange(ctx context.Context, groupID string, c *memberChange) error {
	c.done = make(chan struct{})
	e.mu.Lock()
	c.queued = time.Now()
	if c.add != nil {
		_, c.checked = e.expected[groupID][c.add.InstanceID]
		delete(e.expected[groupID], c.add.InstanceID)
	}
	e.memberQueues[groupID] = append(e.memberQueues[groupID], c)
	e.mu.Unlock()

	// The change is made by whoever holds the group's lock next: this
	// caller, or another that took it from the queue meanwhile (then this
	// one returns without waiting for the lock: a caller whose change is
	// made frees its place in OpenTofu's parallelism at once, for the
	// next changes to join one batch).
	lock := e.groupSemaphore(groupID)
	select {
	case <-c.done:
		return c.err
	case lock <- struct{}{}:
	}
	select {
	case <-c.done:
	default:
		// Not made yet, so still queued: whoever holds the lock makes every
		// change it takes from the queue before letting go, once the
		// members checked moments ago have joined it.
		e.awaitExpected(ctx, groupID)
		e.mu.Lock()
		batch := e.memberQueues[groupID]
		delete(e.memberQueues, groupID)
		e.mu.Unlock()
		e.makeMemberBatch(ctx, groupID, batch)
	}
	<-lock
	<-c.done
	return c.err
}

// batchWindow bounds how long a batch waits for the members whose
// plan-time check started in this process. OpenTofu plans each member
// again right before creating it, at most -parallelism (10) at a time: when
// a batch ends, the next members are checked together, and the first of
// them to reach the group would otherwise be a batch (a Cinder update, a
// wait for the group) of its own, then the others another.
const batchWindow = time.Second

// batchSettle is how long a batch's queue must stay the same before the
// batch is taken.
const batchSettle = 10 * time.Millisecond

// expectedPoll is how often a batch looks whether the members it waits
// for have arrived.
const expectedPoll = 2 * time.Millisecond

// expectedFor is how long after its check a member is waited for: past it,
// its add is not coming (the check was a plan's, or its create failed).
const expectedFor = 5 * time.Second

// expectMember records that a member is being checked: its add may follow.
func (e *Engine) expectMember(groupID, instanceID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.expected[groupID] == nil {
		e.expected[groupID] = map[string]time.Time{}
	}
	e.expected[groupID][instanceID] = e.now()
}

// unexpectMember forgets a member whose check failed: no add follows.
func (e *Engine) unexpectMember(groupID, instanceID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.expected[groupID], instanceID)
}

// awaitExpected waits, up to batchWindow, until no member of the group
// whose check started within expectedFor has yet to queue its add, then
// until the group's queue has not grown for batchSettle. A queue of adds
// that were all checked here is taken at once: the changes OpenTofu
// started together are the ones it checked together.
func (e *Engine) awaitExpected(ctx context.Context, groupID string) {
	deadline := time.Now().Add(batchWindow)
	for {
		e.mu.Lock()
		waiting := 0
		for id, at := range e.expected[groupID] {
			if e.now().Sub(at) >= expectedFor {
				delete(e.expected[groupID], id)
				continue
			}
			waiting++
		}
		queue := e.memberQueues[groupID]
		allChecked := len(queue) > 0
		for _, c := range queue {
			allChecked = allChecked && c.checked
		}
		nap := batchSettle
		if len(queue) > 0 {
			nap = time.Until(queue[len(queue)-1].queued.Add(batchSettle))
		}
		e.mu.Unlock()
		if time.Now().After(deadline) {
			return
		}
		if waiting == 0 {
			// The changes OpenTofu starts together (removals have no
			// check before them) arrive within moments of each other:
			// take them once the queue stops growing.
			if allChecked || nap <= 0 {
				return
			}
		} else {
			nap = expectedPoll
		}
		t := time.NewTimer(nap)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// makeMemberBatch makes a batch of member changes in one version. When
// Cinder refuses the batch's update, which volume it objected to is not
// known, so each change is made on its own to give each its own answer.
func (e *Engine) makeMemberBatch(ctx context.Context, groupID string, batch []*memberChange) {
	defer func() {
		for _, c := range batch {
			close(c.done)
		}
	}()
	if err := e.commitMemberBatch(ctx, groupID, batch); errors.Is(err, errSplit) {
		for _, c := range batch {
			c.err, c.iv, c.recovery, c.active = nil, nil, nil, false
			_ = e.commitMemberBatch(ctx, groupID, []*memberChange{c})
		}
	}
}

// errSplit asks for a batch to be made one change at a time.
var errSplit = errors.New("make the changes one at a time")

// commitMemberBatch makes a batch as the group's next version and hands
// each change its outcome. errSplit when the batch must be made one change
// at a time.
func (e *Engine) commitMemberBatch(ctx context.Context, groupID string, batch []*memberChange) error {
	ports := e.portsAhead(ctx, groupID, batch)
	d, err := e.modifyLocked(ctx, groupID, func(d *document, primary, _ *openstack.Site) error {
		return e.memberBatchChange(ctx, d, primary, batch, ports)
	})
	if errors.Is(err, errSplit) {
		return err
	}
	var g *Group
	for _, c := range batch {
		switch {
		case c.err != nil:
		case errors.Is(err, errUnchanged):
		case errors.Is(err, ErrNotFound) && c.add == nil:
			// Removing a member of a group that is gone is done.
		case err != nil:
			c.err = err
		case c.active:
			if g == nil && c.add != nil {
				s, _ := e.site(d.Group.PrimarySite)
				g = e.group(ctx, s, d)
			}
			c.doc, c.group = d, g
		}
	}
	return nil
}

// memberBatchChange is the change a batch makes to its group: read what
// the batch needs from the primary site, plan the document's new state,
// then make the cloud and array side.
func (e *Engine) memberBatchChange(ctx context.Context, d *document, primary *openstack.Site, batch []*memberChange, ports portsRead) error {
	removed, err := e.readMemberBatch(ctx, d, primary, batch, ports)
	if err != nil {
		return err
	}
	plan, err := e.planMemberBatch(d, batch, removed)
	if err != nil {
		return err
	}
	return e.applyMemberPlan(ctx, d, primary, plan)
}

// portsRead returns the ports of the instances a batch adds on a site, read
// ahead; nil when they were not read there.
type portsRead func(site string) *instancePorts

// portsAhead starts the Neutron listing of the ports of the instances a
// batch adds while the group's metadata is read: their recovery
// descriptions need them after, and the listing would otherwise be one more
// round trip in the batch's chain. Nil when the group's primary site is
// not known yet.
func (e *Engine) portsAhead(ctx context.Context, groupID string, batch []*memberChange) portsRead {
	e.mu.Lock()
	name := e.groupSites[groupID]
	e.mu.Unlock()
	var ids []string
	for _, c := range batch {
		if c.add != nil {
			ids = append(ids, c.add.InstanceID)
		}
	}
	if name == "" || len(ids) == 0 {
		return nil
	}
	s, err := e.site(name)
	if err != nil {
		return nil
	}
	done := make(chan struct{})
	var r *instancePorts
	go func() {
		defer close(done)
		r = e.readInstancePorts(ctx, s, ids)
	}()
	return func(site string) *instancePorts {
		if site != name {
			return nil
		}
		<-done
		return r
	}
}

// readMemberBatch reads, side by side, the instances the batch adds (with
// their volumes and recovery descriptions, set on each change) and the
// volumes of the members it removes, returned by id (nil: gone). A change
// whose read failed carries its error.
func (e *Engine) readMemberBatch(ctx context.Context, d *document, primary *openstack.Site, batch []*memberChange, ahead portsRead) (map[string]*openstack.Volume, error) {
	removed := map[string]*openstack.Volume{} // volume id -> volume (nil: gone)
	listed, err := e.listRemovedVolumes(ctx, d, primary, batch)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var reads []func()
	for _, c := range batch {
		if c.add != nil {
			if _, m := d.member(c.add.InstanceID); m == nil {
				reads = append(reads, func() {
					// The member's plan-time check in this process read the
					// instance moments ago: judged again against the
					// group as it is now, that read serves.
					r := e.takeInstance(primary.Name(), c.add.InstanceID)
					if r == nil {
						if r, c.err = e.readInstance(ctx, d, primary, c.add.InstanceID); c.err != nil {
							return
						}
					}
					c.iv, _, c.err = e.judgeInstance(ctx, d, primary, r)
				})
			}
			continue
		}
		if _, m := d.member(c.removeID); m != nil {
			for _, id := range m.VolumeIDs {
				if _, ok := listed[id]; ok {
					removed[id] = listed[id]
					continue
				}
				reads = append(reads, func() {
					v, err := primary.Volume(ctx, id)
					if err != nil && !errors.Is(err, openstack.ErrNotFound) {
						err = e.cloudError(primary.Name(), "read volume "+id, err)
						mu.Lock()
						c.err = err
						mu.Unlock()
						return
					}
					mu.Lock()
					removed[id] = v
					mu.Unlock()
				})
			}
		}
	}
	parallel(reads...)
	// The recovery description of each instance added: the servers were
	// read with the volumes; their ports take one Neutron listing for the
	// batch.
	var instances []string
	for _, c := range batch {
		if c.add != nil && c.err == nil && c.iv != nil {
			instances = append(instances, c.add.InstanceID)
		}
	}
	if len(instances) > 0 {
		var net *instancePorts
		if ahead != nil {
			// Read for every instance the batch adds: a superset.
			net = ahead(primary.Name())
		}
		if net == nil {
			net = e.readInstancePorts(ctx, primary, instances)
		}
		var describe []func()
		for _, c := range batch {
			if c.add != nil && c.err == nil && c.iv != nil {
				describe = append(describe, func() {
					c.recovery, c.err = e.describeInstanceWith(ctx, primary, c.iv.server, c.iv.attachments, c.iv.volumes, net)
				})
			}
		}
		parallel(describe...)
	}
	return removed, nil
}

// memberPlan is what a batch changes on the cloud and the arrays.
type memberPlan struct {
	toAdd, toRemove []string            // volumes joining and leaving the consistency group
	protect         []*openstack.Volume // volumes the policy's arrays start protecting
	unprotect       []string            // volumes they stop protecting
	removed         map[string]*openstack.Volume
	first           *memberChange // the first change made, for its error words
	active          int           // the changes made
}

// planMemberBatch edits the document change by change in the order they
// came, and says what the cloud and arrays must do for it. errUnchanged
// when no change is left to make, errSplit when the changes must be made
// one at a time.
func (e *Engine) planMemberBatch(d *document, batch []*memberChange, removed map[string]*openstack.Volume) (*memberPlan, error) {
	p := &memberPlan{removed: removed}
	for _, c := range batch {
		if c.err != nil {
			continue
		}
		if c.add == nil {
			i, m := d.member(c.removeID)
			if m == nil {
				continue
			}
			for _, id := range m.VolumeIDs {
				if v := removed[id]; v != nil && v.GroupID == d.Group.PrimaryConsistencyGroup {
					p.toRemove = append(p.toRemove, id)
				}
			}
			p.unprotect = append(p.unprotect, m.VolumeIDs...)
			d.Members = append(d.Members[:i], d.Members[i+1:]...)
		} else {
			if _, m := d.member(c.add.InstanceID); m != nil {
				c.member = m.api()
				continue
			}
			iv := c.iv
			if iv.backend != "" && d.Group.Backend != "" && iv.backend != d.Group.Backend {
				// Checked against the group before the batch: let the
				// check of a change made alone give the words.
				return nil, errSplit
			}
			var ids []string
			for _, v := range iv.volumes {
				ids = append(ids, v.ID)
				if v.GroupID != d.Group.PrimaryConsistencyGroup {
					p.toAdd = append(p.toAdd, v.ID)
				}
			}
			p.protect = append(p.protect, iv.volumes...)
			if d.Group.Backend == "" {
				d.Group.Backend = iv.backend
			}
			rec := memberRecord{ID: newID("member-"), InstanceID: c.add.InstanceID, InstanceName: iv.server.Name,
				Status: MemberProtected, VolumeIDs: ids, AddedAt: e.now(), Recovery: c.recovery}
			d.Members = append(d.Members, rec)
			c.member = rec.api()
		}
		c.active = true
		if p.first == nil {
			p.first = c
		}
		p.active++
	}
	if p.active == 0 {
		return nil, errUnchanged
	}
	if p.active > 1 && overlap(p.toAdd, p.toRemove) {
		return nil, errSplit
	}
	if len(d.Members) == 0 {
		d.Group.Backend = ""
	}
	return p, nil
}

// applyMemberPlan makes the cloud and array side of a batch: one update of
// the consistency group, then the policy's arrays. errSplit when Cinder
// refuses a batch: which change it objected to is not known.
func (e *Engine) applyMemberPlan(ctx context.Context, d *document, primary *openstack.Site, p *memberPlan) error {
	if len(p.toAdd) > 0 || len(p.toRemove) > 0 {
		if err := e.changeGroupVolumes(ctx, primary, d.Group.PrimaryConsistencyGroup, p.toAdd, p.toRemove); err != nil {
			var apiErr *openstack.APIError
			if p.active > 1 && errors.As(err, &apiErr) {
				return errSplit
			}
			if p.first.add != nil {
				return memberError(p.first.iv.server.Name, err)
			}
			return err
		}
	}
	if d.Policy != nil {
		if err := e.protectVolumes(ctx, d, p.protect); err != nil {
			return err
		}
		if err := e.unprotectVolumes(ctx, d, primary, p.unprotect, p.removed); err != nil {
			return err
		}
	}
	return nil
}

// listRemovedVolumes reads the consistency group's volumes in one listing
// when a batch removes enough of them that the listing costs less than a
// read of each (a destroy removes every member at once): the volumes
// listed are the ones still in the group; the others (left the group or
// gone) are read one by one as before. Nil when the batch reads each.
func (e *Engine) listRemovedVolumes(ctx context.Context, d *document, primary *openstack.Site, batch []*memberChange) (map[string]*openstack.Volume, error) {
	removing, all := 0, 0
	for _, c := range batch {
		if c.add == nil {
			if _, m := d.member(c.removeID); m != nil {
				removing += len(m.VolumeIDs)
			}
		}
	}
	for _, m := range d.Members {
		all += len(m.VolumeIDs)
	}
	// A listing answers up to a page of volumes (Cinder's osapi_max_limit,
	// 1000 by default) in one request, but its body grows with the group:
	// worth it from a few volumes on, and for a quarter of the group.
	if removing < 4 || removing*4 < all || d.Group.PrimaryConsistencyGroup == "" {
		return nil, nil
	}
	vols, err := primary.VolumesInGroup(ctx, d.Group.PrimaryConsistencyGroup)
	if err != nil {
		return nil, e.cloudError(primary.Name(), "list the volumes of consistency group "+d.Group.PrimaryConsistencyGroup, err)
	}
	out := make(map[string]*openstack.Volume, len(vols))
	for i := range vols {
		out[vols[i].ID] = &vols[i]
	}
	return out, nil
}

// overlap tells whether a volume is both added and removed.
func overlap(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// errUnchanged ends a modify without writing a new version.
var errUnchanged = errors.New("unchanged")

// memberError turns Cinder's refusal to add volumes into the guide's words:
// Cinder says "not local to this node" for a volume of another backend.
func memberError(instance string, err error) error {
	var apiErr *openstack.APIError
	if errors.Is(err, openstack.ErrBadRequest) && errors.As(err, &apiErr) {
		return &Error{Kind: KindBackend, Object: instance,
			Detail: fmt.Sprintf("Cinder refused to add the volumes of instance %s to the consistency group: %s", instance, apiErr.Message),
			Fix:    "All volumes in a consistency group must share one storage backend: check os-vol-host-attr:host of each volume (admin), migrate the volumes or leave this instance out",
			Err:    err}
	}
	return err
}

// changeGroupVolumes adds and removes volumes of a consistency group and
// waits for the group to be available again. The group is normally
// available (every change waits for that), so the update is sent at once;
// when Cinder refuses it and the group is not available (another change
// under way), it waits for the group and sends it again.
func (e *Engine) changeGroupVolumes(ctx context.Context, s *openstack.Site, cg string, add, remove []string) error {
	opts := openstack.GroupUpdateOpts{AddVolumes: add, RemoveVolumes: remove}
	err := s.UpdateGroup(ctx, cg, opts)
	var apiErr *openstack.APIError
	if errors.As(err, &apiErr) {
		g, gerr := s.Group(ctx, cg)
		if gerr == nil && g.Status != openstack.GroupStatusAvailable {
			if _, werr := s.WaitForGroup(ctx, cg, openstack.GroupStatusAvailable); werr != nil {
				return e.cloudError(s.Name(), "wait for consistency group "+cg, werr)
			}
			err = s.UpdateGroup(ctx, cg, opts)
		}
	}
	if err != nil {
		if errors.As(err, &apiErr) {
			return err
		}
		return e.cloudError(s.Name(), "change the volumes of consistency group "+cg, err)
	}
	if _, err := s.WaitForGroup(ctx, cg, openstack.GroupStatusAvailable); err != nil {
		return e.cloudError(s.Name(), "wait for consistency group "+cg, err)
	}
	return nil
}

// GetMember reads a member by id, or by instance id, with what drifted:
// volumes that left the consistency group, a deleted instance, a retyped
// volume.
func (e *Engine) GetMember(ctx context.Context, groupID, idOrInstance string) (*Member, *Group, error) {
	r, err := e.readGroup(ctx, groupID)
	if err != nil {
		return nil, nil, err
	}
	g := groupOf(r.doc)
	g.setSync(r.sync)
	g.setPeer(r.in.peer)
	g.Drift = append([]string(nil), r.in.drift...)
	for i := range g.Members {
		if g.Members[i].ID == idOrInstance || g.Members[i].InstanceID == idOrInstance {
			m := g.Members[i]
			e.memberDrift(ctx, r.doc, r.site, r.in, &m)
			return &m, g, nil
		}
	}
	return nil, g, ErrNotFound
}

// RemoveMember takes the member's volumes out of the consistency group and
// the Pure group and records the removal. The VM is not affected.
func (e *Engine) RemoveMember(ctx context.Context, groupID, memberID string) error {
	return e.queueMemberChange(ctx, groupID, &memberChange{removeID: memberID})
}
