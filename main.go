package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/protector-dr/terraform-provider-protector/internal/provider"
)

// version is set by goreleaser.
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	// PROTECTOR_CPUPROFILE=PREFIX writes a CPU profile of each provider
	// process to PREFIX.<pid> (OpenTofu starts several per command), for
	// finding where a benchmark's time goes.
	if prefix := os.Getenv("PROTECTOR_CPUPROFILE"); prefix != "" {
		f, err := os.Create(fmt.Sprintf("%s.%d", prefix, os.Getpid()))
		if err != nil {
			log.Fatal(err.Error())
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err.Error())
		}
		defer pprof.StopCPUProfile()
	}

	if !debug {
		silenceUnreadLogs()
	}
	tuneGC()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/protector-dr/protector",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// silenceUnreadLogs turns the SDK's and the provider's logging off when no
// TF_LOG* variable asks for logs. The plugin libraries log at TRACE unless
// told otherwise, and OpenTofu or Terraform (which pass their environment to
// the provider) then parse every line only to drop it: a third of the
// provider's CPU in a 100-member plan, as profiled with PROTECTOR_CPUPROFILE.
func silenceUnreadLogs() {
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if value != "" && (strings.HasPrefix(name, "TF_LOG") || name == "TF_ACC_LOG_PATH") {
			return
		}
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_PROVIDER"} {
		if err := os.Setenv(name, "off"); err != nil {
			log.Fatal(err.Error())
		}
	}
}

// The garbage collector's settings unless GOGC or GOMEMLIMIT say otherwise.
const (
	gcPercent     = 400
	gcMemoryLimit = 512 << 20
)

// tuneGC lets the heap grow to five times what is live before a collection
// (Go's default is twice). A provider process lives for one command and its
// heap starts at a few MiB, so the default collects dozens of times while
// a plan decodes each resource's state. Measured on a 100-member plan (20
// ms latency, median of 8), 400 took the plan's CPU, OpenTofu's and the
// provider's, from 1.61 s to 1.33 s and its wall time from 1.14 s to 1.00 s;
// tools/bench-results.md has the peak memory it costs. The soft limit
// makes a large run collect more often rather than grow past 512 MiB.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
}
