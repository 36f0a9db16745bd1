package openstack

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const testCloudsYAML = `
clouds:
  site-a:
    auth:
      auth_url: http://keystone-a/identity/v3
      username: demo
      password: demo-password
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
  site-a-app:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://keystone-a/identity/v3
      application_credential_id: app-cred-site-a
      application_credential_secret: app-secret-site-a
    region_name: RegionOne
  site-v2-names:
    auth:
      auth_url: http://keystone-a/identity/v3
      username: demo
      password: demo-password
      tenant_name: old-style
    interface: Internal
  site-b-tls:
    auth:
      auth_url: https://keystone-b/identity/v3
      username: demo
      project_id: p-123
    cacert: CA_FILE
    verify: false
`

func TestResolveCredentials(t *testing.T) {
	dir := t.TempDir()
	caFile := writeFile(t, filepath.Join(dir, "ca.pem"), testCAPEM(t))
	clouds := writeFile(t, filepath.Join(dir, "clouds.yaml"), strings.ReplaceAll(testCloudsYAML, "CA_FILE", caFile))
	writeFile(t, filepath.Join(dir, "secure.yaml"), "clouds:\n  site-b-tls:\n    auth:\n      password: from-secure-yaml\n")

	tests := []struct {
		name  string
		creds Credentials
		env   map[string]string
		check func(t *testing.T, r *resolved)
	}{
		{
			name:  "explicit password login gets default domains and reauth",
			creds: Credentials{AuthURL: "http://k/v3", Username: "u", Password: "p", ProjectName: "proj", Region: "R"},
			check: func(t *testing.T, r *resolved) {
				want := gophercloud.AuthOptions{
					IdentityEndpoint: "http://k/v3", Username: "u", Password: "p", DomainID: "default",
					AllowReauth: true, Scope: &gophercloud.AuthScope{ProjectName: "proj", DomainID: "default"},
				}
				assertAuth(t, r.auth, want)
				if r.endpoint.Region != "R" || r.endpoint.Availability != gophercloud.AvailabilityPublic {
					t.Errorf("endpoint = %+v", r.endpoint)
				}
			},
		},
		{
			name:  "clouds.yaml entry by explicit path",
			creds: Credentials{Cloud: "site-a", CloudsYAMLPath: clouds},
			check: func(t *testing.T, r *resolved) {
				assertAuth(t, r.auth, gophercloud.AuthOptions{
					IdentityEndpoint: "http://keystone-a/identity/v3", Username: "demo", Password: "demo-password",
					DomainName: "Default", AllowReauth: true,
					Scope: &gophercloud.AuthScope{ProjectName: "demo", DomainName: "Default"},
				})
				if r.endpoint.Region != "RegionOne" || r.endpoint.Availability != gophercloud.AvailabilityInternal {
					t.Errorf("endpoint = %+v", r.endpoint)
				}
				if !strings.Contains(r.source, clouds) {
					t.Errorf("source %q does not name the file", r.source)
				}
			},
		},
		{
			name:  "clouds.yaml via OS_CLIENT_CONFIG_FILE, application credential",
			creds: Credentials{Cloud: "site-a-app"},
			env:   map[string]string{"OS_CLIENT_CONFIG_FILE": clouds},
			check: func(t *testing.T, r *resolved) {
				assertAuth(t, r.auth, gophercloud.AuthOptions{
					IdentityEndpoint: "http://keystone-a/identity/v3", AllowReauth: true,
					ApplicationCredentialID: "app-cred-site-a", ApplicationCredentialSecret: "app-secret-site-a",
				})
			},
		},
		{
			name:  "OS_CLOUD picks the entry when nothing explicit is set",
			creds: Credentials{CloudsYAMLPath: clouds},
			env:   map[string]string{"OS_CLOUD": "site-a", "OS_AUTH_URL": "http://ignored/v3"},
			check: func(t *testing.T, r *resolved) {
				if r.auth.IdentityEndpoint != "http://keystone-a/identity/v3" || r.auth.Username != "demo" {
					t.Errorf("auth = %+v", r.auth)
				}
			},
		},
		{
			name:  "secure.yaml beside clouds.yaml supplies the password; TLS settings read",
			creds: Credentials{Cloud: "site-b-tls", CloudsYAMLPath: clouds},
			check: func(t *testing.T, r *resolved) {
				if r.auth.Password != "from-secure-yaml" || r.auth.Scope.ProjectID != "p-123" {
					t.Errorf("auth = %+v scope %+v", r.auth, r.auth.Scope)
				}
				// gophercloud's clouds package reads the CA file while
				// parsing, so the entry's TLS arrives built.
				if r.cloudTLS == nil || r.cloudTLS.RootCAs == nil || !r.cloudTLS.InsecureSkipVerify {
					t.Errorf("TLS from the entry = %+v", r.cloudTLS)
				}
			},
		},
		{
			name:  "tenant_name and an upper-case interface, which gophercloud's clouds package does not read",
			creds: Credentials{Cloud: "site-v2-names", CloudsYAMLPath: clouds},
			check: func(t *testing.T, r *resolved) {
				if r.auth.Scope == nil || r.auth.Scope.ProjectName != "old-style" || r.endpoint.Availability != gophercloud.AvailabilityInternal {
					t.Errorf("scope %+v endpoint %+v", r.auth.Scope, r.endpoint)
				}
			},
		},
		{
			name: "explicit fields win over the clouds.yaml entry",
			creds: Credentials{Cloud: "site-a", CloudsYAMLPath: clouds, Password: "override",
				ProjectID: "pid", Region: "RegionTwo"},
			check: func(t *testing.T, r *resolved) {
				if r.auth.Password != "override" || r.auth.Username != "demo" {
					t.Errorf("auth = %+v", r.auth)
				}
				if r.auth.Scope.ProjectID != "pid" || r.auth.Scope.ProjectName != "" {
					t.Errorf("scope = %+v", r.auth.Scope)
				}
				if r.endpoint.Region != "RegionTwo" {
					t.Errorf("region = %q", r.endpoint.Region)
				}
			},
		},
		{
			name: "explicit application credential replaces the entry's password login",
			creds: Credentials{Cloud: "site-a", CloudsYAMLPath: clouds,
				ApplicationCredentialID: "ac", ApplicationCredentialSecret: "acs"},
			check: func(t *testing.T, r *resolved) {
				if r.auth.ApplicationCredentialID != "ac" || r.auth.Password != "" || r.auth.Scope != nil {
					t.Errorf("auth = %+v", r.auth)
				}
			},
		},
		{
			name:  "OS_* environment when no cloud is named",
			creds: Credentials{},
			env: map[string]string{"OS_AUTH_URL": "http://env/v3", "OS_USERNAME": "eu", "OS_PASSWORD": "ep",
				"OS_PROJECT_NAME": "eproj", "OS_USER_DOMAIN_NAME": "UD", "OS_PROJECT_DOMAIN_ID": "pd",
				"OS_REGION_NAME": "ER", "OS_INTERFACE": "admin", "OS_CACERT": "/env/ca.pem"},
			check: func(t *testing.T, r *resolved) {
				assertAuth(t, r.auth, gophercloud.AuthOptions{
					IdentityEndpoint: "http://env/v3", Username: "eu", Password: "ep", DomainName: "UD",
					AllowReauth: true, Scope: &gophercloud.AuthScope{ProjectName: "eproj", DomainID: "pd"},
				})
				if r.endpoint.Region != "ER" || r.endpoint.Availability != gophercloud.AvailabilityAdmin || r.caFile != "/env/ca.pem" {
					t.Errorf("endpoint %+v caFile %q", r.endpoint, r.caFile)
				}
			},
		},
		{
			name:  "explicit fields win over OS_* variables field by field",
			creds: Credentials{AuthURL: "http://explicit/v3", Password: "xp"},
			env:   map[string]string{"OS_AUTH_URL": "http://env/v3", "OS_USERNAME": "eu", "OS_PASSWORD": "ep", "OS_PROJECT_ID": "epid"},
			check: func(t *testing.T, r *resolved) {
				if r.auth.IdentityEndpoint != "http://explicit/v3" || r.auth.Password != "xp" || r.auth.Username != "eu" || r.auth.Scope.ProjectID != "epid" {
					t.Errorf("auth = %+v", r.auth)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			if env == nil {
				env = map[string]string{}
			}
			if _, ok := env["XDG_CONFIG_HOME"]; !ok {
				env["XDG_CONFIG_HOME"] = t.TempDir()
			}
			r, err := resolveCredentials("site-a", "", tc.creds, envOf(env))
			if err != nil {
				t.Fatalf("resolveCredentials: %v", err)
			}
			tc.check(t, r)
		})
	}
}

// testCAPEM is a self-signed certificate in PEM, for a cacert that must parse.
func testCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func assertAuth(t *testing.T, got, want gophercloud.AuthOptions) {
	t.Helper()
	gs, ws := got.Scope, want.Scope
	got.Scope, want.Scope = nil, nil
	if got != want {
		t.Errorf("auth options\n got %+v\nwant %+v", got, want)
	}
	if (gs == nil) != (ws == nil) || (gs != nil && *gs != *ws) {
		t.Errorf("scope got %+v want %+v", gs, ws)
	}
}

// The search order without an explicit path: ./clouds.yaml, then the user
// config directory.
func TestResolveCredentialsSearchesCloudsYAML(t *testing.T) {
	cwd := t.TempDir()
	xdg := t.TempDir()
	t.Chdir(cwd)
	writeFile(t, filepath.Join(xdg, "openstack", "clouds.yaml"),
		"clouds:\n  c:\n    auth:\n      auth_url: http://from-xdg/v3\n      username: u\n      password: p\n      project_id: x\n")
	env := envOf(map[string]string{"XDG_CONFIG_HOME": xdg})

	r, err := resolveCredentials("s", "", Credentials{Cloud: "c"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if r.auth.IdentityEndpoint != "http://from-xdg/v3" {
		t.Errorf("auth_url %q, want the one from the user config directory", r.auth.IdentityEndpoint)
	}

	writeFile(t, filepath.Join(cwd, "clouds.yaml"),
		"clouds:\n  c:\n    auth:\n      auth_url: http://from-cwd/v3\n      username: u\n      password: p\n      project_id: x\n")
	r, err = resolveCredentials("s", "", Credentials{Cloud: "c"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if r.auth.IdentityEndpoint != "http://from-cwd/v3" {
		t.Errorf("auth_url %q, want ./clouds.yaml to win", r.auth.IdentityEndpoint)
	}
}

func TestResolveCredentialsErrors(t *testing.T) {
	dir := t.TempDir()
	clouds := writeFile(t, filepath.Join(dir, "clouds.yaml"), testCloudsYAML)
	tests := []struct {
		name  string
		kind  string
		creds Credentials
		env   map[string]string
		want  []string
	}{
		{"nothing at all", "", Credentials{}, nil,
			[]string{`site "site-x"`, "auth_url", "OS_AUTH_URL", "cloud"}},
		{"admin credential without auth url", "admin", Credentials{Username: "admin", Password: "pw"}, nil,
			[]string{`site "site-x" (admin credentials)`, "auth_url"}},
		{"cloud entry missing", "", Credentials{Cloud: "nope", CloudsYAMLPath: clouds}, nil,
			[]string{`site "site-x"`, `cloud "nope" not found`, clouds}},
		{"no clouds.yaml anywhere", "", Credentials{Cloud: "c"}, map[string]string{"OS_CLIENT_CONFIG_FILE": filepath.Join(dir, "missing.yaml")},
			[]string{"no clouds.yaml found", "missing.yaml"}},
		{"no credentials", "", Credentials{AuthURL: "http://k/v3"}, nil,
			[]string{"no credentials", "password", "application_credential_id"}},
		{"application credential without secret", "", Credentials{AuthURL: "http://k/v3", ApplicationCredentialID: "x"}, nil,
			[]string{"application_credential_secret"}},
		{"password without project", "", Credentials{AuthURL: "http://k/v3", Username: "u", Password: "p"}, nil,
			[]string{"project_name or project_id"}},
		{"password without user", "", Credentials{AuthURL: "http://k/v3", Password: "p", ProjectID: "x"}, nil,
			[]string{"username or user_id"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := resolveCredentials("site-x", tc.kind, tc.creds, envOf(env))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "pw") && tc.creds.Password == "pw" {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestNewChecksTLSFiles(t *testing.T) {
	dir := t.TempDir()
	notPEM := writeFile(t, filepath.Join(dir, "ca.pem"), "not a certificate")
	base := Credentials{AuthURL: "https://k/v3", Username: "u", Password: "p", ProjectID: "x"}

	c := base
	c.CACertFile = filepath.Join(dir, "absent.pem")
	if _, err := New(Config{Name: "site-a", Credentials: c, getenv: envOf(nil)}); err == nil || !strings.Contains(err.Error(), `site "site-a"`) {
		t.Errorf("missing CA file: err = %v", err)
	}
	c.CACertFile = notPEM
	if _, err := New(Config{Name: "site-a", Credentials: c, getenv: envOf(nil)}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("bad CA file: err = %v", err)
	}
	c.CACertFile = ""
	c.Insecure = true
	if _, err := New(Config{Name: "site-a", Credentials: c, getenv: envOf(nil)}); err != nil {
		t.Errorf("insecure: %v", err)
	}
}
