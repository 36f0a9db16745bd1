package provider

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
)

// testEngine is the Terraform or OpenTofu binary the acceptance tests
// drive. The version number alone does not say what an engine can do:
// OpenTofu 1.12 is not Terraform 1.12, and `version -json` says
// "terraform_version" for both. The first line of `version` names the
// product: "OpenTofu v1.12.6" or "Terraform v1.8.5".
type testEngine struct {
	product      string // "OpenTofu" or "Terraform"
	major, minor int
	raw          string // the version as printed, e.g. "1.12.6-dev"
}

var engineVersionLine = regexp.MustCompile(`(?m)^(OpenTofu|Terraform) v(\d+)\.(\d+)\.(\S+)`)

// parseEngineVersion reads the output of `<engine> version`.
func parseEngineVersion(out string) (testEngine, error) {
	m := engineVersionLine.FindStringSubmatch(out)
	if m == nil {
		return testEngine{}, fmt.Errorf("no \"OpenTofu vX.Y.Z\" or \"Terraform vX.Y.Z\" line in %q", out)
	}
	major, _ := strconv.Atoi(m[2])
	minor, _ := strconv.Atoi(m[3])
	return testEngine{product: m[1], major: major, minor: minor, raw: m[2] + "." + m[3] + "." + m[4]}, nil
}

func (e testEngine) atLeast(major, minor int) bool {
	return e.major > major || (e.major == major && e.minor >= minor)
}

// writeOnlyArguments reports whether the engine accepts write-only
// arguments: Terraform since 1.11, OpenTofu since 1.11.
func (e testEngine) writeOnlyArguments() bool {
	switch e.product {
	case "Terraform", "OpenTofu":
		return e.atLeast(1, 11)
	}
	return false
}

func (e testEngine) String() string { return e.product + " " + e.raw }

var (
	engineOnce sync.Once
	engineInfo testEngine
	engineErr  error
)

// currentEngine runs TF_ACC_TERRAFORM_PATH version once per test binary.
func currentEngine(t *testing.T) testEngine {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		// Without TF_ACC no engine runs: the test is an acceptance test.
		t.Skip("acceptance test: set TF_ACC=1 (see DESIGN.md, Toolchain facts)")
	}
	engineOnce.Do(func() {
		bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
		if bin == "" {
			engineErr = fmt.Errorf("TF_ACC_TERRAFORM_PATH is not set")
			return
		}
		// stdout only: a missing CLI configuration is warned about on stderr.
		out, err := exec.Command(bin, "version").Output()
		if err != nil {
			engineErr = fmt.Errorf("%s version: %v", bin, err)
			return
		}
		engineInfo, engineErr = parseEngineVersion(string(out))
	})
	if engineErr != nil {
		t.Fatalf("which engine runs the acceptance tests: %v", engineErr)
	}
	return engineInfo
}

// skipWithoutWriteOnly skips a test of write-only arguments on an engine
// that has none (Terraform 1.8, OpenTofu 1.10).
func skipWithoutWriteOnly(t *testing.T) {
	t.Helper()
	if e := currentEngine(t); !e.writeOnlyArguments() {
		t.Skipf("%s has no write-only arguments (OpenTofu or Terraform 1.11 and later)", e)
	}
}

func TestParseEngineVersion(t *testing.T) {
	tests := []struct {
		out       string
		want      string
		writeOnly bool
	}{
		{"OpenTofu v1.12.6-dev\non linux_amd64\n", "OpenTofu 1.12.6-dev", true},
		{"OpenTofu v1.10.7\non linux_amd64\n", "OpenTofu 1.10.7", false},
		{"OpenTofu v1.11.0\non linux_amd64\n", "OpenTofu 1.11.0", true},
		{"Terraform v1.8.5-dev\non linux_amd64\n", "Terraform 1.8.5-dev", false},
		{"Terraform v1.11.4\non darwin_arm64\n", "Terraform 1.11.4", true},
		{"Terraform v1.9.8\non linux_amd64\n\nYour version of Terraform is out of date!", "Terraform 1.9.8", false},
		{"Terraform v2.0.0\n", "Terraform 2.0.0", true},
	}
	for _, tt := range tests {
		e, err := parseEngineVersion(tt.out)
		if err != nil {
			t.Errorf("%q: %v", tt.out, err)
			continue
		}
		if e.String() != tt.want || e.writeOnlyArguments() != tt.writeOnly {
			t.Errorf("%q: %s, write-only %v; want %s, %v", tt.out, e, e.writeOnlyArguments(), tt.want, tt.writeOnly)
		}
	}
	// `version -json` names both "terraform_version": not enough to tell.
	if _, err := parseEngineVersion(`{"terraform_version": "1.12.6-dev", "platform": "linux_amd64"}`); err == nil {
		t.Error("the JSON version output was taken for a product name")
	}
}

// TestAccEngineIsDistinguished runs the real binary: its product is
// recognised and matches the binary's path when the path names it (the
// project's cache keeps tofu-<v>/tofu and terraform-<v>/terraform).
func TestAccEngineIsDistinguished(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	e := currentEngine(t)
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	switch {
	case regexp.MustCompile(`/tofu(-[^/]*)?/tofu$`).MatchString(bin) && e.product != "OpenTofu":
		t.Errorf("%s reports %s", bin, e)
	case regexp.MustCompile(`/terraform(-[^/]*)?/terraform$`).MatchString(bin) && e.product != "Terraform":
		t.Errorf("%s reports %s", bin, e)
	}
	t.Logf("acceptance tests run on %s (write-only arguments: %v)", e, e.writeOnlyArguments())
}
