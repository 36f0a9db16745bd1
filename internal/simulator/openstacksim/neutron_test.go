package openstacksim

import (
	"context"
	"net/http"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
)

// Networks and ports as a project member and an admin see them: the
// project's own networks and shared ones, the ports of a server by
// device_id, Neutron's 404 body, 401 without a token, and the server's
// addresses in Nova.
func TestGophercloudNetworksAndPorts(t *testing.T) {
	ts := newTestSite(t)
	ctx := context.Background()
	own := ts.AddNetwork(Network{Name: "prod-net", Project: "demo"})
	shared := ts.AddNetwork(Network{Name: "public", Project: "admin", Shared: true})
	ts.AddNetwork(Network{Name: "other-net", Project: "admin"})
	port := ts.AddPort(Port{NetworkID: own, DeviceID: ts.server, FixedIPs: []string{"10.0.0.5"}, SecurityGroups: []string{"sg-1"}})
	ts.AddPort(Port{NetworkID: shared, DeviceID: "another-server", Project: "admin", FixedIPs: []string{"172.24.4.9"}})

	eo := gophercloud.EndpointOpts{Region: "RegionOne"}
	member, err := openstack.NewNetworkV2(ts.client("demo", "demo-password"), eo)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := openstack.NewNetworkV2(ts.client("admin", "admin-password"), eo)
	if err != nil {
		t.Fatal(err)
	}
	names := func(sc *gophercloud.ServiceClient, opts networks.ListOpts) []string {
		pages, err := networks.List(sc, opts).AllPages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all, err := networks.ExtractNetworks(pages)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range all {
			out = append(out, n.Name)
		}
		return out
	}
	if got := names(member, networks.ListOpts{}); len(got) != 2 {
		t.Errorf("member sees networks %v, want its own and the shared one", got)
	}
	if got := names(admin, networks.ListOpts{}); len(got) != 3 {
		t.Errorf("admin sees networks %v, want all three", got)
	}
	if got := names(member, networks.ListOpts{Name: "prod-net"}); len(got) != 1 || got[0] != "prod-net" {
		t.Errorf("networks named prod-net: %v", got)
	}
	if _, err := networks.Get(ctx, member, "missing").Extract(); errCode(err) != 404 {
		t.Errorf("unknown network: %v", err)
	}

	pages, err := ports.List(member, ports.ListOpts{DeviceID: ts.server}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list, err := ports.ExtractPorts(pages)
	if err != nil || len(list) != 1 {
		t.Fatalf("ports of the server: %+v %v", list, err)
	}
	p := list[0]
	if p.ID != port || p.NetworkID != own || len(p.FixedIPs) != 1 || p.FixedIPs[0].IPAddress != "10.0.0.5" ||
		len(p.SecurityGroups) != 1 || p.SecurityGroups[0] != "sg-1" || p.DeviceOwner != "compute:nova" {
		t.Errorf("port %+v", p)
	}
	if got, err := ports.Get(ctx, member, port).Extract(); err != nil || got.ID != port {
		t.Errorf("get port: %+v %v", got, err)
	}

	req, _ := http.NewRequest(http.MethodGet, member.Endpoint+"v2.0/ports", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("ports without a token: %d, want 401", resp.StatusCode)
	}

	_, nova, _ := ts.services(ts.client("demo", "demo-password"))
	sv, err := servers.Get(ctx, nova, ts.server).Extract()
	if err != nil {
		t.Fatal(err)
	}
	addrs, _ := sv.Addresses["prod-net"].([]any)
	if len(addrs) != 1 || addrs[0].(map[string]any)["addr"] != "10.0.0.5" {
		t.Errorf("server addresses %v", sv.Addresses)
	}
}
