package engine

import (
	"context"
	"strings"
	"testing"
)

// The name, id and URL rules the provider's validators and the engine's
// own spec checks share: each says what is wrong, or "" when nothing is.
func TestNameRules(t *testing.T) {
	long := func(n int) string { return "a" + strings.Repeat("b", n-1) }
	for _, c := range []struct {
		rule, value string
		check       func(string) string
		want        string // part of the problem; "" for accepted
	}{
		{"site name at its limit", long(MaxSiteNameLength), SiteNameProblem, ""},
		{"site name past its limit", long(MaxSiteNameLength + 1), SiteNameProblem, "is not a site name"},
		{"site name with a slash", "site/a", SiteNameProblem, "is not a site name"},
		{"group name with a slash", "prod/web", GroupNameProblem, "contains '/'"},
		{"group name past Cinder's limit", long(MaxGroupNameLength + 1), GroupNameProblem, "longer than Cinder allows (255)"},
		{"type name", "replicated-ssd", CinderTypeNameProblem, ""},
		{"type id", "6f1c1f3e-0a34-4b1a-9a53-6b0e7a6f1a11", CinderTypeNameProblem, ""},
		{"empty type", "", CinderTypeNameProblem, "is empty"},
		{"type past Cinder's limit", long(MaxCinderNameLength + 1), CinderTypeNameProblem, "longer than Cinder allows (255)"},
		{"auth url", "http://site-a-controller:5000/v3", AuthURLProblem, ""},
		{"https auth url", "https://keystone.example.com/v3", AuthURLProblem, ""},
		{"auth url without scheme", "keystone.example.com:5000/v3", AuthURLProblem, "is not an http:// or https:// URL"},
		{"ftp auth url", "ftp://keystone.example.com/v3", AuthURLProblem, "is not an http:// or https:// URL"},
		{"auth url without host", "https:///v3", AuthURLProblem, "has no host"},
		{"auth url with a blank", "http://site a/v3", AuthURLProblem, "is not a URL"},
	} {
		got := c.check(c.value)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q gives %q, want %q", c.rule, c.value, got, c.want)
		}
	}
}

// The engine refuses what the provider's validation refuses, in the same
// words, when a caller gives it a spec directly.
func TestGroupSpecRules(t *testing.T) {
	for _, c := range []struct {
		what string
		edit func(*GroupSpec)
		want string
	}{
		{"one site for both", func(s *GroupSpec) { s.SecondarySite = s.PrimarySite },
			`primary_site and secondary_site are both "site-a". A protection group replicates to a different (DR) site`},
		{"a name with a slash", func(s *GroupSpec) { s.Name = "prod/web" }, `the group name "prod/web" contains '/'`},
		{"a volume type past Cinder's limit", func(s *GroupSpec) { s.VolumeType = strings.Repeat("t", MaxCinderNameLength+1) },
			"longer than Cinder allows (255)"},
	} {
		spec := guideGroup()
		c.edit(&spec)
		err := spec.validate()
		if !IsKind(err, KindInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an invalid spec saying %q", c.what, err, c.want)
		}
	}
	if err := guideGroup().validate(); err != nil {
		t.Errorf("the guide's group is refused: %v", err)
	}
	if problem := SameSiteProblem("site-a", "site-b"); problem != "" {
		t.Errorf("two sites refused: %s", problem)
	}
}

// A site spec breaking a rule is refused before any request.
func TestSiteSpecRules(t *testing.T) {
	w, e := testWorld(t, false)
	for _, spec := range []SiteSpec{
		{Name: "site/a"},
		{Name: "site-a", ConsistencyGroupType: strings.Repeat("t", MaxCinderNameLength+1)},
	} {
		_, err := e.RegisterSite(context.Background(), spec)
		if !IsKind(err, KindInvalid) || !strings.Contains(err.Error(), "is not a site name") && !strings.Contains(err.Error(), "longer than Cinder allows") {
			t.Errorf("register %+v: %v, want the rule broken", spec, err)
		}
	}
	if n := len(w.Site("site-a").Faults().Requests()); n != 0 {
		t.Errorf("the refused registrations sent %d requests to site-a", n)
	}
}
