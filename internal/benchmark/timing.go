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
//	round trips   = (waves × per-wave chain + once-per-command chain) × latency
//
// OpenTofu creates (destroys) at most -parallelism members at once, and a
// create holds its place until its member is added: the members that can
// arrive together are a wave of that many, each wave is one batch, and a
// wave's requests that depend on each other (ApplyWaveChain,
// DestroyWaveChain) and its group update are made one after the other; the
// next wave starts when it ends. The command's other resources add their
// own chains once (ApplyOnceChain, DestroyOnceChain). The groups are made
// side by side, so one create (delete) counts, and one chain of each.
type ChangeFloor struct {
	Overhead    time.Duration // plugin baseline apply or destroy
	RoundTrips  time.Duration
	Transitions time.Duration
	Measured    time.Duration
	Ratio       float64 // Measured / floor
}

// Floor is Overhead + RoundTrips + Transitions.
func (f ChangeFloor) Floor() time.Duration { return f.Overhead + f.RoundTrips + f.Transitions }

// The requests that wait for each other, whatever is batched and cached:
// what no implementation of the guide's workflow can make side by side.
const (
	// ApplyWaveChain is a wave of members added: the plan's check of the
	// wave (one listing of the project's servers and volumes), the apply's
	// check of it again (OpenTofu plans each resource again right before
	// creating it); then the batch: both sites answering, with both
	// sites' metadata versions listed meanwhile; the Cinder group update;
	// one read of the group after its transition; the new version written
	// on the primary, pushed to the peer, and the sync record written.
	ApplyWaveChain = 8
	// ApplyOnceChain is the rest of an apply of a group with its policy
	// and sites. The plan: the group's check (both sites answering, the
	// volume type, the name's records: side by side) and the policy's
	// (both sites answering and the arrays' connection). The sites
	// registered: the group type checked, the metadata container created,
	// the record written. The group: its check again, then its creation
	// (both sites' registrations, the name claimed, the consistency groups
	// created side by side, one read after their transition, version 1
	// written, pushed, the sync record). The policy: its check again, then
	// both sites answering, the Pure group read and changed once, the
	// version written, pushed, the sync record.
	ApplyOnceChain = 2 + 3 + 8 + 7
	// DestroyWaveChain is a wave of members removed: the group's volumes
	// listed; both sites answering with their versions listed; the group
	// update; one read after its transition; the version written, pushed,
	// and the sync record.
	DestroyWaveChain = 7
	// DestroyOnceChain is the rest of a destroy: the refresh before it (the
	// group's versions listed, the newest read, then the group's state on
	// both sites with the members' servers and the policy's arrays); the
	// policy removed (both sites answering, the Pure group changed, the
	// version written, pushed, the sync record); the group deleted (both
	// sites answering, the consistency groups deleted side by side, one
	// read after their transition, the metadata listed and deleted, the
	// name records); the sites (their groups listed, the records deleted).
	DestroyOnceChain = 3 + 5 + 6 + 2
)

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
	chain := waves*ApplyWaveChain + ApplyOnceChain
	if name == "destroy" {
		overhead = r.Plugin.Destroy
		tr = updates + r.Transitions.GroupDelete
		chain = waves*DestroyWaveChain + DestroyOnceChain
	}
	if op == nil || op.Err != "" || overhead == 0 {
		return ChangeFloor{}, false
	}
	f := ChangeFloor{Overhead: overhead, RoundTrips: time.Duration(chain * float64(rep.Latency)),
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
