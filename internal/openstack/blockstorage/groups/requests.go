// Package groups manages Cinder generic volume groups (block storage v3,
// /groups, microversion 3.13+), which gophercloud v2 does not cover.
//
// Wire facts (cinder/api/v3/groups.py, cinder/group/api.py):
//   - create answers 202 with only {id, name}; the group is "creating" until
//     the volume service has made it, so poll Get until "available";
//   - update takes add_volumes/remove_volumes as comma-separated strings, not
//     arrays, and answers 202 (status "updating" until the driver is done);
//   - delete is an action: POST /groups/{id}/action {"delete": {"delete-volumes": bool}}.
package groups

import (
	"context"
	"net/url"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// Microversion is the block-storage microversion every call of this package
// sends: 3.13 brings /groups, 3.25 the volume list in a group view, 3.38 the
// group replication_status.
const Microversion = "3.38"

// withMicroversion returns a copy of the service client that sends
// Microversion, leaving the caller's client untouched.
func withMicroversion(c *gophercloud.ServiceClient) *gophercloud.ServiceClient {
	cc := *c
	cc.Microversion = Microversion
	return &cc
}

// CreateOptsBuilder allows extensions to add fields to a create request.
type CreateOptsBuilder interface {
	ToGroupCreateMap() (map[string]any, error)
}

// CreateOpts describes a group to create.
type CreateOpts struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// GroupType is the group type ID or name.
	GroupType string `json:"group_type" required:"true"`
	// VolumeTypes are volume type IDs or names; a volume can only join the
	// group if its type is listed here.
	VolumeTypes      []string `json:"volume_types" required:"true"`
	AvailabilityZone string   `json:"availability_zone,omitempty"`
}

// ToGroupCreateMap builds the request body.
func (opts CreateOpts) ToGroupCreateMap() (map[string]any, error) {
	return gophercloud.BuildRequestBody(opts, "group")
}

// Create asks Cinder to create a group (202; status "creating").
func Create(ctx context.Context, client *gophercloud.ServiceClient, opts CreateOptsBuilder) (r CreateResult) {
	b, err := opts.ToGroupCreateMap()
	if err != nil {
		r.Err = err
		return
	}
	c := withMicroversion(client)
	resp, err := c.Post(ctx, createURL(c), b, &r.Body, &gophercloud.RequestOpts{
		OkCodes: []int{202},
	})
	_, r.Header, r.Err = gophercloud.ParseResponse(resp, err)
	return
}

// GetOptsBuilder allows extensions to add query parameters to Get.
type GetOptsBuilder interface {
	ToGroupGetQuery() (string, error)
}

// GetOpts are the query parameters of Get.
type GetOpts struct {
	// ListVolume asks for the IDs of the member volumes (3.25+).
	ListVolume bool
}

// ToGroupGetQuery formats GetOpts. list_volume is sent as "True", the form
// the Cinder API reference documents.
func (opts GetOpts) ToGroupGetQuery() (string, error) {
	if !opts.ListVolume {
		return "", nil
	}
	return "?" + url.Values{"list_volume": {"True"}}.Encode(), nil
}

// Get reads one group.
func Get(ctx context.Context, client *gophercloud.ServiceClient, id string, opts GetOptsBuilder) (r GetResult) {
	c := withMicroversion(client)
	u := getURL(c, id)
	if opts != nil {
		q, err := opts.ToGroupGetQuery()
		if err != nil {
			r.Err = err
			return
		}
		u += q
	}
	resp, err := c.Get(ctx, u, &r.Body, nil)
	_, r.Header, r.Err = gophercloud.ParseResponse(resp, err)
	return
}

// ListOptsBuilder allows extensions to add query parameters to List.
type ListOptsBuilder interface {
	ToGroupListQuery() (string, error)
}

// ListOpts filters and pages a group listing.
type ListOpts struct {
	AllTenants bool   `q:"all_tenants"`
	Sort       string `q:"sort"`
	Limit      int    `q:"limit"`
	Offset     int    `q:"offset"`
	Marker     string `q:"marker"`
}

// ToGroupListQuery formats ListOpts into a query string.
func (opts ListOpts) ToGroupListQuery() (string, error) {
	q, err := gophercloud.BuildQueryString(opts)
	if err != nil {
		return "", err
	}
	return q.String(), nil
}

// List returns a pager over the groups (detail view) visible to the caller.
func List(client *gophercloud.ServiceClient, opts ListOptsBuilder) pagination.Pager {
	c := withMicroversion(client)
	u := listURL(c)
	if opts != nil {
		q, err := opts.ToGroupListQuery()
		if err != nil {
			return pagination.Pager{Err: err}
		}
		u += q
	}
	return pagination.NewPager(c, u, func(r pagination.PageResult) pagination.Page {
		return GroupPage{pagination.LinkedPageBase{PageResult: r}}
	})
}

// UpdateOptsBuilder allows extensions to add fields to an update request.
type UpdateOptsBuilder interface {
	ToGroupUpdateMap() (map[string]any, error)
}

// UpdateOpts changes a group. Nil Name/Description leave them unchanged;
// empty volume lists are not sent.
type UpdateOpts struct {
	Name          *string
	Description   *string
	AddVolumes    []string
	RemoveVolumes []string
}

// ToGroupUpdateMap builds the request body, joining the volume lists with
// commas as Cinder expects.
func (opts UpdateOpts) ToGroupUpdateMap() (map[string]any, error) {
	g := map[string]any{}
	if opts.Name != nil {
		g["name"] = *opts.Name
	}
	if opts.Description != nil {
		g["description"] = *opts.Description
	}
	if len(opts.AddVolumes) > 0 {
		g["add_volumes"] = strings.Join(opts.AddVolumes, ",")
	}
	if len(opts.RemoveVolumes) > 0 {
		g["remove_volumes"] = strings.Join(opts.RemoveVolumes, ",")
	}
	if len(g) == 0 {
		return nil, gophercloud.ErrMissingInput{Argument: "name, description, add_volumes or remove_volumes"}
	}
	return map[string]any{"group": g}, nil
}

// Update changes a group's name, description or members (202).
func Update(ctx context.Context, client *gophercloud.ServiceClient, id string, opts UpdateOptsBuilder) (r UpdateResult) {
	b, err := opts.ToGroupUpdateMap()
	if err != nil {
		r.Err = err
		return
	}
	c := withMicroversion(client)
	resp, err := c.Put(ctx, updateURL(c, id), b, nil, &gophercloud.RequestOpts{
		OkCodes: []int{202},
	})
	_, r.Header, r.Err = gophercloud.ParseResponse(resp, err)
	return
}

// Delete deletes a group through the delete action (202). With
// deleteVolumes the member volumes are deleted too; without it the group
// must hold no volumes.
func Delete(ctx context.Context, client *gophercloud.ServiceClient, id string, deleteVolumes bool) (r DeleteResult) {
	b := map[string]any{"delete": map[string]any{"delete-volumes": deleteVolumes}}
	c := withMicroversion(client)
	resp, err := c.Post(ctx, actionURL(c, id), b, nil, &gophercloud.RequestOpts{
		OkCodes: []int{202},
	})
	_, r.Header, r.Err = gophercloud.ParseResponse(resp, err)
	return
}
