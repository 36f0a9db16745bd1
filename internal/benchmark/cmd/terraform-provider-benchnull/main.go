// Command terraform-provider-benchnull is the provider of protector-bench's
// plugin baseline: a terraform-plugin-framework provider, served over
// protocol 6 like the protector, whose resources have the shape of the
// protector's (benchnull_site, benchnull_protection_group,
// benchnull_replication_policy, benchnull_member) and no API behind them.
// Create fills the computed attributes with fixed values, Read returns the
// state unchanged, Update takes the plan and Delete does nothing, so a plan
// through it costs what OpenTofu and the framework cost any provider and
// nothing else. tools/bench.sh builds it beside the protector.
package main

import (
	"context"
	"log"
	"math/big"
	"os"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func main() {
	// The protector's main.go settings, so that the baseline differs from
	// it only by what the resources do.
	silenceUnreadLogs()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
	err := providerserver.Serve(context.Background(), func() provider.Provider { return benchnull{} }, providerserver.ServeOpts{
		Address: "registry.opentofu.org/protector-dr/benchnull",
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// silenceUnreadLogs turns the framework's logging off unless a TF_LOG*
// variable asks for logs, as the protector does (else OpenTofu parses every
// TRACE line only to drop it).
func silenceUnreadLogs() {
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if value != "" && strings.HasPrefix(name, "TF_LOG") {
			return
		}
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_PROVIDER"} {
		if err := os.Setenv(name, "off"); err != nil {
			log.Fatal(err.Error())
		}
	}
}

type benchnull struct{}

func (benchnull) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "benchnull"
}

func (benchnull) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (benchnull) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {}

func (benchnull) DataSources(context.Context) []func() datasource.DataSource { return nil }

func (benchnull) Resources(ctx context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return nullResource{"site", siteSchema()} },
		func() resource.Resource { return nullResource{"protection_group", groupSchema(ctx)} },
		func() resource.Resource { return nullResource{"replication_policy", policySchema(ctx)} },
		func() resource.Resource { return nullResource{"member", memberSchema(ctx)} },
	}
}

// nullResource is every resource type of the provider: a schema, and
// operations that touch nothing.
type nullResource struct {
	name   string
	schema schema.Schema
}

func (r nullResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.name
}

func (r nullResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = r.schema
}

func (r nullResource) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	raw, err := known(req.Plan.Raw)
	if err != nil {
		resp.Diagnostics.AddError("Create "+r.name, err.Error())
		return
	}
	resp.State.Raw = raw
}

func (r nullResource) Read(_ context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	resp.State.Raw = req.State.Raw
}

func (r nullResource) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	raw, err := known(req.Plan.Raw)
	if err != nil {
		resp.Diagnostics.AddError("Update "+r.name, err.Error())
		return
	}
	resp.State.Raw = raw
}

func (nullResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// known replaces every unknown value of a plan (the computed attributes) by
// a fixed value of its type, as an API's answer would.
func known(plan tftypes.Value) (tftypes.Value, error) {
	return tftypes.Transform(plan, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		t := v.Type()
		switch {
		case t.Is(tftypes.String):
			return tftypes.NewValue(t, "benchnull"), nil
		case t.Is(tftypes.Number):
			return tftypes.NewValue(t, big.NewFloat(1)), nil
		case t.Is(tftypes.Bool):
			return tftypes.NewValue(t, true), nil
		case t.Is(tftypes.List{}):
			return tftypes.NewValue(t, []tftypes.Value{}), nil
		}
		return tftypes.NewValue(t, nil), nil
	})
}

var (
	keep    = []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace = []planmodifier.String{stringplanmodifier.RequiresReplace()}
)

func computed() schema.StringAttribute {
	return schema.StringAttribute{Computed: true, PlanModifiers: keep}
}

func required() schema.StringAttribute {
	return schema.StringAttribute{Required: true, PlanModifiers: replace}
}

func optional() schema.StringAttribute {
	return schema.StringAttribute{Optional: true, Computed: true, PlanModifiers: keep}
}

func computedList() schema.ListAttribute {
	return schema.ListAttribute{Computed: true, ElementType: types.StringType,
		PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()}}
}

func computedInt() schema.Int64Attribute {
	return schema.Int64Attribute{Computed: true, PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}}
}

func siteSchema() schema.Schema {
	return schema.Schema{Attributes: map[string]schema.Attribute{
		"id":                     computed(),
		"name":                   required(),
		"description":            optional(),
		"consistency_group_type": optional(),
		"status":                 computed(),
		"auth_url":               computed(),
		"region":                 computed(),
		"services":               computedList(),
	}}
}

func groupSchema(ctx context.Context) schema.Schema {
	return schema.Schema{
		Attributes: map[string]schema.Attribute{
			"id":                             computed(),
			"name":                           required(),
			"description":                    optional(),
			"primary_site":                   required(),
			"secondary_site":                 required(),
			"replication_type":               required(),
			"volume_type":                    required(),
			"status":                         computed(),
			"failover_count":                 computedInt(),
			"primary_consistency_group_id":   computed(),
			"secondary_consistency_group_id": computed(),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

func policySchema(ctx context.Context) schema.Schema {
	return schema.Schema{
		Attributes: map[string]schema.Attribute{
			"id":                   computed(),
			"protection_group_id":  required(),
			"primary_fa_url":       required(),
			"secondary_fa_url":     required(),
			"pure_pg_name":         optional(),
			"replication_interval": schema.Int64Attribute{Optional: true, Computed: true},
			"rpo_minutes":          schema.Int64Attribute{Optional: true},
			"replication_type":     computed(),
			"kind":                 computed(),
			"primary_array_name":   computed(),
			"secondary_array_name": computed(),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// memberSchema is protector_member's schema without its descriptions and
// validators.
func memberSchema(ctx context.Context) schema.Schema {
	return schema.Schema{
		Attributes: map[string]schema.Attribute{
			"id":                  computed(),
			"protection_group_id": required(),
			"instance_id":         required(),
			"instance_name":       computed(),
			"status":              computed(),
			"volume_ids":          computedList(),
			"volumes_added":       computedInt(),
			"primary_site":        computed(),
			"drift":               schema.ListAttribute{Computed: true, ElementType: types.StringType},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Delete: true}),
		},
	}
}
