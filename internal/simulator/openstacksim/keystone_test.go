package openstacksim

import (
	"net/http"
	"slices"
	"testing"
)

func TestPasswordTokenHasScopeRolesAndCatalog(t *testing.T) {
	ts := newTestSite(t)
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"admin-password"}}},"scope":{"project":{"name":"demo","domain":{"id":"default"}}}}}`
	r := ts.do("POST", "/identity/v3/auth/tokens", "", body)
	if r.status != 201 || r.header.Get("X-Subject-Token") == "" {
		t.Fatalf("got %d, token %q: %s", r.status, r.header.Get("X-Subject-Token"), r.body)
	}
	tok := r.json(t)["token"].(map[string]any)
	if tok["project"].(map[string]any)["id"] != ts.project {
		t.Errorf("project = %v, want %s", tok["project"], ts.project)
	}
	var roles []string
	for _, r := range tok["roles"].([]any) {
		roles = append(roles, r.(map[string]any)["name"].(string))
	}
	slices.Sort(roles)
	if !slices.Equal(roles, []string{"admin", "member", "reader"}) {
		t.Errorf("roles = %v, want admin with implied member and reader", roles)
	}
	types := map[string]string{}
	for _, e := range tok["catalog"].([]any) {
		entry := e.(map[string]any)
		for _, ep := range entry["endpoints"].([]any) {
			ep := ep.(map[string]any)
			if ep["interface"] == "public" && ep["region_id"] == "RegionOne" {
				types[entry["type"].(string)] = ep["url"].(string)
			}
		}
	}
	want := map[string]string{
		"identity":      ts.URL() + "/identity",
		"compute":       ts.URL() + "/compute/v2.1",
		"volumev3":      ts.URL() + "/volume/v3/" + ts.project,
		"block-storage": ts.URL() + "/volume/v3/" + ts.project,
		"object-store":  ts.URL() + "/object-store/v1/AUTH_" + ts.project,
	}
	for typ, url := range want {
		if types[typ] != url {
			t.Errorf("catalog %s = %q, want %q", typ, types[typ], url)
		}
	}
}

func TestTokenErrors(t *testing.T) {
	ts := newTestSite(t)
	cases := []struct {
		name   string
		body   string
		status int
	}{
		{"wrong password", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","domain":{"name":"Default"},"password":"nope"}}}}}`, 401},
		{"unknown user", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"ghost","domain":{"name":"Default"},"password":"x"}}}}}`, 401},
		{"other domain", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","domain":{"name":"Other"},"password":"demo-password"}}}}}`, 401},
		{"project without role", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","domain":{"name":"Default"},"password":"demo-password"}}},"scope":{"project":{"name":"nope","domain":{"name":"Default"}}}}}`, 401},
		{"wrong app secret", `{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"id":"app-cred","secret":"bad"}}}}`, 401},
		{"app cred with scope", `{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"id":"app-cred","secret":"app-secret"}},"scope":{"project":{"id":"x"}}}}`, 401},
		{"no auth", `{}`, 400},
		{"user without domain", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","password":"demo-password"}}}}}`, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do("POST", "/identity/v3/auth/tokens", "", tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			e := r.json(t)["error"].(map[string]any)
			if int(e["code"].(float64)) != tc.status || e["message"] == "" || e["title"] == "" {
				t.Errorf("error body %s lacks Keystone's code/title/message", r.body)
			}
			if r.header.Get("X-Subject-Token") != "" {
				t.Error("a failed authentication returned a token")
			}
		})
	}
}

func TestApplicationCredentialTokenIsScopedToItsProject(t *testing.T) {
	ts := newTestSite(t)
	r := ts.do("POST", "/identity/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"id":"app-cred","secret":"app-secret"}}}}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	tok := r.json(t)["token"].(map[string]any)
	if tok["project"].(map[string]any)["id"] != ts.project || tok["application_credential"].(map[string]any)["id"] != "app-cred" {
		t.Fatalf("token %v", tok)
	}
	if got := ts.cinder("GET", "/volumes", r.header.Get("X-Subject-Token"), "", nil).status; got != 200 {
		t.Fatalf("Cinder with an application credential token: %d", got)
	}
}

func TestTokenValidationAndExpiry(t *testing.T) {
	ts := newTestSite(t)
	admin, member := ts.admin(), ts.member()
	r := ts.do("GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", member)
	if r.status != 200 || r.json(t)["token"].(map[string]any)["user"].(map[string]any)["name"] != "demo" {
		t.Fatalf("validate: %d %s", r.status, r.body)
	}
	if r := ts.do("GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", "bogus"); r.status != 404 {
		t.Fatalf("unknown subject token: %d, want 404", r.status)
	}

	ts.ExpireTokens()
	r = ts.cinder("GET", "/volumes", member, "", nil)
	if r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("expired token on Cinder: %d %v, want 401 with WWW-Authenticate", r.status, r.header)
	}
	if e := r.json(t)["error"].(map[string]any); e["message"] != "The request you have made requires authentication." {
		t.Errorf("401 body %s", r.body)
	}
	if r := ts.do("GET", "/compute/v2.1/servers", member, nil); r.status != 401 {
		t.Errorf("expired token on Nova: %d", r.status)
	}
	if r := ts.do("GET", "/object-store/v1/AUTH_"+ts.project, member, nil); r.status != 401 {
		t.Errorf("expired token on Swift: %d", r.status)
	}
	// A new login works again.
	if r := ts.cinder("GET", "/volumes", ts.member(), "", nil); r.status != 200 {
		t.Fatalf("after re-authentication: %d", r.status)
	}
}

func TestKeystoneVersionDocuments(t *testing.T) {
	ts := newTestSite(t)
	r := ts.do("GET", "/identity", "", nil)
	if r.status != http.StatusMultipleChoices {
		t.Fatalf("GET /identity: %d", r.status)
	}
	values := r.json(t)["versions"].(map[string]any)["values"].([]any)
	if values[0].(map[string]any)["id"] != "v3.14" {
		t.Errorf("versions %s", r.body)
	}
	if r := ts.do("GET", "/identity/v3", "", nil); r.status != 200 || r.json(t)["version"] == nil {
		t.Errorf("GET /identity/v3: %d %s", r.status, r.body)
	}
}
