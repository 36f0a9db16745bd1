package openstack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
)

type volumeIDPage struct {
	Volumes []struct {
		ID string `json:"id"`
	} `json:"volumes"`
	Links []gophercloud.Link `json:"volumes_links"`
}

// listIDs lists the project's volumes through listPages, asking Cinder for
// pages of limit (0: its own page size).
func listIDs(ctx context.Context, t *testing.T, c *gophercloud.ServiceClient, limit string) []string {
	t.Helper()
	url := c.ServiceURL("volumes", "detail")
	if limit != "" {
		url += "?limit=" + limit
	}
	var ids []string
	err := listPages(ctx, c, url, func(p *volumeIDPage) []gophercloud.Link {
		for _, v := range p.Volumes {
			ids = append(ids, v.ID)
		}
		return p.Links
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// listPages follows Cinder's volumes_links page after page and reads each
// page once.
func TestListPagesFollowsNextLinks(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	s := newSite(t, sim.testConfig())
	ctx := testCtx(t)
	c, err := s.main.volumeClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sim.Faults().ResetRequests()
	whole := listIDs(ctx, t, c, "")
	if n := sim.Faults().Count("GET", "/volumes/detail"); n != 1 || len(whole) < 3 {
		t.Fatalf("one page: %d requests for %d volumes, want 1 request and at least 3 volumes", n, len(whole))
	}
	sim.Faults().ResetRequests()
	paged := listIDs(ctx, t, c, "2")
	if !slices.Equal(paged, whole) {
		t.Fatalf("pages of 2 gave %v, one page %v", paged, whole)
	}
	// A full last page still carries a next link, to an empty page.
	wantPages := len(whole)/2 + 1
	if n := sim.Faults().Count("GET", "/volumes/detail"); n != wantPages {
		t.Fatalf("%d volumes in pages of 2 took %d requests, want %d", len(whole), n, wantPages)
	}
}

// A next link back to a page already read ends the listing with an error
// instead of looping for ever.
func TestListPagesRefusesALoop(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"volumes": [{"id": "v1"}], "volumes_links": [{"rel": "next", "href": "` + srv.URL + `/volumes/detail"}]}`))
	}))
	defer srv.Close()
	c := &gophercloud.ServiceClient{ProviderClient: &gophercloud.ProviderClient{HTTPClient: *srv.Client()}, Endpoint: srv.URL + "/"}
	err := listPages(testCtx(t), c, srv.URL+"/volumes/detail", func(p *volumeIDPage) []gophercloud.Link { return p.Links })
	if err == nil || !strings.Contains(err.Error(), "points back") || hits.Load() != 1 {
		t.Fatalf("a self-referring next link: err %v after %d requests, want an error after 1", err, hits.Load())
	}
}
