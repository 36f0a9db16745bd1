package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

// timeString is a time in RFC 3339 (UTC), "" for a time that was never
// set: for the attributes that say "empty if none", which therefore stay
// plain strings (timetypes.RFC3339 refuses "").
func timeString(t time.Time) types.String {
	if t.IsZero() {
		return types.StringValue("")
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

// rfc3339 is a time that is always set (a creation or a start), as an
// RFC 3339 attribute in UTC; null should the engine ever give none.
func rfc3339(t time.Time) timetypes.RFC3339 {
	if t.IsZero() {
		return timetypes.NewRFC3339Null()
	}
	return timetypes.NewRFC3339TimeValue(t.UTC())
}

// addEngineError turns an engine failure into an error diagnostic: the
// engine's own summary and explanation when it has them, else a summary
// naming what the provider was doing.
func addEngineError(diags *diag.Diagnostics, doing string, err error) {
	var e *engine.Error
	if errors.As(err, &e) {
		diags.AddError(e.Summary(), e.Error())
		return
	}
	diags.AddError("Could not "+doing, err.Error())
}

// addWarnings turns the engine's warnings (checks it could not make) into
// warning diagnostics.
func addWarnings(diags *diag.Diagnostics, summary string, warnings []string) {
	for _, w := range warnings {
		diags.AddWarning(summary, w)
	}
}

// configured returns the provider's data, or nil when the provider is not
// configured yet (validate runs unconfigured); it reports a wrong type.
func configured(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	d, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", data))
		return nil
	}
	return d
}

// needEngine reports an error when a CRUD call runs without a configured
// provider (it should not happen; the framework configures first).
func needEngine(d *providerData, diags *diag.Diagnostics) bool {
	if d == nil || d.engine == nil {
		diags.AddError("Provider not configured", "The protector provider was not configured before use. Please report this issue to the provider developers.")
		return false
	}
	return true
}

// known reports whether every value is known (null counts as known).
func known(values ...interface{ IsUnknown() bool }) bool {
	for _, v := range values {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}

// diagnostics is short for the framework's diagnostics list.
type diagnostics = diag.Diagnostics

// isCreate reports whether a plan creates the resource; isDestroy whether
// it destroys it.
func isCreate(req resource.ModifyPlanRequest) bool {
	return req.State.Raw.IsNull() && !req.Plan.Raw.IsNull()
}

func isDestroy(req resource.ModifyPlanRequest) bool {
	return req.Plan.Raw.IsNull()
}

// durationValidator checks a Go duration string such as "60s".
type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return "must be a positive Go duration such as \"60s\" or \"2m\""
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%q %s.", req.ConfigValue.ValueString(), v.Description(ctx)))
	}
}

// tflogLogger sends the engine's log lines to tflog, with every secret of
// the configuration masked in messages and fields.
type tflogLogger struct {
	secrets []string
}

var _ engine.Logger = tflogLogger{}

func newTflogLogger(secrets []string) tflogLogger {
	return tflogLogger{secrets: secrets}
}

func (l tflogLogger) mask(ctx context.Context) context.Context {
	if len(l.secrets) == 0 {
		return ctx
	}
	ctx = tflog.MaskMessageStrings(ctx, l.secrets...)
	return tflog.MaskAllFieldValuesStrings(ctx, l.secrets...)
}

func (l tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(l.mask(ctx), msg, fields)
}

func (l tflogLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(l.mask(ctx), msg, fields)
}

// stringList is a list attribute of strings, empty rather than null, so a
// plan after apply or import sees no difference.
func stringList(values []string) types.List {
	elems := make([]attr.Value, 0, len(values))
	for _, v := range values {
		elems = append(elems, types.StringValue(v))
	}
	return types.ListValueMust(types.StringType, elems)
}

// stringMap is a map attribute of strings, null when empty: an optional
// map the configuration leaves out reads back as null.
func stringMap(m map[string]string) types.Map {
	if len(m) == 0 {
		return types.MapNull(types.StringType)
	}
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

// goStringMap is a known map attribute of strings as a Go map; nil when
// null or unknown.
func goStringMap(m types.Map) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := make(map[string]string, len(m.Elements()))
	for k, v := range m.Elements() {
		if s, ok := v.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			out[k] = s.ValueString()
		}
	}
	return out
}

// driftAttribute describes the drift list both resources carry.
func driftAttribute(what string) schema.ListAttribute {
	return schema.ListAttribute{
		Computed:    true,
		ElementType: types.StringType,
		MarkdownDescription: "What differs between the recorded protection and the clouds and arrays, as found by the last " +
			"refresh: " + what + ". When it is not empty, a plan proposes the repair (`drift` -> `[]`) and exits 2 " +
			"with `-detailed-exitcode`; apply performs it. Drift that an apply cannot repair fails the plan with the reason.",
	}
}

// readinessValues are the attributes of an RPO readiness: compliant, lag in
// seconds, time of the newest replicated snapshot ("" before the first);
// nulls when it was not measured.
func readinessValues(rd *engine.Readiness) (types.Bool, types.Int64, types.String) {
	if rd == nil {
		return types.BoolNull(), types.Int64Null(), types.StringNull()
	}
	last := types.StringValue("")
	if !rd.LastReplicated.IsZero() {
		last = timeString(rd.LastReplicated)
	}
	return types.BoolValue(rd.Compliant), types.Int64Value(int64(rd.Lag / time.Second)), last
}

// addSyncWarning warns when a change was recorded on the primary site but
// its push to the peer failed: the apply succeeded, the group is out of
// sync, and the next plan proposes the repair.
func addSyncWarning(diags *diag.Diagnostics, g *engine.Group) {
	if g == nil {
		return
	}
	if summary, detail := g.PushFailed(); summary != "" {
		diags.AddWarning(summary, detail)
	}
}
