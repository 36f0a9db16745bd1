package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// Logger receives the engine's log lines. The provider adapts it to tflog.
// Fields never carry secrets.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Engine is safe for concurrent use by the resources of one provider.
type Engine struct {
	cfg Config
	now func() time.Time

	mu           sync.Mutex
	sites        map[string]*openstack.Site
	arrays       map[string]*flasharray.Client // by url + "\x00" + token
	tokens       map[string]string             // url -> token seen in this process
	groupSites   map[string]string             // group id -> primary site
	groupWhere   map[string][]string           // group id -> the sites the state says it lives on
	groupLocks   map[string]chan struct{}
	memberQueues map[string][]*memberChange         // group id -> changes waiting for its lock
	probes       map[string]*sharedRead[struct{}]   // site -> shared reachability check of the plan-time checks
	reads        map[string]*sharedRead[*groupRead] // shared reads of a group's metadata
	plannedReads map[string]*sharedRead[*groupRead] // shared reads of a planned group (nil: not created yet)
	types        map[string]*openstack.VolumeType   // site + "\x00" + name or id
	arrayNames   map[string]string                  // url -> the array's own name
	planned      map[string]*plannedGroup           // group id -> a group a plan of this process proposes (planned.go)
	backends     map[string]*backendClaim           // group id -> the backend of the first member planned into it
	instances    map[string]*instanceRead           // site + "\x00" + instance id -> a member check's read, for its add
	expected     map[string]map[string]time.Time    // group id -> instance id -> when its check started (its add may follow)
	drills       map[string]bool                    // drill ids this process read or started (drill.go)
}

// New returns an engine; it makes no network call until first used.
func New(cfg Config) *Engine {
	tokens := map[string]string{}
	for url, token := range cfg.ArrayTokens {
		tokens[url] = token
	}
	return &Engine{
		cfg:          cfg,
		now:          func() time.Time { return time.Now().UTC() },
		sites:        map[string]*openstack.Site{},
		arrays:       map[string]*flasharray.Client{},
		tokens:       tokens,
		groupSites:   map[string]string{},
		groupWhere:   map[string][]string{},
		groupLocks:   map[string]chan struct{}{},
		memberQueues: map[string][]*memberChange{},
		probes:       map[string]*sharedRead[struct{}]{},
		reads:        map[string]*sharedRead[*groupRead]{},
		plannedReads: map[string]*sharedRead[*groupRead]{},
		types:        map[string]*openstack.VolumeType{},
		arrayNames:   map[string]string{},
		planned:      map[string]*plannedGroup{},
		backends:     map[string]*backendClaim{},
		instances:    map[string]*instanceRead{},
		expected:     map[string]map[string]time.Time{},
		drills:       map[string]bool{},
	}
}

func (e *Engine) debug(ctx context.Context, msg string, fields map[string]any) {
	if e.cfg.Logger != nil {
		e.cfg.Logger.Debug(ctx, msg, fields)
	}
}

// site returns the client of a site, creating it on first use. A site the
// configuration does not list is reached through the clouds.yaml entry of
// its name (the guide's Step 4).
func (e *Engine) site(name string) (*openstack.Site, error) {
	if name == "" {
		return nil, &Error{Kind: KindInvalid, Detail: "a site name is empty"}
	}
	e.mu.Lock()
	s, ok := e.sites[name]
	e.mu.Unlock()
	if ok {
		return s, nil
	}
	conn := e.cfg.Sites[name]
	creds := conn.Credentials
	if creds.Cloud == "" && creds.AuthURL == "" {
		creds.Cloud = name
	}
	if creds.CloudsYAMLPath == "" {
		creds.CloudsYAMLPath = e.cfg.CloudsYAMLPath
	}
	var admin *Credentials
	if conn.Admin != nil {
		a := *conn.Admin
		if a.CloudsYAMLPath == "" {
			a.CloudsYAMLPath = e.cfg.CloudsYAMLPath
		}
		admin = &a
	}
	cfg := openstack.Config{
		Name:           name,
		Credentials:    creds,
		Admin:          admin,
		MaxRetries:     e.clientRetries(),
		RetryWaitMin:   e.cfg.RetryWaitMin,
		RetryWaitMax:   e.cfg.RetryWaitMax,
		RequestTimeout: e.cfg.RequestTimeout,
		UserAgent:      e.cfg.UserAgent,
	}
	if e.cfg.Logger != nil {
		cfg.Logger = func(ctx context.Context, msg string, kv map[string]any) { e.cfg.Logger.Debug(ctx, msg, kv) }
	}
	// Built outside the lock: reading clouds.yaml and the TLS settings must
	// not hold up the other site's and the arrays' first requests.
	s, err := openstack.New(cfg)
	if _, configured := e.cfg.Sites[name]; err != nil && !configured && errors.Is(err, openstack.ErrNoCloudsEntry) {
		return nil, &Error{Kind: KindUnknownSite, Site: name,
			Detail: fmt.Sprintf("site %q is not configured in the provider's sites and has no clouds.yaml entry of that name: %v", name, err),
			Fix: fmt.Sprintf("Configure site %q in the provider's sites, or add a clouds.yaml entry named %q (the file is the provider's "+
				"clouds_yaml argument, else OS_CLIENT_CONFIG_FILE, else ./clouds.yaml, ~/.config/openstack/clouds.yaml or "+
				"/etc/openstack/clouds.yaml); or correct the site name", name, name),
			Err: err}
	}
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Site: name, Detail: err.Error(),
			Fix: fmt.Sprintf("Configure site %q in the provider's sites, or add a clouds.yaml entry named %q", name, name), Err: err}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if first, ok := e.sites[name]; ok {
		// Another caller built it meanwhile: one client per site, so its
		// token is shared.
		return first, nil
	}
	e.sites[name] = s
	return s, nil
}

// clientRetries is MaxRetries as the clients take it: they read 0 as their
// default and a negative number as none.
func (e *Engine) clientRetries() int {
	if e.cfg.MaxRetries <= 0 {
		return -1
	}
	return e.cfg.MaxRetries
}

// DefaultReachabilityTimeout is how long a site has to answer a
// reachability check unless Config.ReachabilityTimeout says otherwise: a
// few round trips (a login, a listing) take well under a second on a
// healthy site, even across a WAN.
const DefaultReachabilityTimeout = 10 * time.Second

func (e *Engine) reachabilityTimeout() time.Duration {
	if e.cfg.ReachabilityTimeout > 0 {
		return e.cfg.ReachabilityTimeout
	}
	return DefaultReachabilityTimeout
}

// probe bounds a check that a site answers: ReachabilityTimeout, and a
// transport failure (a refused connection) is the answer, not retried.
func (e *Engine) probe(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(openstack.Probing(ctx), e.reachabilityTimeout())
}

// Prewarm authenticates to every configured site and array in the
// background. A run's first reads then find a token (and the array's REST
// version, session and name) ready: those round trips overlap OpenTofu's
// own start-up instead of standing first in every refresh chain. A failure
// is left for the first real call to meet and report.
func (e *Engine) Prewarm(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for name := range e.cfg.Sites {
		go func() {
			// Bounded like a probe: a login to a site that never answers
			// must not hold the site's login, and retry, past the checks
			// that wait for it.
			ctx, cancel := e.probe(ctx)
			defer cancel()
			if s, err := e.site(name); err == nil {
				_ = s.Authenticate(ctx)
			}
		}()
	}
	for url, token := range e.cfg.ArrayTokens {
		go func() {
			if c, err := e.array(ArrayEndpoint{URL: url, APIToken: token}); err == nil {
				_, _ = e.arrayName(ctx, c, url)
			}
		}()
	}
}

// knownSites are the sites where a group is searched for by id.
func (e *Engine) knownSites() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	set := map[string]bool{}
	for name := range e.cfg.Sites {
		set[name] = true
	}
	for name := range e.sites {
		set[name] = true
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// array returns a FlashArray client for the endpoint, with the token taken
// from the endpoint, else from the configuration or an earlier operation.
func (e *Engine) array(ep ArrayEndpoint) (*flasharray.Client, error) {
	e.mu.Lock()
	token := ep.APIToken
	if token == "" {
		token = e.tokens[ep.URL]
	} else {
		e.tokens[ep.URL] = token
	}
	key := ep.URL + "\x00" + token
	c, ok := e.arrays[key]
	e.mu.Unlock()
	if token == "" {
		return nil, &Error{Kind: KindArray, Object: ep.URL,
			Detail: fmt.Sprintf("no API token is known for FlashArray %s", ep.URL),
			Fix:    "Give the token in the replication policy or in the provider's flasharrays block"}
	}
	if ok {
		return c, nil
	}
	// Built outside the lock: the first load of the system's CA roots takes
	// tens of milliseconds, which the sites' first requests must not wait for.
	c, err := flasharray.New(flasharray.Config{
		URL:            ep.URL,
		APIToken:       token,
		CACertPEM:      e.cfg.ArrayCACertPEM,
		Insecure:       e.cfg.ArrayInsecure,
		RetryMax:       e.clientRetries(),
		RetryWaitMin:   e.cfg.RetryWaitMin,
		RetryWaitMax:   e.cfg.RetryWaitMax,
		RequestTimeout: e.cfg.RequestTimeout,
		UserAgent:      e.cfg.UserAgent,
	})
	if err != nil {
		return nil, &Error{Kind: KindArray, Object: ep.URL, Detail: err.Error(), Err: err}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if first, ok := e.arrays[key]; ok {
		return first, nil
	}
	e.arrays[key] = c
	return c, nil
}

// groupLock serialises changes to one group inside this process: the
// consistency group accepts one membership change at a time, and the
// metadata version must advance by one per change.
func (e *Engine) groupLock(id string) func() {
	l := e.groupSemaphore(id)
	l <- struct{}{}
	return func() { <-l }
}

// groupSemaphore is the group's lock as a channel (holding it: a value
// sent), so that a waiter can also wait for something else.
func (e *Engine) groupSemaphore(id string) chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	l, ok := e.groupLocks[id]
	if !ok {
		l = make(chan struct{}, 1)
		e.groupLocks[id] = l
	}
	return l
}

func (e *Engine) rememberGroupSite(id, site string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.groupSites[id] = site
}

// Locate records where the state says a group lives (its primary and
// secondary site): a refresh looks there first, so that a configuration
// that reaches its sites only through clouds.yaml (no `sites` map) finds
// its groups in a fresh process. Empty names are ignored.
func (e *Engine) Locate(id string, sites ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range sites {
		if s != "" && !slices.Contains(e.groupWhere[id], s) {
			e.groupWhere[id] = append(e.groupWhere[id], s)
		}
	}
}

// searchSites are the sites asked for a group, in order: its primary site
// when known, the sites the state names, then every other known site.
func (e *Engine) searchSites(id string) []string {
	e.mu.Lock()
	var out []string
	if p, ok := e.groupSites[id]; ok {
		out = append(out, p)
	}
	for _, s := range e.groupWhere[id] {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	e.mu.Unlock()
	rest := e.knownSites()
	if len(e.cfg.Sites) == 0 {
		// Without a sites map the sites are the clouds.yaml entries named
		// after them (the guide's Step 4): an apply that adds a member to
		// an existing group reads nothing else that names its sites, so
		// the entries are asked last, in order, until one holds the group.
		names, _ := openstack.CloudNames(e.cfg.CloudsYAMLPath)
		rest = append(rest, names...)
	}
	for _, s := range rest {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// loadGroup reads the newest metadata of a group from its primary site.
// ErrNotFound only when a site answered that it holds no metadata of the
// group and none failed to answer: a group nobody could be asked about is
// an error, so that a refresh never drops it from the state.
func (e *Engine) loadGroup(ctx context.Context, id string) (*document, *openstack.Site, error) {
	return e.loadGroupFrom(ctx, id, nil)
}

// loadGroupFrom is loadGroup that does not ask the sites in skip (sites a
// reachability check found silent): a read that must answer within seconds
// does not wait for them again.
func (e *Engine) loadGroupFrom(ctx context.Context, id string, skip map[string]bool) (*document, *openstack.Site, error) {
	e.mu.Lock()
	primary := e.groupSites[id]
	e.mu.Unlock()
	names := e.searchSites(id)
	if len(names) == 0 {
		return nil, nil, &Error{Kind: KindInvalid, Object: id,
			Detail: fmt.Sprintf("no site is known where protection group %s lives: the provider configures no sites and nothing in this run named the group's sites", id),
			Fix:    "Nothing was changed. Configure the sites in the provider's sites map, or keep the group's primary_site and secondary_site in the state (a resource that names its group's sites)"}
	}
	var lastErr error
	for _, name := range names {
		if skip[name] {
			continue
		}
		s, err := e.site(name)
		if err != nil {
			lastErr = err
			continue
		}
		d, err := readDocument(ctx, s, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			lastErr = e.cloudError(name, "read the metadata of group "+id, err)
			if name == primary {
				// The primary's copy is the truth: another site's may be
				// older.
				return nil, nil, lastErr
			}
			continue
		}
		if d.Group.PrimarySite != name && !skip[d.Group.PrimarySite] {
			ps, perr := e.site(d.Group.PrimarySite)
			if perr == nil {
				pd, rerr := readDocument(ctx, ps, id)
				switch {
				case rerr == nil:
					d, s = pd, ps
				case skip == nil && openstack.IsUnreachable(rerr):
					// The group's primary does not answer. Its callers
					// inspect the site returned as the primary: this copy,
					// inspected on name, would report the primary's
					// consistency group, VMs and volumes as gone. Say the
					// primary is unreachable instead. (Readiness, which
					// passes skip, knows the copy is not the primary's.)
					return nil, nil, e.cloudError(d.Group.PrimarySite, "read the metadata of group "+id, rerr)
				}
			}
		}
		e.rememberGroupSite(id, d.Group.PrimarySite)
		return d, s, nil
	}
	if lastErr != nil {
		return nil, nil, lastErr
	}
	return nil, nil, ErrNotFound
}

// cloudError wraps an OpenStack failure, naming unreachable sites the way
// the guide does.
func (e *Engine) cloudError(site, doing string, err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, ErrNotFound) {
		return err
	}
	if openstack.IsUnreachable(err) {
		return &Error{Kind: KindUnreachable, Site: site,
			Detail: fmt.Sprintf("site %s could not be reached to %s: %v", site, doing, err),
			Fix:    fmt.Sprintf("Nothing was changed. Check that %s is up and reachable (the guide's `site validate %s`), then run again", site, site),
			Err:    err}
	}
	return &Error{Kind: KindCloud, Site: site, Detail: fmt.Sprintf("could not %s on site %s: %v", doing, site, err), Err: err}
}

func (e *Engine) arrayError(url, doing string, err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return err
	}
	if flasharray.IsUnreachable(err) {
		return &Error{Kind: KindArray, Object: url,
			Detail: fmt.Sprintf("FlashArray %s could not be reached to %s: %v", url, doing, err),
			Fix:    "Check the array's management URL and network, then run again", Err: err}
	}
	return &Error{Kind: KindArray, Object: url, Detail: fmt.Sprintf("could not %s on FlashArray %s: %v", doing, url, err), Err: err}
}

// reachable checks that a site answers (token and object store), the
// guide's precondition for any change, within the reachability timeout.
func (e *Engine) reachable(ctx context.Context, name string) (*openstack.Site, error) {
	s, err := e.site(name)
	if err != nil {
		return nil, err
	}
	pctx, cancel := e.probe(ctx)
	defer cancel()
	if err := s.Authenticate(pctx); err != nil {
		return nil, e.probeError(ctx, name, "authenticate at its Keystone "+s.AuthURL(), err)
	}
	// A token from earlier in the run proves nothing about now: ask the
	// object store, which holds the metadata a change must write.
	if _, err := s.ListObjects(pctx, container, siteObject(name)); err != nil && !errors.Is(err, openstack.ErrNotFound) {
		return nil, e.probeError(ctx, name, "list its object store's container "+container, err)
	}
	return s, nil
}

// probeError is cloudError for a reachability check: a site that let the
// check's deadline pass did not answer, whatever the transport says.
func (e *Engine) probeError(ctx context.Context, site, doing string, err error) error {
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindUnreachable, Site: site,
			Detail: fmt.Sprintf("site %s did not answer within %s (the provider's reachability_timeout) when asked to %s: %v", site, e.reachabilityTimeout(), doing, err),
			Fix: fmt.Sprintf("Nothing was changed. Check that %s is up and reachable (the guide's `site validate %s`), then run again; "+
				"if it is up but slow, raise reachability_timeout", site, site),
			Err: err}
	}
	return e.cloudError(site, doing, err)
}

// bothReachable checks both sites at once (they are independent round
// trips) and returns the secondary's client.
func (e *Engine) bothReachable(ctx context.Context, primary, secondary string) (*openstack.Site, error) {
	var (
		s          *openstack.Site
		perr, serr error
	)
	parallel(
		func() { _, perr = e.reachable(ctx, primary) },
		func() { s, serr = e.reachable(ctx, secondary) },
	)
	if perr != nil {
		return nil, perr
	}
	if serr != nil {
		return nil, peerUnreachable(secondary, serr)
	}
	return s, nil
}

// modify applies a change to a group: it checks that both sites answer
// before anything changes, runs change on a copy of the newest metadata
// (change does the cloud and array work and edits the copy), writes the copy
// as version N+1 on the primary site and pushes it to the secondary.
func (e *Engine) modify(ctx context.Context, id string, change func(d *document, primary, secondary *openstack.Site) error) (*document, error) {
	unlock := e.groupLock(id)
	defer unlock()
	return e.modifyLocked(ctx, id, change)
}

// modifyLocked is modify for a caller that holds the group's lock.
func (e *Engine) modifyLocked(ctx context.Context, id string, change func(d *document, primary, secondary *openstack.Site) error) (*document, error) {
	return e.modifySteps(ctx, id, func(d *document, primary, secondary *openstack.Site) ([]*document, error) {
		return nil, change(d, primary, secondary)
	})
}

// modifySteps is modifyLocked for changes made together that each count
// as a version of their own: change edits the final document and returns
// the states before it, one per change; each is written as the next
// version and pushed, so that both sites hold every version. Versions stay
// one per change, whatever the batching: the numbers an apply ends at do
// not depend on how OpenTofu's parallel creates met.
//
// The change starts from the newest complete document of both sites
// (reconcile): a version the peer already holds is never written again with
// other content.
func (e *Engine) modifySteps(ctx context.Context, id string, change func(d *document, primary, secondary *openstack.Site) ([]*document, error)) (*document, error) {
	cur, primary, err := e.loadGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	secondary, err := e.bothReachable(ctx, cur.Group.PrimarySite, cur.Group.SecondarySite)
	if err != nil {
		return nil, err
	}
	defer e.forget(id)
	if cur, err = e.reconcile(ctx, cur, primary, secondary); err != nil {
		return nil, err
	}
	next := cur.clone()
	steps, err := change(next, primary, secondary)
	if err != nil {
		return nil, err
	}
	docs := append(steps, next)
	for i, d := range docs {
		d.Version = cur.Version + 1 + i
		d.ModifiedAt = e.now()
		d.ModifiedBy = cur.Group.PrimarySite
	}
	// The versions before the last are written side by side (a batch of a
	// hundred members is a hundred versions: one after the other they
	// would cost a hundred round trips), the last one once they all are:
	// the newest version on the site always has every version before it.
	errs := make([]error, len(docs)-1)
	var writes []func()
	for i, d := range docs[:len(docs)-1] {
		writes = append(writes, func() { errs[i] = writeDocument(ctx, primary, d) })
	}
	parallelN(fanOut, writes...)
	for _, err := range errs {
		if err != nil {
			return nil, e.cloudError(primary.Name(), "write metadata", err)
		}
	}
	if err := writeDocument(ctx, primary, next); err != nil {
		return nil, e.cloudError(primary.Name(), "write metadata", err)
	}
	if err := e.push(ctx, primary, secondary, docs...); err != nil {
		return nil, err
	}
	return next, nil
}

// push copies versions to the secondary site, side by side, and records
// the outcome of each in the sync log and of all in the sync record on the
// primary. A push that did not arrive leaves the group visibly out of sync
// (the next refresh shows the drift and an apply repairs it); it is not an
// error. The secondary holding another document at a version pushed is: the
// sites disagree, and that is returned.
func (e *Engine) push(ctx context.Context, primary, secondary *openstack.Site, docs ...*document) error {
	if len(docs) == 0 {
		return nil
	}
	id := docs[0].Group.ID
	start := e.now()
	errs := make([]error, len(docs))
	took := make([]time.Duration, len(docs))
	calls := make([]func(), 0, len(docs))
	for i, d := range docs {
		calls = append(calls, func() {
			// The container exists but on a peer that never held a group:
			// create it only when the write says it is missing.
			err := writeDocument(ctx, secondary, d.clone())
			if errors.Is(err, openstack.ErrNotFound) {
				if err = secondary.EnsureContainer(ctx, container); err == nil {
					err = writeDocument(ctx, secondary, d.clone())
				}
			}
			errs[i], took[i] = err, e.now().Sub(start)
		})
	}
	parallelN(fanOut, calls...)

	last := docs[len(docs)-1]
	rec := syncRecord{Status: SyncSynced, RemoteVersion: last.Version, LastSync: start}
	var conflict error
	calls = calls[:0]
	entries := make([]SyncLogEntry, 0, len(docs))
	for i, d := range docs {
		entry := SyncLogEntry{Version: d.Version, Time: start, Outcome: SyncSynced, Duration: took[i]}
		if err := errs[i]; err != nil {
			entry.Outcome, entry.Error = SyncFailed, err.Error()
			if openstack.IsUnreachable(err) {
				entry.Outcome = SyncUnreachable
			}
			if IsKind(err, KindConflict) && conflict == nil {
				conflict = err
			}
			if rec.Status == SyncSynced || entry.Outcome == SyncUnreachable {
				rec = syncRecord{Status: entry.Outcome, Error: entry.Error, LastSync: start}
			}
			e.debug(ctx, "metadata push failed", map[string]any{"group": id, "version": d.Version, "error": entry.Error})
		}
		entries = append(entries, entry)
	}
	// One log object for the push, however many versions it carried.
	var logged any = entries[0]
	if len(entries) > 1 {
		logged = struct {
			Entries []SyncLogEntry `json:"entries"`
		}{entries}
	}
	calls = append(calls, func() { _ = putJSON(ctx, primary, logObject(id, start, last.Version), logged, false) })
	if rec.Status != SyncSynced {
		if v, err := latestVersion(ctx, secondary, id); err == nil {
			rec.RemoteVersion = v
		}
	}
	calls = append(calls, func() { _ = putJSON(ctx, primary, syncObject(id), rec, false) })
	parallelN(fanOut, calls...)
	if conflict != nil {
		return &Error{Kind: KindConflict, Site: secondary.Name(), Object: last.Group.Name,
			Detail: fmt.Sprintf("the change is recorded on %s as metadata version %d, but %s already holds another document at a version pushed: "+
				"the two sites now disagree", primary.Name(), last.Version, secondary.Name()),
			Fix: "Another run changed this group on the peer at the same time. Run a plan: the group's drift says which site holds what; " +
				"delete the wrong copy as it says, then apply again",
			Err: conflict}
	}
	return nil
}

// recentlyReachable is reachable for plan-time checks: OpenTofu plans many
// members at once, and one check of a site answers for all of them. Changes
// use reachable, which always asks.
func (e *Engine) recentlyReachable(ctx context.Context, name string) error {
	_, err := share(ctx, e, e.probes, name, func() (struct{}, error) {
		_, err := e.reachable(ctx, name)
		return struct{}{}, err
	})
	return err
}

// bothRecentlyReachable is bothReachable for plan-time checks.
func (e *Engine) bothRecentlyReachable(ctx context.Context, primary, secondary string) error {
	var perr, serr error
	parallel(
		func() { perr = e.recentlyReachable(ctx, primary) },
		func() { serr = e.recentlyReachable(ctx, secondary) },
	)
	if perr != nil {
		return perr
	}
	if serr != nil {
		return peerUnreachable(secondary, serr)
	}
	return nil
}

func peerUnreachable(site string, err error) error {
	var ee *Error
	if errors.As(err, &ee) && ee.Kind == KindUnreachable {
		return &Error{Kind: KindUnreachable, Site: site,
			Detail: fmt.Sprintf("peer site %s is unreachable, and a change to a protection group needs both sites so that their metadata cannot diverge: %s", site, ee.Detail),
			Fix:    fmt.Sprintf("Nothing was changed. Wait for %s to recover (check it with the guide's `site validate %s`), then run again", site, site),
			Err:    err}
	}
	return err
}

// poll calls done until it reports true, starting fast and backing off (20
// ms doubling to 1 s): asynchronous states usually settle in moments.
func poll(ctx context.Context, done func() (bool, error)) error {
	wait := 20 * time.Millisecond
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if wait *= 2; wait > time.Second {
			wait = time.Second
		}
	}
}

// readReuse is how long a read of a group's metadata serves further reads.
// A refresh reads every member of a group within moments; one read of the
// group serves them all. Changes always read afresh.
const readReuse = 5 * time.Second

// groupRead is one read of a group's metadata and sync record.
type groupRead struct {
	doc  *document
	site *openstack.Site
	sync *syncRecord
	in   *inspection
}

// readGroup returns a group's newest metadata for reading only: callers
// must not change the document. Callers that arrive while a read runs, and
// for readReuse after, share it.
func (e *Engine) readGroup(ctx context.Context, id string) (*groupRead, error) {
	return share(ctx, e, e.reads, id, func() (*groupRead, error) {
		r := &groupRead{}
		var err error
		if r.doc, r.site, err = e.loadGroup(ctx, id); err != nil {
			return nil, err
		}
		parallel(
			func() {
				var rec syncRecord
				if err := getJSON(ctx, r.site, syncObject(id), &rec); err == nil {
					r.sync = &rec
				}
			},
			func() { r.in = e.inspect(ctx, r.doc, r.site) },
		)
		if r.in.peer.newer != nil {
			// The primary lost its newest copy: by the repair rule the
			// secondary's is the group's metadata (drift says so).
			r.doc = r.in.peer.newer
		}
		return r, nil
	})
}

// sharedRead is one read that several callers share.
type sharedRead[T any] struct {
	done chan struct{}
	at   time.Time
	val  T
	err  error
}

// share returns what fetch reads for key: one read serves the callers that
// arrive while it runs, and for readReuse after it succeeded. A failed read
// is not kept.
func share[T any](ctx context.Context, e *Engine, reads map[string]*sharedRead[T], key string, fetch func() (T, error)) (T, error) {
	e.mu.Lock()
	if r, ok := reads[key]; ok {
		e.mu.Unlock()
		select {
		case <-r.done:
			if r.err == nil && e.now().Sub(r.at) < readReuse {
				return r.val, nil
			}
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		e.mu.Lock()
		if reads[key] == r {
			delete(reads, key)
		}
		e.mu.Unlock()
		return share(ctx, e, reads, key, fetch)
	}
	r := &sharedRead[T]{done: make(chan struct{})}
	reads[key] = r
	e.mu.Unlock()
	r.val, r.err = fetch()
	r.at = e.now()
	close(r.done)
	if r.err != nil {
		e.mu.Lock()
		if reads[key] == r {
			delete(reads, key)
		}
		e.mu.Unlock()
	}
	return r.val, r.err
}

// forget drops the shared read of a group after a change.
func (e *Engine) forget(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.reads, id)
	delete(e.plannedReads, id)
}

// volumeType reads a volume type once per engine: every member check needs
// the group's type, and types do not change within one run.
func (e *Engine) volumeType(ctx context.Context, s *openstack.Site, nameOrID string) (*openstack.VolumeType, error) {
	key := s.Name() + "\x00" + nameOrID
	e.mu.Lock()
	vt, ok := e.types[key]
	e.mu.Unlock()
	if ok {
		return vt, nil
	}
	vt, err := s.VolumeType(ctx, nameOrID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.types[key] = vt
	e.mu.Unlock()
	return vt, nil
}

// parallel runs independent calls side by side and returns when all have:
// a refresh waits for the slowest round trip, not for their sum.
func parallel(calls ...func()) {
	parallelN(len(calls), calls...)
}

// parallelN is parallel with at most n calls running at once, for the
// calls that come by the hundred (one per volume or per object).
func parallelN(n int, calls ...func()) {
	slots := make(chan struct{}, max(n, 1))
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			call()
		}()
	}
	wg.Wait()
}

// fanOut bounds the requests in flight to one site or array when a change
// makes one per object.
const fanOut = 8
