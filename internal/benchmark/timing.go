package benchmark

import (
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// Timings a scenario can run at (its "@name" suffix): how long the
// simulated Cinder and Nova transitions take.
const (
	// TimingSim is the simulator's own times (50 ms each unless the
	// bench's -group-create, -group-update, -group-delete, -volume-attach
	// or -async-delay say otherwise).
	TimingSim = ""
	// TimingReal is a real cloud's: a Cinder group update (add_volumes /
	// remove_volumes, updating -> available) of 2 s, and the same for a
	// group's create and delete, a volume attach of 1 s (the figures of
	// issue 19 for a real Zed cloud with the Pure driver).
	TimingReal = "real"
)

// RealTransitions are TimingReal's transition times.
var RealTransitions = openstacksim.Transitions{
	GroupCreate:  2 * time.Second,
	GroupUpdate:  2 * time.Second,
	GroupDelete:  2 * time.Second,
	VolumeAttach: 1 * time.Second,
	// A drill's: the Pure driver's manage-existing (a rename and the
	// manage flow) and a boot from volume on libvirt. Typical figures,
	// assumed: the real-OpenStack lane's fake virt driver boots at once.
	VolumeManage: 3 * time.Second,
	ServerBuild:  20 * time.Second,
}

// Effective fills the zero transitions with asyncDelay, and a zero
// asyncDelay with the simulator's default: the times the sites will take.
func Effective(t openstacksim.Transitions, asyncDelay time.Duration) openstacksim.Transitions {
	if asyncDelay == 0 {
		asyncDelay = openstacksim.DefaultAsyncDelay
	}
	for _, d := range []*time.Duration{&t.GroupCreate, &t.GroupUpdate, &t.GroupDelete, &t.VolumeAttach, &t.VolumeManage, &t.ServerBuild} {
		if *d == 0 {
			*d = asyncDelay
		}
		if *d < 0 {
			*d = 0
		}
	}
	return t
}

// DescribeTransitions is "group create 2s, update 2s, delete 2s; volume
// attach 1s, manage 3s; server build 20s".
func DescribeTransitions(t openstacksim.Transitions) string {
	return fmt.Sprintf("group create %s, update %s, delete %s; volume attach %s, manage %s; server build %s",
		t.GroupCreate, t.GroupUpdate, t.GroupDelete, t.VolumeAttach, t.VolumeManage, t.ServerBuild)
}

var (
	groupUpdateRE = regexp.MustCompile(`/groups/([0-9a-fA-F-]{36})$`)
	versionRE     = regexp.MustCompile(`/protector/groups/(pg-[0-9a-fA-F-]+)/v/[0-9]+$`)
)

// Sequence is what an operation waited for one after the other: the most
// Cinder group updates made to one consistency group (one group's updates
// are made one at a time, each waiting for the group to be available
// again; different groups' run side by side), and the most metadata
// versions written for one protection group on one site.
type Sequence struct {
	GroupUpdates int
	Versions     int
}

// SequenceOf counts an operation's Sequence from its requests.
func SequenceOf(byServer map[string][]fault.Request) Sequence {
	updates, versions := map[string]int{}, map[string]int{}
	for server, reqs := range byServer {
		for _, r := range reqs {
			if r.Method != "PUT" {
				continue
			}
			if m := groupUpdateRE.FindStringSubmatch(r.Path); m != nil {
				updates[server+" "+m[1]]++
			}
			if m := versionRE.FindStringSubmatch(r.Path); m != nil {
				versions[server+" "+m[1]]++
			}
		}
	}
	var s Sequence
	for _, n := range updates {
		s.GroupUpdates = max(s.GroupUpdates, n)
	}
	for _, n := range versions {
		s.Versions = max(s.Versions, n)
	}
	return s
}

// ChangeFloor is the floor of an apply or a destroy: what remains when the
// members arriving together are batched.
//
//	apply floor   = plugin baseline apply   + round trips + group create + waves × group update
//	destroy floor = plugin baseline destroy + round trips + waves × group update + group delete
//	waves         = ceil(members / parallelism)
//	round trips   = waves × BatchChain × latency
//
// OpenTofu creates (destroys) at most -parallelism members at once, and a
// create holds its place until its member is added: the members that can
// arrive together are a wave of that many, each wave is one batch, and a
// batch's requests that depend on each other (BatchChain) and its group
// update are made one after the other; the next wave starts when it ends.
// The groups are made side by side, so one create (delete) counts. The
// requests a command makes once (logins, the group and the policy) are
// left out: a floor, not an estimate.
type ChangeFloor struct {
	Overhead    time.Duration // plugin baseline apply or destroy
	RoundTrips  time.Duration
	Transitions time.Duration
	Measured    time.Duration
	Ratio       float64 // Measured / floor
}

// Floor is Overhead + RoundTrips + Transitions.
func (f ChangeFloor) Floor() time.Duration { return f.Overhead + f.RoundTrips + f.Transitions }

// BatchChain is the requests of a batch of member changes that wait for
// each other, whatever is batched: the members' read (one listing of the
// project, or of the group's volumes for a removal); the group's newest
// metadata (the listing of its versions, then the version); both sites
// answering, with both sites' versions listed meanwhile; the Cinder group
// update and a read of the group once its transition is over; the new
// version written on the primary, then pushed to the peer, then the sync
// record written.
const BatchChain = 9

// ChangeBound computes the floor of a result's apply or destroy (ok false
// when the operation or the plugin baseline did not run).
func (rep *Report) ChangeBound(r *Result, name string) (ChangeFloor, bool) {
	op := r.Op(name)
	par := rep.Parallelism
	if par <= 0 {
		par = 10
	}
	waves := math.Ceil(float64(r.Scenario.TotalMembers()) / float64(par))
	updates := time.Duration(waves) * r.Transitions.GroupUpdate
	overhead := r.Plugin.Apply
	tr := r.Transitions.GroupCreate + updates
	if name == "destroy" {
		overhead = r.Plugin.Destroy
		tr = updates + r.Transitions.GroupDelete
	}
	if op == nil || op.Err != "" || overhead == 0 {
		return ChangeFloor{}, false
	}
	f := ChangeFloor{Overhead: overhead, RoundTrips: time.Duration(waves * BatchChain * float64(rep.Latency)),
		Transitions: tr, Measured: op.Wall}
	f.Ratio = float64(op.Wall) / float64(f.Floor())
	return f, true
}

// PerChangedMember is an operation's requests per member it added or
// removed (all its requests: the plan-time checks, the groups' and
// policies' too).
func PerChangedMember(r *Result, name string) (float64, bool) {
	op := r.Op(name)
	if op == nil || r.Scenario.TotalMembers() == 0 {
		return 0, false
	}
	return float64(op.Requests.Total()) / float64(r.Scenario.TotalMembers()), true
}
