package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// Default time limits of the long operations. They bound a whole operation
// (every request, retry and wait for Cinder on both sites and both arrays),
// not one request (that is the provider's request_timeout): on a real cloud a
// consistency group becomes available in seconds to a few minutes.
const (
	defaultCreateTimeout = 10 * time.Minute
	defaultUpdateTimeout = 10 * time.Minute
	defaultDeleteTimeout = 10 * time.Minute
)

// timeoutsBlock is the `timeouts` block of a resource whose operations
// (create, update, delete) may take long; what names the resource in the
// descriptions.
func timeoutsBlock(ctx context.Context, what string, create, update, del string) schema.Block {
	describe := func(does string, def time.Duration) string {
		return fmt.Sprintf("Time limit of %s, a duration such as `30s` or `15m`; default `%s`. "+
			"When it runs out the apply fails with a timeout that names the operation; what was done so far is "+
			"recorded and the next apply resumes it.", does, def)
	}
	opts := timeouts.Opts{}
	if create != "" {
		opts.Create, opts.CreateDescription = true, describe(create, defaultCreateTimeout)
	}
	if update != "" {
		opts.Update, opts.UpdateDescription = true, describe(update, defaultUpdateTimeout)
	}
	if del != "" {
		opts.Delete, opts.DeleteDescription = true, describe(del, defaultDeleteTimeout)
	}
	b, ok := timeouts.Block(ctx, opts).(schema.SingleNestedBlock)
	if !ok {
		panic("terraform-plugin-framework-timeouts: Block is no longer a SingleNestedBlock")
	}
	b.MarkdownDescription = "Time limits of the long operations of the " + what + ". They bound the whole operation " +
		"on both sites and arrays; one HTTP request is bounded by the provider's `request_timeout`."
	return b
}

// operationTimeout returns a context bounded by the configured time limit of
// op ("create", "update" or "delete"), and the limit.
func operationTimeout(ctx context.Context, t timeouts.Value, op string, diags *diag.Diagnostics) (context.Context, context.CancelFunc, time.Duration) {
	var (
		limit time.Duration
		d     diag.Diagnostics
	)
	switch op {
	case "create":
		limit, d = t.Create(ctx, defaultCreateTimeout)
	case "update":
		limit, d = t.Update(ctx, defaultUpdateTimeout)
	default:
		limit, d = t.Delete(ctx, defaultDeleteTimeout)
	}
	diags.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, limit)
	return ctx, cancel, limit
}

// addOperationError reports an engine failure, or, when the operation's time
// limit ran out, a timeout naming the operation and its limit: the engine's
// own error would blame whichever request was cut short (often as an
// unreachable site).
func addOperationError(ctx context.Context, diags *diag.Diagnostics, op string, limit time.Duration, doing string, err error) {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		diags.AddError(fmt.Sprintf("Timeout: could not %s within %s", doing, limit),
			fmt.Sprintf("The %s did not finish within the %s time limit (timeouts.%s = %q). It was stopped at: %v. "+
				"What was done so far is recorded: apply again to resume it, after checking the site or array "+
				"named above, or raise timeouts.%s if the cloud is just slow.", op, limit, op, limit.String(), err, op))
		return
	}
	addEngineError(diags, doing, err)
}
