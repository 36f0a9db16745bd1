package provider

import (
	"bytes"
	"testing"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// TestAccSite_oneOwner: a site registration belongs to the configuration
// that made it. A second configuration that "creates" the same site is
// refused with the import command that adopts it; destroying the sites
// while another configuration's group uses them is refused, naming the
// group, and deregisters nothing; once the group is gone, the destroy goes
// through. On d97be01 the second create overwrote the registration and the
// destroy deregistered both sites under the group.
func TestAccSite_oneOwner(t *testing.T) {
	w := newPortableWorld(t)
	wss := newWorkspaces(t, "platform", "app")
	platform, app := wss[0], wss[1]
	provider := requiredProviders + w.provider(providerOptions{})
	platform.write(provider + sitesHCL)
	platform.mustApply()
	records := map[string][]byte{}
	for _, site := range []string{simulator.SiteA, simulator.SiteB} {
		b, ok := w.view(site).Object("protector", "sites/"+site+".json")
		if !ok {
			t.Fatalf("%s holds no registration after the platform's apply", site)
		}
		records[site] = b
	}
	unchanged := func(when string) {
		t.Helper()
		for site, want := range records {
			if b, ok := w.view(site).Object("protector", "sites/"+site+".json"); !ok || !bytes.Equal(b, want) {
				t.Errorf("%s: the registration of %s was changed or removed (present %v)", when, site, ok)
			}
		}
	}

	// The app team registers site-a again in its own configuration.
	app.write(provider + `
resource "protector_site" "primary" {
  name = "site-a"
}
`)
	r := app.run("apply", "-auto-approve", "-no-color")
	if r.code == 0 {
		t.Fatalf("a second registration of site-a was accepted:\n%s", r.out)
	}
	if !wrapped(`site already registered \(site site-a\)[\s\S]*site site-a is already registered since [\s\S]*terraform import protector_site.<name> site-a`).MatchString(r.out) {
		t.Errorf("the refusal does not say the site is registered and give the import command:\n%s", r.out)
	}
	unchanged("after the refused registration")

	// The app team uses the registered sites by name instead.
	app.write(provider + literalGroupHCL("prod-web-app", simulator.SiteA, simulator.SiteB, "async"))
	app.mustApply()

	// The platform team destroys its sites while the app's group uses them.
	r = platform.run("destroy", "-auto-approve", "-no-color")
	if r.code == 0 {
		t.Fatalf("the sites were deregistered under the app's group:\n%s", r.out)
	}
	if !wrapped(`site in use \(site site-[ab]\)[\s\S]*still used by protection group\(s\) prod-web-app \(pg-[^)]+\)[\s\S]*Nothing was deregistered`).MatchString(r.out) {
		t.Errorf("the refusal does not name the group that uses the site:\n%s", r.out)
	}
	unchanged("after the refused destroy")
	platform.expectNoChanges()
	app.expectNoChanges()

	// Once the group is gone, the sites go too.
	if r := app.run("destroy", "-auto-approve", "-no-color"); r.code != 0 {
		t.Fatalf("app destroy: %s", r.out)
	}
	if r := platform.run("destroy", "-auto-approve", "-no-color"); r.code != 0 {
		t.Fatalf("platform destroy after the group is gone: %s", r.out)
	}
	for _, site := range []string{simulator.SiteA, simulator.SiteB} {
		if _, ok := w.view(site).Object("protector", "sites/"+site+".json"); ok {
			t.Errorf("%s is still registered after the platform's destroy", site)
		}
	}
}
