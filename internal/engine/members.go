package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// AddMember discovers the instance's volumes, adds them to the consistency
// group (and the Pure group when a policy exists) and records the member.
// Adding an instance that is already a member returns that member.
func (e *Engine) AddMember(ctx context.Context, spec MemberSpec) (*Member, *Group, error) {
	var added Member
	d, err := e.modify(ctx, spec.GroupID, func(d *document, primary, _ *openstack.Site) error {
		if _, m := d.member(spec.InstanceID); m != nil {
			added = *m
			return errUnchanged
		}
		iv, _, err := e.checkInstance(ctx, d, primary, spec.InstanceID)
		if err != nil {
			return err
		}
		var ids, toAdd []string
		for _, v := range iv.volumes {
			ids = append(ids, v.ID)
			if v.GroupID != d.Group.PrimaryConsistencyGroup {
				toAdd = append(toAdd, v.ID)
			}
		}
		if len(toAdd) > 0 {
			if err := e.changeGroupVolumes(ctx, primary, d.Group.PrimaryConsistencyGroup, toAdd, nil); err != nil {
				return memberError(iv.server.Name, err)
			}
		}
		if d.Policy != nil {
			if err := e.protectVolumes(ctx, d, iv.volumes); err != nil {
				return err
			}
		}
		if d.Group.Backend == "" {
			d.Group.Backend = iv.backend
		}
		added = Member{ID: newID("member-"), InstanceID: spec.InstanceID, InstanceName: iv.server.Name,
			Status: MemberProtected, VolumeIDs: ids, AddedAt: e.now()}
		d.Members = append(d.Members, added)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		g, gerr := e.GetGroup(ctx, spec.GroupID)
		return &added, g, gerr
	}
	if err != nil {
		return nil, nil, err
	}
	s, _ := e.site(d.Group.PrimarySite)
	return &added, e.group(ctx, s, d), nil
}

// errUnchanged ends a modify without writing a new version.
var errUnchanged = errors.New("unchanged")

// memberError turns Cinder's refusal to add volumes into the guide's words:
// Cinder says "not local to this node" for a volume of another backend.
func memberError(instance string, err error) error {
	var apiErr *openstack.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == 400 {
		return &Error{Kind: KindBackend, Object: instance,
			Detail: fmt.Sprintf("Cinder refused to add the volumes of instance %s to the consistency group: %s", instance, apiErr.Message),
			Fix:    "All volumes in a consistency group must share one storage backend: check os-vol-host-attr:host of each volume (admin), migrate the volumes or leave this instance out",
			Err:    err}
	}
	return err
}

// changeGroupVolumes adds and removes volumes of a Cinder group and waits
// until the group is available again.
func (e *Engine) changeGroupVolumes(ctx context.Context, s *openstack.Site, cg string, add, remove []string) error {
	if _, err := s.WaitForGroup(ctx, cg, "available"); err != nil {
		return e.cloudError(s.Name(), "wait for consistency group "+cg, err)
	}
	if err := s.UpdateGroup(ctx, cg, openstack.GroupUpdateOpts{AddVolumes: add, RemoveVolumes: remove}); err != nil {
		var apiErr *openstack.APIError
		if errors.As(err, &apiErr) {
			return err
		}
		return e.cloudError(s.Name(), "change the volumes of consistency group "+cg, err)
	}
	if _, err := s.WaitForGroup(ctx, cg, "available"); err != nil {
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
	_, err := e.modify(ctx, groupID, func(d *document, primary, _ *openstack.Site) error {
		i, m := d.member(memberID)
		if m == nil {
			return errUnchanged
		}
		var inGroup []string
		for _, id := range m.VolumeIDs {
			v, err := primary.Volume(ctx, id)
			if errors.Is(err, openstack.ErrNotFound) {
				continue
			}
			if err != nil {
				return e.cloudError(primary.Name(), "read volume "+id, err)
			}
			if v.GroupID == d.Group.PrimaryConsistencyGroup {
				inGroup = append(inGroup, id)
			}
		}
		if len(inGroup) > 0 {
			if err := e.changeGroupVolumes(ctx, primary, d.Group.PrimaryConsistencyGroup, nil, inGroup); err != nil {
				return err
			}
		}
		if d.Policy != nil {
			if err := e.unprotectVolumes(ctx, d, primary, m.VolumeIDs); err != nil {
				return err
			}
		}
		d.Members = append(d.Members[:i], d.Members[i+1:]...)
		if len(d.Members) == 0 {
			d.Group.Backend = ""
		}
		return nil
	})
	if errors.Is(err, errUnchanged) || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
