package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// siteRecord is a site's registration, kept in that site's own object store.
type siteRecord struct {
	Name                   string    `json:"name"`
	Description            string    `json:"description"`
	ConsistencyGroupType   string    `json:"consistency_group_type"`
	ConsistencyGroupTypeID string    `json:"consistency_group_type_id"`
	RegisteredAt           time.Time `json:"registered_at"`
}

// requiredServices are the catalog entries a DR site needs.
var requiredServices = [][]string{
	{"compute"},
	{"volumev3", "block-storage"},
	{"object-store"},
}

// validate makes the guide's `site validate` checks and resolves the group
// type; it changes nothing.
func (e *Engine) validate(ctx context.Context, name, groupType string) (*SiteValidation, *openstack.Site, *openstack.GroupType) {
	v := &SiteValidation{}
	s, err := e.site(name)
	if err != nil {
		v.Messages = append(v.Messages, err.Error())
		return v, nil, nil
	}
	if err := s.Authenticate(ctx); err != nil {
		v.Messages = append(v.Messages, e.cloudError(name, "authenticate", err).Error())
		return v, s, nil
	}
	v.Reachable = true
	v.AdminChecks = s.HasAdmin()
	if !v.AdminChecks {
		v.Messages = append(v.Messages, fmt.Sprintf("no admin credential for site %s: the replication_type of volume types and the backend of volumes cannot be checked (set sites.%s.admin)", name, name))
	}
	services, err := s.Services(ctx)
	if err != nil {
		v.Messages = append(v.Messages, e.cloudError(name, "read the service catalog", err).Error())
		return v, s, nil
	}
	v.Services = services
	for _, alternatives := range requiredServices {
		if !containsAny(services, alternatives) {
			v.Messages = append(v.Messages, fmt.Sprintf("the service catalog of site %s has no %s endpoint", name, strings.Join(alternatives, " or ")))
		}
	}
	if groupType == "" {
		groupType = DefaultConsistencyGroupType
	}
	gt, err := s.GroupType(ctx, groupType)
	if err != nil {
		if errors.Is(err, openstack.ErrNotFound) {
			v.Messages = append(v.Messages, fmt.Sprintf("group type %q does not exist on site %s: an admin must create it with group spec consistent_group_snapshot_enabled='<is> True'", groupType, name))
		} else {
			v.Messages = append(v.Messages, e.cloudError(name, "read group type "+groupType, err).Error())
		}
		return v, s, nil
	}
	return v, s, gt
}

func containsAny(list, wanted []string) bool {
	for _, l := range list {
		for _, w := range wanted {
			if l == w {
				return true
			}
		}
	}
	return false
}

// failures are validation messages that stop a registration; a missing
// admin credential only limits checks.
func (v *SiteValidation) failures() []string {
	var out []string
	for _, m := range v.Messages {
		if !strings.HasPrefix(m, "no admin credential") {
			out = append(out, m)
		}
	}
	return out
}

// NamesGroupType says whether nameOrID names the site's consistency group
// type, by name or by id.
func (s *Site) NamesGroupType(nameOrID string) bool {
	return nameOrID == s.ConsistencyGroupType || nameOrID == s.ConsistencyGroupTypeID
}

// RegisterSite validates a site (connectivity, catalog, group type) and
// writes its registration record to the site's own object store. A site
// that is already registered is refused (KindRegistered): the registration
// has one owner, and another one adopts it by import.
func (e *Engine) RegisterSite(ctx context.Context, spec SiteSpec) (*Site, error) {
	return e.writeSite(ctx, spec, true)
}

// UpdateSite rewrites the registration record.
func (e *Engine) UpdateSite(ctx context.Context, spec SiteSpec) (*Site, error) {
	return e.writeSite(ctx, spec, false)
}

func (e *Engine) writeSite(ctx context.Context, spec SiteSpec, create bool) (*Site, error) {
	if spec.ConsistencyGroupType == "" {
		spec.ConsistencyGroupType = DefaultConsistencyGroupType
	}
	if problem := SiteNameProblem(spec.Name); problem != "" {
		return nil, &Error{Kind: KindInvalid, Detail: fmt.Sprintf("the site name %q %s", spec.Name, problem)}
	}
	if problem := CinderTypeNameProblem(spec.ConsistencyGroupType); problem != "" {
		return nil, &Error{Kind: KindInvalid, Site: spec.Name, Detail: fmt.Sprintf("the consistency group type %q %s", spec.ConsistencyGroupType, problem)}
	}
	// A site the provider cannot even name a client for is unknown, not
	// unreachable.
	if _, err := e.site(spec.Name); err != nil {
		return nil, err
	}
	v, s, gt := e.validate(ctx, spec.Name, spec.ConsistencyGroupType)
	if !v.Reachable {
		return nil, &Error{Kind: KindUnreachable, Site: spec.Name, Detail: strings.Join(v.Messages, "; "),
			Fix: "Check the site's credentials and auth_url, then run again"}
	}
	if f := v.failures(); len(f) > 0 {
		return nil, &Error{Kind: KindInvalid, Site: spec.Name, Detail: "site validation failed: " + strings.Join(f, "; ")}
	}
	if err := s.EnsureContainer(ctx, container); err != nil {
		return nil, e.cloudError(spec.Name, "create the metadata container", err)
	}
	rec := siteRecord{Name: spec.Name, Description: spec.Description, ConsistencyGroupType: gt.Name,
		ConsistencyGroupTypeID: gt.ID, RegisteredAt: e.now()}
	if !create {
		var old siteRecord
		if err := getJSON(ctx, s, siteObject(spec.Name), &old); err == nil {
			rec.RegisteredAt = old.RegisteredAt
		}
	}
	// A registration is created only where none exists (if-none-match), so
	// that two configurations cannot both believe they own it.
	if err := putJSON(ctx, s, siteObject(spec.Name), rec, create); err != nil {
		if create && errors.Is(err, openstack.ErrPreconditionFailed) {
			return nil, e.alreadyRegistered(ctx, s, spec.Name)
		}
		return nil, e.cloudError(spec.Name, "write the site record", err)
	}
	return e.siteFromRecord(s, rec, v), nil
}

func (e *Engine) siteFromRecord(s *openstack.Site, rec siteRecord, v *SiteValidation) *Site {
	out := &Site{
		Name:                   rec.Name,
		Description:            rec.Description,
		ConsistencyGroupType:   rec.ConsistencyGroupType,
		ConsistencyGroupTypeID: rec.ConsistencyGroupTypeID,
		Status:                 StatusActive,
		AuthURL:                s.AuthURL(),
		Region:                 s.Region(),
		RegisteredAt:           rec.RegisteredAt,
	}
	if v != nil {
		out.Validation = *v
		if len(v.failures()) > 0 {
			out.Status = StatusError
		}
	}
	return out
}

// readSiteRecord reads a registration; ErrNotFound when the site was never
// registered.
func (e *Engine) readSiteRecord(ctx context.Context, name string) (*siteRecord, *openstack.Site, error) {
	s, err := e.site(name)
	if err != nil {
		return nil, nil, err
	}
	var rec siteRecord
	if err := getJSON(ctx, s, siteObject(name), &rec); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, s, ErrNotFound
		}
		return nil, s, e.cloudError(name, "read the site record", err)
	}
	return &rec, s, nil
}

// GetSite reads a site's registration record and validates the site;
// ErrNotFound when absent.
func (e *Engine) GetSite(ctx context.Context, name string) (*Site, error) {
	var (
		rec *siteRecord
		s   *openstack.Site
		err error
		v   *SiteValidation
	)
	// The record names the group type to check. Most sites use the
	// default one, so that is checked while the record is read.
	parallel(
		func() { rec, s, err = e.readSiteRecord(ctx, name) },
		func() { v, _, _ = e.validate(ctx, name, DefaultConsistencyGroupType) },
	)
	if err != nil {
		return nil, err
	}
	if rec.ConsistencyGroupType != "" && rec.ConsistencyGroupType != DefaultConsistencyGroupType {
		v, _, _ = e.validate(ctx, name, rec.ConsistencyGroupType)
	}
	return e.siteFromRecord(s, *rec, v), nil
}

// alreadyRegistered is the refusal of a second registration of a site.
func (e *Engine) alreadyRegistered(ctx context.Context, s *openstack.Site, name string) error {
	since := ""
	var old siteRecord
	if err := getJSON(ctx, s, siteObject(name), &old); err == nil && !old.RegisteredAt.IsZero() {
		since = " since " + old.RegisteredAt.UTC().Format(time.RFC3339)
	}
	return &Error{Kind: KindRegistered, Site: name, Object: name,
		Detail: fmt.Sprintf("site %s is already registered%s, by another configuration or by a run whose state was lost", name, since),
		Fix:    fmt.Sprintf("Nothing was changed. Adopt the registration by importing it (import id %q), or remove this site resource and name the site %q where it is used", name, name)}
}

// UnregisterSite removes the registration record. It is refused while a
// group's metadata on the site names the site as its primary or secondary:
// deregistering it would strand the groups of other configurations.
func (e *Engine) UnregisterSite(ctx context.Context, name string) error {
	s, err := e.site(name)
	if err != nil {
		return err
	}
	users, err := e.groupsUsing(ctx, s)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return &Error{Kind: KindSiteInUse, Site: name, Object: name,
			Detail: fmt.Sprintf("site %s is still used by protection group(s) %s", name, strings.Join(users, ", ")),
			Fix:    "Nothing was deregistered. Delete those groups first (or keep this site resource), then run again"}
	}
	if err := s.DeleteObject(ctx, container, siteObject(name)); err != nil && !errors.Is(err, openstack.ErrNotFound) {
		return e.cloudError(name, "delete the site record", err)
	}
	return nil
}

// groupsUsing lists, as "name (id)", the groups whose newest metadata on
// site s names s as their primary or secondary site.
func (e *Engine) groupsUsing(ctx context.Context, s *openstack.Site) ([]string, error) {
	names, err := s.ListObjects(ctx, container, "groups/")
	if errors.Is(err, openstack.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, e.cloudError(s.Name(), "list the protection groups", err)
	}
	var ids []string
	for _, n := range names {
		id, _, ok := strings.Cut(strings.TrimPrefix(n, "groups/"), "/")
		if ok && (len(ids) == 0 || ids[len(ids)-1] != id) {
			ids = append(ids, id)
		}
	}
	var users []string
	for _, id := range ids {
		d, err := readDocument(ctx, s, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, e.cloudError(s.Name(), "read the metadata of group "+id, err)
		}
		if d.Group.PrimarySite == s.Name() || d.Group.SecondarySite == s.Name() {
			users = append(users, fmt.Sprintf("%s (%s)", d.Group.Name, id))
		}
	}
	return users, nil
}

// ValidateSite is the guide's `site validate`.
func (e *Engine) ValidateSite(ctx context.Context, name string) (*SiteValidation, error) {
	groupType := DefaultConsistencyGroupType
	if rec, _, err := e.readSiteRecord(ctx, name); err == nil {
		groupType = rec.ConsistencyGroupType
	}
	v, _, _ := e.validate(ctx, name, groupType)
	return v, nil
}
