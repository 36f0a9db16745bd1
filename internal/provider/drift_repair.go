package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The drift repair of the protection group, the replication policy and the
// member: a refresh records what differs in `drift`; the next plan proposes
// `drift` -> `[]` with what the repair rewrites known after apply; the
// update performs the repair.

// stateHasDrift reports whether the last refresh found drift. It reads that
// one attribute, not the whole state: most plans find none, and a
// configuration may plan a hundred members.
func stateHasDrift(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) bool {
	var drift types.List
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("drift"), &drift)...)
	return !resp.Diagnostics.HasError() && len(drift.Elements()) > 0
}

// planDriftRepair proposes the repair: drift becomes empty, and each
// attribute the repair rewrites (named with its unknown value) becomes
// known after apply.
func planDriftRepair(ctx context.Context, resp *resource.ModifyPlanResponse, rewritten map[string]attr.Value) {
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("drift"), stringList(nil))...)
	for name, unknown := range rewritten {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), unknown)...)
	}
}

// keepStateWithNewTimeouts ends an update that changes only the `timeouts`
// block: nothing is written on the sites, and the state keeps everything
// but the new time limits.
func keepStateWithNewTimeouts(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var t timeouts.Value
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("timeouts"), &t)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.State.Raw = req.State.Raw.Copy()
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("timeouts"), t)...)
}
