package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var _ datasource.DataSourceWithConfigure = (*sitesDataSource)(nil)

// NewSitesDataSource is the protector_sites data source.
func NewSitesDataSource() datasource.DataSource { return &sitesDataSource{} }

type sitesDataSource struct{ dataSourceBase }

type sitesModel struct {
	Sites types.List `tfsdk:"sites"`
}

var siteListType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"name": types.StringType, "description": types.StringType, "status": types.StringType,
	"consistency_group_type": types.StringType, "registered_at": types.StringType,
	"reachable": types.BoolType, "services": types.ListType{ElemType: types.StringType},
	"admin_checks": types.BoolType, "messages": types.ListType{ElemType: types.StringType},
}}

func (d *sitesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sites"
}

func (d *sitesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The sites registered for DR among those configured in the provider's `sites`, each validated now " +
			"as the guide's `site validate` does. A configured site that answers and is not registered is left out; one that " +
			"cannot be read is listed with status `unreachable` (whether it is registered cannot be known) and the reason.",
		Attributes: map[string]schema.Attribute{
			"sites": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The sites, by name.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":                   str("Site name."),
					"description":            str("Description given at registration."),
					"status":                 str("`active` when the validation passed, `error` when a check failed, `unreachable` when the site could not be read."),
					"consistency_group_type": str("Cinder group type of the site's consistency groups."),
					"registered_at":          str("When the site was registered (RFC 3339); empty when unreachable."),
					"reachable":              schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the site answered with its credentials."},
					"services": schema.ListAttribute{Computed: true, ElementType: types.StringType,
						MarkdownDescription: "Service types found in the site's catalog."},
					"admin_checks": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether admin-only fields can be read, so that the " +
						"eligibility and backend checks are complete."},
					"messages": schema.ListAttribute{Computed: true, ElementType: types.StringType,
						MarkdownDescription: "Every check that failed or could not be made."},
				}},
			},
		},
	}
}

func (d *sitesDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !needEngine(d.data, &resp.Diagnostics) {
		return
	}
	sites, err := d.data.engine.Sites(ctx)
	if err != nil {
		addEngineError(&resp.Diagnostics, "list the registered sites", err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &sitesModel{Sites: siteList(sites)})...)
}

func siteList(sites []engine.Site) types.List {
	elems := make([]attr.Value, 0, len(sites))
	for _, s := range sites {
		elems = append(elems, types.ObjectValueMust(siteListType.AttrTypes, map[string]attr.Value{
			"name": types.StringValue(s.Name), "description": types.StringValue(s.Description),
			"status": types.StringValue(s.Status), "consistency_group_type": types.StringValue(s.ConsistencyGroupType),
			"registered_at": timeString(s.RegisteredAt), "reachable": types.BoolValue(s.Validation.Reachable),
			"services": stringList(s.Validation.Services), "admin_checks": types.BoolValue(s.Validation.AdminChecks),
			"messages": stringList(s.Validation.Messages),
		}))
	}
	return types.ListValueMust(siteListType, elems)
}
