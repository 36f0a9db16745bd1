package provider

import (
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestAccDataSources_sitesAndVolumeTypes: both registered sites with their
// validation, and the volume types of site-a seen by a member only (the
// replication_type of replicated-ssd cannot be checked) and by an admin.
func TestAccDataSources_sitesAndVolumeTypes(t *testing.T) {
	t.Parallel()
	memberOnly(t, "its first step reads the volume types as a member")
	w := newPortableWorld(t)
	reads := `
data "protector_sites" "all" {
  depends_on = [protector_site.a, protector_site.b]
}

data "protector_volume_types" "a" {
  site = "site-a"
}
`
	vt := func(name string, eligible, checked bool, replicationType string, reason knownvalue.Check) knownvalue.Check {
		return knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"name": knownvalue.StringExact(name), "eligible": knownvalue.Bool(eligible), "checked": knownvalue.Bool(checked),
			"replication_type": knownvalue.StringExact(replicationType), "reason": reason,
		})
	}
	none := knownvalue.StringExact("")
	site := func(name string, admin bool) knownvalue.Check {
		return knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"name": knownvalue.StringExact(name), "status": knownvalue.StringExact("active"), "reachable": knownvalue.Bool(true),
			"admin_checks": knownvalue.Bool(admin), "consistency_group_type": knownvalue.StringExact("consistency-group"),
			"services": knownvalue.ListPartial(map[int]knownvalue.Check{}),
		})
	}
	const sites, types = "data.protector_sites.all", "data.protector_volume_types.a"
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: w.provider(providerOptions{}) + sitesHCL + reads,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(sites, tfjsonpath.New("sites"), knownvalue.ListExact([]knownvalue.Check{site("site-a", false), site("site-b", false)})),
					statecheck.ExpectKnownValue(sites, tfjsonpath.New("sites").AtSliceIndex(0).AtMapKey("messages"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringRegexp(wrapped(`no admin credential for site site-a`))})),
					statecheck.ExpectKnownValue(types, tfjsonpath.New("volume_types"), knownvalue.ListExact([]knownvalue.Check{
						vt("__DEFAULT__", false, true, "", knownvalue.StringExact("replication_enabled is no such property, not '<is> True'")),
						vt("replicated-a-only", false, false, "", knownvalue.StringRegexp(wrapped(`admins only \(configure sites.site-a.admin\)`))),
						vt("replicated-ssd", false, false, "", knownvalue.StringRegexp(wrapped(`admins only`))),
						vt("replicated-sync", false, false, "", knownvalue.StringRegexp(wrapped(`admins only`))),
						vt("standard", false, true, "", knownvalue.StringRegexp(wrapped(`not '<is> True'`))),
					})),
				},
			},
			{
				Config: w.provider(providerOptions{admin: true}) + sitesHCL + reads,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(sites, tfjsonpath.New("sites"), knownvalue.ListExact([]knownvalue.Check{site("site-a", true), site("site-b", true)})),
					statecheck.ExpectKnownValue(types, tfjsonpath.New("volume_types"), knownvalue.ListExact([]knownvalue.Check{
						vt("__DEFAULT__", false, true, "", knownvalue.NotNull()),
						vt("replicated-a-only", true, true, "async", none),
						vt("replicated-ssd", true, true, "async", none),
						vt("replicated-sync", true, true, "sync", none),
						vt("standard", false, true, "", knownvalue.NotNull()),
					})),
				},
			},
		},
	})
}
