package openstack

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzServiceMessage: the message extracted from any Cinder, Nova, Keystone
// or Swift error body never panics, and a Cinder-shaped body yields its
// message.
func FuzzServiceMessage(f *testing.F) {
	for _, seed := range []string{
		`{"badRequest":{"code":400,"message":"Invalid volume: Volume is not local to this node."}}`,
		`{"itemNotFound":{"code":404,"message":"Group g could not be found."}}`,
		`{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}`,
		`<html><h1>Not Found</h1></html>`, ``, `[]`, `{"badRequest":null}`,
	} {
		f.Add([]byte(seed), "Invalid volume")
	}
	f.Fuzz(func(t *testing.T, body []byte, message string) {
		_ = serviceMessage(body)
		if message == "" || !utf8.ValidString(message) {
			return
		}
		shaped, _ := json.Marshal(map[string]any{"badRequest": map[string]any{"code": 400, "message": message}})
		if got := serviceMessage(shaped); got == "" {
			t.Fatalf("serviceMessage lost the message %q of %s", message, shaped)
		}
	})
}
