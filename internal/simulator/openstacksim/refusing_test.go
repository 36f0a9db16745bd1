package openstacksim

import (
	"errors"
	"net/http"
	"syscall"
	"testing"
)

// TestSetRefusing: a refusing site's port is closed (connections refused,
// not accepted and dropped), and reopening it serves the same site again.
func TestSetRefusing(t *testing.T) {
	s := New(Options{Name: "site-a", Region: "RegionOne"})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	get := func() error {
		resp, err := http.Get(s.AuthURL())
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(); err != nil {
		t.Fatalf("before: %v", err)
	}
	url := s.URL()
	if err := s.SetRefusing(true); err != nil {
		t.Fatal(err)
	}
	if err := get(); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("refusing: err = %v, want connection refused", err)
	}
	if err := s.SetRefusing(false); err != nil {
		t.Fatal(err)
	}
	if s.URL() != url {
		t.Errorf("reopened on %s, want %s", s.URL(), url)
	}
	if err := get(); err != nil {
		t.Errorf("after: %v", err)
	}
}
