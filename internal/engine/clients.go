package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// siteCredentials are the credentials site name is reached with: when
// they name neither a clouds.yaml entry nor an auth URL, the site is the
// clouds.yaml entry of its name (the guide's Step 4).
func siteCredentials(name string, c Credentials) Credentials {
	if c.Cloud == "" && c.AuthURL == "" {
		c.Cloud = name
	}
	return c
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
	creds := siteCredentials(name, conn.Credentials)
	if creds.CloudsYAMLPath == "" {
		creds.CloudsYAMLPath = e.cfg.CloudsYAMLPath
	}
	var admin *Credentials
	if conn.Admin != nil {
		a := conn.Admin.WithSiteLocation(creds)
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

// ConfiguredArrayToken says whether the configuration gives a token for
// the FlashArray at url, however spelt: a policy whose own token is not kept
// in the state (write-only) relies on it in later runs.
func (e *Engine) ConfiguredArrayToken(url string) bool {
	for u, token := range e.cfg.ArrayTokens {
		if token != "" && CanonicalArrayURL(u) == CanonicalArrayURL(url) {
			return true
		}
	}
	return false
}

// array returns a FlashArray client for the endpoint, with the token taken
// from the endpoint, else from the configuration or an earlier operation.
func (e *Engine) array(ep ArrayEndpoint) (*flasharray.Client, error) {
	url := CanonicalArrayURL(ep.URL)
	e.mu.Lock()
	token := ep.APIToken
	if token == "" {
		token = e.tokens[url]
	} else {
		e.tokens[url] = token
	}
	key := url + "\x00" + token
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
		URL:            url,
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
	// The checks of a plan arrive together: one read answers them all.
	return share(ctx, e, e.typeReads, key, func() (*openstack.VolumeType, error) {
		vt, err := s.VolumeType(ctx, nameOrID)
		if err != nil {
			return nil, err
		}
		e.mu.Lock()
		e.types[key] = vt
		e.mu.Unlock()
		return vt, nil
	})
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
	// One login per array, however many spellings of its URL the
	// configuration holds: the tokens are keyed by the canonical URL.
	e.mu.Lock()
	tokens := maps.Clone(e.tokens)
	e.mu.Unlock()
	for url, token := range tokens {
		go func() {
			// Bounded like the sites': a login to an array that never
			// answers must not hold the array's login, and retry, past
			// the calls that wait for it.
			ctx, cancel := e.probe(ctx)
			defer cancel()
			if c, err := e.array(ArrayEndpoint{URL: url, APIToken: token}); err == nil {
				_, _ = e.arrayName(ctx, c, url)
			}
		}()
	}
}
