package openstacksim

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// serve dispatches on the devstack-style path prefix of each service.
func (s *Site) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/identity" || strings.HasPrefix(p, "/identity/"):
		s.serveKeystone(w, r, strings.TrimPrefix(p, "/identity"))
	case p == "/compute" || strings.HasPrefix(p, "/compute/"):
		s.serveNova(w, r, strings.TrimPrefix(p, "/compute"))
	case p == "/volume" || strings.HasPrefix(p, "/volume/"):
		s.serveCinder(w, r, strings.TrimPrefix(p, "/volume"))
	case p == "/object-store" || strings.HasPrefix(p, "/object-store/"):
		s.serveSwift(w, r, strings.TrimPrefix(p, "/object-store"))
	case p == "/networking" || strings.HasPrefix(p, "/networking/"):
		s.serveNeutron(w, r, strings.TrimPrefix(p, "/networking"))
	case p == "/image" || strings.HasPrefix(p, "/image/"):
		serveEmpty(w, r, strings.TrimPrefix(p, "/image"))
	default:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>")
	}
}

// caller is who made a request, from a valid token.
type caller struct {
	token     Token
	userName  string
	projectID string
	admin     bool
}

func (c *caller) hasRole(role string) bool { return slices.Contains(c.token.Roles, role) }

// authenticate validates X-Auth-Token as keystonemiddleware does.
func (s *Site) authenticate(r *http.Request) (*caller, bool) {
	id := r.Header.Get("X-Auth-Token")
	if id == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.validToken(id)
	if t == nil {
		return nil, false
	}
	c := &caller{token: *t, projectID: t.ProjectID, admin: slices.Contains(t.Roles, "admin")}
	if u := s.st.Users[t.UserID]; u != nil {
		c.userName = u.Name
	}
	return c, true
}

// validToken returns the token if it exists and has not expired. mu held.
func (s *Site) validToken(id string) *Token {
	t := s.st.Tokens[id]
	if t == nil || t.Expired || time.Now().After(t.ExpiresAt) {
		return nil
	}
	if u := s.st.Users[t.UserID]; u == nil {
		return nil
	}
	return t
}

// unauthorized is keystonemiddleware's answer to a missing or invalid token
// in front of Nova and Cinder.
func (s *Site) unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Keystone uri="`+s.baseURL(r)+`/identity"`)
	writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{
		"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication.",
	}})
}

// baseURL is the scheme and host the client used, for links and catalogs.
func (s *Site) baseURL(r *http.Request) string {
	if u := s.URL(); u != "" {
		return u
	}
	return requestBase(r)
}

// requestBase is the scheme and host of the request as the client sent it.
func requestBase(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// faultNames are the error envelopes of Nova's and Cinder's wsgi Fault.
var faultNames = map[int]string{
	400: "badRequest",
	401: "unauthorized",
	403: "forbidden",
	404: "itemNotFound",
	405: "badMethod",
	409: "conflictingRequest",
	413: "overLimit",
	415: "badMediaType",
	429: "overLimit",
	501: "notImplemented",
	503: "serviceUnavailable",
}

// writeFault writes {"<faultName>": {"code": N, "message": msg}}, the
// error body of Nova and Cinder (computeFault for unnamed codes).
func writeFault(w http.ResponseWriter, status int, msg string) {
	name, ok := faultNames[status]
	if !ok {
		name = "computeFault"
	}
	writeJSON(w, status, map[string]any{name: map[string]any{"code": status, "message": msg}})
}

// decodeBody reads a JSON object body; ok is false when it is missing or
// not JSON.
func decodeBody(r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// splitPath splits "/a/b/c" into ["a","b","c"], ignoring a trailing slash.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000")
}

func isoTimeZ(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// apiVersion is a microversion major.minor.
type apiVersion struct{ major, minor int }

var versionRe = regexp.MustCompile(`^([1-9]\d*)\.([1-9]\d*|0)$`)

// parseAPIVersion accepts the form the services accept: MajorNum.MinorNum
// without leading zeros.
func parseAPIVersion(s string) (apiVersion, bool) {
	m := versionRe.FindStringSubmatch(s)
	if m == nil {
		return apiVersion{}, false
	}
	maj, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return apiVersion{maj, minor}, true
}

func mustVersion(s string) apiVersion {
	v, ok := parseAPIVersion(s)
	if !ok {
		panic("bad version " + s)
	}
	return v
}

func (v apiVersion) String() string { return strconv.Itoa(v.major) + "." + strconv.Itoa(v.minor) }

func (v apiVersion) less(o apiVersion) bool {
	return v.major < o.major || (v.major == o.major && v.minor < o.minor)
}

// atLeast reports whether v >= s ("3.13").
func (v apiVersion) atLeast(s string) bool { return !v.less(mustVersion(s)) }

// requestID is the x-openstack-request-id the services send back.
func requestID() string { return "req-" + newUUID() }
