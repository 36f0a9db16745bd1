package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ datasource.DataSourceWithConfigure = (*consistencyGroupDataSource)(nil)

// NewConsistencyGroupDataSource is the protector_consistency_group data source.
func NewConsistencyGroupDataSource() datasource.DataSource { return &consistencyGroupDataSource{} }

type consistencyGroupDataSource struct{ dataSourceBase }

type consistencyGroupModel struct {
	ProtectionGroupID types.String `tfsdk:"protection_group_id"`
	ID                types.String `tfsdk:"id"`
	VolumeTypeName    types.String `tfsdk:"volume_type_name"`
	BackendName       types.String `tfsdk:"backend_name"`
	PrimaryCGID       types.String `tfsdk:"primary_cg_id"`
	SecondaryCGID     types.String `tfsdk:"secondary_cg_id"`
	PrimaryCGStatus   types.String `tfsdk:"primary_cg_status"`
	SecondaryCGStatus types.String `tfsdk:"secondary_cg_status"`
	Status            types.String `tfsdk:"status"`
	VolumeCount       types.Int64  `tfsdk:"volume_count"`
}

func (d *consistencyGroupDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_consistency_group"
}

func (d *consistencyGroupDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The guide's `consistency-group show` (Example 6): the Cinder consistency groups of a protection " +
			"group on both sites, read from Cinder at every refresh.",
		Attributes: map[string]schema.Attribute{
			"protection_group_id": groupIDAttribute(),
			"id": computed("Id of the binding of the protection group to its two Cinder groups. It has no record of its own " +
				"(the binding is part of the group's metadata): it is the group's id with `cg-` for `pg-`."),
			"volume_type_name": computed("The group's volume type."),
			"backend_name": computed("Cinder backend (`host@backend`, e.g. `pure@backend-a`) the members' volumes share, as the " +
				"first member recorded it; else read from a volume of the group when the credential may see it (admin); else empty. " +
				"It replaces the former `backend` attribute of `protector_protection_group` (a breaking change)."),
			"primary_cg_id":       computed("Cinder consistency group on the primary site."),
			"secondary_cg_id":     computed("Cinder consistency group on the secondary site; set once the secondary site's group was created."),
			"primary_cg_status":   computed("Cinder's status of the primary group, `deleted` when it is gone."),
			"secondary_cg_status": computed("Cinder's status of the secondary group, `deleted` when it is gone, `unreachable` when the site does not answer."),
			"status":              computed("`active` when both Cinder groups are `available`, else `degraded`."),
			"volume_count": schema.Int64Attribute{Computed: true,
				MarkdownDescription: "Number of volumes in the primary Cinder group now (all members' volumes when nothing drifted)."},
		},
	}
}

func (d *consistencyGroupDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m consistencyGroupModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needEngine(d.data, &resp.Diagnostics) {
		return
	}
	r, err := d.data.engine.ConsistencyGroup(ctx, m.ProtectionGroupID.ValueString())
	if err != nil {
		addEngineError(&resp.Diagnostics, "read the consistency groups of protection group "+m.ProtectionGroupID.ValueString(), err)
		return
	}
	m.ID = types.StringValue(r.ID)
	m.ProtectionGroupID = types.StringValue(r.ProtectionGroupID)
	m.VolumeTypeName = types.StringValue(r.VolumeTypeName)
	m.BackendName = types.StringValue(r.BackendName)
	m.PrimaryCGID = types.StringValue(r.PrimaryCGID)
	m.SecondaryCGID = types.StringValue(r.SecondaryCGID)
	m.PrimaryCGStatus = types.StringValue(r.PrimaryStatus)
	m.SecondaryCGStatus = types.StringValue(r.SecondaryStatus)
	m.Status = types.StringValue(r.Status)
	m.VolumeCount = types.Int64Value(int64(r.VolumeCount))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
