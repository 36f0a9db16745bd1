package flasharraysim

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// specRequest builds a request as the client would send it: logged in, JSON
// body.
func specRequest(method, target, body string) *http.Request {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("x-auth-token", "session")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// wantProblem fails unless one of problems contains want, or, for an empty
// want, there is no problem.
func wantProblem(t *testing.T, problems []string, want string) {
	t.Helper()
	if want == "" && len(problems) > 0 {
		t.Fatalf("refused as not following the spec: %q", problems)
	}
	if !strings.Contains(strings.Join(problems, "\n"), want) {
		t.Fatalf("problems = %q, want one with %q", problems, want)
	}
}

// The spec check is shown able to fail: each bad request is caught with
// what is wrong, and the good ones beside them pass.
func TestSpecCheckOfRequests(t *testing.T) {
	login := httptest.NewRequest(http.MethodPost, "/api/2.26/login", nil)
	login.Header.Set("api-token", "T-1")
	noSession := httptest.NewRequest(http.MethodGet, "/api/2.26/volumes", nil)
	tests := []struct {
		name string
		req  *http.Request
		want string // "" for a request the spec allows
	}{
		{"list volumes", specRequest("GET", "/api/2.26/volumes?names=v1,v2&destroyed=false&limit=10", ""), ""},
		{"older version mapped to 2.26", specRequest("GET", "/api/2.4/array-connections", ""), ""},
		{"api versions need no session", httptest.NewRequest(http.MethodGet, "/api/api_version", nil), ""},
		{"login with a token", login, ""},
		{"patch a group's schedule", specRequest("PATCH", "/api/2.26/protection-groups?names=pg",
			`{"replication_schedule":{"enabled":true,"frequency":300000},"target_retention":{"all_for_sec":86400,"per_day":4,"days":7}}`), ""},

		{"misspelt query parameter", specRequest("GET", "/api/2.26/protection-groups/volumes?group_name=pg", ""), `query parameter "group_name" not in the spec`},
		{"query parameter of the wrong type", specRequest("GET", "/api/2.26/volumes?limit=ten", ""), "query parameter limit"},
		{"missing required body", specRequest("POST", "/api/2.26/volumes?names=v1", ""), "request body: value is required but missing"},
		{"body field of the wrong type", specRequest("POST", "/api/2.26/volumes?names=v1", `{"provisioned":"1G"}`), "/provisioned"},
		// The misspelling is the test.
		{"misspelt body field", specRequest("PATCH", "/api/2.26/protection-groups?names=pg", `{"replication_schedule":{"frequence":300000}}`), //nolint:misspell
			"request body.replication_schedule: field frequence not in the spec"}, //nolint:misspell
		{"field of another schema", specRequest("PATCH", "/api/2.26/protection-groups/targets?group_names=a:pg", `{"allowed":true,"group":{"name":"x"}}`), "field group not in the spec"},
		{"JSON body without content type", func() *http.Request {
			r := specRequest("PATCH", "/api/2.26/pods?names=p", `{"destroyed":true}`)
			r.Header.Del("Content-Type")
			return r
		}(), "Content-Type"},
		{"body where the spec has none", specRequest("DELETE", "/api/2.26/volumes?names=v1", `{"destroyed":true}`), "request body"},
		{"no session", noSession, "no x-auth-token (or Authorization) header"},
		{"login without a token", httptest.NewRequest(http.MethodPost, "/api/2.26/login", nil), "login without an api-token header"},
		{"unknown path", specRequest("GET", "/api/2.26/protection-group", ""), "path not in the spec"},
		{"unknown method", specRequest("PUT", "/api/2.26/volumes?names=v1", `{}`), "method not in the spec"},
		{"version newer than the spec", specRequest("GET", "/api/2.30/volumes", ""), "REST version 2.30 is not covered"},
		{"REST 1.x", specRequest("GET", "/api/1.19/volume", ""), "REST version 1.19 is not covered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := io.ReadAll(tt.req.Body)
			problems := checkRequest(tt.req, body)
			wantProblem(t, problems, tt.want)
		})
	}
}

func TestSpecCheckOfResponses(t *testing.T) {
	tests := []struct {
		name   string
		req    *http.Request
		status int
		body   string
		want   string // "" for an answer the spec allows
	}{
		{"volume list", specRequest("GET", "/api/2.26/volumes", ""), 200,
			`{"more_items_remaining":false,"items":[{"name":"v1","id":"1","provisioned":1048576,"destroyed":false,"pod":{"name":"p","id":"2"}}]}`, ""},
		{"empty delete", specRequest("DELETE", "/api/2.26/volumes?names=v1", ""), 200, "", ""},
		{"array error", specRequest("GET", "/api/2.26/volumes?names=x", ""), 400, `{"errors":[{"context":"x","message":"Volume does not exist."}]}`, ""},
		{"gateway error", specRequest("GET", "/api/2.26/volumes", ""), 429, `{"message":"Too many requests."}`, ""},

		{"field of the wrong type", specRequest("GET", "/api/2.26/volumes", ""), 200,
			`{"more_items_remaining":false,"items":[{"name":"v1","provisioned":"1M"}]}`, "/items/0/provisioned"},
		{"null field", specRequest("GET", "/api/2.26/volumes", ""), 200,
			`{"continuation_token":null,"more_items_remaining":false,"items":[]}`, "/continuation_token: Value is not nullable"},
		{"invented field", specRequest("GET", "/api/2.26/pods", ""), 200,
			`{"more_items_remaining":false,"items":[{"name":"p","arrays":[{"name":"fa","lag":3}]}]}`, "response body.items[0].arrays[0]: field lag not in the spec"},
		{"status the spec does not have", specRequest("POST", "/api/2.26/pods?names=p", `{}`), 201, `{"items":[]}`, "status 201"},
		{"body where the spec has none", specRequest("DELETE", "/api/2.26/pods?names=p", ""), 200, `{"items":[]}`, "a body where the spec declares none"},
		{"login without a session token", httptest.NewRequest(http.MethodPost, "/api/2.26/login", nil), 200, `{"items":[{"username":"pureuser"}]}`, "login answered without an x-auth-token header"},
		{"error without errors list", specRequest("GET", "/api/2.26/volumes", ""), 400, `{"message":"bad"}`, "no errors list"},
		{"error item without message", specRequest("GET", "/api/2.26/volumes", ""), 400, `{"errors":[{"context":"x","text":"bad"}]}`, "errors[0] has no message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.body != "" {
				header.Set("Content-Type", "application/json")
			}
			problems := checkResponse(tt.req, tt.status, header, []byte(tt.body))
			wantProblem(t, problems, tt.want)
		})
	}
}

// Through the array's handler: a bad request is recorded with its method
// and path, SpecError reports it, and ResetSpecMismatches forgets it.
func TestSpecMismatchesRecorded(t *testing.T) {
	a := start(t, "fa", &clock{t: time.Unix(1_700_000_000, 0)}, 0)
	s := login(t, a)
	if err := a.SpecError(); err != nil {
		t.Fatalf("after a valid login: %v", err)
	}
	s.do(http.MethodPost, "/volumes?names=v1&size=1048576", map[string]any{"provisioned": 1 << 20})
	ms := a.SpecMismatches()
	if len(ms) != 1 || ms[0].Side != "request" || ms[0].Method != "POST" || ms[0].Path != "/api/2.26/volumes?names=v1&size=1048576" ||
		ms[0].Problem != `query parameter "size" not in the spec` {
		t.Fatalf("mismatches = %+v", ms)
	}
	if err := a.SpecError(); err == nil || !strings.Contains(err.Error(), `request POST /api/2.26/volumes?names=v1&size=1048576: query parameter "size" not in the spec`) {
		t.Fatalf("SpecError() = %v", err)
	}
	a.ResetSpecMismatches()
	if err := a.SpecError(); err != nil {
		t.Fatalf("after reset: %v", err)
	}
}

// BenchmarkSpecCheck is the cost the spec check adds to one exchange: a
// group's schedule patched, and a page of 100 volumes listed.
func BenchmarkSpecCheck(b *testing.B) {
	patch := `{"replication_schedule":{"enabled":true,"frequency":300000},"target_retention":{"all_for_sec":86400,"per_day":4,"days":7}}`
	group := `{"items":[{"name":"pg","id":"1","destroyed":false,"is_local":true,"source":{"name":"fa","id":"2"},` +
		`"replication_schedule":{"enabled":true,"frequency":300000,"blackout":{}},"snapshot_schedule":{"enabled":false,"frequency":3600000},` +
		`"source_retention":{"all_for_sec":86400,"per_day":4,"days":7},"target_retention":{"all_for_sec":86400,"per_day":4,"days":7},` +
		`"target_count":1,"volume_count":3,"host_count":0,"host_group_count":0,"retention_lock":"unlocked","eradication_config":{"manual_eradication":"enabled"}}]}`
	var vols []string
	for i := range 100 {
		vols = append(vols, fmt.Sprintf(`{"name":"volume-%d-cinder","id":"%d","serial":"ABC%d","provisioned":1073741824,"created":1700000000000,"destroyed":false,"subtype":"regular","promotion_status":"promoted","requested_promotion_state":"promoted","connection_count":1}`, i, i, i))
	}
	list := `{"more_items_remaining":false,"items":[` + strings.Join(vols, ",") + `]}`
	header := http.Header{"Content-Type": {"application/json"}}
	if _, err := loadSpec(); err != nil {
		b.Fatal(err)
	}
	b.Run("patch group", func(b *testing.B) {
		for b.Loop() {
			req := specRequest("PATCH", "/api/2.26/protection-groups?names=pg", patch)
			if p := append(checkRequest(req, []byte(patch)), checkResponse(req, 200, header, []byte(group))...); len(p) > 0 {
				b.Fatal(p)
			}
		}
	})
	b.Run("list 100 volumes", func(b *testing.B) {
		for b.Loop() {
			req := specRequest("GET", "/api/2.26/volumes?destroyed=false", "")
			if p := append(checkRequest(req, nil), checkResponse(req, 200, header, []byte(list))...); len(p) > 0 {
				b.Fatal(p)
			}
		}
	})
}

// The simulator's route table names only paths, methods and query
// parameters that the spec has, so what it accepts cannot drift from it.
func TestRoutesFollowTheSpec(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path, methods := range routes {
		item := doc.Paths.Value("/api/2.26" + path)
		if item == nil {
			t.Errorf("%s: not in the spec", path)
			continue
		}
		for method, rt := range methods {
			op := item.GetOperation(method)
			if op == nil {
				t.Errorf("%s %s: not in the spec", method, path)
				continue
			}
			for _, p := range rt.params {
				if op.Parameters.GetByInAndName("query", p) == nil {
					t.Errorf("%s %s: query parameter %s not in the spec", method, path, p)
				}
			}
		}
	}
}
