package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// workspace is one OpenTofu working directory with its own state, running
// the provider binary through dev_overrides, as a second team's pipeline
// would.
type workspace struct {
	t    *testing.T
	name string
	dir  string
	env  []string
	tofu string
}

// tofuRun is the outcome of one OpenTofu command.
type tofuRun struct {
	out  string
	code int
}

func (ws *workspace) write(config string) {
	ws.t.Helper()
	if err := os.WriteFile(filepath.Join(ws.dir, "main.tf"), []byte(config), 0o600); err != nil {
		ws.t.Fatal(err)
	}
}

func (ws *workspace) run(args ...string) tofuRun {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ws.tofu, args...)
	cmd.Dir = ws.dir
	cmd.Env = ws.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return tofuRun{out: out.String()}
	case errors.As(err, &exit):
		return tofuRun{out: out.String(), code: exit.ExitCode()}
	default:
		ws.t.Fatalf("%s: tofu %s: %v\n%s", ws.name, strings.Join(args, " "), err, out.String())
		return tofuRun{}
	}
}

// mustApply applies and fails the test on an error.
func (ws *workspace) mustApply() {
	ws.t.Helper()
	if r := ws.run("apply", "-auto-approve", "-no-color"); r.code != 0 {
		ws.t.Fatalf("%s: apply failed (exit %d):\n%s", ws.name, r.code, r.out)
	}
}

// expectNoChanges runs plan -detailed-exitcode: 0 means no changes.
func (ws *workspace) expectNoChanges() {
	ws.t.Helper()
	if r := ws.run("plan", "-detailed-exitcode", "-no-color"); r.code != 0 {
		ws.t.Errorf("%s: the next plan is not empty (exit %d):\n%s", ws.name, r.code, r.out)
	}
}

// newWorkspaces builds the provider once and returns working directories
// whose OpenTofu runs it (dev_overrides, so no init and no registry).
func newWorkspaces(t *testing.T, names ...string) []*workspace {
	t.Helper()
	tofu := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tofu == "" {
		t.Skip("needs TF_ACC_TERRAFORM_PATH (OpenTofu) to run two real applies")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "terraform-provider-protector"), "github.com/protector-dr/terraform-provider-protector")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the provider: %v\n%s", err, out)
	}
	rc := filepath.Join(bin, "tofurc")
	overrides := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"protector-dr/protector\" = %q\n  }\n  direct {}\n}\n", bin)
	if err := os.WriteFile(rc, []byte(overrides), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") {
			env = append(env, kv)
		}
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	var out []*workspace
	for _, name := range names {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		out = append(out, &workspace{t: t, name: name, dir: dir, env: env, tofu: tofu})
	}
	return out
}

const requiredProviders = `
terraform {
  required_providers {
    protector = { source = "protector-dr/protector" }
  }
}
`

// barrier holds the first n arrivals until all n have arrived (or a
// deadline passes, so that a broken test fails instead of hanging).
type barrier struct {
	mu      sync.Mutex
	arrived int
	n       int
	all     chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) arrive() {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-time.After(60 * time.Second):
	}
}

func (b *barrier) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.arrived
}

// TestAccConcurrentApplies: two workspaces with separate state change the
// same group at once: "platform" changes its description, "app" adds a
// member. Both read metadata version 1 and both write version 2 (the writes
// are held until both have arrived, so the overlap is certain). The
// metadata's compare-and-swap lets exactly one win; the other fails with a
// conflict naming the group and the version and saying to apply again, and
// loses nothing: after its re-apply the metadata holds both changes, and the
// next plan of both workspaces is empty.
func TestAccConcurrentApplies(t *testing.T) {
	w := newAccWorld(t)
	wss := newWorkspaces(t, "platform", "app")
	platform, app := wss[0], wss[1]
	provider := requiredProviders + w.provider(providerOptions{})

	platformConfig := func(description string) string {
		return provider + sitesHCL + groupHCL(description, "async", simulator.TypeReplicatedSSD) +
			"\noutput \"group_id\" {\n  value = protector_protection_group.web.id\n}\n"
	}
	platform.write(platformConfig("first"))
	platform.mustApply()
	r := platform.run("output", "-raw", "group_id")
	groupID := strings.TrimSpace(r.out)
	if r.code != 0 || !strings.HasPrefix(groupID, "pg-") {
		t.Fatalf("group id output: %q (exit %d)", r.out, r.code)
	}
	app.write(provider + fmt.Sprintf(`
resource "protector_member" "web1" {
  protection_group_id = %q
  instance_id         = %q
}
`, groupID, simulator.WebServer1ID))
	platform.write(platformConfig("second"))

	// Both version-2 writes on site-a wait for each other.
	writes := newBarrier(2)
	siteA := w.Site(simulator.SiteA).Faults()
	siteA.Add(fault.Rule{Method: http.MethodPut, PathContains: "/protector/groups/" + groupID + "/v/", Times: 2, Do: writes.arrive})

	var wg sync.WaitGroup
	results := map[string]tofuRun{}
	var mu sync.Mutex
	for _, ws := range wss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ws.run("apply", "-auto-approve", "-no-color")
			mu.Lock()
			results[ws.name] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n := writes.count(); n != 2 {
		t.Fatalf("%d metadata writes reached site-a, want 2 (one per workspace)\nplatform:\n%s\napp:\n%s", n, results["platform"].out, results["app"].out)
	}

	var winner, loser *workspace
	switch {
	case results["platform"].code == 0 && results["app"].code != 0:
		winner, loser = platform, app
	case results["app"].code == 0 && results["platform"].code != 0:
		winner, loser = app, platform
	default:
		t.Fatalf("want exactly one apply to fail; platform exit %d:\n%s\napp exit %d:\n%s",
			results["platform"].code, results["platform"].out, results["app"].code, results["app"].out)
	}
	t.Logf("%s won, %s lost with:\n%s", winner.name, loser.name, results[loser.name].out)
	lost := results[loser.name].out
	if !wrapped(`metadata version conflict \(site site-a\)[\s\S]*metadata version 2 of protection group prod-web-app was written by someone else first[\s\S]*apply again`).MatchString(lost) {
		t.Errorf("%s: the error does not name the conflict, the group and the version and say what to do:\n%s", loser.name, lost)
	}

	// The winner's change is version 2, on both sites.
	doc := latestMetadata(t, w.Site(simulator.SiteA), groupID)
	if v := doc["version"]; fmt.Sprint(v) != "2" {
		t.Errorf("newest version on site-a is %v after the race, want 2", v)
	}
	members, _ := doc["members"].([]any)
	description := doc["group"].(map[string]any)["description"]
	if winner == platform && (description != "second" || len(members) != 0) {
		t.Errorf("platform won, but version 2 has description %v and %d members", description, len(members))
	}
	if winner == app && (description != "first" || len(members) != 1) {
		t.Errorf("app won, but version 2 has description %v and %d members", description, len(members))
	}

	// The loser applies again: nothing of either change is lost.
	loser.mustApply()
	doc = latestMetadata(t, w.Site(simulator.SiteA), groupID)
	members, _ = doc["members"].([]any)
	if v, d := fmt.Sprint(doc["version"]), doc["group"].(map[string]any)["description"]; v != "3" || d != "second" || len(members) != 1 {
		t.Errorf("after the re-apply: version %s, description %v, %d members; want 3, second, 1", v, d, len(members))
	}
	if a, b := metadataVersions(w.Site(simulator.SiteA), groupID), metadataVersions(w.Site(simulator.SiteB), groupID); strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("site-a has versions %v and site-b %v", a, b)
	}
	cg, _ := w.Site(simulator.SiteA).Group(doc["group"].(map[string]any)["primary_consistency_group_id"].(string))
	if len(cg.VolumeIDs) != 2 {
		t.Errorf("the consistency group holds %d volumes, want web-server-1's 2", len(cg.VolumeIDs))
	}
	platform.expectNoChanges()
	app.expectNoChanges()

	// Leave nothing behind: the member first, then the group and sites.
	app.run("destroy", "-auto-approve", "-no-color")
	platform.run("destroy", "-auto-approve", "-no-color")
}
