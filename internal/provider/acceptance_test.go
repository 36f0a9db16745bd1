package provider

// The acceptance harness: the provider served in-process, the simulated
// two-site world a test runs against, the provider block and the shared
// configuration, and the helpers that read what a step left on the sites.
//
// A check of what a refused step left (nothing made, nothing written) runs
// at the start of the next step, in its PreConfig: terraform-plugin-testing
// runs no Check, state check or plan check after an expected error.

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
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// testAccProtoV6ProviderFactories serve the provider in-process to the
// terraform (tofu) binary the acceptance tests drive.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"protector": providerserver.NewProtocol6WithError(New("test")()),
}

// providerWarnings keeps the warnings the provider returns during one
// test, so that the step causing a warning can check it: the test
// framework shows a step's diagnostics to no check. A step after the
// first starts with forget (its PreConfig), so that what it checks is
// its own.
type providerWarnings struct {
	mu   sync.Mutex
	seen []string // "summary: detail"
}

// factories serve the provider in-process, as
// testAccProtoV6ProviderFactories do, keeping its warnings.
func (pw *providerWarnings) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"protector": func() (tfprotov6.ProviderServer, error) {
			s, err := testAccProtoV6ProviderFactories["protector"]()
			return warningRecorder{ProviderServer: s, into: pw}, err
		},
	}
}

func (pw *providerWarnings) record(diags []*tfprotov6.Diagnostic) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityWarning {
			pw.seen = append(pw.seen, d.Summary+": "+d.Detail)
		}
	}
}

// forget drops the warnings kept so far.
func (pw *providerWarnings) forget() {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	pw.seen = nil
}

// expectWarning is a plan check: the provider has warned with a text
// matching pattern (as wrapped reads it). As a PreApply check it sees the
// step's plan; as a PostApplyPreRefresh check, also its apply.
func (pw *providerWarnings) expectWarning(pattern string) plancheck.PlanCheck {
	return warningCheck{pw: pw, want: wrapped(pattern)}
}

type warningCheck struct {
	pw   *providerWarnings
	want *regexp.Regexp
}

func (c warningCheck) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	c.pw.mu.Lock()
	defer c.pw.mu.Unlock()
	for _, w := range c.pw.seen {
		if c.want.MatchString(w) {
			return
		}
	}
	resp.Error = fmt.Errorf("no provider warning matches %q; warnings:\n%s", c.want, strings.Join(c.pw.seen, "\n"))
}

// warningRecorder is the provider server, with the warnings of its
// configuration, plans, applies and reads kept.
type warningRecorder struct {
	tfprotov6.ProviderServer
	into *providerWarnings
}

func (r warningRecorder) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	resp, err := r.ProviderServer.ConfigureProvider(ctx, req)
	if resp != nil {
		r.into.record(resp.Diagnostics)
	}
	return resp, err
}

func (r warningRecorder) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	resp, err := r.ProviderServer.ReadResource(ctx, req)
	if resp != nil {
		r.into.record(resp.Diagnostics)
	}
	return resp, err
}

func (r warningRecorder) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	resp, err := r.ProviderServer.ReadDataSource(ctx, req)
	if resp != nil {
		r.into.record(resp.Diagnostics)
	}
	return resp, err
}

func (r warningRecorder) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	resp, err := r.ProviderServer.PlanResourceChange(ctx, req)
	if resp != nil {
		r.into.record(resp.Diagnostics)
	}
	return resp, err
}

func (r warningRecorder) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	resp, err := r.ProviderServer.ApplyResourceChange(ctx, req)
	if resp != nil {
		r.into.record(resp.Diagnostics)
	}
	return resp, err
}

// TestMain gives OpenTofu an empty CLI configuration when the one named is
// missing. Which engine runs the tests is the environment's to say
// (TF_ACC_TERRAFORM_PATH; make test sets it): the tests know no tool path.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
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

// skipWithoutEngine skips an acceptance test when no engine is named:
// terraform-plugin-testing would otherwise download Terraform.
func skipWithoutEngine(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		t.Skip("TF_ACC_TERRAFORM_PATH is not set: run `make test`, or point it at OpenTofu (tools/install-tools.sh tofu prints the path) or Terraform")
	}
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
	skipWithoutEngine(t)
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

// memberAfterHCL is memberHCL for a member created after another (its own
// change and metadata version, not one batch with it).
func memberAfterHCL(name, instanceID, after string) string {
	return fmt.Sprintf(`
resource "protector_member" %q {
  protection_group_id = protector_protection_group.web.id
  instance_id         = %q
  depends_on          = [protector_member.%s]
}
`, name, instanceID, after)
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
	site.PutObject(simulator.Project, "protector", fmt.Sprintf("groups/%s/v/%010d", groupID, d.Version), sealDocument(t, &d))
}

// sealDocument sets a document's checksum as the engine does (over its
// compact JSON with an empty checksum) and returns its bytes.
func sealDocument(t *testing.T, d *rawDocument) []byte {
	t.Helper()
	d.Checksum = ""
	plain, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(plain)
	d.Checksum = "sha256:" + hex.EncodeToString(sum[:])
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
