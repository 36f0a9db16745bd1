package groups

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// Group statuses (cinder/objects/fields.py GroupStatus).
const (
	StatusCreating      = "creating"
	StatusAvailable     = "available"
	StatusUpdating      = "updating"
	StatusInUse         = "in-use"
	StatusDeleting      = "deleting"
	StatusDeleted       = "deleted"
	StatusError         = "error"
	StatusErrorDeleting = "error_deleting"
)

// Group is a Cinder generic volume group (detail view).
type Group struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	Status           string `json:"status"`
	AvailabilityZone string `json:"availability_zone"`
	// GroupType is the group type ID.
	GroupType string `json:"group_type"`
	// VolumeTypes are volume type IDs.
	VolumeTypes []string `json:"volume_types"`
	// Volumes are member volume IDs, sent only for Get with ListVolume.
	Volumes           []string  `json:"volumes"`
	ReplicationStatus string    `json:"replication_status"`
	GroupSnapshotID   string    `json:"group_snapshot_id"`
	SourceGroupID     string    `json:"source_group_id"`
	ProjectID         string    `json:"project_id"`
	CreatedAt         time.Time `json:"-"`
}

// UnmarshalJSON reads Cinder's timestamp format.
func (g *Group) UnmarshalJSON(b []byte) error {
	type tmp Group
	var s struct {
		tmp
		CreatedAt gophercloud.JSONRFC3339MilliNoZ `json:"created_at"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		// Cinder sends created_at with or without a zone depending on
		// the release; a timestamp we cannot read is not worth failing on.
		var t tmp
		if err2 := json.Unmarshal(b, &t); err2 != nil {
			return err
		}
		*g = Group(t)
		return nil
	}
	*g = Group(s.tmp)
	g.CreatedAt = time.Time(s.CreatedAt)
	return nil
}

type commonResult struct {
	gophercloud.Result
}

// Extract returns the group.
func (r commonResult) Extract() (*Group, error) {
	var s Group
	err := r.ExtractInto(&s)
	return &s, err
}

// ExtractInto decodes the group into a caller's struct.
func (r commonResult) ExtractInto(v any) error {
	return r.ExtractIntoStructPtr(v, "group")
}

// CreateResult is the answer to Create: only ID and Name are filled.
type CreateResult struct {
	commonResult
}

// GetResult is the answer to Get.
type GetResult struct {
	commonResult
}

// UpdateResult is the answer to Update (no body).
type UpdateResult struct {
	gophercloud.ErrResult
}

// DeleteResult is the answer to Delete (no body).
type DeleteResult struct {
	gophercloud.ErrResult
}

// GroupPage is one page of a group listing.
type GroupPage struct {
	pagination.LinkedPageBase
}

// IsEmpty reports whether the page holds no groups.
func (page GroupPage) IsEmpty() (bool, error) {
	if page.StatusCode == 204 {
		return true, nil
	}
	gs, err := ExtractGroups(page)
	return len(gs) == 0, err
}

// NextPageURL follows Cinder's "group_links".
func (page GroupPage) NextPageURL() (string, error) {
	var s struct {
		Links []gophercloud.Link `json:"group_links"`
	}
	if err := page.ExtractInto(&s); err != nil {
		return "", err
	}
	return gophercloud.ExtractNextURL(s.Links)
}

// ExtractGroups extracts the groups of a listing page.
func ExtractGroups(r pagination.Page) ([]Group, error) {
	var s []Group
	page, ok := r.(GroupPage)
	if !ok {
		return nil, fmt.Errorf("groups: a page of %T, not of groups", r)
	}
	err := page.ExtractIntoSlicePtr(&s, "groups")
	return s, err
}
