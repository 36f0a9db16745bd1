package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// testAccProtoV6ProviderFactories serve the provider in-process to the
// terraform (tofu) binary the acceptance tests drive.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"protector": providerserver.NewProtocol6WithError(New("test")()),
}

// toolsCache is where tools/install-tools.sh caches the tools it builds
// (the same variables, in the same order).
func toolsCache(rel string) string {
	dir := os.Getenv("PROTECTOR_TOOLS_CACHE")
	if dir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, _ := os.UserHomeDir()
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "terraform-provider-protector")
	}
	return filepath.Join(dir, rel)
}

// tofuCache is where the project's make target builds OpenTofu.
var tofuCache = toolsCache("tofu-1.12.6/tofu")

// TestMain fills in the OpenTofu settings of DESIGN.md "Toolchain facts"
// when TF_ACC is set and they are not, so that `TF_ACC=1 go test` works on
// a machine where the make target built tofu.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if os.Getenv("TF_ACC") != "" && os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		if _, err := os.Stat(tofuCache); err == nil {
			os.Setenv("TF_ACC_TERRAFORM_PATH", tofuCache)
			if os.Getenv("TF_ACC_PROVIDER_NAMESPACE") == "" {
				os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "hashicorp")
			}
			if os.Getenv("TF_ACC_PROVIDER_HOST") == "" {
				os.Setenv("TF_ACC_PROVIDER_HOST", "registry.opentofu.org")
			}
		}
	}
	if rc := os.Getenv("TF_CLI_CONFIG_FILE"); os.Getenv("TF_ACC") != "" && !fileExists(rc) {
		// OpenTofu warns about a missing CLI configuration in its version
		// output, which terraform-plugin-testing then fails to parse.
		if f, err := os.CreateTemp("", "protector-tofurc-*"); err == nil {
			f.Close()
			os.Setenv("TF_CLI_CONFIG_FILE", f.Name())
			defer os.Remove(f.Name())
		}
	}
	return m.Run()
}

func fileExists(path string) bool {
	if path == "" {
		return false
	}
	_, err := os.Stat(path)
	return err == nil
}

// accWorld is the two-site world of one acceptance test, with the files the
// provider block points at.
type accWorld struct {
	// World is nil in the real-OpenStack lane.
	*simulator.World
	t          *testing.T
	cloudsYAML string
	caFile     string

	// Set by newPortableWorld (portable_world_test.go).
	fx     accFixtures
	arrays map[string]*flasharraysim.Array // real lane: the in-process arrays
	views  map[string]siteView             // real lane: the real sites
	lane   *simulator.LaneFixtures         // real lane: fixtures.json

	// arraysAtStart is arrayGroups before the test made anything.
	arraysAtStart string
}

// newAccWorld starts a world for one test (skipping without TF_ACC, so that
// the unit tests of this package need no network).
func newAccWorld(t *testing.T) *accWorld {
	t.Helper()
	return newAccWorldWith(t, simulator.Options{})
}

// newAccWorldWith starts a world with options (an array clock that runs
// behind, say).
func newAccWorldWith(t *testing.T, opts simulator.Options) *accWorld {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (see DESIGN.md, Toolchain facts)")
	}
	if realLane() {
		t.Skip("simulator only: this test injects faults or edits state behind the provider's back, which the real-OpenStack lane cannot (portable tests use newPortableWorld)")
	}
	w, err := simulator.Start(opts)
	if err != nil {
		t.Fatalf("start the simulated world: %v", err)
	}
	t.Cleanup(w.Close)
	// Every request the provider sent the arrays, and every answer, must
	// follow the arrays' OpenAPI spec.
	t.Cleanup(func() {
		if err := w.SpecError(); err != nil {
			t.Error(err)
		}
	})
	dir := t.TempDir()
	aw := &accWorld{World: w, t: t, cloudsYAML: filepath.Join(dir, "clouds.yaml"), caFile: filepath.Join(dir, "flasharray-ca.pem")}
	if err := w.WriteCloudsYAML(aw.cloudsYAML); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteCACert(aw.caFile); err != nil {
		t.Fatal(err)
	}
	return aw
}

// providerOptions vary the provider block between tests.
type providerOptions struct {
	admin       bool // sites.<name>.admin = { cloud = "<name>-admin" }
	arrayTokens bool // flasharrays with both arrays' tokens
	maxRetries  int  // 0: 1 retry, to keep outage tests short
	noSites     bool // no sites map: sites reached through their clouds.yaml entries only (the guide's Step 4)
}

func (w *accWorld) arrayURL(name string) string { return w.Array(name).URL() }

func (w *accWorld) provider(o providerOptions) string {
	site := func(name string) string {
		if o.admin {
			return fmt.Sprintf("    %q = { admin = { cloud = %q } }\n", name, name+"-admin")
		}
		return fmt.Sprintf("    %q = {}\n", name)
	}
	retries := o.maxRetries
	if retries == 0 {
		retries = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "provider \"protector\" {\n  clouds_yaml        = %q\n  flasharray_ca_file = %q\n  max_retries        = %d\n  request_timeout    = \"20s\"\n",
		w.cloudsYAML, w.caFile, retries)
	if !o.noSites {
		b.WriteString("  sites = {\n" + site(simulator.SiteA) + site(simulator.SiteB) + "  }\n")
	}
	if o.arrayTokens {
		fmt.Fprintf(&b, "  flasharrays = {\n    a = { url = %q, api_token = %q }\n    b = { url = %q, api_token = %q }\n  }\n",
			w.arrayURL(simulator.ArrayA), simulator.ArrayAToken, w.arrayURL(simulator.ArrayB), simulator.ArrayBToken)
	}
	b.WriteString("}\n")
	return b.String()
}

// sitesHCL registers both sites.
const sitesHCL = `
resource "protector_site" "a" {
  name = "site-a"
}

resource "protector_site" "b" {
  name = "site-b"
}
`

// groupHCL is the guide's Example 1 with a configurable description,
// replication type and volume type.
func groupHCL(description, replicationType, volumeType string) string {
	return fmt.Sprintf(`
resource "protector_protection_group" "web" {
  name             = "prod-web-app"
  description      = %q
  replication_type = %q
  primary_site     = protector_site.a.name
  secondary_site   = protector_site.b.name
  volume_type      = %q
}
`, description, replicationType, volumeType)
}

func memberHCL(name, instanceID string) string {
	return fmt.Sprintf(`
resource "protector_member" %q {
  protection_group_id = protector_protection_group.web.id
  instance_id         = %q
}
`, name, instanceID)
}

// wrapped matches text that OpenTofu may have wrapped across lines: every
// space of the pattern matches any run of white space. The pattern is a
// regular expression otherwise.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`))
}

// attr reads one attribute of a resource from the state.
func attrOf(s *terraform.State, address, key string) (string, error) {
	rs, ok := s.RootModule().Resources[address]
	if !ok {
		return "", fmt.Errorf("%s is not in the state", address)
	}
	v, ok := rs.Primary.Attributes[key]
	if !ok {
		return "", fmt.Errorf("%s has no attribute %s", address, key)
	}
	return v, nil
}

// capture stores an attribute of the state for later steps.
func capture(address, key string, into *string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		v, err := attrOf(s, address, key)
		*into = v
		return err
	}
}

// objectReader is a site's object store as tests read it: the simulator's
// *openstacksim.Site or a real site (siteView).
type objectReader interface {
	Name() string
	Objects(container, prefix string) []string
	Object(container, name string) ([]byte, bool)
}

// metadataVersions lists the metadata versions of a group kept on a site.
func metadataVersions(site objectReader, groupID string) []string {
	prefix := "groups/" + groupID + "/v/"
	var out []string
	for _, n := range site.Objects("protector", prefix) {
		out = append(out, strings.TrimLeft(strings.TrimPrefix(n, prefix), "0"))
	}
	return out
}

// expectNewestVersion checks that the newest metadata version of a group
// is version on both sites.
func expectNewestVersion(w *accWorld, groupID *string, version int) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, site := range []string{simulator.SiteA, simulator.SiteB} {
			versions := metadataVersions(w.view(site), *groupID)
			if len(versions) == 0 || versions[len(versions)-1] != fmt.Sprint(version) {
				return fmt.Errorf("site %s: metadata versions %v, want newest %d", site, versions, version)
			}
		}
		return nil
	}
}

// latestMetadata returns the newest metadata document of a group on a site.
func latestMetadata(t *testing.T, site objectReader, groupID string) (doc map[string]any) {
	t.Helper()
	names := site.Objects("protector", "groups/"+groupID+"/v/")
	if len(names) == 0 {
		t.Fatalf("site %s has no metadata of group %s", site.Name(), groupID)
	}
	name := names[len(names)-1]
	b, _ := site.Object("protector", name)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("metadata %s on %s: %v", name, site.Name(), err)
	}
	return doc
}

// rawDocument mirrors the field order of the engine's metadata document so
// that a test can write a version the engine accepts (the checksum covers
// the compact JSON of the document with an empty checksum).
type rawDocument struct {
	Format     int             `json:"format_version,omitempty"`
	Version    int             `json:"version"`
	Checksum   string          `json:"checksum"`
	ModifiedAt json.RawMessage `json:"modified_at"`
	ModifiedBy json.RawMessage `json:"modified_by_site"`
	Group      json.RawMessage `json:"group"`
	Members    json.RawMessage `json:"members"`
	Policy     json.RawMessage `json:"policy,omitempty"`
}

// setGroupStatus writes the next metadata version of a group on a site
// with another status, out of band, as a DR operation of another tool would
// (failing_over), or clears it (active).
func setGroupStatus(t *testing.T, site *openstacksim.Site, groupID, status string) {
	t.Helper()
	names := site.Objects("protector", "groups/"+groupID+"/v/")
	if len(names) == 0 {
		t.Fatalf("site %s has no metadata of group %s", site.Name(), groupID)
	}
	b, _ := site.Object("protector", names[len(names)-1])
	var d rawDocument
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var group map[string]json.RawMessage
	if err := json.Unmarshal(d.Group, &group); err != nil {
		t.Fatal(err)
	}
	old := group["status"]
	var compact bytes.Buffer
	if err := json.Compact(&compact, d.Group); err != nil {
		t.Fatal(err)
	}
	newStatus, _ := json.Marshal(status)
	replaced := bytes.Replace(compact.Bytes(), append([]byte(`"status":`), old...), append([]byte(`"status":`), newStatus...), 1)
	if bytes.Equal(replaced, compact.Bytes()) && string(old) != string(newStatus) {
		t.Fatalf("could not find the status in %s", compact.String())
	}
	d.Group = replaced
	d.Version++
	d.Checksum = ""
	plain, err := json.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(plain)
	d.Checksum = "sha256:" + hex.EncodeToString(sum[:])
	out, err := json.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	site.PutObject(simulator.Project, "protector", fmt.Sprintf("groups/%s/v/%010d", groupID, d.Version), out)
}

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

func TestArrayTokenFallsBackToProvider(t *testing.T) {
	d := &providerData{arrayTokens: map[string]string{"https://flasharray-a.example.com": "T-provider"}}
	tests := []struct {
		name string
		url  string
		own  types.String
		want string
	}{
		{"own token wins", "https://flasharray-a.example.com", types.StringValue("T-own"), "T-own"},
		{"provider token by url", "https://FlashArray-A.example.com/", types.StringNull(), "T-provider"},
		{"empty own token falls back", "https://flasharray-a.example.com", types.StringValue(""), "T-provider"},
		{"unknown array", "https://flasharray-z.example.com", types.StringNull(), ""},
	}
	for _, tt := range tests {
		if got := d.arrayToken(tt.url, tt.own); got != tt.want {
			t.Errorf("%s: arrayToken = %q, want %q", tt.name, got, tt.want)
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
	cfg, tokens, d := m.engineConfig(ctx, "1.2.3")
	if d.HasError() {
		t.Fatalf("engineConfig: %v", d)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"clouds.yaml path", cfg.CloudsYAMLPath, "/etc/clouds.yaml"},
		{"site-a defaults to its clouds.yaml entry", cfg.Sites["site-a"].Credentials.Cloud, "site-a"},
		{"site-a has no admin", cfg.Sites["site-a"].Admin == nil, true},
		{"site-b names its entry", cfg.Sites["site-b"].Credentials.Cloud, "dr-cloud"},
		{"site-b admin inherits the entry", cfg.Sites["site-b"].Admin.Cloud, "dr-cloud"},
		{"site-b admin user", cfg.Sites["site-b"].Admin.Username, "admin"},
		{"site-c inline: no cloud", cfg.Sites["site-c"].Credentials.Cloud, ""},
		{"site-c admin keeps its own entry", cfg.Sites["site-c"].Admin.Cloud, "site-c-admin"},
		{"site-c admin does not inherit the auth url", cfg.Sites["site-c"].Admin.AuthURL, ""},
		{"max retries default", cfg.MaxRetries, defaultMaxRetries},
		{"request timeout", cfg.RequestTimeout.String(), "1m30s"},
		{"reachability timeout", cfg.ReachabilityTimeout.String(), "4s"},
		{"CA bundle read", string(cfg.ArrayCACertPEM), "-----BEGIN CERTIFICATE-----\n"},
		{"insecure default", cfg.ArrayInsecure, false},
		{"token by normalized url", tokens["https://flasharray-a.example.com"], "T-a"},
		{"engine token by normalized url", cfg.ArrayTokens["https://flasharray-a.example.com"], "T-a"},
		{"user agent", cfg.UserAgent, "terraform-provider-protector/1.2.3"},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
	masked := strings.Join(secretsOf(cfg, tokens), ",")
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
		cfg, _, diags := m.engineConfig(ctx, "dev")
		if tt.want == "" {
			if diags.HasError() {
				t.Errorf("%s: unexpected error %v", tt.name, diags)
			}
			if cfg.MaxRetries != defaultMaxRetries || cfg.RequestTimeout != defaultRequestTimeout {
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
