package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

// Validators of single arguments, run at `validate` (and before every plan)
// without the provider. Each message names the argument, says what is wrong
// and how to write it instead. Unknown values pass: they are checked once
// known (at plan, or at apply by the engine).

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
		rule: fmt.Sprintf("1 to %d letters, digits, '.', '_' or '-', beginning with a letter or digit, as the site's key in the provider's `sites` "+
			"or its `clouds.yaml` entry (e.g. `site-a`)", engine.MaxSiteNameLength),
		check: engine.SiteNameProblem,
	}
}

// groupName validates a protection group name: any text Cinder accepts as a
// group name, without '/' (import ids are "<site>/<name>") and without
// leading or trailing blanks or control characters.
func groupName() stringCheck {
	return stringCheck{
		summary: "Invalid protection group name",
		rule:    fmt.Sprintf("1 to %d characters without '/', control characters or leading and trailing blanks (e.g. `prod-web-app`)", engine.MaxGroupNameLength),
		check:   engine.GroupNameProblem,
	}
}

// pureGroupName validates the name of a Pure protection group or pod,
// optionally pod-qualified (`pod::pg`, a protection group inside a pod).
func pureGroupName() stringCheck {
	return stringCheck{
		summary: "Invalid Pure protection group name",
		rule: fmt.Sprintf("a Purity name: 1 to %d letters, digits and '-', beginning and ending with a letter or digit, not only digits "+
			"(e.g. `pg-prod-web-app`); a protection group inside a pod is written `<pod>::<name>`", engine.MaxPurityNameLength),
		check: engine.PureGroupNameProblem,
	}
}

// cinderTypeName validates the name or id of a Cinder volume type or group
// type.
func cinderTypeName(what string) stringCheck {
	return stringCheck{
		summary: "Invalid " + what,
		rule:    fmt.Sprintf("the name or id of a Cinder %s, 1 to %d characters", what, engine.MaxCinderNameLength),
		check:   engine.CinderTypeNameProblem,
	}
}

// authURL validates a Keystone endpoint.
func authURL() stringCheck {
	return stringCheck{
		summary: "Invalid auth_url",
		rule:    "the Keystone v3 endpoint, `http://` or `https://` and a host (e.g. `https://keystone.example.com:5000/v3`)",
		check:   engine.AuthURLProblem,
	}
}

// instanceID validates a Nova server id.
func instanceID() stringCheck {
	return stringCheck{
		summary: "Invalid instance id",
		rule:    "the Nova server's UUID, as `openstack server show <name> -f value -c id` prints it (e.g. `a1b2c3d4-1111-2222-3333-aabbccddeeff`), not its name",
		check:   engine.InstanceIDProblem,
	}
}

// protectionGroupID validates a group id as the engine makes them.
func protectionGroupID() stringCheck {
	return stringCheck{
		summary: "Invalid protection group id",
		rule:    "the `id` of a protector_protection_group, `pg-<uuid>` (e.g. `protector_protection_group.web.id`)",
		check:   engine.GroupIDProblem,
	}
}

// arrayURL validates a FlashArray management URL: https only, a host, no
// credentials, query or fragment.
func arrayURL() stringCheck {
	return stringCheck{
		summary: "Invalid FlashArray URL",
		rule:    "the array's HTTPS management URL, `https://<array name or address>[:port]` (e.g. `https://flasharray-a.example.com`)",
		check:   engine.ArrayURLProblem,
	}
}
