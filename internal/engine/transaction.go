package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// modify applies a change to a group: it checks that both sites answer
// before anything changes, runs change on a copy of the newest metadata
// (change does the cloud and array work and edits the copy), writes the copy
// as version N+1 on the primary site and pushes it to the secondary.
func (e *Engine) modify(ctx context.Context, id string, change func(d *document, primary, secondary *openstack.Site) error) (*document, error) {
	unlock := e.groupLock(id)
	defer unlock()
	return e.modifyLocked(ctx, id, change)
}

// modifyLocked is modify for a caller that holds the group's lock. One
// call is one version, however much change does: members that arrive
// together are one modification of the group (the guide: every
// modification increments the version), so a batch waits for one write
// and one push instead of one per member.
//
// The change starts from the newest complete document of both sites
// (reconcile): a version the peer already holds is never written again with
// other content.
func (e *Engine) modifyLocked(ctx context.Context, id string, change func(d *document, primary, secondary *openstack.Site) error) (*document, error) {
	next, primary, err := e.nextVersion(ctx, id, change)
	// What was read before the change is stale now; the version written
	// starts the group's next change and answers the checks that follow.
	e.forget(id)
	if err != nil {
		return nil, err
	}
	e.keepWritten(next, primary)
	return next, nil
}

// nextVersion makes a change as the group's next version and returns it
// with the primary site it was written to.
func (e *Engine) nextVersion(ctx context.Context, id string, change func(d *document, primary, secondary *openstack.Site) error) (*document, *openstack.Site, error) {
	cur, primary, secondary, err := e.changeBase(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	next := cur.clone()
	if err := change(next, primary, secondary); err != nil {
		return nil, nil, err
	}
	next.Version = cur.Version + 1
	next.ModifiedAt = e.now()
	next.ModifiedBy = cur.Group.PrimarySite
	if err := writeDocument(ctx, primary, next); err != nil {
		return nil, nil, e.cloudError(primary.Name(), "write metadata", err)
	}
	rec, err := e.push(ctx, primary, secondary, next)
	if err != nil {
		return nil, nil, err
	}
	next.pushed = rec
	return next, primary, nil
}

// changeBase is the newest complete document of a group on both sites
// (reconcile), its primary and its secondary site. The version this process
// wrote last stands in for the primary's read: when both sites' listings
// show it still the newest, nothing is read (a batch of members follows the
// one before it without reading the group again); when another run wrote
// since, the newer is read as reconcile reads it, and a group whose primary
// moved meanwhile is loaded afresh.
func (e *Engine) changeBase(ctx context.Context, id string) (*document, *openstack.Site, *openstack.Site, error) {
	if w := e.lastWritten(id); w != nil {
		cur, secondary, err := e.reconcile(ctx, w.doc, w.site)
		if err != nil || cur.Group.PrimarySite == w.site.Name() {
			return cur, w.site, secondary, err
		}
	}
	cur, primary, err := e.loadGroup(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	cur, secondary, err := e.reconcile(ctx, cur, primary)
	return cur, primary, secondary, err
}

// push copies a version to the secondary site and records the outcome in
// the sync log and the sync record on the primary. A push that did not
// arrive leaves the group visibly out of sync (the next refresh shows the
// drift and an apply repairs it); it is not an error. The secondary holding
// another document at the version pushed is: the sites disagree, and that
// is returned. It returns the sync record it wrote.
func (e *Engine) push(ctx context.Context, primary, secondary *openstack.Site, d *document) (*syncRecord, error) {
	id := d.Group.ID
	start := e.now()
	// The container exists but on a peer that never held a group: create
	// it only when the write says it is missing.
	err := writeDocument(ctx, secondary, d.clone())
	if errors.Is(err, openstack.ErrNotFound) {
		if err = secondary.EnsureContainer(ctx, container); err == nil {
			err = writeDocument(ctx, secondary, d.clone())
		}
	}
	rec := syncRecord{Status: SyncSynced, RemoteVersion: d.Version, LastSync: start}
	entry := syncLogRecord{Version: d.Version, Time: start, Outcome: SyncSynced, Duration: e.now().Sub(start)}
	if err != nil {
		entry.Outcome, entry.Error = SyncFailed, err.Error()
		if openstack.IsUnreachable(err) {
			entry.Outcome = SyncUnreachable
		}
		rec = syncRecord{Status: entry.Outcome, Error: entry.Error, LastSync: start}
		e.debug(ctx, "metadata push failed", map[string]any{"group": id, "version": d.Version, "error": entry.Error})
		if v, _, err := newestVersion(ctx, secondary, id); err == nil {
			rec.RemoteVersion = v
		}
	}
	parallel(
		func() { _ = putJSON(ctx, primary, logObject(id, start, d.Version), entry, false) },
		func() { _ = putJSON(ctx, primary, syncObject(id), rec, false) },
	)
	if IsKind(err, KindConflict) {
		return nil, &Error{Kind: KindConflict, Site: secondary.Name(), Object: d.Group.Name,
			Detail: fmt.Sprintf("the change is recorded on %s as metadata version %d, but %s already holds another document at that version: "+
				"the two sites now disagree", primary.Name(), d.Version, secondary.Name()),
			Fix: "Another run changed this group on the peer at the same time. Run a plan: the group's drift says which site holds what; " +
				"delete the wrong copy as it says, then apply again",
			Err: err}
	}
	return &rec, nil
}
