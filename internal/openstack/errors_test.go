package openstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestServiceMessage(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"cinder badRequest", `{"badRequest": {"code": 400, "message": "Invalid volume: Volume is not local to this node."}}`,
			"Invalid volume: Volume is not local to this node."},
		{"cinder itemNotFound", `{"itemNotFound": {"code": 404, "message": "Group g could not be found."}}`,
			"Group g could not be found."},
		{"nova conflictingRequest", `{"conflictingRequest": {"code": 409, "message": "Cannot 'detach' instance"}}`,
			"Cannot 'detach' instance"},
		{"keystone error", `{"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}`,
			"The request you have made requires authentication."},
		{"top-level message", `{"message": "gateway said no"}`, "gateway said no"},
		{"swift html", "<html><h1>Not Found</h1><p>The resource could not be found.</p></html>",
			"Not Found The resource could not be found."},
		{"plain text", "Precondition Failed\n", "Precondition Failed"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := serviceMessage([]byte(tc.body)); got != tc.want {
				t.Errorf("serviceMessage = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAPIErrorMatchesSentinels(t *testing.T) {
	nf := fmt.Errorf("wrapped: %w", &APIError{StatusCode: 404})
	pf := &siteError{msg: "x", err: &APIError{StatusCode: 412}}
	bad := &APIError{StatusCode: 400, Message: "m"}
	if !errors.Is(nf, ErrNotFound) || errors.Is(nf, ErrPreconditionFailed) {
		t.Error("404 must match ErrNotFound only")
	}
	if !errors.Is(pf, ErrPreconditionFailed) || errors.Is(pf, ErrNotFound) {
		t.Error("412 must match ErrPreconditionFailed only")
	}
	if errors.Is(bad, ErrNotFound) || errors.Is(bad, ErrPreconditionFailed) {
		t.Error("400 must match neither")
	}
}

func TestIsUnreachable(t *testing.T) {
	// A port nobody listens on: a real "connection refused".
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, refused := http.Get("http://" + addr + "/")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	_, canceled := http.DefaultClient.Do(req)

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused, true},
		{"caller canceled", canceled, false},
		{"deadline", context.DeadlineExceeded, true},
		{"503 after retries", &siteError{msg: "x", err: &APIError{StatusCode: 503}}, true},
		{"502", &APIError{StatusCode: 502}, true},
		{"504", &APIError{StatusCode: 504}, true},
		{"500", &APIError{StatusCode: 500}, false},
		{"404", &APIError{StatusCode: 404}, false},
		{"plain error", errors.New("volume type not eligible"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsUnreachable(tc.err); got != tc.want {
				t.Errorf("IsUnreachable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestRetryWait(t *testing.T) {
	s := &Site{cfg: Config{RetryWaitMin: 100 * time.Millisecond, RetryWaitMax: time.Second}}
	tests := []struct {
		name    string
		attempt uint
		header  http.Header
		want    time.Duration
	}{
		{"first", 1, nil, 100 * time.Millisecond},
		{"doubles", 3, nil, 400 * time.Millisecond},
		{"capped", 10, nil, time.Second},
		{"retry-after seconds", 1, http.Header{"Retry-After": {"2"}}, 2 * time.Second},
		{"retry-after capped", 1, http.Header{"Retry-After": {"3600"}}, maxRetryAfter},
		{"retry-after garbage ignored", 2, http.Header{"Retry-After": {"soon"}}, 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.retryWait(tc.attempt, tc.header); got != tc.want {
				t.Errorf("retryWait = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIdempotent(t *testing.T) {
	tests := []struct {
		method, url string
		want        bool
	}{
		{"GET", "http://h/volume/v3/p/groups/x", true},
		{"HEAD", "http://h/object-store/v1/AUTH_p/c/o", true},
		{"POST", "http://h/identity/v3/auth/tokens", true},
		{"POST", "http://h/volume/v3/p/groups", false},
		{"PUT", "http://h/object-store/v1/AUTH_p/c/o", false},
		{"DELETE", "http://h/object-store/v1/AUTH_p/c/o", false},
	}
	for _, tc := range tests {
		if got := idempotent(tc.method, tc.url); got != tc.want {
			t.Errorf("idempotent(%s %s) = %v, want %v", tc.method, tc.url, got, tc.want)
		}
	}
}
