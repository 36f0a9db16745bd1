package flasharray

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// ProtectionGroupSnapshot is a point-in-time snapshot of a protection group,
// named <group>.<suffix> (on a target: <source>:<group>.<suffix>).
type ProtectionGroupSnapshot struct {
	ID        string
	Name      string
	Suffix    string
	Source    string // the protection group
	Created   time.Time
	Destroyed bool
}

type snapshotWire struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Suffix    string     `json:"suffix"`
	Source    *Reference `json:"source"`
	Created   *int64     `json:"created"`
	Destroyed bool       `json:"destroyed"`
}

func (w snapshotWire) snapshot() ProtectionGroupSnapshot {
	s := ProtectionGroupSnapshot{ID: w.ID, Name: w.Name, Suffix: w.Suffix, Created: millis(w.Created), Destroyed: w.Destroyed}
	if w.Source != nil {
		s.Source = w.Source.Name
	}
	return s
}

// CreateProtectionGroupSnapshot takes a snapshot of a group; with
// replicateNow it is sent at once to every allowed target.
func (c *Client) CreateProtectionGroupSnapshot(ctx context.Context, group string, replicateNow bool) (*ProtectionGroupSnapshot, error) {
	q := url.Values{"source_names": {group}}
	if replicateNow {
		q.Set("replicate_now", "true")
	}
	w, err := first[snapshotWire](ctx, c, http.MethodPost, pathProtectionGroupSnaps, q, map[string]any{})
	if err != nil {
		return nil, err
	}
	s := w.snapshot()
	return &s, nil
}

// ProtectionGroupSnapshots lists the snapshots of a group, oldest first.
func (c *Client) ProtectionGroupSnapshots(ctx context.Context, group string) ([]ProtectionGroupSnapshot, error) {
	wires, err := list[snapshotWire](ctx, c, pathProtectionGroupSnaps, url.Values{"source_names": {group}}, true)
	if err != nil {
		return nil, err
	}
	out := make([]ProtectionGroupSnapshot, 0, len(wires))
	for _, w := range wires {
		out = append(out, w.snapshot())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// SnapshotTransfer is the replication progress of one snapshot. Created is
// when the snapshot was taken on the source (the recovery point); Started
// and Completed are zero until the transfer starts and ends.
type SnapshotTransfer struct {
	Name            string
	Created         time.Time
	Started         time.Time
	Completed       time.Time
	Progress        float64 // 0..1
	DataTransferred int64
	Destroyed       bool
}

// Done reports a completed transfer.
func (t SnapshotTransfer) Done() bool { return !t.Completed.IsZero() || t.Progress >= 1 }

type transferWire struct {
	Name            string   `json:"name"`
	Started         *int64   `json:"started"`
	Completed       *int64   `json:"completed"`
	Progress        *float64 `json:"progress"`
	DataTransferred int64    `json:"data_transferred"`
	Destroyed       bool     `json:"destroyed"`
}

// ProtectionGroupSnapshotTransfers lists the snapshots of a group with their
// transfer state, oldest first. Ask the target array, for <source>:<group>,
// to learn what has arrived there. The transfer records have no creation
// time, so it is taken from the snapshots themselves.
func (c *Client) ProtectionGroupSnapshotTransfers(ctx context.Context, group string) ([]SnapshotTransfer, error) {
	q := url.Values{"source_names": {group}}
	// The transfer endpoint takes no continuation_token (FA2.26): it pages
	// with offset.
	// The snapshots give each transfer its creation time; the two listings
	// are independent, so they run side by side.
	var (
		snaps   []ProtectionGroupSnapshot
		snapErr error
		read    = make(chan struct{})
	)
	go func() {
		defer close(read)
		snaps, snapErr = c.ProtectionGroupSnapshots(ctx, group)
	}()
	wires, err := list[transferWire](ctx, c, pathProtectionGroupTransfer, q, false)
	<-read
	if err != nil {
		return nil, err
	}
	if snapErr != nil {
		return nil, snapErr
	}
	created := make(map[string]time.Time, len(snaps))
	for _, s := range snaps {
		created[s.Name] = s.Created
	}
	out := make([]SnapshotTransfer, 0, len(wires))
	for _, w := range wires {
		t := SnapshotTransfer{Name: w.Name, Created: created[w.Name], Started: millis(w.Started), Completed: millis(w.Completed),
			DataTransferred: w.DataTransferred, Destroyed: w.Destroyed}
		if w.Progress != nil {
			t.Progress = *w.Progress
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return suffixLess(out[i].Name, out[j].Name)
	})
	return out, nil
}

// NewestCompleted returns the newest completed, not destroyed transfer:
// its Created is the recovery point on the target.
func NewestCompleted(transfers []SnapshotTransfer) (SnapshotTransfer, bool) {
	var best SnapshotTransfer
	found := false
	for _, t := range transfers {
		if t.Destroyed || !t.Done() {
			continue
		}
		if !found || t.Created.After(best.Created) {
			best, found = t, true
		}
	}
	return best, found
}

// suffixLess orders snapshot names by their numeric suffix when both have
// one (pg.9 before pg.10).
func suffixLess(a, b string) bool {
	na, ea := strconv.Atoi(suffixOf(a))
	nb, eb := strconv.Atoi(suffixOf(b))
	if ea == nil && eb == nil {
		return na < nb
	}
	return a < b
}

func suffixOf(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[i+1:]
		}
	}
	return name
}
