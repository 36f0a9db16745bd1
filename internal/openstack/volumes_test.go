package openstack

import "testing"

// TestVolumeTypesListing: every type is listed (Cinder's __DEFAULT__ too),
// and as for VolumeType the admin-only replication_type is there and
// SpecsComplete set only with the admin credential.
func TestVolumeTypesListing(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	for _, admin := range []bool{false, true} {
		cfg := sim.testConfig()
		if admin {
			cfg.Admin = sim.adminCreds()
		}
		s := newSite(t, cfg)
		all, err := s.VolumeTypes(testCtx(t))
		if err != nil {
			t.Fatalf("admin %v: %v", admin, err)
		}
		byName := map[string]VolumeType{}
		for _, vt := range all {
			byName[vt.Name] = vt
		}
		if len(all) != 3 || byName["__DEFAULT__"].ID == "" || byName["replicated-ssd"].ID != sim.replicatedType || byName["standard"].ID != sim.standardType {
			t.Fatalf("admin %v: types = %+v", admin, all)
		}
		rep := byName["replicated-ssd"]
		if rep.ExtraSpecs["replication_enabled"] != "<is> True" {
			t.Errorf("admin %v: replication_enabled = %q", admin, rep.ExtraSpecs["replication_enabled"])
		}
		if got := rep.ExtraSpecs["replication_type"]; admin != (got == "<in> async") || rep.SpecsComplete != admin {
			t.Errorf("admin %v: replication_type %q, SpecsComplete %v", admin, got, rep.SpecsComplete)
		}
	}
}
