package openstacksim

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Keystone v3: version documents, token issue (password, token and
// application_credential methods, project scope), validation, revocation,
// and the token's catalog and projects.

const keystoneVersion = "v3.14"

func keystoneError(w http.ResponseWriter, status int, title, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "title": title, "message": msg}})
}

func keystoneUnauthorized(w http.ResponseWriter, msg string) {
	if msg == "" {
		msg = "The request you have made requires authentication."
	}
	keystoneError(w, http.StatusUnauthorized, "Unauthorized", msg)
}

func keystoneNotFound(w http.ResponseWriter, msg string) {
	if msg == "" {
		msg = "The resource could not be found."
	}
	keystoneError(w, http.StatusNotFound, "Not Found", msg)
}

func (s *Site) keystoneVersionDoc(r *http.Request) map[string]any {
	return map[string]any{
		"id":      keystoneVersion,
		"status":  "stable",
		"updated": "2020-04-07T00:00:00Z",
		"links":   []any{map[string]any{"rel": "self", "href": s.baseURL(r) + "/identity/v3/"}},
		"media-types": []any{map[string]any{
			"base": "application/json", "type": "application/vnd.openstack.identity-v3+json",
		}},
	}
}

func (s *Site) serveKeystone(w http.ResponseWriter, r *http.Request, rest string) {
	parts := splitPath(rest)
	if len(parts) == 0 {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			keystoneError(w, 405, "Method Not Allowed", "The method is not allowed for the requested URL.")
			return
		}
		writeJSON(w, http.StatusMultipleChoices, map[string]any{"versions": map[string]any{"values": []any{s.keystoneVersionDoc(r)}}})
		return
	}
	if parts[0] != "v3" {
		keystoneNotFound(w, "")
		return
	}
	parts = parts[1:]
	switch {
	case len(parts) == 0:
		writeJSON(w, http.StatusOK, map[string]any{"version": s.keystoneVersionDoc(r)})
	case len(parts) == 2 && parts[0] == "auth" && parts[1] == "tokens":
		switch r.Method {
		case http.MethodPost:
			s.issueToken(w, r)
		case http.MethodGet, http.MethodHead:
			s.validateToken(w, r)
		case http.MethodDelete:
			s.revokeToken(w, r)
		default:
			keystoneError(w, 405, "Method Not Allowed", "The method is not allowed for the requested URL.")
		}
	case len(parts) == 2 && parts[0] == "auth" && parts[1] == "catalog" && r.Method == http.MethodGet:
		c, ok := s.authenticate(r)
		if !ok {
			keystoneUnauthorized(w, "")
			return
		}
		if c.projectID == "" {
			keystoneError(w, 403, "Forbidden", "A project-scoped token is required to produce a service catalog.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"catalog": s.catalog(r, c.projectID), "links": map[string]any{"self": s.baseURL(r) + "/identity/v3/auth/catalog"}})
	case len(parts) == 2 && parts[0] == "auth" && parts[1] == "projects" && r.Method == http.MethodGet:
		c, ok := s.authenticate(r)
		if !ok {
			keystoneUnauthorized(w, "")
			return
		}
		s.mu.Lock()
		var projects []any
		if u := s.st.Users[c.token.UserID]; u != nil {
			for _, pid := range sortedKeys(u.Roles) {
				if p := s.st.Projects[pid]; p != nil {
					projects = append(projects, projectView(p))
				}
			}
		}
		s.mu.Unlock()
		if projects == nil {
			projects = []any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"projects": projects, "links": map[string]any{"self": s.baseURL(r) + "/identity/v3/auth/projects"}})
	default:
		if _, ok := s.authenticate(r); !ok {
			keystoneUnauthorized(w, "")
			return
		}
		keystoneNotFound(w, "")
	}
}

func domainView() map[string]any { return map[string]any{"id": "default", "name": "Default"} }

func projectView(p *Project) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "domain_id": "default", "enabled": true, "is_domain": false, "parent_id": "default"}
}

// authRequest is the body of POST /v3/auth/tokens.
type authRequest struct {
	Auth *struct {
		Identity *struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User *userRef `json:"user"`
			} `json:"password"`
			Token *struct {
				ID string `json:"id"`
			} `json:"token"`
			ApplicationCredential *struct {
				ID     string   `json:"id"`
				Name   string   `json:"name"`
				Secret string   `json:"secret"`
				User   *userRef `json:"user"`
			} `json:"application_credential"`
		} `json:"identity"`
		Scope any `json:"scope"`
	} `json:"auth"`
}

type userRef struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Password string     `json:"password"`
	Domain   *domainRef `json:"domain"`
}

type domainRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (d *domainRef) isDefault() bool {
	return d != nil && (d.ID == "default" || (d.ID == "" && d.Name == "Default"))
}

type projectScope struct {
	Project *struct {
		ID     string     `json:"id"`
		Name   string     `json:"name"`
		Domain *domainRef `json:"domain"`
	} `json:"project"`
}

func (s *Site) issueToken(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if !decodeBody(r, &req) || req.Auth == nil {
		keystoneError(w, 400, "Bad Request", "Expecting to find auth in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
		return
	}
	id := req.Auth.Identity
	if id == nil || len(id.Methods) == 0 {
		keystoneError(w, 400, "Bad Request", "Expecting to find identity in auth. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
		return
	}
	var scope projectScope
	hasScope := false
	if req.Auth.Scope != nil {
		if m, ok := req.Auth.Scope.(map[string]any); ok {
			if _, ok := m["project"]; ok {
				hasScope = true
				b, _ := jsonMarshal(m)
				_ = jsonUnmarshal(b, &scope)
			}
		} else if str, ok := req.Auth.Scope.(string); ok && str == "unscoped" {
			hasScope = false
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	var (
		user    *User
		methods []string
		appCred *ApplicationCredential
	)
	switch {
	case slices.Contains(id.Methods, "application_credential"):
		ac := id.ApplicationCredential
		if ac == nil {
			keystoneError(w, 400, "Bad Request", "Expecting to find application_credential in identity.")
			return
		}
		if ac.ID != "" {
			appCred = s.st.AppCreds[ac.ID]
		} else if ac.Name != "" && ac.User != nil {
			u := s.lookupUser(ac.User)
			if u != nil {
				for _, c := range s.st.AppCreds {
					if c.Name == ac.Name && c.UserID == u.ID {
						appCred = c
					}
				}
			}
		}
		if appCred == nil || appCred.Secret != ac.Secret {
			keystoneUnauthorized(w, "")
			return
		}
		if hasScope {
			keystoneUnauthorized(w, "Application credentials cannot request a scope.")
			return
		}
		user = s.st.Users[appCred.UserID]
		methods = []string{"application_credential"}
	case slices.Contains(id.Methods, "password"):
		if id.Password == nil || id.Password.User == nil {
			keystoneError(w, 400, "Bad Request", "Expecting to find user in password.")
			return
		}
		ur := id.Password.User
		if ur.ID == "" && ur.Domain == nil {
			keystoneError(w, 400, "Bad Request", "Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
			return
		}
		user = s.lookupUser(ur)
		if user == nil || user.Password != ur.Password {
			keystoneUnauthorized(w, "")
			return
		}
		methods = []string{"password"}
	case slices.Contains(id.Methods, "token"):
		if id.Token == nil {
			keystoneError(w, 400, "Bad Request", "Expecting to find token in identity.")
			return
		}
		t := s.validToken(id.Token.ID)
		if t == nil {
			keystoneUnauthorized(w, "")
			return
		}
		user = s.st.Users[t.UserID]
		methods = slices.Clone(t.Methods)
		if !slices.Contains(methods, "token") {
			methods = append(methods, "token")
		}
		if t.AppCredID != "" {
			appCred = s.st.AppCreds[t.AppCredID]
		}
	default:
		keystoneUnauthorized(w, "")
		return
	}
	if user == nil {
		keystoneUnauthorized(w, "")
		return
	}

	now := time.Now().UTC()
	tok := &Token{ID: newTokenID(), UserID: user.ID, Methods: methods, IssuedAt: now, ExpiresAt: now.Add(TokenLifetime)}
	switch {
	case appCred != nil:
		tok.ProjectID, tok.Roles, tok.AppCredID = appCred.ProjectID, slices.Clone(appCred.Roles), appCred.ID
	case hasScope:
		p := scope.Project
		var project *Project
		if p != nil && p.ID != "" {
			project = s.st.Projects[p.ID]
		} else if p != nil && p.Name != "" && p.Domain.isDefault() {
			project = s.projectByName(p.Name)
		} else if p != nil && p.Name != "" && p.Domain == nil {
			keystoneError(w, 400, "Bad Request", "Expecting to find domain in project. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
			return
		}
		if project == nil {
			keystoneUnauthorized(w, "")
			return
		}
		roles := user.Roles[project.ID]
		if len(roles) == 0 {
			keystoneUnauthorized(w, "")
			return
		}
		tok.ProjectID, tok.Roles = project.ID, slices.Clone(roles)
	}
	s.st.Tokens[tok.ID] = tok
	body := s.tokenBody(r, tok, r.URL.Query().Has("nocatalog"))
	w.Header().Set("X-Subject-Token", tok.ID)
	writeJSON(w, http.StatusCreated, body)
}

// lookupUser finds a user by ID, or by name in domain Default. mu held.
func (s *Site) lookupUser(ref *userRef) *User {
	if ref.ID != "" {
		return s.st.Users[ref.ID]
	}
	if !ref.Domain.isDefault() {
		return nil
	}
	for _, u := range s.st.Users {
		if u.Name == ref.Name {
			return u
		}
	}
	return nil
}

// tokenBody renders a token as Keystone does. mu held.
func (s *Site) tokenBody(r *http.Request, t *Token, noCatalog bool) map[string]any {
	u := s.st.Users[t.UserID]
	body := map[string]any{
		"methods":    t.Methods,
		"user":       map[string]any{"domain": domainView(), "id": u.ID, "name": u.Name, "password_expires_at": nil},
		"audit_ids":  []string{base64.RawURLEncoding.EncodeToString([]byte(stableID("audit", t.ID)[:16]))},
		"expires_at": t.ExpiresAt.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"issued_at":  t.IssuedAt.UTC().Format("2006-01-02T15:04:05.000000Z"),
	}
	if t.ProjectID != "" {
		p := s.st.Projects[t.ProjectID]
		body["project"] = map[string]any{"domain": domainView(), "id": p.ID, "name": p.Name}
		body["is_domain"] = false
		roles := make([]any, 0, len(t.Roles))
		for _, name := range t.Roles {
			roles = append(roles, map[string]any{"id": stableID("role", name), "name": name})
		}
		body["roles"] = roles
		if !noCatalog {
			body["catalog"] = s.catalog(r, p.ID)
		}
	}
	if t.AppCredID != "" {
		if ac := s.st.AppCreds[t.AppCredID]; ac != nil {
			body["application_credential"] = map[string]any{"id": ac.ID, "name": ac.Name, "restricted": true}
		}
	}
	return map[string]any{"token": body}
}

// catalog lists the site's services for a project: identity, compute,
// volumev3 and block-storage (both Cinder v3), object-store, and network
// and image (empty, see empty.go).
func (s *Site) catalog(r *http.Request, projectID string) []any {
	base := s.baseURL(r)
	services := []struct{ typ, name, url string }{
		{"identity", "keystone", base + "/identity"},
		{"compute", "nova", base + "/compute/v2.1"},
		{"volumev3", "cinderv3", base + "/volume/v3/" + projectID},
		{"block-storage", "cinder", base + "/volume/v3/" + projectID},
		{"object-store", "swift", base + "/object-store/v1/AUTH_" + projectID},
		{"network", "neutron", base + "/networking"},
		{"image", "glance", base + "/image"},
	}
	out := make([]any, 0, len(services))
	for _, svc := range services {
		var eps []any
		for _, iface := range []string{"public", "internal", "admin"} {
			eps = append(eps, map[string]any{
				"id": stableID(s.opts.Name, svc.typ, iface), "interface": iface,
				"region_id": s.opts.Region, "region": s.opts.Region, "url": svc.url,
			})
		}
		out = append(out, map[string]any{"id": stableID(s.opts.Name, svc.typ), "type": svc.typ, "name": svc.name, "endpoints": eps})
	}
	return out
}

func (s *Site) validateToken(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(r); !ok {
		keystoneUnauthorized(w, "")
		return
	}
	subject := r.Header.Get("X-Subject-Token")
	s.mu.Lock()
	t := s.validToken(subject)
	var body map[string]any
	if t != nil {
		body = s.tokenBody(r, t, r.URL.Query().Has("nocatalog"))
	}
	s.mu.Unlock()
	if t == nil {
		keystoneNotFound(w, fmt.Sprintf("Could not find token: %s.", subject))
		return
	}
	w.Header().Set("X-Subject-Token", subject)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Site) revokeToken(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(r); !ok {
		keystoneUnauthorized(w, "")
		return
	}
	subject := r.Header.Get("X-Subject-Token")
	s.mu.Lock()
	t := s.validToken(subject)
	if t != nil {
		t.Expired = true
	}
	s.mu.Unlock()
	if t == nil {
		keystoneNotFound(w, fmt.Sprintf("Could not find token: %s.", subject))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// newTokenID looks like a Fernet token: long, URL-safe, opaque.
func newTokenID() string {
	return "gAAAAA" + strings.ReplaceAll(newHex()+newHex()+newHex(), "-", "")
}

// stableID derives a Keystone-style hex ID from names, so catalog and role
// IDs stay the same across restarts.
func stableID(parts ...string) string {
	h := sha1.Sum([]byte(strings.Join(parts, "/")))
	return fmt.Sprintf("%x", h[:16])
}
