package benchmark

import (
	"bufio"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine is where the figures were taken.
type Machine struct {
	Hostname  string
	CPUModel  string
	CPUs      int
	MemTotal  string // as /proc/meminfo says it
	Kernel    string
	GoVersion string // that built the provider
	Revision  string // VCS revision the provider was built from (+dirty)
	Tofu      string // first line of `tofu version`
	Date      time.Time
}

// DescribeMachine reads /proc and the provider binary's build information.
func DescribeMachine(providerBinary, tofuVersion string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Tofu: tofuVersion, Date: time.Now().UTC()}
	m.Hostname, _ = os.Hostname()
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if bi, err := buildinfo.ReadFile(providerBinary); err == nil {
		m.GoVersion = bi.GoVersion
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && modified == "true" {
			rev += " (with uncommitted changes)"
		}
		m.Revision = rev
	}
	if m.Revision == "" {
		// Built without VCS stamping: ask git about the binary's checkout.
		m.Revision = gitRevision(filepath.Dir(providerBinary))
	}
	if kb, err := strconv.ParseInt(strings.TrimSuffix(m.MemTotal, " kB"), 10, 64); err == nil {
		m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	return m
}

// gitRevision is `git describe --always --dirty` run in dir ("" when git
// cannot say).
func gitRevision(dir string) string {
	out, err := exec.Command("git", "-C", dir, "describe", "--always", "--dirty=-dirty").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if r, ok := strings.CutSuffix(rev, "-dirty"); ok {
		rev = r + " (with uncommitted changes)"
	}
	return rev
}

// procField is the value of the first "key : value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}
