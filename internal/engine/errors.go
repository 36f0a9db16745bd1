package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// ErrNotFound is returned when a site record, group, policy or member does
// not exist (anymore).
var ErrNotFound = errors.New("not found")

// Kind classifies an engine error the way the guide names failures.
type Kind string

const (
	KindNotEligible   Kind = "volume type not eligible for replication"
	KindMismatch      Kind = "volume type mismatch"
	KindBackend       Kind = "volume on another storage backend"
	KindUnreachable   Kind = "remote site unreachable"
	KindConflict      Kind = "metadata version conflict"
	KindPolicyExists  Kind = "policy already attached"
	KindNameTaken     Kind = "protection group name already exists"
	KindGroupNotFound Kind = "protection group not found"
	KindUnknownSite   Kind = "unknown site"
	KindBlocked       Kind = "DR operation in progress"
	KindNotRegistered Kind = "site not registered"
	KindInvalid       Kind = "invalid request"
	KindArray         Kind = "FlashArray error"
	KindCloud         Kind = "OpenStack error"
	KindRegistered    Kind = "site already registered"
	KindSiteInUse     Kind = "site in use"
	KindOrphaned      Kind = "orphaned consistency groups"
	KindNotReady      Kind = "not ready to fail over"
)

// Error is an engine failure that says what is wrong, where, and how to fix
// it.
type Error struct {
	Kind Kind
	// Site, and Object (a volume, type, group or instance), say where.
	Site   string
	Object string
	// Detail explains; Fix says what to do.
	Detail string
	Fix    string
	Err    error
}

func (e *Error) Error() string {
	msg := string(e.Kind)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Fix != "" {
		msg += ". " + e.Fix
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Summary is a one-line title for the failure.
func (e *Error) Summary() string {
	s := string(e.Kind)
	if e.Site != "" {
		s += fmt.Sprintf(" (site %s)", e.Site)
	}
	return s
}

// groupNotFound names the group a plan-time check did not find, and where
// it looked; other errors pass unchanged. It still matches ErrNotFound.
func (e *Engine) groupNotFound(id string, err error) error {
	var ee *Error
	if !errors.Is(err, ErrNotFound) || errors.As(err, &ee) {
		return err
	}
	return &Error{Kind: KindGroupNotFound, Object: id,
		Detail: fmt.Sprintf("protection group %s does not exist: none of the sites %s holds its metadata", id, strings.Join(e.knownSites(), ", ")),
		Fix: "Check protection_group_id: reference the group's resource (protector_protection_group.<name>.id) so that it is created first, " +
			"or import the group if it lives on a site the provider does not list in sites",
		Err: err}
}

// IsKind reports whether err is an engine Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

// cloudError wraps an OpenStack failure, naming unreachable sites the way
// the guide does.
func (e *Engine) cloudError(site, doing string, err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, ErrNotFound) {
		return err
	}
	if openstack.IsUnreachable(err) {
		return &Error{Kind: KindUnreachable, Site: site,
			Detail: fmt.Sprintf("site %s could not be reached to %s: %v", site, doing, err),
			Fix:    fmt.Sprintf("Nothing was changed. Check that %s is up and reachable (the guide's `site validate %s`), then run again", site, site),
			Err:    err}
	}
	return &Error{Kind: KindCloud, Site: site, Detail: fmt.Sprintf("could not %s on site %s: %v", doing, site, err), Err: err}
}

func (e *Engine) arrayError(url, doing string, err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return err
	}
	if flasharray.IsUnreachable(err) {
		return &Error{Kind: KindArray, Object: url,
			Detail: fmt.Sprintf("FlashArray %s could not be reached to %s: %v", url, doing, err),
			Fix:    "Check the array's management URL and network, then run again", Err: err}
	}
	return &Error{Kind: KindArray, Object: url, Detail: fmt.Sprintf("could not %s on FlashArray %s: %v", doing, url, err), Err: err}
}
