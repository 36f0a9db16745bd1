package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
)

// The real-OpenStack lane (tools/openstack) runs two real OpenStack sites
// whose Cinder driver stands for the Pure driver: it writes to the
// FlashArrays named in an arrays file while that file exists. The arrays
// are these simulated ones, started by the lane's tests or by
// protector-sim -lane for a person trying the provider by hand.

// LaneFixtures is the fixtures.json that tools/openstack/py/lane_fixtures.py
// writes: the sites, the servers it made through the real APIs, and the
// file through which the driver finds the arrays.
type LaneFixtures struct {
	ArraysFile string `json:"arrays_file"`
	Sites      map[string]struct {
		AuthURL string `json:"auth_url"`
		Region  string `json:"region"`
		Array   string `json:"array"`
	} `json:"sites"`
	Servers map[string]struct {
		ID      string `json:"id"`
		Volumes []struct {
			ID              string `json:"id"`
			SizeGiB         int64  `json:"size_gib"`
			ArrayName       string `json:"array_name"`
			ArrayVolumeName string `json:"array_volume_name"`
			Device          string `json:"device"`
		} `json:"volumes"`
	} `json:"servers"`
	// GoldenImage is the id of site-a's golden-image volume.
	GoldenImage string `json:"golden_image"`
}

// ReadLaneFixtures reads a fixtures.json.
func ReadLaneFixtures(path string) (*LaneFixtures, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fx LaneFixtures
	if err := json.Unmarshal(b, &fx); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if fx.ArraysFile == "" {
		return nil, fmt.Errorf("%s names no arrays_file", path)
	}
	return &fx, nil
}

// LaneArrays are flasharray-a and flasharray-b serving the lane's sites.
type LaneArrays struct {
	A, B       *flasharraysim.Array
	arraysFile string
}

// StartLaneArrays starts both FlashArrays as Start does (replicating to
// each other, flasharray-a with the pod of sync volumes), on addrA and
// addrB ("127.0.0.1:0": any free port), with the array volumes the lane's
// driver named for the fixture volumes. It writes both arrays' CA
// certificates to caFile, then the arrays file, from which on the driver
// creates array volumes and fills the consistency groups' protection
// groups, as the Pure driver does.
func StartLaneArrays(fx *LaneFixtures, addrA, addrB, caFile string) (*LaneArrays, error) {
	a := flasharraysim.New(flasharraysim.Options{Name: ArrayA, APITokens: []string{ArrayAToken}})
	b := flasharraysim.New(flasharraysim.Options{Name: ArrayB, APITokens: []string{ArrayBToken}})
	l := &LaneArrays{A: a, B: b}
	if err := a.StartOn(addrA); err != nil {
		return nil, fmt.Errorf("start %s: %w", ArrayA, err)
	}
	if err := b.StartOn(addrB); err != nil {
		a.Close()
		return nil, fmt.Errorf("start %s: %w", ArrayB, err)
	}
	flasharraysim.Connect(a, b)
	a.AddPod(CinderPod, b)
	byName := map[string]*flasharraysim.Array{ArrayA: a, ArrayB: b}
	for _, s := range fx.Servers {
		for _, v := range s.Volumes {
			if arr := byName[v.ArrayName]; arr != nil && v.ArrayVolumeName != "" {
				arr.AddVolume(v.ArrayVolumeName, v.SizeGiB<<30)
			}
		}
	}
	if err := os.WriteFile(caFile, append(append([]byte{}, a.CACertPEM()...), b.CACertPEM()...), 0o644); err != nil {
		l.Close()
		return nil, err
	}
	type arrayEntry struct {
		URL      string `json:"url"`
		APIToken string `json:"api_token"`
		CAFile   string `json:"ca_file"`
	}
	data, _ := json.Marshal(map[string]arrayEntry{
		ArrayA: {a.URL(), ArrayAToken, caFile},
		ArrayB: {b.URL(), ArrayBToken, caFile},
	})
	if err := os.WriteFile(fx.ArraysFile, data, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	l.arraysFile = fx.ArraysFile
	return l, nil
}

// SpecError is nil when both arrays saw only requests, and gave only
// answers, that Pure's OpenAPI spec allows.
func (l *LaneArrays) SpecError() error { return errors.Join(l.A.SpecError(), l.B.SpecError()) }

// Close removes the arrays file (the driver then leaves the arrays alone)
// and stops both arrays.
func (l *LaneArrays) Close() {
	if l.arraysFile != "" {
		os.Remove(l.arraysFile)
	}
	l.A.Close()
	l.B.Close()
}

// WriteLaneCloudsYAML writes a clouds.yaml for the lane's sites from the
// one lane_fixtures.py wrote (entries site-x-member and site-x-admin):
// site-a and site-b for the project member (the admin when admin is set),
// site-a-admin and site-b-admin for the admin.
func WriteLaneCloudsYAML(from, to string, admin bool) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var doc struct {
		Clouds map[string]any `yaml:"clouds"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	out := map[string]any{}
	for _, site := range []string{SiteA, SiteB} {
		main := site + "-member"
		if admin {
			main = site + "-admin"
		}
		for name, entry := range map[string]string{site: main, site + "-admin": site + "-admin"} {
			e, ok := doc.Clouds[entry]
			if !ok {
				return fmt.Errorf("%s has no cloud %s", from, entry)
			}
			out[name] = e
		}
	}
	b, err = yaml.Marshal(map[string]any{"clouds": out})
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
