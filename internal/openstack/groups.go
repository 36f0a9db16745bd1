package openstack

import (
	"context"
	"fmt"
	"slices"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack/blockstorage/groups"
)

// Group statuses Cinder reports (cinder/objects/fields.py GroupStatus), and
// StatusDeleted as a WaitForGroup target meaning "gone".
const (
	GroupStatusCreating      = groups.StatusCreating
	GroupStatusAvailable     = groups.StatusAvailable
	GroupStatusUpdating      = groups.StatusUpdating
	GroupStatusInUse         = groups.StatusInUse
	GroupStatusDeleting      = groups.StatusDeleting
	GroupStatusDeleted       = groups.StatusDeleted
	GroupStatusError         = groups.StatusError
	GroupStatusErrorDeleting = groups.StatusErrorDeleting
)

// Group is a Cinder generic volume group.
type Group struct {
	ID          string
	Name        string
	Description string
	Status      string
	// GroupType and VolumeTypes are IDs.
	GroupType         string
	VolumeTypes       []string
	VolumeIDs         []string
	ReplicationStatus string
	AvailabilityZone  string
}

// GroupCreateOpts describes a group to create. GroupType and VolumeTypes
// take IDs or names.
type GroupCreateOpts struct {
	Name        string
	Description string
	GroupType   string
	VolumeTypes []string
}

// GroupUpdateOpts changes a group; nil or empty fields are left alone.
type GroupUpdateOpts struct {
	Name, Description         *string
	AddVolumes, RemoveVolumes []string
}

// CreateGroup asks Cinder for a group and returns after the 202: the group
// is "creating" (Cinder's answer holds only ID and name); use WaitForGroup.
func (s *Site) CreateGroup(ctx context.Context, opts GroupCreateOpts) (*Group, error) {
	op := fmt.Sprintf("create group %q", opts.Name)
	sc, err := s.main.serviceClient(ctx, serviceVolume)
	if err != nil {
		return nil, err
	}
	g, err := groups.Create(ctx, sc, groups.CreateOpts{
		Name: opts.Name, Description: opts.Description,
		GroupType: opts.GroupType, VolumeTypes: opts.VolumeTypes,
	}).Extract()
	if err != nil {
		return nil, s.wrap(op, err)
	}
	out := &Group{ID: g.ID, Name: g.Name, Description: opts.Description, Status: g.Status}
	if out.Status == "" {
		out.Status = GroupStatusCreating
	}
	if out.Name == "" {
		out.Name = opts.Name
	}
	return out, nil
}

// Group reads a group with its member volume IDs. ErrNotFound when it does
// not exist.
func (s *Site) Group(ctx context.Context, id string) (*Group, error) {
	sc, err := s.main.serviceClient(ctx, serviceVolume)
	if err != nil {
		return nil, err
	}
	g, err := groups.Get(ctx, sc, id, groups.GetOpts{ListVolume: true}).Extract()
	if err != nil {
		return nil, s.wrap("read group "+id, err)
	}
	return &Group{
		ID: g.ID, Name: g.Name, Description: g.Description, Status: g.Status,
		GroupType: g.GroupType, VolumeTypes: g.VolumeTypes, VolumeIDs: g.Volumes,
		ReplicationStatus: g.ReplicationStatus, AvailabilityZone: g.AvailabilityZone,
	}, nil
}

// GroupsNamed lists the groups of the project with the given name (detail
// view, without member volumes). Cinder filters groups by name on the
// server only for admins, so the listing is filtered here.
func (s *Site) GroupsNamed(ctx context.Context, name string) ([]Group, error) {
	sc, err := s.main.serviceClient(ctx, serviceVolume)
	if err != nil {
		return nil, err
	}
	pages, err := groups.List(sc, groups.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, s.wrap("list groups", err)
	}
	all, err := groups.ExtractGroups(pages)
	if err != nil {
		return nil, s.wrap("list groups", err)
	}
	var out []Group
	for _, g := range all {
		if g.Name == name {
			out = append(out, Group{
				ID: g.ID, Name: g.Name, Description: g.Description, Status: g.Status,
				GroupType: g.GroupType, VolumeTypes: g.VolumeTypes,
				ReplicationStatus: g.ReplicationStatus, AvailabilityZone: g.AvailabilityZone,
			})
		}
	}
	return out, nil
}

// UpdateGroup renames a group or changes its members (202). A member change
// needs the group "available" and moves it to "updating"; Cinder's rules
// (volume type listed in the group, same backend, not in another group...)
// come back as an *APIError with Cinder's message.
func (s *Site) UpdateGroup(ctx context.Context, id string, opts GroupUpdateOpts) error {
	sc, err := s.main.serviceClient(ctx, serviceVolume)
	if err != nil {
		return err
	}
	err = groups.Update(ctx, sc, id, groups.UpdateOpts{
		Name: opts.Name, Description: opts.Description,
		AddVolumes: opts.AddVolumes, RemoveVolumes: opts.RemoveVolumes,
	}).ExtractErr()
	return s.wrap("update group "+id, err)
}

// DeleteGroup deletes a group (202; "deleting" until gone). Without
// deleteVolumes the group must hold no volumes.
func (s *Site) DeleteGroup(ctx context.Context, id string, deleteVolumes bool) error {
	sc, err := s.main.serviceClient(ctx, serviceVolume)
	if err != nil {
		return err
	}
	return s.wrap("delete group "+id, groups.Delete(ctx, sc, id, deleteVolumes).ExtractErr())
}

// WaitForGroup polls a group until its status is one of target (default
// "available"), backing off from 20 ms to 1 s and honouring ctx. It fails at
// once when the group reaches an error status that is not a target. When the
// group disappears it returns ErrNotFound: the success of waiting for
// "deleted", a failure otherwise (both match errors.Is(err, ErrNotFound)).
func (s *Site) WaitForGroup(ctx context.Context, id string, target ...string) (*Group, error) {
	if len(target) == 0 {
		target = []string{GroupStatusAvailable}
	}
	op := fmt.Sprintf("wait for group %s to be %v", id, target)
	g, gone, err := waitForStatus(ctx, s, op, func() (*Group, string, error) {
		g, err := s.Group(ctx, id)
		if err != nil {
			return nil, "", err
		}
		return g, g.Status, nil
	}, target, GroupStatusError, GroupStatusErrorDeleting, GroupStatusDeleted)
	if gone {
		if slices.Contains(target, GroupStatusDeleted) {
			return nil, s.errorf(op, fmt.Errorf("group is gone: %w", ErrNotFound))
		}
		return nil, err
	}
	return g, err
}
