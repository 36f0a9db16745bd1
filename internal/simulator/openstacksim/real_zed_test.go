package openstacksim

import "testing"

// Behaviour of real OpenStack Zed (Debian bookworm's keystone 22, cinder 21,
// nova 26) that the real-OpenStack lane (make test-openstack) found the
// simulator did not have. Each test pins what the real services answered.

// A member's view of a volume type has no qos_specs_id: the field is
// behind volume_extension:access_types_qos_specs_id (admin).
func TestRealZedTypeViewHidesQoSSpecsIDFromMembers(t *testing.T) {
	ts := newTestSite(t)
	member := ts.cinder("GET", "/types/"+ts.repType, ts.member(), "3.13", nil).json(t)["volume_type"].(map[string]any)
	if _, ok := member["qos_specs_id"]; ok {
		t.Errorf("member view of a volume type has qos_specs_id: %v", member)
	}
	admin := ts.cinder("GET", "/types/"+ts.repType, ts.admin(), "3.13", nil).json(t)["volume_type"].(map[string]any)
	if v, ok := admin["qos_specs_id"]; !ok || v != nil {
		t.Errorf("admin view of a volume type: qos_specs_id = %v (present %v), want null", v, ok)
	}
}

// Cinder's migrations create the group type default_cgsnapshot_type, so a
// fresh deployment lists it beside any the operator creates.
func TestRealZedDefaultCGSnapshotGroupType(t *testing.T) {
	ts := newTestSite(t)
	types := ts.cinder("GET", "/group_types", ts.member(), "3.11", nil).json(t)["group_types"].([]any)
	var names []string
	for _, gt := range types {
		m := gt.(map[string]any)
		names = append(names, m["name"].(string))
		if m["name"] == "default_cgsnapshot_type" {
			if m["description"] != "Default group type for migrating cgsnapshot" || m["is_public"] != true {
				t.Errorf("default_cgsnapshot_type: %v", m)
			}
		}
	}
	if len(names) != 2 || names[0] != "consistency-group" || names[1] != "default_cgsnapshot_type" {
		t.Errorf("group types %v, want [consistency-group default_cgsnapshot_type]", names)
	}
}

// An admin's view of a volume carries migration_status (null when no
// migration ran); a member's does not.
func TestRealZedVolumeMigrationStatusForAdmins(t *testing.T) {
	ts := newTestSite(t)
	admin := ts.cinder("GET", "/volumes/"+ts.bootVol, ts.admin(), "3.13", nil).json(t)["volume"].(map[string]any)
	if v, ok := admin["migration_status"]; !ok || v != nil {
		t.Errorf("admin view: migration_status = %v (present %v), want null", v, ok)
	}
	member := ts.cinder("GET", "/volumes/"+ts.bootVol, ts.member(), "3.13", nil).json(t)["volume"].(map[string]any)
	if _, ok := member["migration_status"]; ok {
		t.Errorf("member view has migration_status: %v", member)
	}
}

// A server shows trusted_image_certificates (null) from 2.63 to everyone,
// and host_status from 2.16 to admins only.
func TestRealZedServerViewFields(t *testing.T) {
	ts := newTestSite(t)
	server := func(token, mv string) map[string]any {
		r := ts.do("GET", "/compute/v2.1/servers/"+ts.server, token, nil, "OpenStack-API-Version", "compute "+mv)
		return r.json(t)["server"].(map[string]any)
	}
	tests := []struct {
		who, mv             string
		trusted, hostStatus bool
	}{
		{"member", "2.62", false, false},
		{"member", "2.63", true, false},
		{"admin", "2.15", false, false},
		{"admin", "2.16", false, true},
		{"admin", "2.67", true, true},
	}
	for _, tt := range tests {
		tok := ts.member()
		if tt.who == "admin" {
			tok = ts.admin()
		}
		m := server(tok, tt.mv)
		v, trusted := m["trusted_image_certificates"]
		if trusted != tt.trusted || (trusted && v != nil) {
			t.Errorf("%s at %s: trusted_image_certificates = %v (present %v), want present %v and null", tt.who, tt.mv, v, trusted, tt.trusted)
		}
		hs, ok := m["host_status"]
		if ok != tt.hostStatus || (ok && hs != "UP") {
			t.Errorf("%s at %s: host_status = %v (present %v), want present %v", tt.who, tt.mv, hs, ok, tt.hostStatus)
		}
	}
}
