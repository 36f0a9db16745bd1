package openstack

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"gopkg.in/yaml.v3"
)

// Credentials says how to log in to one site's Keystone. Every field is
// optional: resolution fills the gaps (see resolveCredentials).
type Credentials struct {
	// Cloud names a clouds.yaml entry; CloudsYAMLPath, when set, is the only
	// file searched for it.
	Cloud          string
	CloudsYAMLPath string

	AuthURL, Region                                    string
	Username, UserID, Password                         string
	ProjectName, ProjectID                             string
	UserDomainName, UserDomainID                       string
	ProjectDomainName, ProjectDomainID                 string
	ApplicationCredentialID, ApplicationCredentialName string
	ApplicationCredentialSecret                        string
	CACertFile                                         string
	Insecure                                           bool
}

// resolved is a credential ready for gophercloud: where it came from (for
// error messages), the auth options, the endpoint options and TLS.
type resolved struct {
	source   string
	auth     gophercloud.AuthOptions
	endpoint gophercloud.EndpointOpts
	caFile   string
	insecure bool
	// cloudTLS: the clouds.yaml entry's TLS settings (see fields).
	cloudTLS *tls.Config
	// secrets are the values that must never appear in an error or log.
	secrets []string
}

// defaultDomainID is Keystone's built-in domain, assumed (as the OpenStack
// CLI and terraform-provider-openstack do) when a user or project is given by
// name without a domain.
const defaultDomainID = "default"

// cloudsYAMLLocations is the search order of python-openstackclient and
// gophercloud's clouds package: OS_CLIENT_CONFIG_FILE alone when set, else
// ./clouds.yaml, the user config directory, /etc/openstack.
func cloudsYAMLLocations(explicit string, env func(string) string) []string {
	if explicit != "" {
		return []string{explicit}
	}
	if p := env("OS_CLIENT_CONFIG_FILE"); p != "" {
		return []string{p}
	}
	var locs []string
	if cwd, err := os.Getwd(); err == nil {
		locs = append(locs, filepath.Join(cwd, "clouds.yaml"))
	}
	cfg := env("XDG_CONFIG_HOME")
	if cfg == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cfg = filepath.Join(home, ".config")
		}
	}
	if cfg != "" {
		locs = append(locs, filepath.Join(cfg, "openstack", "clouds.yaml"))
	}
	return append(locs, "/etc/openstack/clouds.yaml")
}

// fields is the flat form every source is brought to before merging.
type fields struct {
	Credentials
	iface string
	// cloudTLS is the TLS configuration gophercloud's clouds package built
	// from a clouds.yaml entry (cacert, verify, cert/key), nil otherwise.
	cloudTLS *tls.Config
}

// ErrNoCloudsEntry: the clouds.yaml entry a credential names does not exist,
// or no clouds.yaml was found. errors.Is works on New's error.
var ErrNoCloudsEntry = errors.New("no such clouds.yaml entry")

type noCloudsEntry struct{ msg string }

func (e noCloudsEntry) Error() string        { return e.msg }
func (e noCloudsEntry) Is(target error) bool { return target == ErrNoCloudsEntry }

// fromCloudsYAML reads entry name from the first clouds.yaml found through
// gophercloud's clouds package, which merges the secure.yaml beside it and a
// clouds-public.yaml profile and builds the TLS settings. Around it stays
// what the package does not do: it reads the process environment itself
// (OS_CLOUD, OS_REGION_NAME, OS_INTERFACE, OS_CLIENT_CONFIG_FILE), so the
// file is found here with the caller's env and region and interface are
// passed explicitly; it cannot tell a missing entry from another error, so
// the entry is looked up here first for ErrNoCloudsEntry; and the interface
// is read here, in any case ("Internal"), where the package knows only
// lower case.
func fromCloudsYAML(name string, explicit Credentials, locations []string) (fields, string, error) {
	var path string
	var data []byte
	for _, p := range locations {
		b, err := os.ReadFile(p)
		if err == nil {
			path, data = p, b
			break
		}
	}
	if path == "" {
		return fields{}, "", noCloudsEntry{fmt.Sprintf("no clouds.yaml found (searched %s)", strings.Join(locations, ", "))}
	}
	var f clouds.Clouds
	if err := yaml.Unmarshal(data, &f); err != nil {
		return fields{}, path, fmt.Errorf("cannot parse %s: %v", path, err)
	}
	entry, ok := f.Clouds[name]
	if !ok {
		return fields{}, path, noCloudsEntry{fmt.Sprintf("cloud %q not found in %s", name, path)}
	}
	var v2 keystoneV2Names
	_ = yaml.Unmarshal(data, &v2) // the file parsed just above
	opts := []clouds.ParseOption{
		clouds.WithCloudName(name),
		clouds.WithLocations(path),
		clouds.WithRegion(""),
		clouds.WithEndpointType(""),
	}
	// The package reads the CA file at once; an explicit one replaces the
	// entry's, so that a missing entry file does not fail an override.
	if explicit.CACertFile != "" {
		opts = append(opts, clouds.WithCACertPath(explicit.CACertFile))
	}
	ao, eo, tlsCfg, err := clouds.Parse(opts...)
	if err != nil {
		return fields{}, path, fmt.Errorf("cannot read cloud %q from %s: %v", name, path, err)
	}
	out := fields{Credentials: Credentials{
		AuthURL:                     ao.IdentityEndpoint,
		Region:                      eo.Region,
		Username:                    ao.Username,
		UserID:                      ao.UserID,
		Password:                    ao.Password,
		ProjectName:                 ao.TenantName,
		ProjectID:                   ao.TenantID,
		UserDomainName:              ao.DomainName,
		UserDomainID:                ao.DomainID,
		ApplicationCredentialID:     ao.ApplicationCredentialID,
		ApplicationCredentialName:   ao.ApplicationCredentialName,
		ApplicationCredentialSecret: ao.ApplicationCredentialSecret,
	}, iface: first(entry.EndpointType, entry.Interface, string(eo.Availability))}
	if out.ProjectName == "" && out.ProjectID == "" {
		a := v2.Clouds[name].Auth
		out.ProjectName, out.ProjectID = a.TenantName, a.TenantID
		if ai := entry.AuthInfo; ai != nil {
			out.ProjectDomainID = first(ai.ProjectDomainID, ai.DomainID)
			out.ProjectDomainName = first(ai.ProjectDomainName, ai.DomainName)
		}
	}
	if s := ao.Scope; s != nil && s.ProjectName != "" {
		out.ProjectDomainID, out.ProjectDomainName = s.DomainID, s.DomainName
	}
	if tlsCfg != nil && (tlsCfg.RootCAs != nil || tlsCfg.InsecureSkipVerify || len(tlsCfg.Certificates) > 0) {
		out.cloudTLS = tlsCfg
	}
	return out, path, nil
}

// keystoneV2Names are the Keystone v2 era names of the project that some
// clouds.yaml files still use, which gophercloud's clouds package does not
// read.
type keystoneV2Names struct {
	Clouds map[string]struct {
		Auth struct {
			TenantName string `yaml:"tenant_name"`
			TenantID   string `yaml:"tenant_id"`
		} `yaml:"auth"`
	} `yaml:"clouds"`
}

// CloudNames lists the entries of the first clouds.yaml found (explicit,
// else OS_CLIENT_CONFIG_FILE, else the standard locations), sorted; none
// when there is no such file.
func CloudNames(explicit string) ([]string, error) {
	for _, p := range cloudsYAMLLocations(explicit, os.Getenv) {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var f clouds.Clouds
		if err := yaml.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("cannot parse %s: %v", p, err)
		}
		names := make([]string, 0, len(f.Clouds))
		for n := range f.Clouds {
			names = append(names, n)
		}
		sort.Strings(names)
		return names, nil
	}
	return nil, nil
}

// fromEnv reads the OS_* variables the OpenStack CLI uses.
func fromEnv(env func(string) string) fields {
	return fields{Credentials: Credentials{
		AuthURL:                     env("OS_AUTH_URL"),
		Region:                      env("OS_REGION_NAME"),
		Username:                    env("OS_USERNAME"),
		UserID:                      env("OS_USER_ID"),
		Password:                    env("OS_PASSWORD"),
		ProjectName:                 first(env("OS_PROJECT_NAME"), env("OS_TENANT_NAME")),
		ProjectID:                   first(env("OS_PROJECT_ID"), env("OS_TENANT_ID")),
		UserDomainName:              first(env("OS_USER_DOMAIN_NAME"), env("OS_DOMAIN_NAME")),
		UserDomainID:                first(env("OS_USER_DOMAIN_ID"), env("OS_DOMAIN_ID")),
		ProjectDomainName:           first(env("OS_PROJECT_DOMAIN_NAME"), env("OS_DOMAIN_NAME")),
		ProjectDomainID:             first(env("OS_PROJECT_DOMAIN_ID"), env("OS_DOMAIN_ID")),
		ApplicationCredentialID:     env("OS_APPLICATION_CREDENTIAL_ID"),
		ApplicationCredentialName:   env("OS_APPLICATION_CREDENTIAL_NAME"),
		ApplicationCredentialSecret: env("OS_APPLICATION_CREDENTIAL_SECRET"),
		CACertFile:                  env("OS_CACERT"),
		Insecure:                    isTrue(env("OS_INSECURE")),
	}, iface: env("OS_INTERFACE")}
}

// overlay lays the explicit fields over a base. Identity comes as a whole:
// an explicit password login drops the base's application credential and the
// other way round, and an explicit user or project ID drops the base's name
// (Keystone rejects both at once).
func overlay(base fields, ex Credentials) fields {
	out := base
	if ex.Password != "" || ex.Username != "" || ex.UserID != "" {
		if ex.ApplicationCredentialSecret == "" {
			out.ApplicationCredentialID, out.ApplicationCredentialName, out.ApplicationCredentialSecret = "", "", ""
		}
	}
	if ex.ApplicationCredentialSecret != "" || ex.ApplicationCredentialID != "" {
		out.Password = ""
	}
	if ex.UserID != "" {
		out.Username = ""
	}
	if ex.Username != "" {
		out.UserID = ""
	}
	if ex.ProjectID != "" {
		out.ProjectName = ""
	}
	if ex.ProjectName != "" {
		out.ProjectID = ""
	}
	c := &out.Credentials
	for _, p := range []struct {
		dst *string
		src string
	}{
		{&c.AuthURL, ex.AuthURL}, {&c.Region, ex.Region},
		{&c.Username, ex.Username}, {&c.UserID, ex.UserID}, {&c.Password, ex.Password},
		{&c.ProjectName, ex.ProjectName}, {&c.ProjectID, ex.ProjectID},
		{&c.UserDomainName, ex.UserDomainName}, {&c.UserDomainID, ex.UserDomainID},
		{&c.ProjectDomainName, ex.ProjectDomainName}, {&c.ProjectDomainID, ex.ProjectDomainID},
		{&c.ApplicationCredentialID, ex.ApplicationCredentialID},
		{&c.ApplicationCredentialName, ex.ApplicationCredentialName},
		{&c.ApplicationCredentialSecret, ex.ApplicationCredentialSecret},
		{&c.CACertFile, ex.CACertFile},
	} {
		if p.src != "" {
			*p.dst = p.src
		}
	}
	if ex.UserDomainID != "" {
		c.UserDomainName = ""
	}
	if ex.ProjectDomainID != "" {
		c.ProjectDomainName = ""
	}
	if ex.Insecure {
		c.Insecure = true
	}
	return out
}

// resolveCredentials turns a site's Credentials into gophercloud options.
//
// Precedence: the explicit fields win; the gaps are filled from the
// clouds.yaml entry named by Cloud (or by OS_CLOUD when neither Cloud nor an
// explicit auth URL is given); without a clouds.yaml entry, from the OS_*
// environment variables. kind is "" for the main credential and "admin" for
// the admin one; it only changes the wording of errors.
func resolveCredentials(site, kind string, c Credentials, env func(string) string) (*resolved, error) {
	what := fmt.Sprintf("openstack site %q", site)
	if kind != "" {
		what += " (" + kind + " credentials)"
	}
	cloud := c.Cloud
	if cloud == "" && c.AuthURL == "" {
		cloud = env("OS_CLOUD")
	}
	var base fields
	source := "provider settings and OS_* variables"
	if cloud != "" {
		f, path, err := fromCloudsYAML(cloud, c, cloudsYAMLLocations(c.CloudsYAMLPath, env))
		if err != nil {
			return nil, fmt.Errorf("%s: %w; set cloud to an entry of clouds.yaml (or the provider's clouds_yaml argument / OS_CLIENT_CONFIG_FILE to the file)", what, err)
		}
		base, source = f, fmt.Sprintf("clouds.yaml entry %q in %s", cloud, path)
	} else {
		base = fromEnv(env)
	}
	f := overlay(base, c)

	if f.AuthURL == "" {
		return nil, fmt.Errorf("%s: no Keystone auth URL: set auth_url (or OS_AUTH_URL), or cloud to a clouds.yaml entry that has auth.auth_url", what)
	}
	ao := gophercloud.AuthOptions{
		IdentityEndpoint: f.AuthURL,
		AllowReauth:      true,
	}
	switch {
	case f.ApplicationCredentialSecret != "" && (f.ApplicationCredentialID != "" || f.ApplicationCredentialName != ""):
		ao.ApplicationCredentialID = f.ApplicationCredentialID
		ao.ApplicationCredentialSecret = f.ApplicationCredentialSecret
		if f.ApplicationCredentialID == "" {
			// An application credential named (not ID'd) belongs to a user,
			// who must be named too.
			if f.Username == "" && f.UserID == "" {
				return nil, fmt.Errorf("%s (%s): application_credential_name needs username or user_id; or use application_credential_id", what, source)
			}
			ao.ApplicationCredentialName = f.ApplicationCredentialName
			setUser(&ao, f)
		}
	case f.Password != "":
		if f.Username == "" && f.UserID == "" {
			return nil, fmt.Errorf("%s (%s): password given without username or user_id", what, source)
		}
		setUser(&ao, f)
		ao.Password = f.Password
		switch {
		case f.ProjectID != "":
			ao.Scope = &gophercloud.AuthScope{ProjectID: f.ProjectID}
		case f.ProjectName != "":
			s := &gophercloud.AuthScope{ProjectName: f.ProjectName, DomainID: f.ProjectDomainID, DomainName: f.ProjectDomainName}
			if s.DomainID == "" && s.DomainName == "" {
				s.DomainID = defaultDomainID
			}
			ao.Scope = s
		default:
			return nil, fmt.Errorf("%s (%s): no project: set project_name or project_id (or OS_PROJECT_NAME / OS_PROJECT_ID)", what, source)
		}
	case f.ApplicationCredentialID != "" || f.ApplicationCredentialName != "":
		return nil, fmt.Errorf("%s (%s): application credential given without its secret: set application_credential_secret (or OS_APPLICATION_CREDENTIAL_SECRET)", what, source)
	default:
		return nil, fmt.Errorf("%s (%s): no credentials: set username/user_id and password, or application_credential_id and application_credential_secret (or the OS_* variables, or cloud)", what, source)
	}

	r := &resolved{
		source:   source,
		auth:     ao,
		endpoint: gophercloud.EndpointOpts{Region: f.Region, Availability: availability(f.iface)},
		caFile:   f.CACertFile,
		insecure: f.Insecure,
		cloudTLS: f.cloudTLS,
	}
	for _, s := range []string{f.Password, f.ApplicationCredentialSecret} {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	return r, nil
}

func setUser(ao *gophercloud.AuthOptions, f fields) {
	if f.UserID != "" {
		ao.UserID = f.UserID
		return
	}
	ao.Username = f.Username
	ao.DomainID, ao.DomainName = f.UserDomainID, f.UserDomainName
	if ao.DomainID == "" && ao.DomainName == "" {
		ao.DomainID = defaultDomainID
	}
}

func availability(iface string) gophercloud.Availability {
	switch strings.TrimSuffix(strings.ToLower(iface), "url") {
	case "internal":
		return gophercloud.AvailabilityInternal
	case "admin":
		return gophercloud.AvailabilityAdmin
	}
	return gophercloud.AvailabilityPublic
}

// tlsConfig builds the TLS settings of a credential, or nil for the system
// defaults.
func (r *resolved) tlsConfig() (*tls.Config, error) {
	if r.caFile == "" && !r.insecure && r.cloudTLS == nil {
		return nil, nil
	}
	cfg := &tls.Config{}
	if r.cloudTLS != nil {
		cfg = r.cloudTLS.Clone()
	}
	cfg.MinVersion = tls.VersionTLS12
	if r.insecure {
		cfg.InsecureSkipVerify = true //nolint:gosec // the user asked for it (insecure = true / verify: false)
	}
	if r.caFile != "" {
		pem, err := os.ReadFile(r.caFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", r.caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
