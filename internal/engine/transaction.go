package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// modifyLocked is modify for a caller that holds the group's lock.
func (e *Engine) modifyLocked(ctx context.Context, id string, change func(d *document, primary, secondary *openstack.Site) error) (*document, error) {
	return e.modifySteps(ctx, id, func(d *document, primary, secondary *openstack.Site) ([]*document, error) {
		return nil, change(d, primary, secondary)
	})
}

// modifySteps is modifyLocked for changes made together that each count
// as a version of their own: change edits the final document and returns
// the states before it, one per change; each is written as the next
// version and pushed, so that both sites hold every version. Versions stay
// one per change, whatever the batching: the numbers an apply ends at do
// not depend on how OpenTofu's parallel creates met.
//
// The change starts from the newest complete document of both sites
// (reconcile): a version the peer already holds is never written again with
// other content.
func (e *Engine) modifySteps(ctx context.Context, id string, change func(d *document, primary, secondary *openstack.Site) ([]*document, error)) (*document, error) {
	cur, primary, err := e.loadGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	secondary, err := e.bothReachable(ctx, cur.Group.PrimarySite, cur.Group.SecondarySite)
	if err != nil {
		return nil, err
	}
	defer e.forget(id)
	if cur, err = e.reconcile(ctx, cur, primary, secondary); err != nil {
		return nil, err
	}
	next := cur.clone()
	steps, err := change(next, primary, secondary)
	if err != nil {
		return nil, err
	}
	docs := append(steps, next)
	for i, d := range docs {
		d.Version = cur.Version + 1 + i
		d.ModifiedAt = e.now()
		d.ModifiedBy = cur.Group.PrimarySite
	}
	// The versions before the last are written side by side (a batch of a
	// hundred members is a hundred versions: one after the other they
	// would cost a hundred round trips), the last one once they all are:
	// the newest version on the site always has every version before it.
	errs := make([]error, len(docs)-1)
	var writes []func()
	for i, d := range docs[:len(docs)-1] {
		writes = append(writes, func() { errs[i] = writeDocument(ctx, primary, d) })
	}
	parallelN(fanOut, writes...)
	for _, err := range errs {
		if err != nil {
			return nil, e.cloudError(primary.Name(), "write metadata", err)
		}
	}
	if err := writeDocument(ctx, primary, next); err != nil {
		return nil, e.cloudError(primary.Name(), "write metadata", err)
	}
	if err := e.push(ctx, primary, secondary, docs...); err != nil {
		return nil, err
	}
	return next, nil
}

// push copies versions to the secondary site, side by side, and records
// the outcome of each in the sync log and of all in the sync record on the
// primary. A push that did not arrive leaves the group visibly out of sync
// (the next refresh shows the drift and an apply repairs it); it is not an
// error. The secondary holding another document at a version pushed is: the
// sites disagree, and that is returned.
func (e *Engine) push(ctx context.Context, primary, secondary *openstack.Site, docs ...*document) error {
	if len(docs) == 0 {
		return nil
	}
	id := docs[0].Group.ID
	start := e.now()
	errs := make([]error, len(docs))
	took := make([]time.Duration, len(docs))
	calls := make([]func(), 0, len(docs))
	for i, d := range docs {
		calls = append(calls, func() {
			// The container exists but on a peer that never held a group:
			// create it only when the write says it is missing.
			err := writeDocument(ctx, secondary, d.clone())
			if errors.Is(err, openstack.ErrNotFound) {
				if err = secondary.EnsureContainer(ctx, container); err == nil {
					err = writeDocument(ctx, secondary, d.clone())
				}
			}
			errs[i], took[i] = err, e.now().Sub(start)
		})
	}
	parallelN(fanOut, calls...)

	last := docs[len(docs)-1]
	rec := syncRecord{Status: SyncSynced, RemoteVersion: last.Version, LastSync: start}
	var conflict error
	calls = calls[:0]
	entries := make([]syncLogRecord, 0, len(docs))
	for i, d := range docs {
		entry := syncLogRecord{Version: d.Version, Time: start, Outcome: SyncSynced, Duration: took[i]}
		if err := errs[i]; err != nil {
			entry.Outcome, entry.Error = SyncFailed, err.Error()
			if openstack.IsUnreachable(err) {
				entry.Outcome = SyncUnreachable
			}
			if IsKind(err, KindConflict) && conflict == nil {
				conflict = err
			}
			if rec.Status == SyncSynced || entry.Outcome == SyncUnreachable {
				rec = syncRecord{Status: entry.Outcome, Error: entry.Error, LastSync: start}
			}
			e.debug(ctx, "metadata push failed", map[string]any{"group": id, "version": d.Version, "error": entry.Error})
		}
		entries = append(entries, entry)
	}
	// One log object for the push, however many versions it carried.
	var logged any = entries[0]
	if len(entries) > 1 {
		logged = struct {
			Entries []syncLogRecord `json:"entries"`
		}{entries}
	}
	calls = append(calls, func() { _ = putJSON(ctx, primary, logObject(id, start, last.Version), logged, false) })
	if rec.Status != SyncSynced {
		if v, _, err := newestVersion(ctx, secondary, id); err == nil {
			rec.RemoteVersion = v
		}
	}
	calls = append(calls, func() { _ = putJSON(ctx, primary, syncObject(id), rec, false) })
	parallelN(fanOut, calls...)
	if conflict != nil {
		return &Error{Kind: KindConflict, Site: secondary.Name(), Object: last.Group.Name,
			Detail: fmt.Sprintf("the change is recorded on %s as metadata version %d, but %s already holds another document at a version pushed: "+
				"the two sites now disagree", primary.Name(), last.Version, secondary.Name()),
			Fix: "Another run changed this group on the peer at the same time. Run a plan: the group's drift says which site holds what; " +
				"delete the wrong copy as it says, then apply again",
			Err: conflict}
	}
	return nil
}
