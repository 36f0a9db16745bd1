package provider

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// runDestroys reports whether the OpenTofu or Terraform command that
// started this provider destroys: `destroy`, or `plan`/`apply` with
// -destroy.
//
// Before a destroy, both refresh the state by running a whole normal plan
// (OpenTofu's and Terraform's destroyPlan; hashicorp/terraform#33908),
// which asks every resource of the configuration for its plan, those not
// created too, and then throws that plan away. The provider is not told
// which plan it is answering. A create-time check that fails there (a
// policy or member whose creation failed, still in the configuration)
// would fail the destroy of everything else, so a plan made for a destroy
// makes none. The command line of the parent process is the only place
// that says so: where it cannot be read (not Linux, or a provider served
// for a debugger), the checks run as in any plan, and `destroy
// -refresh=false` skips them.
var runDestroys = sync.OnceValue(func() bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", os.Getppid()))
	if err != nil {
		return false
	}
	return commandDestroys(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"))
})

// commandDestroys reads an OpenTofu or Terraform command line (program
// first): global options, the command, its options.
func commandDestroys(argv []string) bool {
	if len(argv) < 2 {
		return false
	}
	args := argv[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		args = args[1:] // -chdir=..., the global options before the command
	}
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "destroy":
		return true
	case "plan", "apply":
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") {
				if f := strings.TrimLeft(a, "-"); f == "destroy" || f == "destroy=true" {
					return true
				}
			}
		}
	}
	return false
}
