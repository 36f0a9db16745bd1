package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var (
	_ resource.ResourceWithConfigure   = (*replicationPolicyResource)(nil)
	_ resource.ResourceWithImportState = (*replicationPolicyResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*replicationPolicyResource)(nil)

	_ resource.ResourceWithValidateConfig   = (*replicationPolicyResource)(nil)
	_ resource.ResourceWithConfigValidators = (*replicationPolicyResource)(nil)
)

// NewReplicationPolicyResource is the protector_replication_policy resource.
func NewReplicationPolicyResource() resource.Resource { return &replicationPolicyResource{} }

type replicationPolicyResource struct {
	resourceBase
}

type replicationPolicyModel struct {
	ID                  types.String `tfsdk:"id"`
	ProtectionGroupID   types.String `tfsdk:"protection_group_id"`
	PrimaryFAURL        types.String `tfsdk:"primary_fa_url"`
	SecondaryFAURL      types.String `tfsdk:"secondary_fa_url"`
	PrimaryFAToken      types.String `tfsdk:"primary_fa_token"`
	SecondaryFAToken    types.String `tfsdk:"secondary_fa_token"`
	PurePGName          types.String `tfsdk:"pure_pg_name"`
	ReplicationInterval types.Int64  `tfsdk:"replication_interval"`
	RPOMinutes          types.Int64  `tfsdk:"rpo_minutes"`
	ReplicationType     types.String `tfsdk:"replication_type"`
	Kind                types.String `tfsdk:"kind"`
	PrimaryArrayName    types.String `tfsdk:"primary_array_name"`
	SecondaryArrayName  types.String `tfsdk:"secondary_array_name"`
	ReplicationEnabled  types.Bool   `tfsdk:"replication_enabled"`
	TargetAllowed       types.Bool   `tfsdk:"target_allowed"`
	PrimarySite         types.String `tfsdk:"primary_site"`
	SecondarySite       types.String `tfsdk:"secondary_site"`
	Drift               types.List   `tfsdk:"drift"`

	// The write-only tokens are null in plan and state; loadWriteOnlyTokens
	// fills them from the configuration where it is at hand.
	PrimaryFATokenWO          types.String `tfsdk:"primary_fa_token_wo"`
	PrimaryFATokenWOVersion   types.Int64  `tfsdk:"primary_fa_token_wo_version"`
	SecondaryFATokenWO        types.String `tfsdk:"secondary_fa_token_wo"`
	SecondaryFATokenWOVersion types.Int64  `tfsdk:"secondary_fa_token_wo_version"`

	// Timeouts bound the long operations (the `timeouts` block).
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (r *replicationPolicyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_replication_policy"
}

func (r *replicationPolicyResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	https := []validator.String{arrayURL()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The FlashArray side of one protection group, the guide's `policy-create`: binds the group " +
			"to a Pure protection group (`async`: snapshots replicated every `replication_interval` seconds to the " +
			"secondary array, which must allow the group) or to a pod stretched to both arrays (`sync`, zero RPO), " +
			"and puts the volumes of every member into it. A group without a policy cannot validate replication " +
			"readiness or fail over.\n\n" +
			"At plan the provider checks that both arrays answer with the tokens given and are connected for the group's " +
			"replication type, and that `replication_interval` / `rpo_minutes` are only used with `async` groups. " +
			"Interval and RPO update in place (and write the group's next metadata version); the arrays and the Pure " +
			"group name are fixed.\n\n" +
			"Replication readiness changes with time, so it is read on every plan by the `protector_sync_status` data " +
			"source (`rpo_compliant`, `replication_lag_seconds`, `last_replicated_at`); a breached RPO is also reported " +
			"as a warning in every plan. **Breaking change:** those three attributes and `metadata_version` were removed " +
			"from this resource; read them from `protector_sync_status` (`local_version` for the metadata version).\n\n" +
			"Tokens are never stored in the group's metadata. When `primary_fa_token` / `secondary_fa_token` are not " +
			"set, the token of the provider's `flasharrays` entry with the same URL is used; configure tokens there to " +
			"import policies.\n\n" +
			"To keep tokens out of the state altogether, give them as the write-only `primary_fa_token_wo` / " +
			"`secondary_fa_token_wo` (OpenTofu or Terraform 1.11 and later) **and** in the provider's `flasharrays`: " +
			"the write-only token is used when the policy is created and whenever its `*_wo_version` changes, and never " +
			"stored; refresh, member changes and destroy in later runs take the token from the provider's `flasharrays`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Same as `protection_group_id`: a group has one policy.",
				PlanModifiers:       keep,
			},
			"protection_group_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id of the protection group (`pg-<uuid>`). Changing it replaces the policy.",
				PlanModifiers:       replace,
				Validators:          []validator.String{protectionGroupID()},
			},
			"primary_fa_url": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "HTTPS management URL of the primary site's FlashArray. Changing it replaces the policy.",
				PlanModifiers:       replace,
				Validators:          https,
			},
			"secondary_fa_url": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "HTTPS management URL of the secondary site's FlashArray. Changing it replaces the policy.",
				PlanModifiers:       replace,
				Validators:          https,
			},
			"primary_fa_token":              tokenAttribute("primary"),
			"secondary_fa_token":            tokenAttribute("secondary"),
			"primary_fa_token_wo":           writeOnlyTokenAttribute("primary"),
			"secondary_fa_token_wo":         writeOnlyTokenAttribute("secondary"),
			"primary_fa_token_wo_version":   writeOnlyVersionAttribute("primary"),
			"secondary_fa_token_wo_version": writeOnlyVersionAttribute("secondary"),
			"pure_pg_name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Name of the Pure protection group (`async`) or pod (`sync`) to bind; it must exist on the primary " +
					"array: the provider never creates a Pure group or pod, so that no second group replicates the same volumes. " +
					"Default (recommended): the ones the Pure Cinder driver keeps, `consisgroup-<primary consistency group id>-cinder` " +
					"for async (made by the driver with the consistency group, which must have a group type with " +
					"`consistent_group_snapshot_enabled`) and `cinder-pod` for sync (the driver's `pure_replication_pod_name`). " +
					"An async name of your own must name a protection group configured on the array that holds no volume outside the " +
					"consistency group (an empty one for a new group; the policy adds the members' volumes), while the driver's group " +
					"does not replicate; a sync name must be the pod holding the driver's group of the consistency group. Anything " +
					"else is refused at plan (at apply, before any change, when the group is created in the same run), with the name " +
					"to use. Destroying the policy undoes only what it did (the target it added or allowed, the schedule it enabled or " +
					"changed, the volumes it put in a group of your own); the group or pod stays. The name is " + pureGroupName().rule +
					". Changing it replaces the policy.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{pureGroupName()},
			},
			"replication_interval": schema.Int64Attribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: fmt.Sprintf("Async only: snapshot replication interval in seconds (`300` for 5 minutes), "+
					"%d to %d. Default `%d` (the Pure driver's). Read back from the array's replication schedule: when it is "+
					"set here, a schedule changed on the array shows as drift and the next apply restores it. Updates in place.", engine.MinReplicationInterval, engine.MaxReplicationInterval, engine.DefaultReplicationInterval),
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
				Validators:    []validator.Int64{int64validator.Between(engine.MinReplicationInterval, engine.MaxReplicationInterval)},
			},
			"rpo_minutes": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Async only: Recovery Point Objective in minutes (`15`), used for replication readiness " +
					fmt.Sprintf("validation, 1 to %d (a year); must not be shorter than the interval (`replication_interval`, or its default "+
						"of %d s). Updates in place.", engine.MaxRPOMinutes, engine.DefaultReplicationInterval),
				Validators: []validator.Int64{int64validator.Between(1, engine.MaxRPOMinutes)},
			},
			"replication_type": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The group's replication type, `async` or `sync`.",
				PlanModifiers:       keep,
			},
			"kind": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`protection_group` (async) or `pod` (sync).",
				PlanModifiers:       keep,
			},
			"primary_array_name": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Name the primary FlashArray reports for itself.",
				PlanModifiers:       keep,
			},
			"secondary_array_name": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Name the secondary FlashArray reports for itself.",
				PlanModifiers:       keep,
			},
			"replication_enabled": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Async: whether the Pure protection group's replication schedule is enabled. Sync: " +
					"whether the pod is online on both arrays.",
			},
			"target_allowed": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Async: whether the secondary array allows the protection group as a target. Sync: " +
					"whether the pod is online on both arrays.",
			},
			"drift": driftAttribute("on the primary array the Pure protection group (or pod) deleted, replication " +
				"disabled, member volumes taken out of it; on the secondary array the target no longer allowed (or the pod " +
				"no longer online there)"),
			"primary_site": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Primary site of the group: where a refresh or a destroy reads the group's metadata, which holds the policy.",
				PlanModifiers:       keep,
			},
			"secondary_site": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Secondary site of the group, which holds a copy of its metadata.",
				PlanModifiers:       keep,
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx, "replication policy", "the binding on both arrays and the metadata write",
				"a change of the schedule or RPO, or a drift repair", "the unbinding on both arrays"),
		},
	}
}

// ModifyPlan checks the arrays at plan: reachable with the tokens, connected
// for the group's replication type, interval and RPO valid for the group.
// A group created in the same run is checked as planned (its plan proposes
// its id); without an id, what the arrays alone tell.
func (r *replicationPolicyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil || r.data.engine == nil || isDestroy(req) || runDestroys() {
		return
	}
	var plan replicationPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !isCreate(req) {
		var state replicationPolicyModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		if stateHasDrift(ctx, req, resp) {
			// The repair binds again.
			planDriftRepair(ctx, resp, map[string]attr.Value{
				"replication_enabled": types.BoolUnknown(),
				"target_allowed":      types.BoolUnknown(),
			})
		}
		if plan.sameConfig(state) {
			return
		}
	}
	resp.Diagnostics.Append(plan.loadWriteOnlyTokens(ctx, req.Config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !known(plan.PrimaryFAURL, plan.SecondaryFAURL, plan.PrimaryFAToken, plan.SecondaryFAToken,
		plan.PrimaryFATokenWO, plan.SecondaryFATokenWO, plan.RPOMinutes) {
		addWarnings(&resp.Diagnostics, "Replication policy check not complete", []string{
			"checked at apply: an array URL, token or rpo_minutes of the policy is known only at apply, so the arrays are checked then"})
		return
	}
	check := r.data.engine.CheckPolicy
	if !known(plan.ProtectionGroupID) {
		// The group's id comes from values known only at apply: check the
		// arrays without it.
		check = r.data.engine.CheckUnplacedPolicy
	}
	warnings, err := check(ctx, plan.spec())
	if err != nil {
		addEngineError(&resp.Diagnostics, "check the replication policy of "+plan.ProtectionGroupID.ValueString(), err)
		return
	}
	addWarnings(&resp.Diagnostics, "Replication policy check not complete", warnings)
	if isCreate(req) && known(plan.ProtectionGroupID) {
		// Where the group lives goes into the plan: the apply runs in a
		// process that may have no other way to find it.
		if primary, secondary, err := r.data.engine.GroupSites(ctx, plan.groupID()); err == nil {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("primary_site"), primary)...)
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("secondary_site"), secondary)...)
		}
	}
}

func (r *replicationPolicyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan replicationPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(plan.loadWriteOnlyTokens(ctx, req.Config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, plan.Timeouts, "create", &resp.Diagnostics)
	defer cancel()
	plan.locate(r.data.engine)
	p, err := r.data.engine.CreatePolicy(ctx, plan.spec())
	if err != nil {
		addOperationError(ctx, &resp.Diagnostics, "create", limit, "create the replication policy of "+plan.ProtectionGroupID.ValueString(), err)
		return
	}
	plan.fill(p)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *replicationPolicyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state replicationPolicyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.writeOnlyTokenMissing(r.data, &resp.Diagnostics, "refresh") {
		return
	}
	state.locate(r.data.engine)
	primary, secondary := state.endpoints()
	p, err := r.data.engine.GetPolicy(ctx, state.groupID(), primary, secondary)
	if errors.Is(err, engine.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addEngineError(&resp.Diagnostics, "read the replication policy of "+state.groupID(), err)
		return
	}
	state.fill(p)
	if breach := p.RPOBreach(); breach != "" {
		resp.Diagnostics.AddWarning("RPO breach: protection group "+p.GroupID, breach)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *replicationPolicyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan, state replicationPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(plan.loadWriteOnlyTokens(ctx, req.Config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, plan.Timeouts, "update", &resp.Diagnostics)
	defer cancel()
	state.locate(r.data.engine)
	var p *engine.Policy
	var err error
	if plan.ReplicationInterval.Equal(state.ReplicationInterval) && plan.RPOMinutes.Equal(state.RPOMinutes) && len(state.Drift.Elements()) == 0 {
		// Only tokens changed: nothing to write, but prove the new ones work.
		primary, secondary := plan.endpoints()
		p, err = r.data.engine.GetPolicy(ctx, state.groupID(), primary, secondary)
	} else {
		p, err = r.data.engine.UpdatePolicy(ctx, plan.spec())
	}
	if err != nil {
		addOperationError(ctx, &resp.Diagnostics, "update", limit, "update the replication policy of "+state.groupID(), err)
		return
	}
	plan.fill(p)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *replicationPolicyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state replicationPolicyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, state.Timeouts, "delete", &resp.Diagnostics)
	defer cancel()
	if state.writeOnlyTokenMissing(r.data, &resp.Diagnostics, "destroy") {
		return
	}
	state.locate(r.data.engine)
	primary, secondary := state.endpoints()
	if err := r.data.engine.DeletePolicy(ctx, state.groupID(), primary, secondary); err != nil {
		addOperationError(ctx, &resp.Diagnostics, "delete", limit, "delete the replication policy of "+state.groupID(), err)
	}
}

// ImportState takes "<site>/<group id or name>". Tokens cannot be read
// back: they come from the provider's flasharrays.
func (r *replicationPolicyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	g := importGroup(ctx, r.data, req.ID, &resp.Diagnostics, "site", "group id or name")
	if g == nil {
		return
	}
	if g.Policy == nil {
		resp.Diagnostics.AddError("Protection group has no replication policy",
			fmt.Sprintf("Protection group %s (%s) has no replication policy to import. Create one with protector_replication_policy.", g.Name, g.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), g.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("protection_group_id"), g.ID)...)
}

// locate tells the engine where the state says the group lives.
func (m *replicationPolicyModel) locate(e *engine.Engine) {
	e.Locate(m.groupID(), m.PrimarySite.ValueString(), m.SecondarySite.ValueString())
}

func (m *replicationPolicyModel) groupID() string {
	if !m.ProtectionGroupID.IsNull() && m.ProtectionGroupID.ValueString() != "" {
		return m.ProtectionGroupID.ValueString()
	}
	return m.ID.ValueString()
}

// endpoints resolves URL and token of both arrays. Empty URLs (right after
// import) let the engine use the ones recorded in the metadata.
func (m *replicationPolicyModel) endpoints() (primary, secondary engine.ArrayEndpoint) {
	primary = engine.ArrayEndpoint{URL: m.PrimaryFAURL.ValueString()}
	secondary = engine.ArrayEndpoint{URL: m.SecondaryFAURL.ValueString()}
	// Without a token of its own, the engine takes the provider's
	// flasharrays entry with the same URL.
	if primary.URL != "" {
		primary.APIToken = ownToken(m.PrimaryFAToken, m.PrimaryFATokenWO).ValueString()
	}
	if secondary.URL != "" {
		secondary.APIToken = ownToken(m.SecondaryFAToken, m.SecondaryFATokenWO).ValueString()
	}
	return primary, secondary
}

func (m *replicationPolicyModel) spec() engine.PolicySpec {
	primary, secondary := m.endpoints()
	spec := engine.PolicySpec{
		GroupID:    m.groupID(),
		Primary:    primary,
		Secondary:  secondary,
		RPOMinutes: m.RPOMinutes.ValueInt64(),
	}
	if !m.PurePGName.IsUnknown() {
		spec.PureGroupName = m.PurePGName.ValueString()
	}
	if !m.ReplicationInterval.IsUnknown() {
		spec.ReplicationInterval = m.ReplicationInterval.ValueInt64()
	}
	return spec
}

// sameConfig reports whether two models agree on every configurable value.
func (m *replicationPolicyModel) sameConfig(o replicationPolicyModel) bool {
	return m.ProtectionGroupID.Equal(o.ProtectionGroupID) &&
		m.PrimaryFAURL.Equal(o.PrimaryFAURL) && m.SecondaryFAURL.Equal(o.SecondaryFAURL) &&
		m.PrimaryFAToken.Equal(o.PrimaryFAToken) && m.SecondaryFAToken.Equal(o.SecondaryFAToken) &&
		m.PrimaryFATokenWOVersion.Equal(o.PrimaryFATokenWOVersion) && m.SecondaryFATokenWOVersion.Equal(o.SecondaryFATokenWOVersion) &&
		m.PurePGName.Equal(o.PurePGName) && m.ReplicationInterval.Equal(o.ReplicationInterval) &&
		m.RPOMinutes.Equal(o.RPOMinutes)
}

func (m *replicationPolicyModel) fill(p *engine.Policy) {
	m.ID = types.StringValue(p.GroupID)
	m.ProtectionGroupID = types.StringValue(p.GroupID)
	// Keep the configured spelling of a URL the engine recorded as the same.
	if engine.CanonicalArrayURL(m.PrimaryFAURL.ValueString()) != engine.CanonicalArrayURL(p.PrimaryArrayURL) {
		m.PrimaryFAURL = types.StringValue(p.PrimaryArrayURL)
	}
	if engine.CanonicalArrayURL(m.SecondaryFAURL.ValueString()) != engine.CanonicalArrayURL(p.SecondaryArrayURL) {
		m.SecondaryFAURL = types.StringValue(p.SecondaryArrayURL)
	}
	m.PurePGName = types.StringValue(p.PureGroupName)
	m.ReplicationType = types.StringValue(p.ReplicationType)
	m.Kind = types.StringValue(p.Kind)
	m.PrimaryArrayName = types.StringValue(p.PrimaryArrayName)
	m.SecondaryArrayName = types.StringValue(p.SecondaryArrayName)
	m.PrimarySite = types.StringValue(p.PrimarySite)
	m.SecondarySite = types.StringValue(p.SecondarySite)
	m.Drift = stringList(p.Drift)
	m.ReplicationEnabled = types.BoolValue(p.ReplicationEnabled)
	m.TargetAllowed = types.BoolValue(p.TargetAllowed)
	m.ReplicationInterval, m.RPOMinutes = types.Int64Null(), types.Int64Null()
	if interval, rpo, applies := p.Schedule(); applies {
		m.ReplicationInterval = types.Int64Value(interval)
		if rpo > 0 {
			m.RPOMinutes = types.Int64Value(rpo)
		}
	}
}

func tokenAttribute(which string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:  true,
		Sensitive: true,
		MarkdownDescription: "API token of the " + which + " FlashArray. Default: the provider's `flasharrays` entry with the same URL. " +
			"Never shown in plan output or logs, but kept in the state (sensitive); `" + which + "_fa_token_wo` keeps it out of the state.",
	}
}

func writeOnlyTokenAttribute(which string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:  true,
		Sensitive: true,
		WriteOnly: true,
		MarkdownDescription: "API token of the " + which + " FlashArray, write-only: used when the policy is created and when `" +
			which + "_fa_token_wo_version` changes, never stored in plan or state. Needs OpenTofu or Terraform 1.11 or later; " +
			"conflicts with `" + which + "_fa_token`. Give the same token in the provider's `flasharrays` (by URL): refresh, " +
			"member changes and destroy in later runs take it from there.",
		Validators: []validator.String{
			stringvalidator.ConflictsWith(path.MatchRoot(which + "_fa_token")),
			stringvalidator.LengthAtLeast(1),
		},
	}
}

func writeOnlyVersionAttribute(which string) schema.Int64Attribute {
	return schema.Int64Attribute{
		Optional: true,
		MarkdownDescription: "Version of `" + which + "_fa_token_wo`: change it (e.g. increment it) when the token changes, so " +
			"that the plan updates the policy and the new token is checked against the array. Updates in place.",
		Validators: []validator.Int64{int64validator.AlsoRequires(path.MatchRoot(which + "_fa_token_wo"))},
	}
}

// ConfigValidators suggest the write-only tokens to engines that have them.
func (r *replicationPolicyResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.PreferWriteOnlyAttribute(path.MatchRoot("primary_fa_token"), path.MatchRoot("primary_fa_token_wo")),
		resourcevalidator.PreferWriteOnlyAttribute(path.MatchRoot("secondary_fa_token"), path.MatchRoot("secondary_fa_token_wo")),
	}
}

// ValidateConfig checks what the configuration alone tells (it runs in
// `validate`, unconfigured): two different arrays, an RPO the interval can
// meet, and write-only tokens only on engines that support them.
func (r *replicationPolicyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg replicationPolicyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !req.ClientCapabilities.WriteOnlyAttributesAllowed {
		for _, which := range []struct {
			name  string
			value types.String
		}{{"primary", cfg.PrimaryFATokenWO}, {"secondary", cfg.SecondaryFATokenWO}} {
			if which.value.IsNull() {
				continue
			}
			resp.Diagnostics.AddAttributeError(path.Root(which.name+"_fa_token_wo"), "Write-only arguments not supported by this engine",
				fmt.Sprintf("%[1]s_fa_token_wo is a write-only argument, which needs OpenTofu 1.11 or Terraform 1.11 or later. "+
					"With this version, remove %[1]s_fa_token_wo and %[1]s_fa_token_wo_version and either give the token in the "+
					"provider's flasharrays entry with url = %[1]s_fa_url (never stored in the state), or set %[1]s_fa_token "+
					"(sensitive, but kept in the state).", which.name))
		}
	}
	if known(cfg.PrimaryFAURL, cfg.SecondaryFAURL) && !cfg.PrimaryFAURL.IsNull() && !cfg.SecondaryFAURL.IsNull() {
		if problem := engine.SameArrayProblem(cfg.PrimaryFAURL.ValueString(), cfg.SecondaryFAURL.ValueString()); problem != "" {
			resp.Diagnostics.AddAttributeError(path.Root("secondary_fa_url"), "Same FlashArray on both sites", problem)
		}
	}
	// rpo_minutes' own validator reports a value out of range.
	if known(cfg.RPOMinutes, cfg.ReplicationInterval) && !cfg.RPOMinutes.IsNull() && cfg.RPOMinutes.ValueInt64() >= 1 {
		if problem := engine.RPOProblem(cfg.RPOMinutes.ValueInt64(), cfg.ReplicationInterval.ValueInt64()); problem != "" {
			resp.Diagnostics.AddAttributeError(path.Root("rpo_minutes"), "RPO shorter than the replication interval", problem)
		}
	}
}

// loadWriteOnlyTokens takes the write-only tokens from the configuration:
// plan and state never hold them.
func (m *replicationPolicyModel) loadWriteOnlyTokens(ctx context.Context, cfg tfsdk.Config) diag.Diagnostics {
	var diags diag.Diagnostics
	diags.Append(cfg.GetAttribute(ctx, path.Root("primary_fa_token_wo"), &m.PrimaryFATokenWO)...)
	diags.Append(cfg.GetAttribute(ctx, path.Root("secondary_fa_token_wo"), &m.SecondaryFATokenWO)...)
	return diags
}

// ownToken is the policy's own token of an array: the plain argument, else
// the write-only one (when it was loaded from the configuration).
func ownToken(plain, writeOnly types.String) types.String {
	if !plain.IsNull() && !plain.IsUnknown() && plain.ValueString() != "" {
		return plain
	}
	return writeOnly
}

// writeOnlyTokenMissing reports, for a policy whose token was given
// write-only, an array whose token the provider's flasharrays does not
// have: the state cannot supply it, so say where it must go.
func (m *replicationPolicyModel) writeOnlyTokenMissing(d *providerData, diags *diag.Diagnostics, doing string) bool {
	missing := false
	for _, a := range []struct {
		which   string
		url     types.String
		plain   types.String
		version types.Int64
	}{{"primary", m.PrimaryFAURL, m.PrimaryFAToken, m.PrimaryFATokenWOVersion}, {"secondary", m.SecondaryFAURL, m.SecondaryFAToken, m.SecondaryFATokenWOVersion}} {
		if a.version.IsNull() || a.url.ValueString() == "" || a.plain.ValueString() != "" ||
			(d != nil && d.engine != nil && d.engine.ConfiguredArrayToken(a.url.ValueString())) {
			continue
		}
		missing = true
		diags.AddAttributeError(path.Root(a.which+"_fa_token_wo"), "FlashArray token needed to "+doing,
			fmt.Sprintf("The token of %s was given as the write-only %s_fa_token_wo, which is not kept in the state, and the "+
				"provider's flasharrays has no entry with url = %q. Add one (flasharrays = { %s = { url = %q, api_token = ... } }) "+
				"to %s the replication policy of %s.", a.url.ValueString(), a.which, a.url.ValueString(), a.which, a.url.ValueString(), doing, m.groupID()))
	}
	return missing
}
