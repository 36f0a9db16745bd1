package engine

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// container is the object-storage container that holds, on each site, that
// site's copy of every group's metadata. Each version is its own object,
// written with If-None-Match: *, so two writers of the same version cannot
// both succeed: the version number is a compare-and-swap.
const container = "protector"

func siteObject(name string) string         { return "sites/" + name + ".json" }
func nameObject(name string) string         { return "names/" + name }
func groupPrefix(id string) string          { return "groups/" + id + "/" }
func versionPrefix(id string) string        { return groupPrefix(id) + "v/" }
func versionObject(id string, v int) string { return fmt.Sprintf("%s%010d", versionPrefix(id), v) }
func syncObject(id string) string           { return groupPrefix(id) + "sync.json" }
func logPrefix(id string) string            { return groupPrefix(id) + "log/" }
func pendingObject(id string) string        { return groupPrefix(id) + "pending.json" }
func pendingPolicyObject(id string) string  { return groupPrefix(id) + "pending-policy.json" }

// groupRecord is the group part of the metadata document.
type groupRecord struct {
	ID                        string    `json:"id"`
	Name                      string    `json:"name"`
	Description               string    `json:"description"`
	PrimarySite               string    `json:"primary_site"`
	SecondarySite             string    `json:"secondary_site"`
	ReplicationType           string    `json:"replication_type"`
	VolumeType                string    `json:"volume_type"`
	Status                    string    `json:"status"`
	FailoverCount             int       `json:"failover_count"`
	PrimaryConsistencyGroup   string    `json:"primary_consistency_group_id"`
	SecondaryConsistencyGroup string    `json:"secondary_consistency_group_id"`
	Backend                   string    `json:"backend,omitempty"`
	CreatedAt                 time.Time `json:"created_at"`
	// NetworkMappings and FlavorMappings map a primary-site network (name
	// or id) and flavor (name) to the secondary site's (format 2).
	NetworkMappings map[string]string `json:"network_mappings,omitempty"`
	FlavorMappings  map[string]string `json:"flavor_mappings,omitempty"`
}

// formatVersion is the format of the metadata documents this engine
// writes: 1 (no format_version field) has no recovery descriptions or
// resource mappings; 2 adds them. A reader takes every format up to its
// own and refuses a newer one, which a newer provider wrote.
const formatVersion = 2

// memberRecord is a member as the metadata document stores it; Member is
// the engine's view of it.
type memberRecord struct {
	ID           string    `json:"id"`
	InstanceID   string    `json:"instance_id"`
	InstanceName string    `json:"instance_name"`
	Status       string    `json:"status"`
	VolumeIDs    []string  `json:"volume_ids"`
	Error        string    `json:"error,omitempty"`
	AddedAt      time.Time `json:"added_at"`
	// Recovery is what the secondary needs to bring the VM up (format 2);
	// nil in documents written before it existed.
	Recovery *recoveryRecord `json:"recovery,omitempty"`
}

// api is the engine's view of a stored member.
func (r *memberRecord) api() Member {
	return Member{ID: r.ID, InstanceID: r.InstanceID, InstanceName: r.InstanceName, Status: r.Status,
		VolumeIDs: slices.Clone(r.VolumeIDs), Error: r.Error, AddedAt: r.AddedAt, Recovery: r.Recovery.api()}
}

// membersOf is the engine's view of a document's members.
func membersOf(d *document) []Member {
	out := make([]Member, 0, len(d.Members))
	for i := range d.Members {
		out = append(out, d.Members[i].api())
	}
	return out
}

// policyRecord is a replication policy as the metadata document stores
// it; PolicyRecord is the engine's view of it. Tokens are never part of it.
type policyRecord struct {
	PrimaryArrayURL     string `json:"primary_array_url"`
	SecondaryArrayURL   string `json:"secondary_array_url"`
	PrimaryArrayName    string `json:"primary_array_name"`
	SecondaryArrayName  string `json:"secondary_array_name"`
	PureGroupName       string `json:"pure_group_name"`
	ReplicationInterval int64  `json:"replication_interval_seconds,omitempty"`
	RPOMinutes          int64  `json:"rpo_minutes,omitempty"`
	// CreatedPureGroup records that the engine created the Pure protection
	// group (and so destroys it with the policy). Only versions before the
	// engine stopped creating Pure groups set it; it is kept so that their
	// policies still clean up after themselves.
	CreatedPureGroup bool `json:"created_pure_group"`
	// Changes are what the binding changed on the async Pure group it
	// found: unbinding undoes exactly these and leaves the group as the
	// Cinder driver (or the array's administrator) made it.
	Changes *pureGroupChangesRecord `json:"changes,omitempty"`
	// CreatedAt starts the RPO clock before the first snapshot arrives.
	CreatedAt time.Time `json:"created_at"`
}

// pureGroupChangesRecord is PureGroupChanges as the metadata document (and
// a failed binding's pending record) stores it.
type pureGroupChangesRecord struct {
	// AddedTarget: the secondary array was not a target of the group.
	AddedTarget bool `json:"added_target,omitempty"`
	// AllowedTarget: the secondary array was a target, not allowed.
	AllowedTarget bool `json:"allowed_target,omitempty"`
	// EnabledReplication: the replication schedule was disabled.
	EnabledReplication bool `json:"enabled_replication,omitempty"`
	// PriorFrequency is the replication frequency (ms) the group had
	// before the policy first changed it; 0 when unchanged.
	PriorFrequency int64 `json:"prior_frequency_ms,omitempty"`
}

// api is the engine's view of a stored policy; nil for nil.
func (r *policyRecord) api() *PolicyRecord {
	if r == nil {
		return nil
	}
	out := &PolicyRecord{PrimaryArrayURL: r.PrimaryArrayURL, SecondaryArrayURL: r.SecondaryArrayURL,
		PrimaryArrayName: r.PrimaryArrayName, SecondaryArrayName: r.SecondaryArrayName, PureGroupName: r.PureGroupName,
		ReplicationInterval: r.ReplicationInterval, RPOMinutes: r.RPOMinutes, CreatedPureGroup: r.CreatedPureGroup, CreatedAt: r.CreatedAt}
	if c := r.Changes; c != nil {
		out.Changes = &PureGroupChanges{AddedTarget: c.AddedTarget, AllowedTarget: c.AllowedTarget,
			EnabledReplication: c.EnabledReplication, PriorFrequency: c.PriorFrequency}
	}
	return out
}

// document is one version of a group's metadata, identical on both sites.
type document struct {
	// Format is the document's format version (formatVersion); 0 in
	// documents of format 1, which had no such field.
	Format     int            `json:"format_version,omitempty"`
	Version    int            `json:"version"`
	Checksum   string         `json:"checksum"`
	ModifiedAt time.Time      `json:"modified_at"`
	ModifiedBy string         `json:"modified_by_site"`
	Group      groupRecord    `json:"group"`
	Members    []memberRecord `json:"members"`
	Policy     *policyRecord  `json:"policy,omitempty"`

	// contentHash is the MD5 of the bytes this document was read from
	// (Swift's ETag); empty for a document not read from a site.
	contentHash string
	// damagedNewer says why the site's newer versions cannot be used, when
	// this document is not the newest object there; empty when it is.
	damagedNewer string
	// pushed is the sync record the change that wrote this document
	// recorded for its push; nil for a document read from a site.
	pushed *syncRecord
}

// syncRecord is the primary site's record of the last push to the peer.
type syncRecord struct {
	Status        string    `json:"status"`
	RemoteVersion int       `json:"remote_version"`
	LastSync      time.Time `json:"last_sync"`
	Error         string    `json:"error,omitempty"`
}

// syncLogRecord is a sync log entry as a log object stores it;
// SyncLogEntry is the engine's view of it.
type syncLogRecord struct {
	Version  int           `json:"version"`
	Time     time.Time     `json:"time"`
	Outcome  string        `json:"outcome"` // SYNCED, FAILED, UNREACHABLE, DRILL
	Duration time.Duration `json:"duration_ns"`
	Error    string        `json:"error,omitempty"`
}

// api is the engine's view of a stored entry. A conversion: the fields are
// the same today, and a renamed API field stops the build here rather than
// changing what is stored.
func (r syncLogRecord) api() SyncLogEntry { return SyncLogEntry(r) }

// syncLogObject is the body of a sync log object: one entry (a push of one
// version), or the entries of a push of several versions in one object, so
// that a batch of member changes writes one log object, not one per
// version.
type syncLogObject struct {
	syncLogRecord
	Entries []syncLogRecord `json:"entries,omitempty"`
}

// entries are the object's entries, newest version first.
func (o syncLogObject) entries() []SyncLogEntry {
	if len(o.Entries) == 0 {
		return []SyncLogEntry{o.api()}
	}
	out := make([]SyncLogEntry, 0, len(o.Entries))
	for _, r := range o.Entries {
		out = append(out, r.api())
	}
	slices.SortFunc(out, func(a, b SyncLogEntry) int { return b.Version - a.Version })
	return out
}

// logObject names a log object so that names sort by time.
func logObject(id string, at time.Time, version int) string {
	return fmt.Sprintf("%s%020d-%010d", logPrefix(id), at.UnixNano(), version)
}

// pendingRecord tracks a group being created, so that a create that failed
// half-way resumes with the consistency groups it already made.
type pendingRecord struct {
	ID                        string `json:"id"`
	PrimaryConsistencyGroup   string `json:"primary_consistency_group_id,omitempty"`
	SecondaryConsistencyGroup string `json:"secondary_consistency_group_id,omitempty"`
}

// checksum is the sha256 of the document with an empty checksum field.
func (d *document) checksum() string {
	c := *d
	c.Checksum = ""
	b, _ := json.Marshal(&c)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (d *document) clone() *document {
	b, _ := json.Marshal(d)
	var c document
	_ = json.Unmarshal(b, &c)
	return &c
}

func (d *document) member(idOrInstance string) (int, *memberRecord) {
	for i := range d.Members {
		if d.Members[i].ID == idOrInstance || d.Members[i].InstanceID == idOrInstance {
			return i, &d.Members[i]
		}
	}
	return -1, nil
}

func decodeDocument(b []byte) (*document, error) {
	var d document
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, &damagedError{fmt.Errorf("decode metadata: %w", err)}
	}
	if d.Version < 1 || d.Group.ID == "" {
		return nil, &damagedError{errors.New("decode metadata: document has no version or group id")}
	}
	if d.Format > formatVersion {
		return nil, &damagedError{fmt.Errorf("metadata version %d of group %s has format %d, newer than this provider reads (%d): upgrade the provider", d.Version, d.Group.ID, d.Format, formatVersion)}
	}
	if want := d.checksum(); d.Checksum != want {
		return nil, &damagedError{fmt.Errorf("metadata version %d of group %s: checksum %s does not match content (%s)", d.Version, d.Group.ID, d.Checksum, want)}
	}
	return &d, nil
}

// damagedError is a metadata object that was read but cannot be used: it
// does not decode, or its checksum does not match its content. Unlike a
// failed read, it says something about the copy itself.
type damagedError struct{ err error }

func (d *damagedError) Error() string { return d.err.Error() }
func (d *damagedError) Unwrap() error { return d.err }

func isDamaged(err error) bool {
	var d *damagedError
	return errors.As(err, &d)
}

// newestVersion is the newest version of a group on a site (0 when none),
// with the content hash the listing shows for it: two sites whose newest
// objects have one hash hold the same bytes, and neither needs reading to
// tell.
func newestVersion(ctx context.Context, s *openstack.Site, id string) (int, string, error) {
	infos, err := s.ListObjectInfo(ctx, container, versionPrefix(id))
	if err != nil {
		if errors.Is(err, openstack.ErrNotFound) {
			return 0, "", nil
		}
		return 0, "", err
	}
	latest, hash := 0, ""
	for _, o := range infos {
		v, err := strconv.Atoi(strings.TrimPrefix(o.Name, versionPrefix(id)))
		if err == nil && v > latest {
			latest, hash = v, o.Hash
		}
	}
	return latest, hash, nil
}

// listVersions lists the versions of a group on a site with the content
// hash of each; empty when the site holds none.
func listVersions(ctx context.Context, s *openstack.Site, id string) (map[int]string, error) {
	infos, err := s.ListObjectInfo(ctx, container, versionPrefix(id))
	if err != nil {
		if errors.Is(err, openstack.ErrNotFound) {
			return map[int]string{}, nil
		}
		return nil, err
	}
	out := make(map[int]string, len(infos))
	for _, o := range infos {
		if v, err := strconv.Atoi(strings.TrimPrefix(o.Name, versionPrefix(id))); err == nil && v > 0 {
			out[v] = o.Hash
		}
	}
	return out, nil
}

// readDocument reads the newest intact version of a group's metadata on a
// site; ErrNotFound when the site has none. Newer versions that are
// damaged are passed over and named in the document's damagedNewer (the
// refresh reports them as drift, the repair replaces them); when no version
// is intact, the newest one's damage is the error.
func readDocument(ctx context.Context, s *openstack.Site, id string) (*document, error) {
	held, err := listVersions(ctx, s, id)
	if err != nil {
		return nil, err
	}
	versions := slices.Sorted(maps.Keys(held))
	slices.Reverse(versions)
	var damaged []string
	var firstDamage error
	for _, v := range versions {
		d, err := readVersion(ctx, s, id, v)
		switch {
		case err == nil:
			d.damagedNewer = strings.Join(damaged, "; ")
			return d, nil
		case errors.Is(err, ErrNotFound):
		case isDamaged(err):
			damaged = append(damaged, fmt.Sprintf("version %d: %v", v, err))
			if firstDamage == nil {
				firstDamage = err
			}
		default:
			return nil, err
		}
	}
	if firstDamage != nil {
		return nil, firstDamage
	}
	return nil, ErrNotFound
}

// readVersion reads and checks one version of a group's metadata.
func readVersion(ctx context.Context, s *openstack.Site, id string, v int) (*document, error) {
	b, err := s.GetObject(ctx, container, versionObject(id, v))
	if err != nil {
		if errors.Is(err, openstack.ErrNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	d, err := decodeDocument(b)
	if err != nil {
		return nil, err
	}
	d.contentHash = md5Hex(b)
	return d, nil
}

// md5Hex is the content hash an object listing shows for bytes (Swift's
// ETag).
func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// encodeDocument stamps the document with this engine's format and its
// checksum and returns the bytes a site stores.
func encodeDocument(d *document) ([]byte, error) {
	d.Format = formatVersion
	d.Checksum = d.checksum()
	return json.MarshalIndent(d, "", "  ")
}

// writeDocument stores a version that must not exist yet on the site.
func writeDocument(ctx context.Context, s *openstack.Site, d *document) error {
	b, err := encodeDocument(d)
	if err != nil {
		return err
	}
	err = s.PutObject(ctx, container, versionObject(d.Group.ID, d.Version), b, openstack.PutObjectOpts{IfNoneMatch: true, ContentType: "application/json"})
	if err == nil {
		d.contentHash = md5Hex(b)
	}
	if errors.Is(err, openstack.ErrPreconditionFailed) {
		// The same version may already be there from an earlier push of the
		// same content; anything else is a concurrent writer.
		if existing, rerr := s.GetObject(ctx, container, versionObject(d.Group.ID, d.Version)); rerr == nil {
			if other, derr := decodeDocument(existing); derr == nil && other.Checksum == d.Checksum {
				d.contentHash = md5Hex(existing)
				return nil
			}
		}
		return &Error{Kind: KindConflict, Site: s.Name(), Object: d.Group.ID,
			Detail: fmt.Sprintf("metadata version %d of protection group %s was written by someone else first", d.Version, d.Group.Name),
			Fix:    "Another run changed this group at the same time; nothing of this change was recorded. Refresh and apply again.",
			Err:    err}
	}
	return err
}

// copyVersion copies one version of a group from one site to another as
// the bytes it is, after checking them: a restore never rebuilds a
// document. The version must not exist on the target, or exist there with
// the same content.
func copyVersion(ctx context.Context, from, to *openstack.Site, id string, v int) error {
	b, err := from.GetObject(ctx, container, versionObject(id, v))
	if err != nil {
		return err
	}
	d, err := decodeDocument(b)
	if err != nil {
		return err
	}
	put := func() error {
		return to.PutObject(ctx, container, versionObject(id, v), b, openstack.PutObjectOpts{IfNoneMatch: true, ContentType: "application/json"})
	}
	err = put()
	if errors.Is(err, openstack.ErrNotFound) {
		if err = to.EnsureContainer(ctx, container); err == nil {
			err = put()
		}
	}
	if errors.Is(err, openstack.ErrPreconditionFailed) {
		if other, rerr := readVersion(ctx, to, id, v); rerr == nil && other.Checksum == d.Checksum {
			return nil
		}
		return &Error{Kind: KindConflict, Site: to.Name(), Object: id,
			Detail: fmt.Sprintf("%s already holds another metadata version %d of protection group %s", to.Name(), v, d.Group.Name),
			Fix:    "Another run changed this group at the same time. Refresh and apply again.",
			Err:    err}
	}
	return err
}

// recordTimeout bounds the write of a record of what an operation made
// (a pending record): it must be written even when the operation's own time
// limit ran out, or the next run would not know what exists.
const recordTimeout = 30 * time.Second

// putRecord is putJSON for such a record: not cancelled with ctx.
func putRecord(ctx context.Context, s *openstack.Site, name string, v any) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return putJSON(ctx, s, name, v, false)
}

func putJSON(ctx context.Context, s *openstack.Site, name string, v any, ifNoneMatch bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.PutObject(ctx, container, name, b, openstack.PutObjectOpts{IfNoneMatch: ifNoneMatch, ContentType: "application/json"})
}

func getJSON(ctx context.Context, s *openstack.Site, name string, v any) error {
	b, err := s.GetObject(ctx, container, name)
	if err != nil {
		if errors.Is(err, openstack.ErrNotFound) {
			return ErrNotFound
		}
		return err
	}
	return json.Unmarshal(b, v)
}

// deletePrefix removes every object of a group on a site, a few at a time
// (a long-lived group has hundreds of versions). The newest version goes
// last: a delete cut short leaves the group readable as it was, never at an
// older version.
func deletePrefix(ctx context.Context, s *openstack.Site, prefix string) error {
	names, err := s.ListObjects(ctx, container, prefix)
	if err != nil && !errors.Is(err, openstack.ErrNotFound) {
		return err
	}
	sort.Strings(names)
	last := -1
	for i, n := range names {
		if strings.Contains(n, "/v/") {
			last = i
		}
	}
	remove := func(n string) error {
		if err := s.DeleteObject(ctx, container, n); err != nil && !errors.Is(err, openstack.ErrNotFound) {
			return err
		}
		return nil
	}
	var (
		mu       sync.Mutex
		firstErr error
		calls    []func()
	)
	for i, n := range names {
		if i == last {
			continue
		}
		calls = append(calls, func() {
			if err := remove(n); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	parallelN(fanOut, calls...)
	if firstErr != nil {
		return firstErr
	}
	if last >= 0 {
		return remove(names[last])
	}
	return nil
}

// newID returns prefix + a random (version 4) UUID.
func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s%s-%s-%s-%s-%s", prefix, h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
