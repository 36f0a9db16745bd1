package openstack

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gophercloud/gophercloud/v2"
)

// listPages GETs url and every page after it, decoding each page straight
// into a fresh P; next returns the page's links (Cinder's volumes_links,
// Nova's servers_links), whose rel=next is the following page.
//
// It serves the listings that grow with a protection group (the group's
// volumes, the project's servers): gophercloud's pager decodes every page
// into maps and then a second time, through JSON again, into the caller's
// structs, which for a group of a few hundred volumes was the largest part
// of a refresh's CPU. The small fixed listings keep gophercloud's pagers.
func listPages[P any](ctx context.Context, c *gophercloud.ServiceClient, url string, next func(*P) []gophercloud.Link) error {
	for seen := map[string]bool{}; url != ""; {
		if seen[url] {
			return fmt.Errorf("the listing's next link %s points back to a page already read", url)
		}
		seen[url] = true
		resp, err := c.Get(ctx, url, nil, &gophercloud.RequestOpts{
			KeepResponseBody: true,
			OkCodes:          []int{200},
		})
		if err != nil {
			return err
		}
		var page P
		err = json.NewDecoder(resp.Body).Decode(&page)
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("decode the listing %s: %w", url, err)
		}
		if url, err = gophercloud.ExtractNextURL(next(&page)); err != nil {
			return err
		}
	}
	return nil
}
