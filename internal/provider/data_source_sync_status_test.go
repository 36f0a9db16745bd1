package provider

import (
	"regexp"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// groupDataSourcesHCL reads the four group data sources once the members
// are in.
const groupDataSourcesHCL = `
data "protector_sync_status" "web" {
  protection_group_id = protector_protection_group.web.id
  depends_on          = [protector_member.web1, protector_member.db1]
}

data "protector_sync_log" "web" {
  protection_group_id = protector_protection_group.web.id
  limit               = 2
  depends_on          = [protector_member.web1, protector_member.db1]
}

data "protector_consistency_group" "web" {
  protection_group_id = protector_protection_group.web.id
  depends_on          = [protector_member.web1, protector_member.db1]
}

data "protector_members" "web" {
  protection_group_id = protector_protection_group.web.id
  depends_on          = [protector_member.web1, protector_member.db1]
}
`

// TestAccDataSources_group: the guide's sync-status (Example 4), sync-log,
// consistency-group show (Example 6) and member-list (Example 3) of a group
// with web-server-1 and db-server-1, added one after the other (as the
// guide's commands do; made together they would be one version): metadata
// version 3 on both sites, 2 + 3 volumes in the consistency group.
func TestAccDataSources_group(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	config := w.provider(providerOptions{admin: true}) + sitesHCL + groupHCL("Production web application tier", "async", simulator.TypeReplicatedSSD) +
		memberHCL("web1", w.fx.WebServer1.ID) + memberAfterHCL("db1", w.fx.DBServer1.ID, "web1") + groupDataSourcesHCL
	const status, log, cg, members = "data.protector_sync_status.web", "data.protector_sync_log.web", "data.protector_consistency_group.web", "data.protector_members.web"
	check := func(name string, ok bool) knownvalue.Check {
		return knownvalue.ObjectExact(map[string]knownvalue.Check{"check": knownvalue.StringExact(name), "ok": knownvalue.Bool(ok)})
	}
	entry := func(version int64) knownvalue.Check {
		return knownvalue.ObjectExact(map[string]knownvalue.Check{
			"version": knownvalue.Int64Exact(version), "outcome": knownvalue.StringExact(engine.SyncSynced),
			"time":        knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT`)),
			"duration_ms": knownvalue.NotNull(), "error": knownvalue.StringExact(""),
		})
	}
	member := func(instanceID, name string, volumes int64) knownvalue.Check {
		return knownvalue.ObjectExact(map[string]knownvalue.Check{
			"id": knownvalue.StringRegexp(regexp.MustCompile(`^member-`)), "instance_id": knownvalue.StringExact(instanceID),
			"instance_name": knownvalue.StringExact(name), "status": knownvalue.StringExact("protected"), "volumes": knownvalue.Int64Exact(volumes),
			// The recovery description has a block device per volume.
			"recovery": knownvalue.ObjectPartial(map[string]knownvalue.Check{"block_devices": knownvalue.ListSizeExact(int(volumes))}),
		})
	}
	var groupID, primaryCG, secondaryCG string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(status, tfjsonpath.New("name"), knownvalue.StringExact("prod-web-app")),
				statecheck.ExpectKnownValue(status, tfjsonpath.New("current_site"), knownvalue.StringExact("site-a")),
				statecheck.ExpectKnownValue(status, tfjsonpath.New("remote_site"), knownvalue.StringExact("site-b")),
				statecheck.ExpectKnownValue(status, tfjsonpath.New("local_version"), knownvalue.Int64Exact(3)),
				statecheck.ExpectKnownValue(status, tfjsonpath.New("remote_version"), knownvalue.Int64Exact(3)),
				statecheck.ExpectKnownValue(status, tfjsonpath.New("remote_version_live"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(status, tfjsonpath.New("status"), knownvalue.StringExact(engine.SyncSynced)),
				statecheck.ExpectKnownValue(status, tfjsonpath.New("error"), knownvalue.StringExact("")),
				statecheck.ExpectKnownValue(status, tfjsonpath.New("in_sync"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(status, tfjsonpath.New("validation"), knownvalue.ListExact([]knownvalue.Check{
					check("Versions match (3 = 3)", true), check("Sync status is 'synced'", true), check("Last sync is recent", true),
				})),
				statecheck.ExpectKnownValue(log, tfjsonpath.New("entries"), knownvalue.ListExact([]knownvalue.Check{entry(3), entry(2)})),
				statecheck.ExpectKnownValue(cg, tfjsonpath.New("volume_type_name"), knownvalue.StringExact(simulator.TypeReplicatedSSD)),
				statecheck.ExpectKnownValue(cg, tfjsonpath.New("backend_name"), knownvalue.StringExact("pure@backend-a")),
				statecheck.ExpectKnownValue(cg, tfjsonpath.New("status"), knownvalue.StringExact(engine.CGActive)),
				statecheck.ExpectKnownValue(cg, tfjsonpath.New("primary_cg_status"), knownvalue.StringExact("available")),
				statecheck.ExpectKnownValue(cg, tfjsonpath.New("secondary_cg_status"), knownvalue.StringExact("available")),
				statecheck.ExpectKnownValue(cg, tfjsonpath.New("volume_count"), knownvalue.Int64Exact(5)),
				statecheck.ExpectKnownValue(cg, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^cg-`))),
				statecheck.CompareValuePairs(cg, tfjsonpath.New("protection_group_id"), groupAddr, tfjsonpath.New("id"), compareEqual),
				statecheck.CompareValuePairs(cg, tfjsonpath.New("primary_cg_id"), groupAddr, tfjsonpath.New("primary_consistency_group_id"), compareEqual),
				statecheck.CompareValuePairs(cg, tfjsonpath.New("secondary_cg_id"), groupAddr, tfjsonpath.New("secondary_consistency_group_id"), compareEqual),
				// Members are listed in the order they were added, which
				// OpenTofu's parallel apply does not fix.
				statecheck.ExpectKnownValue(members, tfjsonpath.New("members"), knownvalue.SetExact([]knownvalue.Check{
					member(w.fx.WebServer1.ID, w.fx.WebServer1.Name, 2), member(w.fx.DBServer1.ID, w.fx.DBServer1.Name, 3),
				})),
			},
			Check: tfresource.ComposeTestCheckFunc(
				capture(groupAddr, "id", &groupID),
				capture(groupAddr, "primary_consistency_group_id", &primaryCG),
				capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
				tfresource.TestCheckResourceAttrWith(cg, "id", func(v string) error {
					if want := "cg-" + strings.TrimPrefix(groupID, "pg-"); v != want {
						t.Errorf("consistency group id %s, want %s", v, want)
					}
					return nil
				}),
			),
		}},
	})
}
