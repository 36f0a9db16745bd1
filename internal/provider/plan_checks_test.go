package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
)

// missingInstanceID is an instance that exists on no site.
const missingInstanceID = "0badc0de-0000-4000-8000-000000000001"

// policyWithTokenHCL is the guide's policy with the tokens given in the
// resource, the primary one as token.
func policyWithTokenHCL(w *accWorld, token string) string {
	return fmt.Sprintf(`
resource "protector_replication_policy" "web" {
  protection_group_id = protector_protection_group.web.id
  primary_fa_url      = %q
  secondary_fa_url    = %q
  primary_fa_token    = %q
  secondary_fa_token  = %q
}
`, w.arrayURL(simulator.ArrayA), w.arrayURL(simulator.ArrayB), token, simulator.ArrayBToken)
}

// planCheckClass is one create-time check that a configuration creating its
// group, policy and members together must fail at plan.
type planCheckClass struct {
	name   string
	config func(w *accWorld) string
	says   string // the error, a wrapped() pattern
}

func planCheckClasses() []planCheckClass {
	base := func(w *accWorld, admin bool, replicationType, volumeType string) string {
		return w.provider(providerOptions{admin: admin, arrayTokens: true}) + sitesHCL + groupHCL("", replicationType, volumeType)
	}
	return []planCheckClass{
		{
			name: "wrong array token",
			config: func(w *accWorld) string {
				return base(w, false, "async", simulator.TypeReplicatedSSD) + policyWithTokenHCL(w, "not-the-token")
			},
			says: `FlashArray error[\s\S]*refused, check the API token`,
		},
		{
			name: "sync group with interval",
			config: func(w *accWorld) string {
				return base(w, false, "sync", simulator.TypeReplicatedSync) + policyHCL(w, false, 300, 15)
			},
			says: `replication_interval and rpo_minutes apply to async groups only`,
		},
		{
			name: "instance that does not exist",
			config: func(w *accWorld) string {
				return base(w, false, "async", simulator.TypeReplicatedSSD) + memberHCL("ghost", missingInstanceID)
			},
			says: `instance ` + missingInstanceID + ` does not exist on site site-a, the primary site of protection group prod-web-app`,
		},
		{
			name: "VM with mixed volume types",
			config: func(w *accWorld) string {
				return base(w, false, "async", simulator.TypeReplicatedSSD) + memberHCL("mixed", simulator.MixedServerID)
			},
			says: `volume type mismatch \(site site-a\)`,
		},
		{
			name: "VM on another backend",
			config: func(w *accWorld) string {
				return base(w, true, "async", simulator.TypeReplicatedSSD) + memberHCL("web1", simulator.WebServer1ID) + memberHCL("other", simulator.OtherBackendServerID)
			},
			says: `volume on another storage backend \(site site-a\)[\s\S]*pure@backend-a[\s\S]*pure@backend-c|volume on another storage backend \(site site-a\)[\s\S]*pure@backend-c[\s\S]*pure@backend-a`,
		},
	}
}

// expectNothingMade checks that neither site holds a consistency group or
// any protector object but site records and name generations (which
// outlive a group so that the next group of its name gets a new id), and
// that the arrays hold the Pure groups and pods they started with.
func expectNothingMade(w *accWorld) error {
	for _, site := range []string{simulator.SiteA, simulator.SiteB} {
		if cgs := consistencyGroups(w, site); len(cgs) != 0 {
			return fmt.Errorf("site %s holds consistency groups %v", site, cgs)
		}
		for _, o := range w.Site(site).Objects("protector", "") {
			if !strings.HasPrefix(o, "sites/") && !strings.HasPrefix(o, "generations/") {
				return fmt.Errorf("site %s holds protector object %s:\n%s", site, o, worldSummary(w))
			}
		}
	}
	if got := arrayGroups(w); got != w.arraysAtStart {
		return fmt.Errorf("the arrays hold %s, and held %s at the start", got, w.arraysAtStart)
	}
	return nil
}

// arrayGroups lists the live Pure protection groups and the pods of both
// arrays.
func arrayGroups(w *accWorld) string {
	var out []string
	for _, array := range []string{simulator.ArrayA, simulator.ArrayB} {
		w.Array(array).Update(func(st *flasharraysim.State) {
			for name, pg := range st.ProtectionGroups {
				if !pg.Destroyed {
					out = append(out, array+" pg "+name)
				}
			}
			for name := range st.Pods {
				out = append(out, array+" pod "+name)
			}
		})
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// TestAccPlanChecks_newGroup: in one configuration that creates the group
// with its policy and members, each create-time check of the policy and the
// members fails the plan, although the group does not exist yet; nothing is
// made on either site or array.
func TestAccPlanChecks_newGroup(t *testing.T) {
	t.Parallel()
	for _, c := range planCheckClasses() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newAccWorld(t)
			w.arraysAtStart = arrayGroups(w)
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             func(*terraform.State) error { return expectNothingMade(w) },
				Steps: []tfresource.TestStep{
					{
						Config:      c.config(w),
						PlanOnly:    true,
						ExpectError: wrapped(c.says),
					},
					{
						// The apply of the same configuration fails at its
						// plan too: nothing is made.
						Config:      c.config(w),
						ExpectError: wrapped(c.says),
					},
					{
						PreConfig: func() {
							if err := expectNothingMade(w); err != nil {
								t.Error(err)
							}
						},
						Config: w.provider(providerOptions{}),
					},
				},
			})
		})
	}
}

// otherGroupHCL is a second group, "other-app", with web-server-1.
const otherGroupHCL = `
resource "protector_protection_group" "other" {
  name             = "other-app"
  replication_type = "async"
  primary_site     = protector_site.a.name
  secondary_site   = protector_site.b.name
  volume_type      = "replicated-ssd"
}

resource "protector_member" "other_web1" {
  protection_group_id = protector_protection_group.other.id
  instance_id         = "` + simulator.WebServer1ID + `"
}
`

// TestAccFailedApply_plainDestroy: after an apply that failed on a
// create-time check of a policy or member, a plain `tofu destroy` (with its
// refresh, which plans the whole configuration again) exits 0 and leaves
// nothing on either site or array: for each class in one configuration
// with a new group, and for a policy or member added to a group made by an
// earlier apply. (terraform-plugin-testing destroys with -refresh=false,
// so this runs OpenTofu itself.)
func TestAccFailedApply_plainDestroy(t *testing.T) {
	w := newAccWorld(t)
	w.arraysAtStart = arrayGroups(w)
	ws := newWorkspaces(t, "dr")[0]
	expectFailedThenDestroyed := func(name, config, says string) {
		t.Helper()
		ws.write(requiredProviders + config)
		if r := ws.run("apply", "-auto-approve", "-no-color"); r.code == 0 || !wrapped(says).MatchString(r.out) {
			t.Errorf("%s: apply exited %d, want a failure saying %q:\n%s", name, r.code, says, r.out)
		}
		if r := ws.run("destroy", "-auto-approve", "-no-color"); r.code != 0 {
			t.Errorf("%s: plain destroy exited %d:\n%s", name, r.code, r.out)
		}
		if err := expectNothingMade(w); err != nil {
			t.Errorf("%s: after the destroy: %v", name, err)
		}
	}
	for _, c := range planCheckClasses() {
		expectFailedThenDestroyed(c.name, c.config(w), c.says)
	}

	// A group made by an earlier apply, then a policy with a wrong token.
	group := w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
	ws.write(requiredProviders + group)
	ws.mustApply()
	expectFailedThenDestroyed("wrong token, group made earlier", group+policyWithTokenHCL(w, "not-the-token"),
		`FlashArray error[\s\S]*refused, check the API token`)

	// A volume held by another group.
	withOther := group + otherGroupHCL
	ws.write(requiredProviders + withOther)
	ws.mustApply()
	expectFailedThenDestroyed("volume held by another group", withOther+memberHCL("web1", simulator.WebServer1ID),
		`already belongs to another Cinder group`)
}

// TestAccPlanChecks_groupUnknownAtPlan: a group whose volume type comes
// from a resource made in the same run has no id at plan. Its policy and
// members are still checked for what does not depend on the group: an
// instance on none of the sites, volumes of more than one type, an array
// token that does not log in fail the plan; nothing is made.
func TestAccPlanChecks_groupUnknownAtPlan(t *testing.T) {
	t.Parallel()
	group := func(w *accWorld) string {
		return w.provider(providerOptions{arrayTokens: true}) + sitesHCL + `
resource "terraform_data" "volume_type" {
  input = "` + simulator.TypeReplicatedSSD + `"
}

resource "protector_protection_group" "web" {
  name             = "prod-web-app"
  replication_type = "async"
  primary_site     = protector_site.a.name
  secondary_site   = protector_site.b.name
  volume_type      = terraform_data.volume_type.output
}
`
	}
	for _, c := range []planCheckClass{
		{
			name:   "instance on no site",
			config: func(w *accWorld) string { return group(w) + memberHCL("ghost", missingInstanceID) },
			says:   `instance ` + missingInstanceID + ` does not exist on any configured site \(site-a, site-b\)`,
		},
		{
			name:   "volumes of two types",
			config: func(w *accWorld) string { return group(w) + memberHCL("mixed", simulator.MixedServerID) },
			says:   `volume type mismatch \(site site-a\)[\s\S]*more than one type`,
		},
		{
			name:   "wrong array token",
			config: func(w *accWorld) string { return group(w) + policyWithTokenHCL(w, "not-the-token") },
			says:   `FlashArray error[\s\S]*refused, check the API token`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newAccWorld(t)
			w.arraysAtStart = arrayGroups(w)
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             func(*terraform.State) error { return expectNothingMade(w) },
				Steps: []tfresource.TestStep{
					{
						Config:      c.config(w),
						PlanOnly:    true,
						ExpectError: wrapped(c.says),
					},
				},
			})
		})
	}
}

// TestAccPlanChecks_groupUnknownAtPlanApplies: with the group's id unknown
// at plan, a member and a policy that pass what can be checked are planned
// (with a warning naming what is checked at apply) and applied.
func TestAccPlanChecks_groupUnknownAtPlanApplies(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{arrayTokens: true}) + sitesHCL + `
resource "terraform_data" "volume_type" {
  input = "` + simulator.TypeReplicatedSSD + `"
}

resource "protector_protection_group" "web" {
  name             = "prod-web-app"
  replication_type = "async"
  primary_site     = protector_site.a.name
  secondary_site   = protector_site.b.name
  volume_type      = terraform_data.volume_type.output
}
` + policyHCL(w, false, 300, 15) + memberHCL("web1", simulator.WebServer1ID)
	warnings := &providerWarnings{}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: warnings.factories(),
		Steps: []tfresource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					warnings.expectWarning(`Member check not complete: checked at apply: instance [^\n]*` + simulator.WebServer1ID),
					warnings.expectWarning(`Replication policy check not complete: checked at apply`),
				}},
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr("protector_member.web1", "status", "protected"),
					tfresource.TestCheckResourceAttr(policyAddr, "replication_interval", "300"),
				),
			},
		},
	})
}

// TestAccProtectionGroup_replacedGetsNewID: the id a group's plan proposes
// is derived from its site and name, and a replaced group (-replace) still
// gets a new one, so its members are replaced with it and the plan after
// the apply is empty; destroying and creating the group again gives
// another id again.
func TestAccProtectionGroup_replacedGetsNewID(t *testing.T) {
	w := newAccWorld(t)
	ws := newWorkspaces(t, "dr")[0]
	ws.write(requiredProviders + w.provider(providerOptions{}) + sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD) +
		memberHCL("web1", simulator.WebServer1ID) + `
output "group_id" {
  value = protector_protection_group.web.id
}
`)
	groupID := func() string {
		t.Helper()
		r := ws.run("output", "-raw", "group_id")
		if r.code != 0 || !strings.HasPrefix(r.out, "pg-") {
			t.Fatalf("group id output: %q (exit %d)", r.out, r.code)
		}
		return r.out
	}
	ws.mustApply()
	first := groupID()
	if r := ws.run("apply", "-auto-approve", "-no-color", "-replace=protector_protection_group.web"); r.code != 0 {
		t.Fatalf("apply -replace exited %d:\n%s", r.code, r.out)
	}
	second := groupID()
	if second == first {
		t.Errorf("the replaced group kept id %s", first)
	}
	ws.expectNoChanges()
	doc := latestMetadata(t, w.Site(simulator.SiteA), second)
	if members, _ := doc["members"].([]any); len(members) != 1 {
		t.Errorf("the new group %s has %d members, want web-server-1 (replaced with the group)", second, len(members))
	}
	if r := ws.run("destroy", "-auto-approve", "-no-color"); r.code != 0 {
		t.Fatalf("destroy exited %d:\n%s", r.code, r.out)
	}
	ws.mustApply()
	if third := groupID(); third == first || third == second {
		t.Errorf("the group made after the destroy has id %s, an id used before (%s, %s)", third, first, second)
	}
	ws.run("destroy", "-auto-approve", "-no-color")
}
