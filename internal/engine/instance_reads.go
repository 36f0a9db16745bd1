package engine

import (
	"context"
	"errors"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// Member checks arrive together: OpenTofu plans (and, in an apply, plans
// again and creates) up to -parallelism members at once. Read one by one,
// each costs its server and every volume; the reads that arrive together
// on a site are gathered instead, and from listFrom of them on they are
// answered by one listing of the project's servers and one of its volumes.
// A listing only serves the reads that arrived before it was sent, so a
// read is never older than its request: a volume attached just before a
// member's check (a depends_on of the member) is in the answer.

// listFrom is the number of instance reads gathered that makes a listing
// pay: a server and one or two volumes each, against two listings (one
// page each up to Nova's and Cinder's page size, 1000).
const listFrom = 4

// gatherFor bounds how long the first read of a gathering waits for others.
const gatherFor = 100 * time.Millisecond

// projectListing is one listing of a site's servers and volumes.
type projectListing struct {
	servers map[string]*openstack.Server
	volumes map[string]*openstack.Volume
}

// instanceGathering is the reads of one site waiting to be answered together.
type instanceGathering struct {
	reads int
	last  time.Time // the latest read to join
	done  chan struct{}
	list  *projectListing // nil: each read reads its own
}

// listedInstances returns a listing of the site's servers and volumes sent
// after this call began and shared by the reads that arrived with it, or
// nil when too few arrived for a listing to pay (or it failed: the reads
// then read one by one, and say what failed).
func (e *Engine) listedInstances(ctx context.Context, s *openstack.Site) *projectListing {
	site := s.Name()
	e.mu.Lock()
	g := e.gatherings[site]
	lead := g == nil
	if lead {
		g = &instanceGathering{done: make(chan struct{})}
		e.gatherings[site] = g
	}
	g.reads++
	g.last = time.Now()
	e.mu.Unlock()
	if !lead {
		select {
		case <-g.done:
			return g.list
		case <-ctx.Done():
			return nil
		}
	}
	defer close(g.done)
	// The first read waits until no other has joined for batchSettle.
	deadline := time.Now().Add(gatherFor)
	for {
		e.mu.Lock()
		quietAt := g.last.Add(batchSettle)
		e.mu.Unlock()
		t := time.NewTimer(time.Until(quietAt))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		e.mu.Lock()
		quiet := time.Since(g.last) >= batchSettle || time.Now().After(deadline) || ctx.Err() != nil
		if quiet {
			delete(e.gatherings, site)
		}
		reads := g.reads
		e.mu.Unlock()
		if !quiet {
			continue
		}
		if reads < listFrom || ctx.Err() != nil {
			return nil
		}
		break
	}
	l := &projectListing{}
	var sErr, vErr error
	var servers []*openstack.Server
	var volumes []openstack.Volume
	parallel(
		func() { servers, sErr = s.ProjectServers(ctx) },
		func() { volumes, vErr = s.ProjectVolumes(ctx) },
	)
	if sErr != nil || vErr != nil {
		e.debug(ctx, "listing the project's servers and volumes failed; reading each", map[string]any{"site": site, "error": errors.Join(sErr, vErr).Error()})
		return nil
	}
	l.servers = make(map[string]*openstack.Server, len(servers))
	for _, sv := range servers {
		l.servers[sv.ID] = sv
	}
	l.volumes = make(map[string]*openstack.Volume, len(volumes))
	for i := range volumes {
		l.volumes[volumes[i].ID] = &volumes[i]
	}
	g.list = l
	return l
}
