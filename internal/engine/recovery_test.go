package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// storedDocument reads the newest version of a group on a site, as the
// site's object store holds it.
func storedDocument(t *testing.T, w *simulator.World, site, id string) *document {
	t.Helper()
	names := versionsOn(w, site, id)
	if len(names) == 0 {
		t.Fatalf("no metadata of %s on %s", id, site)
	}
	b, ok := w.Site(site).Object(container, names[len(names)-1])
	if !ok {
		t.Fatalf("%s vanished on %s", names[len(names)-1], site)
	}
	d, err := decodeDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Adding a member records its recovery description, in format 2, on both
// sites: flavor, block devices in boot order with their array volume
// names, zone, key pair, metadata and tags, and that no ports were found
// (the simulated Neutron is empty).
func TestRecoveryDescriptionRecordedOnBothSites(t *testing.T) {
	w, e := testWorld(t, true)
	siteA := w.Site("site-a")
	siteA.Update(func(st *openstacksim.State) {
		sv := st.Servers[simulator.WebServer1ID]
		sv.KeyName, sv.AvailabilityZone, sv.Tags = "ops-key", "az-1", []string{"web", "tier-1"}
		sv.Metadata = map[string]string{"app": "shop"}
	})
	g := createGuideGroup(t, e)
	m, _, err := e.AddMember(context.Background(), MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID})
	if err != nil {
		t.Fatal(err)
	}
	if m.Recovery == nil || m.Recovery.Flavor.Name != simulator.FlavorTiny {
		t.Fatalf("member's recovery description %+v", m.Recovery)
	}
	for _, site := range []string{"site-a", "site-b"} {
		d := storedDocument(t, w, site, g.ID)
		if d.Format != formatVersion {
			t.Errorf("%s: format %d", site, d.Format)
		}
		r := d.Members[0].Recovery
		if r == nil {
			t.Fatalf("%s: no recovery description stored", site)
		}
		if r.Flavor.Name != simulator.FlavorTiny || r.Flavor.VCPUs != 1 || r.Flavor.RAM != 64 {
			t.Errorf("%s: flavor %+v", site, r.Flavor)
		}
		if r.AvailabilityZone != "az-1" || r.KeyName != "ops-key" || r.Metadata["app"] != "shop" || strings.Join(r.Tags, ",") != "tier-1,web" {
			t.Errorf("%s: zone %q key %q metadata %v tags %v", site, r.AvailabilityZone, r.KeyName, r.Metadata, r.Tags)
		}
		if len(r.BlockDevices) != 2 {
			t.Fatalf("%s: block devices %+v", site, r.BlockDevices)
		}
		boot, data := r.BlockDevices[0], r.BlockDevices[1]
		if boot.BootIndex != 0 || boot.VolumeID != simulator.WebServer1BootVolumeID || boot.DeviceName != "/dev/vda" || boot.Size != 20 ||
			boot.VolumeType != simulator.TypeReplicatedSSD || boot.ArrayVolumeName != "volume-"+simulator.WebServer1BootVolumeID+"-cinder" {
			t.Errorf("%s: boot device %+v", site, boot)
		}
		if data.BootIndex != -1 || data.VolumeID != simulator.WebServer1DataVolumeID || data.Size != 50 {
			t.Errorf("%s: data device %+v", site, data)
		}
		if r.NetworksNote != noPortsFound || len(r.Ports) != 0 {
			t.Errorf("%s: networks %q %+v", site, r.NetworksNote, r.Ports)
		}
	}
}

// A VM resized and retagged behind the provider's back is member drift
// naming each change; the repair records the new description in a new
// version on both sites, after which there is no drift.
func TestRecoveryDriftAndRepair(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := createGuideGroup(t, e)
	m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := e.GetMember(ctx, g.ID, m.ID); len(got.Drift) != 0 {
		t.Fatalf("drift right after adding: %v", got.Drift)
	}
	siteA := w.Site("site-a")
	siteA.AddFlavor(openstacksim.Flavor{Name: "m1.large", VCPUs: 4, RAM: 8192, Disk: 80})
	if !siteA.ResizeServer(simulator.WebServer1ID, "m1.large") || !siteA.SetServerTags(simulator.WebServer1ID, "db") {
		t.Fatal("could not change the VM")
	}
	e.forget(g.ID)
	got, _, err := e.GetMember(ctx, g.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	drift := strings.Join(got.Drift, "\n")
	for _, want := range []string{"the flavor of instance web-server-1 changed from m1.tiny", "to m1.large (4 vCPUs, 8192 MiB RAM, 80 GiB disk), resized", "the tags of instance web-server-1 changed from [] to [db]"} {
		if !strings.Contains(drift, want) {
			t.Errorf("drift %q lacks %q", drift, want)
		}
	}
	before := len(versionsOn(w, "site-a", g.ID))
	fixed, _, err := e.RepairMember(ctx, g.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fixed.Drift) != 0 || fixed.Recovery.Flavor.Name != "m1.large" {
		t.Errorf("after the repair: drift %v flavor %+v", fixed.Drift, fixed.Recovery.Flavor)
	}
	if after := len(versionsOn(w, "site-a", g.ID)); after != before+1 {
		t.Errorf("versions %d -> %d, want one more", before, after)
	}
	if r := storedDocument(t, w, "site-b", g.ID).Members[0].Recovery; r.Flavor.Name != "m1.large" || strings.Join(r.Tags, ",") != "db" {
		t.Errorf("site-b holds flavor %s tags %v", r.Flavor.Name, r.Tags)
	}
}

// A VM whose ports or block devices changed behind the provider's back is
// member drift naming each change (a fixed IP changed, a port added, a
// volume moved to another device); the repair records the new description,
// after which there is no drift.
func TestRecoveryDriftPortsAndDevices(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	siteA := w.Site("site-a")
	net := siteA.AddNetwork(openstacksim.Network{Name: "prod-net", Project: simulator.Project})
	port := siteA.AddPort(openstacksim.Port{NetworkID: net, DeviceID: simulator.WebServer1ID, FixedIPs: []string{"10.0.0.5"}, SecurityGroups: []string{"sg-web"}})
	g := createGuideGroup(t, e)
	m, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := e.GetMember(ctx, g.ID, m.ID); len(got.Drift) != 0 {
		t.Fatalf("drift right after adding: %v", got.Drift)
	}
	siteA.Update(func(st *openstacksim.State) { st.Ports[port].FixedIPs = []string{"10.0.0.9"} })
	added := siteA.AddPort(openstacksim.Port{NetworkID: net, DeviceID: simulator.WebServer1ID, FixedIPs: []string{"10.0.0.6"}})
	if !siteA.MoveAttachment(simulator.WebServer1ID, simulator.WebServer1DataVolumeID, "/dev/vdc") {
		t.Fatal("could not move the data volume")
	}
	e.forget(g.ID)
	got, _, err := e.GetMember(ctx, g.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	drift := strings.Join(got.Drift, "\n")
	for _, want := range []string{
		"the fixed IPs of port " + port + " of instance web-server-1 changed from [10.0.0.5] to [10.0.0.9]",
		"port " + added + " on network " + net + " (fixed IPs [10.0.0.6]) was added to instance web-server-1",
		"the device name of volume " + simulator.WebServer1DataVolumeID + " of instance web-server-1 changed from \"/dev/vdb\" to \"/dev/vdc\"",
	} {
		if !strings.Contains(drift, want) {
			t.Errorf("drift %q lacks %q", drift, want)
		}
	}
	// The stored description no longer says how to rebuild the VM: the
	// member is not ready to fail over until an apply records it.
	expectBlocker(t, readiness(t, e, g.ID), CheckMembersProtected, "site-a", "the fixed IPs of port "+port, "records its VM's recovery description anew")
	fixed, _, err := e.RepairMember(ctx, g.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fixed.Drift) != 0 {
		t.Errorf("drift after the repair: %v", fixed.Drift)
	}
	r := storedDocument(t, w, "site-b", g.ID).Members[0].Recovery
	if len(r.Ports) != 2 || len(r.BlockDevices) != 2 || r.BlockDevices[1].DeviceName != "/dev/vdc" {
		t.Errorf("site-b holds ports %+v devices %+v", r.Ports, r.BlockDevices)
	}
	// A port removed is drift too.
	siteA.Update(func(st *openstacksim.State) { delete(st.Ports, added) })
	e.forget(g.ID)
	if got, _, _ = e.GetMember(ctx, g.ID, m.ID); !strings.Contains(strings.Join(got.Drift, "\n"), "port "+added+" on network prod-net (fixed IPs [10.0.0.6]) was removed from instance web-server-1") {
		t.Errorf("drift after removing a port: %v", got.Drift)
	}
}

// A flavor the target has only under another name: readiness blocks until
// a flavor mapping names it; a mapping to a flavor the target lacks is
// refused before anything is written.
func TestReadinessFlavorThroughMapping(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	g := readyAsyncGroup(t, w, e)
	siteB := w.Site("site-b")
	siteB.Update(func(st *openstacksim.State) { delete(st.Flavors, simulator.FlavorTinyID) })
	siteB.AddFlavor(openstacksim.Flavor{Name: "b.tiny", VCPUs: 1, RAM: 64})
	expectBlocker(t, readiness(t, e, g.ID), CheckFlavors, "site-b", simulator.FlavorTiny, "recorded in the member's recovery description")

	before := len(versionsOn(w, "site-a", g.ID))
	_, err := e.UpdateGroupMappings(ctx, g.ID, ResourceMappings{Flavors: map[string]string{simulator.FlavorTiny: "no-such-flavor"}})
	var ee *Error
	if !errors.As(err, &ee) || ee.Kind != KindInvalid || !strings.Contains(err.Error(), "flavor no-such-flavor, the target of the mapping of m1.tiny, does not exist on site-b") {
		t.Fatalf("mapping to a missing flavor: %v", err)
	}
	if after := len(versionsOn(w, "site-a", g.ID)); after != before {
		t.Errorf("a refused mapping wrote versions: %d -> %d", before, after)
	}
	if _, err := e.UpdateGroupMappings(ctx, g.ID, ResourceMappings{Flavors: map[string]string{simulator.FlavorTiny: "b.tiny"}}); err != nil {
		t.Fatal(err)
	}
	if d := storedDocument(t, w, "site-b", g.ID); d.Group.FlavorMappings[simulator.FlavorTiny] != "b.tiny" {
		t.Errorf("site-b's mappings %v", d.Group.FlavorMappings)
	}
	expectReady(t, readiness(t, e, g.ID), "with the flavor mapped")
}

// A network mapping cannot be checked without Neutron on the target: a
// warning at plan, not a refusal; the empty Neutron of the simulated sites
// has no network, so a mapping to one is refused.
func TestCheckGroupNetworkMappings(t *testing.T) {
	_, e := testWorld(t, true)
	registerSites(t, e)
	spec := guideGroup()
	spec.Mappings.Networks = map[string]string{"prod-net": "dr-net"}
	_, err := e.CheckGroup(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), "network dr-net, the target of the mapping of prod-net, does not exist on site-b") {
		t.Errorf("mapping to a missing network: %v", err)
	}
}

// Documents of format 1 (no format_version, no descriptions) still read;
// a format newer than this engine's is refused as unusable.
func TestMetadataFormatVersions(t *testing.T) {
	old := &document{Version: 3, Group: groupRecord{ID: "pg-1", Name: "g"}, Members: []memberRecord{{ID: "member-1", InstanceID: "i-1"}}}
	old.Checksum = old.checksum()
	b, _ := json.Marshal(old)
	if strings.Contains(string(b), "format_version") || strings.Contains(string(b), "recovery") {
		t.Fatalf("a format-1 document carries format-2 fields: %s", b)
	}
	d, err := decodeDocument(b)
	if err != nil || d.Format != 0 || d.Members[0].Recovery != nil || d.Members[0].api().Recovery != nil {
		t.Fatalf("format 1: %v %+v", err, d)
	}
	newer := old.clone()
	newer.Format = formatVersion + 1
	newer.Checksum = newer.checksum()
	b, _ = json.Marshal(newer)
	if _, err := decodeDocument(b); !isDamaged(err) || !strings.Contains(err.Error(), "upgrade the provider") {
		t.Errorf("a newer format: %v", err)
	}
}

// Without Neutron on the secondary, a network mapping cannot be checked:
// a warning at plan (not a refusal), and readiness warns instead of
// blocking.
func TestNetworkMappingsWithoutNeutron(t *testing.T) {
	ctx := context.Background()
	w, e := testWorld(t, true)
	w.Site("site-b").Faults().Add(fault.Rule{Method: "GET", PathContains: "/networking/v2.0/networks", Status: 404,
		Body: `{"NeutronError": {"type": "HTTPNotFound", "message": "The resource could not be found."}}`})
	registerSites(t, e)
	spec := guideGroup()
	spec.Mappings.Networks = map[string]string{"prod-net": "dr-net"}
	warnings, err := e.CheckGroup(ctx, spec)
	if err != nil || !strings.Contains(strings.Join(warnings, "\n"), "network mapping prod-net -> dr-net cannot be checked: site-b has no network service (Neutron)") {
		t.Fatalf("warnings %q, error %v", warnings, err)
	}
	g, err := e.CreateGroup(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.AddMember(ctx, MemberSpec{GroupID: g.ID, InstanceID: simulator.WebServer1ID}); err != nil {
		t.Fatal(err)
	}
	r := readiness(t, e, g.ID)
	if got := findings(r.Warnings, CheckNetworks); len(got) != 1 || !strings.Contains(got[0], "site-b has no network service (Neutron)") {
		t.Errorf("network warnings %q", got)
	}
	if got := findings(r.Blockers, CheckNetworks); len(got) != 0 {
		t.Errorf("network blockers %q", got)
	}
}
