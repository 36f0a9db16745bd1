package benchmark

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// Servers are the four simulated servers, in report order.
var Servers = []string{"site-a", "site-b", "flasharray-a", "flasharray-b"}

// Op is one OpenTofu command of a scenario.
type Op struct {
	Name      string // apply, plan, destroy
	Wall      time.Duration
	ExitCode  int
	Err       string // empty when the command did what it should
	Requests  Tally
	PeakRSS   int64 // bytes, of the provider processes
	Processes int   // provider processes seen
	// Sequence is what the command waited for one after the other: group
	// updates of one consistency group, metadata versions of one group.
	Sequence Sequence
}

// Baseline is the timings of a baseline configuration's commands.
type Baseline struct {
	Apply, Plan, Destroy time.Duration
	Err                  string
}

// Result is one scenario's measurements.
type Result struct {
	Scenario  Scenario
	Resources int
	Ops       []Op     // apply, plan, destroy (those that ran)
	Baseline  Baseline // terraform_data (BaselineConfig): OpenTofu alone
	// Plugin is terraform-provider-benchnull (PluginConfig): OpenTofu and
	// terraform-plugin-framework, no API.
	Plugin Baseline
	// ProviderStart is `tofu validate` of the protector configuration:
	// starting the provider plugin and validating, with no request.
	ProviderStart time.Duration
	// Transitions are the simulated Cinder and Nova transition times the
	// scenario ran at (Effective: none zero).
	Transitions openstacksim.Transitions
	// DrillRecovery is the drill's longest member recovery time (from its
	// start until the last VM was ACTIVE), when a drill ran.
	DrillRecovery time.Duration
	Err           string
}

// Op returns the named operation (nil when it did not run).
func (r *Result) Op(name string) *Op {
	for i := range r.Ops {
		if r.Ops[i].Name == name {
			return &r.Ops[i]
		}
	}
	return nil
}

// Report is a whole run.
type Report struct {
	Machine     Machine
	Latency     time.Duration
	Parallelism int // OpenTofu's -parallelism (10 is its default)
	Policy      bool
	AsyncDelay  time.Duration // of the simulated Cinder group transitions
	// Transitions are the transition times of TimingSim scenarios as set
	// (zero: AsyncDelay).
	Transitions openstacksim.Transitions
	// MinRequestsPerMember is how many round trips reading one member
	// cannot avoid (the bound's unit).
	MinRequestsPerMember float64
	Results              []Result
}

// Bound is the goal of issue 5 for one scenario's no-change plan:
// Factor × (baseline plan + ceil(members/parallelism) × min requests per
// member × latency).
type Bound struct {
	Overhead   time.Duration // baseline plan (the plugin's, in PluginBound)
	RoundTrips time.Duration // ceil(members/parallelism) × min × latency
	Limit      time.Duration // Factor × (Overhead + RoundTrips)
	Measured   time.Duration
	Ratio      float64 // Measured / (Overhead + RoundTrips)
}

// Factor is how far above the floor the goal allows a plan to be.
const Factor = 1.5

// Bound computes the goal for a result (ok false when its plan or its
// terraform_data baseline did not run).
func (rep *Report) Bound(r *Result) (Bound, bool) { return rep.bound(r, r.Baseline.Plan) }

// PluginBound is Bound over the plugin baseline's plan: the floor of any
// framework provider that needs the same round trips. Only its Ratio is
// reported; the goal stays the issue's.
func (rep *Report) PluginBound(r *Result) (Bound, bool) { return rep.bound(r, r.Plugin.Plan) }

func (rep *Report) bound(r *Result, overhead time.Duration) (Bound, bool) {
	plan := r.Op("plan")
	if plan == nil || plan.Err != "" || overhead == 0 {
		return Bound{}, false
	}
	par := rep.Parallelism
	if par <= 0 {
		par = 10
	}
	waves := math.Ceil(float64(r.Scenario.TotalMembers()) / float64(par))
	rt := time.Duration(waves * rep.MinRequestsPerMember * float64(rep.Latency))
	floor := overhead + rt
	return Bound{
		Overhead: overhead, RoundTrips: rt,
		Limit:    time.Duration(Factor * float64(floor)),
		Measured: plan.Wall,
		Ratio:    float64(plan.Wall) / float64(floor),
	}, true
}

func secs(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// signedSecs is secs for a difference, which may be negative or zero.
func signedSecs(d time.Duration) string { return fmt.Sprintf("%+.2f s", d.Seconds()) }

func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func opWall(r *Result, name string) string {
	op := r.Op(name)
	if op == nil {
		return "-"
	}
	s := secs(op.Wall)
	if op.Err != "" {
		s += " (failed)"
	}
	return s
}

func opRequests(r *Result, name string) string {
	op := r.Op(name)
	if op == nil {
		return "-"
	}
	return fmt.Sprint(op.Requests.Total())
}

func peak(r *Result) int64 {
	var p int64
	for _, name := range []string{"apply", "plan", "destroy"} {
		if op := r.Op(name); op != nil {
			p = max(p, op.PeakRSS)
		}
	}
	return p
}

// PerMember is the plan's requests per refreshed member.
func PerMember(r *Result) (float64, bool) {
	op := r.Op("plan")
	if op == nil || r.Scenario.TotalMembers() == 0 {
		return 0, false
	}
	return float64(op.Requests.Total()) / float64(r.Scenario.TotalMembers()), true
}

// WriteSummary writes the summary table as aligned text.
func (rep *Report) WriteSummary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tresources\tapply\tplan\tdestroy\treq apply\treq plan\treq destroy\tplan req/member\ttofu apply\ttofu plan\ttofu destroy\tplugin apply\tplugin plan\tplugin destroy\tvalidate\tpeak RSS\t")
	for i := range rep.Results {
		r := &rep.Results[i]
		pm := "-"
		if v, ok := PerMember(r); ok {
			pm = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Scenario, r.Resources, opWall(r, "apply"), opWall(r, "plan"), opWall(r, "destroy"),
			opRequests(r, "apply"), opRequests(r, "plan"), opRequests(r, "destroy"), pm,
			secs(r.Baseline.Apply), secs(r.Baseline.Plan), secs(r.Baseline.Destroy),
			secs(r.Plugin.Apply), secs(r.Plugin.Plan), secs(r.Plugin.Destroy), secs(r.ProviderStart), mib(peak(r)))
	}
	tw.Flush()
	for i := range rep.Results {
		r := &rep.Results[i]
		if b, ok := rep.Bound(r); ok {
			fmt.Fprintf(w, "%s plan: %s measured, floor %s (tofu %s + round trips %s), goal <= %s: %.2fx the floor (%s)\n",
				r.Scenario, secs(b.Measured), secs(b.Overhead+b.RoundTrips), secs(b.Overhead), secs(b.RoundTrips),
				secs(b.Limit), b.Ratio, verdict(b))
		}
		if b, ok := rep.PluginBound(r); ok {
			fmt.Fprintf(w, "%s plan: plugin floor %s (plugin %s + round trips %s): %.2fx the plugin floor\n",
				r.Scenario, secs(b.Overhead+b.RoundTrips), secs(b.Overhead), secs(b.RoundTrips), b.Ratio)
		}
		for _, name := range []string{"apply", "destroy"} {
			if f, ok := rep.ChangeBound(r, name); ok {
				op := r.Op(name)
				per, _ := PerChangedMember(r, name)
				fmt.Fprintf(w, "%s %s: %s measured, floor %s (plugin %s + round trips %s + transitions %s): %.2fx the floor; waited for %d group update(s) and %d version(s) in sequence; %.2f requests per member\n",
					r.Scenario, name, secs(f.Measured), secs(f.Floor()), secs(f.Overhead), secs(f.RoundTrips), secs(f.Transitions), f.Ratio,
					op.Sequence.GroupUpdates, op.Sequence.Versions, per)
			}
		}
		if r.Err != "" {
			fmt.Fprintf(w, "%s: %s\n", r.Scenario, r.Err)
		}
	}
}

func verdict(b Bound) string {
	if b.Measured <= b.Limit {
		return "within the goal"
	}
	return fmt.Sprintf("%.1fx over the goal", float64(b.Measured)/float64(b.Limit))
}

// WriteMarkdown writes the whole report; top is how many endpoints to list
// per operation.
func (rep *Report) WriteMarkdown(w io.Writer, top int) {
	m := rep.Machine
	fmt.Fprintf(w, "# protector-bench results\n\n")
	fmt.Fprintf(w, "Written by `tools/bench.sh` (internal/benchmark/cmd/protector-bench): real OpenTofu against the in-process two-site simulator. ")
	fmt.Fprintf(w, "Compare a change with the figures of the previous run of this file (git history).\n\n")
	fmt.Fprintf(w, "## Machine and settings\n\n")
	fmt.Fprintf(w, "| | |\n|---|---|\n")
	fmt.Fprintf(w, "| date | %s |\n", m.Date.Format(time.RFC3339))
	fmt.Fprintf(w, "| host | %s |\n", m.Hostname)
	fmt.Fprintf(w, "| CPU | %s, %d CPUs |\n", m.CPUModel, m.CPUs)
	fmt.Fprintf(w, "| memory | %s |\n", m.MemTotal)
	fmt.Fprintf(w, "| kernel | %s |\n", m.Kernel)
	fmt.Fprintf(w, "| provider | built by %s from %s |\n", m.GoVersion, orDash(m.Revision))
	fmt.Fprintf(w, "| OpenTofu | %s |\n", m.Tofu)
	par := "10 (OpenTofu's default)"
	if rep.Parallelism > 0 {
		par = fmt.Sprint(rep.Parallelism)
	}
	fmt.Fprintf(w, "| latency | %s on every request of both sites and both arrays |\n", rep.Latency)
	fmt.Fprintf(w, "| parallelism | %s |\n", par)
	policy := "none"
	if rep.Policy {
		policy = "one async replication policy per group (members depend on it, as in examples/demo)"
	}
	fmt.Fprintf(w, "| policies | %s |\n", policy)
	fmt.Fprintf(w, "| Cinder/Nova transitions | %s (scenarios GxM); %s (scenarios GxM@real) |\n\n",
		DescribeTransitions(Effective(rep.Transitions, rep.AsyncDelay)), DescribeTransitions(RealTransitions))
	fmt.Fprintf(w, "Each scenario GxM is G protection groups (async, replicated-ssd) of M members; every member is a VM with a boot and a data volume. ")
	fmt.Fprintf(w, "`plan` is `tofu plan -detailed-exitcode` right after the apply (a refresh that must find no change). ")
	fmt.Fprintf(w, "The terraform_data baseline (`tofu ...` columns) is the same graph of terraform_data resources, its members made by the same locals and for_each expression (OpenTofu evaluates a for_each once per instance): what OpenTofu itself costs. ")
	fmt.Fprintf(w, "The plugin baseline (`plugin ...` columns: framework plugin, no API) is that graph again through OpenTofu's plugin protocol and terraform-plugin-framework, ")
	fmt.Fprintf(w, "served by terraform-provider-benchnull (internal/benchmark/cmd), whose resources have the protector's schemas and no API behind them: ")
	fmt.Fprintf(w, "three provider processes per plan with their mTLS handshakes, and UpgradeResourceState, ReadResource, ValidateResourceConfig and PlanResourceChange for every resource, ")
	fmt.Fprintf(w, "which is what any framework provider pays; the difference between it and the protector plan is what the provider's own code and the API round trips cost. ")
	fmt.Fprintf(w, "`provider start` is `tofu validate` of the protector configuration (the plugin started, its schema read, no request made): ")
	fmt.Fprintf(w, "a cost every command pays that the built-in terraform_data does not (the plugin baseline pays its own), shown for context and left out of the goal's floor. ")
	fmt.Fprintf(w, "Peak RSS is the highest VmHWM of the provider processes over the three commands. ")
	fmt.Fprintf(w, "In flight: the most requests that arrived within one latency of each other (about the most the provider had outstanding at once), ")
	fmt.Fprintf(w, "and requests × latency / wall time (the mean outstanding; at most the parallelism if the command were bound by round trips alone). ")
	fmt.Fprintf(w, "A scenario GxM@real runs at a real cloud's transition times (settings above) instead of the simulator's: on a real cloud an apply's time is decided by the Cinder group updates and metadata versions it waits for one after the other, ")
	fmt.Fprintf(w, "which the `waited` column counts: the most group updates made to one consistency group (each waits for the group to be available again; different groups' go side by side) ")
	fmt.Fprintf(w, "and the most metadata versions written for one group on one site. Members that arrive together are added (removed) in one group update and one metadata version per batch.\n\n")

	fmt.Fprintf(w, "## Summary\n\n")
	fmt.Fprintf(w, "| scenario | resources | apply | plan | destroy | requests apply | requests plan | requests destroy | plan requests/member | tofu apply | tofu plan | tofu destroy | plugin apply | plugin plan | plugin destroy | provider start | peak RSS |\n")
	fmt.Fprintf(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for i := range rep.Results {
		r := &rep.Results[i]
		pm := "-"
		if v, ok := PerMember(r); ok {
			pm = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Scenario, r.Resources, opWall(r, "apply"), opWall(r, "plan"), opWall(r, "destroy"),
			opRequests(r, "apply"), opRequests(r, "plan"), opRequests(r, "destroy"), pm,
			secs(r.Baseline.Apply), secs(r.Baseline.Plan), secs(r.Baseline.Destroy),
			secs(r.Plugin.Apply), secs(r.Plugin.Plan), secs(r.Plugin.Destroy), secs(r.ProviderStart), mib(peak(r)))
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "## Against the goal\n\n")
	par10 := rep.Parallelism
	if par10 <= 0 {
		par10 = 10
	}
	fmt.Fprintf(w, "Goal (issue 5): a no-change plan costs at most %.1f × (OpenTofu's overhead + the round trips it cannot avoid):\n\n", Factor)
	fmt.Fprintf(w, "    floor = baseline plan time + ceil(members / %d) × %g request(s) per member × %s\n", par10, rep.MinRequestsPerMember, rep.Latency)
	fmt.Fprintf(w, "    goal  = %.1f × floor\n\n", Factor)
	fmt.Fprintf(w, "(members are refreshed %d at a time, each needing at least %g round trip(s); the requests every plan makes once, such as logins, are left out of the floor).\n\n",
		par10, rep.MinRequestsPerMember)
	fmt.Fprintf(w, "| scenario | plan | baseline plan | round trips | floor | goal | plan / floor | verdict |\n|---|--:|--:|--:|--:|--:|--:|---|\n")
	for i := range rep.Results {
		r := &rep.Results[i]
		b, ok := rep.Bound(r)
		if !ok {
			continue
		}
		name := r.Scenario.String()
		if r.Scenario == (Scenario{Groups: 1, Members: 100}) {
			name = "**" + name + "** (the goal's case)"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %.2f | %s |\n", name, secs(b.Measured), secs(b.Overhead),
			secs(b.RoundTrips), secs(b.Overhead+b.RoundTrips), secs(b.Limit), b.Ratio, verdict(b))
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "Against the plugin floor, which also counts what the plugin protocol and the framework cost any provider (the goal above stays the issue's):\n\n")
	fmt.Fprintf(w, "    plugin floor = plugin baseline plan time + the same round trips\n\n")
	fmt.Fprintf(w, "| scenario | plan | plugin baseline plan | round trips | plugin floor | plan - plugin floor | plan / plugin floor |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for i := range rep.Results {
		r := &rep.Results[i]
		b, ok := rep.PluginBound(r)
		if !ok {
			continue
		}
		floor := b.Overhead + b.RoundTrips
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %.2f |\n", r.Scenario, secs(b.Measured), secs(b.Overhead),
			secs(b.RoundTrips), secs(floor), signedSecs(b.Measured-floor), b.Ratio)
	}
	fmt.Fprintln(w)

	rep.writeChangeFloors(w)
	rep.writeDrills(w)

	for i := range rep.Results {
		r := &rep.Results[i]
		fmt.Fprintf(w, "## %s: %d group(s) × %d member(s)\n\n", r.Scenario, r.Scenario.Groups, r.Scenario.Members)
		if r.Err != "" {
			fmt.Fprintf(w, "**Error:** %s\n\n", r.Err)
		}
		fmt.Fprintf(w, "Transitions: %s.\n\n", DescribeTransitions(r.Transitions))
		fmt.Fprintf(w, "| operation | wall | exit | provider processes | peak RSS | in flight: peak / mean | waited: group updates / versions |")
		for _, s := range Servers {
			fmt.Fprintf(w, " %s |", s)
		}
		fmt.Fprintf(w, " total |\n|---|--:|--:|--:|--:|--:|--:|%s--:|\n", strings.Repeat("--:|", len(Servers)))
		for _, op := range r.Ops {
			mean := 0.0
			if op.Wall > 0 {
				mean = float64(op.Requests.Total()) * float64(rep.Latency) / float64(op.Wall)
			}
			fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %d / %.1f | %d / %d |", op.Name, secs(op.Wall), op.ExitCode, op.Processes, mib(op.PeakRSS),
				op.Requests.PeakInFlight, mean, op.Sequence.GroupUpdates, op.Sequence.Versions)
			for _, s := range Servers {
				fmt.Fprintf(w, " %d |", op.Requests.PerServer[s])
			}
			fmt.Fprintf(w, " %d |\n", op.Requests.Total())
		}
		fmt.Fprintf(w, "| baseline (terraform_data) | apply %s, plan %s, destroy %s | | | | | |%s |\n",
			secs(r.Baseline.Apply), secs(r.Baseline.Plan), secs(r.Baseline.Destroy), strings.Repeat(" |", len(Servers)))
		fmt.Fprintf(w, "| baseline (framework plugin, no API) | apply %s, plan %s, destroy %s | | | | | |%s |\n\n",
			secs(r.Plugin.Apply), secs(r.Plugin.Plan), secs(r.Plugin.Destroy), strings.Repeat(" |", len(Servers)))
		for _, op := range r.Ops {
			if op.Err != "" {
				fmt.Fprintf(w, "%s failed: %s\n\n", op.Name, op.Err)
			}
		}
		members := float64(r.Scenario.TotalMembers())
		for _, op := range r.Ops {
			n := top
			if op.Name == "plan" {
				n = len(op.Requests.Counts) // the refresh in full
			}
			fmt.Fprintf(w, "Requests of %s by endpoint", op.Name)
			if n < len(op.Requests.Counts) {
				fmt.Fprintf(w, " (top %d of %d)", n, len(op.Requests.Counts))
			}
			fmt.Fprintf(w, ":\n\n| server | endpoint | requests | per member |\n|---|---|--:|--:|\n")
			for _, c := range op.Requests.Counts[:min(n, len(op.Requests.Counts))] {
				fmt.Fprintf(w, "| %s | `%s` | %d | %.2f |\n", c.Server, c.Endpoint, c.N, float64(c.N)/members)
			}
			fmt.Fprintln(w)
		}
	}
}

// writeChangeFloors writes the apply and destroy of every scenario against
// their floor (ChangeBound), with what they waited for and their requests
// per member added or removed.
func (rep *Report) writeChangeFloors(w io.Writer) {
	par := rep.Parallelism
	if par <= 0 {
		par = 10
	}
	fmt.Fprintf(w, "## Apply and destroy against their floor\n\n")
	fmt.Fprintf(w, "Goal (issue 19): apply and destroy within %.1f × a floor of what remains when the members arriving together are batched:\n\n", Factor)
	fmt.Fprintf(w, "    apply floor   = plugin baseline apply   + round trips + group create + waves × group update\n")
	fmt.Fprintf(w, "    destroy floor = plugin baseline destroy + round trips + waves × group update + group delete\n")
	fmt.Fprintf(w, "    waves         = ceil(members / %d)\n", par)
	fmt.Fprintf(w, "    round trips   = (waves × %d + %d) requests × %s for an apply, (waves × %d + %d) for a destroy\n\n", ApplyWaveChain, ApplyOnceChain, rep.Latency, DestroyWaveChain, DestroyOnceChain)
	fmt.Fprintf(w, "(OpenTofu creates or destroys at most %d members at once and a create holds its place until its member is added, so the members that can arrive together are a wave of %d: one batch, whose group update and chain of dependent requests come one after the other, and the next wave starts when it ends. ", par, par)
	fmt.Fprintf(w, "The round trips count the requests that wait for each other, whatever is batched and cached. A wave of members added, %d: the plan's check of the wave (one listing of the project's servers and volumes) and the apply's check of it again (OpenTofu plans each resource again right before creating it); both sites answering, both sites' metadata versions listed meanwhile; the Cinder group update and one read of the group after its transition; the new version written on the primary, pushed to the peer, and the sync record written. ", ApplyWaveChain)
	fmt.Fprintf(w, "A wave removed, %d: the group's volumes listed, then the same batch. ", DestroyWaveChain)
	fmt.Fprintf(w, "Once per apply, %d: the plan's checks of the group and the policy; the sites registered (group type checked, container created, record written); the group checked again and created (registrations read, name claimed, both consistency groups created side by side, one read after their transition, version 1 written, pushed, sync record); the policy checked again and created (both sites answering, the Pure group read and changed once, the version written, pushed, sync record). ", ApplyOnceChain)
	fmt.Fprintf(w, "Once per destroy, %d: the refresh (versions listed, the newest read, the group's state); the policy removed (both sites answering, the Pure group changed, the version written, pushed, sync record); the group deleted (both sites answering, both consistency groups deleted side by side, one read after their transition, the metadata listed and deleted, the name records); the sites' groups listed and their records deleted. ", DestroyOnceChain)
	fmt.Fprintf(w, "The groups are made side by side, so one create and one delete and one chain of each count, at the scenario's transition times; logins are left out.) ")
	fmt.Fprintf(w, "`waited` is the group updates / metadata versions the command waited for one after the other (see above); requests per member are all the command's requests (plan-time checks, groups and policies included) over the members it added or removed.\n\n")
	fmt.Fprintf(w, "| scenario | apply | waited | requests/added member | apply floor | apply / floor | destroy | waited | requests/removed member | destroy floor | destroy / floor |\n")
	fmt.Fprintf(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for i := range rep.Results {
		r := &rep.Results[i]
		fmt.Fprintf(w, "| %s |", r.Scenario)
		for _, name := range []string{"apply", "destroy"} {
			op := r.Op(name)
			if op == nil {
				fmt.Fprintf(w, " - | - | - | - | - |")
				continue
			}
			per := "-"
			if v, ok := PerChangedMember(r, name); ok {
				per = fmt.Sprintf("%.2f", v)
			}
			floor, ratio := "-", "-"
			if f, ok := rep.ChangeBound(r, name); ok {
				floor, ratio = secs(f.Floor()), fmt.Sprintf("%.2f", f.Ratio)
			}
			fmt.Fprintf(w, " %s | %d / %d | %s | %s | %s |", opWall(r, name), op.Sequence.GroupUpdates, op.Sequence.Versions, per, floor, ratio)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// SortResults orders results by total members, then groups.
func SortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].Scenario, rs[j].Scenario
		if a.TotalMembers() != b.TotalMembers() {
			return a.TotalMembers() < b.TotalMembers()
		}
		return a.Groups < b.Groups
	})
}

// writeDrills is the DR drills' section: each scenario's drill apply, its
// longest member recovery time, and the drill's destroy.
func (rep *Report) writeDrills(w io.Writer) {
	var rows []*Result
	for i := range rep.Results {
		if rep.Results[i].Op("drill") != nil {
			rows = append(rows, &rep.Results[i])
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "## DR drills\n\n")
	fmt.Fprintf(w, "After the plan, every group is drilled from a root module of its own, as a scheduled drill job would be: `protector_dr_drill` with `replicate_now` ")
	fmt.Fprintf(w, "and the provider holding site-b's admin credential. The drill's apply plans it (readiness of the group at plan), takes a snapshot and waits for it on flasharray-b, ")
	fmt.Fprintf(w, "copies each member volume out of it, manages the copies into Cinder on site-b and boots each VM there, `recovery` being the longest time from the drill's start until a VM was ACTIVE ")
	fmt.Fprintf(w, "(the engine's own measurement, the group's recovery time); `drill destroy` removes all it made. At GxM@real the copies take the manage and the VMs the build time of the settings above.\n\n")
	fmt.Fprintf(w, "| scenario | members | drill apply | recovery | requests | drill destroy | requests |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		rec := "-"
		if r.DrillRecovery > 0 {
			rec = secs(r.DrillRecovery)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s |\n", r.Scenario, r.Scenario.TotalMembers(),
			opWall(r, "drill"), rec, opRequests(r, "drill"), opWall(r, "drill-destroy"), opRequests(r, "drill-destroy"))
	}
	fmt.Fprintln(w)
}
