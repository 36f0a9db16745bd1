package openstack

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// maxRetryAfter caps a server's Retry-After: a site asking for minutes is as
// good as down for a Terraform run, and the context bounds the wait anyway.
const maxRetryAfter = 60 * time.Second

// installRetries sets the provider client's retry hooks.
//
// gophercloud calls RetryBackoffFunc for 429 (with MaxBackoffRetries as the
// bound) and RetryFunc for every other failure, transport errors included,
// with one shared failure counter. 429 means the request was not processed,
// so it is retried for any method; gateway errors and transport failures are
// retried only where repeating the request cannot do anything twice: GET,
// HEAD and token creation.
func (s *Site) installRetries(pc *gophercloud.ProviderClient) {
	limit := s.cfg.MaxRetries
	if limit <= 0 {
		// MaxBackoffRetries 0 would mean gophercloud's default of 60.
		pc.RetryBackoffFunc = nil
		pc.RetryFunc = nil
		return
	}
	pc.MaxBackoffRetries = uint(limit)
	pc.RetryBackoffFunc = func(ctx context.Context, respErr *gophercloud.ErrUnexpectedResponseCode, _ error, n uint) error {
		wait := s.retryWait(n, respErr.ResponseHeader)
		s.log(ctx, "openstack retry", map[string]any{
			"site": s.name, "method": respErr.Method, "url": respErr.URL,
			"status": respErr.Actual, "attempt": n, "wait_ms": wait.Milliseconds(),
		})
		if err := sleep(ctx, wait); err != nil {
			return *respErr
		}
		return nil
	}
	pc.RetryFunc = func(ctx context.Context, method, url string, _ *gophercloud.RequestOpts, err error, n uint) error {
		if n > uint(limit) || ctx.Err() != nil || !idempotent(method, url) {
			return err
		}
		var header http.Header
		var code gophercloud.ErrUnexpectedResponseCode
		status := 0
		switch {
		case errors.As(err, &code):
			switch code.Actual {
			case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
				status, header = code.Actual, code.ResponseHeader
			default:
				return err
			}
		case IsUnreachable(err):
			if isProbe(ctx) {
				// A probe asks whether the site answers: a refused or
				// dropped connection is its answer.
				return err
			}
		default:
			return err
		}
		wait := s.retryWait(n, header)
		kv := map[string]any{"site": s.name, "method": method, "url": url, "attempt": n, "wait_ms": wait.Milliseconds()}
		if status != 0 {
			kv["status"] = status
		} else {
			kv["error"] = s.redact(err.Error())
		}
		s.log(ctx, "openstack retry", kv)
		if sleep(ctx, wait) != nil {
			return err
		}
		return nil
	}
}

// probeKey marks the context of a reachability probe.
type probeKey struct{}

// Probing marks ctx as a reachability probe: a transport failure (refused,
// reset, timed out) is the probe's answer and is not retried. 429 and
// gateway answers are still retried, within ctx's deadline.
func Probing(ctx context.Context) context.Context {
	return context.WithValue(ctx, probeKey{}, true)
}

func isProbe(ctx context.Context) bool {
	probe, _ := ctx.Value(probeKey{}).(bool)
	return probe
}

// idempotent says whether a request may be sent again after a failure whose
// effect is unknown.
func idempotent(method, url string) bool {
	switch method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		// A token request only creates a token; repeating it is harmless.
		return strings.HasSuffix(strings.TrimSuffix(url, "/"), "/auth/tokens")
	}
	return false
}

// retryWait is the server's Retry-After when it sent one, else an
// exponential wait from RetryWaitMin doubling to RetryWaitMax.
func (s *Site) retryWait(attempt uint, h http.Header) time.Duration {
	if d, ok := retryAfter(h); ok {
		return d
	}
	wait := s.cfg.RetryWaitMin
	for i := uint(1); i < attempt && wait < s.cfg.RetryWaitMax; i++ {
		wait *= 2
	}
	return min(wait, s.cfg.RetryWaitMax)
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, maxRetryAfter), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter), true
	}
	return 0, false
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
