package openstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumetypes"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack/blockstorage/grouptypes"
)

// volumeMicroversion: 3.13 puts group_id in the volume view (and 3.10 allows
// the group_id filter on the detail listing).
const volumeMicroversion = "3.13"

// Volume is a Cinder volume as the DR logic needs it.
type Volume struct {
	ID     string
	Name   string
	Status string
	Size   int
	// VolumeType is the type's name (Cinder's volume view gives the name).
	VolumeType        string
	Bootable          bool
	GroupID           string
	ReplicationStatus string
	AvailabilityZone  string
	Metadata          map[string]string
	Attachments       []VolumeAttachment
	// Host is os-vol-host-attr:host ("host@backend#pool"). Cinder shows it
	// to admins only; HostVisible says whether the answer carried it.
	Host        string
	HostVisible bool
}

// volumeView is the JSON of a volume; gophercloud's struct lacks group_id
// and cannot tell a hidden host from an empty one.
type volumeView struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	Status            string            `json:"status"`
	Size              int               `json:"size"`
	VolumeType        string            `json:"volume_type"`
	Bootable          string            `json:"bootable"`
	GroupID           *string           `json:"group_id"`
	ReplicationStatus string            `json:"replication_status"`
	AvailabilityZone  string            `json:"availability_zone"`
	Metadata          map[string]string `json:"metadata"`
	Host              *string           `json:"os-vol-host-attr:host"`
	Attachments       []struct {
		ServerID string `json:"server_id"`
		VolumeID string `json:"volume_id"`
		Device   string `json:"device"`
	} `json:"attachments"`
}

func (v volumeView) volume() Volume {
	out := Volume{
		ID: v.ID, Name: v.Name, Status: v.Status, Size: v.Size, VolumeType: v.VolumeType,
		Bootable:          strings.EqualFold(v.Bootable, "true"),
		ReplicationStatus: v.ReplicationStatus, AvailabilityZone: v.AvailabilityZone,
		Metadata: v.Metadata,
	}
	if v.GroupID != nil {
		out.GroupID = *v.GroupID
	}
	if v.Host != nil {
		out.Host, out.HostVisible = *v.Host, true
	}
	for _, a := range v.Attachments {
		out.Attachments = append(out.Attachments, VolumeAttachment{VolumeID: a.VolumeID, ServerID: a.ServerID, Device: a.Device})
	}
	return out
}

// volumeClient returns a copy of a session's block-storage client that
// sends volumeMicroversion.
func (ss *session) volumeClient(ctx context.Context) (*gophercloud.ServiceClient, error) {
	sc, err := ss.serviceClient(ctx, serviceVolume)
	if err != nil {
		return nil, err
	}
	c := *sc
	c.Microversion = volumeMicroversion
	return &c, nil
}

// Volume reads a volume, with the admin credential when configured so the
// backend host is visible. ErrNotFound when it does not exist.
func (s *Site) Volume(ctx context.Context, id string) (*Volume, error) {
	c, err := s.reader().volumeClient(ctx)
	if err != nil {
		return nil, err
	}
	var v volumeView
	if err := volumes.Get(ctx, c, id).ExtractInto(&v); err != nil {
		return nil, s.wrap("read volume "+id, err)
	}
	out := v.volume()
	return &out, nil
}

// volumeListOpts is the volume detail listing filtered by group
// (GET /volumes/detail?group_id=, microversion 3.10+), which gophercloud's
// ListOpts lacks.
type volumeListOpts struct {
	GroupID string `q:"group_id"`
	// AllTenants lets an admin from another project see the members.
	AllTenants bool `q:"all_tenants"`
}

func (o volumeListOpts) ToVolumeListQuery() (string, error) {
	q, err := gophercloud.BuildQueryString(o)
	if err != nil {
		return "", err
	}
	return q.String(), nil
}

// VolumesInGroup lists the volumes whose group_id is groupID (all pages),
// read like Volume (admin credential when configured).
func (s *Site) VolumesInGroup(ctx context.Context, groupID string) ([]Volume, error) {
	return s.listVolumes(ctx, "list volumes of group "+groupID, func(r *session) (string, error) {
		return volumeListOpts{GroupID: groupID, AllTenants: r == s.admin}.ToVolumeListQuery()
	})
}

// ProjectVolumes lists the volumes of the main credential's project as
// Volume reads each (admin credential when configured, narrowed to that
// project), following Cinder's pages: one request for a page of volumes
// (up to osapi_max_limit, 1000) instead of one per volume.
func (s *Site) ProjectVolumes(ctx context.Context) ([]Volume, error) {
	return s.listVolumes(ctx, "list volumes", func(r *session) (string, error) { return s.projectQuery(ctx, r) })
}

// listVolumes lists the volume details that query selects, all pages, read
// like Volume; query gets the session the listing is made with.
func (s *Site) listVolumes(ctx context.Context, op string, query func(r *session) (string, error)) ([]Volume, error) {
	r := s.reader()
	c, err := r.volumeClient(ctx)
	if err != nil {
		return nil, err
	}
	q, err := query(r)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	type page struct {
		Volumes []volumeView       `json:"volumes"`
		Links   []gophercloud.Link `json:"volumes_links"`
	}
	var out []Volume
	err = listPages(ctx, c, c.ServiceURL("volumes", "detail")+q, func(p *page) []gophercloud.Link {
		for _, v := range p.Volumes {
			out = append(out, v.volume())
		}
		return p.Links
	})
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// VolumeType is a Cinder volume type with the extra specs the caller may see.
type VolumeType struct {
	ID          string
	Name        string
	Description string
	IsPublic    bool
	ExtraSpecs  map[string]string
	// SpecsComplete says whether ExtraSpecs is the whole set: members see
	// only replication_enabled, multiattach and RESKEY:availability_zones;
	// replication_type and volume_backend_name need admin (read_sensitive).
	SpecsComplete bool
}

// memberVisibleSpecs are the extra specs Cinder shows without
// volume_extension:types_extra_specs:read_sensitive.
var memberVisibleSpecs = map[string]bool{
	"replication_enabled":       true,
	"multiattach":               true,
	"RESKEY:availability_zones": true,
}

// VolumeType reads a volume type by ID or name, with the admin credential
// when configured. ErrNotFound when no type matches.
func (s *Site) VolumeType(ctx context.Context, nameOrID string) (*VolumeType, error) {
	op := fmt.Sprintf("read volume type %q", nameOrID)
	r := s.reader()
	c, err := r.volumeClient(ctx)
	if err != nil {
		return nil, err
	}
	// GET /types/{id} takes IDs only (and "default"); a name is found in
	// the listing, as is an ID the show does not know.
	var vt *volumetypes.VolumeType
	err = &APIError{StatusCode: http.StatusNotFound, Message: "no volume type with that name or ID", Method: http.MethodGet, URL: c.ServiceURL("types")}
	if looksLikeUUID(nameOrID) {
		vt, err = volumetypes.Get(ctx, c, nameOrID).Extract()
	}
	if err != nil {
		if !isNotFound(err) {
			return nil, s.wrap(op, err)
		}
		pages, lerr := volumetypes.List(c, volumetypes.ListOpts{}).AllPages(ctx)
		if lerr != nil {
			return nil, s.wrap(op, lerr)
		}
		all, lerr := volumetypes.ExtractVolumeTypes(pages)
		if lerr != nil {
			return nil, s.wrap(op, lerr)
		}
		vt = nil
		for i := range all {
			if all[i].Name == nameOrID || all[i].ID == nameOrID {
				if vt != nil {
					return nil, s.errorf(op, fmt.Errorf("more than one volume type is named %q; use its ID", nameOrID))
				}
				vt = &all[i]
			}
		}
		if vt == nil {
			return nil, s.wrap(op, err)
		}
	}
	return volumeTypeOf(vt, r.hasAdminRole(true)), nil
}

// volumeTypeOf converts gophercloud's type; admin says whether the reader
// has the admin role (and so sees every extra spec).
func volumeTypeOf(vt *volumetypes.VolumeType, admin bool) *VolumeType {
	out := &VolumeType{
		ID: vt.ID, Name: vt.Name, Description: vt.Description,
		IsPublic: vt.IsPublic || vt.PublicAccess, ExtraSpecs: vt.ExtraSpecs,
		SpecsComplete: admin,
	}
	for k := range vt.ExtraSpecs {
		if !memberVisibleSpecs[k] {
			// A sensitive key in the answer proves the caller may read them.
			out.SpecsComplete = true
		}
	}
	return out
}

// VolumeTypes lists every volume type the caller may see (GET /types, all
// pages), in Cinder's order, with the admin credential when configured so
// that replication_type is among the extra specs.
func (s *Site) VolumeTypes(ctx context.Context) ([]VolumeType, error) {
	const op = "list volume types"
	r := s.reader()
	c, err := r.volumeClient(ctx)
	if err != nil {
		return nil, err
	}
	pages, err := volumetypes.List(c, volumetypes.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	all, err := volumetypes.ExtractVolumeTypes(pages)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	admin := r.hasAdminRole(true)
	out := make([]VolumeType, 0, len(all))
	for i := range all {
		out = append(out, *volumeTypeOf(&all[i], admin))
	}
	return out, nil
}

// GroupType is a Cinder group type with the group specs the caller may see.
type GroupType struct {
	ID          string
	Name        string
	Description string
	IsPublic    bool
	GroupSpecs  map[string]string
	// SpecsComplete says whether GroupSpecs was really read: Cinder shows
	// group specs to admins only.
	SpecsComplete bool
}

// GroupType finds a group type by ID or name in the listing (members may
// list group types; Cinder's show takes IDs only), with the admin credential
// when configured. ErrNotFound when none matches.
func (s *Site) GroupType(ctx context.Context, nameOrID string) (*GroupType, error) {
	op := fmt.Sprintf("read group type %q", nameOrID)
	r := s.reader()
	sc, err := r.serviceClient(ctx, serviceVolume)
	if err != nil {
		return nil, err
	}
	pages, err := grouptypes.List(sc, nil).AllPages(ctx)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	all, err := grouptypes.ExtractGroupTypes(pages)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	var found *grouptypes.GroupType
	for i := range all {
		if all[i].ID == nameOrID {
			found = &all[i]
			break
		}
		if all[i].Name == nameOrID {
			if found != nil {
				return nil, s.errorf(op, fmt.Errorf("more than one group type is named %q; use its ID", nameOrID))
			}
			found = &all[i]
		}
	}
	if found == nil {
		return nil, s.errorf(op, fmt.Errorf("no group type with that name or ID: %w", ErrNotFound))
	}
	return &GroupType{
		ID: found.ID, Name: found.Name, Description: found.Description, IsPublic: found.IsPublic,
		GroupSpecs:    found.GroupSpecs,
		SpecsComplete: r.hasAdminRole(true) || len(found.GroupSpecs) > 0,
	}, nil
}

// looksLikeUUID says whether s has the 8-4-4-4-12 hex form of OpenStack IDs.
func looksLikeUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// isNotFound is errors.Is(err, ErrNotFound) for gophercloud errors too.
func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || gophercloud.ResponseCodeIs(err, 404)
}
