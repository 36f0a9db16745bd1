package flasharraysim

import (
	"sort"
	"strings"
	"time"
)

// State is everything one array holds. Tests change it through
// Array.Update to make drift; the simulator's lock is held meanwhile.
type State struct {
	Name string
	ID   string
	// Volumes outside pods, by name. Volumes in pods live in their pod.
	Volumes map[string]*VolumeState
	// ProtectionGroups created on this array, by name. Groups replicated
	// here from another array are not stored: they are that array's groups
	// seen through its targets, named <source>:<group>.
	ProtectionGroups map[string]*ProtectionGroupState
	// Pods present on this array, by name. A stretched pod is the same
	// object on every array it is stretched to.
	Pods map[string]*PodState
	// Snapshots of local groups and replicas received from other arrays,
	// by name (<group>.<suffix>, <source>:<group>.<suffix>).
	Snapshots map[string]*SnapshotState
	// Connections to other arrays, by remote array name.
	Connections map[string]*ConnectionState
}

// VolumeState is one volume.
type VolumeState struct {
	ID          string
	Name        string // <pod>::<name> inside a pod
	Serial      string
	Provisioned int64
	Created     time.Time
	Destroyed   bool
	// Source is what a copy was made from (a volume or a volume snapshot).
	Source string
}

// ProtectionGroupState is one local protection group.
type ProtectionGroupState struct {
	ID                   string
	Name                 string
	Created              time.Time
	Destroyed            bool
	ReplicationEnabled   bool
	ReplicationFrequency int64 // ms
	ReplicationAt        *int64
	SnapshotEnabled      bool
	SnapshotFrequency    int64 // ms
	SourceRetention      Retention
	TargetRetention      Retention
	Targets              []*TargetState
	Volumes              []string
	// ScheduleAnchor is when the replication schedule last fired (or was
	// turned on); the next scheduled snapshot is at anchor + frequency.
	ScheduleAnchor time.Time
	// SnapshotSeq numbers the snapshots without an explicit suffix.
	SnapshotSeq int
}

// Retention is a retention policy (seconds and counts).
type Retention struct {
	AllForSec int64
	PerDay    int64
	Days      int64
}

// TargetState is a replication target of a protection group.
type TargetState struct {
	Name    string // the target array
	Allowed bool
}

// SnapshotState is a protection group snapshot, local or replicated here.
type SnapshotState struct {
	ID        string
	Name      string
	Suffix    string
	Source    string // protection group name as seen on this array
	Created   time.Time
	Destroyed bool
	Volumes   []string
	// Sizes are the volumes' provisioned bytes when the snapshot was taken.
	Sizes map[string]int64
	// Replicated snapshots (on the target) and sent ones (on the source)
	// transfer from TransferStart to TransferDone; zero when none.
	TransferStart time.Time
	TransferDone  time.Time
	Bytes         int64
}

// PodState is a pod; stretched pods are shared by their arrays.
type PodState struct {
	ID        string
	Name      string
	Created   time.Time
	Destroyed bool
	Arrays    []*PodArrayState
	Volumes   map[string]*VolumeState // by full name <pod>::<vol>
}

// PodArrayState is one array of a pod. The array resyncs until
// ResyncUntil, then is online (offline while that array is down).
type PodArrayState struct {
	Name        string
	ID          string
	ResyncUntil time.Time
	array       *Array
}

// ConnectionState is an array connection.
type ConnectionState struct {
	Name   string
	ID     string
	Status string // connected, connecting, partially_connected, unbalanced
	Type   string // async-replication, sync-replication
	peer   *Array
}

func newState(name, id string) *State {
	return &State{Name: name, ID: id,
		Volumes:          map[string]*VolumeState{},
		ProtectionGroups: map[string]*ProtectionGroupState{},
		Pods:             map[string]*PodState{},
		Snapshots:        map[string]*SnapshotState{},
		Connections:      map[string]*ConnectionState{},
	}
}

// VolumeInfo is a copy of a volume for tests.
type VolumeInfo struct {
	ID, Name, Serial string
	Provisioned      int64
	Pod              string
	Destroyed        bool
	ProtectionGroups []string
}

// ProtectionGroupInfo is a copy of a protection group for tests: a local
// one, or (by <source>:<group>) one replicated here.
type ProtectionGroupInfo struct {
	ID, Name             string
	Source               string // source array for a replicated group, else ""
	Destroyed            bool
	ReplicationEnabled   bool
	ReplicationFrequency time.Duration
	TargetRetention      Retention
	Targets              []TargetInfo
	Volumes              []string
}

// TargetInfo is a target of a protection group.
type TargetInfo struct {
	Name    string
	Allowed bool
}

// PodInfo is a copy of a pod for tests.
type PodInfo struct {
	ID, Name  string
	Destroyed bool
	Arrays    []PodArrayInfo
	Volumes   []string
}

// PodArrayInfo is one array of a pod, with its current status.
type PodArrayInfo struct {
	Name   string
	Status string
}

// SnapshotInfo is a copy of a protection group snapshot with its transfer.
type SnapshotInfo struct {
	Name      string
	Source    string
	Created   time.Time
	Started   time.Time
	Completed time.Time // zero until the transfer is complete
	Progress  float64
	Destroyed bool
}

func podOf(volume string) (pod string, ok bool) {
	p, _, found := strings.Cut(volume, "::")
	return p, found
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
