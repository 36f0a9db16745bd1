package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

const syncStatusAddr = "data.protector_sync_status.web"

// TestAccReplicationReadiness: a new policy is pending (within its RPO);
// once the newest snapshot on the secondary array is older than the RPO
// (the arrays' clocks run 20 minutes behind, so the snapshot they replicate
// is 20 minutes old), the sync-status data source reports the breach.
func TestAccReplicationReadiness(t *testing.T) {
	t.Parallel()
	w := newAccWorldWith(t, simulator.Options{ArrayClockOffset: -20 * time.Minute})
	config := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("web", "async", "replicated-ssd") +
		policyHCL(w, false, 300, 15) + memberHCL("web1", simulator.WebServer1ID) + `
data "protector_sync_status" "web" {
  protection_group_id = protector_protection_group.web.id
  depends_on          = [protector_member.web1, protector_replication_policy.web]
}
`
	var primaryCG string
	warnings := &providerWarnings{}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: warnings.factories(),
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check:  capture(groupAddr, "primary_consistency_group_id", &primaryCG),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(syncStatusAddr, tfjsonpath.New("rpo_compliant"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(syncStatusAddr, tfjsonpath.New("last_replicated_at"), knownvalue.StringExact("")),
				},
			},
			{
				PreConfig: func() {
					warnings.forget()
					snapshotNow(t, w, primaryCG)
				},
				Config: config,
				// The policy's refresh warns of the breach.
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					warnings.expectWarning(`RPO breach: protection group pg-[0-9a-f-]+: The newest snapshot replicated to flasharray-b is ` +
						`[0-9hms.]+ old \(since [0-9TZ:-]+\), beyond the RPO of 15 minutes\. Check the array connection and the ` +
						`replication schedule of consisgroup-[0-9a-f-]+-cinder on flasharray-a\.`),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(syncStatusAddr, tfjsonpath.New("rpo_compliant"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(syncStatusAddr, tfjsonpath.New("replication_lag_seconds"), knownvalue.Int64Func(func(v int64) error {
						if v < 19*60 || v > 25*60 {
							return fmt.Errorf("lag %d s, want about 20 minutes", v)
						}
						return nil
					})),
					statecheck.ExpectKnownValue(syncStatusAddr, tfjsonpath.New("last_replicated_at"), nonEmpty),
					statecheck.ExpectKnownValue(syncStatusAddr, tfjsonpath.New("readiness_error"), knownvalue.StringExact("")),
				},
			},
		},
	})
}

// snapshotNow takes a snapshot of the Pure driver's protection group of a
// consistency group on flasharray-a and replicates it, through the array's
// API.
func snapshotNow(t *testing.T, w *accWorld, primaryCG string) {
	t.Helper()
	c, err := flasharray.New(flasharray.Config{URL: w.arrayURL(simulator.ArrayA), APIToken: simulator.ArrayAToken,
		CACertPEM: w.Array(simulator.ArrayA).CACertPEM()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateProtectionGroupSnapshot(context.Background(), simulator.ConsistencyGroupPGName(primaryCG), true); err != nil {
		t.Fatal(err)
	}
}
