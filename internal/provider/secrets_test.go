package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// secretsFound lists the secrets that occur in text.
func secretsFound(text string, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		if strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	return found
}

// secretPaths lists where in a JSON document secrets occur, for messages.
func secretPaths(doc []byte, secrets []string) []string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return nil
	}
	var out []string
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(at+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", at, i), e)
			}
		case string:
			if len(secretsFound(x, secrets)) > 0 {
				out = append(out, at)
			}
		}
	}
	walk("", v)
	sort.Strings(out)
	return out
}

// noSecretsInPlan fails when the plan (as `show -json` of the saved plan
// gives it) holds a secret; it also proves it read a real plan.
type noSecretsInPlan struct {
	secrets []string
	mustSee string // a value every plan of the test holds
}

func (c noSecretsInPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	b, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	if !strings.Contains(string(b), c.mustSee) {
		resp.Error = fmt.Errorf("the plan JSON does not hold %q: the search would prove nothing", c.mustSee)
		return
	}
	if found := secretsFound(string(b), c.secrets); len(found) > 0 {
		resp.Error = fmt.Errorf("the plan JSON holds the secrets %q at %q", found, secretPaths(b, c.secrets))
	}
}

// noSecretsInState is the same check on the state (`show -json`).
type noSecretsInState struct {
	secrets []string
	mustSee string
}

func (c noSecretsInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	b, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if !strings.Contains(string(b), c.mustSee) {
		resp.Error = fmt.Errorf("the state JSON does not hold %q: the search would prove nothing", c.mustSee)
		return
	}
	if found := secretsFound(string(b), c.secrets); len(found) > 0 {
		resp.Error = fmt.Errorf("the state holds the secrets %q at %q", found, secretPaths(b, c.secrets))
	}
}

func TestSecretsFound(t *testing.T) {
	secrets := []string{"pw-LEAK-1", "tok-LEAK-2"}
	if got := secretsFound(`{"password":"pw-LEAK-1","x":"tok-LEAK-2"}`, secrets); len(got) != 2 {
		t.Errorf("planted secrets not found: %q", got)
	}
	if got := secretsFound(`{"password":"***"}`, secrets); len(got) != 0 {
		t.Errorf("found %q in a masked text", got)
	}
	var resp plancheck.CheckPlanResponse
	noSecretsInPlan{secrets: secrets, mustSee: "x"}.CheckPlan(context.Background(), plancheck.CheckPlanRequest{}, &resp)
	if resp.Error == nil {
		t.Error("an empty plan passed the check although it does not hold the value it must")
	}
}

// TestAccSecrets_neverInStatePlanOrLogs: a cloud password, an admin
// password and an application-credential secret in the provider block, the
// arrays' tokens in the provider's flasharrays and as the policy's write-only
// tokens. With TF_LOG=TRACE (OpenTofu's log and the provider's in one file),
// apply, a plan with a change and refresh run, and none of the secrets
// appears in the state, in the plan JSON or in any log line. The log, plan
// and state are shown to hold the test's non-secret values, so the search
// reads the real artefacts.
//
// Not parallel: it sets the process's TF_LOG environment.
func TestAccSecrets_neverInStatePlanOrLogs(t *testing.T) {
	skipWithoutWriteOnly(t)
	w := newAccWorld(t)
	const (
		user       = "leakcheck-user"
		password   = "pw-LEAKCHECK-3f9a1c"
		adminPass  = "pw-LEAKCHECK-admin-77d2"
		appCredID  = "leakcheck-app-cred"
		appSecret  = "ac-LEAKCHECK-5e8b04"
		groupName  = "leakcheck-web-app"
		logMessage = "openstack request" // what the provider logs of each request
	)
	w.Site(simulator.SiteA).AddUser(user, password, simulator.Project, "member")
	w.Site(simulator.SiteA).AddUser("leakcheck-admin", adminPass, simulator.Project, "admin")
	w.Site(simulator.SiteB).AddUser(user, "unused-"+password, simulator.Project, "member")
	w.Site(simulator.SiteB).AddApplicationCredential(appCredID, appSecret, user)
	secrets := []string{password, adminPass, appSecret, simulator.ArrayAToken, simulator.ArrayBToken}

	logFile := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG", "TRACE")

	// The secrets come in as ephemeral variables. OpenTofu itself writes
	// into the plan JSON a literal of the configuration (configuration.
	// *.expressions.*.constant_value) and the value of every variable that
	// is not ephemeral, sensitive or not (.variables.*.value): measured with
	// this test. Ephemeral variables (OpenTofu and Terraform 1.11+) stay out
	// of the saved plan; provider blocks and write-only arguments take them.
	variables := ""
	for _, name := range []string{"site_a_password", "site_a_admin_password", "site_b_app_secret", "array_a_token", "array_b_token"} {
		variables += fmt.Sprintf("variable %q {\n  type      = string\n  sensitive = true\n  ephemeral = true\n}\n", name)
	}
	vars := config.Variables{
		"site_a_password":       config.StringVariable(password),
		"site_a_admin_password": config.StringVariable(adminPass),
		"site_b_app_secret":     config.StringVariable(appSecret),
		"array_a_token":         config.StringVariable(simulator.ArrayAToken),
		"array_b_token":         config.StringVariable(simulator.ArrayBToken),
	}
	provider := variables + fmt.Sprintf(`
provider "protector" {
  flasharray_ca_file = %q
  max_retries        = 1
  sites = {
    "site-a" = {
      auth_url            = %q
      region              = %q
      username            = %q
      password            = var.site_a_password
      project_name        = %q
      admin = {
        username = "leakcheck-admin"
        password = var.site_a_admin_password
      }
    }
    "site-b" = {
      auth_url                      = %q
      region                        = %q
      application_credential_id     = %q
      application_credential_secret = var.site_b_app_secret
    }
  }
  # flasharrays
}
`, w.caFile, w.Site(simulator.SiteA).AuthURL(), simulator.Region, user, simulator.Project,
		w.Site(simulator.SiteB).AuthURL(), simulator.Region, appCredID)
	withoutArrays := provider
	provider = strings.Replace(provider, "  # flasharrays\n", fmt.Sprintf(`  flasharrays = {
    a = { url = %q, api_token = var.array_a_token }
    b = { url = %q, api_token = var.array_b_token }
  }
`, w.arrayURL(simulator.ArrayA), w.arrayURL(simulator.ArrayB)), 1)
	resources := func(description string) string {
		return sitesHCL + fmt.Sprintf(`
resource "protector_protection_group" "web" {
  name             = %q
  description      = %q
  primary_site     = protector_site.a.name
  secondary_site   = protector_site.b.name
  replication_type = "async"
  volume_type      = "replicated-ssd"
}
`, groupName, description) + policyWriteOnlyHCL(w, "var.array_a_token", 1, "var.array_b_token") +
			memberHCL("web1", simulator.WebServer1ID)
	}
	planCheck := noSecretsInPlan{secrets: secrets, mustSee: groupName}
	stateCheck := noSecretsInState{secrets: secrets, mustSee: groupName}
	checks := func() (tfresource.ConfigPlanChecks, []statecheck.StateCheck) {
		return tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{planCheck}, PostApplyPostRefresh: []plancheck.PlanCheck{planCheck}},
			[]statecheck.StateCheck{stateCheck}
	}
	plan1, state1 := checks()
	plan2, state2 := checks()
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				// The array tokens only in the policy's write-only arguments:
				// the provider's log masking does not know them here. The
				// refresh after apply then asks for them in flasharrays.
				Config:          withoutArrays + resources("first"),
				ConfigVariables: vars,
				ExpectError:     wrapped(`FlashArray token needed to refresh`),
			},
			{Config: provider + resources("first"), ConfigVariables: vars, ConfigPlanChecks: plan1, ConfigStateChecks: state1},
			{Config: provider + resources("second"), ConfigVariables: vars, ConfigPlanChecks: plan2, ConfigStateChecks: state2},
			{RefreshState: true},
		},
	})

	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("read the TRACE log: %v", err)
	}
	log := string(b)
	for _, must := range []string{groupName, logMessage, "[TRACE]"} {
		if !strings.Contains(log, must) {
			t.Errorf("the log (%d bytes) does not hold %q: the provider's or OpenTofu's TRACE lines are missing, the search would prove nothing", len(b), must)
		}
	}
	if found := secretsFound(log, secrets); len(found) > 0 {
		for _, line := range strings.Split(log, "\n") {
			if len(secretsFound(line, secrets)) > 0 {
				t.Logf("leaking line: %.400s", line)
			}
		}
		t.Errorf("the TRACE log holds the secrets %q", found)
	}
}
