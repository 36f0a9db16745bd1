package flasharray

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// Config says how to reach and authenticate to one array.
type Config struct {
	// URL of the array's management address, e.g. https://array.example.com
	// (a bare host gets https://).
	URL      string
	APIToken string

	// CACertPEM is added to the system roots; Insecure skips verification.
	CACertPEM []byte
	Insecure  bool

	// RetryMax bounds retries of 429, 5xx and transport errors per request:
	// 0 means the default (4), a negative value turns retries off.
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between
	// retries (defaults 500ms and 15s). A Retry-After header wins, up to 60s.
	RetryWaitMin, RetryWaitMax time.Duration
	// RequestTimeout bounds one attempt of one request (default 60s).
	RequestTimeout time.Duration

	// Logger receives the transport's debug and error lines (method and URL
	// only, never a header). Nil logs nothing.
	Logger    retryablehttp.LeveledLogger
	UserAgent string

	// PageSize, when positive, is sent as `limit` on list calls that page
	// with continuation_token. Zero lets the array choose.
	PageSize int
}

const (
	defaultRetryMax       = 4
	defaultRetryWaitMin   = 500 * time.Millisecond
	defaultRetryWaitMax   = 15 * time.Second
	defaultRequestTimeout = 60 * time.Second
	maxRetryAfter         = 60 * time.Second
	maxResponseBytes      = 32 << 20

	// MinVersion is the oldest REST version the client accepts: it is the
	// first one with /array-connections (Purity//FA 6.1).
	MinVersion = "2.4"
	// MaxVersion is the newest REST version the client was written against.
	MaxVersion = "2.26"
)

// Client talks to one array. It is safe for concurrent use.
type Client struct {
	cfg     Config
	baseURL string // scheme://host[:port], no trailing slash
	http    *retryablehttp.Client
	log     retryablehttp.LeveledLogger

	// loggingIn holds the one login (or logout) under way; waiting for it
	// ends with the caller's context, so that a call's deadline also bounds
	// the wait behind a login to an array that never answers.
	loggingIn chan struct{}
	// mu guards version and session; it is never held over a request.
	mu      sync.Mutex
	version string // negotiated, e.g. "2.26"
	session string // x-auth-token
}

// New checks the configuration and builds a client. It makes no network
// call: the version is negotiated and the session opened on first use.
func New(cfg Config) (*Client, error) {
	raw := strings.TrimSpace(cfg.URL)
	if raw == "" {
		return nil, errors.New("flasharray: the array URL is empty")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("flasharray: %q is not a valid array URL", cfg.URL)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("flasharray: array URL %q must use https", cfg.URL)
	}
	if cfg.APIToken == "" {
		return nil, fmt.Errorf("flasharray: no API token given for %s", u.Host)
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = defaultRetryMax
	} else if cfg.RetryMax < 0 {
		cfg.RetryMax = 0
	}
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = defaultRetryWaitMin
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = defaultRetryWaitMax
	}
	if cfg.RetryWaitMax < cfg.RetryWaitMin {
		cfg.RetryWaitMax = cfg.RetryWaitMin
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultRequestTimeout
	}

	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.Insecure} //nolint:gosec // opt-in
	if len(cfg.CACertPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(cfg.CACertPEM) {
			return nil, errors.New("flasharray: the CA certificate holds no PEM certificate")
		}
		tlsCfg.RootCAs = pool
	}
	transport := cleanhttp.DefaultPooledTransport()
	transport.TLSClientConfig = tlsCfg

	c := &Client{cfg: cfg, baseURL: u.Scheme + "://" + u.Host, log: cfg.Logger, loggingIn: make(chan struct{}, 1)}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: transport, Timeout: cfg.RequestTimeout}
	rc.RetryMax = cfg.RetryMax
	rc.RetryWaitMin = cfg.RetryWaitMin
	rc.RetryWaitMax = cfg.RetryWaitMax
	rc.CheckRetry = checkRetry
	rc.Backoff = backoff
	// The last response (or error) comes back to us, so a 5xx that outlived
	// the retries is parsed into an APIError with the array's message.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	// retryablehttp logs method and URL only; headers (tokens) never reach it.
	if cfg.Logger != nil {
		rc.Logger = cfg.Logger
	} else {
		rc.Logger = nil
	}
	rc.RequestLogHook = countAttempt
	c.http = rc
	return c, nil
}

// URL returns the array's base URL.
func (c *Client) URL() string { return c.baseURL }

// APIVersion returns the negotiated REST version, empty before the first call.
func (c *Client) APIVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// checkRetry retries transport errors (not certificate errors), 429 and 5xx
// except 501; never other statuses.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if isCertError(err) {
			return false, nil
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return true, nil
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return true, nil
	}
	return false, nil
}

// backoff honours Retry-After on 429 and 503 (capped), else grows
// exponentially between min and max.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(d, maxRetryAfter)
		}
	}
	return retryablehttp.DefaultBackoff(minWait, maxWait, attempt, nil)
}

// retryAfter parses Retry-After: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

type attemptsKey struct{}

// countAttempt counts the attempts of a request in its context. It logs
// nothing: the request carries the tokens in its headers.
func countAttempt(_ retryablehttp.Logger, req *http.Request, _ int) {
	if n, ok := req.Context().Value(attemptsKey{}).(*int); ok {
		*n++
	}
}

// response is a read and closed HTTP response.
type response struct {
	status   int
	header   http.Header
	body     []byte
	attempts int
}

// send makes one logical request (with retries). apiPath is the full path
// from /api; header may carry tokens and is never logged.
func (c *Client) send(ctx context.Context, method, apiPath string, query url.Values, header http.Header, body any) (*response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("flasharray: encoding %s %s: %w", method, apiPath, err)
		}
	}
	target := c.baseURL + apiPath
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	attempts := 0
	ctx = context.WithValue(ctx, attemptsKey{}, &attempts)
	var reqBody any
	if payload != nil {
		reqBody = payload
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, target, reqBody)
	if err != nil {
		return nil, fmt.Errorf("flasharray: building %s %s: %w", method, apiPath, err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if resp != nil {
			_ = resp.Body.Close()
		}
		if isCertError(err) {
			return nil, &TLSError{URL: c.baseURL, Err: unwrapURLError(err)}
		}
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(ctxErr, context.Canceled) {
			return nil, fmt.Errorf("flasharray: %s %s: %w", method, apiPath, ctxErr)
		}
		return nil, &UnreachableError{Method: method, Path: apiPath, Attempts: max(attempts, 1), Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, &UnreachableError{Method: method, Path: apiPath, Attempts: max(attempts, 1), Err: err}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data, attempts: max(attempts, 1)}, nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL
// with its query; the method and path are in our own error already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ensureSession returns the negotiated version and the open session,
// logging in first when none is open.
func (c *Client) ensureSession(ctx context.Context) (version, session string, err error) {
	c.mu.Lock()
	version, session = c.version, c.session
	c.mu.Unlock()
	if session != "" {
		return version, session, nil
	}
	return c.login(ctx, "")
}

// relogin opens a new session unless another caller already replaced the
// stale one.
func (c *Client) relogin(ctx context.Context, stale string) (string, error) {
	_, session, err := c.login(ctx, stale)
	return session, err
}

// login negotiates the version and opens a session unless one other than
// stale is open. Concurrent callers share one login; a failed login is not
// remembered, so the next call tries again.
func (c *Client) login(ctx context.Context, stale string) (version, session string, err error) {
	if err := c.waitLogin(ctx); err != nil {
		return "", "", err
	}
	defer func() { <-c.loggingIn }()
	c.mu.Lock()
	version, session = c.version, c.session
	if session == stale {
		// Calls meanwhile wait for the new session instead of sending
		// the stale one to be refused.
		c.session = ""
	}
	c.mu.Unlock()
	if session != "" && session != stale {
		return version, session, nil
	}
	if version == "" {
		if version, err = c.negotiate(ctx); err != nil {
			return "", "", err
		}
		c.mu.Lock()
		c.version = version
		c.mu.Unlock()
		if c.log != nil {
			c.log.Debug("flasharray: negotiated REST version", "url", c.baseURL, "version", version)
		}
	}
	if session, err = c.openSession(ctx, version); err != nil {
		return "", "", err
	}
	c.mu.Lock()
	c.session = session
	c.mu.Unlock()
	return version, session, nil
}

// waitLogin takes the place of the login under way, once it ends. A caller
// whose context ends first gets what send gives for a context that ends
// during the login itself: a cancellation as such, a deadline as an array
// that did not answer in time (the login under way being the unanswered
// attempt).
func (c *Client) waitLogin(ctx context.Context) error {
	select {
	case c.loggingIn <- struct{}{}:
		return nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	version := c.version
	c.mu.Unlock()
	method, path := http.MethodPost, "/api/"+version+"/login"
	if version == "" {
		method, path = http.MethodGet, pathAPIVersion
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("flasharray: %s %s: %w", method, path, ctx.Err())
	}
	return &UnreachableError{Method: method, Path: path, Attempts: 1, Err: ctx.Err()}
}

// openSession logs in with the API token and returns the session token.
func (c *Client) openSession(ctx context.Context, version string) (string, error) {
	path := "/api/" + version + "/login"
	resp, err := c.send(ctx, http.MethodPost, path, nil, http.Header{"api-token": {c.cfg.APIToken}}, nil)
	if err != nil {
		return "", err
	}
	if resp.status/100 != 2 {
		ae := parseAPIError(http.MethodPost, path, resp.status, resp.body, resp.attempts)
		if ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden {
			return "", fmt.Errorf("flasharray: login to %s refused, check the API token: %w", c.baseURL, ae)
		}
		return "", ae
	}
	token := resp.header.Get("x-auth-token")
	if token == "" {
		return "", fmt.Errorf("flasharray: login to %s returned no x-auth-token header", c.baseURL)
	}
	return token, nil
}

// pathAPIVersion lists the REST versions the array offers.
const pathAPIVersion = "/api/api_version"

// negotiate picks the highest 2.x the array offers, up to MaxVersion.
func (c *Client) negotiate(ctx context.Context) (string, error) {
	resp, err := c.send(ctx, http.MethodGet, pathAPIVersion, nil, nil, nil)
	if err != nil {
		return "", err
	}
	if resp.status/100 != 2 {
		return "", parseAPIError(http.MethodGet, pathAPIVersion, resp.status, resp.body, resp.attempts)
	}
	var doc struct {
		Version []string `json:"version"`
	}
	if err := json.Unmarshal(resp.body, &doc); err != nil {
		return "", fmt.Errorf("flasharray: GET %s on %s: unreadable answer: %w", pathAPIVersion, c.baseURL, err)
	}
	return chooseVersion(c.baseURL, doc.Version)
}

// chooseVersion returns the highest 2.N with MinVersion <= 2.N <= MaxVersion.
func chooseVersion(where string, offered []string) (string, error) {
	_, lo, _ := parseVersion(MinVersion)
	_, hi, _ := parseVersion(MaxVersion)
	best, highest := -1, -1
	for _, v := range offered {
		major, minor, ok := parseVersion(v)
		if !ok || major != 2 {
			continue
		}
		highest = max(highest, minor)
		if minor >= lo && minor <= hi && minor > best {
			best = minor
		}
	}
	if best < 0 {
		if highest >= 0 && highest < lo {
			return "", fmt.Errorf("flasharray: %s offers REST API up to 2.%d; this provider needs REST %s or later (Purity//FA 6.1+)", where, highest, MinVersion)
		}
		return "", fmt.Errorf("flasharray: %s offers no usable REST 2.x version (offered %v, need %s to %s)", where, offered, MinVersion, MaxVersion)
	}
	return "2." + strconv.Itoa(best), nil
}

func parseVersion(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(strings.TrimSpace(v), ".")
	if !found {
		return 0, 0, false
	}
	var err1, err2 error
	major, err1 = strconv.Atoi(a)
	minor, err2 = strconv.Atoi(b)
	return major, minor, err1 == nil && err2 == nil
}

// Logout ends the session, if one is open. It waits for a login under way,
// so that the session that login opens is the one ended.
func (c *Client) Logout(ctx context.Context) error {
	if err := c.waitLogin(ctx); err != nil {
		return err
	}
	defer func() { <-c.loggingIn }()
	c.mu.Lock()
	path := "/api/" + c.version + "/logout"
	session := c.session
	c.session = ""
	c.mu.Unlock()
	if session == "" {
		return nil
	}
	resp, err := c.send(ctx, http.MethodPost, path, nil, http.Header{"x-auth-token": {session}}, nil)
	if err != nil {
		return err
	}
	if resp.status/100 != 2 && resp.status != http.StatusUnauthorized {
		return parseAPIError(http.MethodPost, path, resp.status, resp.body, resp.attempts)
	}
	return nil
}

// call makes an authenticated call to /api/<version><path> and decodes a 2xx
// answer into out (when not nil). A 401 opens a new session and repeats the
// call once.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any) (*response, error) {
	version, session, err := c.ensureSession(ctx)
	if err != nil {
		return nil, err
	}
	apiPath := "/api/" + version + path
	resp, err := c.send(ctx, method, apiPath, query, http.Header{"x-auth-token": {session}}, body)
	if err != nil {
		return nil, err
	}
	if resp.status == http.StatusUnauthorized {
		if c.log != nil {
			c.log.Debug("flasharray: session refused, logging in again", "url", c.baseURL)
		}
		if session, err = c.relogin(ctx, session); err != nil {
			return nil, err
		}
		if resp, err = c.send(ctx, method, apiPath, query, http.Header{"x-auth-token": {session}}, body); err != nil {
			return nil, err
		}
	}
	if resp.status/100 != 2 {
		return nil, parseAPIError(method, apiPath, resp.status, resp.body, resp.attempts)
	}
	if out != nil && len(bytes.TrimSpace(resp.body)) > 0 {
		if err := json.Unmarshal(resp.body, out); err != nil {
			return nil, fmt.Errorf("flasharray: %s %s: unreadable answer: %w", method, apiPath, err)
		}
	}
	return resp, nil
}

// itemsResponse is the body of POST and PATCH answers.
type itemsResponse[T any] struct {
	Items []T `json:"items"`
}

// pageResponse is the body of list answers.
type pageResponse[T any] struct {
	ContinuationToken  string `json:"continuation_token"`
	MoreItemsRemaining bool   `json:"more_items_remaining"`
	TotalItemCount     *int   `json:"total_item_count"`
	Items              []T    `json:"items"`
}

// maxPages stops a list that never ends (a token that does not advance).
const maxPages = 10000

// list GETs every page of a list. continuation says the endpoint takes
// continuation_token (the spec lists it per endpoint); the others page with
// offset when the array says more items remain.
func list[T any](ctx context.Context, c *Client, path string, query url.Values, continuation bool) ([]T, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	if continuation && c.cfg.PageSize > 0 {
		q.Set("limit", strconv.Itoa(c.cfg.PageSize))
	}
	var all []T
	seen := map[string]bool{}
	for page := 0; page < maxPages; page++ {
		var pr pageResponse[T]
		resp, err := c.call(ctx, http.MethodGet, path, q, nil, &pr)
		if err != nil {
			return nil, err
		}
		all = append(all, pr.Items...)
		token := pr.ContinuationToken
		if token == "" {
			token = resp.header.Get("x-next-token")
		}
		switch {
		case token != "" && continuation:
			if seen[token] {
				return nil, fmt.Errorf("flasharray: GET %s: the array repeated continuation token; stopping", path)
			}
			seen[token] = true
			q.Del("offset")
			q.Set("continuation_token", token)
		case pr.MoreItemsRemaining && len(pr.Items) > 0:
			q.Del("continuation_token")
			q.Set("offset", strconv.Itoa(len(all)))
		default:
			return all, nil
		}
	}
	return nil, fmt.Errorf("flasharray: GET %s: more than %d pages", path, maxPages)
}

// first returns the first item of a POST/PATCH answer.
func first[T any](ctx context.Context, c *Client, method, path string, query url.Values, body any) (*T, error) {
	var ir itemsResponse[T]
	if _, err := c.call(ctx, method, path, query, body, &ir); err != nil {
		return nil, err
	}
	if len(ir.Items) == 0 {
		return nil, fmt.Errorf("flasharray: %s %s: the array answered without items", method, path)
	}
	return &ir.Items[0], nil
}

// csv encodes a list parameter the REST way: comma-separated.
func csv(v ...string) string { return strings.Join(v, ",") }

// millis converts the array's milliseconds since the epoch; nil or 0 is the
// zero time.
func millis(ms *int64) time.Time {
	if ms == nil || *ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(*ms).UTC()
}
