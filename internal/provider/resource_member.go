package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var (
	_ resource.ResourceWithConfigure   = (*memberResource)(nil)
	_ resource.ResourceWithImportState = (*memberResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*memberResource)(nil)
)

// NewMemberResource is the protector_member resource.
func NewMemberResource() resource.Resource { return &memberResource{} }

type memberResource struct {
	resourceBase
}

type memberModel struct {
	ID                types.String `tfsdk:"id"`
	ProtectionGroupID types.String `tfsdk:"protection_group_id"`
	InstanceID        types.String `tfsdk:"instance_id"`
	InstanceName      types.String `tfsdk:"instance_name"`
	Status            types.String `tfsdk:"status"`
	VolumeIDs         types.List   `tfsdk:"volume_ids"`
	VolumesAdded      types.Int64  `tfsdk:"volumes_added"`
	PrimarySite       types.String `tfsdk:"primary_site"`
	Drift             types.List   `tfsdk:"drift"`

	// Timeouts bound the long operations (the `timeouts` block).
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (r *memberResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_member"
}

func (r *memberResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "One Nova VM in a protection group, the guide's `member-add`. The provider discovers every " +
			"Cinder volume attached to the instance (boot volume included), checks that each uses the group's volume " +
			"type on the group's storage backend, adds them to the consistency group (and to the Pure protection group " +
			"or pod when the group has a replication policy), increments the group's metadata version and pushes it " +
			"to the peer site.\n\n" +
			"The checks run at **plan**: a VM with a volume of another type fails with \"volume type mismatch\", one on " +
			"another backend with \"volume on another storage backend\" (needs an admin credential to be seen at plan; " +
			"else Cinder refuses it at apply), and any change while the peer site is down with \"remote site " +
			"unreachable\". Destroying the member takes its volumes out of the consistency group; the VM itself is not " +
			"affected.\n\n" +
			"**Breaking change:** the attribute `metadata_version` was removed (every later change of the group moved it " +
			"after the apply); the `protector_sync_status` data source reads the group's version (`local_version`) on every plan.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Member id (`member-<uuid>`).",
				PlanModifiers:       keep,
			},
			"protection_group_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id of the protection group (`pg-<uuid>`). Changing it moves the VM: it is removed from the old group and added to the new one.",
				PlanModifiers:       replace,
				Validators:          []validator.String{protectionGroupID()},
			},
			"instance_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Nova instance UUID on the group's primary site (`a1b2c3d4-1111-2222-3333-aabbccddeeff`), not its name. Changing it replaces the member.",
				PlanModifiers:       replace,
				Validators:          []validator.String{instanceID()},
			},
			"instance_name": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Name of the instance (`web-server-1`).",
				PlanModifiers:       keep,
			},
			"status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "What the refresh saw: `protected` when the instance exists and every volume is in the " +
					"consistency group with the group's volume type; `error` otherwise (`drift` says what), which needs repair " +
					"or investigation before a failover.",
				PlanModifiers: keep,
			},
			"volume_ids": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Ids of the Cinder volumes of the instance that were added, in attachment order.",
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
			},
			"volumes_added": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Number of volumes added (the length of `volume_ids`).",
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"primary_site": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Primary site of the group, where the instance runs.",
				PlanModifiers:       keep,
			},
			"drift": driftAttribute("volumes of the instance that left the consistency group (repaired by putting them " +
				"back), volumes attached to it since it became a member (repaired by adding them), a deleted instance or a volume retyped away from the group's type (not repairable: the plan says so)"),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx, "member", "adding the instance's volumes and the metadata write (and a drift repair)",
				"", "taking the volumes out of the consistency group and the metadata write"),
		},
	}
}

// ModifyPlan is the plan-time check of a new member: both sites reachable,
// every volume of the instance of the group's type and backend.
func (r *memberResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil || r.data.engine == nil || isDestroy(req) || runDestroys() {
		return
	}
	if !isCreate(req) {
		r.planRepair(ctx, req, resp)
		return
	}
	var plan memberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !known(plan.InstanceID) {
		return
	}
	check := r.data.engine.CheckMember
	if !known(plan.ProtectionGroupID) {
		// The group's id comes from values known only at apply: check what
		// can be checked without it.
		check = r.data.engine.CheckUnplacedMember
	}
	warnings, err := check(ctx, plan.spec())
	if err != nil {
		addEngineError(&resp.Diagnostics, "check instance "+plan.InstanceID.ValueString(), err)
		return
	}
	addWarnings(&resp.Diagnostics, "Member check not complete", warnings)
	if known(plan.ProtectionGroupID) {
		// Where the group lives goes into the plan: the apply runs in a
		// process that may have no other way to find it.
		if primary, _, err := r.data.engine.GroupSites(ctx, plan.ProtectionGroupID.ValueString()); err == nil {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("primary_site"), primary)...)
		}
	}
}

// planRepair proposes the repair of a member whose refresh found drift, or
// fails the plan with the reason when an apply cannot repair it.
func (r *memberResource) planRepair(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if !stateHasDrift(ctx, req, resp) {
		return
	}
	var state memberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state.locate(r.data.engine)
	m, _, err := r.data.engine.GetMember(ctx, state.ProtectionGroupID.ValueString(), state.ID.ValueString())
	if err != nil {
		addEngineError(&resp.Diagnostics, "read member "+state.ID.ValueString(), err)
		return
	}
	if refused := m.RepairRefused("this protector_member"); refused != "" {
		resp.Diagnostics.AddError("Member "+m.InstanceName+" cannot be repaired", refused)
		return
	}
	// The repair records the volumes attached since the instance became a
	// member.
	planDriftRepair(ctx, resp, map[string]attr.Value{
		"status":        types.StringUnknown(),
		"volume_ids":    types.ListUnknown(types.StringType),
		"volumes_added": types.Int64Unknown(),
	})
}

func (r *memberResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan memberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, plan.Timeouts, "create", &resp.Diagnostics)
	defer cancel()
	plan.locate(r.data.engine)
	m, g, err := r.data.engine.AddMember(ctx, plan.spec())
	if err != nil {
		addOperationError(ctx, &resp.Diagnostics, "create", limit, "add instance "+plan.InstanceID.ValueString()+" to protection group "+plan.ProtectionGroupID.ValueString(), err)
		return
	}
	addSyncWarning(&resp.Diagnostics, g)
	resp.Diagnostics.Append(plan.fill(ctx, m, g)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *memberResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state memberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state.locate(r.data.engine)
	m, g, err := r.data.engine.GetMember(ctx, state.ProtectionGroupID.ValueString(), state.ID.ValueString())
	if errors.Is(err, engine.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addEngineError(&resp.Diagnostics, "read member "+state.ID.ValueString(), err)
		return
	}
	// A check the refresh could not make is not reported as passed.
	addWarnings(&resp.Diagnostics, "Member check not complete", m.Unchecked)
	resp.Diagnostics.Append(state.fill(ctx, m, g)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update repairs drift: both arguments force replacement, so drift is the
// only change an update carries.
func (r *memberResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan, state memberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if len(state.Drift.Elements()) == 0 {
		keepStateWithNewTimeouts(ctx, req, resp)
		return
	}
	// A repair re-adds what the member's creation added: the create limit.
	ctx, cancel, limit := operationTimeout(ctx, plan.Timeouts, "create", &resp.Diagnostics)
	defer cancel()
	state.locate(r.data.engine)
	m, g, err := r.data.engine.RepairMember(ctx, plan.ProtectionGroupID.ValueString(), plan.ID.ValueString())
	if err != nil {
		addOperationError(ctx, &resp.Diagnostics, "create", limit, "repair member "+plan.InstanceName.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(plan.fill(ctx, m, g)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *memberResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state memberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, state.Timeouts, "delete", &resp.Diagnostics)
	defer cancel()
	state.locate(r.data.engine)
	err := r.data.engine.RemoveMember(ctx, state.ProtectionGroupID.ValueString(), state.ID.ValueString())
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		addOperationError(ctx, &resp.Diagnostics, "delete", limit, "remove member "+state.InstanceName.ValueString()+" from protection group "+state.ProtectionGroupID.ValueString(), err)
	}
}

// ImportState takes "<site>/<group id or name>/<member id or instance id>".
func (r *memberResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	g := importGroup(ctx, r.data, req.ID, &resp.Diagnostics, "site", "group id or name", "member id or instance id")
	if g == nil {
		return
	}
	memberRef := lastPart(req.ID)
	m, _, err := r.data.engine.GetMember(ctx, g.ID, memberRef)
	if errors.Is(err, engine.ErrNotFound) {
		resp.Diagnostics.AddError("Member not found",
			fmt.Sprintf("Protection group %s has no member with id or instance id %q (the guide's `member-list %s`).", g.Name, memberRef, g.Name))
		return
	}
	if err != nil {
		addEngineError(&resp.Diagnostics, "find member "+memberRef, err)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), m.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("protection_group_id"), g.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("instance_id"), m.InstanceID)...)
}

// lastPart is what follows the last "/" (all of s without one).
func lastPart(s string) string {
	return s[strings.LastIndex(s, "/")+1:]
}

// locate tells the engine where the state says the member's group lives.
func (m *memberModel) locate(e *engine.Engine) {
	e.Locate(m.ProtectionGroupID.ValueString(), m.PrimarySite.ValueString())
}

func (m *memberModel) spec() engine.MemberSpec {
	return engine.MemberSpec{GroupID: m.ProtectionGroupID.ValueString(), InstanceID: m.InstanceID.ValueString()}
}

func (m *memberModel) fill(ctx context.Context, mem *engine.Member, g *engine.Group) diagnostics {
	m.ID = types.StringValue(mem.ID)
	m.InstanceID = types.StringValue(mem.InstanceID)
	m.InstanceName = types.StringValue(mem.InstanceName)
	m.Status = types.StringValue(mem.Status)
	ids := mem.VolumeIDs
	if ids == nil {
		ids = []string{}
	}
	list, diags := types.ListValueFrom(ctx, types.StringType, ids)
	m.VolumeIDs = list
	m.VolumesAdded = types.Int64Value(int64(len(ids)))
	m.Drift = stringList(mem.Findings())
	if g != nil {
		m.ProtectionGroupID = types.StringValue(g.ID)
		m.PrimarySite = types.StringValue(g.PrimarySite)
	}
	return diags
}
