package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

// ---- unit tests: no network, no TF_ACC ----

func TestSchemasAreValid(t *testing.T) {
	ctx := context.Background()
	p := New("test")()
	var presp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &presp)
	if presp.Diagnostics.HasError() {
		t.Fatalf("provider schema: %v", presp.Diagnostics)
	}
	if d := presp.Schema.ValidateImplementation(ctx); d.HasError() {
		t.Fatalf("provider schema: %v", d)
	}
	names := map[string]bool{}
	for _, f := range p.Resources(ctx) {
		r := f()
		var mresp resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "protector"}, &mresp)
		names[mresp.TypeName] = true
		var sresp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sresp)
		if sresp.Diagnostics.HasError() {
			t.Fatalf("%s schema: %v", mresp.TypeName, sresp.Diagnostics)
		}
		if d := sresp.Schema.ValidateImplementation(ctx); d.HasError() {
			t.Fatalf("%s schema: %v", mresp.TypeName, d)
		}
		for name, a := range sresp.Schema.Attributes {
			if a.GetMarkdownDescription() == "" {
				t.Errorf("%s.%s has no description", mresp.TypeName, name)
			}
		}
	}
	for _, want := range []string{"protector_site", "protector_protection_group", "protector_replication_policy", "protector_member"} {
		if !names[want] {
			t.Errorf("resource %s is not served", want)
		}
	}
}

func siteValue(t *testing.T, fields map[string]attr.Value) attr.Value {
	t.Helper()
	ctx := context.Background()
	var resp provider.SchemaResponse
	(&protectorProvider{}).Schema(ctx, provider.SchemaRequest{}, &resp)
	objType := resp.Schema.Attributes["sites"].GetType().(types.MapType).ElemType.(types.ObjectType)
	vals := map[string]attr.Value{}
	for name, typ := range objType.AttrTypes {
		if v, ok := fields[name]; ok {
			vals[name] = v
			continue
		}
		switch typ {
		case types.StringType:
			vals[name] = types.StringNull()
		case types.BoolType:
			vals[name] = types.BoolNull()
		default:
			vals[name] = types.ObjectNull(typ.(types.ObjectType).AttrTypes)
		}
	}
	v, diags := types.ObjectValue(objType.AttrTypes, vals)
	if diags.HasError() {
		t.Fatal(diags)
	}
	return v
}

func adminValue(t *testing.T, fields map[string]attr.Value) attr.Value {
	t.Helper()
	ctx := context.Background()
	var resp provider.SchemaResponse
	(&protectorProvider{}).Schema(ctx, provider.SchemaRequest{}, &resp)
	objType := resp.Schema.Attributes["sites"].GetType().(types.MapType).ElemType.(types.ObjectType).AttrTypes["admin"].(types.ObjectType)
	vals := map[string]attr.Value{}
	for name, typ := range objType.AttrTypes {
		if v, ok := fields[name]; ok {
			vals[name] = v
		} else if typ == types.BoolType {
			vals[name] = types.BoolNull()
		} else {
			vals[name] = types.StringNull()
		}
	}
	v, diags := types.ObjectValue(objType.AttrTypes, vals)
	if diags.HasError() {
		t.Fatal(diags)
	}
	return v
}

func TestEngineConfigFromProviderBlock(t *testing.T) {
	ctx := context.Background()
	var resp provider.SchemaResponse
	(&protectorProvider{}).Schema(ctx, provider.SchemaRequest{}, &resp)
	sitesType := resp.Schema.Attributes["sites"].GetType().(types.MapType)
	arraysType := resp.Schema.Attributes["flasharrays"].GetType().(types.MapType)

	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sites, diags := types.MapValue(sitesType.ElemType, map[string]attr.Value{
		"site-a": siteValue(t, nil),
		"site-b": siteValue(t, map[string]attr.Value{
			"cloud": types.StringValue("dr-cloud"),
			"admin": adminValue(t, map[string]attr.Value{"username": types.StringValue("admin"), "password": types.StringValue("admin-secret")}),
		}),
		"site-c": siteValue(t, map[string]attr.Value{
			"auth_url": types.StringValue("https://keystone.example.com/v3"), "password": types.StringValue("pw-c"),
			"admin": adminValue(t, map[string]attr.Value{"cloud": types.StringValue("site-c-admin")}),
		}),
	})
	if diags.HasError() {
		t.Fatal(diags)
	}
	arrays, diags := types.MapValue(arraysType.ElemType, map[string]attr.Value{
		"a": types.ObjectValueMust(arraysType.ElemType.(types.ObjectType).AttrTypes, map[string]attr.Value{
			"url": types.StringValue("https://FlashArray-A.example.com/"), "api_token": types.StringValue("T-a")}),
	})
	if diags.HasError() {
		t.Fatal(diags)
	}
	m := providerModel{
		CloudsYAML: types.StringValue("/etc/clouds.yaml"), Sites: sites, FlashArrays: arrays,
		FlashArrayCAFile: types.StringValue(ca), FlashArrayInsecure: types.BoolNull(),
		MaxRetries: types.Int64Null(), RequestTimeout: types.StringValue("90s"), ReachabilityTimeout: types.StringValue("4s"),
	}
	cfg, d := m.engineConfig(ctx, "1.2.3")
	if d.HasError() {
		t.Fatalf("engineConfig: %v", d)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"clouds.yaml path", cfg.CloudsYAMLPath, "/etc/clouds.yaml"},
		{"site-a names nothing (the engine reaches it through its clouds.yaml entry)", cfg.Sites["site-a"].Credentials.Cloud, ""},
		{"site-a has no admin", cfg.Sites["site-a"].Admin == nil, true},
		{"site-b names its entry", cfg.Sites["site-b"].Credentials.Cloud, "dr-cloud"},
		{"site-b admin as written (the engine gives it the site's entry)", cfg.Sites["site-b"].Admin.Cloud, ""},
		{"site-b admin user", cfg.Sites["site-b"].Admin.Username, "admin"},
		{"site-c inline: no cloud", cfg.Sites["site-c"].Credentials.Cloud, ""},
		{"site-c admin keeps its own entry", cfg.Sites["site-c"].Admin.Cloud, "site-c-admin"},
		{"site-c admin does not inherit the auth url", cfg.Sites["site-c"].Admin.AuthURL, ""},
		{"max retries default", cfg.MaxRetries, engine.DefaultMaxRetries},
		{"request timeout", cfg.RequestTimeout.String(), "1m30s"},
		{"reachability timeout", cfg.ReachabilityTimeout.String(), "4s"},
		{"CA bundle read", string(cfg.ArrayCACertPEM), "-----BEGIN CERTIFICATE-----\n"},
		{"insecure default", cfg.ArrayInsecure, false},
		{"token by normalized url", cfg.ArrayTokens["https://flasharray-a.example.com"], "T-a"},
		{"engine token by normalized url", cfg.ArrayTokens["https://flasharray-a.example.com"], "T-a"},
		{"user agent", cfg.UserAgent, "terraform-provider-protector/1.2.3"},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
	masked := strings.Join(secretsOf(cfg), ",")
	for _, secret := range []string{"admin-secret", "pw-c", "T-a"} {
		if !strings.Contains(masked, secret) {
			t.Errorf("secret %q is not masked in logs", secret)
		}
	}
}

func TestEngineConfigErrors(t *testing.T) {
	ctx := context.Background()
	base := func() providerModel {
		return providerModel{
			CloudsYAML: types.StringNull(), Sites: types.MapNull(types.StringType), FlashArrays: types.MapNull(types.StringType),
			FlashArrayCAFile: types.StringNull(), FlashArrayInsecure: types.BoolNull(),
			MaxRetries: types.Int64Null(), RequestTimeout: types.StringNull(),
		}
	}
	tests := []struct {
		name   string
		modify func(*providerModel)
		want   string
	}{
		{"defaults", func(*providerModel) {}, ""},
		{"missing CA file", func(m *providerModel) { m.FlashArrayCAFile = types.StringValue("/nonexistent/ca.pem") }, "Cannot read flasharray_ca_file"},
		{"bad timeout", func(m *providerModel) { m.RequestTimeout = types.StringValue("soon") }, "Invalid request_timeout"},
		{"bad reachability timeout", func(m *providerModel) { m.ReachabilityTimeout = types.StringValue("-1s") }, "Invalid reachability_timeout"},
		{"unknown reachability timeout", func(m *providerModel) { m.ReachabilityTimeout = types.StringUnknown() }, "not known at plan"},
		{"unknown clouds.yaml", func(m *providerModel) { m.CloudsYAML = types.StringUnknown() }, "not known at plan"},
	}
	for _, tt := range tests {
		m := base()
		tt.modify(&m)
		cfg, diags := m.engineConfig(ctx, "dev")
		if tt.want == "" {
			if diags.HasError() {
				t.Errorf("%s: unexpected error %v", tt.name, diags)
			}
			if cfg.MaxRetries != engine.DefaultMaxRetries || cfg.RequestTimeout != engine.DefaultRequestTimeout {
				t.Errorf("%s: defaults not applied: %+v", tt.name, cfg)
			}
			continue
		}
		if !diags.HasError() || !strings.Contains(fmt.Sprint(diags), tt.want) {
			t.Errorf("%s: diagnostics %v, want an error containing %q", tt.name, diags, tt.want)
		}
	}
}

func TestAddEngineError(t *testing.T) {
	var diags diagnostics
	addEngineError(&diags, "add a member", &engine.Error{Kind: engine.KindMismatch, Site: "site-a", Detail: "instance x has a standard volume", Fix: "Migrate it"})
	addEngineError(&diags, "add a member", fmt.Errorf("boom"))
	if len(diags) != 2 {
		t.Fatalf("got %d diagnostics", len(diags))
	}
	if got := diags[0].Summary(); got != "volume type mismatch (site site-a)" {
		t.Errorf("engine error summary = %q", got)
	}
	if got := diags[0].Detail(); got != "volume type mismatch: instance x has a standard volume. Migrate it" {
		t.Errorf("engine error detail = %q", got)
	}
	if got := diags[1].Summary(); got != "Could not add a member" {
		t.Errorf("plain error summary = %q", got)
	}
}

func TestDestroyBlockedDuringDROperation(t *testing.T) {
	for status, blocked := range map[string]bool{
		engine.StatusActive: false, engine.StatusFailingOver: true, engine.StatusFailingBack: true,
		engine.StatusFailedOver: false, engine.StatusError: false,
	} {
		err := destroyBlocked(protectionGroupModel{Name: types.StringValue("prod-web-app"), Status: types.StringValue(status)})
		if (err != nil) != blocked {
			t.Errorf("status %s: destroyBlocked = %v, want blocked %v", status, err, blocked)
		}
		if err != nil && !engine.IsKind(err, engine.KindBlocked) {
			t.Errorf("status %s: error %v is not a %q", status, err, engine.KindBlocked)
		}
	}
}
