package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var _ datasource.DataSourceWithConfigure = (*syncStatusDataSource)(nil)

// NewSyncStatusDataSource is the protector_sync_status data source.
func NewSyncStatusDataSource() datasource.DataSource { return &syncStatusDataSource{} }

type syncStatusDataSource struct{ dataSourceBase }

type syncStatusModel struct {
	ProtectionGroupID types.String `tfsdk:"protection_group_id"`
	Name              types.String `tfsdk:"name"`
	CurrentSite       types.String `tfsdk:"current_site"`
	RemoteSite        types.String `tfsdk:"remote_site"`
	LocalVersion      types.Int64  `tfsdk:"local_version"`
	LastModified      types.String `tfsdk:"last_modified"`
	RemoteVersion     types.Int64  `tfsdk:"remote_version"`
	RemoteVersionLive types.Bool   `tfsdk:"remote_version_live"`
	Status            types.String `tfsdk:"status"`
	LastSync          types.String `tfsdk:"last_sync"`
	Error             types.String `tfsdk:"error"`
	Validation        types.List   `tfsdk:"validation"`
	InSync            types.Bool   `tfsdk:"in_sync"`
	RPOCompliant      types.Bool   `tfsdk:"rpo_compliant"`
	ReplicationLag    types.Int64  `tfsdk:"replication_lag_seconds"`
	LastReplicatedAt  types.String `tfsdk:"last_replicated_at"`
	ReadinessError    types.String `tfsdk:"readiness_error"`
}

var syncCheckType = types.ObjectType{AttrTypes: map[string]attr.Type{"check": types.StringType, "ok": types.BoolType}}

func (d *syncStatusDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sync_status"
}

// groupIDAttribute is the protection_group_id argument of the group data
// sources.
func groupIDAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Required:            true,
		MarkdownDescription: "Id of the protection group (`pg-<uuid>`, the `id` of a `protector_protection_group`).",
		Validators:          []validator.String{protectionGroupID()},
	}
}

func (d *syncStatusDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The guide's `protection-group sync-status` (Example 4): the metadata version on the primary site, " +
			"the version the secondary site holds now, and whether the two sites' newest documents are the same (`SYNCED`), " +
			"differ (`FAILED`) or cannot be compared (`UNREACHABLE`), all read from both sites at every refresh. Both " +
			"sites must hold the same document before a failover.\n\n" +
			"It also reports replication readiness (RPO) of async groups. These are readings that change when other " +
			"resources change or with time, which is why they are read here on every plan and are not resource " +
			"attributes: `local_version` replaces the former `metadata_version` of the group, policy and member resources, " +
			"and `rpo_compliant`, `replication_lag_seconds` and `last_replicated_at` replace those of " +
			"`protector_replication_policy` (a breaking change). Give the data source a `depends_on` on the group's policy " +
			"and members when they are in the same configuration, so that an apply that changes them reads it after them.",
		Attributes: map[string]schema.Attribute{
			"protection_group_id": groupIDAttribute(),
			"name":                schema.StringAttribute{Computed: true, MarkdownDescription: "Name of the protection group."},
			"current_site":        schema.StringAttribute{Computed: true, MarkdownDescription: "The primary site, which holds the local metadata."},
			"remote_site":         schema.StringAttribute{Computed: true, MarkdownDescription: "The secondary site, which holds the synced copy."},
			"local_version":       schema.Int64Attribute{Computed: true, MarkdownDescription: "Newest metadata version on the primary site."},
			"last_modified":       schema.StringAttribute{Computed: true, MarkdownDescription: "When the local version was written (RFC 3339)."},
			"remote_version": schema.Int64Attribute{Computed: true, MarkdownDescription: "Newest metadata version on the secondary site, " +
				"read from it now; when it cannot be reached, the version the last push recorded (see `remote_version_live`)."},
			"remote_version_live": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether `remote_version` was read from the secondary site now."},
			"status": schema.StringAttribute{Computed: true, MarkdownDescription: "`SYNCED`: the secondary's newest metadata is the " +
				"primary's, version and content (checksum). `UNREACHABLE`: the secondary site does not answer now. `FAILED`: the " +
				"versions or the contents differ, or the peer's copy is damaged (`error` says which site holds what); the guide's " +
				"fix is sync-force, which an apply of the group performs by the rule its `drift` names."},
			"last_sync": schema.StringAttribute{Computed: true, MarkdownDescription: "When the last push to the secondary site started (RFC 3339); empty if none was recorded."},
			"error":     schema.StringAttribute{Computed: true, MarkdownDescription: "Why the status is not `SYNCED`: which site holds what; empty when it is."},
			"validation": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: fmt.Sprintf("The validation lines of Example 4, in order: `Versions match (4 = 4)`, `Sync status is "+
					"'synced'` and `Last sync is recent`, the last meaning within %s of now.", engine.SyncRecentWithin),
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"check": schema.StringAttribute{Computed: true, MarkdownDescription: "What was checked."},
					"ok":    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether it passed."},
				}},
			},
			"rpo_compliant": schema.BoolAttribute{Computed: true, MarkdownDescription: "Async groups with a replication " +
				"policy: whether the newest snapshot fully replicated to the secondary array is within the policy's `rpo_minutes` " +
				"(replication readiness). Null without a policy, for sync groups, or when the arrays could not be read " +
				"(`readiness_error` says why; their tokens come from the provider's `flasharrays`)."},
			"replication_lag_seconds": schema.Int64Attribute{Computed: true, MarkdownDescription: "Seconds since the creation " +
				"of the newest snapshot fully transferred to the secondary array (since the policy's creation before the first one)."},
			"last_replicated_at": schema.StringAttribute{Computed: true, MarkdownDescription: "Creation time (RFC 3339) of the " +
				"newest snapshot fully transferred to the secondary array; empty before the first one."},
			"readiness_error": schema.StringAttribute{Computed: true, MarkdownDescription: "Why replication readiness could " +
				"not be measured, when it could not; empty otherwise."},
			"in_sync": schema.BoolAttribute{Computed: true, MarkdownDescription: "Versions match and status is `SYNCED`: both sites have " +
				"identical metadata. The age of the last sync is not part of it (a group unchanged for a week is still in sync); " +
				"see `validation` for it."},
		},
	}
}

func (d *syncStatusDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m syncStatusModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needEngine(d.data, &resp.Diagnostics) {
		return
	}
	r, err := d.data.engine.SyncStatus(ctx, m.ProtectionGroupID.ValueString())
	if err != nil {
		addEngineError(&resp.Diagnostics, "read the sync status of protection group "+m.ProtectionGroupID.ValueString(), err)
		return
	}
	m.fill(r)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (m *syncStatusModel) fill(r *engine.SyncReport) {
	m.ProtectionGroupID = types.StringValue(r.GroupID)
	m.Name = types.StringValue(r.GroupName)
	m.CurrentSite = types.StringValue(r.PrimarySite)
	m.RemoteSite = types.StringValue(r.SecondarySite)
	m.LocalVersion = types.Int64Value(int64(r.LocalVersion))
	m.LastModified = timeString(r.LocalModified)
	m.RemoteVersion = types.Int64Value(int64(r.RemoteVersion))
	m.RemoteVersionLive = types.BoolValue(r.RemoteLive)
	m.Status = types.StringValue(r.Status)
	m.LastSync = timeString(r.LastSync)
	m.Error = types.StringValue(r.Error)
	checks := make([]attr.Value, 0, len(r.Checks))
	for _, c := range r.Checks {
		checks = append(checks, types.ObjectValueMust(syncCheckType.AttrTypes, map[string]attr.Value{
			"check": types.StringValue(c.Check), "ok": types.BoolValue(c.OK)}))
	}
	m.Validation = types.ListValueMust(syncCheckType, checks)
	m.InSync = types.BoolValue(r.InSync)
	m.RPOCompliant, m.ReplicationLag, m.LastReplicatedAt = readinessValues(r.Readiness)
	m.ReadinessError = types.StringValue(r.ReadinessError)
}
