package engine

import (
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// Replication types of a protection group.
const (
	ReplicationAsync = "async"
	ReplicationSync  = "sync"
)

// Statuses of a protection group, as the guide names them.
const (
	StatusCreating    = "creating"
	StatusActive      = "active"
	StatusError       = "error"
	StatusFailingOver = "failing_over"
	StatusFailingBack = "failing_back"
	StatusFailedOver  = "failed_over"
)

// Statuses of a member.
const (
	MemberProtected = "protected"
	MemberError     = "error"
)

// Sync statuses of the peer copy of the metadata.
const (
	SyncSynced      = "SYNCED"
	SyncFailed      = "FAILED"
	SyncUnreachable = "UNREACHABLE"
)

// Credentials say how to reach one OpenStack cloud.
type Credentials = openstack.Credentials

// SiteConnection is how the engine reaches one site: its credentials and,
// optionally, an admin credential used only for reads that need the admin
// role (a volume type's replication_type, a volume's backend host).
type SiteConnection struct {
	Credentials Credentials
	Admin       *Credentials
}

// Config configures an Engine.
type Config struct {
	// Sites maps a site name to how to reach it. A site not listed here is
	// reached through the clouds.yaml entry of the same name.
	Sites map[string]SiteConnection
	// CloudsYAMLPath overrides where clouds.yaml is searched for.
	CloudsYAMLPath string

	// ArrayCACertPEM is added to the system roots when talking to
	// FlashArrays; ArrayInsecure turns certificate checks off.
	ArrayCACertPEM []byte
	ArrayInsecure  bool
	// ArrayTokens maps a FlashArray URL to its API token. Member changes of
	// a group with a policy need the arrays, and only the policy resource is
	// given tokens; this is where every other operation finds them.
	ArrayTokens map[string]string

	// MaxRetries bounds retries of 429/5xx and transport errors per request
	// (0: none; a configuration that says nothing gets DefaultMaxRetries);
	// RetryWaitMin and RetryWaitMax bound the backoff between them.
	MaxRetries   int
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// RequestTimeout bounds one HTTP request (a configuration that says
	// nothing gets DefaultRequestTimeout).
	RequestTimeout time.Duration
	// ReachabilityTimeout bounds a check that a site answers (the plan's
	// reachability checks, the refresh's reads of the peer): a site that
	// does not answer within it is unreachable. A transport failure (a
	// refused connection) is such a check's answer and is not retried.
	// Default DefaultReachabilityTimeout.
	ReachabilityTimeout time.Duration

	UserAgent string
	Logger    Logger
}

// The retries and request timeout of a configuration that sets none (the
// provider block's defaults); MaxRetriesLimit bounds what it may set.
const (
	DefaultMaxRetries     = 5
	MaxRetriesLimit       = 100
	DefaultRequestTimeout = 60 * time.Second
)

// SiteSpec registers a site for DR.
type SiteSpec struct {
	Name        string
	Description string
	// ConsistencyGroupType names the Cinder group type (one whose
	// consistent_group_snapshot_enabled is '<is> True') used for the
	// consistency groups of this site. Default DefaultConsistencyGroupType.
	ConsistencyGroupType string
}

// DefaultConsistencyGroupType is the group type looked for when a site does
// not name one.
const DefaultConsistencyGroupType = "consistency-group"

// Site is a registered site and what validating it found.
type Site struct {
	Name                   string
	Description            string
	ConsistencyGroupType   string
	ConsistencyGroupTypeID string
	Status                 string
	AuthURL                string
	Region                 string
	Validation             SiteValidation
	RegisteredAt           time.Time
}

// SiteValidation is the outcome of the guide's `site validate`.
type SiteValidation struct {
	Reachable bool
	// Services lists the catalog service types found.
	Services []string
	// AdminChecks says whether admin-only fields can be read, so that
	// eligibility and backend checks are complete.
	AdminChecks bool
	// Messages explains every check that failed or could not be made.
	Messages []string
}

// GroupSpec creates a protection group.
type GroupSpec struct {
	// ID is the id PlanGroup proposed; empty: a new random one.
	ID              string
	Name            string
	Description     string
	PrimarySite     string
	SecondarySite   string
	ReplicationType string
	VolumeType      string
	Mappings        ResourceMappings
}

// ResourceMappings map objects of the primary site to the secondary
// site's, where they are not the same objects: networks (by name or id to
// a name or id on the secondary) and flavors (by name to a name). An
// object not mapped is looked for on the secondary under its own name.
type ResourceMappings struct {
	Networks map[string]string
	Flavors  map[string]string
}

// Group is a protection group as its newest metadata describes it.
type Group struct {
	ID                        string
	Name                      string
	Description               string
	PrimarySite               string
	SecondarySite             string
	ReplicationType           string
	VolumeType                string
	Status                    string
	FailoverCount             int
	PrimaryConsistencyGroup   string
	SecondaryConsistencyGroup string
	// Backend is the Cinder backend (host@backend) the members' volumes
	// share, set by the first member.
	Backend         string
	Mappings        ResourceMappings
	MetadataVersion int
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Members         []Member
	Policy          *PolicyRecord
	Sync            SyncStatus
	// Drift lists what differs between the metadata and the two sites; an
	// apply repairs it (RepairGroup).
	Drift []string
}

// SyncStatus is the state of the peer's copy of the metadata.
type SyncStatus struct {
	Status        string // SYNCED, FAILED, UNREACHABLE
	LocalVersion  int
	RemoteVersion int
	LastSync      time.Time
	Error         string
}

// SyncLogEntry is one push of a version to the peer, the guide's
// `sync-log` (stored as syncLogRecord).
type SyncLogEntry struct {
	Version  int
	Time     time.Time
	Outcome  string // SYNCED, FAILED, UNREACHABLE, DRILL
	Duration time.Duration
	Error    string
}

// PolicyRecord is the part of a replication policy kept in the group's
// metadata, as the engine's callers see it (stored as policyRecord).
// Tokens are never part of it.
type PolicyRecord struct {
	PrimaryArrayURL     string
	SecondaryArrayURL   string
	PrimaryArrayName    string
	SecondaryArrayName  string
	PureGroupName       string
	ReplicationInterval int64
	RPOMinutes          int64
	// CreatedPureGroup records that the engine created the Pure protection
	// group (and so destroys it with the policy). Only versions before the
	// engine stopped creating Pure groups set it; it is kept so that their
	// policies still clean up after themselves.
	CreatedPureGroup bool
	// Changes are what the binding changed on the async Pure group it
	// found: unbinding undoes exactly these and leaves the group as the
	// Cinder driver (or the array's administrator) made it.
	Changes *PureGroupChanges
	// CreatedAt starts the RPO clock before the first snapshot arrives.
	CreatedAt time.Time
}

// PureGroupChanges are the changes a binding made to a Pure protection
// group that existed before it (stored as pureGroupChangesRecord).
type PureGroupChanges struct {
	// AddedTarget: the secondary array was not a target of the group.
	AddedTarget bool
	// AllowedTarget: the secondary array was a target, not allowed.
	AllowedTarget bool
	// EnabledReplication: the replication schedule was disabled.
	EnabledReplication bool
	// PriorFrequency is the replication frequency (ms) the group had
	// before the policy first changed it; 0 when unchanged.
	PriorFrequency int64
}

// ArrayEndpoint is how to reach one FlashArray.
type ArrayEndpoint struct {
	URL      string
	APIToken string
}

// PolicySpec attaches a replication policy to a group.
type PolicySpec struct {
	GroupID   string
	Primary   ArrayEndpoint
	Secondary ArrayEndpoint
	// PureGroupName names the Pure protection group (async) or pod (sync).
	// Empty: consisgroup-<primary consistency group id>-cinder for async,
	// cinder-pod for sync, the names the Pure Cinder driver uses.
	PureGroupName string
	// ReplicationInterval (seconds) and RPOMinutes apply to async only.
	ReplicationInterval int64
	RPOMinutes          int64
}

// Policy is a replication policy as the group's metadata and both arrays
// show it.
type Policy struct {
	GroupID string
	// PrimarySite and SecondarySite are the group's: where its metadata,
	// and so the policy, is read.
	PrimarySite     string
	SecondarySite   string
	ReplicationType string
	PolicyRecord
	// Kind is "protection_group" for async and "pod" for sync.
	Kind string
	// ReplicationEnabled and ActualInterval are read from the primary
	// array's protection group (async); a pod's replication is enabled
	// while it is stretched.
	ReplicationEnabled bool
	ActualInterval     int64
	// TargetAllowed says whether the secondary array allows the group (a
	// pod: whether it is stretched).
	TargetAllowed bool
	// PodStretched says whether the pod is online on both arrays (sync).
	PodStretched bool
	// MissingVolumes lists member volumes absent from the Pure group.
	MissingVolumes  []string
	MetadataVersion int
	// Drift lists what differs on the arrays from the binding the policy
	// made; UpdatePolicy binds again.
	Drift []string
	// Readiness is the guide's replication readiness (async only).
	Readiness *Readiness
}

// Readiness says whether the newest snapshot replicated to the secondary
// array is within the RPO.
type Readiness struct {
	// LastReplicated is the creation time of the newest snapshot fully
	// transferred to the secondary; zero when none has arrived.
	LastReplicated time.Time
	// Lag is now minus LastReplicated.
	Lag       time.Duration
	RPO       time.Duration
	Compliant bool
}

// MemberSpec adds a VM to a group.
type MemberSpec struct {
	GroupID    string
	InstanceID string
}

// Member is one protected VM. The metadata stores it as a memberRecord.
type Member struct {
	ID           string
	InstanceID   string
	InstanceName string
	Status       string
	VolumeIDs    []string
	Error        string
	AddedAt      time.Time
	// Recovery is what the secondary needs to bring the VM up, as read
	// when the member was added or last repaired; nil when the metadata
	// was written before recovery descriptions existed.
	Recovery *RecoveryDescription
	// Drift lists what an apply repairs (RepairMember); Broken what it
	// cannot (a deleted instance, a retyped volume). Neither is stored.
	Drift  []string
	Broken []string
	// Unchecked lists the checks the last read could not make (the site
	// did not answer): no drift found there is not proof of none.
	Unchecked []string
}
