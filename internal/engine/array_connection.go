package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
)

// CanonicalArrayURL is the one spelling of a FlashArray's management URL
// that every token, client and name is keyed by: https://Array-A/ and
// https://array-a are one array (scheme and host are case-insensitive; a
// trailing slash or surrounding space says nothing), so they share one
// token, one login and one name.
func CanonicalArrayURL(url string) string {
	url = strings.TrimRight(strings.TrimSpace(url), "/")
	if i := strings.Index(url, "://"); i >= 0 {
		rest := url[i+3:]
		host, tail, _ := strings.Cut(rest, "/")
		url = strings.ToLower(url[:i+3]+host) + strings.TrimSuffix("/"+tail, "/")
	}
	return url
}

// AddArrayToken records the API token of the FlashArray at url in tokens
// (keyed by canonical URL, as Config.ArrayTokens is read). It says why when
// another spelling of the URL already holds a different token, and keeps
// the first; "" otherwise.
func AddArrayToken(tokens map[string]string, url, token string) string {
	key := CanonicalArrayURL(url)
	if other, ok := tokens[key]; ok && other != token {
		return fmt.Sprintf("Two entries of flasharrays name %s with different tokens; keep one.", url)
	}
	tokens[key] = token
	return ""
}

// arrays are the two FlashArrays of a policy with their own names.
type arrays struct {
	primary, secondary         *flasharray.Client
	primaryURL, secondaryURL   string
	primaryName, secondaryName string
}

func (e *Engine) connectArrays(ctx context.Context, primary, secondary ArrayEndpoint) (*arrays, error) {
	a := &arrays{primaryURL: primary.URL, secondaryURL: secondary.URL}
	var err error
	if a.primary, err = e.array(primary); err != nil {
		return nil, err
	}
	if a.secondary, err = e.array(secondary); err != nil {
		return nil, err
	}
	// Each array's first call negotiates, logs in and reads its name: two
	// independent chains of round trips, so run them side by side.
	var perr error
	parallel(
		func() { a.primaryName, perr = e.arrayName(ctx, a.primary, primary.URL) },
		func() { a.secondaryName, err = e.arrayName(ctx, a.secondary, secondary.URL) },
	)
	if perr != nil {
		return nil, perr
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// arrayName reads an array's name once per engine.
func (e *Engine) arrayName(ctx context.Context, c *flasharray.Client, url string) (string, error) {
	key := CanonicalArrayURL(url)
	e.mu.Lock()
	name, ok := e.arrayNames[key]
	e.mu.Unlock()
	if ok {
		return name, nil
	}
	arr, err := c.Array(ctx)
	if err != nil {
		return "", e.arrayError(url, "read the array", err)
	}
	e.mu.Lock()
	e.arrayNames[key] = arr.Name
	e.mu.Unlock()
	return arr.Name, nil
}

// checkConnection checks the primary array replicates to the secondary.
func (e *Engine) checkConnection(ctx context.Context, a *arrays, replicationType string) error {
	conns, err := a.primary.ArrayConnections(ctx)
	if err != nil {
		return e.arrayError(a.primaryURL, "list array connections", err)
	}
	// A sync (ActiveCluster) connection carries async replication too; an
	// async-only connection cannot stretch a pod.
	accepted := []string{"async-replication", "sync-replication"}
	if replicationType == ReplicationSync {
		accepted = []string{"sync-replication"}
	}
	for _, c := range conns {
		if c.Name == a.secondaryName {
			if c.Status != "connected" {
				return &Error{Kind: KindArray, Object: a.primaryURL, Detail: fmt.Sprintf("the connection from %s to %s is %s, not connected", a.primaryName, a.secondaryName, c.Status), Fix: "Repair the array connection (purearray connect), then run again"}
			}
			if !slices.Contains(accepted, c.Type) {
				return &Error{Kind: KindArray, Object: a.primaryURL, Detail: fmt.Sprintf("the connection from %s to %s is of type %s, and a %s group needs %s", a.primaryName, a.secondaryName, c.Type, replicationType, strings.Join(accepted, " or "))}
			}
			return nil
		}
	}
	return &Error{Kind: KindArray, Object: a.primaryURL, Detail: fmt.Sprintf("FlashArray %s has no connection to %s", a.primaryName, a.secondaryName), Fix: "Connect the arrays for replication first (purearray connect)"}
}

func (e *Engine) policyArrays(ctx context.Context, d *document) (*arrays, error) {
	return e.connectArrays(ctx, ArrayEndpoint{URL: d.Policy.PrimaryArrayURL}, ArrayEndpoint{URL: d.Policy.SecondaryArrayURL})
}
