package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// Moved from the provider's TestNormalizeArrayURL: the canonical form is
// the engine's rule now.
func TestCanonicalArrayURL(t *testing.T) {
	tests := map[string]string{
		"https://FlashArray-A.example.com/":   "https://flasharray-a.example.com",
		"https://flasharray-a.example.com":    "https://flasharray-a.example.com",
		" https://127.0.0.1:8443 ":            "https://127.0.0.1:8443",
		"https://array.example.com/Api/Path/": "https://array.example.com/Api/Path",
	}
	for in, want := range tests {
		if got := CanonicalArrayURL(in); got != want {
			t.Errorf("CanonicalArrayURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every spelling of an array's URL shares one token, one client and one
// login: the configuration's, Prewarm's and a policy's.
func TestArraySpellingsShareOneLogin(t *testing.T) {
	w, _ := testWorld(t, false)
	arr := w.Array("flasharray-a")
	u := arr.URL()
	spellings := []string{u + "/", " " + u + " ", strings.Replace(u, "https://", "HTTPS://", 1)}
	e := New(Config{ArrayTokens: map[string]string{u: simulator.ArrayAToken, u + "/": simulator.ArrayAToken},
		ArrayCACertPEM: w.CACertPEM(), RequestTimeout: 10 * time.Second})
	logins := func() int { return arr.Faults().Count("POST", "/login") }

	e.Prewarm(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.mu.Lock()
		_, named := e.arrayNames[CanonicalArrayURL(u)]
		e.mu.Unlock()
		if named || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, url := range spellings {
		c, err := e.array(ArrayEndpoint{URL: url}) // the token comes from the configuration
		if err != nil {
			t.Fatalf("%q: %v", url, err)
		}
		if _, err := e.arrayName(context.Background(), c, url); err != nil {
			t.Fatalf("%q: %v", url, err)
		}
		if _, err := c.Array(context.Background()); err != nil {
			t.Fatalf("%q: %v", url, err)
		}
	}
	if n := logins(); n != 1 {
		t.Fatalf("%d logins to one array spelled %d ways, want 1", n, len(spellings)+2)
	}
}
