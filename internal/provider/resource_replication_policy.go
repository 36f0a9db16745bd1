package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var (
	_ resource.ResourceWithConfigure   = (*replicationPolicyResource)(nil)
	_ resource.ResourceWithImportState = (*replicationPolicyResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*replicationPolicyResource)(nil)
)

// NewReplicationPolicyResource is the protector_replication_policy resource.
func NewReplicationPolicyResource() resource.Resource { return &replicationPolicyResource{} }

type replicationPolicyResource struct {
	data *providerData
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
	MetadataVersion     types.Int64  `tfsdk:"metadata_version"`
	Drift               types.List   `tfsdk:"drift"`
	RPOCompliant        types.Bool   `tfsdk:"rpo_compliant"`
	ReplicationLag      types.Int64  `tfsdk:"replication_lag_seconds"`
	LastReplicatedAt    types.String `tfsdk:"last_replicated_at"`
}

func (r *replicationPolicyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_replication_policy"
}

func (r *replicationPolicyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	https := []validator.String{stringvalidator.RegexMatches(httpsURL, "must be an https:// URL (FlashArray management APIs are reached over HTTPS)")}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The FlashArray side of one protection group, the guide's `policy-create`: binds the group " +
			"to a Pure protection group (`async`: snapshots replicated every `replication_interval` seconds to the " +
			"secondary array, which must allow the group) or to a pod stretched to both arrays (`sync`, zero RPO), " +
			"and puts the volumes of every member into it. A group without a policy cannot validate replication " +
			"readiness or fail over.\n\n" +
			"At plan the provider checks that both arrays answer with the tokens given and are connected for the group's " +
			"replication type, and that `replication_interval` / `rpo_minutes` are only used with `async` groups. " +
			"Interval and RPO update in place (and increment the group's `metadata_version`); the arrays and the Pure " +
			"group name are fixed.\n\n" +
			"Tokens are never stored in the group's metadata. When `primary_fa_token` / `secondary_fa_token` are not " +
			"set, the token of the provider's `flasharrays` entry with the same URL is used; configure tokens there to " +
			"import policies.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Same as `protection_group_id`: a group has one policy.",
				PlanModifiers:       keep,
			},
			"protection_group_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id of the protection group. Changing it replaces the policy.",
				PlanModifiers:       replace,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
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
			"primary_fa_token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "API token of the primary FlashArray. Default: the provider's `flasharrays` entry with the same URL. Never shown in plan output or logs.",
			},
			"secondary_fa_token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "API token of the secondary FlashArray. Default: the provider's `flasharrays` entry with the same URL. Never shown in plan output or logs.",
			},
			"pure_pg_name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Name of the Pure protection group (`async`) or pod (`sync`). An existing one is adopted, " +
					"else it is created (and destroyed with the policy). Default: the names the Pure Cinder driver uses, " +
					"`consisgroup-<primary consistency group id>-cinder` for async and `cinder-pod` for sync. Changing it replaces the policy.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"replication_interval": schema.Int64Attribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: fmt.Sprintf("Async only: snapshot replication interval in seconds (`300` for 5 minutes), "+
					"%d to %d. Default `3600` (the Pure driver's). Read back from the array's replication schedule: when it is "+
					"set here, a schedule changed on the array shows as drift and the next apply restores it. Updates in place.", engine.MinReplicationInterval, engine.MaxReplicationInterval),
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
				Validators:    []validator.Int64{int64validator.Between(engine.MinReplicationInterval, engine.MaxReplicationInterval)},
			},
			"rpo_minutes": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Async only: Recovery Point Objective in minutes (`15`), used for replication readiness " +
					"validation; must not be shorter than the interval. Updates in place.",
				Validators: []validator.Int64{int64validator.AtLeast(1)},
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
			"rpo_compliant": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Async: whether the newest snapshot fully replicated to the secondary array is within " +
					"`rpo_minutes` (replication readiness). Before the first snapshot arrives the clock runs from the policy's " +
					"creation. A breach is reported as a warning in every plan. Null for sync (zero RPO).",
			},
			"replication_lag_seconds": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Async: seconds since the creation of the newest snapshot fully transferred to the secondary array, as of the last refresh.",
			},
			"last_replicated_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Async: creation time (RFC 3339) of the newest snapshot fully transferred to the secondary array; empty before the first one.",
			},
			"metadata_version": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "The group's metadata version after the last change of the policy.",
			},
		},
	}
}

func (r *replicationPolicyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configured(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan checks the arrays at plan: reachable with the tokens, connected
// for the group's replication type, interval and RPO valid for the group.
// A group created in the same run has no id yet: checked at apply.
func (r *replicationPolicyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil || r.data.engine == nil || isDestroy(req) {
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
		if len(state.Drift.Elements()) > 0 {
			// Plan binding again: what it changes is known after apply.
			plan.Drift = stringList(nil)
			plan.ReplicationEnabled = types.BoolUnknown()
			plan.TargetAllowed = types.BoolUnknown()
			plan.MetadataVersion = types.Int64Unknown()
			plan.RPOCompliant = types.BoolUnknown()
			plan.ReplicationLag = types.Int64Unknown()
			plan.LastReplicatedAt = types.StringUnknown()
			resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		}
		if plan.sameConfig(state) {
			return
		}
	}
	if !known(plan.ProtectionGroupID, plan.PrimaryFAURL, plan.SecondaryFAURL, plan.PrimaryFAToken, plan.SecondaryFAToken, plan.RPOMinutes) {
		return
	}
	warnings, err := r.data.engine.CheckPolicy(ctx, plan.spec(r.data))
	if err != nil {
		addEngineError(&resp.Diagnostics, "check the replication policy of "+plan.ProtectionGroupID.ValueString(), err)
		return
	}
	addWarnings(&resp.Diagnostics, "Replication policy check not complete", warnings)
}

func (r *replicationPolicyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan replicationPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	p, err := r.data.engine.CreatePolicy(ctx, plan.spec(r.data))
	if err != nil {
		addEngineError(&resp.Diagnostics, "create the replication policy of "+plan.ProtectionGroupID.ValueString(), err)
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
	primary, secondary := state.endpoints(r.data)
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
	if rd := p.Readiness; rd != nil && !rd.Compliant {
		resp.Diagnostics.AddWarning("RPO breach: protection group "+p.GroupID,
			fmt.Sprintf("The newest snapshot replicated to %s is %s old (since %s), beyond the RPO of %d minutes. "+
				"Check the array connection and the replication schedule of %s on %s.",
				p.SecondaryArrayName, rd.Lag.Round(time.Second), lastReplicated(rd), p.RPOMinutes, p.PureGroupName, p.PrimaryArrayName))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func lastReplicated(rd *engine.Readiness) string {
	if rd.LastReplicated.IsZero() {
		return "the policy was created; nothing has been replicated yet"
	}
	return rd.LastReplicated.UTC().Format(time.RFC3339)
}

func (r *replicationPolicyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan, state replicationPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var p *engine.Policy
	var err error
	if plan.ReplicationInterval.Equal(state.ReplicationInterval) && plan.RPOMinutes.Equal(state.RPOMinutes) && len(state.Drift.Elements()) == 0 {
		// Only tokens changed: nothing to write, but prove the new ones work.
		primary, secondary := plan.endpoints(r.data)
		p, err = r.data.engine.GetPolicy(ctx, state.groupID(), primary, secondary)
	} else {
		p, err = r.data.engine.UpdatePolicy(ctx, plan.spec(r.data))
	}
	if err != nil {
		addEngineError(&resp.Diagnostics, "update the replication policy of "+state.groupID(), err)
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
	primary, secondary := state.endpoints(r.data)
	if err := r.data.engine.DeletePolicy(ctx, state.groupID(), primary, secondary); err != nil {
		addEngineError(&resp.Diagnostics, "delete the replication policy of "+state.groupID(), err)
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

func (m *replicationPolicyModel) groupID() string {
	if !m.ProtectionGroupID.IsNull() && m.ProtectionGroupID.ValueString() != "" {
		return m.ProtectionGroupID.ValueString()
	}
	return m.ID.ValueString()
}

// endpoints resolves URL and token of both arrays. Empty URLs (right after
// import) let the engine use the ones recorded in the metadata.
func (m *replicationPolicyModel) endpoints(d *providerData) (primary, secondary engine.ArrayEndpoint) {
	primary = engine.ArrayEndpoint{URL: m.PrimaryFAURL.ValueString()}
	secondary = engine.ArrayEndpoint{URL: m.SecondaryFAURL.ValueString()}
	if primary.URL != "" {
		primary.APIToken = d.arrayToken(primary.URL, m.PrimaryFAToken)
	}
	if secondary.URL != "" {
		secondary.APIToken = d.arrayToken(secondary.URL, m.SecondaryFAToken)
	}
	return primary, secondary
}

func (m *replicationPolicyModel) spec(d *providerData) engine.PolicySpec {
	primary, secondary := m.endpoints(d)
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
		m.PurePGName.Equal(o.PurePGName) && m.ReplicationInterval.Equal(o.ReplicationInterval) &&
		m.RPOMinutes.Equal(o.RPOMinutes)
}

func (m *replicationPolicyModel) fill(p *engine.Policy) {
	m.ID = types.StringValue(p.GroupID)
	m.ProtectionGroupID = types.StringValue(p.GroupID)
	// Keep the configured spelling of a URL the engine recorded as the same.
	if normalizeArrayURL(m.PrimaryFAURL.ValueString()) != normalizeArrayURL(p.PrimaryArrayURL) {
		m.PrimaryFAURL = types.StringValue(p.PrimaryArrayURL)
	}
	if normalizeArrayURL(m.SecondaryFAURL.ValueString()) != normalizeArrayURL(p.SecondaryArrayURL) {
		m.SecondaryFAURL = types.StringValue(p.SecondaryArrayURL)
	}
	m.PurePGName = types.StringValue(p.PureGroupName)
	m.ReplicationType = types.StringValue(p.ReplicationType)
	m.Kind = types.StringValue(p.Kind)
	m.PrimaryArrayName = types.StringValue(p.PrimaryArrayName)
	m.SecondaryArrayName = types.StringValue(p.SecondaryArrayName)
	m.MetadataVersion = types.Int64Value(int64(p.MetadataVersion))
	m.Drift = stringList(p.Drift)
	m.RPOCompliant, m.ReplicationLag, m.LastReplicatedAt = readinessValues(p.Readiness)
	if p.ReplicationType == engine.ReplicationSync {
		m.ReplicationInterval = types.Int64Null()
		m.RPOMinutes = types.Int64Null()
		m.ReplicationEnabled = types.BoolValue(p.PodStretched)
		m.TargetAllowed = types.BoolValue(p.PodStretched)
		return
	}
	// The array's schedule is the truth; the metadata says what was asked.
	interval := p.ActualInterval
	if interval == 0 {
		interval = p.ReplicationInterval
	}
	m.ReplicationInterval = types.Int64Value(interval)
	if p.RPOMinutes > 0 {
		m.RPOMinutes = types.Int64Value(p.RPOMinutes)
	} else {
		m.RPOMinutes = types.Int64Null()
	}
	m.ReplicationEnabled = types.BoolValue(p.ReplicationEnabled)
	m.TargetAllowed = types.BoolValue(p.TargetAllowed)
}
