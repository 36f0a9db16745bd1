package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// ---- unit tests: no network, no TF_ACC ----

// runStringCheck runs a validator on one value the way the framework does
// and returns the error text ("" when it passes).
func runStringCheck(v validator.String, attr string, value types.String) string {
	req := validator.StringRequest{Path: path.Root(attr), ConfigValue: value}
	var resp validator.StringResponse
	v.ValidateString(context.Background(), req, &resp)
	if !resp.Diagnostics.HasError() {
		return ""
	}
	var b strings.Builder
	for _, d := range resp.Diagnostics.Errors() {
		b.WriteString(d.Summary() + ": " + d.Detail())
	}
	return b.String()
}

func TestArgumentValidators(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name      string
		v         validator.String
		attr      string
		value     string
		wantError string // "" when the value is valid; else a part of the message
	}{
		{"site name", siteName(), "primary_site", "site-a", ""},
		{"site name with dot and underscore", siteName(), "name", "dc1.site_b", ""},
		{"site name of 64", siteName(), "name", long, ""},
		{"site name too long", siteName(), "name", long + "a", "1 to 64 letters"},
		{"site name with slash", siteName(), "secondary_site", "site/b", `secondary_site = "site/b" is not a site name`},
		{"site name with blank", siteName(), "name", "site a", "is not a site name"},
		{"site name starting with dash", siteName(), "name", "-a", "beginning with a letter or digit"},

		{"group name", groupName(), "name", "prod-web-app", ""},
		{"group name with blanks inside", groupName(), "name", "Prod web app (tier 1)", ""},
		{"group name with slash", groupName(), "name", "prod/web", "contains '/'"},
		{"group name with trailing blank", groupName(), "name", "prod ", "begins or ends with a blank"},
		{"group name with newline", groupName(), "name", "prod\nweb", "control character"},
		{"group name too long", groupName(), "name", strings.Repeat("x", 256), "longer than Cinder allows (255)"},

		{"pure group", pureGroupName(), "pure_pg_name", "pg-prod-web-app", ""},
		{"pure group in a pod", pureGroupName(), "pure_pg_name", "cinder-pod::pg-prod-web-app", ""},
		{"driver default name", pureGroupName(), "pure_pg_name", "consisgroup-0f1e2d3c-4b5a-4968-8776-655443322110-cinder", ""},
		{"pure group with underscore", pureGroupName(), "pure_pg_name", "pg_prod", `pure_pg_name = "pg_prod" is not a Purity name`},
		{"pure group ending in dash", pureGroupName(), "pure_pg_name", "pg-", "is not a Purity name"},
		{"pure group of digits", pureGroupName(), "pure_pg_name", "2024", "has only digits"},
		{"pure group too long", pureGroupName(), "pure_pg_name", strings.Repeat("p", 64), "longer than Purity allows (63)"},
		{"pure group empty pod", pureGroupName(), "pure_pg_name", "::pg", `has the part "" that is empty`},
		{"pure group two pods", pureGroupName(), "pure_pg_name", "a::b::c", "more than one '::'"},

		{"instance id", instanceID(), "instance_id", simulator.WebServer1ID, ""},
		{"instance id upper case", instanceID(), "instance_id", strings.ToUpper(simulator.WebServer1ID), ""},
		{"instance name", instanceID(), "instance_id", "web-server-1", `instance_id = "web-server-1" is not a UUID`},
		{"instance id without dashes", instanceID(), "instance_id", strings.ReplaceAll(simulator.WebServer1ID, "-", ""), "is not a UUID"},

		{"group id", protectionGroupID(), "protection_group_id", "pg-0f1e2d3c-4b5a-4968-8776-655443322110", ""},
		{"group name for id", protectionGroupID(), "protection_group_id", "prod-web-app", "the `id` of a protector_protection_group"},

		{"array url", arrayURL(), "primary_fa_url", "https://flasharray-a.example.com", ""},
		{"array url with port", arrayURL(), "primary_fa_url", "https://127.0.0.1:8443", ""},
		{"array over http", arrayURL(), "secondary_fa_url", "http://flasharray-b.example.com", "is not an https:// URL"},
		{"array without scheme", arrayURL(), "primary_fa_url", "flasharray-a.example.com", "is not an https:// URL"},
		{"array without host", arrayURL(), "primary_fa_url", "https://", "has no host"},
		{"array with credentials", arrayURL(), "primary_fa_url", "https://pureuser:secret@flasharray-a", "carries credentials"},
		{"array with query", arrayURL(), "primary_fa_url", "https://flasharray-a/?x=1", "has a query"},

		{"auth url", authURL(), "auth_url", "http://site-a-controller:5000/v3", ""},
		{"auth url without scheme", authURL(), "auth_url", "site-a-controller:5000/v3", "is not an http:// or https:// URL"},
		{"auth url without host", authURL(), "auth_url", "https:///v3", "has no host"},

		{"volume type", cinderTypeName("volume type"), "volume_type", "replicated-ssd", ""},
		{"volume type too long", cinderTypeName("volume type"), "volume_type", strings.Repeat("t", 256), "longer than Cinder allows (255)"},
		{"empty group type", cinderTypeName("group type"), "consistency_group_type", "", "is empty"},
	}
	for _, tt := range tests {
		got := runStringCheck(tt.v, tt.attr, types.StringValue(tt.value))
		switch {
		case tt.wantError == "" && got != "":
			t.Errorf("%s: %q refused: %s", tt.name, tt.value, got)
		case tt.wantError != "" && !strings.Contains(got, tt.wantError):
			t.Errorf("%s: %q gave %q, want an error containing %q", tt.name, tt.value, got, tt.wantError)
		case tt.wantError != "" && !strings.Contains(got, tt.attr):
			t.Errorf("%s: message %q does not name the argument %s", tt.name, got, tt.attr)
		}
	}
}

// Unknown values (from resources created in the same run) and nulls pass:
// they are checked when known.
func TestArgumentValidatorsLetUnknownPass(t *testing.T) {
	for _, v := range []stringCheck{siteName(), groupName(), pureGroupName(), instanceID(), protectionGroupID(), arrayURL()} {
		for _, value := range []types.String{types.StringUnknown(), types.StringNull()} {
			if got := runStringCheck(v, "x", value); got != "" {
				t.Errorf("%s refused %v: %s", v.summary, value, got)
			}
		}
	}
}

// policyConfig is a protector_replication_policy configuration with the
// given attributes, every other one null.
func policyConfig(t *testing.T, set map[string]tftypes.Value) (resource.Resource, tfsdk.Config) {
	t.Helper()
	ctx := context.Background()
	r := NewReplicationPolicyResource()
	var sresp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sresp)
	typ := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	for name, v := range set {
		if _, ok := typ.AttributeTypes[name]; !ok {
			t.Fatalf("the policy has no attribute %s", name)
		}
		vals[name] = v
	}
	return r, tfsdk.Config{Schema: sresp.Schema, Raw: tftypes.NewValue(typ, vals)}
}

func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
func num(n int64) tftypes.Value  { return tftypes.NewValue(tftypes.Number, n) }

func TestReplicationPolicyValidateConfig(t *testing.T) {
	ctx := context.Background()
	base := func() map[string]tftypes.Value {
		return map[string]tftypes.Value{
			"protection_group_id": str("pg-0f1e2d3c-4b5a-4968-8776-655443322110"),
			"primary_fa_url":      str("https://flasharray-a.example.com"),
			"secondary_fa_url":    str("https://flasharray-b.example.com"),
		}
	}
	tests := []struct {
		name        string
		set         map[string]tftypes.Value
		writeOnlyOK bool
		wantPath    string
		wantError   string
	}{
		{"guide's policy", map[string]tftypes.Value{"replication_interval": num(300), "rpo_minutes": num(15)}, true, "", ""},
		{"RPO shorter than interval", map[string]tftypes.Value{"replication_interval": num(1800), "rpo_minutes": num(15)}, true,
			"rpo_minutes", "rpo_minutes = 15 is shorter than the replication interval of 1800 s: snapshots would arrive too rarely to ever meet the RPO. Set rpo_minutes to at least 30, or replication_interval to at most 900."},
		{"RPO shorter than the default interval", map[string]tftypes.Value{"rpo_minutes": num(15)}, true,
			"rpo_minutes", "3600 s (the default when replication_interval is not set)"},
		{"RPO out of range", map[string]tftypes.Value{"replication_interval": num(300), "rpo_minutes": num(0)}, true, "", ""},
		{"RPO shorter than the shortest interval", map[string]tftypes.Value{"replication_interval": num(300), "rpo_minutes": num(2)}, true,
			"rpo_minutes", "rpo_minutes = 2 is shorter than the replication interval of 300 s: snapshots would arrive too rarely to ever meet the RPO. Set rpo_minutes to at least 5 (the shortest replication_interval is 300 s)."},
		{"RPO equal to interval", map[string]tftypes.Value{"replication_interval": num(900), "rpo_minutes": num(15)}, true, "", ""},
		{"unknown interval", map[string]tftypes.Value{"replication_interval": tftypes.NewValue(tftypes.Number, tftypes.UnknownValue), "rpo_minutes": num(15)}, true, "", ""},
		{"same array twice", map[string]tftypes.Value{"secondary_fa_url": str("https://FlashArray-A.example.com/")}, true,
			"secondary_fa_url", "primary_fa_url and secondary_fa_url both name"},
		{"write-only tokens on a capable engine", map[string]tftypes.Value{
			"primary_fa_token_wo": str("T-a"), "primary_fa_token_wo_version": num(1),
			"secondary_fa_token_wo": str("T-b"), "secondary_fa_token_wo_version": num(1)}, true, "", ""},
		{"write-only token on an engine without", map[string]tftypes.Value{"secondary_fa_token_wo": str("T-b")}, false,
			"secondary_fa_token_wo", "remove secondary_fa_token_wo and secondary_fa_token_wo_version and either give the token in the provider's flasharrays entry with url = secondary_fa_url (never stored in the state), or set secondary_fa_token"},
		{"plain tokens on an engine without", map[string]tftypes.Value{"primary_fa_token": str("T-a")}, false, "", ""},
	}
	for _, tt := range tests {
		set := base()
		for k, v := range tt.set {
			set[k] = v
		}
		r, cfg := policyConfig(t, set)
		req := resource.ValidateConfigRequest{Config: cfg, ClientCapabilities: resource.ValidateConfigClientCapabilities{WriteOnlyAttributesAllowed: tt.writeOnlyOK}}
		var resp resource.ValidateConfigResponse
		r.(resource.ResourceWithValidateConfig).ValidateConfig(ctx, req, &resp)
		if tt.wantError == "" {
			if resp.Diagnostics.HasError() {
				t.Errorf("%s: unexpected %v", tt.name, resp.Diagnostics)
			}
			continue
		}
		errs := resp.Diagnostics.Errors()
		if len(errs) != 1 {
			t.Errorf("%s: %d errors %v, want one", tt.name, len(errs), resp.Diagnostics)
			continue
		}
		withPath, ok := errs[0].(interface{ Path() path.Path })
		if !ok || withPath.Path().String() != tt.wantPath {
			t.Errorf("%s: error not on %s: %v", tt.name, tt.wantPath, errs[0])
		}
		if !strings.Contains(errs[0].Detail(), tt.wantError) {
			t.Errorf("%s: %q does not contain %q", tt.name, errs[0].Detail(), tt.wantError)
		}
	}
}

// ---- acceptance tests ----

// literalGroupHCL is a group whose sites are written out, not taken from
// protector_site resources.
func literalGroupHCL(name, primary, secondary, replication string) string {
	return fmt.Sprintf(`
resource "protector_protection_group" "web" {
  name             = %q
  primary_site     = %q
  secondary_site   = %q
  replication_type = %q
  volume_type      = "replicated-ssd"
}
`, name, primary, secondary, replication)
}

// TestAccValidation_refusedBeforeAnyRequest: every wrong argument fails at
// plan with the argument named and the fix, before the provider sends a
// single request to a site or an array.
func TestAccValidation_refusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	prov := w.provider(providerOptions{arrayTokens: true})
	group := literalGroupHCL
	policy := func(args string) string {
		return fmt.Sprintf(`
resource "protector_replication_policy" "web" {
  protection_group_id = "pg-0f1e2d3c-4b5a-4968-8776-655443322110"
%s
}
`, args)
	}
	urls := fmt.Sprintf("  primary_fa_url = %q\n  secondary_fa_url = %q\n", w.arrayURL(simulator.ArrayA), w.arrayURL(simulator.ArrayB))
	cases := []struct {
		config string
		want   string
	}{
		{group("prod/web", "site-a", "site-b", "async"), `name = "prod/web" contains '/'`},
		{group("prod-web-app", "site-a", "site-a", "async"), `primary_site and secondary_site are both "site-a"`},
		{group("prod-web-app", "site a", "site-b", "async"), `primary_site = "site a" is not a site name`},
		{group("prod-web-app", "site-a", "site-b", "asynchronous"), `replication_type value must be one of`},
		{`
resource "protector_member" "m" {
  protection_group_id = "pg-0f1e2d3c-4b5a-4968-8776-655443322110"
  instance_id         = "web-server-1"
}
`, `instance_id = "web-server-1" is not a UUID`},
		{`
resource "protector_member" "m" {
  protection_group_id = "prod-web-app"
  instance_id         = "a1b2c3d4-1111-2222-3333-aabbccddeeff"
}
`, `protection_group_id = "prod-web-app" is not a protection group id`},
		{policy(fmt.Sprintf("  primary_fa_url = %q\n  secondary_fa_url = %q\n", "http://"+strings.TrimPrefix(w.arrayURL(simulator.ArrayA), "https://"), w.arrayURL(simulator.ArrayB))),
			`primary_fa_url = "http://.*" is not an https:// URL`},
		{policy(urls + "  pure_pg_name = \"pg_prod_web\"\n"), `pure_pg_name = "pg_prod_web" is not a Purity name`},
		{policy(urls + "  replication_interval = 60\n"), `replication_interval value must be between 300 and 604800`},
		{policy(urls + "  rpo_minutes = 525601\n"), `rpo_minutes value must be between 1 and 525600`},
		{policy(urls + "  rpo_minutes = 0\n"), `rpo_minutes value must be between 1 and 525600`},
		{policy(urls + "  replication_interval = 3600\n  rpo_minutes = 15\n"), `Set rpo_minutes to at least 60, or replication_interval to at most 900`},
		{policy(urls + "  primary_fa_token = \"a\"\n  primary_fa_token_wo = \"b\"\n"), `Attribute "primary_fa_token" cannot be specified when "primary_fa_token_wo" is specified`},
		{policy(urls + "  secondary_fa_token_wo_version = 2\n"), `Attribute "secondary_fa_token_wo" must be specified when "secondary_fa_token_wo_version" is specified`},
		{prov[:strings.Index(prov, "  sites = {")] + "  sites = { \"site/a\" = {} }\n}\n" + group("prod-web-app", "site-a", "site-b", "async"),
			`sites\["site/a"\] = "site/a" is not a site name`},
	}
	steps := make([]tfresource.TestStep, 0, len(cases))
	for _, c := range cases {
		cfg := prov + c.config
		if strings.HasPrefix(c.config, "provider") {
			cfg = c.config
		}
		steps = append(steps, tfresource.TestStep{Config: cfg, PlanOnly: true, ExpectError: wrapped(c.want)})
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
	for _, name := range []string{simulator.SiteA, simulator.SiteB} {
		if n := len(w.Site(name).Faults().Requests()); n != 0 {
			t.Errorf("%s received %d requests; invalid arguments must be refused before any", name, n)
		}
	}
	for _, name := range []string{simulator.ArrayA, simulator.ArrayB} {
		if n := len(w.Array(name).Faults().Requests()); n != 0 {
			t.Errorf("%s received %d requests; invalid arguments must be refused before any", name, n)
		}
	}
}

// TestAccValidation_unknownSiteAtPlan: a site name that is neither in the
// provider's sites nor a clouds.yaml entry fails the plan (the provider is
// configured then, so it can tell) with the fix, and nothing is written on
// the site that exists.
func TestAccValidation_unknownSiteAtPlan(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config:      w.provider(providerOptions{}) + literalGroupHCL("prod-web-app", "site-a", "site-c", "async"),
			PlanOnly:    true,
			ExpectError: wrapped(`(?s)site-c.*Configure site "site-c" in the provider's sites, or add a clouds.yaml entry named "site-c"`),
		}},
	})
	for _, r := range w.Site(simulator.SiteA).Faults().Requests() {
		if r.Method != "GET" && r.Method != "HEAD" && !strings.HasSuffix(r.Path, "/auth/tokens") {
			t.Errorf("site-a received %s %s; a plan must change nothing", r.Method, r.Path)
		}
	}
}
