// Package simulator brings up the two-site world the provider is tested
// against: OpenStack sites site-a and site-b (openstacksim) and FlashArrays
// flasharray-a and flasharray-b (flasharraysim), connected, seeded with the
// fixtures of the contract, with the Cinder Pure driver modelled between
// each site's pure backend and its array.
//
// It is a test instrument, imported only by tests and the demo program.
package simulator

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/simtls"
)

// Options configure the world. Empty addresses pick free loopback ports.
type Options struct {
	// AsyncDelay of the sites (group creating/updating/deleting); zero means
	// openstacksim.DefaultAsyncDelay.
	AsyncDelay time.Duration
	// Transitions of the sites set apart from AsyncDelay (zero: as it).
	Transitions openstacksim.Transitions
	// ArrayAsyncDelay of the arrays (snapshot transfers); zero completes
	// them at once.
	ArrayAsyncDelay time.Duration
	// ArrayClockOffset moves both arrays' clocks: a negative offset makes
	// the snapshots they take look that much older (an RPO breach).
	ArrayClockOffset time.Duration

	SiteAAddr, SiteBAddr   string
	ArrayAAddr, ArrayBAddr string

	// SiteTLS serves both OpenStack sites over HTTPS, with a certificate
	// signed by a CA of the world's own (SiteCACertPEM) that no system
	// trusts; WriteCloudsYAML names it as each entry's cacert. Default:
	// plain HTTP.
	SiteTLS bool
}

// World is the running two-site world.
type World struct {
	sites  map[string]*openstacksim.Site
	arrays map[string]*flasharraysim.Array

	siteTLS *simtls.Material // nil: the sites serve plain HTTP

	mu           sync.Mutex
	extraServers int // servers added by AddServers so far
}

// Start brings up both sites and both arrays and seeds the fixtures.
func Start(opts Options) (*World, error) {
	w := &World{sites: map[string]*openstacksim.Site{}, arrays: map[string]*flasharraysim.Array{}}
	arrayNow := func() time.Time { return time.Now().Add(opts.ArrayClockOffset) }
	arrayA := flasharraysim.New(flasharraysim.Options{Name: ArrayA, APITokens: []string{ArrayAToken}, AsyncDelay: opts.ArrayAsyncDelay, Now: arrayNow})
	arrayB := flasharraysim.New(flasharraysim.Options{Name: ArrayB, APITokens: []string{ArrayBToken}, AsyncDelay: opts.ArrayAsyncDelay, Now: arrayNow})
	w.arrays[ArrayA], w.arrays[ArrayB] = arrayA, arrayB
	var siteCert *tls.Certificate
	if opts.SiteTLS {
		m, err := simtls.New("openstack sites")
		if err != nil {
			return nil, err
		}
		w.siteTLS, siteCert = m, &m.ServerCert
	}
	siteA := openstacksim.New(openstacksim.Options{Name: SiteA, Region: Region, AsyncDelay: opts.AsyncDelay, Transitions: opts.Transitions, TLSCertificate: siteCert})
	siteB := openstacksim.New(openstacksim.Options{Name: SiteB, Region: Region, AsyncDelay: opts.AsyncDelay, Transitions: opts.Transitions, TLSCertificate: siteCert})
	w.sites[SiteA], w.sites[SiteB] = siteA, siteB

	starts := []struct {
		name  string
		start func(string) error
		addr  string
	}{
		{SiteA, siteA.StartOn, opts.SiteAAddr},
		{SiteB, siteB.StartOn, opts.SiteBAddr},
		{ArrayA, arrayA.StartOn, opts.ArrayAAddr},
		{ArrayB, arrayB.StartOn, opts.ArrayBAddr},
	}
	for _, s := range starts {
		addr := s.addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if err := s.start(addr); err != nil {
			w.Close()
			return nil, fmt.Errorf("simulator: start %s on %s: %w", s.name, addr, err)
		}
	}

	flasharraysim.Connect(arrayA, arrayB)
	arrayA.AddPod(CinderPod, arrayB)
	seedSite(siteA)
	seedSite(siteB)
	seedSiteAWorkloads(siteA, arrayA)
	siteA.SetBackend(pureBackend(siteA, arrayA, HostA))
	siteB.SetBackend(pureBackend(siteB, arrayB, HostB))
	return w, nil
}

// seedSite adds what both sites have: project, users, application
// credential, volume types, group type.
func seedSite(s *openstacksim.Site) {
	s.AddProject(Project)
	s.AddUser(DemoUser, DemoPassword, Project, "member")
	s.AddUser(AdminUser, AdminPassword, Project, "admin")
	if s.Name() == SiteA {
		s.AddApplicationCredential(AppCredSiteAID, AppCredSiteASecret, DemoUser)
	} else {
		s.AddApplicationCredential(AppCredSiteBID, AppCredSiteBSecret, DemoUser)
	}
	specs := volumeTypeSpecs(s.Name())
	for _, name := range []string{TypeReplicatedSSD, TypeReplicatedSync, TypeStandard, TypeReplicatedAOnly} {
		s.AddVolumeType(name, specs[name])
	}
	s.AddGroupType(GroupTypeConsistency, map[string]string{"consistent_group_snapshot_enabled": "<is> True"})
	// The flavor the real-OpenStack lane creates (tools/openstack/py/lane_fixtures.py).
	s.AddFlavor(openstacksim.Flavor{ID: FlavorTinyID, Name: FlavorTiny, RAM: 64, VCPUs: 1, Disk: 0})
	// The cinder-volume services of the Pure backends, which the scheduler
	// reports pools of while they are up (os-services, get_pools).
	hosts := []string{HostB}
	if s.Name() == SiteA {
		hosts = []string{HostA, HostC}
	}
	for _, h := range hosts {
		host, pool, _ := strings.Cut(h, "#")
		s.AddVolumeService(openstacksim.VolumeService{Host: host, BackendName: PureBackendName, Pools: []string{pool}})
	}
}

// seedSiteAWorkloads adds site-a's servers and their volumes, and the
// array volumes the Pure driver made for them on flasharray-a (with the
// array_volume_name and array_name metadata it writes).
func seedSiteAWorkloads(s *openstacksim.Site, arr *flasharraysim.Array) {
	for _, sv := range siteAServers {
		addServer(s, arr, sv)
	}
	arrayName := ArrayVolumeName(GoldenImageVolumeID, false)
	arr.AddVolume(arrayName, GoldenImageSizeGiB<<30)
	s.AddVolume(openstacksim.Volume{
		ID: GoldenImageVolumeID, Name: GoldenImageVolumeName, Project: Project, Type: TypeReplicatedSSD, Host: HostA,
		Size: GoldenImageSizeGiB, Bootable: true,
		Metadata: map[string]string{"array_volume_name": arrayName, "array_name": arr.Name()},
	})
}

// addServer adds one site-a server with its volumes (boot first) and their
// array volumes.
func addServer(s *openstacksim.Site, arr *flasharraysim.Array, sv fixtureServer) {
	var atts []openstacksim.Attachment
	for i, fv := range sv.volumes {
		sync := fv.typ == TypeReplicatedSync
		arrayName := ArrayVolumeName(fv.id, sync)
		arr.AddVolume(arrayName, int64(fv.size)<<30)
		name := sv.name + "-boot"
		if i > 0 {
			name = fmt.Sprintf("%s-data-%d", sv.name, i)
		}
		s.AddVolume(openstacksim.Volume{
			ID: fv.id, Name: name, Project: Project, Type: fv.typ, Host: sv.host, Size: fv.size,
			Bootable: i == 0,
			Metadata: map[string]string{"array_volume_name": arrayName, "array_name": arr.Name()},
		})
		atts = append(atts, openstacksim.Attachment{VolumeID: fv.id, Device: "/dev/vd" + string(rune('a'+i))})
	}
	// Booted with the flavor both sites have, as the real lane's servers.
	s.AddServer(openstacksim.Server{ID: sv.id, Name: sv.name, Project: Project, Volumes: atts, RootDeviceName: "/dev/vda", FlavorID: FlavorTinyID})
}

// pureBackend models the Pure Cinder driver on one backend: a group whose
// type has consistent_group_snapshot_enabled gets the protection group
// consisgroup-<id>-cinder (in cinder-pod when a volume type is sync);
// member changes follow on the array; delete destroys the PG. Other groups
// are the driver's generic (database only) groups.
func pureBackend(site *openstacksim.Site, arr *flasharraysim.Array, host string) openstacksim.Backend {
	pgName := func(g openstacksim.Group) (string, bool) {
		gt, ok := site.GroupType(g.GroupTypeID)
		if !ok || strings.Join(strings.Fields(gt.GroupSpecs["consistent_group_snapshot_enabled"]), " ") != "<is> True" {
			return "", false
		}
		name := ConsistencyGroupPGName(g.ID)
		for _, id := range g.VolumeTypeIDs {
			if vt, ok := site.VolumeType(id); ok && strings.TrimSpace(vt.ExtraSpecs["replication_type"]) == "<in> sync" {
				return CinderPod + "::" + name, true
			}
		}
		return name, true
	}
	arrayNames := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			v, ok := site.Volume(id)
			if !ok {
				continue
			}
			n := v.Metadata["array_volume_name"]
			if n == "" {
				n = ArrayVolumeName(id, false)
			}
			out = append(out, n)
		}
		return out
	}
	sync := func(v openstacksim.Volume) bool {
		vt, ok := site.VolumeType(v.TypeID)
		return ok && strings.TrimSpace(vt.ExtraSpecs["replication_type"]) == "<in> sync"
	}
	return openstacksim.Backend{
		Host: host,
		// A volume created through Cinder gets its array volume, named
		// and recorded as for the seeded ones.
		OnVolumeCreate: func(v openstacksim.Volume) (map[string]string, error) {
			name := ArrayVolumeName(v.ID, sync(v))
			arr.AddVolume(name, int64(v.Size)<<30)
			return map[string]string{"array_volume_name": name, "array_name": arr.Name()}, nil
		},
		OnVolumeDelete: func(v openstacksim.Volume) error {
			name := v.Metadata["array_volume_name"]
			if _, ok := arr.Volume(name); !ok {
				return nil
			}
			return arr.DestroyVolume(name)
		},
		// Manage-existing as the Pure driver does it (pure.py
		// manage_existing): the reference is {"name": <array volume>}, not
		// in a pod and not for a sync type; the volume is renamed
		// volume-<id>-cinder and its size rounded up to GiB.
		OnVolumeManage: func(v openstacksim.Volume, ref map[string]any) (int, map[string]string, error) {
			name, _ := ref["name"].(string)
			switch {
			case sync(v):
				return 0, nil, errors.New("unable to manage a volume with type requiring sync replication enabled")
			case name == "":
				return 0, nil, errors.New("manage_existing requires a 'name' key to identify an existing volume")
			case strings.Contains(name, "::"):
				return 0, nil, errors.New("unable to manage a volume in a pod")
			}
			info, ok := arr.Volume(name)
			if !ok || info.Destroyed {
				return 0, nil, fmt.Errorf("unable to find Purity ref with name=%s", name)
			}
			newName := ArrayVolumeName(v.ID, false)
			if err := arr.RenameVolume(name, newName); err != nil {
				return 0, nil, err
			}
			size := int((info.Provisioned + 1<<30 - 1) >> 30)
			return size, map[string]string{"array_volume_name": newName, "array_name": arr.Name()}, nil
		},
		OnVolumeExtend: func(v openstacksim.Volume, newSize int) error {
			return arr.ResizeVolume(v.Metadata["array_volume_name"], int64(newSize)<<30)
		},
		OnGroupCreate: func(g openstacksim.Group) error {
			if name, ok := pgName(g); ok {
				return arr.CreateProtectionGroup(name)
			}
			return nil
		},
		OnGroupVolumes: func(g openstacksim.Group, added, removed []string) error {
			name, ok := pgName(g)
			if !ok {
				return nil
			}
			if len(added) > 0 {
				if err := arr.AddProtectionGroupVolumes(name, arrayNames(added)...); err != nil {
					return err
				}
			}
			if len(removed) > 0 {
				return arr.RemoveProtectionGroupVolumes(name, arrayNames(removed)...)
			}
			return nil
		},
		OnGroupDelete: func(g openstacksim.Group) error {
			if name, ok := pgName(g); ok {
				return arr.DestroyProtectionGroup(name)
			}
			return nil
		},
	}
}

// AddServers seeds n more servers on site-a for scale tests, each like
// web-server-1: booted from a replicated-ssd volume on pure@backend-a (at
// /dev/vda) with one replicated-ssd data volume (/dev/vdb), both with their
// array volumes on flasharray-a and the Pure driver's metadata. Servers are
// named extra-server-<k> (k counting from 1 across calls) and have fixed,
// predictable ids; it returns their instance ids in order.
func (w *World) AddServers(n int) []string {
	w.mu.Lock()
	first := w.extraServers + 1
	w.extraServers += n
	w.mu.Unlock()

	site, arr := w.sites[SiteA], w.arrays[ArrayA]
	ids := make([]string, 0, n)
	for k := first; k < first+n; k++ {
		sv := fixtureServer{
			id:   ExtraServerID(k),
			name: fmt.Sprintf("extra-server-%d", k),
			host: HostA,
			volumes: []fixtureVolume{
				{ExtraServerVolumeID(k, 0), TypeReplicatedSSD, 20},
				{ExtraServerVolumeID(k, 1), TypeReplicatedSSD, 50},
			},
		}
		addServer(site, arr, sv)
		ids = append(ids, sv.id)
	}
	return ids
}

// AttachNewVolume creates a volume of type typ on site-a's host (with its
// array volume on flasharray-a and the Pure driver's metadata) and attaches
// it to the site-a server at the server's next free device, as
// `openstack server add volume` would, out of the provider's sight. It
// returns the volume's id.
func (w *World) AttachNewVolume(serverID, typ string, size int) string {
	site, arr := w.sites[SiteA], w.arrays[ArrayA]
	id := site.AddVolume(openstacksim.Volume{Name: "attached-later", Project: Project, Type: typ, Host: HostA, Size: size})
	arrayName := ArrayVolumeName(id, typ == TypeReplicatedSync)
	arr.AddVolume(arrayName, int64(size)<<30)
	site.Update(func(st *openstacksim.State) {
		st.Volumes[id].Metadata = map[string]string{"array_volume_name": arrayName, "array_name": arr.Name()}
	})
	site.AttachVolume(serverID, id)
	return id
}

// SetLatency delays every request of both sites and both arrays by d, as a
// WAN round trip would.
func (w *World) SetLatency(d time.Duration) {
	for _, s := range w.sites {
		s.Faults().SetLatency(d)
	}
	for _, a := range w.arrays {
		a.Faults().SetLatency(d)
	}
}

// Site returns site-a or site-b (nil for another name).
func (w *World) Site(name string) *openstacksim.Site { return w.sites[name] }

// Array returns flasharray-a or flasharray-b (nil for another name).
func (w *World) Array(name string) *flasharraysim.Array { return w.arrays[name] }

// SpecError is nil when both arrays saw only requests and gave only answers
// that their OpenAPI spec allows, else an error listing the mismatches.
func (w *World) SpecError() error {
	return errors.Join(w.arrays[ArrayA].SpecError(), w.arrays[ArrayB].SpecError())
}

// cloudEntry is one clouds.yaml entry.
type cloudEntry struct {
	Auth               cloudAuth `yaml:"auth"`
	RegionName         string    `yaml:"region_name"`
	Interface          string    `yaml:"interface"`
	IdentityAPIVersion int       `yaml:"identity_api_version"`
	CACert             string    `yaml:"cacert,omitempty"`
}

type cloudAuth struct {
	AuthURL           string `yaml:"auth_url"`
	Username          string `yaml:"username"`
	Password          string `yaml:"password"`
	ProjectName       string `yaml:"project_name"`
	UserDomainName    string `yaml:"user_domain_name"`
	ProjectDomainName string `yaml:"project_domain_name"`
}

// CloudsYAML renders clouds.yaml: site-a and site-b for user demo,
// site-a-admin and site-b-admin for admin. It names no cacert; with
// Options.SiteTLS, WriteCloudsYAML does.
func (w *World) CloudsYAML() ([]byte, error) { return w.cloudsYAML("") }

func (w *World) cloudsYAML(caFile string) ([]byte, error) {
	clouds := map[string]cloudEntry{}
	for _, name := range []string{SiteA, SiteB} {
		s := w.sites[name]
		entry := func(user, password string) cloudEntry {
			return cloudEntry{
				Auth: cloudAuth{AuthURL: s.AuthURL(), Username: user, Password: password, ProjectName: Project,
					UserDomainName: Domain, ProjectDomainName: Domain},
				RegionName: Region, Interface: "public", IdentityAPIVersion: 3, CACert: caFile,
			}
		}
		clouds[name] = entry(DemoUser, DemoPassword)
		clouds[name+"-admin"] = entry(AdminUser, AdminPassword)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{"clouds": clouds}); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// WriteCloudsYAML writes CloudsYAML to path (mode 0600: it holds passwords).
// With Options.SiteTLS it also writes the sites' CA beside it, as
// openstack-ca.pem, and names that file as every entry's cacert.
func (w *World) WriteCloudsYAML(path string) error {
	caFile := ""
	if w.siteTLS != nil {
		caFile = filepath.Join(filepath.Dir(path), "openstack-ca.pem")
		if err := w.WriteSiteCACert(caFile); err != nil {
			return err
		}
	}
	b, err := w.cloudsYAML(caFile)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// SiteCACertPEM is the CA that signed the sites' certificate with
// Options.SiteTLS; nil when they serve plain HTTP.
func (w *World) SiteCACertPEM() []byte {
	if w.siteTLS == nil {
		return nil
	}
	return bytes.Clone(w.siteTLS.CAPEM)
}

// WriteSiteCACert writes SiteCACertPEM to path.
func (w *World) WriteSiteCACert(path string) error {
	if w.siteTLS == nil {
		return errors.New("simulator: the sites serve plain HTTP (Options.SiteTLS is off)")
	}
	return os.WriteFile(path, w.siteTLS.CAPEM, 0o644)
}

// CACertPEM is the bundle of both arrays' CA certificates.
func (w *World) CACertPEM() []byte {
	var b []byte
	for _, name := range []string{ArrayA, ArrayB} {
		pem := w.arrays[name].CACertPEM()
		b = append(b, pem...)
		if len(pem) > 0 && pem[len(pem)-1] != '\n' {
			b = append(b, '\n')
		}
	}
	return b
}

// WriteCACert writes the arrays' CA bundle to path.
func (w *World) WriteCACert(path string) error {
	b := w.CACertPEM()
	if len(b) == 0 {
		return errors.New("simulator: the arrays have no CA certificate")
	}
	return os.WriteFile(path, b, 0o644)
}

// Close stops every server.
func (w *World) Close() {
	for _, s := range w.sites {
		s.Close()
	}
	for _, a := range w.arrays {
		a.Close()
	}
}
