package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var _ datasource.DataSourceWithConfigure = (*volumeTypesDataSource)(nil)

// NewVolumeTypesDataSource is the protector_volume_types data source.
func NewVolumeTypesDataSource() datasource.DataSource { return &volumeTypesDataSource{} }

type volumeTypesDataSource struct{ dataSourceBase }

type volumeTypesModel struct {
	Site        types.String `tfsdk:"site"`
	VolumeTypes types.List   `tfsdk:"volume_types"`
}

var volumeTypeListType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id": types.StringType, "name": types.StringType, "eligible": types.BoolType,
	"replication_type": types.StringType, "checked": types.BoolType, "reason": types.StringType,
}}

func (d *volumeTypesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_volume_types"
}

func (d *volumeTypesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Every Cinder volume type of a site and whether a protection group may use it, by the rules a " +
			"`protector_protection_group` checks at plan: `replication_enabled='<is> True'` and `replication_type='<in> async'` " +
			"(or `sync`). Cinder shows `replication_type` to admins only: without an admin credential for the site " +
			"(`sites.<name>.admin`) a type whose `replication_enabled` passes is reported with `checked = false`, not as eligible.",
		Attributes: map[string]schema.Attribute{
			"site": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Site name: a key of the provider's `sites`, or else the name of a `clouds.yaml` entry.",
				Validators:          []validator.String{siteName()},
			},
			"volume_types": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The volume types, by name.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":   str("Volume type id."),
					"name": str("Volume type name."),
					"eligible": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether a protection group of `replication_type` " +
						"may use the type on this site (the other site is checked by its own list)."},
					"replication_type": str("`async` or `sync` from `replication_type='<in> async'` (or sync); the raw value when it " +
						"is something else; empty when absent or not visible."),
					"checked": schema.BoolAttribute{Computed: true, MarkdownDescription: "`false` when the check needed the admin-only " +
						"`replication_type` and could not be made; `eligible` is then `false` and `reason` says so."},
					"reason": str("Why the type is not eligible, or what could not be checked; empty when eligible."),
				}},
			},
		},
	}
}

func (d *volumeTypesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m volumeTypesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needEngine(d.data, &resp.Diagnostics) {
		return
	}
	vts, err := d.data.engine.VolumeTypes(ctx, m.Site.ValueString())
	if err != nil {
		addEngineError(&resp.Diagnostics, "list the volume types of site "+m.Site.ValueString(), err)
		return
	}
	m.VolumeTypes = volumeTypeList(vts)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func volumeTypeList(vts []engine.VolumeTypeReport) types.List {
	elems := make([]attr.Value, 0, len(vts))
	for _, vt := range vts {
		elems = append(elems, types.ObjectValueMust(volumeTypeListType.AttrTypes, map[string]attr.Value{
			"id": types.StringValue(vt.ID), "name": types.StringValue(vt.Name), "eligible": types.BoolValue(vt.Eligible),
			"replication_type": types.StringValue(vt.ReplicationType), "checked": types.BoolValue(vt.Checked),
			"reason": types.StringValue(vt.Reason),
		}))
	}
	return types.ListValueMust(volumeTypeListType, elems)
}
