package engine

import (
	"context"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// readReuse is how long a read of a group's metadata serves further reads.
// A refresh reads every member of a group within moments; one read of the
// group serves them all. Changes always read afresh.
const readReuse = 5 * time.Second

// groupRead is one read of a group's metadata and sync record.
type groupRead struct {
	doc  *document
	site *openstack.Site
	sync *syncRecord
	in   *inspection
}

// readGroup returns a group's newest metadata for reading only: callers
// must not change the document. Callers that arrive while a read runs, and
// for readReuse after, share it.
func (e *Engine) readGroup(ctx context.Context, id string) (*groupRead, error) {
	return share(ctx, e, e.reads, id, func() (*groupRead, error) {
		r := &groupRead{}
		var err error
		if r.doc, r.site, err = e.loadGroup(ctx, id); err != nil {
			return nil, err
		}
		parallel(
			func() {
				var rec syncRecord
				if err := getJSON(ctx, r.site, syncObject(id), &rec); err == nil {
					r.sync = &rec
				}
			},
			func() { r.in = e.inspect(ctx, r.doc, r.site) },
		)
		if r.in.peer.newer != nil {
			// The primary lost its newest copy: by the repair rule the
			// secondary's is the group's metadata (drift says so).
			r.doc = r.in.peer.newer
		}
		return r, nil
	})
}

// sharedRead is one read that several callers share.
type sharedRead[T any] struct {
	done chan struct{}
	at   time.Time
	val  T
	err  error
}

// share returns what fetch reads for key: one read serves the callers that
// arrive while it runs, and for readReuse after it succeeded. A failed read
// is not kept.
func share[T any](ctx context.Context, e *Engine, reads map[string]*sharedRead[T], key string, fetch func() (T, error)) (T, error) {
	e.mu.Lock()
	if r, ok := reads[key]; ok {
		e.mu.Unlock()
		select {
		case <-r.done:
			if r.err == nil && e.now().Sub(r.at) < readReuse {
				return r.val, nil
			}
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		e.mu.Lock()
		if reads[key] == r {
			delete(reads, key)
		}
		e.mu.Unlock()
		return share(ctx, e, reads, key, fetch)
	}
	r := &sharedRead[T]{done: make(chan struct{})}
	reads[key] = r
	e.mu.Unlock()
	r.val, r.err = fetch()
	r.at = e.now()
	close(r.done)
	if r.err != nil {
		e.mu.Lock()
		if reads[key] == r {
			delete(reads, key)
		}
		e.mu.Unlock()
	}
	return r.val, r.err
}

// forget drops the shared read of a group after a change.
func (e *Engine) forget(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.reads, id)
	delete(e.plannedReads, id)
	delete(e.written, id)
}

// writtenVersion is the version of a group this process wrote last, with
// the primary site it was written to.
type writtenVersion struct {
	doc  *document
	site *openstack.Site
	at   time.Time
}

// keepWritten remembers a version this process has just written and
// pushed. It must not be changed after.
func (e *Engine) keepWritten(d *document, primary *openstack.Site) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.written[d.Group.ID] = &writtenVersion{doc: d, site: primary, at: e.now()}
}

// lastWritten is the version of a group this process wrote last; nil when
// none, or when something else changed the group since (forget).
func (e *Engine) lastWritten(id string) *writtenVersion {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.written[id]
}
