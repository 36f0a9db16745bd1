// Package openstacksim is one OpenStack site as an in-process HTTP server:
// Keystone v3, Nova, Cinder v3 and Swift, path-based like devstack
// (/identity/v3, /compute/v2.1, /volume/v3/{project_id},
// /object-store/v1/AUTH_{project_id}), and network (/networking) and image
// (/image) endpoints with nothing in them.
//
// It is a test instrument, so it copies the real services where a client
// can tell the difference: status codes, JSON shapes and error bodies,
// microversion negotiation, what a member may see compared with an admin
// (extra specs, backend host, group specs, root device), and the rules
// cinder/group/api.py enforces on group membership. Group changes are
// asynchronous as in Cinder (creating, updating, deleting) and reach a
// Backend, the hooks through which the World models the Pure driver.
//
// The whole handler sits behind a fault.Injector, so tests can make the
// site slow, failing or unreachable.
package openstacksim

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// DefaultAsyncDelay is how long a group stays creating, updating or
// deleting when Options.AsyncDelay is zero.
const DefaultAsyncDelay = 50 * time.Millisecond

// Microversion bounds of the simulated services.
const (
	CinderMinVersion = "3.0"
	CinderMaxVersion = "3.71"
	NovaMinVersion   = "2.1"
	NovaMaxVersion   = "2.96"
)

// TokenLifetime is how long an issued Keystone token is valid.
const TokenLifetime = time.Hour

// Options configure one site.
type Options struct {
	// Name of the site (used in logs and default backend names).
	Name string
	// Region of every catalog endpoint (default RegionOne).
	Region string
	// AsyncDelay is how long group transitions take (creating->available,
	// updating->available, deleting->gone) and a server deletion. Zero means
	// DefaultAsyncDelay; a negative value makes them complete at once (still
	// after the 202 has been written).
	AsyncDelay time.Duration
	// Transitions set single transitions apart from AsyncDelay (zero: as
	// AsyncDelay), so that a benchmark can take a real cloud's times.
	Transitions Transitions
	// Addr is where Start listens (default 127.0.0.1:0).
	Addr string
	// TLSCertificate, when set, makes the site serve HTTPS with it (and
	// its URLs https://); otherwise it serves plain HTTP.
	TLSCertificate *tls.Certificate
}

// Site is one simulated OpenStack cloud. It is safe for concurrent use.
type Site struct {
	opts    Options
	faults  *fault.Injector
	handler http.Handler

	mu      sync.Mutex
	st      *State
	backend Backend
	closed  bool
	seq     int // creation order, for created_at and stable sorting

	srvMu sync.Mutex
	srv   *http.Server
	ln    net.Listener
	url   string
	// refusing is the address of the port SetRefusing closed.
	refusing string
}

// Backend models the volume driver behind Cinder's volume service: the
// World sets it to reproduce what the Pure driver does on the array. Every
// hook is optional and runs outside the site's lock, in the asynchronous
// part of the operation (as the volume manager calls the driver).
type Backend struct {
	// Host is where the scheduler places new groups (host@backend#pool).
	// Default "<site name>@default#default".
	Host string
	// OnGroupCreate runs while the group is "creating". An error leaves it
	// in status "error".
	OnGroupCreate func(g Group) error
	// OnGroupVolumes runs while the group is "updating", with the volume IDs
	// being added and removed. An error puts the group and those volumes in
	// status "error", as cinder's volume manager does.
	OnGroupVolumes func(g Group, added, removed []string) error
	// OnGroupDelete runs while the group is "deleting". An error leaves the
	// group in status "error".
	OnGroupDelete func(g Group) error
	// OnVolumeCreate runs while a volume created through the API is
	// "creating"; the metadata it returns is added to the volume's (the
	// Pure driver's array_volume_name). An error leaves it in "error".
	OnVolumeCreate func(v Volume) (map[string]string, error)
	// OnVolumeDelete runs while a volume is "deleting". An error leaves it
	// in "error_deleting".
	OnVolumeDelete func(v Volume) error
	// OnVolumeManage runs while a volume being managed is "managing": it
	// takes over the backend object ref names and returns its size (GiB)
	// and the metadata to add (the Pure driver's array_volume_name). An
	// error (a bad reference) leaves the volume in "error_managing"; with
	// no OnVolumeManage every reference is bad.
	OnVolumeManage func(v Volume, ref map[string]any) (int, map[string]string, error)
	// OnVolumeExtend runs while a volume is "extending" to newSize GiB. An
	// error leaves it in "error_extending".
	OnVolumeExtend func(v Volume, newSize int) error
}

// State is the whole site, for out-of-band changes through Update (drift
// tests). Maps are keyed by ID.
type State struct {
	Projects    map[string]*Project
	Users       map[string]*User
	AppCreds    map[string]*ApplicationCredential
	Tokens      map[string]*Token
	VolumeTypes map[string]*VolumeType
	GroupTypes  map[string]*GroupType
	Volumes     map[string]*Volume
	Servers     map[string]*Server
	Flavors     map[string]*Flavor
	Groups      map[string]*Group
	// VolumeServices are the cinder-volume services, by host@backend
	// (cinder_services.go).
	VolumeServices map[string]*VolumeService
	// Containers are keyed "<account>/<container>" (account = project ID).
	Containers map[string]*Container
	// Networks and Ports are Neutron's (neutron.go); a site without any
	// answers every collection empty, as the real lane's stub does.
	Networks map[string]*Network
	Ports    map[string]*Port
	// CinderQuotas are the projects' Cinder quotas (one set for every
	// project); Cinder's defaults unless a test or SetCinderQuota changes
	// them.
	CinderQuotas map[string]int
	// ComputeQuotas are Nova's, the same way (SetComputeQuota).
	ComputeQuotas map[string]int
}

// Project is a Keystone project in domain Default.
type Project struct {
	ID, Name string
}

// User is a Keystone user in domain Default with roles per project ID.
type User struct {
	ID, Name, Password string
	Roles              map[string][]string // project ID -> role names
}

// ApplicationCredential belongs to a user and is scoped to its project.
type ApplicationCredential struct {
	ID, Name, Secret string
	UserID           string
	ProjectID        string
	Roles            []string
}

// Token is an issued Keystone token.
type Token struct {
	ID        string
	UserID    string
	ProjectID string // empty for an unscoped token
	Roles     []string
	Methods   []string
	AppCredID string
	IssuedAt  time.Time
	ExpiresAt time.Time
	Expired   bool // set by ExpireTokens or revocation
}

// VolumeType is a Cinder volume type.
type VolumeType struct {
	ID, Name, Description string
	IsPublic              bool
	ExtraSpecs            map[string]string
}

// GroupType is a Cinder group type.
type GroupType struct {
	ID, Name, Description string
	IsPublic              bool
	GroupSpecs            map[string]string
}

// Volume is a Cinder volume. In AddVolume, Project and Type may be given by
// name or ID; they are stored as the project ID and the type name (TypeID
// holds the type's ID).
type Volume struct {
	ID          string
	Name        string
	Description string
	Project     string
	Type        string
	TypeID      string
	Host        string // host@backend#pool, admin-only in the API
	Size        int    // GiB
	Bootable    bool
	SourceVolID string // the volume it was cloned from
	Status      string // default "available"; "in-use" once attached
	Metadata    map[string]string
	GroupID     string
	// ReplicationStatus defaults to "enabled" for a type with
	// replication_enabled '<is> True', else "disabled".
	ReplicationStatus string
	Attachments       []VolumeAttachment
	CreatedAt         time.Time
}

// VolumeAttachment is one attachment of a volume to a server.
type VolumeAttachment struct {
	ID         string // attachment ID
	ServerID   string
	Device     string
	AttachedAt time.Time
}

// Server is a Nova server. Volumes are attached at AddServer (the volumes
// become in-use); a boot-from-volume server has an empty image.
type Server struct {
	ID             string
	Name           string
	Project        string
	Status         string // default ACTIVE
	Volumes        []Attachment
	RootDeviceName string // default: the first attachment's device
	Host           string // compute host, admin-only
	CreatedAt      time.Time
	Deleting       bool
	// FlavorID is the flavor booted with; empty shows m1.small (id "2").
	FlavorID string
	Metadata map[string]string
	// Tags are the server's tags (shown from microversion 2.26).
	Tags []string
	// KeyName is the key pair booted with; empty shows null.
	KeyName string
	// AvailabilityZone is OS-EXT-AZ:availability_zone; empty shows "nova".
	AvailabilityZone string
}

// Attachment is a volume attached to a server at a device.
type Attachment struct {
	VolumeID string
	Device   string
	// AttachmentID is Cinder's attachment ID (generated when empty).
	AttachmentID string
	// BDMUUID is Nova's block device mapping UUID (generated when empty).
	BDMUUID string
	// DeleteOnTermination as in the block device mapping.
	DeleteOnTermination bool
}

// Group is a Cinder generic volume group. Its member volumes are the
// volumes whose GroupID is the group's ID.
type Group struct {
	ID                string
	Name              string
	Description       string
	Project           string
	Status            string
	GroupTypeID       string
	VolumeTypeIDs     []string
	Host              string
	AvailabilityZone  string
	ReplicationStatus string
	CreatedAt         time.Time
	// VolumeIDs is filled in copies returned by Group and Groups.
	VolumeIDs []string
}

// Container is a Swift container.
type Container struct {
	Account  string
	Name     string
	Metadata map[string]string
	Objects  map[string]*Object
	Created  time.Time
}

// Object is a Swift object.
type Object struct {
	Name         string
	Data         []byte
	ContentType  string
	ETag         string
	Metadata     map[string]string // X-Object-Meta-<Key> without the prefix
	LastModified time.Time
}

// New makes a site (not yet serving).
func New(opts Options) *Site {
	if opts.Name == "" {
		opts.Name = "site"
	}
	if opts.Region == "" {
		opts.Region = "RegionOne"
	}
	if opts.AsyncDelay == 0 {
		opts.AsyncDelay = DefaultAsyncDelay
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s := &Site{
		opts:   opts,
		faults: fault.New(),
		st: &State{
			Projects:       map[string]*Project{},
			Users:          map[string]*User{},
			AppCreds:       map[string]*ApplicationCredential{},
			Tokens:         map[string]*Token{},
			VolumeTypes:    map[string]*VolumeType{},
			GroupTypes:     map[string]*GroupType{},
			Volumes:        map[string]*Volume{},
			Servers:        map[string]*Server{},
			Flavors:        map[string]*Flavor{},
			Groups:         map[string]*Group{},
			VolumeServices: map[string]*VolumeService{},
			Containers:     map[string]*Container{},
			Networks:       map[string]*Network{},
			Ports:          map[string]*Port{},
			CinderQuotas:   maps.Clone(cinderQuotaLimits),
			ComputeQuotas:  maps.Clone(novaQuotaLimits),
		},
	}
	// Every Cinder deployment has this type since Train.
	s.AddVolumeType("__DEFAULT__", nil)
	// Cinder's schema migrations create this group type (seen on Zed).
	s.AddGroupType("default_cgsnapshot_type", map[string]string{"consistent_group_snapshot_enabled": "<is> True"})
	s.mu.Lock()
	for _, vt := range s.st.VolumeTypes {
		vt.Description = "Default Volume Type"
	}
	for _, gt := range s.st.GroupTypes {
		gt.Description = "Default group type for migrating cgsnapshot"
	}
	s.mu.Unlock()
	s.handler = s.faults.Wrap(http.HandlerFunc(s.serve))
	return s
}

// Start serves HTTP on Options.Addr.
func (s *Site) Start() error { return s.StartOn(s.opts.Addr) }

// StartOn serves HTTP (HTTPS with Options.TLSCertificate) on addr
// (host:port; port 0 picks a free one).
func (s *Site) StartOn(addr string) error {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.srv != nil {
		return fmt.Errorf("openstacksim: site %s already started", s.opts.Name)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("openstacksim: site %s: %w", s.opts.Name, err)
	}
	s.listen(ln)
	return nil
}

// listen serves on ln; the caller holds srvMu.
func (s *Site) listen(ln net.Listener) {
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	if c := s.opts.TLSCertificate; c != nil {
		s.url = "https://" + ln.Addr().String()
		// HTTP/1.1 only: the fault injector drops connections by hijacking.
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*c}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12})
		// Clients that reject the certificate make the server log handshake
		// errors; tests expect them.
		s.srv.ErrorLog = log.New(io.Discard, "", 0)
	}
	srv := s.srv
	go func() { _ = srv.Serve(ln) }()
}

// Close stops the server and any pending asynchronous transition.
func (s *Site) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.srv != nil {
		_ = s.srv.Close()
	}
}

// SetRefusing closes the site's port, so that connections to it are
// refused (a host that is up with its API service stopped), or opens it
// again on the same address. The site's state is kept.
func (s *Site) SetRefusing(refuse bool) error {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.srv == nil {
		return fmt.Errorf("openstacksim: site %s not started", s.opts.Name)
	}
	if refuse {
		if s.refusing == "" {
			s.refusing = s.ln.Addr().String()
			_ = s.srv.Close()
		}
		return nil
	}
	if s.refusing == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.refusing)
	if err != nil {
		return fmt.Errorf("openstacksim: site %s: open %s again: %w", s.opts.Name, s.refusing, err)
	}
	s.refusing = ""
	s.listen(ln)
	return nil
}

// Name is the site's name.
func (s *Site) Name() string { return s.opts.Name }

// Region is the region of the site's endpoints.
func (s *Site) Region() string { return s.opts.Region }

// URL is http://127.0.0.1:PORT, or https:// with a TLS certificate (empty
// before Start).
func (s *Site) URL() string {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	return s.url
}

// AuthURL is the Keystone v3 endpoint clients authenticate against.
func (s *Site) AuthURL() string { return s.URL() + "/identity/v3" }

// Faults is the injector in front of the whole site.
func (s *Site) Faults() *fault.Injector { return s.faults }

// Handler is the site's handler, already behind Faults().
func (s *Site) Handler() http.Handler { return s.handler }

// SetBackend installs the volume driver hooks.
func (s *Site) SetBackend(b Backend) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.backend = b
}

// Update runs f on the site's state under its lock: out-of-band changes
// such as an operator removing a volume from a group by hand.
func (s *Site) Update(f func(st *State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.st)
}

// ExpireTokens makes every issued token invalid: the next call with one
// gets 401 and the client must authenticate again.
func (s *Site) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.st.Tokens {
		t.Expired = true
	}
}

func (s *Site) groupHost() string {
	if s.backend.Host != "" {
		return s.backend.Host
	}
	return s.opts.Name + "@default#default"
}

// nextTime gives each created object a distinct, increasing timestamp so
// "newest first" orderings are stable. Called with mu held.
func (s *Site) nextTime() time.Time {
	s.seq++
	return time.Now().UTC().Truncate(time.Second).Add(time.Duration(s.seq) * time.Microsecond)
}

// Transitions are how long single asynchronous transitions take; zero
// leaves one at the site's AsyncDelay, a negative value completes it at
// once.
type Transitions struct {
	GroupCreate  time.Duration // group creating -> available
	GroupUpdate  time.Duration // group updating -> available (add_volumes, remove_volumes)
	GroupDelete  time.Duration // group deleting -> gone
	VolumeAttach time.Duration // volume attaching -> in-use (Nova's attach)
	VolumeManage time.Duration // volume managing -> available (Cinder's manage-existing)
	ServerBuild  time.Duration // server BUILD -> ACTIVE
}

// after runs f after the site's async delay unless the site is closed.
func (s *Site) after(f func()) { s.afterDelay(0, f) }

// afterDelay is after with a transition's own delay (zero: AsyncDelay).
func (s *Site) afterDelay(d time.Duration, f func()) {
	if d == 0 {
		d = s.opts.AsyncDelay
	}
	if d < 0 {
		d = 0
	}
	time.AfterFunc(d, func() {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if !closed {
			f()
		}
	})
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// newHex returns a random 32-character hex ID (Keystone's ID format).
func newHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b[:])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
