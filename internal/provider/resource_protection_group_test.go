package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

const groupAddr = "protector_protection_group.web"

var nonEmpty = knownvalue.StringRegexp(regexp.MustCompile(`.+`))

// checkConsistencyGroups asserts on the simulator that the group's
// consistency groups exist on both sites (or are gone from both).
func checkConsistencyGroups(w *accWorld, exist bool, primaryCG, secondaryCG *string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, c := range []struct{ site, id string }{{simulator.SiteA, *primaryCG}, {simulator.SiteB, *secondaryCG}} {
			if c.id == "" {
				return fmt.Errorf("no consistency group id captured for %s", c.site)
			}
			g, ok := w.view(c.site).Group(c.id)
			if ok != exist {
				return fmt.Errorf("consistency group %s on %s: exists = %v, want %v", c.id, c.site, ok, exist)
			}
			if exist && g.Status != "available" {
				return fmt.Errorf("consistency group %s on %s is %s, want available", c.id, c.site, g.Status)
			}
		}
		return nil
	}
}

// checkVersionOnBothSites asserts that both sites hold metadata version v
// of the group, with the description, as their newest.
func checkVersionOnBothSites(w *accWorld, groupID *string, version int, description string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, site := range []string{simulator.SiteA, simulator.SiteB} {
			versions := metadataVersions(w.view(site), *groupID)
			if len(versions) == 0 || versions[len(versions)-1] != fmt.Sprint(version) {
				return fmt.Errorf("site %s holds metadata versions %v of %s, want newest %d", site, versions, *groupID, version)
			}
			doc := latestMetadata(w.t, w.view(site), *groupID)
			group, _ := doc["group"].(map[string]any)
			if got := group["description"]; got != description {
				return fmt.Errorf("site %s: metadata description %q, want %q", site, got, description)
			}
		}
		return nil
	}
}

// captureVersion checks that both sites hold the same newest metadata
// version of a group, from lowest to highest (members whose creates meet
// are one version, so an apply's count depends on how they met), with the
// description, and keeps it in version for the steps after.
func captureVersion(w *accWorld, groupID *string, lowest, highest int, description string, version *int) func(*terraform.State) error {
	return func(s *terraform.State) error {
		versions := metadataVersions(w.view(simulator.SiteA), *groupID)
		if len(versions) == 0 {
			return fmt.Errorf("site-a holds no metadata version of %s", *groupID)
		}
		v, _ := strconv.Atoi(versions[len(versions)-1])
		if v < lowest || v > highest {
			return fmt.Errorf("site-a holds metadata versions %v of %s, want newest from %d to %d", versions, *groupID, lowest, highest)
		}
		*version = v
		return checkVersionOnBothSites(w, groupID, v, description)(s)
	}
}

// checkVersionAfter checks that both sites' newest version is by more than
// the one captureVersion kept.
func checkVersionAfter(w *accWorld, groupID *string, version *int, by int, description string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		return checkVersionOnBothSites(w, groupID, *version+by, description)(s)
	}
}

// TestAccProtectionGroup_guide follows the guide's Example 1: the group is
// active with a consistency group on both sites, failover count 0 and
// metadata version 1; a description change updates in place and bumps the
// version on both sites; import finds it by name and by id.
func TestAccProtectionGroup_guide(t *testing.T) {
	t.Parallel()
	w := newPortableWorld(t)
	var groupID, primaryCG, secondaryCG string
	config := func(description string) string {
		return w.provider(providerOptions{}) + sitesHCL + groupHCL(description, "async", simulator.TypeReplicatedSSD)
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config("Production web tier - async replication"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^pg-`))),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("name"), knownvalue.StringExact("prod-web-app")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("replication_type"), knownvalue.StringExact("async")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("primary_site"), knownvalue.StringExact("site-a")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("secondary_site"), knownvalue.StringExact("site-b")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("primary_consistency_group_id"), nonEmpty),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("secondary_consistency_group_id"), nonEmpty),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("failover_count"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("sync_status"), knownvalue.StringExact("SYNCED")),
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("created_at"), nonEmpty),
				},
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
					checkConsistencyGroups(w, true, &primaryCG, &secondaryCG),
					checkVersionOnBothSites(w, &groupID, 1, "Production web tier - async replication"),
				),
			},
			{
				Config: config("Production web application tier"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(groupAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(groupAddr, tfjsonpath.New("description"), knownvalue.StringExact("Production web application tier")),
				},
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttrPtr(groupAddr, "id", &groupID),
					checkVersionOnBothSites(w, &groupID, 2, "Production web application tier"),
				),
			},
			{
				ResourceName:      groupAddr,
				ImportState:       true,
				ImportStateId:     "site-a/prod-web-app",
				ImportStateVerify: true,
			},
			{
				ResourceName:      groupAddr,
				ImportState:       true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return "site-b/" + groupID, nil },
				ImportStateVerify: true,
			},
			{
				// The plan right after import is empty.
				ResourceName:      groupAddr,
				ImportState:       true,
				ImportStateKind:   tfresource.ImportBlockWithID,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return "site-a/" + groupID, nil },
			},
		},
	})
}

// TestAccProtectionGroup_destroyBlockedDuringDROperation: deletion is
// refused while a DR operation is in progress; once it is over, destroy
// removes the consistency groups and metadata on both sites.
func TestAccProtectionGroup_destroyBlockedDuringDROperation(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	var groupID, primaryCG, secondaryCG string
	withGroup := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	withoutGroup := w.provider(providerOptions{}) + sitesHCL
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: withGroup,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					capture(groupAddr, "primary_consistency_group_id", &primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &secondaryCG),
				),
			},
			{
				PreConfig:   func() { setGroupStatus(t, w.Site(simulator.SiteA), groupID, "failing_over") },
				Config:      withoutGroup,
				ExpectError: wrapped(`DR operation in progress \(site site-a\)[\s\S]*prod-web-app is failing_over`),
			},
			{
				PreConfig: func() {
					if err := checkConsistencyGroups(w, true, &primaryCG, &secondaryCG)(nil); err != nil {
						t.Errorf("after the refused destroy: %v", err)
					}
					setGroupStatus(t, w.Site(simulator.SiteA), groupID, "active")
				},
				Config: withoutGroup,
				Check: tfresource.ComposeTestCheckFunc(
					checkConsistencyGroups(w, false, &primaryCG, &secondaryCG),
					func(*terraform.State) error {
						for _, site := range []string{simulator.SiteA, simulator.SiteB} {
							if left := w.Site(site).Objects("protector", "groups/"+groupID+"/"); len(left) > 0 {
								return fmt.Errorf("site %s still holds metadata of the deleted group: %v", site, left)
							}
						}
						return nil
					},
				),
			},
		},
	})
}

// TestAccProtectionGroup_volumeTypeNotEligible is the guide's first
// troubleshooting entry, caught at plan: nothing is created.
func TestAccProtectionGroup_volumeTypeNotEligible(t *testing.T) {
	t.Parallel()
	tests := []struct {
		volumeType string
		want       string
	}{
		// Eligible on site-a only: the error names site-b.
		{simulator.TypeReplicatedAOnly, `volume type not eligible for replication \(site site-b\)[\s\S]*replication_enabled`},
		{simulator.TypeStandard, `volume type not eligible for replication \(site site-a\)`},
		{"no-such-type", `volume type not eligible for replication \(site site-a\)[\s\S]*"no-such-type" does not exist on site site-a`},
	}
	for _, tt := range tests {
		t.Run(tt.volumeType, func(t *testing.T) {
			t.Parallel()
			w := newPortableWorld(t)
			// The real lane's sites keep what earlier tests left by
			// design (the generations/<name> counters): nothing may change.
			before := map[string][]string{}
			for _, site := range []string{simulator.SiteA, simulator.SiteB} {
				before[site] = w.view(site).Objects("protector", "")
			}
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []tfresource.TestStep{{
					Config:      w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", tt.volumeType),
					PlanOnly:    true,
					ExpectError: wrapped(tt.want),
				}},
			})
			for _, site := range []string{simulator.SiteA, simulator.SiteB} {
				if w.World != nil {
					if groups := w.Site(site).Groups(); len(groups) > 0 {
						t.Errorf("site %s has consistency groups after a refused plan: %+v", site, groups)
					}
				}
				if objs := w.view(site).Objects("protector", ""); !slices.Equal(objs, before[site]) {
					t.Errorf("site %s: metadata objects %v after a refused plan, %v before", site, objs, before[site])
				}
			}
		})
	}
}

// TestProtectionGroupValidateConfig needs no provider: a group replicating
// to its own site is refused by `validate`.
func TestProtectionGroupValidateConfig(t *testing.T) {
	ctx := context.Background()
	r := NewProtectionGroupResource().(resource.ResourceWithValidateConfig)
	var sresp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sresp)
	typ := sresp.Schema.Type().TerraformType(ctx).(tftypes.Object)

	tests := []struct {
		name            string
		primary, second tftypes.Value
		wantErr         bool
	}{
		{"different sites", tftypes.NewValue(tftypes.String, "site-a"), tftypes.NewValue(tftypes.String, "site-b"), false},
		{"same site", tftypes.NewValue(tftypes.String, "site-a"), tftypes.NewValue(tftypes.String, "site-a"), true},
		{"unknown secondary", tftypes.NewValue(tftypes.String, "site-a"), tftypes.NewValue(tftypes.String, tftypes.UnknownValue), false},
	}
	for _, tt := range tests {
		vals := map[string]tftypes.Value{}
		for name, at := range typ.AttributeTypes {
			vals[name] = tftypes.NewValue(at, nil)
		}
		vals["name"] = tftypes.NewValue(tftypes.String, "prod-web-app")
		vals["primary_site"] = tt.primary
		vals["secondary_site"] = tt.second
		req := resource.ValidateConfigRequest{Config: tfsdk.Config{Schema: sresp.Schema, Raw: tftypes.NewValue(typ, vals)}}
		var resp resource.ValidateConfigResponse
		r.ValidateConfig(ctx, req, &resp)
		if resp.Diagnostics.HasError() != tt.wantErr {
			t.Errorf("%s: diagnostics %v, want error %v", tt.name, resp.Diagnostics, tt.wantErr)
		}
		if tt.wantErr && !strings.Contains(fmt.Sprint(resp.Diagnostics), "different (DR) site") {
			t.Errorf("%s: error does not say how to fix it: %v", tt.name, resp.Diagnostics)
		}
	}
}
