// Package openstack is the client of one OpenStack site (Keystone, Nova,
// Cinder, Swift) on gophercloud v2. It speaks the wire and knows nothing of
// protection groups: the engine decides what the calls mean.
//
// A Site authenticates lazily, once, under a mutex, and re-authenticates
// transparently when a token expires (gophercloud AllowReauth). An optional
// admin credential gets its own Keystone session, used only for the reads
// Cinder and Nova hide from members (volume backend host, sensitive volume
// type extra specs, group specs, server root device); the results say whether
// that data was really seen (Volume.HostVisible, VolumeType.SpecsComplete,
// Server.RootDeviceVisible) instead of guessing.
package openstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	gcopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
)

// Defaults applied by New when the Config leaves a value at zero.
const (
	DefaultMaxRetries     = 4
	DefaultRetryWaitMin   = 250 * time.Millisecond
	DefaultRetryWaitMax   = 5 * time.Second
	DefaultRequestTimeout = 60 * time.Second
)

// Config describes one site.
type Config struct {
	// Name is the site's name in errors and logs (e.g. "site-a").
	Name        string
	Credentials Credentials
	// Admin, when set, is a second credential used only for admin-only
	// reads. Without it those fields are reported as not visible.
	Admin *Credentials

	// MaxRetries bounds the retries of a request: 429 (honouring
	// Retry-After) for any method; 502/503/504 and transport errors for
	// GET/HEAD and token requests. 0 means DefaultMaxRetries, < 0 none.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the exponential wait between
	// retries when the server sends no Retry-After (defaults 250 ms / 5 s).
	RetryWaitMin, RetryWaitMax time.Duration
	// RequestTimeout bounds each HTTP request (default 60 s; it overrides
	// HTTPClient.Timeout when set).
	RequestTimeout time.Duration
	// HTTPClient, optional, is copied; its Transport must be an
	// *http.Transport (or nil) when a CA file or insecure TLS is configured.
	HTTPClient *http.Client
	// Logger, optional, receives one entry per HTTP request (method, URL,
	// status, duration) and per retry. Never headers or bodies.
	Logger func(ctx context.Context, msg string, kv map[string]any)
	// UserAgent is prepended to gophercloud's.
	UserAgent string

	// getenv replaces os.Getenv in tests.
	getenv func(string) string
}

// Site is the client of one OpenStack site. It is safe for concurrent use.
type Site struct {
	name  string
	cfg   Config
	main  *session
	admin *session // nil without Config.Admin

	// transitions is how long the last wait for an object of a kind
	// from a status took (waitForStatus).
	transitionsMu sync.Mutex
	transitions   map[string]time.Duration
}

// session is one Keystone login and the service clients derived from it.
type session struct {
	site  *Site
	kind  string // "member" or "admin"
	creds *resolved
	http  http.Client

	// cur is the current login, read without locking (errors and logs
	// look up the token to redact it while mu may be held).
	cur atomic.Pointer[login]
	// loggingIn holds the one login under way; waiting for it ends with
	// the caller's context, so that a probe's deadline also bounds the wait
	// behind a login to a site that never answers.
	loggingIn chan struct{}
	// mu guards services.
	mu       sync.Mutex
	services map[string]*gophercloud.ServiceClient
}

// login is an authenticated provider client and the roles of its token.
type login struct {
	pc    *gophercloud.ProviderClient
	roles []string
}

// New checks the configuration and resolves credentials (clouds.yaml,
// environment) without any network call; the first API call authenticates.
func New(cfg Config) (*Site, error) {
	if cfg.Name == "" {
		return nil, errors.New("openstack: site name is empty")
	}
	if cfg.getenv == nil {
		cfg.getenv = os.Getenv
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = DefaultRetryWaitMin
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = DefaultRetryWaitMax
	}
	if cfg.RetryWaitMax < cfg.RetryWaitMin {
		cfg.RetryWaitMax = cfg.RetryWaitMin
	}
	s := &Site{name: cfg.Name, cfg: cfg}
	var err error
	if s.main, err = s.newSession("member", cfg.Credentials); err != nil {
		return nil, err
	}
	if cfg.Admin != nil {
		if s.admin, err = s.newSession("admin", *cfg.Admin); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Site) newSession(kind string, c Credentials) (*session, error) {
	label := ""
	if kind == "admin" {
		label = "admin"
	}
	r, err := resolveCredentials(s.name, label, c, s.cfg.getenv)
	if err != nil {
		return nil, err
	}
	hc, err := s.httpClient(r)
	if err != nil {
		what := fmt.Sprintf("openstack site %q", s.name)
		if label != "" {
			what += " (admin credentials)"
		}
		return nil, fmt.Errorf("%s: TLS settings from %s: %v; check cacert_file / insecure", what, r.source, err)
	}
	return &session{site: s, kind: kind, creds: r, http: hc, loggingIn: make(chan struct{}, 1)}, nil
}

// Name returns the site's name.
func (s *Site) Name() string { return s.name }

// AuthURL is the Keystone endpoint the site's credentials resolved to.
func (s *Site) AuthURL() string { return s.main.creds.auth.IdentityEndpoint }

// Region is the region the site's endpoints are taken from.
func (s *Site) Region() string { return s.main.creds.endpoint.Region }

// Authenticate logs in (once) with the main credential and, when configured,
// the admin one. Later calls return at once.
func (s *Site) Authenticate(ctx context.Context) error {
	if _, err := s.main.client(ctx); err != nil {
		return err
	}
	if s.admin != nil {
		if _, err := s.admin.client(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Services lists the service types present in the main credential's
// catalog (e.g. "compute", "volumev3", "object-store"), sorted.
func (s *Site) Services(ctx context.Context) ([]string, error) {
	pc, err := s.main.client(ctx)
	if err != nil {
		return nil, err
	}
	cr, ok := pc.GetAuthResult().(tokens.CreateResult)
	if !ok {
		return nil, s.errorf("read the service catalog", errors.New("no token catalog recorded"))
	}
	cat, err := cr.ExtractServiceCatalog()
	if err != nil {
		return nil, s.errorf("read the service catalog", err)
	}
	var types []string
	for _, e := range cat.Entries {
		if !slices.Contains(types, e.Type) {
			types = append(types, e.Type)
		}
	}
	sort.Strings(types)
	return types, nil
}

// HasAdmin reports whether admin-only data can be read: an admin credential
// is configured, or the main credential's token (once authenticated) carries
// the admin role.
func (s *Site) HasAdmin() bool {
	return s.admin != nil || s.main.hasAdminRole(false)
}

// reader returns the session for admin-only reads: the admin one when
// configured, else the main one (whose answers then lack the hidden fields).
func (s *Site) reader() *session {
	if s.admin != nil {
		return s.admin
	}
	return s.main
}

// client returns the authenticated provider client, logging in on first use.
// Concurrent first calls share one login; a failed login is not remembered,
// so the next call tries again.
func (ss *session) client(ctx context.Context) (*gophercloud.ProviderClient, error) {
	if l := ss.cur.Load(); l != nil {
		return l.pc, nil
	}
	select {
	case ss.loggingIn <- struct{}{}:
	case <-ctx.Done():
		return nil, ss.authError(ctx.Err())
	}
	defer func() { <-ss.loggingIn }()
	if l := ss.cur.Load(); l != nil {
		return l.pc, nil
	}
	pc, err := gcopenstack.NewClient(ss.creds.auth.IdentityEndpoint)
	if err != nil {
		return nil, ss.authError(err)
	}
	pc.HTTPClient = ss.http
	pc.UseTokenLock()
	if ua := ss.site.cfg.UserAgent; ua != "" {
		pc.UserAgent.Prepend(ua)
	}
	ss.site.installRetries(pc)
	if err := gcopenstack.Authenticate(ctx, pc, ss.creds.auth); err != nil {
		return nil, ss.authError(err)
	}
	l := &login{pc: pc}
	if cr, ok := pc.GetAuthResult().(tokens.CreateResult); ok {
		if roles, err := cr.ExtractRoles(); err == nil {
			for _, r := range roles {
				l.roles = append(l.roles, r.Name)
			}
		}
	}
	ss.mu.Lock()
	ss.services = map[string]*gophercloud.ServiceClient{}
	ss.mu.Unlock()
	ss.cur.Store(l)
	return pc, nil
}

func (ss *session) authError(err error) error {
	what := "authenticate at " + ss.creds.auth.IdentityEndpoint
	if ss.kind == "admin" {
		what += " with the admin credentials"
	}
	what += " (from " + ss.creds.source + ")"
	e := ss.site.wrap(what, err)
	var ae *APIError
	if errors.As(e, &ae) && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden) {
		return &siteError{msg: e.Error() + " (check the user, password or application credential, and the project)", err: e}
	}
	return e
}

// hasAdminRole reports whether the session's token carries the admin role.
// For the admin session a token without any role list is trusted to be what
// the operator said it is.
func (ss *session) hasAdminRole(trustAdminConfig bool) bool {
	l := ss.cur.Load()
	if l == nil {
		return false
	}
	if slices.ContainsFunc(l.roles, func(r string) bool { return strings.EqualFold(r, "admin") }) {
		return true
	}
	return trustAdminConfig && ss.kind == "admin" && len(l.roles) == 0
}

// Service kinds of serviceClient.
const (
	serviceCompute = "compute"
	serviceVolume  = "block-storage"
	serviceObject  = "object-store"
	serviceNetwork = "network"
)

// serviceClient returns the (cached) service client of a kind. Callers set
// microversions on a copy, never on the cached client.
func (ss *session) serviceClient(ctx context.Context, kind string) (*gophercloud.ServiceClient, error) {
	pc, err := ss.client(ctx)
	if err != nil {
		return nil, err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if sc, ok := ss.services[kind]; ok {
		return sc, nil
	}
	eo := ss.creds.endpoint
	var sc *gophercloud.ServiceClient
	switch kind {
	case serviceCompute:
		sc, err = gcopenstack.NewComputeV2(pc, eo)
	case serviceVolume:
		sc, err = gcopenstack.NewBlockStorageV3(pc, eo)
	case serviceObject:
		sc, err = gcopenstack.NewObjectStorageV1(pc, eo)
	case serviceNetwork:
		sc, err = gcopenstack.NewNetworkV2(pc, eo)
	default:
		return nil, fmt.Errorf("openstack: unknown service kind %q", kind)
	}
	if err != nil {
		var nf *gophercloud.ErrEndpointNotFound
		if errors.As(err, &nf) && kind == serviceNetwork {
			return nil, ErrNoNetworkService
		}
		if errors.As(err, &nf) {
			region := eo.Region
			if region == "" {
				region = "(any)"
			}
			return nil, ss.site.errorf("find the "+kind+" endpoint",
				fmt.Errorf("no %s endpoint with interface %s in region %s in the catalog; check region (OS_REGION_NAME) and that the service is deployed", kind, eo.Availability, region))
		}
		return nil, ss.site.wrap("find the "+kind+" endpoint", err)
	}
	ss.services[kind] = sc
	return sc, nil
}

// token returns the session's current token, if any (for redaction).
func (ss *session) token() string {
	l := ss.cur.Load()
	if l == nil {
		return ""
	}
	return l.pc.Token()
}

// secrets lists every value an error or log line must not show.
func (s *Site) secrets() []string {
	var out []string
	for _, ss := range []*session{s.main, s.admin} {
		if ss == nil {
			continue
		}
		out = append(out, ss.creds.secrets...)
		if t := ss.token(); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// projectQuery is the query that narrows a listing made with session r to
// the main credential's project: none for the main session, whose token is
// scoped to it; all_tenants with the project's id for the admin one (both
// Nova and Cinder take project_id from an admin only with all_tenants).
func (s *Site) projectQuery(ctx context.Context, r *session) (string, error) {
	if r != s.admin {
		return "", nil
	}
	pc, err := s.main.client(ctx)
	if err != nil {
		return "", err
	}
	cr, ok := pc.GetAuthResult().(tokens.CreateResult)
	if !ok {
		return "", errors.New("no token recorded for the main credential")
	}
	project, err := cr.ExtractProject()
	if err != nil || project == nil || project.ID == "" {
		return "", fmt.Errorf("the main credential's token names no project: %v", err)
	}
	return "?" + url.Values{"all_tenants": {"true"}, "project_id": {project.ID}}.Encode(), nil
}
