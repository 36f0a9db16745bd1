package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

type nameRecord struct {
	ID string `json:"id"`
}

// CreateGroup creates the consistency groups on both sites and metadata
// version 1 on both, and returns the group once active. A create that failed
// half-way resumes: the name record and the pending record remember the
// group's id and the consistency groups already made, so a re-run neither
// orphans nor duplicates them.
func (e *Engine) CreateGroup(ctx context.Context, spec GroupSpec) (_ *Group, err error) {
	var (
		records            [2]*siteRecord
		checkErr, orphaned error
	)
	parallel(
		func() { _, records, checkErr = e.checkGroup(ctx, spec, true) },
		func() { orphaned = e.checkOrphans(ctx, spec) },
	)
	if checkErr != nil {
		return nil, checkErr
	}
	if orphaned != nil {
		return nil, orphaned
	}
	primary, _ := e.site(spec.PrimarySite)
	secondary, _ := e.site(spec.SecondarySite)

	id, resumed, err := e.claimName(ctx, primary, spec.Name, spec.ID)
	if err != nil {
		return nil, err
	}
	unlock := e.groupLock(id)
	defer unlock()
	var d *document
	defer func() {
		// A plan's answer that the group does not exist yet ends here;
		// version 1 starts the group's first change.
		e.forget(id)
		if err == nil {
			e.keepWritten(d, primary)
		}
	}()

	var pending pendingRecord
	if resumed {
		// Only a create that claimed the name before this one can have
		// left a pending record.
		if err := getJSON(ctx, primary, pendingObject(id), &pending); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, e.cloudError(spec.PrimarySite, "read the pending record", err)
		}
	}
	pending.ID = id

	// Both sites' consistency groups are made side by side; the pending
	// record names each one as soon as it exists.
	var mu sync.Mutex
	record := func(cg *string, made string) error {
		mu.Lock()
		defer mu.Unlock()
		*cg = made
		if err := putRecord(ctx, primary, pendingObject(id), pending); err != nil {
			return e.cloudError(spec.PrimarySite, "write the pending record", err)
		}
		return nil
	}
	made := func(s *openstack.Site, rec *siteRecord, cg *string) error {
		if *cg == "" && resumed {
			found, err := e.unrecordedConsistencyGroup(ctx, s, spec.Name, id)
			if err != nil {
				return err
			}
			mu.Lock()
			*cg = found
			mu.Unlock()
		}
		if *cg == "" {
			created, err := e.createConsistencyGroup(ctx, s, rec, spec, id)
			if err != nil {
				return err
			}
			if err := record(cg, created); err != nil {
				return err
			}
		}
		if _, err := s.WaitForGroup(ctx, *cg, openstack.GroupStatusAvailable); err != nil {
			return e.cloudError(s.Name(), "wait for consistency group "+*cg, err)
		}
		return nil
	}
	var errs [2]error
	parallel(
		func() { errs[0] = made(primary, records[0], &pending.PrimaryConsistencyGroup) },
		func() { errs[1] = made(secondary, records[1], &pending.SecondaryConsistencyGroup) },
	)
	for _, err := range errs {
		if err != nil {
			return nil, createdSoFar(err, spec, pending)
		}
	}

	now := e.now()
	d = &document{
		Version:    1,
		ModifiedAt: now,
		ModifiedBy: spec.PrimarySite,
		Members:    []memberRecord{},
		Group: groupRecord{
			ID:                        id,
			Name:                      spec.Name,
			Description:               spec.Description,
			PrimarySite:               spec.PrimarySite,
			SecondarySite:             spec.SecondarySite,
			ReplicationType:           spec.ReplicationType,
			VolumeType:                spec.VolumeType,
			Status:                    StatusActive,
			PrimaryConsistencyGroup:   pending.PrimaryConsistencyGroup,
			SecondaryConsistencyGroup: pending.SecondaryConsistencyGroup,
			CreatedAt:                 now,
			NetworkMappings:           emptyToNil(spec.Mappings.Networks),
			FlavorMappings:            emptyToNil(spec.Mappings.Flavors),
		},
	}
	if err := writeDocument(ctx, primary, d); err != nil {
		return nil, e.cloudError(spec.PrimarySite, "write metadata version 1", err)
	}
	rec, err := e.push(ctx, primary, secondary, d)
	if err != nil {
		return nil, err
	}
	d.pushed = rec
	parallel(
		func() {
			if err := putJSON(ctx, secondary, nameObject(spec.Name), nameRecord{ID: id}, false); err != nil {
				e.debug(ctx, "could not write the name record on the secondary site", map[string]any{"error": err.Error()})
			}
		},
		func() { _ = primary.DeleteObject(ctx, container, pendingObject(id)) },
	)
	e.rememberGroupSite(id, spec.PrimarySite)
	return e.group(ctx, primary, d), nil
}

// createdSoFar corrects the advice of a failure in the middle of a
// creation: the consistency groups already made are kept, recorded in the
// pending record, and reused by the next run, so "nothing was changed"
// would not be true.
func createdSoFar(err error, spec GroupSpec, pending pendingRecord) error {
	var made []string
	if pending.PrimaryConsistencyGroup != "" {
		made = append(made, fmt.Sprintf("consistency group %s on %s", pending.PrimaryConsistencyGroup, spec.PrimarySite))
	}
	if pending.SecondaryConsistencyGroup != "" {
		made = append(made, fmt.Sprintf("consistency group %s on %s", pending.SecondaryConsistencyGroup, spec.SecondarySite))
	}
	var ee *Error
	if len(made) == 0 || !errors.As(err, &ee) {
		return err
	}
	c := *ee
	c.Fix = fmt.Sprintf("Protection group %s is not created yet; %s already exists and is recorded as pending. "+
		"Apply again once the site answers: the creation resumes with it, without a duplicate", spec.Name, strings.Join(made, " and "))
	return &c
}

// claimName reserves a group name on the primary site and returns the id
// the group gets: planned, the id its plan proposed, or a new one. A name
// whose group never finished creating is resumed (resumed is then true).
func (e *Engine) claimName(ctx context.Context, primary *openstack.Site, name, planned string) (id string, resumed bool, err error) {
	id = planned
	if id == "" {
		id = newID(groupIDPrefix)
	}
	err = putJSON(ctx, primary, nameObject(name), nameRecord{ID: id}, true)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, openstack.ErrPreconditionFailed) {
		return "", false, e.cloudError(primary.Name(), "reserve the group name", err)
	}
	var rec nameRecord
	if err := getJSON(ctx, primary, nameObject(name), &rec); err != nil {
		return "", false, e.cloudError(primary.Name(), "read the group name record", err)
	}
	if v, _, err := newestVersion(ctx, primary, rec.ID); err != nil {
		return "", false, e.cloudError(primary.Name(), "read the metadata of group "+rec.ID, err)
	} else if v > 0 {
		return "", false, &Error{Kind: KindNameTaken, Site: primary.Name(), Object: name,
			Detail: fmt.Sprintf("a protection group named %q already exists on %s (id %s)", name, primary.Name(), rec.ID),
			Fix:    fmt.Sprintf("Names are unique per project: choose another name, or import the existing group (terraform import ... %s/%s)", primary.Name(), name)}
	}
	if planned != "" && rec.ID != planned {
		return "", false, &Error{Kind: KindConflict, Site: primary.Name(), Object: name,
			Detail: fmt.Sprintf("the creation of protection group %q was started by another run (id %s) after this plan proposed id %s", name, rec.ID, planned),
			Fix:    "Nothing was changed. Plan again: the new plan resumes that creation"}
	}
	return rec.ID, true, nil
}

// unrecordedConsistencyGroup finds the consistency group of protection
// group id on a site that a create whose answer was lost (or cut short by a
// time limit) made without any record naming it: a re-run adopts it rather
// than make a second one. "" when there is none.
func (e *Engine) unrecordedConsistencyGroup(ctx context.Context, s *openstack.Site, name, id string) (string, error) {
	cgs, err := s.GroupsNamed(ctx, name)
	if err != nil {
		return "", e.cloudError(s.Name(), "list the consistency groups", err)
	}
	for _, g := range cgs {
		if g.Description != consistencyGroupDescription(name, id) {
			continue
		}
		switch g.Status {
		case openstack.GroupStatusCreating, openstack.GroupStatusAvailable, openstack.GroupStatusUpdating, openstack.GroupStatusInUse:
			return g.ID, nil
		}
	}
	return "", nil
}

// consistencyGroupDescription names the protection group in its Cinder
// groups, so that a group whose creation answer was lost can be found.
func consistencyGroupDescription(name, id string) string {
	return fmt.Sprintf("Consistency group of protection group %s (%s)", name, id)
}

// createConsistencyGroup creates the consistency group of protection group
// id on a site, of the group type its site record names (rec; read when
// nil).
func (e *Engine) createConsistencyGroup(ctx context.Context, s *openstack.Site, rec *siteRecord, spec GroupSpec, id string) (string, error) {
	if rec == nil {
		var err error
		if rec, _, err = e.readSiteRecord(ctx, s.Name()); err != nil {
			return "", err
		}
	}
	vt, err := e.volumeType(ctx, s, spec.VolumeType)
	if err != nil {
		return "", e.cloudError(s.Name(), "read volume type "+spec.VolumeType, err)
	}
	groupType := rec.ConsistencyGroupTypeID
	if groupType == "" {
		groupType = rec.ConsistencyGroupType
	}
	g, err := s.CreateGroup(ctx, openstack.GroupCreateOpts{
		Name:        spec.Name,
		Description: consistencyGroupDescription(spec.Name, id),
		GroupType:   groupType,
		VolumeTypes: []string{vt.ID},
	})
	if err != nil {
		return "", e.cloudError(s.Name(), "create the consistency group", err)
	}
	return g.ID, nil
}

// group turns metadata into the engine's view, with the sync status the
// primary site recorded.
func (e *Engine) group(ctx context.Context, primary *openstack.Site, d *document) *Group {
	g := groupOf(d)
	if d.pushed != nil {
		// Written by this change: no need to read it back.
		g.setSync(d.pushed)
		return g
	}
	var rec syncRecord
	if err := getJSON(ctx, primary, syncObject(d.Group.ID), &rec); err == nil {
		g.setSync(&rec)
	}
	return g
}

// groupOf is the engine's view of a metadata document.
func groupOf(d *document) *Group {
	return &Group{
		ID:                        d.Group.ID,
		Name:                      d.Group.Name,
		Description:               d.Group.Description,
		PrimarySite:               d.Group.PrimarySite,
		SecondarySite:             d.Group.SecondarySite,
		ReplicationType:           d.Group.ReplicationType,
		VolumeType:                d.Group.VolumeType,
		Status:                    d.Group.Status,
		FailoverCount:             d.Group.FailoverCount,
		PrimaryConsistencyGroup:   d.Group.PrimaryConsistencyGroup,
		SecondaryConsistencyGroup: d.Group.SecondaryConsistencyGroup,
		Backend:                   d.Group.Backend,
		MetadataVersion:           d.Version,
		CreatedAt:                 d.Group.CreatedAt,
		UpdatedAt:                 d.ModifiedAt,
		Members:                   membersOf(d),
		Mappings:                  ResourceMappings{Networks: maps.Clone(d.Group.NetworkMappings), Flavors: maps.Clone(d.Group.FlavorMappings)},
		Policy:                    d.Policy.api(),
		Sync:                      SyncStatus{LocalVersion: d.Version},
	}
}

// setPeer replaces what the last push recorded with what a refresh saw
// on both sites now; the time of the last push stays the record's.
func (g *Group) setPeer(pv peerView) {
	g.Sync.Status, g.Sync.Error = pv.status, ""
	if pv.live {
		g.Sync.RemoteVersion = pv.version
	}
	switch {
	case pv.status == SyncSynced:
	case pv.drift != "":
		g.Sync.Error = pv.drift
	case pv.err != nil:
		g.Sync.Error = pv.err.Error()
	}
}

func (g *Group) setSync(rec *syncRecord) {
	if rec == nil {
		return
	}
	g.Sync.Status = rec.Status
	g.Sync.RemoteVersion = rec.RemoteVersion
	g.Sync.LastSync = rec.LastSync
	g.Sync.Error = rec.Error
}

// PushFailed says, for a group just changed, that its new version is
// recorded on the primary site but its push to the peer failed, and what
// follows: the change is made, the next plan shows the repair. "" when the
// push succeeded (or none was made).
func (g *Group) PushFailed() (summary, detail string) {
	if g.Sync.Status == "" || g.Sync.Status == SyncSynced {
		return "", ""
	}
	return fmt.Sprintf("Protection group %s is out of sync (%s)", g.Name, g.Sync.Status),
		fmt.Sprintf("Metadata version %d is recorded on %s, but its push to %s failed: %s. %s holds version %d. "+
			"The change itself is made; the next plan shows the repair (drift) and apply pushes the version once %s answers "+
			"(the guide's sync-force).", g.MetadataVersion, g.PrimarySite, g.SecondarySite, g.Sync.Error, g.SecondarySite,
			g.Sync.RemoteVersion, g.SecondarySite)
}

// GetGroup reads a group by id from its primary site (searching the known
// sites the first time); ErrNotFound when it is gone.
func (e *Engine) GetGroup(ctx context.Context, id string) (*Group, error) {
	r, err := e.readGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	g := groupOf(r.doc)
	g.setSync(r.sync)
	g.setPeer(r.in.peer)
	g.Drift = append([]string(nil), r.in.drift...)
	return g, nil
}

// FindGroup finds a group by id or name on the given site (for import).
func (e *Engine) FindGroup(ctx context.Context, site, idOrName string) (*Group, error) {
	s, err := e.site(site)
	if err != nil {
		return nil, err
	}
	id := idOrName
	if !strings.HasPrefix(idOrName, "pg-") {
		var rec nameRecord
		if err := getJSON(ctx, s, nameObject(idOrName), &rec); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, ErrNotFound
			}
			return nil, e.cloudError(site, "look up group "+idOrName, err)
		}
		id = rec.ID
	}
	d, err := readDocument(ctx, s, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, ErrNotFound
		}
		return nil, e.cloudError(site, "read the metadata of group "+id, err)
	}
	e.rememberGroupSite(id, d.Group.PrimarySite)
	e.forget(id)
	return e.GetGroup(ctx, id)
}

// UpdateGroupDescription changes the description (metadata version + 1).
func (e *Engine) UpdateGroupDescription(ctx context.Context, id, description string) (*Group, error) {
	d, err := e.modify(ctx, id, func(d *document, _, _ *openstack.Site) error {
		d.Group.Description = description
		return nil
	})
	if err != nil {
		return nil, err
	}
	s, _ := e.site(d.Group.PrimarySite)
	return e.group(ctx, s, d), nil
}

// DeletionBlocked refuses to delete a group while a DR operation
// (failing_over, failing_back) is in progress: the operation's volumes on
// the secondary site would be orphaned. Nil when the status allows it. The
// provider asks it at plan with the state's status; DeleteGroup asks it
// again with the metadata's.
func DeletionBlocked(primarySite, name, status string) error {
	if status != StatusFailingOver && status != StatusFailingBack {
		return nil
	}
	return &Error{Kind: KindBlocked, Site: primarySite, Object: name,
		Detail: fmt.Sprintf("protection group %s is %s, and deleting it now could leave orphaned volumes on the secondary site", name, status),
		Fix:    "Wait for the DR operation to complete or reach a terminal state, then run again. Nothing was deleted"}
}

// DeleteGroup cascades to the members, the consistency groups on both
// sites, the Pure group the engine created, and the metadata on both sites.
// It is refused while a DR operation runs.
func (e *Engine) DeleteGroup(ctx context.Context, id string) error {
	unlock := e.groupLock(id)
	defer unlock()
	defer e.forget(id)
	d, primary, err := e.loadGroup(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := DeletionBlocked(d.Group.PrimarySite, d.Group.Name, d.Group.Status); err != nil {
		return err
	}
	secondary, err := e.bothReachable(ctx, d.Group.PrimarySite, d.Group.SecondarySite)
	if err != nil {
		return err
	}
	if d.Policy != nil {
		if err := e.unbindArrays(ctx, d); err != nil {
			return err
		}
	}
	// Side by side: each site waits for its own Cinder transitions. A group
	// already gone is skipped, so a run after a failure here finishes it.
	var primaryErr, secondaryErr error
	parallel(
		func() { primaryErr = e.deleteConsistencyGroup(ctx, primary, d.Group.PrimaryConsistencyGroup) },
		func() { secondaryErr = e.deleteConsistencyGroup(ctx, secondary, d.Group.SecondaryConsistencyGroup) },
	)
	if err := cmp.Or(primaryErr, secondaryErr); err != nil {
		return err
	}
	if err := e.recordGeneration(ctx, primary, d); err != nil {
		return err
	}
	for _, s := range []*openstack.Site{secondary, primary} {
		if err := deletePrefix(ctx, s, groupPrefix(id)); err != nil {
			return e.cloudError(s.Name(), "delete the metadata", err)
		}
		var rec nameRecord
		if err := getJSON(ctx, s, nameObject(d.Group.Name), &rec); err == nil && rec.ID == id {
			_ = s.DeleteObject(ctx, container, nameObject(d.Group.Name))
		}
	}
	return nil
}

// deleteConsistencyGroup empties a Cinder group and deletes it; the volumes
// themselves are kept (VMs are not affected).
func (e *Engine) deleteConsistencyGroup(ctx context.Context, s *openstack.Site, cg string) error {
	if cg == "" {
		return nil
	}
	g, err := s.Group(ctx, cg)
	if errors.Is(err, openstack.ErrNotFound) {
		return nil
	}
	if err != nil {
		return e.cloudError(s.Name(), "read consistency group "+cg, err)
	}
	if g.Status != "available" && g.Status != "error" {
		if g, err = s.WaitForGroup(ctx, cg, "available", "error"); err != nil {
			return e.cloudError(s.Name(), "wait for consistency group "+cg, err)
		}
	}
	if len(g.VolumeIDs) > 0 {
		if err := s.UpdateGroup(ctx, cg, openstack.GroupUpdateOpts{RemoveVolumes: g.VolumeIDs}); err != nil {
			return e.cloudError(s.Name(), "remove the volumes of consistency group "+cg, err)
		}
		if _, err := s.WaitForGroup(ctx, cg, "available"); err != nil {
			return e.cloudError(s.Name(), "wait for consistency group "+cg, err)
		}
	}
	if err := s.DeleteGroup(ctx, cg, false); err != nil && !errors.Is(err, openstack.ErrNotFound) {
		return e.cloudError(s.Name(), "delete consistency group "+cg, err)
	}
	if _, err := s.WaitForGroup(ctx, cg, "deleted"); err != nil && !errors.Is(err, openstack.ErrNotFound) {
		return e.cloudError(s.Name(), "wait for the deletion of consistency group "+cg, err)
	}
	return nil
}
