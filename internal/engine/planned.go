package engine

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"strings"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// A configuration that creates a group with its policy and members plans
// them all before the group exists. So that the policy's and members'
// plan-time checks still run, the group's plan proposes the group's id
// (PlanGroup) and this process remembers the planned group: a check whose
// group does not exist yet runs against the planned one instead.

// plannedGroup is a group a plan in this process proposes to create.
type plannedGroup struct {
	spec GroupSpec
	// predecessorCG is the primary consistency group of the group of the
	// same name this one replaces: its volumes are free by the time this
	// group takes them (the name is unique, so the old group goes first).
	predecessorCG string
}

// backendClaim is the storage backend the first member planned into a group
// without members uses, so that a second planned member on another backend
// is refused at plan, as Cinder would refuse it at apply.
type backendClaim struct {
	backend      string
	instance     string // id
	instanceName string
}

// generationRecord survives a group's deletion: the next group of the same
// name on the site gets the next generation, and so another id.
type generationRecord struct {
	Generation int `json:"generation"`
}

func generationObject(name string) string { return "generations/" + name }

// maxGeneration bounds the search for an id's generation: far more groups
// of one name than one site will see, and a few milliseconds of hashing.
const maxGeneration = 10000

// PlanGroup makes the plan-time checks of a new group (CheckGroup, whose
// warnings it returns) and, side by side with them, finds the id the group
// will get (planGroupID).
func (e *Engine) PlanGroup(ctx context.Context, spec GroupSpec) (string, []string, error) {
	if err := spec.validate(); err != nil {
		return "", nil, err
	}
	var (
		id              string
		warnings        []string
		checkErr, idErr error
	)
	parallel(
		func() { warnings, checkErr = e.CheckGroup(ctx, spec) },
		func() { id, idErr = e.planGroupID(ctx, spec) },
	)
	if checkErr != nil {
		return "", nil, checkErr
	}
	if idErr != nil {
		return "", nil, idErr
	}
	return id, warnings, nil
}

// planGroupID returns the id a new group will get and remembers the group for
// the plans of its policy and members. OpenTofu plans each resource again
// just before applying it and refuses a known value that changed, so the id
// is derived from what is the same at both times: primary site, name and
// the name's generation (one more than the last group of that name had,
// counted across deletions, so that a replaced group never gets its
// predecessor's id). A create that failed half-way keeps its id: the next
// apply resumes it. A name whose lost group's consistency groups remain is
// refused (checkOrphans).
func (e *Engine) planGroupID(ctx context.Context, spec GroupSpec) (string, error) {
	s, err := e.site(spec.PrimarySite)
	if err != nil {
		return "", err
	}
	var (
		rec                      nameRecord
		last                     generationRecord
		orphaned, recErr, genErr error
	)
	parallel(
		func() { orphaned = e.checkOrphans(ctx, spec) },
		func() { recErr = getJSON(ctx, s, nameObject(spec.Name), &rec) },
		func() { genErr = getJSON(ctx, s, generationObject(spec.Name), &last) },
	)
	if orphaned != nil {
		return "", orphaned
	}
	if recErr != nil && !errors.Is(recErr, ErrNotFound) {
		return "", e.cloudError(spec.PrimarySite, "read the group name record", recErr)
	}
	if genErr != nil && !errors.Is(genErr, ErrNotFound) {
		return "", e.cloudError(spec.PrimarySite, "read the generation of group name "+spec.Name, genErr)
	}
	generation, predecessorCG := last.Generation, ""
	if recErr == nil {
		v, _, err := newestVersion(ctx, s, rec.ID)
		if err != nil {
			return "", e.cloudError(spec.PrimarySite, "read the metadata of group "+rec.ID, err)
		}
		if v == 0 {
			e.rememberPlannedGroup(rec.ID, spec, "")
			return rec.ID, nil
		}
		// The name is taken: by the group this plan replaces (deleted
		// first, leaving its generation behind) or by another group, which
		// the apply refuses.
		generation = max(generation, generationOf(spec.PrimarySite, spec.Name, rec.ID))
		old, err := readDocument(ctx, s, rec.ID)
		if err != nil {
			return "", e.cloudError(spec.PrimarySite, "read the metadata of group "+rec.ID, err)
		}
		predecessorCG = old.Group.PrimaryConsistencyGroup
	}
	id := derivedGroupID(spec.PrimarySite, spec.Name, generation+1)
	e.rememberPlannedGroup(id, spec, predecessorCG)
	return id, nil
}

// derivedGroupID is "pg-" and a name-based (version 5 style) UUID of the
// primary site, the group name and its generation.
func derivedGroupID(site, name string, generation int) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("protector-group\x00%s\x00%s\x00%d", site, name, generation)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("pg-%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// generationOf tells which generation of a name an id is (0: an id not
// derived from it, as groups made before ids were planned have).
func generationOf(site, name, id string) int {
	for g := 1; g <= maxGeneration; g++ {
		if derivedGroupID(site, name, g) == id {
			return g
		}
	}
	return 0
}

// recordGeneration remembers, before a group's name is released, which
// generation of the name it was (nothing for an id not derived from it).
func (e *Engine) recordGeneration(ctx context.Context, s *openstack.Site, d *document) error {
	g := generationOf(s.Name(), d.Group.Name, d.Group.ID)
	if g == 0 {
		return nil
	}
	if err := putRecord(ctx, s, generationObject(d.Group.Name), generationRecord{Generation: g}); err != nil {
		return e.cloudError(s.Name(), "record the generation of group name "+d.Group.Name, err)
	}
	return nil
}

func (e *Engine) rememberPlannedGroup(id string, spec GroupSpec, predecessorCG string) {
	spec.ID = id
	e.mu.Lock()
	defer e.mu.Unlock()
	e.planned[id] = &plannedGroup{spec: spec, predecessorCG: predecessorCG}
}

// plannedDocument is the metadata a planned group will start with, for
// the checks of its policy and members; nil when no plan of this process
// proposed the group.
func (e *Engine) plannedDocument(id string) *document {
	e.mu.Lock()
	p := e.planned[id]
	e.mu.Unlock()
	if p == nil {
		return nil
	}
	return &document{Version: 0, Members: []memberRecord{}, Group: groupRecord{
		ID: id, Name: p.spec.Name, Description: p.spec.Description,
		PrimarySite: p.spec.PrimarySite, SecondarySite: p.spec.SecondarySite,
		ReplicationType: p.spec.ReplicationType, VolumeType: p.spec.VolumeType,
		Status: StatusCreating,
		// For the check that a member's volumes are in no other group.
		PrimaryConsistencyGroup: p.predecessorCG,
	}}
}

// planGroupRead is readGroup for plan-time checks: a group a plan of this
// process proposes to create stands in for one that does not exist yet,
// and the version this process wrote moments ago is the group as it is
// (OpenTofu plans each member again right before creating it: the checks
// of a batch's members follow the batch before it).
func (e *Engine) planGroupRead(ctx context.Context, id string) (*document, *openstack.Site, error) {
	if w := e.lastWritten(id); w != nil && e.now().Sub(w.at) < readReuse {
		return w.doc, w.site, nil
	}
	if e.plannedDocument(id) != nil {
		// A group this plan proposes to create: that it does not exist yet
		// is an answer too, kept like a read (readGroup keeps no failed
		// read), so that a hundred members planned into it ask the sites
		// once, not once each.
		r, err := share(ctx, e, e.plannedReads, id, func() (*groupRead, error) {
			r, err := e.readGroup(ctx, id)
			if errors.Is(err, ErrNotFound) {
				return nil, nil
			}
			return r, err
		})
		if err != nil {
			return nil, nil, err
		}
		if r != nil {
			return r.doc, r.site, nil
		}
		d := e.plannedDocument(id)
		s, err := e.site(d.Group.PrimarySite)
		if err != nil {
			return nil, nil, err
		}
		return d, s, nil
	}
	r, err := e.readGroup(ctx, id)
	if err == nil {
		return r.doc, r.site, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, nil, err
	}
	d := e.plannedDocument(id)
	if d == nil {
		return nil, nil, err
	}
	s, err := e.site(d.Group.PrimarySite)
	if err != nil {
		return nil, nil, err
	}
	return d, s, nil
}

// claimBackend checks a planned member's backend against the members
// planned before it into the same group while the group has none: the
// first one decides, as the first member added decides at apply.
func (e *Engine) claimBackend(d *document, iv *instanceVolumes) error {
	if d.Group.Backend != "" || iv.backend == "" {
		return nil
	}
	e.mu.Lock()
	c := e.backends[d.Group.ID]
	if c == nil || c.instance == iv.server.ID {
		e.backends[d.Group.ID] = &backendClaim{backend: iv.backend, instance: iv.server.ID, instanceName: iv.server.Name}
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	if c.backend == iv.backend {
		return nil
	}
	var ids []string
	for _, v := range iv.volumes {
		ids = append(ids, v.ID)
	}
	return &Error{Kind: KindBackend, Site: d.Group.PrimarySite, Object: iv.server.ID,
		Detail: fmt.Sprintf("all volumes of a consistency group must share one storage backend, and instance %s, planned into protection group %s in the same plan, is on %s while the volumes of instance %s are %s on %s",
			c.instanceName, d.Group.Name, c.backend, iv.server.Name, strings.Join(ids, ", "), iv.backend),
		Fix: "Migrate the volumes to one backend (openstack volume migrate), or leave one of the instances out"}
}

// CheckUnplacedMember makes the checks of a new member whose group is not
// known at plan (its id comes from values known only at apply): the
// instance must exist on one of the sites, and its volumes must share one
// volume type eligible for replication there. What depends on the group is
// returned as a warning.
func (e *Engine) CheckUnplacedMember(ctx context.Context, spec MemberSpec) ([]string, error) {
	instanceID := spec.InstanceID
	sites := e.knownSites()
	if len(sites) == 0 {
		return []string{fmt.Sprintf("checked at apply: instance %s is looked up on the group's primary site, which is not known until apply", instanceID)}, nil
	}
	for _, name := range sites {
		s, err := e.site(name)
		if err != nil {
			return nil, err
		}
		server, err := s.Server(ctx, instanceID)
		if errors.Is(err, openstack.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, e.cloudError(name, "read instance "+instanceID, err)
		}
		attachments, err := s.ServerVolumeAttachments(ctx, instanceID)
		if err != nil {
			return nil, e.cloudError(name, "list the volumes of instance "+instanceID, err)
		}
		types := map[string][]string{}
		var order []string
		for _, a := range attachments {
			v, err := s.Volume(ctx, a.VolumeID)
			if err != nil {
				return nil, e.cloudError(name, "read volume "+a.VolumeID, err)
			}
			if types[v.VolumeType] == nil {
				order = append(order, v.VolumeType)
			}
			types[v.VolumeType] = append(types[v.VolumeType], fmt.Sprintf("%s (%s)", v.ID, a.Device))
		}
		if len(order) > 1 {
			var parts []string
			for _, t := range order {
				parts = append(parts, fmt.Sprintf("%s of type %q", strings.Join(types[t], ", "), t))
			}
			return nil, &Error{Kind: KindMismatch, Site: name, Object: instanceID,
				Detail: fmt.Sprintf("instance %s (%s) has volumes of more than one type: %s, and every volume of a member must use the group's one volume type", server.Name, instanceID, strings.Join(parts, "; ")),
				Fix:    "Retype the volumes to the group's volume type (openstack volume set --type <type> --retype-policy on-demand <volume>) or leave this instance out"}
		}
		if len(order) == 1 {
			if err := e.checkReplicationEnabled(ctx, s, order[0]); err != nil {
				return nil, err
			}
		}
		return []string{fmt.Sprintf("checked at apply: instance %s (%s) exists on site %s, but its protection group is not known until apply, so whether its volumes use the group's volume type and backend and the group's primary site is %s is checked then", server.Name, instanceID, name, name)}, nil
	}
	return nil, &Error{Kind: KindInvalid, Object: instanceID,
		Detail: fmt.Sprintf("instance %s does not exist on any configured site (%s)", instanceID, strings.Join(sites, ", ")),
		Fix:    "Check the instance id with `openstack server show` on the group's primary site"}
}

// CheckUnplacedPolicy makes the checks of a new policy whose group is not
// known at plan: both arrays log in with the tokens given and are
// connected. What depends on the group's replication type is returned as a
// warning.
func (e *Engine) CheckUnplacedPolicy(ctx context.Context, spec PolicySpec) ([]string, error) {
	// The values an async group takes are bounded; a sync group takes none.
	if err := spec.validate(ReplicationAsync); err != nil {
		return nil, err
	}
	a, err := e.connectArrays(ctx, spec.Primary, spec.Secondary)
	if err != nil {
		return nil, err
	}
	if err := e.checkConnection(ctx, a, ReplicationAsync); err != nil {
		return nil, err
	}
	return append([]string{"checked at apply: the protection group is not known until apply, so whether the array connection serves its replication type (a sync group needs a sync-replication connection) and whether replication_interval and rpo_minutes apply to it (async only) is checked then"},
		pureGroupCheckedAtApply(spec.PureGroupName)...), nil
}

// checkReplicationEnabled checks the one rule of eligibility that holds for
// either replication type: replication_enabled='<is> True'.
func (e *Engine) checkReplicationEnabled(ctx context.Context, s *openstack.Site, name string) error {
	vt, err := e.volumeType(ctx, s, name)
	if errors.Is(err, openstack.ErrNotFound) {
		return nil // a type this project cannot see by that name: Cinder judges at apply
	}
	if err != nil {
		return e.cloudError(s.Name(), "read volume type "+name, err)
	}
	if specs := replicationSpecsOf(vt); !specs.enabled() {
		return &Error{Kind: KindNotEligible, Site: s.Name(), Object: vt.Name,
			Detail: fmt.Sprintf("the volumes of the instance use volume type %q, which on site %s does not have replication_enabled='<is> True' (it has %s), so no protection group can take them", vt.Name, s.Name(), quoteSpec(specs.Enabled)),
			Fix:    "Retype the volumes to a replicated volume type, or leave this instance out"}
	}
	return nil
}

// GroupSites returns the sites of a group as a plan of this process knows
// them (read, or planned to be created). A member or policy planned into an
// existing group records them, so that its apply, in a process where
// nothing else read the group, knows where to look (a provider without a
// sites map reaches the sites only by the names the state gives).
func (e *Engine) GroupSites(ctx context.Context, id string) (primary, secondary string, err error) {
	d, _, err := e.planGroupRead(ctx, id)
	if err != nil {
		return "", "", err
	}
	return d.Group.PrimarySite, d.Group.SecondarySite, nil
}
