package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
	"github.com/protector-dr/terraform-provider-protector/internal/provider/importid"
)

var (
	_ resource.ResourceWithConfigure      = (*protectionGroupResource)(nil)
	_ resource.ResourceWithImportState    = (*protectionGroupResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*protectionGroupResource)(nil)
	_ resource.ResourceWithValidateConfig = (*protectionGroupResource)(nil)
)

// NewProtectionGroupResource is the protector_protection_group resource.
func NewProtectionGroupResource() resource.Resource { return &protectionGroupResource{} }

type protectionGroupResource struct {
	resourceBase
}

type protectionGroupModel struct {
	ID                          types.String      `tfsdk:"id"`
	Name                        types.String      `tfsdk:"name"`
	Description                 types.String      `tfsdk:"description"`
	PrimarySite                 types.String      `tfsdk:"primary_site"`
	SecondarySite               types.String      `tfsdk:"secondary_site"`
	ReplicationType             types.String      `tfsdk:"replication_type"`
	VolumeType                  types.String      `tfsdk:"volume_type"`
	Status                      types.String      `tfsdk:"status"`
	FailoverCount               types.Int64       `tfsdk:"failover_count"`
	PrimaryConsistencyGroupID   types.String      `tfsdk:"primary_consistency_group_id"`
	SecondaryConsistencyGroupID types.String      `tfsdk:"secondary_consistency_group_id"`
	CreatedAt                   timetypes.RFC3339 `tfsdk:"created_at"`
	SyncStatus                  types.String      `tfsdk:"sync_status"`
	Drift                       types.List        `tfsdk:"drift"`
	NetworkMappings             types.Map         `tfsdk:"network_mappings"`
	FlavorMappings              types.Map         `tfsdk:"flavor_mappings"`

	// Timeouts bound the long operations (the `timeouts` block).
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (r *protectionGroupResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_protection_group"
}

func (r *protectionGroupResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A protection group (PG): the VMs that fail over together. Creating it, as the guide's " +
			"`protection-group create` does, creates a Cinder consistency group on the primary site **and** on the " +
			"secondary site, writes metadata version 1 and synchronizes it to the secondary site; the group is `active` " +
			"when both consistency groups are available. The 1:1:1 binding to the Pure protection group is made by " +
			"`protector_replication_policy`.\n\n" +
			"At plan the provider checks that both sites answer and that the volume type is eligible on both: it must " +
			"carry `replication_enabled='<is> True'` and a `replication_type` of `'<in> async'` or `'<in> sync'` matching " +
			"`replication_type` (\"volume type not eligible for replication\"). Name, sites, replication type and volume " +
			"type are fixed at creation: changing them replaces the group. Every modification writes the next metadata version " +
			"and pushes it to the peer site; if the peer is unreachable the modification is refused before anything changes. " +
			"Deletion cascades to the consistency groups on both sites and is refused while a DR operation " +
			"(`failing_over`, `failing_back`) is in progress. VMs are never deleted.\n\n" +
			"The group's metadata version and storage backend change when its policy or members change, so they are not " +
			"attributes of this resource (a plan after a clean apply would show them as changed outside OpenTofu): the data " +
			"sources `protector_sync_status` (`local_version`, `remote_version`) and `protector_consistency_group` " +
			"(`backend_name`) read them on every plan. **Breaking change:** the attributes `metadata_version` and `backend` " +
			"were removed from this resource; read them from those data sources.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Protection group id (`pg-<uuid>`).",
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: fmt.Sprintf("Name of the group, unique per project (e.g. `prod-web-app`): up to %d characters, without `/`. Changing it replaces the group.", engine.MaxGroupNameLength),
				PlanModifiers:       replace,
				Validators:          []validator.String{groupName()},
			},
			"description": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				MarkdownDescription: "Informational label, stored in the metadata. Updates in place (and writes the next metadata version on both sites).",
			},
			"network_mappings": schema.MapAttribute{
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.Map{mapvalidator.SizeAtLeast(1), mapvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
				MarkdownDescription: "Resource mappings of networks: each key is a network of the primary site (name or id), its value " +
					"the network of the secondary site (name or id) that a recovered VM attaches to instead. A network not mapped is " +
					"looked for on the secondary under its own name. Kept in the metadata on both sites; checked at plan: a target " +
					"that does not exist on the secondary is refused, and a site without a network service (Neutron) is a warning. " +
					"Updates in place (the next metadata version).",
			},
			"flavor_mappings": schema.MapAttribute{
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.Map{mapvalidator.SizeAtLeast(1), mapvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
				MarkdownDescription: "Resource mappings of flavors, where the names differ: each key is a flavor name of the primary " +
					"site, its value the flavor name on the secondary that a recovered VM boots with. A flavor not mapped is looked " +
					"for under its own name. Kept in the metadata; checked at plan: a target flavor that does not exist on the " +
					"secondary is refused. `protector_failover_readiness` checks the members' flavors through it.",
			},
			"primary_site": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Registered site where the VMs currently run (`site-a`). The designation is workload-relative: " +
					"it swaps on failover. Changing it replaces the group.",
				PlanModifiers: replace,
				Validators:    []validator.String{siteName()},
			},
			"secondary_site": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Registered DR site to which workloads will be promoted (`site-b`); must differ from `primary_site`. Changing it replaces the group.",
				PlanModifiers:       replace,
				Validators:          []validator.String{siteName()},
			},
			"replication_type": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "`async` (periodic snapshots of a Pure protection group, configurable RPO) or `sync` " +
					"(ActiveCluster pod, zero RPO). Changing it replaces the group.",
				PlanModifiers: replace,
				Validators:    []validator.String{stringvalidator.OneOf(engine.ReplicationAsync, engine.ReplicationSync)},
			},
			"volume_type": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Cinder volume type name or ID (`replicated-ssd`), eligible on both sites. All volumes of " +
					"every member must use it. Changing it replaces the group.",
				PlanModifiers: replace,
				Validators:    []validator.String{cinderTypeName("volume type")},
			},
			"status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: fmt.Sprintf("`%s` once both consistency groups exist; `%s`, `%s` or `%s` while or after a DR "+
					"operation; `%s` when something failed.", engine.StatusActive, engine.StatusFailingOver, engine.StatusFailingBack,
					engine.StatusFailedOver, engine.StatusError),
				PlanModifiers: keep,
			},
			"failover_count": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "How many times the group failed over (0 for a new group).",
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"primary_consistency_group_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Id of the Cinder consistency group on the primary site.",
				PlanModifiers:       keep,
			},
			"secondary_consistency_group_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Id of the Cinder consistency group on the secondary site; set once it was created during group creation.",
				PlanModifiers:       keep,
			},
			"created_at": schema.StringAttribute{
				Computed:            true,
				CustomType:          timetypes.RFC3339Type{},
				MarkdownDescription: "When the group was created (RFC 3339).",
				PlanModifiers:       keep,
			},
			"drift": driftAttribute("a consistency group deleted on either site, or the two sites' newest metadata differing " +
				"in version or content, each line saying which site holds what. The repair rule: the newest complete " +
				"(checksum-valid) document wins, and a site that lacks versions is restored from the other, never given a " +
				"rebuilt document (the guide's `sync-force`); two intact documents at one version make the apply fail, naming " +
				"the copy to delete"),
			"sync_status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Whether the peer site holds the primary's newest metadata, version and content, as the " +
					"refresh read both sites: `SYNCED`, `FAILED` (`drift` says what differs) or `UNREACHABLE` (the guide's " +
					"`sync-status`). After a change, the outcome of its push. Both sites must agree before a failover.",
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx, "protection group", "the creation (both consistency groups and metadata version 1)",
				"a change (description, drift repair)", "the deletion (both consistency groups and the metadata)"),
		},
	}
}

// ValidateConfig runs in `validate` too, without the provider: only what the
// configuration alone tells.
func (r *protectionGroupResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg protectionGroupModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !known(cfg.PrimarySite, cfg.SecondarySite) || cfg.PrimarySite.IsNull() || cfg.SecondarySite.IsNull() {
		return
	}
	if problem := engine.SameSiteProblem(cfg.PrimarySite.ValueString(), cfg.SecondarySite.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(path.Root("secondary_site"), "Secondary site equals primary site", problem)
	}
}

// ModifyPlan is the plan-time check: eligibility of the volume type on both
// sites and reachability of both, for a new group and for a change.
// Unknown values (a site registered in the same run) are checked at apply.
// A new group's plan proposes its id (planID).
func (r *protectionGroupResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil || r.data.engine == nil {
		return
	}
	if isDestroy(req) {
		var state protectionGroupModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if err := destroyBlocked(state); err != nil {
			addEngineError(&resp.Diagnostics, "plan the deletion", err)
		}
		return
	}
	if runDestroys() {
		// The plan that refreshes before a destroy: nothing it plans is made.
		return
	}
	var plan protectionGroupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !isCreate(req) {
		var state protectionGroupModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		if stateHasDrift(ctx, req, resp) {
			planDriftRepair(ctx, resp, map[string]attr.Value{
				"sync_status":                    types.StringUnknown(),
				"primary_consistency_group_id":   types.StringUnknown(),
				"secondary_consistency_group_id": types.StringUnknown(),
			})
		}
		if plan.sameConfig(state) {
			return
		}
	}
	if !known(plan.Name, plan.Description, plan.PrimarySite, plan.SecondarySite, plan.ReplicationType, plan.VolumeType, plan.NetworkMappings, plan.FlavorMappings) {
		return
	}
	if !isCreate(req) {
		warnings, err := r.data.engine.CheckGroup(ctx, plan.spec())
		if err != nil {
			addEngineError(&resp.Diagnostics, "check protection group "+plan.Name.ValueString(), err)
			return
		}
		addWarnings(&resp.Diagnostics, "Protection group check not complete", warnings)
		return
	}
	// A new group is checked and given the id it will get, so that the
	// policy and members planned with it in one configuration are checked
	// at plan against it.
	id, warnings, err := r.data.engine.PlanGroup(ctx, plan.spec())
	if err != nil {
		addEngineError(&resp.Diagnostics, "check protection group "+plan.Name.ValueString(), err)
		return
	}
	addWarnings(&resp.Diagnostics, "Protection group check not complete", warnings)
	plan.ID = types.StringValue(id)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), plan.ID)...)
}

// destroyBlocked refuses at plan what the engine refuses at apply: deleting
// a group while a DR operation is in progress.
func destroyBlocked(state protectionGroupModel) error {
	return engine.DeletionBlocked(state.PrimarySite.ValueString(), state.Name.ValueString(), state.Status.ValueString())
}

func (r *protectionGroupResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan protectionGroupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, plan.Timeouts, "create", &resp.Diagnostics)
	defer cancel()
	g, err := r.data.engine.CreateGroup(ctx, plan.spec())
	if err != nil {
		addOperationError(ctx, &resp.Diagnostics, "create", limit, "create protection group "+plan.Name.ValueString(), err)
		return
	}
	addSyncWarning(&resp.Diagnostics, g)
	plan.fill(g)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *protectionGroupResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state protectionGroupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state.locate(r.data.engine)
	g, err := r.data.engine.GetGroup(ctx, state.ID.ValueString())
	if errors.Is(err, engine.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addEngineError(&resp.Diagnostics, "read protection group "+state.ID.ValueString(), err)
		return
	}
	state.fill(g)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *protectionGroupResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan, state protectionGroupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.sameConfig(state) && len(state.Drift.Elements()) == 0 {
		keepStateWithNewTimeouts(ctx, req, resp)
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, plan.Timeouts, "update", &resp.Diagnostics)
	defer cancel()
	id := state.ID.ValueString()
	state.locate(r.data.engine)
	var g *engine.Group
	var err error
	if len(state.Drift.Elements()) > 0 {
		if g, err = r.data.engine.RepairGroup(ctx, id); err != nil {
			addOperationError(ctx, &resp.Diagnostics, "update", limit, "repair protection group "+state.Name.ValueString(), err)
			return
		}
	}
	mappingsChanged := !plan.NetworkMappings.Equal(state.NetworkMappings) || !plan.FlavorMappings.Equal(state.FlavorMappings)
	if !plan.Description.Equal(state.Description) || (g == nil && !mappingsChanged) {
		if g, err = r.data.engine.UpdateGroupDescription(ctx, id, plan.Description.ValueString()); err != nil {
			addOperationError(ctx, &resp.Diagnostics, "update", limit, "update protection group "+state.Name.ValueString(), err)
			return
		}
	}
	if mappingsChanged {
		if g, err = r.data.engine.UpdateGroupMappings(ctx, id, plan.spec().Mappings); err != nil {
			addOperationError(ctx, &resp.Diagnostics, "update", limit, "update the resource mappings of protection group "+state.Name.ValueString(), err)
			return
		}
	}
	addSyncWarning(&resp.Diagnostics, g)
	plan.fill(g)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *protectionGroupResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state protectionGroupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, state.Timeouts, "delete", &resp.Diagnostics)
	defer cancel()
	state.locate(r.data.engine)
	if err := r.data.engine.DeleteGroup(ctx, state.ID.ValueString()); err != nil {
		addOperationError(ctx, &resp.Diagnostics, "delete", limit, "delete protection group "+state.Name.ValueString(), err)
	}
}

// ImportState takes "<site>/<group id or name>": the site is where the
// group's metadata is looked up.
func (r *protectionGroupResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	g := importGroup(ctx, r.data, req.ID, &resp.Diagnostics, "site", "group id or name")
	if g == nil {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), g.ID)...)
}

// importGroup parses an import id whose first two parts are site and group,
// and finds the group; it returns nil after reporting a failure.
func importGroup(ctx context.Context, data *providerData, id string, diags *diagnostics, parts ...string) *engine.Group {
	fields, err := importid.Parse(id, parts...)
	if err != nil {
		diags.AddError("Invalid import id", err.Error())
		return nil
	}
	if !needEngine(data, diags) {
		return nil
	}
	g, err := data.engine.FindGroup(ctx, fields[0], fields[1])
	if errors.Is(err, engine.ErrNotFound) {
		diags.AddError("Protection group not found",
			fmt.Sprintf("No protection group with id or name %q has metadata on site %s. Check the site and the group (the guide's `protection-group show`).", fields[1], fields[0]))
		return nil
	}
	if err != nil {
		addEngineError(diags, "find protection group "+fields[1]+" on site "+fields[0], err)
		return nil
	}
	return g
}

// locate tells the engine where the state says the group lives.
func (m *protectionGroupModel) locate(e *engine.Engine) {
	e.Locate(m.ID.ValueString(), m.PrimarySite.ValueString(), m.SecondarySite.ValueString())
}

func (m *protectionGroupModel) spec() engine.GroupSpec {
	id := ""
	if !m.ID.IsUnknown() {
		id = m.ID.ValueString()
	}
	return engine.GroupSpec{
		ID:              id,
		Name:            m.Name.ValueString(),
		Description:     m.Description.ValueString(),
		PrimarySite:     m.PrimarySite.ValueString(),
		SecondarySite:   m.SecondarySite.ValueString(),
		ReplicationType: m.ReplicationType.ValueString(),
		VolumeType:      m.VolumeType.ValueString(),
		Mappings:        engine.ResourceMappings{Networks: goStringMap(m.NetworkMappings), Flavors: goStringMap(m.FlavorMappings)},
	}
}

// sameConfig reports whether two models agree on every configurable value.
func (m *protectionGroupModel) sameConfig(o protectionGroupModel) bool {
	return m.Name.Equal(o.Name) && m.Description.Equal(o.Description) &&
		m.PrimarySite.Equal(o.PrimarySite) && m.SecondarySite.Equal(o.SecondarySite) &&
		m.ReplicationType.Equal(o.ReplicationType) && m.VolumeType.Equal(o.VolumeType) &&
		m.NetworkMappings.Equal(o.NetworkMappings) && m.FlavorMappings.Equal(o.FlavorMappings)
}

func (m *protectionGroupModel) fill(g *engine.Group) {
	m.ID = types.StringValue(g.ID)
	m.Name = types.StringValue(g.Name)
	m.Description = types.StringValue(g.Description)
	m.PrimarySite = types.StringValue(g.PrimarySite)
	m.SecondarySite = types.StringValue(g.SecondarySite)
	m.ReplicationType = types.StringValue(g.ReplicationType)
	m.VolumeType = types.StringValue(g.VolumeType)
	m.Status = types.StringValue(g.Status)
	m.FailoverCount = types.Int64Value(int64(g.FailoverCount))
	m.PrimaryConsistencyGroupID = types.StringValue(g.PrimaryConsistencyGroup)
	m.SecondaryConsistencyGroupID = types.StringValue(g.SecondaryConsistencyGroup)
	m.CreatedAt = rfc3339(g.CreatedAt)
	m.SyncStatus = types.StringValue(g.Sync.Status)
	m.Drift = stringList(g.Drift)
	m.NetworkMappings = stringMap(g.Mappings.Networks)
	m.FlavorMappings = stringMap(g.Mappings.Flavors)
}
