package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var _ datasource.DataSourceWithConfigure = (*membersDataSource)(nil)

// NewMembersDataSource is the protector_members data source.
func NewMembersDataSource() datasource.DataSource { return &membersDataSource{} }

type membersDataSource struct{ dataSourceBase }

type membersModel struct {
	ProtectionGroupID types.String `tfsdk:"protection_group_id"`
	Members           types.List   `tfsdk:"members"`
}

var memberListType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id": types.StringType, "instance_id": types.StringType, "instance_name": types.StringType,
	"status": types.StringType, "volumes": types.Int64Type,
}}

func (d *membersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_members"
}

func (d *membersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The guide's `protection-group member-list` (Example 3): every member of a protection group as its " +
			"newest metadata records it, whichever configuration added it. All members must be `protected` before a failover " +
			"or DR drill.",
		Attributes: map[string]schema.Attribute{
			"protection_group_id": groupIDAttribute(),
			"members": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The members, in the order they were added.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":            schema.StringAttribute{Computed: true, MarkdownDescription: "Member id (`member-...`)."},
					"instance_id":   schema.StringAttribute{Computed: true, MarkdownDescription: "Nova instance id."},
					"instance_name": schema.StringAttribute{Computed: true, MarkdownDescription: "Nova instance name when it was added."},
					"status":        schema.StringAttribute{Computed: true, MarkdownDescription: "`protected` or `error`."},
					"volumes":       schema.Int64Attribute{Computed: true, MarkdownDescription: "Number of volumes protected."},
				}},
			},
		},
	}
}

func (d *membersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m membersModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needEngine(d.data, &resp.Diagnostics) {
		return
	}
	members, err := d.data.engine.Members(ctx, m.ProtectionGroupID.ValueString())
	if err != nil {
		addEngineError(&resp.Diagnostics, "list the members of protection group "+m.ProtectionGroupID.ValueString(), err)
		return
	}
	m.Members = memberList(members)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func memberList(members []engine.Member) types.List {
	elems := make([]attr.Value, 0, len(members))
	for _, mb := range members {
		elems = append(elems, types.ObjectValueMust(memberListType.AttrTypes, map[string]attr.Value{
			"id": types.StringValue(mb.ID), "instance_id": types.StringValue(mb.InstanceID),
			"instance_name": types.StringValue(mb.InstanceName), "status": types.StringValue(mb.Status),
			"volumes": types.Int64Value(int64(len(mb.VolumeIDs))),
		}))
	}
	return types.ListValueMust(memberListType, elems)
}
