package flasharray

import (
	"strings"
	"testing"
)

// FuzzParseAPIError: whatever body an array or its gateway sends, the error
// keeps the status, names the request and never panics.
func FuzzParseAPIError(f *testing.F) {
	for _, seed := range []string{
		`{"errors":[{"context":"pg-1","message":"Protection group does not exist."}]}`,
		`{"message":"Too many requests"}`,
		`<html>busy</html>`, ``, `{"errors":null}`, `{"errors":[{}]}`, strings.Repeat("x", 500),
	} {
		f.Add(400, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseAPIError("GET", "/api/2.26/protection-groups", status, body, 1)
		if e.StatusCode != status {
			t.Fatalf("status %d became %d", status, e.StatusCode)
		}
		if msg := e.Error(); !strings.Contains(msg, "/api/2.26/protection-groups") {
			t.Fatalf("error %q does not name the request", msg)
		}
	})
}
