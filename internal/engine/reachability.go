package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// DefaultReachabilityTimeout is how long a site has to answer a
// reachability check unless Config.ReachabilityTimeout says otherwise: a
// few round trips (a login, a listing) take well under a second on a
// healthy site, even across a WAN.
const DefaultReachabilityTimeout = 10 * time.Second

func (e *Engine) reachabilityTimeout() time.Duration {
	if e.cfg.ReachabilityTimeout > 0 {
		return e.cfg.ReachabilityTimeout
	}
	return DefaultReachabilityTimeout
}

// probe bounds a check that a site answers: ReachabilityTimeout, and a
// transport failure (a refused connection) is the answer, not retried.
func (e *Engine) probe(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(openstack.Probing(ctx), e.reachabilityTimeout())
}

// reachable checks that a site answers (token and object store), the
// guide's precondition for any change, within the reachability timeout.
func (e *Engine) reachable(ctx context.Context, name string) (*openstack.Site, error) {
	s, err := e.site(name)
	if err != nil {
		return nil, err
	}
	pctx, cancel := e.probe(ctx)
	defer cancel()
	if err := s.Authenticate(pctx); err != nil {
		return nil, e.probeError(ctx, name, "authenticate at its Keystone "+s.AuthURL(), err)
	}
	// A token from earlier in the run proves nothing about now: ask the
	// object store, which holds the metadata a change must write.
	if _, err := s.ListObjects(pctx, container, siteObject(name)); err != nil && !errors.Is(err, openstack.ErrNotFound) {
		return nil, e.probeError(ctx, name, "list its object store's container "+container, err)
	}
	return s, nil
}

// probeError is cloudError for a reachability check: a site that let the
// check's deadline pass did not answer, whatever the transport says.
func (e *Engine) probeError(ctx context.Context, site, doing string, err error) error {
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindUnreachable, Site: site,
			Detail: fmt.Sprintf("site %s did not answer within %s (the provider's reachability_timeout) when asked to %s: %v", site, e.reachabilityTimeout(), doing, err),
			Fix: fmt.Sprintf("Nothing was changed. Check that %s is up and reachable (the guide's `site validate %s`), then run again; "+
				"if it is up but slow, raise reachability_timeout", site, site),
			Err: err}
	}
	return e.cloudError(site, doing, err)
}

// bothReachable checks both sites at once (they are independent round
// trips) and returns the secondary's client.
func (e *Engine) bothReachable(ctx context.Context, primary, secondary string) (*openstack.Site, error) {
	var (
		s          *openstack.Site
		perr, serr error
	)
	parallel(
		func() { _, perr = e.reachable(ctx, primary) },
		func() { s, serr = e.reachable(ctx, secondary) },
	)
	if perr != nil {
		return nil, perr
	}
	if serr != nil {
		return nil, peerUnreachable(secondary, serr)
	}
	return s, nil
}

// recentlyReachable is reachable for plan-time checks: OpenTofu plans many
// members at once, and one check of a site answers for all of them. Changes
// use reachable, which always asks.
func (e *Engine) recentlyReachable(ctx context.Context, name string) error {
	_, err := share(ctx, e, e.probes, name, func() (struct{}, error) {
		_, err := e.reachable(ctx, name)
		return struct{}{}, err
	})
	return err
}

// bothRecentlyReachable is bothReachable for plan-time checks.
func (e *Engine) bothRecentlyReachable(ctx context.Context, primary, secondary string) error {
	var perr, serr error
	parallel(
		func() { perr = e.recentlyReachable(ctx, primary) },
		func() { serr = e.recentlyReachable(ctx, secondary) },
	)
	if perr != nil {
		return perr
	}
	if serr != nil {
		return peerUnreachable(secondary, serr)
	}
	return nil
}

func peerUnreachable(site string, err error) error {
	var ee *Error
	if errors.As(err, &ee) && ee.Kind == KindUnreachable {
		return &Error{Kind: KindUnreachable, Site: site,
			Detail: fmt.Sprintf("peer site %s is unreachable, and a change to a protection group needs both sites so that their metadata cannot diverge: %s", site, ee.Detail),
			Fix:    fmt.Sprintf("Nothing was changed. Wait for %s to recover (check it with the guide's `site validate %s`), then run again", site, site),
			Err:    err}
	}
	return err
}
