package engine

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// The rules of the names and ids a configuration gives. Each returns why a
// value is refused, as a phrase that follows the value ("is empty"), or ""
// when it is accepted, so that a caller (the provider's validators, at
// `validate`) words the message around it.

// MaxGroupNameLength is Cinder's limit on a group name (the consistency
// groups are named after the protection group).
const MaxGroupNameLength = 255

// MaxPurityNameLength is Purity's limit on an object name (volumes,
// protection groups, pods).
const MaxPurityNameLength = 63

// MaxSiteNameLength bounds a site name (see siteNamePattern).
const MaxSiteNameLength = 64

// MaxCinderNameLength is Cinder's limit on the name of a volume type or
// group type (the column's length).
const MaxCinderNameLength = 255

var (
	// siteNamePattern: a site name is a key of the provider's sites, a
	// clouds.yaml entry, part of an object name in the site's store and of
	// import ids ("<site>/<group>"), so no '/' and no white space.
	siteNamePattern = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9][A-Za-z0-9._-]{0,%d}$`, MaxSiteNameLength-1))
	// purityNamePattern is Purity's rule for object names: letters, digits
	// and '-', beginning and ending with a letter or digit.
	purityNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	uuidPattern       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// groupIDPrefix starts every protection group id (pg-<uuid>).
const groupIDPrefix = "pg-"

// SiteNameProblem says why s is not a site name.
func SiteNameProblem(s string) string {
	if !siteNamePattern.MatchString(s) {
		return "is not a site name"
	}
	return ""
}

// GroupNameProblem says why s is not a protection group name: any text
// Cinder accepts as a group name, without '/' (import ids are
// "<site>/<name>") and without leading or trailing blanks or control
// characters.
func GroupNameProblem(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > MaxGroupNameLength:
		return fmt.Sprintf("is %d bytes long, longer than Cinder allows (%d)", len(s), MaxGroupNameLength)
	case strings.Contains(s, "/"):
		return "contains '/', which import ids use as separator (<site>/<name>)"
	case strings.TrimSpace(s) != s:
		return "begins or ends with a blank"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "contains a control character"
	}
	return ""
}

// PureGroupNameProblem says why s is not the name of a Pure protection
// group or pod, optionally pod-qualified (`pod::pg`, a protection group
// inside a pod).
func PureGroupNameProblem(s string) string {
	parts := strings.Split(s, "::")
	if len(parts) > 2 {
		return "has more than one '::' (only `<pod>::<name>` is allowed)"
	}
	for _, p := range parts {
		if problem := PurityNameProblem(p); problem != "" {
			if len(parts) == 2 {
				return fmt.Sprintf("has the part %q that %s", p, problem)
			}
			return problem
		}
	}
	return ""
}

// PurityNameProblem says why s is not a Purity object name: 1 to 63
// letters, digits and '-', beginning and ending with a letter or digit,
// not only digits.
func PurityNameProblem(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > MaxPurityNameLength:
		return fmt.Sprintf("is %d characters long, longer than Purity allows (%d)", len(s), MaxPurityNameLength)
	case !purityNamePattern.MatchString(s):
		return "is not a Purity name"
	case strings.Trim(s, "0123456789") == "":
		return "has only digits"
	}
	return ""
}

// CinderTypeNameProblem says why s cannot name a Cinder volume type or
// group type (by name or id).
func CinderTypeNameProblem(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > MaxCinderNameLength:
		return fmt.Sprintf("is %d bytes long, longer than Cinder allows (%d)", len(s), MaxCinderNameLength)
	}
	return ""
}

// AuthURLProblem says why s is not a Keystone endpoint URL: http or
// https, and a host.
func AuthURLProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "is not an http:// or https:// URL"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	}
	return ""
}

// InstanceIDProblem says why s is not a Nova server id (a UUID).
func InstanceIDProblem(s string) string {
	if !uuidPattern.MatchString(s) {
		return "is not a UUID"
	}
	return ""
}

// GroupIDProblem says why s is not a protection group id as the engine
// makes them (pg-<uuid>).
func GroupIDProblem(s string) string {
	if !strings.HasPrefix(s, groupIDPrefix) || !uuidPattern.MatchString(strings.TrimPrefix(s, groupIDPrefix)) {
		return "is not a protection group id"
	}
	return ""
}

// ArrayURLProblem says why s is not a FlashArray management URL: https
// only, a host, no credentials, query or fragment.
func ArrayURLProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case !strings.HasPrefix(s, "https://"):
		return "is not an https:// URL (FlashArray management APIs are reached over HTTPS only)"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "carries credentials (give the API token as a token argument instead)"
	case u.RawQuery != "" || u.Fragment != "":
		return "has a query or fragment"
	}
	return ""
}
