package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// orphan is a consistency group of a protection group that no longer has
// metadata on either site.
type orphan struct {
	site, id, status, groupID string
}

// checkOrphans refuses a new group whose name already has consistency
// groups on either site that belong to a protection group with no metadata
// on either site (metadata lost). Creating it would make a second group
// beside them and strand the first: its volumes stay in the old consistency
// groups, so adding the VMs again fails. The consistency groups of a create
// this provider left half-made (the name record names their group, which
// has no metadata yet) are not orphans: that create resumes with them.
func (e *Engine) checkOrphans(ctx context.Context, spec GroupSpec) error {
	sites := []string{spec.PrimarySite, spec.SecondarySite}
	found := make([][]orphan, len(sites))
	errs := make([]error, len(sites))
	calls := make([]func(), len(sites))
	for i, name := range sites {
		calls[i] = func() { found[i], errs[i] = e.namedConsistencyGroups(ctx, name, spec.Name) }
	}
	parallel(calls...)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var candidates []orphan
	for _, f := range found {
		candidates = append(candidates, f...)
	}
	if len(candidates) == 0 {
		return nil
	}
	primary, err := e.site(spec.PrimarySite)
	if err != nil {
		return err
	}
	var rec nameRecord
	if err := getJSON(ctx, primary, nameObject(spec.Name), &rec); err != nil && !errors.Is(err, ErrNotFound) {
		return e.cloudError(spec.PrimarySite, "read the group name record", err)
	}
	live := map[string]bool{}
	var orphans []orphan
	for _, c := range candidates {
		if c.groupID == rec.ID {
			continue // a pending create: it resumes with them
		}
		isLive, seen := live[c.groupID]
		if !seen {
			for _, name := range sites {
				s, err := e.site(name)
				if err != nil {
					return err
				}
				v, _, err := newestVersion(ctx, s, c.groupID)
				if err != nil {
					return e.cloudError(name, "read the metadata of group "+c.groupID, err)
				}
				isLive = isLive || v > 0
			}
			live[c.groupID] = isLive
		}
		if !isLive {
			orphans = append(orphans, c)
		}
	}
	if len(orphans) == 0 {
		return nil
	}
	sort.Slice(orphans, func(i, j int) bool {
		return orphans[i].site < orphans[j].site || orphans[i].site == orphans[j].site && orphans[i].id < orphans[j].id
	})
	var list, ids []string
	for _, o := range orphans {
		list = append(list, fmt.Sprintf("consistency group %s on %s (%s, of protection group %s)", o.id, o.site, o.status, o.groupID))
		if !slices.Contains(ids, o.groupID) {
			ids = append(ids, o.groupID)
		}
	}
	return &Error{Kind: KindOrphaned, Site: orphans[0].site, Object: spec.Name,
		Detail: fmt.Sprintf("protection group %s would be created beside the consistency groups of an earlier group of that name whose metadata is on neither site: %s. "+
			"A second group would strand them (their volumes stay in them, so adding the VMs again fails)", spec.Name, strings.Join(list, "; ")),
		Fix: fmt.Sprintf("Nothing was changed. Either restore the lost metadata (objects groups/%s/ in container %s, from a backup of either site's object store) and import the group "+
			"(terraform import protector_protection_group.<name> %s/%s), or remove the old consistency groups on each site, keeping the volumes "+
			"(cinder group-update --remove-volumes <volume ids> <consistency group>, then cinder group-delete <consistency group>), then plan again",
			strings.Join(ids, "/, groups/"), container, spec.PrimarySite, ids[0])}
}

// namedConsistencyGroups lists the consistency groups on a site that a
// protection group of this name made (their description names it), with
// the id of that protection group.
func (e *Engine) namedConsistencyGroups(ctx context.Context, site, name string) ([]orphan, error) {
	s, err := e.site(site)
	if err != nil {
		return nil, err
	}
	cgs, err := s.GroupsNamed(ctx, name)
	if err != nil {
		return nil, e.cloudError(site, "list the consistency groups", err)
	}
	prefix := strings.TrimSuffix(consistencyGroupDescription(name, ""), "()")
	var out []orphan
	for _, g := range cgs {
		id, ok := strings.CutPrefix(g.Description, prefix+"(")
		if !ok || !strings.HasSuffix(id, ")") {
			continue
		}
		switch g.Status {
		case openstack.GroupStatusDeleting, openstack.GroupStatusDeleted:
			continue
		}
		out = append(out, orphan{site: site, id: g.ID, status: g.Status, groupID: strings.TrimSuffix(id, ")")})
	}
	return out, nil
}
