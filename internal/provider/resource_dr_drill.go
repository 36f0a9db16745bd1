package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var (
	_ resource.ResourceWithConfigure   = (*drillResource)(nil)
	_ resource.ResourceWithImportState = (*drillResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*drillResource)(nil)
)

// NewDrillResource is the protector_dr_drill resource.
func NewDrillResource() resource.Resource { return &drillResource{} }

type drillResource struct {
	resourceBase
}

type drillModel struct {
	ID                types.String      `tfsdk:"id"`
	ProtectionGroupID types.String      `tfsdk:"protection_group_id"`
	NetworkID         types.String      `tfsdk:"network_id"`
	ReplicateNow      types.Bool        `tfsdk:"replicate_now"`
	VolumeType        types.String      `tfsdk:"volume_type"`
	Triggers          types.Map         `tfsdk:"triggers"`
	Site              types.String      `tfsdk:"site"`
	Array             types.String      `tfsdk:"array"`
	Snapshot          types.String      `tfsdk:"snapshot"`
	StartedAt         timetypes.RFC3339 `tfsdk:"started_at"`
	RecoveryTime      types.Float64     `tfsdk:"recovery_time_seconds"`
	Members           types.List        `tfsdk:"members"`
	Timeouts          timeouts.Value    `tfsdk:"timeouts"`
}

// drillMemberType is one element of members.
var drillMemberType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"member_id":             types.StringType,
	"instance_name":         types.StringType,
	"server_id":             types.StringType,
	"outcome":               types.StringType,
	"error":                 types.StringType,
	"recovery_time_seconds": types.Float64Type,
	"volume_ids":            types.ListType{ElemType: types.StringType},
}}

func (r *drillResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_dr_drill"
}

func (r *drillResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A disaster-recovery drill of a protection group: the group brought up on its secondary site " +
			"from the newest replicated snapshot, without touching production. Creating it checks the group's failover " +
			"readiness (a blocker refuses the drill, at plan when the group exists), then on the secondary FlashArray copies " +
			"every member volume out of the newest snapshot that arrived there into a new array volume named for the drill, " +
			"brings each copy into Cinder on the secondary site as a volume of the group's type (Cinder's manage-existing, " +
			"which needs the secondary site's admin credential, `sites.<name>.admin`), and boots each member's VM there from " +
			"its recovery description (flavor, or its mapping, and block devices in order), without a network unless " +
			"`network_id` names one, and waits until each is ACTIVE. It records per member the outcome and the recovery " +
			"time (from the drill's start to ACTIVE), and the drill in the group's sync log.\n\n" +
			"Destroying it removes everything the drill made, in reverse order (the VMs, the Cinder volumes, whose array " +
			"volumes the Pure driver destroys, and any array copy Cinder never took over), and never touches the protected " +
			"VMs, their volumes, the consistency groups or the Pure protection group. A drill interrupted half-way (a member " +
			"failed, a timeout) is kept in the state, tainted: the next apply or destroy cleans it. Change `triggers` to run " +
			"the drill again (a quarterly proof, for example).\n\n" +
			"A sync group is drilled from its pod's copy on the secondary array (no snapshot: the stretched pod is " +
			"current); since the Pure driver will not manage a volume of a sync volume type, such a drill names the " +
			"`volume_type` its volumes get.",
		Attributes: map[string]schema.Attribute{
			"id": computed("Drill id (`drill-<uuid>`)."),
			"protection_group_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id of the protection group to drill (`pg-<uuid>`). Changing it runs a new drill.",
				PlanModifiers:       replace,
				Validators:          []validator.String{protectionGroupID()},
			},
			"network_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Id of a network on the secondary site to give the drill's VMs a port on. Without it " +
					"the VMs have no network at all, so they cannot reach anything production uses.",
				PlanModifiers: replace,
			},
			"replicate_now": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Take a snapshot of the group's Pure protection group and replicate it now (`purepgroup snap " +
					"--replicate-now`), then drill from it: a drill of the group as it is now, not as of the last scheduled " +
					"replication. The snapshot is the only thing it adds on the primary array, and the array's retention " +
					"removes it like any other. Default `false`: the newest snapshot that has arrived.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			},
			"volume_type": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Volume type the drill's volumes get on the secondary site (name or id); default: the " +
					"group's. Required for a sync group, and never a sync type: the Pure driver will not manage a volume " +
					"of one. Use a type of the same Pure backend.",
				PlanModifiers: replace,
			},
			"triggers": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Arbitrary values; changing any runs the drill again (the old one is cleaned up first).",
				PlanModifiers:       []planmodifier.Map{mapplanmodifier.RequiresReplace()},
			},
			"site":       computed("The secondary site the drill ran on."),
			"array":      computed("The secondary FlashArray the volumes were copied on."),
			"snapshot":   computed("What the drill restored: the replicated protection group snapshot (`flasharray-a:consisgroup-<id>-cinder.<n>`), or for a sync group the pod (`pod cinder-pod`)."),
			"started_at": schema.StringAttribute{Computed: true, CustomType: timetypes.RFC3339Type{}, MarkdownDescription: "When the drill started (RFC 3339)."},
			"recovery_time_seconds": schema.Float64Attribute{
				Computed:            true,
				MarkdownDescription: "The longest member recovery time in seconds (to the millisecond): from the drill's start until the last VM was ACTIVE, the group's measured recovery time.",
			},
			"members": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Each member's VM brought up by the drill.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"member_id":     schema.StringAttribute{Computed: true, MarkdownDescription: "The protector member."},
					"instance_name": schema.StringAttribute{Computed: true, MarkdownDescription: "The protected VM's name."},
					"server_id":     schema.StringAttribute{Computed: true, MarkdownDescription: "The drill's VM on the secondary site (`drill-<id>-<instance name>`)."},
					"outcome":       schema.StringAttribute{Computed: true, MarkdownDescription: fmt.Sprintf("`%s`, or `%s` (then `error` says why).", engine.DrillActive, engine.DrillFailed)},
					"error":         schema.StringAttribute{Computed: true, MarkdownDescription: "Why the member could not be brought up; empty when " + engine.DrillActive + "."},
					"recovery_time_seconds": schema.Float64Attribute{Computed: true,
						MarkdownDescription: "Seconds from the drill's start until this VM was ACTIVE."},
					"volume_ids": schema.ListAttribute{Computed: true, ElementType: types.StringType,
						MarkdownDescription: "The drill's Cinder volumes on the secondary site, in the VM's block device order."},
				}},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeoutsBlock(ctx, "drill", "bringing every member up", "", "removing what the drill made"),
		},
	}
}

// ModifyPlan refuses at plan a drill that could not run: the group not
// ready to fail over, no admin credential for its secondary site, no
// snapshot arrived yet.
func (r *drillResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil || r.data.engine == nil || !isCreate(req) || runDestroys() {
		return
	}
	var plan drillModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !known(plan.ProtectionGroupID) {
		return
	}
	if err := r.data.engine.CheckDrill(ctx, plan.spec()); err != nil {
		addEngineError(&resp.Diagnostics, "check a drill of protection group "+plan.ProtectionGroupID.ValueString(), err)
	}
}

func (r *drillResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan drillModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, plan.Timeouts, "create", &resp.Diagnostics)
	defer cancel()
	d, err := r.data.engine.StartDrill(ctx, plan.spec())
	if d != nil {
		// What the drill made is in the state even when a member failed,
		// so that destroy (or the replacement of the tainted drill)
		// removes it.
		resp.Diagnostics.Append(plan.fill(d)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
	if err != nil {
		addOperationError(ctx, &resp.Diagnostics, "create", limit, "run a drill of protection group "+plan.ProtectionGroupID.ValueString(), err)
	}
}

func (r *drillResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state drillModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	d, err := r.data.engine.GetDrill(ctx, state.ProtectionGroupID.ValueString(), state.ID.ValueString())
	if errors.Is(err, engine.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addEngineError(&resp.Diagnostics, "read drill "+state.ID.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(state.fill(d)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update only takes new timeouts: every argument runs a new drill.
func (r *drillResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	keepStateWithNewTimeouts(ctx, req, resp)
}

func (r *drillResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state drillModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, limit := operationTimeout(ctx, state.Timeouts, "delete", &resp.Diagnostics)
	defer cancel()
	if err := r.data.engine.CleanupDrill(ctx, state.ProtectionGroupID.ValueString(), state.ID.ValueString()); err != nil {
		addOperationError(ctx, &resp.Diagnostics, "delete", limit, "clean up drill "+state.ID.ValueString(), err)
	}
}

// ImportState takes "<site>/<group id or name>/<drill id>".
func (r *drillResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	g := importGroup(ctx, r.data, req.ID, &resp.Diagnostics, "site", "group id or name", "drill id")
	if g == nil {
		return
	}
	id := lastPart(req.ID)
	d, err := r.data.engine.GetDrill(ctx, g.ID, id)
	if errors.Is(err, engine.ErrNotFound) {
		resp.Diagnostics.AddError("Drill not found", fmt.Sprintf("Protection group %s has no drill %q on its secondary site.", g.Name, id))
		return
	}
	if err != nil {
		addEngineError(&resp.Diagnostics, "find drill "+id, err)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), d.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("protection_group_id"), g.ID)...)
	if d.NetworkID != "" {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("network_id"), d.NetworkID)...)
	}
}

func (m *drillModel) spec() engine.DrillSpec {
	return engine.DrillSpec{GroupID: m.ProtectionGroupID.ValueString(), NetworkID: m.NetworkID.ValueString(), ReplicateNow: m.ReplicateNow.ValueBool(),
		VolumeType: m.VolumeType.ValueString()}
}

func (m *drillModel) fill(d *engine.Drill) diagnostics {
	var diags diagnostics
	m.ID = types.StringValue(d.ID)
	m.ProtectionGroupID = types.StringValue(d.GroupID)
	m.Site = types.StringValue(d.Site)
	m.Array = types.StringValue(d.Array)
	m.Snapshot = types.StringValue(d.Snapshot)
	m.StartedAt = rfc3339(d.StartedAt)
	members := make([]attr.Value, 0, len(d.Members))
	for _, mem := range d.Members {
		obj, ds := types.ObjectValue(drillMemberType.AttrTypes, map[string]attr.Value{
			"member_id": types.StringValue(mem.MemberID), "instance_name": types.StringValue(mem.InstanceName),
			"server_id": types.StringValue(mem.ServerID), "outcome": types.StringValue(mem.Outcome),
			"error": types.StringValue(mem.Error), "recovery_time_seconds": seconds(mem.RecoveryTime),
			"volume_ids": stringList(mem.VolumeIDs()),
		})
		diags.Append(ds...)
		members = append(members, obj)
	}
	list, ds := types.ListValue(drillMemberType, members)
	diags.Append(ds...)
	m.Members = list
	m.RecoveryTime = seconds(d.RecoveryTime())
	return diags
}

// seconds is a recovery time as its attributes give it: seconds, to the
// millisecond.
func seconds(d time.Duration) types.Float64 {
	return types.Float64Value(d.Round(time.Millisecond).Seconds())
}
