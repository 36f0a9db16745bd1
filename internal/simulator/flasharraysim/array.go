// Package flasharraysim is an in-process Pure Storage FlashArray speaking
// REST 2.x over HTTPS, for tests and the demo. It is a test instrument that
// behaves like the real array where the provider depends on it: version
// discovery, api-token login and x-auth-token sessions (401 when unknown or
// expired), list answers with continuation tokens, errors shaped as the
// array's {"errors":[{"context","message"}]} with 400 for unknown names,
// protection groups with schedules, targets that the target array must
// allow (where the group shows as <source>:<group>), snapshots replicated
// after a delay and on the replication schedule (so a replication lag can be
// measured), pods stretched across connected arrays, and eradication only
// after destruction. Each array's handler sits behind a fault.Injector.
// Every request and answer is checked against Pure's OpenAPI spec of REST
// 2.26 (openapi/); what it does not allow is kept in SpecMismatches.
//
// Time is the injected clock (Options.Now). Replication schedules are
// evaluated lazily, on every request and inspection, for the array and the
// arrays connected to it: a slot is replicated if the target is allowed and
// up when the slot is evaluated. Transfers complete AsyncDelay after they
// start; a stretched array resyncs for AsyncDelay, then is online.
//
// One lock (shared by all arrays) guards the state, because replication and
// stretched pods span two arrays in one operation.
package flasharraysim

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// worldMu guards the state of every array and the links between them:
// replication and stretched pods touch two arrays in one operation.
var worldMu sync.Mutex

// Options configure one array.
type Options struct {
	// Name is the array name (GET /arrays, <name>:<group> on targets).
	Name string
	// APITokens are accepted by POST /login.
	APITokens []string
	// Versions offered by GET /api/api_version; default 1.0..1.19 and
	// 2.0..2.26.
	Versions []string
	// AsyncDelay is how long a snapshot transfer or a pod resync takes;
	// default 0 (complete at once).
	AsyncDelay time.Duration
	// Now is the array's clock (default time.Now); scheduled snapshots and
	// transfers follow it, so tests can move time on.
	Now func() time.Time
	// PurityVersion reported by GET /arrays; default 6.5.3.
	PurityVersion string
}

// Array is one simulated FlashArray.
type Array struct {
	opts    Options
	faults  *fault.Injector
	handler http.Handler
	tls     *tlsMaterial

	srvMu sync.Mutex
	srv   *http.Server
	url   string

	// guarded by worldMu
	st       *State
	sessions map[string]bool

	specMu         sync.Mutex
	specMismatches []SpecMismatch
}

// DefaultVersions is what a Purity//FA 6.5-era array offers.
func DefaultVersions() []string {
	var v []string
	for i := 0; i <= 19; i++ {
		v = append(v, fmt.Sprintf("1.%d", i))
	}
	for i := 0; i <= 26; i++ {
		v = append(v, fmt.Sprintf("2.%d", i))
	}
	return v
}

// New makes an array (not yet serving).
func New(opts Options) *Array {
	if opts.Name == "" {
		opts.Name = "flasharray"
	}
	if len(opts.Versions) == 0 {
		opts.Versions = DefaultVersions()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PurityVersion == "" {
		opts.PurityVersion = "6.5.3"
	}
	a := &Array{opts: opts, faults: fault.New(), sessions: map[string]bool{}}
	a.st = newState(opts.Name, newID())
	a.handler = a.checkRequests(a.faults.Wrap(a.checkResponses(http.HandlerFunc(a.serve))))
	return a
}

// Start serves HTTPS on a free loopback port.
func (a *Array) Start() error { return a.StartOn("127.0.0.1:0") }

// StartOn serves HTTPS on addr ("" is a free loopback port). On an
// unspecified host (0.0.0.0, ::) the URL names 127.0.0.1, which the
// certificate covers.
func (a *Array) StartOn(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.srv != nil {
		return errors.New("flasharraysim: already started")
	}
	if a.tls == nil {
		m, err := newTLSMaterial(a.opts.Name)
		if err != nil {
			return err
		}
		a.tls = m
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("flasharraysim: listen on %s: %w", addr, err)
	}
	// HTTP/1.1 only: the fault injector drops connections by hijacking.
	cfg := &tls.Config{Certificates: []tls.Certificate{a.tls.serverCert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	a.srv = &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second,
		// Clients that reject the certificate make the server log handshake
		// errors; they are expected in tests.
		ErrorLog: log.New(io.Discard, "", 0)}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		_ = ln.Close()
		return fmt.Errorf("flasharraysim: %s is not a TCP address", ln.Addr())
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	a.url = "https://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
	srv := a.srv
	go func() { _ = srv.Serve(tls.NewListener(ln, cfg)) }()
	return nil
}

// URL is the array's base URL, https://127.0.0.1:PORT.
func (a *Array) URL() string {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	return a.url
}

// CACertPEM is the CA certificate that signed the server certificate.
func (a *Array) CACertPEM() []byte {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.tls == nil {
		m, err := newTLSMaterial(a.opts.Name)
		if err != nil {
			panic(err)
		}
		a.tls = m
	}
	return slices.Clone(a.tls.caPEM)
}

// Handler is the array's API, behind its fault injector.
func (a *Array) Handler() http.Handler { return a.handler }

// Faults is the array's fault injector.
func (a *Array) Faults() *fault.Injector { return a.faults }

// Name is the array name.
func (a *Array) Name() string { return a.opts.Name }

// Close stops serving.
func (a *Array) Close() {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.srv != nil {
		_ = a.srv.Close()
		a.srv = nil
	}
}

func (a *Array) now() time.Time { return a.opts.Now() }

// Connect connects two arrays both ways, connected, of type
// sync-replication (an ActiveCluster connection, which carries
// asynchronous replication too).
func Connect(a, b *Array) { ConnectType(a, b, "sync-replication") }

// ConnectType connects two arrays both ways with the given connection type
// (async-replication or sync-replication).
func ConnectType(a, b *Array, typ string) {
	worldMu.Lock()
	defer worldMu.Unlock()
	a.st.Connections[b.opts.Name] = &ConnectionState{Name: b.opts.Name, ID: b.st.ID, Status: "connected", Type: typ, peer: b}
	b.st.Connections[a.opts.Name] = &ConnectionState{Name: a.opts.Name, ID: a.st.ID, Status: "connected", Type: typ, peer: a}
}

// SetConnectionStatus sets the status of the connection between two
// arrays, both ways: connecting or partially_connected when the
// replication network between them fails, connected when it is back. Async
// snapshots do not replicate, and a stretched pod is offline on the other
// array, while it is not connected.
func SetConnectionStatus(a, b *Array, status string) {
	worldMu.Lock()
	defer worldMu.Unlock()
	for _, c := range []*ConnectionState{a.st.Connections[b.opts.Name], b.st.Connections[a.opts.Name]} {
		if c != nil {
			c.Status = status
		}
	}
}

// ExpireSessions invalidates every session token: the next call gets 401.
func (a *Array) ExpireSessions() {
	worldMu.Lock()
	defer worldMu.Unlock()
	a.sessions = map[string]bool{}
}

// Sessions counts the open sessions.
func (a *Array) Sessions() int {
	worldMu.Lock()
	defer worldMu.Unlock()
	return len(a.sessions)
}

// SessionTokens returns the open session tokens, for tests that check a
// client never leaks them.
func (a *Array) SessionTokens() []string {
	worldMu.Lock()
	defer worldMu.Unlock()
	return sortedKeys(a.sessions)
}

// Update runs f on the array's state under the simulator's lock.
func (a *Array) Update(f func(st *State)) {
	worldMu.Lock()
	defer worldMu.Unlock()
	f(a.st)
}

// AddVolume creates a volume. A name <pod>::<vol> puts it in that pod,
// created on this array if missing.
func (a *Array) AddVolume(name string, provisioned int64) {
	worldMu.Lock()
	defer worldMu.Unlock()
	if pod, ok := podOf(name); ok {
		p := a.st.Pods[pod]
		if p == nil {
			p = a.newPod(pod)
		}
		p.Volumes[name] = a.newVolume(name, provisioned)
		return
	}
	a.st.Volumes[name] = a.newVolume(name, provisioned)
}

// AddPod creates a pod on this array, stretched to the given arrays (which
// must be connected) and online on all of them.
func (a *Array) AddPod(name string, stretchTo ...*Array) {
	worldMu.Lock()
	defer worldMu.Unlock()
	p := a.st.Pods[name]
	if p == nil {
		p = a.newPod(name)
	}
	for _, b := range stretchTo {
		if !slices.ContainsFunc(p.Arrays, func(pa *PodArrayState) bool { return pa.Name == b.opts.Name }) {
			p.Arrays = append(p.Arrays, &PodArrayState{Name: b.opts.Name, ID: b.st.ID, array: b})
		}
		b.st.Pods[name] = p
	}
}

// Volume returns a volume by name.
func (a *Array) Volume(name string) (VolumeInfo, bool) {
	worldMu.Lock()
	defer worldMu.Unlock()
	v := a.volume(name)
	if v == nil {
		return VolumeInfo{}, false
	}
	info := VolumeInfo{ID: v.ID, Name: v.Name, Serial: v.Serial, Provisioned: v.Provisioned, Destroyed: v.Destroyed}
	if pod, ok := podOf(v.Name); ok {
		info.Pod = pod
	}
	for _, n := range sortedKeys(a.st.ProtectionGroups) {
		if slices.Contains(a.st.ProtectionGroups[n].Volumes, v.Name) {
			info.ProtectionGroups = append(info.ProtectionGroups, n)
		}
	}
	return info, true
}

// ProtectionGroup returns a local group, or a group replicated here by its
// name on this array (<source>:<group>).
func (a *Array) ProtectionGroup(name string) (ProtectionGroupInfo, bool) {
	worldMu.Lock()
	defer worldMu.Unlock()
	a.advanceAll()
	pg, src := a.findGroup(name)
	if pg == nil {
		return ProtectionGroupInfo{}, false
	}
	info := ProtectionGroupInfo{ID: pg.ID, Name: name, Destroyed: pg.Destroyed,
		ReplicationEnabled: pg.ReplicationEnabled, ReplicationFrequency: time.Duration(pg.ReplicationFrequency) * time.Millisecond,
		TargetRetention: pg.TargetRetention, Volumes: slices.Clone(pg.Volumes)}
	if src != nil {
		info.Source = src.opts.Name
	}
	for _, t := range pg.Targets {
		info.Targets = append(info.Targets, TargetInfo{Name: t.Name, Allowed: t.Allowed})
	}
	return info, true
}

// ProtectionGroups returns the local protection groups of this array by
// name, destroyed ones (pending eradication) included.
func (a *Array) ProtectionGroups() []ProtectionGroupInfo {
	var out []ProtectionGroupInfo
	var names []string
	a.Update(func(st *State) { names = sortedKeys(st.ProtectionGroups) })
	for _, n := range names {
		if info, ok := a.ProtectionGroup(n); ok {
			out = append(out, info)
		}
	}
	return out
}

// ProtectionGroupSnapshots returns the snapshots whose source is the group
// (its name on this array), oldest first, with their transfer state.
func (a *Array) ProtectionGroupSnapshots(group string) []SnapshotInfo {
	worldMu.Lock()
	defer worldMu.Unlock()
	a.advanceAll()
	var out []SnapshotInfo
	for _, s := range a.snapshotsOf(group) {
		started, completed, progress := a.transfer(s)
		out = append(out, SnapshotInfo{Name: s.Name, Source: s.Source, Created: s.Created, Started: started, Completed: completed, Progress: progress, Destroyed: s.Destroyed})
	}
	return out
}

// Pod returns a pod present on this array.
func (a *Array) Pod(name string) (PodInfo, bool) {
	worldMu.Lock()
	defer worldMu.Unlock()
	p := a.st.Pods[name]
	if p == nil {
		return PodInfo{}, false
	}
	info := PodInfo{ID: p.ID, Name: p.Name, Destroyed: p.Destroyed, Volumes: sortedKeys(p.Volumes)}
	for _, pa := range p.Arrays {
		info.Arrays = append(info.Arrays, PodArrayInfo{Name: pa.Name, Status: a.podArrayStatus(pa)})
	}
	return info, true
}

// Driver-side helpers: what the Cinder Pure driver does on the array when
// Cinder creates a group, changes its volumes or deletes it.

// CreateProtectionGroup creates an empty local protection group.
func (a *Array) CreateProtectionGroup(name string) error {
	worldMu.Lock()
	defer worldMu.Unlock()
	_, err := a.createGroup(name)
	return err.asError()
}

// AddProtectionGroupVolumes adds volumes to a local group (members already
// there are fine).
func (a *Array) AddProtectionGroupVolumes(group string, volumes ...string) error {
	worldMu.Lock()
	defer worldMu.Unlock()
	_, err := a.addGroupVolumes(group, volumes)
	if err != nil && err.allContain("already belongs") {
		return nil
	}
	return err.asError()
}

// RemoveProtectionGroupVolumes removes volumes from a local group (members
// not there are fine).
func (a *Array) RemoveProtectionGroupVolumes(group string, volumes ...string) error {
	worldMu.Lock()
	defer worldMu.Unlock()
	err := a.removeGroupVolumes(group, volumes)
	if err != nil && err.allContain("not a member") {
		return nil
	}
	return err.asError()
}

// DestroyVolume destroys a volume (pending eradication), as the driver
// does on volume delete with pure_eradicate_on_delete false (its default).
func (a *Array) DestroyVolume(name string) error {
	worldMu.Lock()
	defer worldMu.Unlock()
	v := a.volume(name)
	if v == nil {
		return notExist(name, "Volume").asError()
	}
	v.Destroyed = true
	return nil
}

// RenameVolume renames a volume, as the driver does when Cinder manages
// an existing one (volume-<id>-cinder).
func (a *Array) RenameVolume(name, newName string) error {
	worldMu.Lock()
	defer worldMu.Unlock()
	v := a.volume(name)
	if v == nil || v.Destroyed {
		return notExist(name, "Volume").asError()
	}
	return a.renameVolume(v, newName).asError()
}

// ResizeVolume sets a volume's provisioned size, as the driver does on
// volume extend.
func (a *Array) ResizeVolume(name string, provisioned int64) error {
	worldMu.Lock()
	defer worldMu.Unlock()
	v := a.volume(name)
	if v == nil || v.Destroyed {
		return notExist(name, "Volume").asError()
	}
	v.Provisioned = provisioned
	return nil
}

// DestroyProtectionGroup destroys a local group (pending eradication), as
// the driver does on group delete.
func (a *Array) DestroyProtectionGroup(name string) error {
	worldMu.Lock()
	defer worldMu.Unlock()
	pg := a.st.ProtectionGroups[name]
	if pg == nil {
		return notExist(name, "Protection group").asError()
	}
	pg.Destroyed = true
	return nil
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func newToken() string { return newID() }

func newSerial() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func (a *Array) newVolume(name string, provisioned int64) *VolumeState {
	return &VolumeState{ID: newID(), Name: name, Serial: newSerial(), Provisioned: provisioned, Created: a.now()}
}

func (a *Array) newPod(name string) *PodState {
	p := &PodState{ID: newID(), Name: name, Created: a.now(), Volumes: map[string]*VolumeState{},
		Arrays: []*PodArrayState{{Name: a.opts.Name, ID: a.st.ID, array: a}}}
	a.st.Pods[name] = p
	return p
}
