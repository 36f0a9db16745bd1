package benchmark

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PeakRSS watches the processes running one executable (the provider:
// OpenTofu starts it several times per command) and keeps the highest
// resident size any of them reached.
type PeakRSS struct {
	exe      string
	interval time.Duration

	mu        sync.Mutex
	peak      int64 // bytes
	processes map[int]bool

	stop chan struct{}
	done chan struct{}
}

// WatchPeakRSS starts polling /proc every interval for processes whose
// executable is exe (an absolute path).
func WatchPeakRSS(exe string, interval time.Duration) *PeakRSS {
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	w := &PeakRSS{exe: exe, interval: interval, processes: map[int]bool{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *PeakRSS) run() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		w.poll()
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
	}
}

func (w *PeakRSS) poll() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		exe, err := os.Readlink(filepath.Join(dir, "exe"))
		if err != nil || strings.TrimSuffix(exe, " (deleted)") != w.exe {
			continue
		}
		status, err := os.ReadFile(filepath.Join(dir, "status"))
		if err != nil {
			continue
		}
		// VmHWM is the process's own peak, so a poll that comes late
		// still sees what happened between polls.
		hwm := statusKB(status, "VmHWM:")
		if rss := statusKB(status, "VmRSS:"); rss > hwm {
			hwm = rss
		}
		w.mu.Lock()
		w.processes[pid] = true
		if hwm*1024 > w.peak {
			w.peak = hwm * 1024
		}
		w.mu.Unlock()
	}
}

// statusKB reads a "Key:   1234 kB" line of /proc/PID/status.
func statusKB(status []byte, key string) int64 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, key) {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, key))
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		return n
	}
	return 0
}

// Stop ends the watch and returns the peak resident size in bytes and how
// many provider processes were seen.
func (w *PeakRSS) Stop() (peak int64, processes int) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak, len(w.processes)
}
