package provider

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Validators of single arguments, run at `validate` (and before every plan)
// without the provider. Each message names the argument, says what is wrong
// and how to write it instead. Unknown values pass: they are checked once
// known (at plan, or at apply by the engine).

var (
	// siteNamePattern: a site name is a key of the provider's sites, a
	// clouds.yaml entry, part of an object name in the site's store and of
	// import ids ("<site>/<group>"), so no '/' and no white space.
	siteNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// purityNamePattern is Purity's rule for object names (volumes,
	// protection groups, pods): 1 to 63 letters, digits and '-', beginning
	// and ending with a letter or digit.
	purityNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	uuidPattern       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// maxGroupNameLength is Cinder's limit on a group name (the consistency
// groups are named after the protection group).
const maxGroupNameLength = 255

// stringCheck is a validator made of a check that returns what is wrong
// ("" when nothing is) and the fix to suggest.
type stringCheck struct {
	summary string // "Invalid site name"
	rule    string // what a valid value looks like, for docs and messages
	check   func(string) string
}

var _ validator.String = stringCheck{}

func (v stringCheck) Description(context.Context) string         { return v.rule }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.rule }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	if problem := v.check(s); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary,
			fmt.Sprintf("%s = %q %s. Use %s.", req.Path, s, problem, v.rule))
	}
}

// siteName validates a site name (protector_site.name, a group's sites,
// the keys of the provider's sites).
func siteName() stringCheck {
	return stringCheck{
		summary: "Invalid site name",
		rule:    "1 to 64 letters, digits, '.', '_' or '-', beginning with a letter or digit, as the site's key in the provider's `sites` or its `clouds.yaml` entry (e.g. `site-a`)",
		check: func(s string) string {
			if !siteNamePattern.MatchString(s) {
				return "is not a site name"
			}
			return ""
		},
	}
}

// groupName validates a protection group name: any text Cinder accepts as a
// group name, without '/' (import ids are "<site>/<name>") and without
// leading or trailing blanks or control characters.
func groupName() stringCheck {
	return stringCheck{
		summary: "Invalid protection group name",
		rule:    fmt.Sprintf("1 to %d characters without '/', control characters or leading and trailing blanks (e.g. `prod-web-app`)", maxGroupNameLength),
		check: func(s string) string {
			switch {
			case s == "":
				return "is empty"
			case len(s) > maxGroupNameLength:
				return fmt.Sprintf("is %d bytes long, longer than Cinder allows (%d)", len(s), maxGroupNameLength)
			case strings.Contains(s, "/"):
				return "contains '/', which import ids use as separator (<site>/<name>)"
			case strings.TrimSpace(s) != s:
				return "begins or ends with a blank"
			case strings.IndexFunc(s, unicode.IsControl) >= 0:
				return "contains a control character"
			}
			return ""
		},
	}
}

// pureGroupName validates the name of a Pure protection group or pod,
// optionally pod-qualified (`pod::pg`, a protection group inside a pod).
func pureGroupName() stringCheck {
	return stringCheck{
		summary: "Invalid Pure protection group name",
		rule: "a Purity name: 1 to 63 letters, digits and '-', beginning and ending with a letter or digit, not only digits " +
			"(e.g. `pg-prod-web-app`); a protection group inside a pod is written `<pod>::<name>`",
		check: func(s string) string {
			parts := strings.Split(s, "::")
			if len(parts) > 2 {
				return "has more than one '::' (only `<pod>::<name>` is allowed)"
			}
			for _, p := range parts {
				if problem := purityName(p); problem != "" {
					if len(parts) == 2 {
						return fmt.Sprintf("has the part %q that %s", p, problem)
					}
					return problem
				}
			}
			return ""
		},
	}
}

func purityName(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > 63:
		return fmt.Sprintf("is %d characters long, longer than Purity allows (63)", len(s))
	case !purityNamePattern.MatchString(s):
		return "is not a Purity name"
	case strings.Trim(s, "0123456789") == "":
		return "has only digits"
	}
	return ""
}

// instanceID validates a Nova server id.
func instanceID() stringCheck {
	return stringCheck{
		summary: "Invalid instance id",
		rule:    "the Nova server's UUID, as `openstack server show <name> -f value -c id` prints it (e.g. `a1b2c3d4-1111-2222-3333-aabbccddeeff`), not its name",
		check: func(s string) string {
			if !uuidPattern.MatchString(s) {
				return "is not a UUID"
			}
			return ""
		},
	}
}

// protectionGroupID validates a group id as the engine makes them.
func protectionGroupID() stringCheck {
	return stringCheck{
		summary: "Invalid protection group id",
		rule:    "the `id` of a protector_protection_group, `pg-<uuid>` (e.g. `protector_protection_group.web.id`)",
		check: func(s string) string {
			if !strings.HasPrefix(s, "pg-") || !uuidPattern.MatchString(strings.TrimPrefix(s, "pg-")) {
				return "is not a protection group id"
			}
			return ""
		},
	}
}

// arrayURL validates a FlashArray management URL: https only, a host, no
// credentials, query or fragment.
func arrayURL() stringCheck {
	return stringCheck{
		summary: "Invalid FlashArray URL",
		rule:    "the array's HTTPS management URL, `https://<array name or address>[:port]` (e.g. `https://flasharray-a.example.com`)",
		check: func(s string) string {
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
		},
	}
}
