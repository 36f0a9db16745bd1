package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestAccSiteTLS: both sites serve HTTPS under a CA no system trusts.
// Certificates are verified by default, so an inline site without a CA
// bundle is refused with a message saying what to give; cacert_file makes it
// work, so does insecure = true; a cacert_file of the wrong CA overrides the
// clouds.yaml entry's cacert and is refused; the entry's cacert works.
func TestAccSiteTLS(t *testing.T) {
	t.Parallel()
	w := newAccWorldWith(t, simulator.Options{SiteTLS: true})
	siteCA := filepath.Join(t.TempDir(), "openstack-ca.pem")
	if err := w.WriteSiteCACert(siteCA); err != nil {
		t.Fatal(err)
	}
	inline := func(tls string) string {
		return fmt.Sprintf(`
provider "protector" {
  sites = {
    "site-a" = {
      auth_url            = %q
      region              = %q
      username            = %q
      password            = %q
      project_name        = %q
      %s
    }
  }
}

resource "protector_site" "a" {
  name = "site-a"
}
`, w.Site(simulator.SiteA).AuthURL(), simulator.Region, simulator.DemoUser, simulator.DemoPassword, simulator.Project, tls)
	}
	fromCloudsYAML := func(site string) string {
		return fmt.Sprintf(`
provider "protector" {
  clouds_yaml = %q
  sites = {
    "site-a" = { %s }
  }
}

resource "protector_site" "a" {
  name = "site-a"
}
`, w.cloudsYAML, site)
	}
	active := []statecheck.StateCheck{
		statecheck.ExpectKnownValue("protector_site.a", tfjsonpath.New("status"), knownvalue.StringExact("active")),
		statecheck.ExpectKnownValue("protector_site.a", tfjsonpath.New("auth_url"), knownvalue.StringExact(w.Site(simulator.SiteA).AuthURL())),
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      inline(""),
				ExpectError: wrapped(`(?s)certificate of https://127\.0\.0\.1:\d+ is not trusted.*cacert_file`),
			},
			{Config: inline(fmt.Sprintf("cacert_file = %q", siteCA)), ConfigStateChecks: active},
			{Config: inline("insecure = true"), ConfigStateChecks: active},
			{
				Config:      fromCloudsYAML(fmt.Sprintf("cacert_file = %q", w.caFile)),
				ExpectError: wrapped(`(?s)certificate of https://127\.0\.0\.1:\d+ is not trusted`),
			},
			{Config: fromCloudsYAML(""), ConfigStateChecks: active},
		},
	})
}

// An insecure site, admin credential or array connection is warned about
// in every plan, naming the argument and what to give instead.
func TestInsecureWarnings(t *testing.T) {
	ctx := context.Background()
	var resp provider.SchemaResponse
	(&protectorProvider{}).Schema(ctx, provider.SchemaRequest{}, &resp)
	sitesType := resp.Schema.Attributes["sites"].GetType().(types.MapType)
	sites, diags := types.MapValue(sitesType.ElemType, map[string]attr.Value{
		"site-a": siteValue(t, map[string]attr.Value{"insecure": types.BoolValue(true)}),
		"site-b": siteValue(t, map[string]attr.Value{"admin": adminValue(t, map[string]attr.Value{"insecure": types.BoolValue(true)})}),
		"site-c": siteValue(t, nil),
	})
	if diags.HasError() {
		t.Fatal(diags)
	}
	m := providerModel{
		CloudsYAML: types.StringNull(), Sites: sites, FlashArrays: types.MapNull(sitesType.ElemType),
		FlashArrayCAFile: types.StringNull(), FlashArrayInsecure: types.BoolValue(true),
		MaxRetries: types.Int64Null(), RequestTimeout: types.StringNull(),
	}
	_, d := m.engineConfig(ctx, "test")
	if d.HasError() {
		t.Fatalf("engineConfig: %v", d)
	}
	var got []string
	for _, w := range d.Warnings() {
		got = append(got, fmt.Sprintf("%v: %s: %s", w.(interface{ Path() path.Path }).Path(), w.Summary(), w.Detail()))
	}
	want := []string{
		`sites["site-a"].insecure: TLS certificates of site site-a not verified: insecure = true`,
		`sites["site-b"].admin.insecure: TLS certificates of site site-b not verified for the admin credential`,
		`flasharray_insecure: TLS certificates of the FlashArrays not verified`,
	}
	if len(got) != len(want) {
		t.Fatalf("warnings %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) || !strings.Contains(got[i], "instead") {
			t.Errorf("warning %d = %q, want it to start with %q and name the fix", i, got[i], want[i])
		}
	}
}
