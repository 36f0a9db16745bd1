package openstack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"

	"github.com/gophercloud/gophercloud/v2"
)

var (
	// ErrNotFound: the object does not exist (HTTP 404, or gone while
	// waiting). errors.Is works on every error this package returns.
	ErrNotFound = errors.New("not found")
	// ErrPreconditionFailed: a conditional write lost (HTTP 412, e.g. a Swift
	// PUT with If-None-Match: * on an object that exists).
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrForbidden: the service's policy refuses the caller (HTTP 403), as
	// Cinder does for admin-only calls made with a member's token.
	ErrForbidden = errors.New("forbidden")
	// ErrBadRequest: the service refused the request as invalid (HTTP 400);
	// the *APIError it matches carries the service's reason.
	ErrBadRequest = errors.New("bad request")
)

// APIError is an HTTP error answer of an OpenStack service, with the
// service's own message (Cinder/Nova {"badRequest": {"message": ...}},
// Keystone {"error": {"message": ...}}, or the text of the body).
type APIError struct {
	StatusCode int
	Message    string
	Method     string
	URL        string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, msg)
}

// Is lets errors.Is match ErrNotFound, ErrPreconditionFailed,
// ErrForbidden and ErrBadRequest by status code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrPreconditionFailed:
		return e.StatusCode == http.StatusPreconditionFailed
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	}
	return false
}

// siteError names the site and the operation, with secrets already removed
// from its text; it unwraps to the cause (an *APIError, a transport error...).
type siteError struct {
	msg string
	err error
}

func (e *siteError) Error() string { return e.msg }
func (e *siteError) Unwrap() error { return e.err }

// IsUnreachable reports whether err means the site could not be reached or
// did not answer: connection refused/reset, EOF, timeouts, or a gateway error
// (502/503/504) still there after the retries.
func IsUnreachable(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
		syscall.EPIPE, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ETIMEDOUT} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return true
	}
	// net/http reports some dropped connections only as text.
	msg := err.Error()
	for _, s := range []string{"server closed idle connection", "connection reset by peer", "transport connection broken", "EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// wrap turns an error of a gophercloud call into this package's form:
// HTTP errors become *APIError, re-authentication wrappers are unwrapped,
// and the text names the site and the operation with secrets removed.
func (s *Site) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	cause := s.translate(err)
	msg := fmt.Sprintf("openstack site %q: %s: %v", s.name, op, cause)
	if hint := certificateHint(cause); hint != "" {
		return &siteError{msg: s.redact(fmt.Sprintf("openstack site %q: %s: %s", s.name, op, hint)), err: cause}
	}
	if IsUnreachable(cause) {
		msg = fmt.Sprintf("openstack site %q unreachable: %s: %v%s (check that the site is up and reachable from here)", s.name, op, cause, s.retried(cause))
	} else if r := s.retried(cause); r != "" {
		msg += r
	}
	return &siteError{msg: s.redact(msg), err: cause}
}

// retried says that an answer the retries cover (429 for any request; 502,
// 503 and 504 where repeating is safe) was still the answer after them, so
// that the error shows the failure lasted and was not a single blip.
func (s *Site) retried(cause error) string {
	var ae *APIError
	if s.cfg.MaxRetries <= 0 || !errors.As(cause, &ae) {
		return ""
	}
	switch ae.StatusCode {
	case http.StatusTooManyRequests:
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if !idempotent(ae.Method, ae.URL) {
			return ""
		}
	default:
		return ""
	}
	return fmt.Sprintf(" (retried up to %d times)", s.cfg.MaxRetries)
}

// certificateHint explains a server certificate the client refused: whose,
// why, and the settings that fix it. "" for any other error.
func certificateHint(err error) string {
	var (
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		reason  error
	)
	switch {
	case errors.As(err, &verify):
		reason = verify.Err
	case errors.As(err, &unknown):
		reason = unknown
	case errors.As(err, &host):
		reason = host
	case errors.As(err, &invalid):
		reason = invalid
	default:
		return ""
	}
	server := "the site"
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			server = u.Scheme + "://" + u.Host
		}
	}
	return fmt.Sprintf("the TLS certificate of %s is not trusted (%v): give the CA bundle that signed it as cacert_file "+
		"in the provider's sites entry of the site, or as cacert in its clouds.yaml entry (insecure = true skips the check, "+
		"for test clouds only)", server, reason)
}

// errorf is wrap for errors made here (no translation needed).
func (s *Site) errorf(op string, err error) error {
	return &siteError{msg: s.redact(fmt.Sprintf("openstack site %q: %s: %v", s.name, op, err)), err: err}
}

// translate maps gophercloud's error types to *APIError and plain causes.
func (s *Site) translate(err error) error {
	var reauth gophercloud.ErrUnableToReauthenticate
	if errors.As(err, &reauth) {
		// The token expired and logging in again failed: the login failure
		// is what the user must fix.
		return fmt.Errorf("token expired and re-authentication failed: %w", s.translate(reauth.ErrReauth))
	}
	var reauthPtr *gophercloud.ErrUnableToReauthenticate
	if errors.As(err, &reauthPtr) {
		return fmt.Errorf("token expired and re-authentication failed: %w", s.translate(reauthPtr.ErrReauth))
	}
	var code gophercloud.ErrUnexpectedResponseCode
	var codePtr *gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &codePtr) {
		code = *codePtr
	}
	if code.Actual != 0 || errors.As(err, &code) {
		return &APIError{
			StatusCode: code.Actual,
			Message:    s.redact(serviceMessage(code.Body)),
			Method:     code.Method,
			URL:        code.URL,
		}
	}
	return err
}

// serviceMessage extracts the human message of an OpenStack error body:
// {"<kind>": {"code": N, "message": "..."}} (Cinder, Nova), {"error":
// {"message": ...}} (Keystone), {"message": ...}, or the body's text
// (Swift answers plain text or small HTML pages).
func serviceMessage(body []byte) string {
	b := strings.TrimSpace(string(body))
	if b == "" {
		return ""
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil {
		var m string
		if raw, ok := top["message"]; ok && json.Unmarshal(raw, &m) == nil && m != "" {
			return m
		}
		for _, raw := range top {
			var inner struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(raw, &inner) == nil && inner.Message != "" {
				return inner.Message
			}
		}
	}
	b = htmlTag.ReplaceAllString(b, " ")
	b = strings.Join(strings.Fields(b), " ")
	if len(b) > 300 {
		b = b[:300] + "..."
	}
	return b
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// redact removes passwords, application credential secrets and tokens.
func (s *Site) redact(msg string) string {
	for _, secret := range s.secrets() {
		if len(secret) >= 4 {
			msg = strings.ReplaceAll(msg, secret, "[redacted]")
		}
	}
	return msg
}
