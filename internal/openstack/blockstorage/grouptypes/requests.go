// Package grouptypes reads Cinder group types (block storage v3, microversion
// 3.11+), which gophercloud v2 does not cover. Creating and changing group
// types is admin-only and not needed by this provider, so only reads are here.
//
// group_specs appear in a group type only for admins (Cinder's
// SHOW_ACCESS_POLICY); a member sees the type without them.
package grouptypes

import (
	"context"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// Microversion is the block-storage microversion every call of this package
// sends: group types need 3.11; 3.38 matches the groups package so one site
// speaks one microversion for all group calls.
const Microversion = "3.38"

// withMicroversion returns a copy of the service client that sends
// Microversion, leaving the caller's client untouched.
func withMicroversion(c *gophercloud.ServiceClient) *gophercloud.ServiceClient {
	cc := *c
	cc.Microversion = Microversion
	return &cc
}

// ListOptsBuilder allows extensions to add parameters to List.
type ListOptsBuilder interface {
	ToGroupTypeListQuery() (string, error)
}

// ListOpts filters and pages a group type listing.
type ListOpts struct {
	// IsPublic: "true", "false" or "None" (both); empty leaves Cinder's default.
	IsPublic string `q:"is_public"`
	Sort     string `q:"sort"`
	Limit    int    `q:"limit"`
	Offset   int    `q:"offset"`
	Marker   string `q:"marker"`
}

// ToGroupTypeListQuery formats ListOpts into a query string.
func (opts ListOpts) ToGroupTypeListQuery() (string, error) {
	q, err := gophercloud.BuildQueryString(opts)
	if err != nil {
		return "", err
	}
	return q.String(), nil
}

// List returns a pager over the group types visible to the caller.
func List(client *gophercloud.ServiceClient, opts ListOptsBuilder) pagination.Pager {
	c := withMicroversion(client)
	url := listURL(c)
	if opts != nil {
		query, err := opts.ToGroupTypeListQuery()
		if err != nil {
			return pagination.Pager{Err: err}
		}
		url += query
	}
	return pagination.NewPager(c, url, func(r pagination.PageResult) pagination.Page {
		return GroupTypePage{pagination.LinkedPageBase{PageResult: r}}
	})
}

// Get reads one group type by ID.
func Get(ctx context.Context, client *gophercloud.ServiceClient, id string) (r GetResult) {
	c := withMicroversion(client)
	resp, err := c.Get(ctx, getURL(c, id), &r.Body, nil)
	_, r.Header, r.Err = gophercloud.ParseResponse(resp, err)
	return
}
