package provider

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// policyWriteOnlyHCL is the guide's policy with write-only tokens: strings,
// or references to variables ("var.x"); the secondary's at version 1.
func policyWriteOnlyHCL(w *accWorld, primaryToken string, primaryVersion int, secondaryToken string) string {
	expr := func(s string) string {
		if strings.HasPrefix(s, "var.") {
			return s
		}
		return strconv.Quote(s)
	}
	return fmt.Sprintf(`
resource "protector_replication_policy" "web" {
  protection_group_id           = protector_protection_group.web.id
  primary_fa_url                = %q
  secondary_fa_url              = %q
  primary_fa_token_wo           = %s
  primary_fa_token_wo_version   = %d
  secondary_fa_token_wo         = %s
  secondary_fa_token_wo_version = 1
  replication_interval          = 300
  rpo_minutes                   = 15
}
`, w.arrayURL(simulator.ArrayA), w.arrayURL(simulator.ArrayB), expr(primaryToken), primaryVersion, expr(secondaryToken))
}

// TestAccReplicationPolicy_writeOnlyTokens: the policy is created with
// write-only tokens only (the provider has none, so nothing else could log
// in); they are not in the state, so the refresh after apply asks for the
// provider's flasharrays; with those, refresh works. A new token is used
// only when its version changes: a wrong token under the old version plans
// nothing, under a new version it is refused at plan; the right one updates.
func TestAccReplicationPolicy_writeOnlyTokens(t *testing.T) {
	t.Parallel()
	skipWithoutWriteOnly(t)
	w := newAccWorld(t)
	base := sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	withoutTokens := w.provider(providerOptions{}) + base
	withTokens := w.provider(providerOptions{arrayTokens: true}) + base
	var primaryCG string
	nullTokens := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("primary_fa_token_wo"), knownvalue.Null()),
		statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("secondary_fa_token_wo"), knownvalue.Null()),
		statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("primary_fa_token"), knownvalue.Null()),
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      withoutTokens + policyWriteOnlyHCL(w, simulator.ArrayAToken, 1, simulator.ArrayBToken),
				ExpectError: wrapped(`(?s)FlashArray token needed to refresh.*given as the write-only primary_fa_token_wo, which is not kept in the state, and the provider's flasharrays has no entry`),
			},
			{
				Config: withTokens + policyWriteOnlyHCL(w, simulator.ArrayAToken, 1, simulator.ArrayBToken),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(nullTokens,
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("primary_fa_token_wo_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("target_allowed"), knownvalue.Bool(true)),
				),
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					checkArrayGroup(w, &primaryCG, 300*time.Second),
				),
			},
			{
				// A changed token without a new version is not sent.
				Config:   withTokens + policyWriteOnlyHCL(w, "not-the-token", 1, simulator.ArrayBToken),
				PlanOnly: true,
			},
			{
				Config:      withTokens + policyWriteOnlyHCL(w, "not-the-token", 2, simulator.ArrayBToken),
				PlanOnly:    true,
				ExpectError: wrapped(`refused, check the API token`),
			},
			{
				Config: withTokens + policyWriteOnlyHCL(w, simulator.ArrayAToken, 2, simulator.ArrayBToken),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(policyAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: append(nullTokens,
					statecheck.ExpectKnownValue(policyAddr, tfjsonpath.New("primary_fa_token_wo_version"), knownvalue.Int64Exact(2)),
				),
			},
		},
	})
}

// TestAccReplicationPolicy_writeOnlyNeedsNewerEngine runs only on engines
// without write-only arguments (TF_ACC_TERRAFORM_PATH = Terraform 1.8.5):
// setting one fails at validate with the argument to use instead.
func TestAccReplicationPolicy_writeOnlyNeedsNewerEngine(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") != "" && currentEngine(t).writeOnlyArguments() {
		t.Skipf("%s has write-only arguments; this test is for engines without them", currentEngine(t))
	}
	w := newAccWorld(t)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: w.provider(providerOptions{arrayTokens: true}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) +
				policyWriteOnlyHCL(w, simulator.ArrayAToken, 1, simulator.ArrayBToken),
			PlanOnly:    true,
			ExpectError: wrapped(`primary_fa_token_wo is a write-only argument, which needs OpenTofu 1.11 or Terraform 1.11 or later. With this version, remove primary_fa_token_wo and primary_fa_token_wo_version and either give the token in the provider's flasharrays entry`),
		}},
	})
	for _, name := range []string{simulator.ArrayA, simulator.ArrayB} {
		if n := len(w.Array(name).Faults().Requests()); n != 0 {
			t.Errorf("%s received %d requests; the configuration must be refused at validate", name, n)
		}
	}
}
