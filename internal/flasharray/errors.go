package flasharray

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
	"strings"
	"syscall"
)

// ErrorItem is one entry of the array's error list. Context names the object
// the message is about (a volume, a protection group), when the array says.
type ErrorItem struct {
	Context string `json:"context,omitempty"`
	Message string `json:"message"`
}

// APIError is an answer from the array with a status outside 2xx.
type APIError struct {
	StatusCode int
	Errors     []ErrorItem
	Method     string
	Path       string
	// Attempts is how many times the request was sent; more than one means
	// the status was retried until the retries ran out.
	Attempts int
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "flasharray: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	for i, it := range e.Errors {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if it.Context != "" {
			b.WriteString(it.Context)
			b.WriteString(": ")
		}
		b.WriteString(it.Message)
	}
	return b.String()
}

// Message joins the array's messages, without method, path or status.
func (e *APIError) Message() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, it := range e.Errors {
		msgs = append(msgs, it.Message)
	}
	return strings.Join(msgs, "; ")
}

// hasMessage reports whether any message contains one of the fragments
// (case-insensitive). The array has no error codes; the Cinder Pure driver
// recognises errors by these fragments too.
func (e *APIError) hasMessage(fragments ...string) bool {
	for _, it := range e.Errors {
		if containsAny(it.Message, fragments) {
			return true
		}
	}
	return false
}

func containsAny(msg string, fragments []string) bool {
	m := strings.ToLower(msg)
	for _, f := range fragments {
		if strings.Contains(m, f) {
			return true
		}
	}
	return false
}

// allMessages reports whether every message contains one of the fragments.
func (e *APIError) allMessages(fragments ...string) bool {
	if len(e.Errors) == 0 {
		return false
	}
	for _, it := range e.Errors {
		if !containsAny(it.Message, fragments) {
			return false
		}
	}
	return true
}

// Message fragments of the array (as matched by the Cinder Pure driver).
var (
	msgNotFound      = []string{"does not exist", "could not be found", "no such"}
	msgAlreadyExists = []string{"already exists"}
	// A member already in place: volume in a protection group, target on a
	// protection group, array in a pod, target already allowed.
	msgAlreadyMember = []string{"already belongs", "already exists", "already includes", "already allowed", "already a member", "already stretched"}
	// A member that is not there to remove.
	msgNotMember = []string{"not a member", "does not belong", "is not in ", "not stretched", "not a target"}
)

// parseAPIError builds an APIError from a response body: the array's
// {"errors":[{"context","message"}]} or the gateway's {"message"}.
func parseAPIError(method, path string, status int, body []byte, attempts int) *APIError {
	e := &APIError{StatusCode: status, Method: method, Path: path, Attempts: attempts}
	var shaped struct {
		Errors  []ErrorItem `json:"errors"`
		Message string      `json:"message"`
	}
	if err := json.Unmarshal(body, &shaped); err == nil {
		e.Errors = shaped.Errors
		if len(e.Errors) == 0 && shaped.Message != "" {
			e.Errors = []ErrorItem{{Message: shaped.Message}}
		}
		return e
	}
	if text := strings.TrimSpace(string(body)); text != "" && !strings.HasPrefix(text, "<") {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		e.Errors = []ErrorItem{{Message: text}}
	}
	return e
}

// UnreachableError is a request that got no answer from the array:
// connection refused or reset, timeout, TLS handshake cut short; retried
// until the retries ran out.
type UnreachableError struct {
	Method   string
	Path     string
	Attempts int
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("flasharray: %s %s: array unreachable after %d attempt(s): %v", e.Method, e.Path, e.Attempts, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// TLSError is a certificate the client could not verify. It is not retried:
// the fix is a CA certificate (or insecure mode), not patience.
type TLSError struct {
	URL string
	Err error
}

func (e *TLSError) Error() string {
	return fmt.Sprintf("flasharray: TLS verification of %s failed: %v (give the array's CA certificate, or turn certificate checks off)", e.URL, e.Err)
}

func (e *TLSError) Unwrap() error { return e.Err }

// IsNotFound reports a 404, or a 400 whose message says the object does not
// exist (the array answers 400 for unknown names).
func IsNotFound(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	if ae.StatusCode == http.StatusNotFound {
		return true
	}
	return ae.StatusCode == http.StatusBadRequest && ae.hasMessage(msgNotFound...)
}

// IsAlreadyExists reports a 400 saying the object already exists.
func IsAlreadyExists(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest && ae.hasMessage(msgAlreadyExists...)
}

// IsUnreachable reports that the array could not be reached: a transport
// error or timeout, or 429/5xx answers until the retries ran out.
func IsUnreachable(err error) bool {
	if err == nil {
		return false
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode == http.StatusTooManyRequests ||
			(ae.StatusCode >= 500 && ae.StatusCode != http.StatusNotImplemented)
	}
	var te *TLSError
	if errors.As(err, &te) {
		return false
	}
	return isTransportError(err)
}

// IsUnauthorized reports that the array refused the credentials.
func IsUnauthorized(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden)
}

func isTransportError(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

func isCertError(err error) bool {
	var (
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		cve *tls.CertificateVerificationError
	)
	return errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &cve)
}

func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}
