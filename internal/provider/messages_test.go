package provider

import (
	"regexp"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestAccMessages_memberOfMissingGroup: a member of a group that does not
// exist names the missing group, not the instance.
func TestAccMessages_memberOfMissingGroup(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	const missing = "pg-0f1e2d3c-4b5a-4968-8776-655443322110"
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: w.provider(providerOptions{}) + `
resource "protector_member" "m" {
  protection_group_id = "` + missing + `"
  instance_id         = "` + w.fx.WebServer1.ID + `"
}
`,
			PlanOnly: true,
			ExpectError: wrapped(`protection group not found[\s\S]*protection group ` + missing +
				` does not exist: none of the sites site-a, site-b holds its metadata[\s\S]*Check protection_group_id`),
		}},
	})
}

// TestAccMessages_unknownSite: a site that is neither in the provider's
// sites nor a clouds.yaml entry is titled "unknown site", for a group at
// plan and for a site registration at apply, and the fix names the
// provider's clouds_yaml argument.
func TestAccMessages_unknownSite(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	want := wrapped(`unknown site \(site site-c\)[\s\S]*site "site-c" is not configured in the provider's sites and has no clouds.yaml ` +
		`entry of that name[\s\S]*clouds_yaml argument`)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      w.provider(providerOptions{}) + literalGroupHCL("prod-web-app", "site-a", "site-c", "async"),
				PlanOnly:    true,
				ExpectError: want,
			},
			{
				Config:      w.provider(providerOptions{}) + "resource \"protector_site\" \"c\" {\n  name = \"site-c\"\n}\n",
				ExpectError: want,
			},
		},
	})
}

// TestAccMessages_conflictTitles: a second policy on a group and a second
// group of a name that exists say so in their titles; neither is a
// metadata version conflict.
func TestAccMessages_conflictTitles(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	base := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) + policyHCL(w, true, 300, 15)
	secondPolicy := strings.Replace(policyHCL(w, true, 600, 15), `"web" {`, `"web2" {`, 1)
	secondGroup := strings.Replace(groupHCL("the same name again", "async", simulator.TypeReplicatedSSD), `"web" {`, `"web2" {`, 1)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: base},
			{
				Config:      base + secondPolicy,
				ExpectError: wrapped(`policy already attached[\s\S]*protection group prod-web-app already has a replication policy`),
			},
			{
				Config: base + secondGroup,
				ExpectError: wrapped(`protection group name already exists \(site site-a\)[\s\S]*a protection group named ` +
					`"prod-web-app" already exists on site-a`),
			},
		},
	})
}

// TestAccMessages_asyncGroupOnSyncTypeWithoutAdmin: without an admin
// credential Cinder hides a type's replication_type, so an async group on a
// '<in> sync' type is made with a warning; its first member is refused,
// because the Pure driver's array_volume_name shows the volumes in its pod.
// (Simulator only: the real lane's volumes have no Pure driver behind them.)
func TestAccMessages_asyncGroupOnSyncTypeWithoutAdmin(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSync)
	warnings := &providerWarnings{}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: warnings.factories(),
		Steps: []tfresource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					warnings.expectWarning(`Protection group check not complete: The replication_type of volume type "` +
						regexp.QuoteMeta(simulator.TypeReplicatedSync) + `" on site site-a could not be checked`),
				}},
			},
			{
				Config: config + memberHCL("sync", simulator.SyncServerID),
				ExpectError: wrapped(`volume type not eligible for replication \(site site-a\)[\s\S]*is ` +
					simulator.CinderPod + `::volume-` + simulator.SyncBootVolumeID + `-cinder on the array[\s\S]*volume type "` +
					simulator.TypeReplicatedSync + `" replicates synchronously`),
			},
		},
	})
	for _, id := range []string{simulator.SyncBootVolumeID, simulator.SyncDataVolumeID} {
		if v, ok := w.Site(simulator.SiteA).Volume(id); !ok || v.GroupID != "" {
			t.Errorf("volume %s: found %t, in group %q; the refused member must leave it out of every group", id, ok, v.GroupID)
		}
	}
}
