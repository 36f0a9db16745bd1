package flasharray_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
)

const (
	tokenA = "T-11111111-aaaa-bbbb-cccc-testtokenaaaa"
	tokenB = "T-22222222-aaaa-bbbb-cccc-testtokenbbbb"
)

// clock is a settable clock for the arrays, so schedules and transfers move
// only when a test says.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func startArray(t *testing.T, opts flasharraysim.Options) *flasharraysim.Array {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "flasharray-a"
	}
	if len(opts.APITokens) == 0 {
		opts.APITokens = []string{tokenA}
	}
	a := flasharraysim.New(opts)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	// What the client sends, and what the simulator answers it, must follow
	// the array's OpenAPI spec.
	t.Cleanup(func() {
		if err := a.SpecError(); err != nil {
			t.Error(err)
		}
	})
	return a
}

// testConfig is a config with small retry waits for the array.
func testConfig(a *flasharraysim.Array, token string) flasharray.Config {
	return flasharray.Config{
		URL: a.URL(), APIToken: token, CACertPEM: a.CACertPEM(),
		RetryMax: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		RequestTimeout: 5 * time.Second,
	}
}

func newClient(t *testing.T, cfg flasharray.Config) *flasharray.Client {
	t.Helper()
	c, err := flasharray.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  flasharray.Config
		want string
	}{
		{"no url", flasharray.Config{APIToken: "x"}, "URL is empty"},
		{"no token", flasharray.Config{URL: "https://array"}, "no API token"},
		{"bad scheme", flasharray.Config{URL: "ftp://array", APIToken: "x"}, "must use https"},
		{"bad ca", flasharray.Config{URL: "https://array", APIToken: "x", CACertPEM: []byte("not pem")}, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := flasharray.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// versions are the REST versions <prefix>.0 to <prefix>.<to>.
func versions(prefix string, to int) []string {
	var v []string
	for i := 0; i <= to; i++ {
		v = append(v, fmt.Sprintf("%s.%d", prefix, i))
	}
	return v
}

func TestVersionNegotiation(t *testing.T) {
	tests := []struct {
		name    string
		offered []string
		want    string
		wantErr string
	}{
		{"current array", append(versions("1", 19), versions("2", 26)...), "2.26", ""},
		{"newer array", versions("2", 40), "2.26", ""},
		{"older array", append(versions("1", 19), versions("2", 10)...), "2.10", ""},
		{"oldest accepted", versions("2", 4), "2.4", ""},
		{"too old", append(versions("1", 19), versions("2", 3)...), "", "needs REST 2.4 or later"},
		{"1.x only", versions("1", 19), "", "no usable REST 2.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startArray(t, flasharraysim.Options{Versions: tt.offered})
			c := newClient(t, testConfig(a, tokenA))
			arr, err := c.Array(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Array() error = %v, want %q", err, tt.wantErr)
				}
				if n := a.Faults().Count(http.MethodPost, "/login"); n != 0 {
					t.Fatalf("logged in %d times to an array it refused", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if arr.Name != "flasharray-a" || arr.ID == "" || arr.Version == "" {
				t.Fatalf("Array() = %+v", arr)
			}
			if got := c.APIVersion(); got != tt.want {
				t.Fatalf("negotiated %s, want %s", got, tt.want)
			}
			if n := a.Faults().Count(http.MethodGet, "/api/"+tt.want+"/arrays"); n != 1 {
				t.Fatalf("GET /api/%s/arrays seen %d times, want 1", tt.want, n)
			}
		})
	}
}

func TestLoginOnceForConcurrentCalls(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	c := newClient(t, testConfig(a, tokenA))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Array(context.Background())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := a.Faults().Count(http.MethodPost, "/login"); n != 1 {
		t.Fatalf("logged in %d times, want 1", n)
	}
	if n := a.Faults().Count(http.MethodGet, "/api_version"); n != 1 {
		t.Fatalf("negotiated %d times, want 1", n)
	}
}

// TestLoginWaitEndsWithTheContext: a call that waits for a login (or a
// relogin) under way to an array that does not answer gives up when its own
// context ends, reported as a login cut short by that context; the calls
// that wait longer share that one login.
func TestLoginWaitEndsWithTheContext(t *testing.T) {
	tests := []struct {
		name       string
		relogin    bool
		wantLogins int
	}{
		{"first login", false, 1},
		{"relogin", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startArray(t, flasharraysim.Options{})
			cfg := testConfig(a, tokenA)
			cfg.RequestTimeout = time.Hour // the login ends when the test says
			c := newClient(t, cfg)
			if tt.relogin {
				if _, err := c.Array(context.Background()); err != nil {
					t.Fatal(err)
				}
				a.ExpireSessions()
			}
			arrived, release := make(chan struct{}), make(chan struct{})
			releaseOnce := sync.OnceFunc(func() { close(release) })
			t.Cleanup(releaseOnce) // before the array closes
			a.Faults().Add(fault.Rule{Method: http.MethodPost, PathContains: "/login", Times: 1, Do: func() {
				close(arrived)
				<-release
			}})

			errs := make(chan error, 2)
			go func() { _, err := c.Array(context.Background()); errs <- err }()
			<-arrived
			go func() { _, err := c.Array(context.Background()); errs <- err }()

			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_, err := c.Array(ctx)
			var ue *flasharray.UnreachableError
			if !errors.As(err, &ue) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v, want the login unreachable within the caller's deadline", err)
			}
			if !strings.Contains(err.Error(), "POST /api/2.26/login") {
				t.Errorf("error %q does not name the login", err)
			}
			cancelled, cancelNow := context.WithCancel(context.Background())
			cancelNow()
			if _, err := c.Array(cancelled); !errors.Is(err, context.Canceled) || flasharray.IsUnreachable(err) {
				t.Errorf("error %v, want context.Canceled and not unreachable", err)
			}

			releaseOnce()
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if n := a.Faults().Count(http.MethodPost, "/login"); n != tt.wantLogins {
				t.Errorf("logged in %d times, want %d", n, tt.wantLogins)
			}
			if n := a.Faults().Count(http.MethodGet, "/api_version"); n != 1 {
				t.Errorf("negotiated %d times, want 1", n)
			}
		})
	}
}

func TestLoginRefusedForWrongToken(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	const wrong = "T-wrong-token-0000-secret"
	c := newClient(t, testConfig(a, wrong))
	_, err := c.Array(context.Background())
	if !flasharray.IsUnauthorized(err) {
		t.Fatalf("error %v, want unauthorized", err)
	}
	if flasharray.IsUnreachable(err) {
		t.Fatalf("a refused login is not unreachable: %v", err)
	}
	if !strings.Contains(err.Error(), "check the API token") || strings.Contains(err.Error(), wrong) {
		t.Fatalf("error %q should point at the token without showing it", err)
	}
	if n := a.Faults().Count(http.MethodPost, "/login"); n != 1 {
		t.Fatalf("a 401 on login was tried %d times, want 1", n)
	}
}

func TestReloginAfterSessionsExpire(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	c := newClient(t, testConfig(a, tokenA))
	ctx := context.Background()
	if _, err := c.Array(ctx); err != nil {
		t.Fatal(err)
	}
	a.ExpireSessions()
	arr, err := c.Array(ctx)
	if err != nil {
		t.Fatalf("call after the session expired: %v", err)
	}
	if arr.Name != "flasharray-a" {
		t.Fatalf("Array() = %+v", arr)
	}
	if n := a.Faults().Count(http.MethodPost, "/login"); n != 2 {
		t.Fatalf("logged in %d times, want 2", n)
	}
	if n := a.Faults().Count(http.MethodGet, "/arrays"); n != 3 {
		t.Fatalf("GET /arrays %d times, want 3 (ok, 401, retried)", n)
	}
}

func TestUnauthorizedTwiceIsAnError(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	c := newClient(t, testConfig(a, tokenA))
	a.Faults().Add(fault.Rule{Method: http.MethodGet, PathContains: "/arrays", Status: 401, Body: `{"errors":[{"message":"Session expired."}]}`})
	_, err := c.Array(context.Background())
	if !flasharray.IsUnauthorized(err) {
		t.Fatalf("error %v, want unauthorized", err)
	}
	if n := a.Faults().Count(http.MethodPost, "/login"); n != 2 {
		t.Fatalf("logged in %d times, want 2 (one re-login only)", n)
	}
}

func TestLogout(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	c := newClient(t, testConfig(a, tokenA))
	ctx := context.Background()
	if _, err := c.Array(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if n := a.Sessions(); n != 0 {
		t.Fatalf("%d sessions open after logout", n)
	}
	if _, err := c.Array(ctx); err != nil {
		t.Fatalf("call after logout: %v", err)
	}
	if n := a.Faults().Count(http.MethodPost, "/login"); n != 2 {
		t.Fatalf("logged in %d times, want 2", n)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name          string
		rule          fault.Rule
		retryMax      int
		wantErr       bool
		wantStatus    int
		wantCalls     int
		wantUnreach   bool
		wantInMessage string
	}{
		{
			name:      "429 with Retry-After then success",
			rule:      fault.Rule{Method: http.MethodGet, PathContains: "/arrays", Times: 1, Status: 429, Header: http.Header{"Retry-After": {"1"}}, Body: `{"message":"Too many requests"}`},
			retryMax:  3,
			wantCalls: 2,
		},
		{
			name:      "5xx burst then success",
			rule:      fault.Rule{Method: http.MethodGet, PathContains: "/arrays", Times: 2, Status: 503, Body: `{"message":"Service unavailable"}`},
			retryMax:  3,
			wantCalls: 3,
		},
		{
			name:          "5xx forever fails after the retries",
			rule:          fault.Rule{Method: http.MethodGet, PathContains: "/arrays", Status: 500, Body: `{"errors":[{"message":"Server is busy."}]}`},
			retryMax:      2,
			wantErr:       true,
			wantStatus:    500,
			wantCalls:     3,
			wantUnreach:   true,
			wantInMessage: "GET /api/2.26/arrays: 500 Internal Server Error (after 3 attempts): Server is busy.",
		},
		{
			name:          "400 is not retried",
			rule:          fault.Rule{Method: http.MethodGet, PathContains: "/arrays", Status: 400, Body: `{"errors":[{"context":"x","message":"Invalid filter."}]}`},
			retryMax:      3,
			wantErr:       true,
			wantStatus:    400,
			wantCalls:     1,
			wantInMessage: "GET /api/2.26/arrays: 400 Bad Request: x: Invalid filter.",
		},
		{
			name:          "403 from the gateway is not retried",
			rule:          fault.Rule{Method: http.MethodGet, PathContains: "/arrays", Status: 403, Body: `{"message":"Forbidden by policy"}`},
			retryMax:      3,
			wantErr:       true,
			wantStatus:    403,
			wantCalls:     1,
			wantInMessage: "403 Forbidden: Forbidden by policy",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startArray(t, flasharraysim.Options{})
			cfg := testConfig(a, tokenA)
			cfg.RetryMax = tt.retryMax
			c := newClient(t, cfg)
			ctx := context.Background()
			if err := c.Logout(ctx); err != nil { // no session yet: a no-op
				t.Fatal(err)
			}
			a.Faults().Add(tt.rule)
			_, err := c.Array(ctx)
			if got := a.Faults().Count(http.MethodGet, "/arrays"); got != tt.wantCalls {
				t.Errorf("GET /arrays sent %d times, want %d", got, tt.wantCalls)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Array() error = %v", err)
				}
				return
			}
			var ae *flasharray.APIError
			if !errors.As(err, &ae) || ae.StatusCode != tt.wantStatus {
				t.Fatalf("error %v, want APIError with status %d", err, tt.wantStatus)
			}
			if flasharray.IsUnreachable(err) != tt.wantUnreach {
				t.Errorf("IsUnreachable(%v) = %v, want %v", err, !tt.wantUnreach, tt.wantUnreach)
			}
			if !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Errorf("error %q does not contain %q", err, tt.wantInMessage)
			}
		})
	}
}

func TestUnreachableArray(t *testing.T) {
	tests := []struct {
		name  string
		setup func(a *flasharraysim.Array)
	}{
		{"down", func(a *flasharraysim.Array) { a.Faults().SetDown(true) }},
		{"connections dropped", func(a *flasharraysim.Array) {
			a.Faults().Add(fault.Rule{PathContains: "/arrays", Drop: true})
		}},
		{"hangs past the timeout", func(a *flasharraysim.Array) {
			a.Faults().Add(fault.Rule{PathContains: "/arrays", Hang: true})
		}},
		{"closed", func(a *flasharraysim.Array) { a.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startArray(t, flasharraysim.Options{})
			cfg := testConfig(a, tokenA)
			cfg.RetryMax = 1
			// Long enough for the session's first TLS handshakes under -race.
			cfg.RequestTimeout = time.Second
			c := newClient(t, cfg)
			ctx := context.Background()
			if _, err := c.ArrayConnections(ctx); err != nil { // session open before the fault
				t.Fatal(err)
			}
			tt.setup(a)
			_, err := c.Array(ctx)
			if !flasharray.IsUnreachable(err) {
				t.Fatalf("error %v, want unreachable", err)
			}
			var ue *flasharray.UnreachableError
			if !errors.As(err, &ue) || ue.Attempts != 2 {
				t.Fatalf("error %#v, want UnreachableError after 2 attempts", err)
			}
			if !strings.Contains(err.Error(), "GET /api/2.26/arrays") {
				t.Errorf("error %q does not name the call", err)
			}
		})
	}
}

func TestContextCancelledIsNotUnreachable(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	c := newClient(t, testConfig(a, tokenA))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Array(ctx)
	if !errors.Is(err, context.Canceled) || flasharray.IsUnreachable(err) {
		t.Fatalf("error %v, want context.Canceled and not unreachable", err)
	}
}

func TestTLS(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	tests := []struct {
		name    string
		mutate  func(*flasharray.Config)
		wantTLS bool
	}{
		{"system roots only: refused", func(c *flasharray.Config) { c.CACertPEM = nil }, true},
		{"another CA: refused", func(c *flasharray.Config) {
			c.CACertPEM = flasharraysim.New(flasharraysim.Options{Name: "other"}).CACertPEM()
		}, true},
		{"array CA", func(c *flasharray.Config) {}, false},
		{"insecure", func(c *flasharray.Config) { c.CACertPEM = nil; c.Insecure = true }, false},
		{"localhost name", func(c *flasharray.Config) { c.URL = strings.Replace(c.URL, "127.0.0.1", "localhost", 1) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(a, tokenA)
			tt.mutate(&cfg)
			c := newClient(t, cfg)
			before := a.Faults().Count("", "/api")
			_, err := c.Array(context.Background())
			if !tt.wantTLS {
				if err != nil {
					t.Fatalf("Array() error = %v", err)
				}
				return
			}
			var te *flasharray.TLSError
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want TLSError", err)
			}
			if flasharray.IsUnreachable(err) {
				t.Errorf("a certificate error is not unreachable: %v", err)
			}
			if !strings.Contains(err.Error(), "CA certificate") {
				t.Errorf("error %q gives no hint", err)
			}
			if n := a.Faults().Count("", "/api") - before; n != 0 {
				t.Errorf("%d requests reached the array through an unverified connection", n)
			}
		})
	}
}

// capture is a retryablehttp.LeveledLogger that keeps every line.
type capture struct {
	mu    sync.Mutex
	lines []string
}

func (c *capture) log(level, msg string, kv ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, fmt.Sprintf("%s %s %v", level, msg, kv))
}
func (c *capture) Error(msg string, kv ...any) { c.log("ERROR", msg, kv...) }
func (c *capture) Info(msg string, kv ...any)  { c.log("INFO", msg, kv...) }
func (c *capture) Debug(msg string, kv ...any) { c.log("DEBUG", msg, kv...) }
func (c *capture) Warn(msg string, kv ...any)  { c.log("WARN", msg, kv...) }

func (c *capture) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

func TestTokensNeverInLogsOrErrors(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	logs := &capture{}
	cfg := testConfig(a, tokenA)
	cfg.Logger = logs
	cfg.RetryMax = 1
	cfg.RequestTimeout = 300 * time.Millisecond
	c := newClient(t, cfg)
	ctx := context.Background()
	var errs []error
	var sessions []string
	record := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
		sessions = append(sessions, a.SessionTokens()...)
	}

	_, err := c.Array(ctx)
	record(err)
	a.ExpireSessions()
	_, err = c.Volumes(ctx, "missing")
	record(err)
	a.Faults().Add(fault.Rule{PathContains: "/arrays", Times: 1, Status: 503, Body: `{"message":"busy"}`})
	_, err = c.Array(ctx)
	record(err)
	a.Faults().Add(fault.Rule{PathContains: "/arrays", Status: 500})
	_, err = c.Array(ctx)
	record(err)
	a.Faults().Clear()
	_, err = c.ProtectionGroup(ctx, "nope")
	record(err)
	a.Faults().SetDown(true)
	_, err = c.Array(ctx)
	record(err)
	a.Faults().SetDown(false)
	record(c.Logout(ctx))

	wrong := newClient(t, flasharray.Config{URL: a.URL(), APIToken: tokenB, CACertPEM: a.CACertPEM(), Logger: logs})
	_, err = wrong.Array(ctx)
	record(err)

	if len(errs) < 4 || len(sessions) == 0 || logs.text() == "" {
		t.Fatalf("the scenario produced too little to check: %d errors, %d sessions, %d log bytes", len(errs), len(sessions), len(logs.text()))
	}
	secrets := append([]string{tokenA, tokenB}, sessions...)
	for _, s := range secrets {
		if strings.Contains(logs.text(), s) {
			t.Errorf("a token appears in the log:\n%s", logs.text())
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%#v", err), s) {
				t.Errorf("a token appears in error %q", err)
			}
		}
	}
}

func TestPaging(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	for i := range 7 {
		a.AddVolume(fmt.Sprintf("vol-%d", i), 1<<30)
	}
	cfg := testConfig(a, tokenA)
	cfg.PageSize = 3
	c := newClient(t, cfg)
	vols, err := c.Volumes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(vols) != 7 {
		t.Fatalf("got %d volumes, want 7", len(vols))
	}
	for i, v := range vols {
		if want := fmt.Sprintf("vol-%d", i); v.Name != want || v.Serial == "" || v.Provisioned != 1<<30 {
			t.Errorf("volume %d = %+v, want %s", i, v, want)
		}
	}
	var pages, withToken int
	for _, r := range a.Faults().Requests() {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/volumes") {
			pages++
			if strings.Contains(r.Query, "continuation_token=") && strings.Contains(r.Query, "limit=3") {
				withToken++
			}
		}
	}
	if pages != 3 || withToken != 2 {
		t.Fatalf("%d pages (%d with a token), want 3 (2)", pages, withToken)
	}
}

func TestNotFound(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	a.AddVolume("vol-1", 1<<30)
	c := newClient(t, testConfig(a, tokenA))
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"protection group", func() error { _, err := c.ProtectionGroup(ctx, "nope"); return err }},
		{"pod", func() error { _, err := c.Pod(ctx, "nope"); return err }},
		{"targets of a missing group", func() error { _, err := c.ProtectionGroupTargets(ctx, "nope"); return err }},
		{"volumes of a missing group", func() error { _, err := c.ProtectionGroupVolumes(ctx, "nope"); return err }},
		{"add volume to a missing group", func() error { return c.AddProtectionGroupVolumes(ctx, "nope", "vol-1") }},
		{"destroy a missing group", func() error { return c.DestroyProtectionGroup(ctx, "nope", true) }},
		{"move a missing volume", func() error { _, err := c.MoveVolumeToPod(ctx, "nope", "pod"); return err }},
		{"destroy a missing pod", func() error { return c.DestroyPod(ctx, "nope", true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !flasharray.IsNotFound(err) {
				t.Fatalf("error %v, want not found", err)
			}
			if !strings.Contains(err.Error(), "nope") {
				t.Errorf("error %q does not name the object", err)
			}
		})
	}

	vols, err := c.Volumes(ctx, "missing-1", "vol-1", "missing-2")
	if err != nil {
		t.Fatal(err)
	}
	if len(vols) != 1 || vols[0].Name != "vol-1" || vols[0].Pod != nil {
		t.Fatalf("Volumes() = %+v, want only vol-1 outside any pod", vols)
	}
	vols, err = c.Volumes(ctx, "missing")
	if err != nil || len(vols) != 0 {
		t.Fatalf("Volumes(missing) = %v, %v; want none and no error", vols, err)
	}
}

func TestErrorParsing(t *testing.T) {
	a := startArray(t, flasharraysim.Options{})
	tests := []struct {
		name      string
		body      string
		status    int
		want      string
		notFound  bool
		unreached bool
	}{
		{"array errors", `{"errors":[{"context":"pg1","message":"Protection group does not exist."}]}`, 400, "400 Bad Request: pg1: Protection group does not exist.", true, false},
		{"two errors", `{"errors":[{"context":"a","message":"one."},{"message":"two."}]}`, 400, "a: one.; two.", false, false},
		{"gateway", `{"message":"Rate limit exceeded"}`, 429, "429 Too Many Requests: Rate limit exceeded", false, true},
		{"not json", `upstream timed out`, 404, "404 Not Found: upstream timed out", true, false},
		{"html", `<html>bad gateway</html>`, 400, "GET /api/2.26/arrays: 400 Bad Request", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(a, tokenA)
			cfg.RetryMax = -1
			c := newClient(t, cfg)
			a.Faults().Add(fault.Rule{PathContains: "/arrays", Times: 1, Status: tt.status, Body: tt.body})
			_, err := c.Array(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if flasharray.IsNotFound(err) != tt.notFound || flasharray.IsUnreachable(err) != tt.unreached {
				t.Errorf("IsNotFound=%v IsUnreachable=%v, want %v %v", flasharray.IsNotFound(err), flasharray.IsUnreachable(err), tt.notFound, tt.unreached)
			}
		})
	}
}
