package openstacksim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumetypes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"
	"github.com/gophercloud/gophercloud/v2/openstack/objectstorage/v1/containers"
	"github.com/gophercloud/gophercloud/v2/openstack/objectstorage/v1/objects"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

// client authenticates as a real provider would (AllowReauth on).
func (ts *testSite) client(user, password string) *gophercloud.ProviderClient {
	ts.t.Helper()
	pc, err := openstack.AuthenticatedClient(context.Background(), gophercloud.AuthOptions{
		IdentityEndpoint: ts.AuthURL(), Username: user, Password: password, DomainName: "Default",
		TenantName: "demo", AllowReauth: true,
	})
	if err != nil {
		ts.t.Fatalf("gophercloud auth as %s: %v", user, err)
	}
	pc.HTTPClient = http.Client{Timeout: 5 * time.Second}
	return pc
}

func (ts *testSite) services(pc *gophercloud.ProviderClient) (cinder, nova, swift *gophercloud.ServiceClient) {
	ts.t.Helper()
	eo := gophercloud.EndpointOpts{Region: "RegionOne"}
	var err error
	if cinder, err = openstack.NewBlockStorageV3(pc, eo); err != nil {
		ts.t.Fatal(err)
	}
	if nova, err = openstack.NewComputeV2(pc, eo); err != nil {
		ts.t.Fatal(err)
	}
	if swift, err = openstack.NewObjectStorageV1(pc, eo); err != nil {
		ts.t.Fatal(err)
	}
	return
}

func TestGophercloudMemberAndAdminViews(t *testing.T) {
	ts := newTestSite(t)
	ctx := context.Background()
	mCinder, mNova, _ := ts.services(ts.client("demo", "demo-password"))
	aCinder, aNova, _ := ts.services(ts.client("admin", "admin-password"))
	if !strings.HasSuffix(mCinder.Endpoint, "/volume/v3/"+ts.project+"/") {
		t.Errorf("block storage endpoint %s", mCinder.Endpoint)
	}

	vt, err := volumetypes.Get(ctx, mCinder, ts.repType).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := vt.ExtraSpecs["replication_type"]; ok || vt.ExtraSpecs["replication_enabled"] != "<is> True" {
		t.Errorf("member extra specs %v", vt.ExtraSpecs)
	}
	vt, err = volumetypes.Get(ctx, aCinder, ts.repType).Extract()
	if err != nil || vt.ExtraSpecs["replication_type"] != "<in> async" {
		t.Errorf("admin extra specs %v %v", vt, err)
	}

	v, err := volumes.Get(ctx, mCinder, ts.free[0]).Extract()
	if err != nil || v.Host != "" || v.VolumeType != "replicated-ssd" || v.Metadata["array_name"] != "flasharray-a" {
		t.Errorf("member volume %+v %v", v, err)
	}
	v, err = volumes.Get(ctx, aCinder, ts.bootVol).Extract()
	if err != nil || v.Host != hostA {
		t.Errorf("admin volume host %q %v", v.Host, err)
	}
	all, err := volumes.List(mCinder, volumes.ListOpts{}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if vs, _ := volumes.ExtractVolumes(all); len(vs) != 7 {
		t.Errorf("listed %d volumes", len(vs))
	}

	aNova.Microversion = "2.79"
	// servers.GetResult.ExtractInto unwraps the "server" envelope.
	var srv struct {
		Root string `json:"OS-EXT-SRV-ATTR:root_device_name"`
	}
	if err := servers.Get(ctx, aNova, ts.server).ExtractInto(&srv); err != nil || srv.Root != "/dev/vda" {
		t.Errorf("admin root device %q %v", srv.Root, err)
	}
	s, err := servers.Get(ctx, mNova, ts.server).Extract()
	if err != nil || len(s.AttachedVolumes) != 1 || s.AttachedVolumes[0].ID != ts.bootVol {
		t.Errorf("member server %+v %v", s, err)
	}
	pages, err := volumeattach.List(mNova, ts.server).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	atts, _ := volumeattach.ExtractVolumeAttachments(pages)
	if len(atts) != 1 || atts[0].Device != "/dev/vda" || atts[0].VolumeID != ts.bootVol {
		t.Errorf("attachments %+v", atts)
	}
	_, err = servers.Get(ctx, mNova, "nope").Extract()
	if !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
		t.Errorf("missing server: %v", err)
	}
}

func TestGophercloudMicroversionHeaders(t *testing.T) {
	ts := newTestSite(t)
	cinder, _, _ := ts.services(ts.client("demo", "demo-password"))
	ctx := context.Background()
	// gophercloud sends both X-OpenStack-Volume-API-Version and
	// OpenStack-API-Version: volume <mv>; the second is the one Cinder reads.
	c := *cinder
	c.Microversion = "3.38"
	var body map[string]any
	resp, err := c.Get(ctx, c.ServiceURL("groups", "detail"), &body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("OpenStack-API-Version"); got != "volume 3.38" {
		t.Errorf("response version %q", got)
	}
	c.Microversion = "3.12"
	_, err = c.Get(ctx, c.ServiceURL("groups", "detail"), &body, nil)
	if !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
		t.Errorf("groups at 3.12: %v, want 404", err)
	}
}

func TestGophercloudReauthenticatesAfterTokenExpiry(t *testing.T) {
	ts := newTestSite(t)
	pc := ts.client("demo", "demo-password")
	cinder, _, _ := ts.services(pc)
	ctx := context.Background()
	first := pc.Token()
	ts.ExpireTokens()
	if _, err := volumes.Get(ctx, cinder, ts.bootVol).Extract(); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if pc.Token() == first {
		t.Error("gophercloud kept the expired token")
	}
	if n := ts.Faults().Count("POST", "/auth/tokens"); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestGophercloudSwiftIfNoneMatch(t *testing.T) {
	ts := newTestSite(t)
	_, _, swift := ts.services(ts.client("demo", "demo-password"))
	ctx := context.Background()
	if _, err := containers.Create(ctx, swift, "protector", nil).Extract(); err != nil {
		t.Fatal(err)
	}
	put := func(data string) error {
		_, err := objects.Create(ctx, swift, "protector", "pg/00000001", objects.CreateOpts{
			Content: strings.NewReader(data), IfNoneMatch: "*", ContentType: "application/json",
			Metadata: map[string]string{"Version": "1"},
		}).Extract()
		return err
	}
	if err := put(`{"v":1}`); err != nil {
		t.Fatal(err)
	}
	if err := put(`{"v":2}`); !gophercloud.ResponseCodeIs(err, http.StatusPreconditionFailed) {
		t.Fatalf("second create: %v, want 412", err)
	}
	res := objects.Download(ctx, swift, "protector", "pg/00000001", nil)
	b, err := res.ExtractContent()
	if err != nil || string(b) != `{"v":1}` {
		t.Errorf("content %s %v", b, err)
	}
	md, err := objects.Get(ctx, swift, "protector", "pg/00000001", nil).ExtractMetadata()
	if err != nil || md["Version"] != "1" {
		t.Errorf("metadata %v %v", md, err)
	}
	pages, err := objects.List(swift, "protector", objects.ListOpts{Prefix: "pg/"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := objects.ExtractNames(pages)
	if len(names) != 1 || names[0] != "pg/00000001" {
		t.Errorf("names %v", names)
	}
}

func TestFaultInjectionMakesTheSiteUnreachable(t *testing.T) {
	ts := newTestSite(t)
	cinder, _, _ := ts.services(ts.client("demo", "demo-password"))
	ctx := context.Background()
	ts.Faults().SetDown(true)
	_, err := volumes.Get(ctx, cinder, ts.bootVol).Extract()
	if err == nil {
		t.Fatal("a down site answered")
	}
	if strings.Contains(err.Error(), "Expected HTTP response code") {
		t.Errorf("want a transport error, got an HTTP answer: %v", err)
	}
	ts.Faults().SetDown(false)
	ts.Faults().Add(faultRule503())
	_, err = volumes.Get(ctx, cinder, ts.bootVol).Extract()
	if !gophercloud.ResponseCodeIs(err, http.StatusServiceUnavailable) {
		t.Errorf("injected 503: %v", err)
	}
	if _, err := volumes.Get(ctx, cinder, ts.bootVol).Extract(); err != nil {
		t.Errorf("after the fault ran out: %v", err)
	}
}

func faultRule503() fault.Rule {
	return fault.Rule{PathContains: "/volumes/", Times: 1, Status: 503, Body: `{"serviceUnavailable":{"code":503,"message":"busy"}}`}
}
