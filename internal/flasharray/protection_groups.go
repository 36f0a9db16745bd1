package flasharray

import (
	"context"
	"net/http"
	"net/url"
	"slices"
)

// ReplicationSchedule is a protection group's replication schedule. Nil
// fields are left alone in a patch and absent in an answer.
type ReplicationSchedule struct {
	Enabled *bool `json:"enabled,omitempty"`
	// Frequency between replications, in milliseconds.
	Frequency *int64 `json:"frequency,omitempty"`
	// At is the preferred time of day, in seconds after midnight, for
	// frequencies of a day or more.
	At *int64 `json:"at,omitempty"`
}

// SnapshotSchedule is a protection group's local snapshot schedule.
type SnapshotSchedule struct {
	Enabled   *bool  `json:"enabled,omitempty"`
	Frequency *int64 `json:"frequency,omitempty"` // milliseconds
	At        *int64 `json:"at,omitempty"`
}

// RetentionPolicy says how long snapshots are kept: all of them for
// AllForSec seconds, then PerDay a day for Days days.
type RetentionPolicy struct {
	AllForSec *int64 `json:"all_for_sec,omitempty"`
	PerDay    *int64 `json:"per_day,omitempty"`
	Days      *int64 `json:"days,omitempty"`
}

// ProtectionGroup is a protection group as the array shows it. On a target
// array, a group replicated from a source array is named <source>:<name>.
type ProtectionGroup struct {
	ID                  string               `json:"id"` // REST 2.26+
	Name                string               `json:"name"`
	Destroyed           bool                 `json:"destroyed"`
	IsLocal             bool                 `json:"is_local"`
	Pod                 *Reference           `json:"pod"`
	Source              *Reference           `json:"source"`
	ReplicationSchedule *ReplicationSchedule `json:"replication_schedule"`
	SnapshotSchedule    *SnapshotSchedule    `json:"snapshot_schedule"`
	SourceRetention     *RetentionPolicy     `json:"source_retention"`
	TargetRetention     *RetentionPolicy     `json:"target_retention"`
	TargetCount         int                  `json:"target_count"`
	VolumeCount         int                  `json:"volume_count"`
	// TimeRemaining before a destroyed group is eradicated, in ms.
	TimeRemaining int64 `json:"time_remaining"`
}

func (pg *ProtectionGroup) normalize() {
	if pg.Pod != nil && pg.Pod.Name == "" {
		pg.Pod = nil
	}
	if pg.Source != nil && pg.Source.Name == "" {
		pg.Source = nil
	}
}

// ProtectionGroupPatch is a change to a protection group; nil fields are
// not sent.
type ProtectionGroupPatch struct {
	ReplicationSchedule *ReplicationSchedule `json:"replication_schedule,omitempty"`
	SnapshotSchedule    *SnapshotSchedule    `json:"snapshot_schedule,omitempty"`
	SourceRetention     *RetentionPolicy     `json:"source_retention,omitempty"`
	TargetRetention     *RetentionPolicy     `json:"target_retention,omitempty"`
	Destroyed           *bool                `json:"destroyed,omitempty"`
}

// ProtectionGroup returns one protection group, destroyed ones included;
// IsNotFound when the array has none by that name.
func (c *Client) ProtectionGroup(ctx context.Context, name string) (*ProtectionGroup, error) {
	items, err := list[ProtectionGroup](ctx, c, pathProtectionGroups, url.Values{"names": {name}}, true)
	if err != nil {
		return nil, err
	}
	for i := range items {
		if items[i].Name == name {
			items[i].normalize()
			return &items[i], nil
		}
	}
	return nil, &APIError{StatusCode: http.StatusNotFound, Method: http.MethodGet, Path: "/api/" + c.APIVersion() + pathProtectionGroups,
		Errors: []ErrorItem{{Context: name, Message: "Protection group does not exist."}}}
}

// CreateProtectionGroup creates an empty protection group. An existing one
// is an error that IsAlreadyExists.
func (c *Client) CreateProtectionGroup(ctx context.Context, name string) (*ProtectionGroup, error) {
	pg, err := first[ProtectionGroup](ctx, c, http.MethodPost, pathProtectionGroups, url.Values{"names": {name}}, nil)
	if err != nil {
		return nil, err
	}
	pg.normalize()
	return pg, nil
}

// UpdateProtectionGroup patches a protection group.
func (c *Client) UpdateProtectionGroup(ctx context.Context, name string, p ProtectionGroupPatch) (*ProtectionGroup, error) {
	pg, err := first[ProtectionGroup](ctx, c, http.MethodPatch, pathProtectionGroups, url.Values{"names": {name}}, p)
	if err != nil {
		return nil, err
	}
	pg.normalize()
	return pg, nil
}

// DestroyProtectionGroup destroys a protection group (it stays pending
// eradication) and, with eradicate, eradicates it. A group that does not
// exist is an error that IsNotFound; one already destroyed is fine.
func (c *Client) DestroyProtectionGroup(ctx context.Context, name string, eradicate bool) error {
	pg, err := c.ProtectionGroup(ctx, name)
	if err != nil {
		return err
	}
	if !pg.Destroyed {
		destroyed := true
		if _, err := c.UpdateProtectionGroup(ctx, name, ProtectionGroupPatch{Destroyed: &destroyed}); err != nil {
			return err
		}
	}
	if !eradicate {
		return nil
	}
	_, err = c.call(ctx, http.MethodDelete, pathProtectionGroups, url.Values{"names": {name}}, nil, nil)
	return err
}

// memberItem is an item of /protection-groups/volumes, /targets, /pods/arrays.
type memberItem struct {
	Group   Reference `json:"group"`
	Member  Reference `json:"member"`
	Allowed *bool     `json:"allowed"`
}

// ProtectionGroupVolumes lists the names of the volumes in a group.
func (c *Client) ProtectionGroupVolumes(ctx context.Context, group string) ([]string, error) {
	items, err := list[memberItem](ctx, c, pathProtectionGroupVolumes, url.Values{"group_names": {group}}, true)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it.Group.Name == group || it.Group.Name == "" {
			out = append(out, it.Member.Name)
		}
	}
	return out, nil
}

// AddProtectionGroupVolumes adds volumes to a group. A volume already in
// the group is not an error (a volume may belong to several groups).
func (c *Client) AddProtectionGroupVolumes(ctx context.Context, group string, volumes ...string) error {
	return c.changeMembers(ctx, http.MethodPost, pathProtectionGroupVolumes, group, volumes, alreadyMember)
}

// RemoveProtectionGroupVolumes removes volumes from a group. A volume that
// is not in the group is not an error; a missing group is (IsNotFound).
func (c *Client) RemoveProtectionGroupVolumes(ctx context.Context, group string, volumes ...string) error {
	return c.changeMembers(ctx, http.MethodDelete, pathProtectionGroupVolumes, group, volumes, notMember(volumes))
}

// Target is a replication target of a protection group: Member is the
// target array, Allowed says whether that array accepted the group.
type Target struct {
	Group   string
	Member  string
	Allowed bool
}

// ProtectionGroupTargets lists the targets of a group. On the target array,
// ask for <source>:<group>.
func (c *Client) ProtectionGroupTargets(ctx context.Context, group string) ([]Target, error) {
	items, err := list[memberItem](ctx, c, pathProtectionGroupTargets, url.Values{"group_names": {group}}, true)
	if err != nil {
		return nil, err
	}
	out := make([]Target, 0, len(items))
	for _, it := range items {
		out = append(out, Target{Group: it.Group.Name, Member: it.Member.Name, Allowed: it.Allowed != nil && *it.Allowed})
	}
	return out, nil
}

// AddProtectionGroupTargets adds target arrays to a group, on the source
// array. A target already there is not an error. The target array must then
// allow the group (AllowProtectionGroupTarget) before replication starts.
func (c *Client) AddProtectionGroupTargets(ctx context.Context, group string, arrays ...string) error {
	return c.changeMembers(ctx, http.MethodPost, pathProtectionGroupTargets, group, arrays, alreadyMember)
}

// RemoveProtectionGroupTargets removes target arrays from a group, on the
// source array. A target that is not there is not an error.
func (c *Client) RemoveProtectionGroupTargets(ctx context.Context, group string, arrays ...string) error {
	return c.changeMembers(ctx, http.MethodDelete, pathProtectionGroupTargets, group, arrays, notMember(arrays))
}

// AllowProtectionGroupTarget sets whether this array accepts replication of
// a group. It must be called on the TARGET array, with the group's name as
// the target sees it: <source array>:<group>. member (the target array's own
// name) may be empty. Allowing a group already allowed is not an error.
func (c *Client) AllowProtectionGroupTarget(ctx context.Context, group, member string, allowed bool) error {
	q := url.Values{"group_names": {group}}
	if member != "" {
		q.Set("member_names", member)
	}
	_, err := c.call(ctx, http.MethodPatch, pathProtectionGroupTargets, q, map[string]bool{"allowed": allowed}, nil)
	if ae := asAPIError(err); ae != nil && ae.StatusCode == http.StatusBadRequest && ae.allMessages("already allowed", "already disallowed", "already not allowed") {
		return nil
	}
	return err
}

// changeMembers adds or removes members of a group. Errors that all say
// the change is already in place are success; when the array refused the
// whole list for that reason, each member is tried on its own so the others
// are not left out.
func (c *Client) changeMembers(ctx context.Context, method, path, group string, members []string, inPlace func(ErrorItem) bool) error {
	if len(members) == 0 {
		return nil
	}
	q := url.Values{"group_names": {group}, "member_names": {csv(members...)}}
	_, err := c.call(ctx, method, path, q, nil, nil)
	if !allInPlace(err, inPlace) {
		return err
	}
	if len(members) == 1 {
		return nil
	}
	for _, m := range members {
		q.Set("member_names", m)
		if _, err := c.call(ctx, method, path, q, nil, nil); err != nil && !allInPlace(err, inPlace) {
			return err
		}
	}
	return nil
}

// allInPlace reports a 400 whose every error satisfies inPlace.
func allInPlace(err error, inPlace func(ErrorItem) bool) bool {
	ae := asAPIError(err)
	if ae == nil || ae.StatusCode != http.StatusBadRequest || len(ae.Errors) == 0 {
		return false
	}
	for _, it := range ae.Errors {
		if !inPlace(it) {
			return false
		}
	}
	return true
}

// alreadyMember recognises "already belongs to", "already exists" and the
// like: the member is there.
func alreadyMember(it ErrorItem) bool { return containsAny(it.Message, msgAlreadyMember) }

// notMember recognises a member that is not in the group, or no longer
// exists at all (its context is the member, not the group).
func notMember(members []string) func(ErrorItem) bool {
	return func(it ErrorItem) bool {
		if containsAny(it.Message, msgNotMember) {
			return true
		}
		return containsAny(it.Message, msgNotFound) && slices.Contains(members, it.Context)
	}
}
