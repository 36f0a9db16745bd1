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

// Moved from the provider's TestArrayTokenFallsBackToProvider: an endpoint's
// own token wins; without one, the configuration's entry for the array,
// however its URL is spelt; ConfiguredArrayToken tells which arrays have one.
func TestArrayTokenFallsBackToTheConfiguration(t *testing.T) {
	e := New(Config{ArrayTokens: map[string]string{"https://flasharray-a.example.com": "T-provider"}})
	token := func(ep ArrayEndpoint) string {
		c, err := e.array(ep)
		if err != nil {
			return ""
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		for key, client := range e.arrays {
			if client == c {
				_, tok, _ := strings.Cut(key, "\x00")
				return tok
			}
		}
		return ""
	}
	if got := token(ArrayEndpoint{URL: "https://FlashArray-A.example.com/"}); got != "T-provider" {
		t.Errorf("token by another spelling = %q, want the configuration's", got)
	}
	if got := token(ArrayEndpoint{URL: "https://flasharray-a.example.com", APIToken: "T-own"}); got != "T-own" {
		t.Errorf("own token: %q, want it to win", got)
	}
	if got := token(ArrayEndpoint{URL: "https://flasharray-z.example.com"}); got != "" {
		t.Errorf("unknown array: token %q, want none", got)
	}
	if !e.ConfiguredArrayToken("https://FLASHARRAY-A.example.com") || e.ConfiguredArrayToken("https://flasharray-z.example.com") {
		t.Error("ConfiguredArrayToken does not tell the configured array from another")
	}
}

// Two spellings of one array's URL with two tokens are refused; with one
// token they are one entry.
func TestAddArrayToken(t *testing.T) {
	tokens := map[string]string{}
	if problem := AddArrayToken(tokens, "https://flasharray-a.example.com", "T-a"); problem != "" {
		t.Fatal(problem)
	}
	if problem := AddArrayToken(tokens, "https://FlashArray-A.example.com/", "T-a"); problem != "" {
		t.Errorf("the same token under another spelling: %s", problem)
	}
	problem := AddArrayToken(tokens, "https://FLASHARRAY-A.example.com", "T-other")
	if !strings.Contains(problem, "Two entries of flasharrays name https://FLASHARRAY-A.example.com with different tokens") {
		t.Errorf("another token for the same array: %q", problem)
	}
	if len(tokens) != 1 || tokens["https://flasharray-a.example.com"] != "T-a" {
		t.Errorf("tokens = %v, want the first one, by its canonical URL", tokens)
	}
}
