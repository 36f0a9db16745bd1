// Command protector-bench measures the provider with real OpenTofu against
// the two-site simulator, run in this process so that every request each
// site and array sees can be counted per OpenTofu command.
//
// For each scenario GxM (G protection groups of M members) it starts a
// fresh simulated world with a per-request latency on both sites and both
// arrays, writes a configuration, and times `tofu apply`, a no-change
// `tofu plan -detailed-exitcode` and `tofu destroy`, counting the requests
// by server and endpoint and watching the provider's peak memory; then the
// same three commands on the same graph of terraform_data resources, which
// is OpenTofu's own cost, and on the same graph of terraform-provider-benchnull
// resources (cmd/terraform-provider-benchnull), which is what the plugin
// protocol and terraform-plugin-framework cost any provider with no API. It
// builds nothing: tools/bench.sh builds both providers into -provider-dir
// and passes it and -tofu.
//
//	protector-bench -provider-dir build/bin -tofu $(tools/install-tools.sh tofu) \
//	    -scenarios 1x1,1x10,1x100,10x50,1x100@real -latency 20ms -out tools/bench-results.md
//
// A scenario GxM@real runs at a real cloud's Cinder and Nova transition
// times (benchmark.RealTransitions: a group update 2 s, a volume attach
// 1 s); the others at the simulator's, or at -group-create, -group-update,
// -group-delete and -volume-attach.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/benchmark"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

const (
	providerBinary = "terraform-provider-protector"
	// pluginBinary serves the plugin baseline (benchmark.PluginProvider).
	pluginBinary = "terraform-provider-benchnull"
)

type options struct {
	providerDir string
	tofu        string
	scenarios   []benchmark.Scenario
	latency     time.Duration
	asyncDelay  time.Duration
	transitions openstacksim.Transitions // of TimingSim scenarios
	parallelism int
	policy      bool
	drill       bool
	baseline    bool
	timeout     time.Duration
	keep        bool
	top         int
	minPerMem   float64
	out         string
}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("protector-bench: ")
	var o options
	var scenarios string
	flag.StringVar(&o.providerDir, "provider-dir", "", "directory holding the built "+providerBinary+" and "+pluginBinary+" (required)")
	flag.StringVar(&o.tofu, "tofu", "", "path of the OpenTofu binary (required)")
	flag.StringVar(&scenarios, "scenarios", "1x1,1x10,1x50,1x100,10x50,1x10@real,1x50@real,1x100@real", "comma-separated GROUPSxMEMBERS scenarios; GxM@real runs at a real cloud's transition times")
	flag.DurationVar(&o.latency, "latency", 20*time.Millisecond, "latency added to every request of both sites and both arrays")
	flag.DurationVar(&o.asyncDelay, "async-delay", 0, "duration of simulated Cinder group transitions (0: simulator default, 50ms)")
	flag.DurationVar(&o.transitions.GroupCreate, "group-create", 0, "a Cinder group's creating -> available (0: -async-delay); GxM@real scenarios take 2s")
	flag.DurationVar(&o.transitions.GroupUpdate, "group-update", 0, "a Cinder group update's updating -> available (0: -async-delay); GxM@real scenarios take 2s")
	flag.DurationVar(&o.transitions.GroupDelete, "group-delete", 0, "a Cinder group's deleting -> gone (0: -async-delay); GxM@real scenarios take 2s")
	flag.DurationVar(&o.transitions.VolumeAttach, "volume-attach", 0, "a Nova volume attach's attaching -> in-use (0: -async-delay); GxM@real scenarios take 1s")
	flag.DurationVar(&o.transitions.VolumeManage, "volume-manage", 0, "a Cinder manage-existing's managing -> available, in drills (0: -async-delay); GxM@real scenarios take 3s")
	flag.DurationVar(&o.transitions.ServerBuild, "server-build", 0, "a Nova server's BUILD -> ACTIVE, in drills (0: -async-delay); GxM@real scenarios take 20s")
	flag.BoolVar(&o.drill, "drill", true, "after the plan, run a DR drill of every group (protector_dr_drill, replicate_now) from a root module of its own, then destroy it")
	flag.IntVar(&o.parallelism, "parallelism", 0, "OpenTofu -parallelism (0: its default, 10)")
	flag.BoolVar(&o.policy, "policy", true, "give every group a replication policy (members depend on it)")
	flag.BoolVar(&o.baseline, "baseline", true, "also time the terraform_data and the plugin ("+pluginBinary+") baselines")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "limit of one OpenTofu command")
	flag.BoolVar(&o.keep, "keep", false, "keep each scenario's work directory (always kept when a step fails)")
	flag.IntVar(&o.top, "top", 12, "endpoints listed per operation in the report (the plan's are all listed)")
	flag.Float64Var(&o.minPerMem, "min-requests-per-member", 1, "round trips a member's refresh cannot avoid (unit of the goal's floor)")
	flag.StringVar(&o.out, "out", "", "markdown report to write (default: none)")
	flag.Parse()

	if o.providerDir == "" || o.tofu == "" {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if o.scenarios, err = benchmark.ParseScenarios(scenarios); err != nil {
		log.Fatal(err)
	}
	if o.providerDir, err = filepath.Abs(o.providerDir); err != nil {
		log.Fatal(err)
	}
	exe := filepath.Join(o.providerDir, providerBinary)
	if _, err := os.Stat(exe); err != nil {
		log.Fatalf("no provider binary: %v", err)
	}
	if o.baseline {
		if _, err := os.Stat(filepath.Join(o.providerDir, pluginBinary)); err != nil {
			log.Fatalf("no plugin baseline binary (tools/bench.sh builds it; -baseline=false goes without): %v", err)
		}
	}
	tofuVersion, err := tofuVersionOf(o.tofu)
	if err != nil {
		log.Fatal(err)
	}

	rep := &benchmark.Report{
		Machine:     benchmark.DescribeMachine(exe, tofuVersion),
		Latency:     o.latency,
		Parallelism: o.parallelism,
		Policy:      o.policy,
		AsyncDelay:  o.asyncDelay,
		Transitions: o.transitions,

		MinRequestsPerMember: o.minPerMem,
	}
	failed := false
	for _, sc := range o.scenarios {
		log.Printf("scenario %s (%d members, latency %s)", sc, sc.TotalMembers(), o.latency)
		r := runScenario(o, exe, sc)
		if r.Err != "" {
			failed = true
			log.Printf("scenario %s: %s", sc, r.Err)
		}
		rep.Results = append(rep.Results, r)
		// Written after every scenario, so a long run that is stopped
		// still leaves what it measured.
		if o.out != "" {
			if err := writeReport(o.out, rep, o.top); err != nil {
				log.Fatal(err)
			}
		}
	}
	fmt.Println()
	rep.WriteSummary(os.Stdout)
	if o.out != "" {
		fmt.Printf("\nreport: %s\n", o.out)
	}
	if failed {
		os.Exit(1)
	}
}

// tofuVersionOf is the "OpenTofu vX.Y.Z" line of `tofu version` (run with
// no CLI configuration, whose warnings would come first).
func tofuVersionOf(tofu string) (string, error) {
	cmd := exec.Command(tofu, "version")
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=", "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", tofu, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "OpenTofu v") {
			return strings.TrimSpace(line), nil
		}
	}
	return strings.TrimSpace(string(out)), nil
}

func writeReport(path string, rep *benchmark.Report, top int) error {
	var b bytes.Buffer
	rep.WriteMarkdown(&b, top)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// runScenario measures one scenario in a fresh world and work directory.
func runScenario(o options, exe string, sc benchmark.Scenario) (r benchmark.Result) {
	transitions := o.transitions
	if sc.Timing == benchmark.TimingReal {
		transitions = benchmark.RealTransitions
	}
	r = benchmark.Result{Scenario: sc, Resources: benchmark.ResourceCount(sc, o.policy),
		Transitions: benchmark.Effective(transitions, o.asyncDelay)}
	work, err := os.MkdirTemp("", "protector-bench-"+sc.String()+"-")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer func() {
		if r.Err != "" || o.keep {
			log.Printf("scenario %s: work directory kept: %s", sc, work)
			return
		}
		_ = os.RemoveAll(work)
	}()

	w, err := simulator.Start(simulator.Options{AsyncDelay: o.asyncDelay, Transitions: transitions})
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer w.Close()
	ids := w.AddServers(sc.TotalMembers())
	w.SetLatency(o.latency)
	injectors := map[string]*fault.Injector{
		simulator.SiteA:  w.Site(simulator.SiteA).Faults(),
		simulator.SiteB:  w.Site(simulator.SiteB).Faults(),
		simulator.ArrayA: w.Array(simulator.ArrayA).Faults(),
		simulator.ArrayB: w.Array(simulator.ArrayB).Faults(),
	}

	world := benchmark.World{
		CloudsYAML:  filepath.Join(work, "clouds.yaml"),
		CAFile:      filepath.Join(work, "flasharray-ca.pem"),
		ArrayAURL:   w.Array(simulator.ArrayA).URL(),
		ArrayBURL:   w.Array(simulator.ArrayB).URL(),
		ArrayAToken: simulator.ArrayAToken,
		ArrayBToken: simulator.ArrayBToken,
		InstanceIDs: ids,
	}
	cfg, err := benchmark.ProtectorConfig(sc, world, o.policy)
	if err == nil {
		err = w.WriteCloudsYAML(world.CloudsYAML)
	}
	if err == nil {
		err = w.WriteCACert(world.CAFile)
	}
	if err == nil {
		err = writeFile(filepath.Join(work, "protector", "main.tf"), cfg)
	}
	if err == nil {
		var base string
		if base, err = benchmark.BaselineConfig(sc, ids, o.policy); err == nil {
			err = writeFile(filepath.Join(work, "baseline", "main.tf"), base)
		}
	}
	if err == nil {
		var plugin string
		if plugin, err = benchmark.PluginConfig(sc, ids, o.policy); err == nil {
			err = writeFile(filepath.Join(work, "plugin", "main.tf"), plugin)
		}
	}
	cli := filepath.Join(work, "cli.tfrc")
	if err == nil {
		err = writeFile(cli, fmt.Sprintf(`provider_installation {
  dev_overrides {
    "protector-dr/protector" = %q
    %q = %q
  }
  direct {}
}
`, o.providerDir, benchmark.PluginProvider, o.providerDir))
	}
	if err != nil {
		r.Err = err.Error()
		return r
	}
	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+cli, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_LOG=")

	tf := func(dir, name string, args ...string) (time.Duration, int, error) {
		full := []string{"-chdir=" + filepath.Join(work, dir), args[0], "-no-color"}
		if args[0] != "validate" {
			full = append(full, "-input=false")
		}
		full = append(full, args[1:]...)
		if o.parallelism > 0 && args[0] != "validate" {
			full = append(full, fmt.Sprintf("-parallelism=%d", o.parallelism))
		}
		ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
		defer cancel()
		logFile, err := os.Create(filepath.Join(work, dir+"-"+name+".log"))
		if err != nil {
			return 0, -1, err
		}
		defer logFile.Close()
		var tail tailBuffer
		cmd := exec.CommandContext(ctx, o.tofu, full...)
		cmd.Env = env
		cmd.Stdout = io.MultiWriter(logFile, &tail)
		cmd.Stderr = cmd.Stdout
		start := time.Now()
		err = cmd.Run()
		wall := time.Since(start)
		code := cmd.ProcessState.ExitCode()
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %s", o.timeout)
		}
		if err != nil {
			err = fmt.Errorf("tofu %s: %w; last output: %s", strings.Join(args, " "), err, tail.String())
		}
		return wall, code, err
	}

	opIn := func(dir, name string, args ...string) benchmark.Op {
		for _, inj := range injectors {
			inj.ResetRequests()
		}
		watch := benchmark.WatchPeakRSS(exe, 20*time.Millisecond)
		wall, code, err := tf(dir, name, args...)
		res := benchmark.Op{Name: name, Wall: wall, ExitCode: code}
		res.PeakRSS, res.Processes = watch.Stop()
		byServer := map[string][]fault.Request{}
		for s, inj := range injectors {
			byServer[s] = inj.Requests()
		}
		res.Requests = benchmark.TallyRequests(byServer, o.latency)
		res.Sequence = benchmark.SequenceOf(byServer)
		if err := writeRequestLog(filepath.Join(work, "protector-"+name+"-requests.tsv"), byServer); err != nil {
			log.Printf("scenario %s: %v", sc, err)
		}
		if name == "plan" && code == 2 {
			err = errors.New("the plan after apply has changes (exit code 2): refresh found drift or the provider plans an update")
		}
		if err != nil {
			res.Err = err.Error()
		}
		log.Printf("scenario %s: %-7s %7.2fs exit %d, %d requests (at most %d in flight), peak RSS %d MiB", sc, name, wall.Seconds(), code,
			res.Requests.Total(), res.Requests.PeakInFlight, res.PeakRSS>>20)
		return res
	}
	op := func(name string, args ...string) benchmark.Op { return opIn("protector", name, args...) }

	// What starting the provider costs OpenTofu (schema, validation; no
	// request is made): part of every command's overhead that the
	// terraform_data baseline, built into OpenTofu, does not have.
	if d, _, err := tf("protector", "validate", "validate"); err == nil {
		r.ProviderStart = d
	}

	apply := op("apply", "apply", "-auto-approve")
	r.Ops = append(r.Ops, apply)
	if apply.Err == "" {
		r.Ops = append(r.Ops, op("plan", "plan", "-detailed-exitcode"))
	}
	if apply.Err == "" && o.drill {
		r.Ops = append(r.Ops, runDrill(w, world, work, sc, opIn, &r)...)
	}
	// Destroy whatever the apply made, even when it failed half-way.
	r.Ops = append(r.Ops, op("destroy", "destroy", "-auto-approve"))
	var errs []string
	for _, op := range r.Ops {
		if op.Err != "" {
			errs = append(errs, op.Name+": "+firstLine(op.Err))
		}
	}

	// baseline times the three commands in dir; a failed one ends it
	// (-detailed-exitcode fails a plan with changes too).
	baseline := func(dir, what string, b *benchmark.Baseline) {
		var err error
		var steps = []struct {
			d    *time.Duration
			name string
			args []string
		}{
			{&b.Apply, "apply", []string{"apply", "-auto-approve"}},
			{&b.Plan, "plan", []string{"plan", "-detailed-exitcode"}},
			{&b.Destroy, "destroy", []string{"destroy", "-auto-approve"}},
		}
		for _, s := range steps {
			*s.d, _, err = tf(dir, s.name, s.args...)
			if err != nil {
				*s.d = 0 // not a measure of the graph: kept out of the floors
				b.Err = err.Error()
				errs = append(errs, what+" baseline "+s.name+": "+firstLine(err.Error()))
				break
			}
		}
		log.Printf("scenario %s: %s baseline apply %.2fs, plan %.2fs, destroy %.2fs", sc, what,
			b.Apply.Seconds(), b.Plan.Seconds(), b.Destroy.Seconds())
	}
	if o.baseline {
		baseline("baseline", "terraform_data", &r.Baseline)
		baseline("plugin", "plugin", &r.Plugin)
	}
	r.Err = strings.Join(errs, "; ")
	return r
}

// runDrill drills every group of the scenario from a root module of its
// own and destroys the drill: ops "drill" (the drill's apply; its members'
// longest recovery time into r.DrillRecovery) and "drill-destroy". Site-b's
// project is sized for the drill beside what a failover would need there
// (Nova's and Cinder's default quotas hold 10 instances and volumes).
func runDrill(w *simulator.World, world benchmark.World, work string, sc benchmark.Scenario,
	opIn func(dir, name string, args ...string) benchmark.Op, r *benchmark.Result) []benchmark.Op {
	n := sc.TotalMembers()
	siteB := w.Site(simulator.SiteB)
	for k, v := range map[string]int{"instances": 3 * n, "cores": 3 * n, "ram": 3 * n * 2048} {
		siteB.SetComputeQuota(k, v)
	}
	for k, v := range map[string]int{"volumes": 6 * n, "gigabytes": 6 * n * 100} {
		siteB.SetCinderQuota(k, v)
	}
	var ids []string
	err := stateOutput(filepath.Join(work, "protector"), "group_ids", &ids)
	if err == nil {
		err = writeFile(filepath.Join(work, "drill", "main.tf"), benchmark.DrillConfig(world))
	}
	if err == nil {
		var vars []byte
		if vars, err = json.Marshal(map[string]any{"group_ids": ids}); err == nil {
			err = writeFile(filepath.Join(work, "drill", "terraform.tfvars.json"), string(vars))
		}
	}
	if err != nil {
		return []benchmark.Op{{Name: "drill", Err: err.Error()}}
	}
	drill := opIn("drill", "drill", "apply", "-auto-approve")
	if drill.Err == "" {
		var secs []float64
		if err := stateOutput(filepath.Join(work, "drill"), "recovery_seconds", &secs); err != nil {
			drill.Err = err.Error()
		}
		for _, s := range secs {
			r.DrillRecovery = max(r.DrillRecovery, time.Duration(s*float64(time.Second)))
		}
	}
	return []benchmark.Op{drill, opIn("drill", "drill-destroy", "destroy", "-auto-approve")}
}

// stateOutput reads output name of the state OpenTofu left in dir.
func stateOutput(dir, name string, into any) error {
	b, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		return err
	}
	var st struct {
		Outputs map[string]struct {
			Value json.RawMessage `json:"value"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("state in %s: %w", dir, err)
	}
	out, ok := st.Outputs[name]
	if !ok {
		return fmt.Errorf("state in %s has no output %s", dir, name)
	}
	return json.Unmarshal(out.Value, into)
}

// writeRequestLog writes every request of an operation, in arrival order,
// as "ms since the first<TAB>server<TAB>method<TAB>path?query" (kept with
// the work directory under -keep: the timeline shows what waits on what).
func writeRequestLog(path string, byServer map[string][]fault.Request) error {
	type line struct {
		server string
		r      fault.Request
	}
	var all []line
	for s, reqs := range byServer {
		for _, r := range reqs {
			all = append(all, line{s, r})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].r.Time.Before(all[j].r.Time) })
	var b strings.Builder
	for _, l := range all {
		q := ""
		if l.r.Query != "" {
			q = "?" + l.r.Query
		}
		fmt.Fprintf(&b, "%.1f\t%s\t%s\t%s%s\n", float64(l.r.Time.Sub(all[0].r.Time).Microseconds())/1000, l.server, l.r.Method, l.r.Path, q)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

func firstLine(s string) string {
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// tailBuffer keeps the last few KiB written to it (an error's context).
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	s := strings.TrimSpace(string(t.b))
	if i := strings.LastIndex(s, "Error:"); i >= 0 {
		s = s[i:]
	}
	return s
}
