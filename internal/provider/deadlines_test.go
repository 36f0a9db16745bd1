package provider

import (
	"net/http"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// peerOutageConfig is a group on both sites with a provider block that
// retries like the default one (5 times) and, when reachability is set, the
// given reachability_timeout.
func peerOutageConfig(w *accWorld, reachability string) (prov, group string) {
	prov = w.provider(providerOptions{maxRetries: 5})
	if reachability != "" {
		prov = strings.Replace(prov, "  sites = {", "  reachability_timeout = \""+reachability+"\"\n  sites = {", 1)
	}
	return prov, sitesHCL + groupHCL("", "async", simulator.TypeReplicatedSSD)
}

// TestAccDeadline_peerHangs: a peer that accepts connections and never
// answers fails the plan of a change within the reachability timeout, with
// "remote site unreachable" naming the site and the endpoint that did not
// answer; the refresh before it does not wait on the peer either. No
// request to the peer is retried: a probe that got no answer has its answer.
func TestAccDeadline_peerHangs(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	prov, group := peerOutageConfig(w, "2s")
	siteB := w.Site(simulator.SiteB).Faults()
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: prov + group},
			{
				PreConfig: func() {
					siteB.ResetRequests()
					siteB.Add(fault.Rule{Hang: true})
				},
				Config:   prov + group + memberHCL("web1", simulator.WebServer1ID),
				PlanOnly: true,
				ExpectError: wrapped(`remote site unreachable \(site site-b\)[\s\S]*peer site site-b is unreachable[\s\S]*` +
					`site site-b did not answer within 2s \(the provider's reachability_timeout\) when asked to authenticate at its Keystone ` +
					`http://127\.0\.0\.1:[0-9]+/identity/v3[\s\S]*Nothing was changed`),
			},
			{
				PreConfig: func() {
					logins := siteB.Count(http.MethodPost, "/auth/tokens")
					if logins == 0 || logins > 5 {
						t.Errorf("site-b received %d logins while it hung; want at least one and fewer than the 6 of one login retried 5 times", logins)
					}
					if n := len(siteB.Requests()); n != logins {
						t.Errorf("site-b received %d requests besides the %d logins; nothing goes past a login that got no answer", n-logins, logins)
					}
					siteB.Clear()
				},
				Config: prov + group + memberHCL("web1", simulator.WebServer1ID),
			},
		},
	})
}

// TestAccDeadline_peerRefuses: a peer whose port is closed (connections
// refused) fails the plan of a change at once with "remote site
// unreachable", naming the site, the endpoint and the refusal.
func TestAccDeadline_peerRefuses(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	prov, group := peerOutageConfig(w, "")
	refuse := func(on bool) {
		if err := w.Site(simulator.SiteB).SetRefusing(on); err != nil {
			t.Fatal(err)
		}
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: prov + group},
			{
				PreConfig: func() { refuse(true) },
				Config:    prov + group + memberHCL("web1", simulator.WebServer1ID),
				PlanOnly:  true,
				ExpectError: wrapped(`remote site unreachable \(site site-b\)[\s\S]*peer site site-b is unreachable[\s\S]*` +
					`authenticate at its Keystone http://127\.0\.0\.1:[0-9]+/identity/v3[\s\S]*connection refused[\s\S]*Nothing was changed`),
			},
			{
				PreConfig: func() { refuse(false) },
				Config:    prov + group + memberHCL("web1", simulator.WebServer1ID),
			},
		},
	})
}
