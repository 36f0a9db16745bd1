package main

import (
	"os"
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
