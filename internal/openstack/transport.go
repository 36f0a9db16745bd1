package openstack

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// httpClient builds the HTTP client of one credential: the caller's client
// (or a fresh one), its TLS settings, the request timeout and the logging
// hook.
func (s *Site) httpClient(r *resolved) (http.Client, error) {
	var hc http.Client
	if s.cfg.HTTPClient != nil {
		hc = *s.cfg.HTTPClient
	}
	tlsCfg, err := r.tlsConfig()
	if err != nil {
		return hc, err
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if tlsCfg != nil {
		t, ok := rt.(*http.Transport)
		if !ok {
			return hc, fmt.Errorf("a CA file or insecure TLS needs the HTTP client's Transport to be an *http.Transport, not %T", rt)
		}
		t = t.Clone()
		t.TLSClientConfig = tlsCfg
		rt = t
	}
	if s.cfg.Logger != nil {
		rt = &loggingTransport{next: rt, site: s}
	}
	hc.Transport = rt
	switch {
	case s.cfg.RequestTimeout > 0:
		hc.Timeout = s.cfg.RequestTimeout
	case hc.Timeout == 0:
		hc.Timeout = DefaultRequestTimeout
	}
	return hc, nil
}

// loggingTransport reports each request's method, URL, status and duration.
// Headers and bodies are never logged: they carry tokens and passwords.
type loggingTransport struct {
	next http.RoundTripper
	site *Site
}

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	u := *req.URL
	u.User = nil
	kv := map[string]any{
		"site":        t.site.name,
		"method":      req.Method,
		"url":         u.String(),
		"duration_ms": time.Since(start).Milliseconds(),
	}
	if err != nil {
		kv["error"] = t.site.redact(err.Error())
	} else {
		kv["status"] = resp.StatusCode
	}
	t.site.log(req.Context(), "openstack request", kv)
	return resp, err
}

// log sends an entry to Config.Logger, if any.
func (s *Site) log(ctx context.Context, msg string, kv map[string]any) {
	if s.cfg.Logger != nil {
		s.cfg.Logger(ctx, msg, kv)
	}
}
