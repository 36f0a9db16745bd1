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

var _ datasource.DataSourceWithConfigure = (*failoverReadinessDataSource)(nil)

// NewFailoverReadinessDataSource is the protector_failover_readiness data source.
func NewFailoverReadinessDataSource() datasource.DataSource { return &failoverReadinessDataSource{} }

type failoverReadinessDataSource struct{ dataSourceBase }

type failoverReadinessModel struct {
	ProtectionGroupID types.String `tfsdk:"protection_group_id"`
	TargetSite        types.String `tfsdk:"target_site"`
	Name              types.String `tfsdk:"name"`
	SourceSite        types.String `tfsdk:"source_site"`
	Ready             types.Bool   `tfsdk:"ready"`
	Blockers          types.List   `tfsdk:"blockers"`
	Warnings          types.List   `tfsdk:"warnings"`
}

var readinessFindingType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"check": types.StringType, "site": types.StringType, "message": types.StringType, "fix": types.StringType,
}}

func (d *failoverReadinessDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_failover_readiness"
}

func (d *failoverReadinessDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	finding := func(desc string) schema.ListNestedAttribute {
		return schema.ListNestedAttribute{
			Computed:            true,
			MarkdownDescription: desc,
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"check": schema.StringAttribute{Computed: true, MarkdownDescription: "Stable identifier of the check: `site_reachable`, " +
					"`target_site`, `group_status`, `metadata_identical`, `members_present`, `members_protected`, `consistency_group`, " +
					"`replication_policy`, `array_connection`, `pure_group`, `rpo_met`, `pod_stretched`, `target_volume_type`, " +
					"`flavors_present`, `quota_room`, `target_backend_up` or `networks_mapped`."},
				"site":    schema.StringAttribute{Computed: true, MarkdownDescription: "The site or FlashArray the finding is about."},
				"message": schema.StringAttribute{Computed: true, MarkdownDescription: "What is wrong, naming the objects."},
				"fix":     schema.StringAttribute{Computed: true, MarkdownDescription: "What to do about it."},
			}},
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Could the protection group fail over now? Every precondition the guide names before a failover, and what " +
			"bringing the group up on the target site needs, read from both sites and both FlashArrays at every refresh. Both " +
			"sites hold the same newest metadata, version and content (sync status `SYNCED`). Every member's VM still exists " +
			"on the primary site, and every member is protected, each " +
			"of its volumes in the consistency group and in the Pure protection group on the primary array. Async: the newest " +
			"snapshot replicated to the secondary array is within the RPO; sync: the pod is online on both arrays. The " +
			"connection between the two arrays is connected. On the target site the consistency group exists and is " +
			"available, the group's volume type exists and is eligible, every member VM's flavor (from its recovery " +
			"description in the metadata, so this works while the primary is down) exists by name or through the group's " +
			"`flavor_mappings`, every network the descriptions record exists through `network_mappings` (or by name), the project's quotas have room for the group's instances, cores, RAM, volumes " +
			"and gigabytes, and a Cinder backend of the volume type is up.\n\n" +
			"A check that needs an admin credential the site lacks (the volume type's `replication_type`, the backend) is a warning " +
			"naming it, never a silent pass; so are the networks when no description records any or the target has no network " +
			"service (Neutron). A site " +
			"that does not answer within the provider's `reachability_timeout` is a blocker naming it.\n\n" +
			"Readings change with time, which is why this is a data source: use it in a `check` block to warn on every plan, or " +
			"in a scheduled job that fails on blockers (see the drift detection in CI guide).",
		Attributes: map[string]schema.Attribute{
			"protection_group_id": groupIDAttribute(),
			"target_site": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "The site to fail over to. " +
				"Default: the group's secondary site (the only other site of a group).", Validators: []validator.String{siteName()}},
			"name":        schema.StringAttribute{Computed: true, MarkdownDescription: "Name of the protection group."},
			"source_site": schema.StringAttribute{Computed: true, MarkdownDescription: "The site the group runs on now (its primary)."},
			"ready":       schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether a failover could start now: no blocker."},
			"blockers":    finding("What prevents a failover now, one entry per problem, sorted by check."),
			"warnings":    finding("What could not be checked (and why), or is worth knowing; warnings do not make `ready` false."),
		},
	}
}

func (d *failoverReadinessDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m failoverReadinessModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needEngine(d.data, &resp.Diagnostics) {
		return
	}
	r, err := d.data.engine.FailoverReadiness(ctx, m.ProtectionGroupID.ValueString(), m.TargetSite.ValueString())
	if err != nil {
		addEngineError(&resp.Diagnostics, "read the failover readiness of protection group "+m.ProtectionGroupID.ValueString(), err)
		return
	}
	m.Name = types.StringValue(r.GroupName)
	m.SourceSite = types.StringValue(r.Source)
	m.TargetSite = types.StringValue(r.Target)
	m.Ready = types.BoolValue(r.Ready)
	m.Blockers = findingList(r.Blockers)
	m.Warnings = findingList(r.Warnings)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func findingList(list []engine.ReadinessFinding) types.List {
	out := make([]attr.Value, 0, len(list))
	for _, f := range list {
		out = append(out, types.ObjectValueMust(readinessFindingType.AttrTypes, map[string]attr.Value{
			"check": types.StringValue(f.Check), "site": types.StringValue(f.Site),
			"message": types.StringValue(f.Message), "fix": types.StringValue(f.Fix)}))
	}
	return types.ListValueMust(readinessFindingType, out)
}
