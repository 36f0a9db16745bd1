package main

import (
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// clearLogEnv unsets every TF_LOG* variable for the test.
func clearLogEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TF_LOG") || name == "TF_ACC_LOG_PATH" {
			t.Setenv(name, "")
		}
	}
}

func TestSilenceUnreadLogs(t *testing.T) {
	t.Run("no log asked for", func(t *testing.T) {
		clearLogEnv(t)
		silenceUnreadLogs()
		for _, name := range []string{"TF_LOG_SDK", "TF_LOG_PROVIDER"} {
			if got := os.Getenv(name); got != "off" {
				t.Errorf("%s = %q, want off", name, got)
			}
		}
	})
	for _, asked := range []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PATH", "TF_ACC_LOG_PATH"} {
		t.Run(asked+" set", func(t *testing.T) {
			clearLogEnv(t)
			t.Setenv(asked, "TRACE")
			silenceUnreadLogs()
			for _, name := range []string{"TF_LOG_SDK", "TF_LOG_PROVIDER"} {
				if got := os.Getenv(name); got == "off" {
					t.Errorf("with %s set, %s = off: the logs asked for are silenced", asked, name)
				}
			}
		})
	}
}

func TestTuneGC(t *testing.T) {
	// Restore the test binary's own settings afterwards.
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	t.Run("defaults", func(t *testing.T) {
		t.Setenv("GOGC", "")
		t.Setenv("GOMEMLIMIT", "")
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		tuneGC()
		if got := debug.SetGCPercent(100); got != gcPercent {
			t.Errorf("GC percent %d, want %d", got, gcPercent)
		}
		if got := debug.SetMemoryLimit(-1); got != gcMemoryLimit {
			t.Errorf("memory limit %d, want %d", got, gcMemoryLimit)
		}
	})
	t.Run("the user's GOGC and GOMEMLIMIT win", func(t *testing.T) {
		// The runtime read them at start; tuneGC must leave them alone.
		t.Setenv("GOGC", "150")
		t.Setenv("GOMEMLIMIT", "1GiB")
		debug.SetGCPercent(150)
		debug.SetMemoryLimit(1 << 30)
		tuneGC()
		if got := debug.SetGCPercent(100); got != 150 {
			t.Errorf("GC percent %d, want the user's 150", got)
		}
		if got := debug.SetMemoryLimit(-1); got != 1<<30 {
			t.Errorf("memory limit %d, want the user's 1 GiB", got)
		}
	})
}
