package provider

import (
	"context"
	"errors"
	"fmt"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// removeConsistencyGroup is the operator's fix the refusal names: take the
// volumes out of a consistency group and delete it, keeping the volumes.
func removeConsistencyGroup(t *testing.T, w *accWorld, site, cg string) {
	t.Helper()
	ctx := context.Background()
	s, err := openstack.New(openstack.Config{Name: site, Credentials: openstack.Credentials{Cloud: site, CloudsYAMLPath: w.cloudsYAML}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.Group(ctx, cg)
	if err != nil {
		t.Fatalf("read consistency group %s on %s: %v", cg, site, err)
	}
	if len(g.VolumeIDs) > 0 {
		if err := s.UpdateGroup(ctx, cg, openstack.GroupUpdateOpts{RemoveVolumes: g.VolumeIDs}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WaitForGroup(ctx, cg, "available"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteGroup(ctx, cg, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitForGroup(ctx, cg, "deleted"); err != nil && !errors.Is(err, openstack.ErrNotFound) {
		t.Fatal(err)
	}
}

// TestAccOrphans_lostMetadata: the metadata of a group (its versions, sync
// record and name record) is lost on both sites while its consistency
// groups remain, holding web-server-1's volumes. The refresh drops the
// group (both sites answered that it is gone), and the plan that would
// create it again is refused, naming both consistency groups and their
// sites and the fix; nothing is made. After the operator removes them as
// the fix says, the same configuration applies. On d97be01 the plan
// quietly created a second group beside the first.
func TestAccOrphans_lostMetadata(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) +
		memberHCL("web1", simulator.WebServer1ID)
	var groupID, primaryCG, secondaryCG, before string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
				),
			},
			{
				PreConfig: func() {
					for _, site := range []string{simulator.SiteA, simulator.SiteB} {
						s := w.Site(site)
						for _, name := range append(s.Objects("protector", "groups/"+groupID+"/"), "names/prod-web-app") {
							s.DeleteObject("protector", name)
						}
					}
					before = worldSummary(w)
				},
				Config: config,
				ExpectError: wrapped(`orphaned consistency groups \(site site-a\)[\s\S]*` +
					`consistency group [0-9a-f-]{36} on site-a \(available, of protection group pg-[\s\S]*` +
					`consistency group [0-9a-f-]{36} on site-b \(available, of protection group pg-[\s\S]*` +
					`Nothing was changed[\s\S]*import[\s\S]*cinder group-delete`),
			},
			{
				PreConfig: func() {
					if after := worldSummary(w); after != before {
						t.Errorf("the refused plan changed the world:\nbefore:\n%s\nafter:\n%s", before, after)
					}
					removeConsistencyGroup(t, w, simulator.SiteA, primaryCG)
					removeConsistencyGroup(t, w, simulator.SiteB, secondaryCG)
				},
				Config: config,
				Check: func(s *terraform.State) error {
					// The id may be the lost group's again (ids derive from
					// the site, the name and the name's generation, and the
					// generation was lost with the metadata): what must be
					// new is the consistency group.
					if id, err := attrOf(s, groupAddr, "id"); err != nil || id == "" {
						return fmt.Errorf("group id %q (%v), want the group created", id, err)
					}
					if got := consistencyGroups(w, simulator.SiteA); len(got) != 1 || got[0] == primaryCG {
						return fmt.Errorf("site-a holds consistency groups %v, want only the new group's", got)
					}
					return nil
				},
			},
		},
	})
}
