package engine

import (
	"regexp"
	"testing"
)

func TestDerivedGroupID(t *testing.T) {
	pattern := regexp.MustCompile(`^pg-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	first := derivedGroupID("site-a", "prod-web-app", 1)
	if !pattern.MatchString(first) {
		t.Errorf("derived id %q is not pg-<version 5 uuid>", first)
	}
	if again := derivedGroupID("site-a", "prod-web-app", 1); again != first {
		t.Errorf("the same site, name and generation gave %s and %s", first, again)
	}
	for _, other := range []string{
		derivedGroupID("site-a", "prod-web-app", 2),
		derivedGroupID("site-b", "prod-web-app", 1),
		derivedGroupID("site-a", "prod-web-ap", 1),
	} {
		if other == first {
			t.Errorf("%s is derived from another site, name or generation too", first)
		}
	}
	if g := generationOf("site-a", "prod-web-app", derivedGroupID("site-a", "prod-web-app", 7)); g != 7 {
		t.Errorf("generationOf gave %d, want 7", g)
	}
	if g := generationOf("site-a", "prod-web-app", newID("pg-")); g != 0 {
		t.Errorf("generationOf a random id gave %d, want 0", g)
	}
}
