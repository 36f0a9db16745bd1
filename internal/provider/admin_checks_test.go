package provider

import (
	"bufio"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// warningsOf returns the warning diagnostics of a `tofu ... -json` run as
// "summary: detail" (one each, unlike the human output, which merges
// warnings that share a summary).
func warningsOf(t *testing.T, r tofuRun) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(r.out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Diagnostic *struct {
				Severity, Summary, Detail string
			} `json:"diagnostic"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Diagnostic != nil && line.Diagnostic.Severity == "warning" {
			out = append(out, line.Diagnostic.Summary+": "+line.Diagnostic.Detail)
		}
	}
	return out
}

// TestAccAdminOnlyChecks_saySkipped: Cinder shows a type's replication_type
// and a volume's backend to admins only. Without an admin credential the
// apply of a group with a member succeeds and says, for each check it could
// not make, that it was skipped and why (site, volume type, the member's
// backend); with sites.<name>.admin configured the same apply makes them
// and warns of none. No admin-only check passes silently. In the real
// lane's admin run the main credential is itself an admin, so there are no
// warnings either way.
func TestAccAdminOnlyChecks_saySkipped(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	ws := newWorkspaces(t, "member", "admin")
	body := sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) + memberHCL("web1", w.fx.WebServer1.ID)
	skipped := []*regexp.Regexp{
		regexp.MustCompile(`^Site check not complete: no admin credential for site site-a: the replication_type of volume types and the backend of volumes cannot be checked \(set sites\.site-a\.admin\)`),
		regexp.MustCompile(`^Site check not complete: no admin credential for site site-b`),
		regexp.MustCompile(`^Protection group check not complete: The replication_type of volume type "replicated-ssd" on site site-a could not be checked: Cinder shows it to admins only`),
		regexp.MustCompile(`^Member check not complete: The storage backend of the volumes of instance ` + regexp.QuoteMeta(w.fx.WebServer1.Name) + ` on site site-a could not be checked: Cinder shows os-vol-host-attr:host to admins only`),
	}
	notComplete := regexp.MustCompile(`check not complete`)

	for i, admin := range []bool{false, true} {
		// One after the other: both would protect the same server.
		wsp := ws[i]
		wsp.write(requiredProviders + w.provider(providerOptions{admin: admin}) + body)
		apply := wsp.run("apply", "-auto-approve", "-json")
		warnings := warningsOf(t, apply)
		destroy := wsp.run("destroy", "-auto-approve", "-no-color")
		if apply.code != 0 {
			t.Fatalf("%s: apply failed (exit %d):\n%s", wsp.name, apply.code, apply.out)
		}
		if destroy.code != 0 {
			t.Fatalf("%s: destroy failed (exit %d):\n%s", wsp.name, destroy.code, destroy.out)
		}
		if admin || realAdminRun() {
			for _, warning := range warnings {
				if notComplete.MatchString(warning) {
					t.Errorf("%s: an admin credential was configured, yet a check was skipped: %s", wsp.name, warning)
				}
			}
			continue
		}
		for _, want := range skipped {
			found := false
			for _, warning := range warnings {
				found = found || want.MatchString(warning)
			}
			if !found {
				t.Errorf("%s: no warning matching %q; warnings:\n%s", wsp.name, want, strings.Join(warnings, "\n"))
			}
		}
	}
}
