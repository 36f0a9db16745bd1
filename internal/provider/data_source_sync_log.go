package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var _ datasource.DataSourceWithConfigure = (*syncLogDataSource)(nil)

// NewSyncLogDataSource is the protector_sync_log data source.
func NewSyncLogDataSource() datasource.DataSource { return &syncLogDataSource{} }

type syncLogDataSource struct{ dataSourceBase }

type syncLogModel struct {
	ProtectionGroupID types.String `tfsdk:"protection_group_id"`
	Limit             types.Int64  `tfsdk:"limit"`
	Entries           types.List   `tfsdk:"entries"`
}

var syncLogEntryType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"version": types.Int64Type, "time": types.StringType, "outcome": types.StringType,
	"duration_ms": types.Int64Type, "error": types.StringType,
}}

func (d *syncLogDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sync_log"
}

func (d *syncLogDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The guide's `protection-group sync-log --limit N`: the last pushes of the group's metadata to the " +
			"secondary site, newest first, as the primary site recorded them. Every change of the group writes a version and " +
			"pushes it (members added together are a version each, each pushed), and a repair that copies versions to the " +
			"peer logs each: every version either site holds has its entry.",
		Attributes: map[string]schema.Attribute{
			"protection_group_id": groupIDAttribute(),
			"limit": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("How many entries to return, newest first. Default %d.", engine.DefaultSyncLogLimit),
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"entries": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The pushes, newest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"version":     schema.Int64Attribute{Computed: true, MarkdownDescription: "Metadata version pushed."},
					"time":        schema.StringAttribute{Computed: true, MarkdownDescription: "When the push started (RFC 3339, nanoseconds)."},
					"outcome":     schema.StringAttribute{Computed: true, MarkdownDescription: "`SYNCED`, `FAILED` or `UNREACHABLE`."},
					"duration_ms": schema.Int64Attribute{Computed: true, MarkdownDescription: "How long the push took, in milliseconds."},
					"error":       schema.StringAttribute{Computed: true, MarkdownDescription: "Why the push failed; empty when it succeeded."},
				}},
			},
		},
	}
}

func (d *syncLogDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m syncLogModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needEngine(d.data, &resp.Diagnostics) {
		return
	}
	limit := int64(engine.DefaultSyncLogLimit)
	if !m.Limit.IsNull() {
		limit = m.Limit.ValueInt64()
	}
	entries, err := d.data.engine.SyncLog(ctx, m.ProtectionGroupID.ValueString(), int(limit))
	if err != nil {
		addEngineError(&resp.Diagnostics, "read the sync log of protection group "+m.ProtectionGroupID.ValueString(), err)
		return
	}
	m.Entries = syncLogList(entries)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func syncLogList(entries []engine.SyncLogEntry) types.List {
	elems := make([]attr.Value, 0, len(entries))
	for _, e := range entries {
		elems = append(elems, types.ObjectValueMust(syncLogEntryType.AttrTypes, map[string]attr.Value{
			"version":     types.Int64Value(int64(e.Version)),
			"time":        types.StringValue(e.Time.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")),
			"outcome":     types.StringValue(e.Outcome),
			"duration_ms": types.Int64Value(e.Duration.Milliseconds()),
			"error":       types.StringValue(e.Error),
		}))
	}
	return types.ListValueMust(syncLogEntryType, elems)
}
