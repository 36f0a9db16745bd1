package simulator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// With SiteTLS both sites serve HTTPS under the world's own CA: clouds.yaml
// names the CA as cacert and a client reaches Keystone and every service of
// the catalog through it; without the CA, the system roots refuse the
// certificate.
func TestWorldSiteTLS(t *testing.T) {
	w, err := Start(Options{SiteTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	dir := t.TempDir()
	cloudsYAML := filepath.Join(dir, "clouds.yaml")
	if err := w.WriteCloudsYAML(cloudsYAML); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Clouds map[string]struct {
			CACert string `yaml:"cacert"`
			Auth   struct {
				AuthURL string `yaml:"auth_url"`
			} `yaml:"auth"`
		} `yaml:"clouds"`
	}
	b, _ := os.ReadFile(cloudsYAML)
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{SiteA, SiteB, SiteA + "-admin"} {
		e := doc.Clouds[name]
		if !strings.HasPrefix(e.Auth.AuthURL, "https://") {
			t.Errorf("%s: auth_url %q is not https", name, e.Auth.AuthURL)
		}
		ca, err := os.ReadFile(e.CACert)
		if err != nil || string(ca) != string(w.SiteCACertPEM()) {
			t.Errorf("%s: cacert %q does not hold the sites' CA (%v)", name, e.CACert, err)
		}
	}

	ctx := context.Background()
	site := func(c openstack.Credentials) *openstack.Site {
		s, err := openstack.New(openstack.Config{Name: SiteA, Credentials: c, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	viaCloudsYAML := site(openstack.Credentials{Cloud: SiteA, CloudsYAMLPath: cloudsYAML})
	services, err := viaCloudsYAML.Services(ctx)
	if err != nil {
		t.Fatalf("through clouds.yaml with cacert: %v", err)
	}
	// Cinder and Swift answer over the catalog's https URLs too.
	if err := viaCloudsYAML.EnsureContainer(ctx, "tls-check"); err != nil {
		t.Fatalf("object storage through the catalog: %v", err)
	}
	if got := strings.Join(services, ","); !strings.Contains(got, "volumev3") || !strings.Contains(got, "object-store") {
		t.Errorf("catalog services %s", got)
	}

	inline := openstack.Credentials{AuthURL: w.Site(SiteA).AuthURL(), Region: Region, Username: DemoUser, Password: DemoPassword,
		ProjectName: Project, UserDomainName: Domain, ProjectDomainName: Domain}
	if err := site(inline).Authenticate(ctx); err == nil || !strings.Contains(err.Error(), "the TLS certificate of "+w.Site(SiteA).URL()+" is not trusted (x509: certificate signed by unknown authority): give the CA bundle that signed it as cacert_file") {
		t.Errorf("without the CA: %v, want the certificate refused with the fix", err)
	}
	insecure := inline
	insecure.Insecure = true
	if err := site(insecure).Authenticate(ctx); err != nil {
		t.Errorf("insecure: %v", err)
	}
}
