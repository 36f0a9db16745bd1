package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// Resource mappings: the networks (and flavors, where names differ) of the
// primary site are not the secondary's objects; the operator maps each to
// the secondary's. They are kept in the metadata, so that the secondary can
// use them with the primary gone, and checked against both sites at plan.

// UpdateGroupMappings replaces a group's resource mappings (a new metadata
// version, pushed to the peer), after checking them against both sites.
func (e *Engine) UpdateGroupMappings(ctx context.Context, id string, m ResourceMappings) (*Group, error) {
	d, err := e.modify(ctx, id, func(d *document, primary, secondary *openstack.Site) error {
		if _, err := e.checkMappings(ctx, primary, secondary, m); err != nil {
			return err
		}
		d.Group.NetworkMappings, d.Group.FlavorMappings = emptyToNil(m.Networks), emptyToNil(m.Flavors)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s, _ := e.site(d.Group.PrimarySite)
	return e.group(ctx, s, d), nil
}

// checkMappings checks every mapping's target exists on the secondary
// (refused otherwise) and its source on the primary (a warning otherwise:
// the mapping maps nothing). Networks cannot be checked on a site without
// Neutron: a warning says so.
func (e *Engine) checkMappings(ctx context.Context, primary, secondary *openstack.Site, m ResourceMappings) ([]string, error) {
	if len(m.Networks) == 0 && len(m.Flavors) == 0 {
		return nil, nil
	}
	type listing struct {
		flavors  map[string]bool
		networks map[string]bool
		fErr     error
		nErr     error
	}
	read := func(s *openstack.Site, out *listing) []func() {
		var calls []func()
		if len(m.Flavors) > 0 {
			calls = append(calls, func() {
				list, err := s.Flavors(ctx)
				out.flavors, out.fErr = map[string]bool{}, err
				for _, f := range list {
					out.flavors[f.Name] = true
				}
			})
		}
		if len(m.Networks) > 0 {
			calls = append(calls, func() {
				list, err := s.Networks(ctx)
				out.networks, out.nErr = map[string]bool{}, err
				for _, n := range list {
					out.networks[n.Name], out.networks[n.ID] = true, true
				}
			})
		}
		return calls
	}
	var src, tgt listing
	parallel(append(read(primary, &src), read(secondary, &tgt)...)...)

	var warnings, refused []string
	check := func(kind, cmd string, mapping map[string]string, src, tgt map[string]bool, srcErr, tgtErr error, site, target string) error {
		for _, from := range slices.Sorted(maps.Keys(mapping)) {
			to := mapping[from]
			switch {
			case errors.Is(tgtErr, openstack.ErrNoNetworkService):
				warnings = append(warnings, fmt.Sprintf("%s mapping %s -> %s cannot be checked: %s has no network service (Neutron)", kind, from, to, target))
			case tgtErr != nil:
				return e.cloudError(target, "list "+kind+"s", tgtErr)
			case !tgt[to]:
				refused = append(refused, fmt.Sprintf("%s %s, the target of the mapping of %s, does not exist on %s (%s)", kind, to, from, target, cmd))
			}
			if srcErr == nil && !src[from] {
				warnings = append(warnings, fmt.Sprintf("%s mapping %s -> %s maps nothing: there is no %s %s on %s", kind, from, to, kind, from, site))
			}
		}
		return nil
	}
	if err := check("flavor", "openstack flavor list", m.Flavors, src.flavors, tgt.flavors, src.fErr, tgt.fErr, primary.Name(), secondary.Name()); err != nil {
		return nil, err
	}
	if err := check("network", "openstack network list", m.Networks, src.networks, tgt.networks, src.nErr, tgt.nErr, primary.Name(), secondary.Name()); err != nil {
		return nil, err
	}
	if len(refused) > 0 {
		return nil, &Error{Kind: KindInvalid, Site: secondary.Name(),
			Detail: "resource mappings name objects the secondary site does not have: " + strings.Join(refused, "; "),
			Fix:    fmt.Sprintf("Map each primary-site object to one that exists on %s, or create it there first", secondary.Name())}
	}
	return warnings, nil
}

// mappedFlavor is the flavor a recovery boots on the secondary for a
// flavor of the primary.
func mappedFlavor(d *document, name string) string {
	if to, ok := d.Group.FlavorMappings[name]; ok {
		return to
	}
	return name
}

// mappedNetwork is the network on the secondary for a port's network on
// the primary: mapped by name or id, else the same name.
func mappedNetwork(d *document, p portRecord) (string, bool) {
	if to, ok := d.Group.NetworkMappings[p.NetworkName]; ok && p.NetworkName != "" {
		return to, true
	}
	if to, ok := d.Group.NetworkMappings[p.NetworkID]; ok {
		return to, true
	}
	if p.NetworkName != "" {
		return p.NetworkName, false
	}
	return p.NetworkID, false
}
