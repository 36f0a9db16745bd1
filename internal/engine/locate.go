package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// knownSites are the sites where a group is searched for by id.
func (e *Engine) knownSites() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	set := map[string]bool{}
	for name := range e.cfg.Sites {
		set[name] = true
	}
	for name := range e.sites {
		set[name] = true
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (e *Engine) rememberGroupSite(id, site string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.groupSites[id] = site
}

// Locate records where the state says a group lives (its primary and
// secondary site): a refresh looks there first, so that a configuration
// that reaches its sites only through clouds.yaml (no `sites` map) finds
// its groups in a fresh process. Empty names are ignored.
func (e *Engine) Locate(id string, sites ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range sites {
		if s != "" && !slices.Contains(e.groupWhere[id], s) {
			e.groupWhere[id] = append(e.groupWhere[id], s)
		}
	}
}

// searchSites are the sites asked for a group, in order: its primary site
// when known, the sites the state names, then every other known site.
func (e *Engine) searchSites(id string) []string {
	e.mu.Lock()
	var out []string
	if p, ok := e.groupSites[id]; ok {
		out = append(out, p)
	}
	for _, s := range e.groupWhere[id] {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	e.mu.Unlock()
	rest := e.knownSites()
	if len(e.cfg.Sites) == 0 {
		// Without a sites map the sites are the clouds.yaml entries named
		// after them (the guide's Step 4): an apply that adds a member to
		// an existing group reads nothing else that names its sites, so
		// the entries are asked last, in order, until one holds the group.
		names, _ := openstack.CloudNames(e.cfg.CloudsYAMLPath)
		rest = append(rest, names...)
	}
	for _, s := range rest {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// loadGroup reads the newest metadata of a group from its primary site.
// ErrNotFound only when a site answered that it holds no metadata of the
// group and none failed to answer: a group nobody could be asked about is
// an error, so that a refresh never drops it from the state.
func (e *Engine) loadGroup(ctx context.Context, id string) (*document, *openstack.Site, error) {
	return e.loadGroupFrom(ctx, id, nil)
}

// loadGroupFrom is loadGroup that does not ask the sites in skip (sites a
// reachability check found silent): a read that must answer within seconds
// does not wait for them again.
func (e *Engine) loadGroupFrom(ctx context.Context, id string, skip map[string]bool) (*document, *openstack.Site, error) {
	e.mu.Lock()
	primary := e.groupSites[id]
	e.mu.Unlock()
	names := e.searchSites(id)
	if len(names) == 0 {
		return nil, nil, &Error{Kind: KindInvalid, Object: id,
			Detail: fmt.Sprintf("no site is known where protection group %s lives: the provider configures no sites and nothing in this run named the group's sites", id),
			Fix:    "Nothing was changed. Configure the sites in the provider's sites map, or keep the group's primary_site and secondary_site in the state (a resource that names its group's sites)"}
	}
	var lastErr error
	for _, name := range names {
		if skip[name] {
			continue
		}
		s, err := e.site(name)
		if err != nil {
			lastErr = err
			continue
		}
		d, err := readDocument(ctx, s, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			lastErr = e.cloudError(name, "read the metadata of group "+id, err)
			if name == primary {
				// The primary's copy is the truth: another site's may be
				// older.
				return nil, nil, lastErr
			}
			continue
		}
		if d.Group.PrimarySite != name && !skip[d.Group.PrimarySite] {
			ps, perr := e.site(d.Group.PrimarySite)
			if perr == nil {
				pd, rerr := readDocument(ctx, ps, id)
				switch {
				case rerr == nil:
					d, s = pd, ps
				case skip == nil && openstack.IsUnreachable(rerr):
					// The group's primary does not answer. Its callers
					// inspect the site returned as the primary: this copy,
					// inspected on name, would report the primary's
					// consistency group, VMs and volumes as gone. Say the
					// primary is unreachable instead. (Readiness, which
					// passes skip, knows the copy is not the primary's.)
					return nil, nil, e.cloudError(d.Group.PrimarySite, "read the metadata of group "+id, rerr)
				}
			}
		}
		e.rememberGroupSite(id, d.Group.PrimarySite)
		return d, s, nil
	}
	if lastErr != nil {
		return nil, nil, lastErr
	}
	return nil, nil, ErrNotFound
}
