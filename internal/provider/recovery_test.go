package provider

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// groupMappingsHCL is groupHCL's group (async, replicated-ssd) with
// resource mapping arguments (HCL lines) added.
func groupMappingsHCL(mappings string) string {
	g := groupHCL("web", "async", simulator.TypeReplicatedSSD)
	return strings.Replace(g, "  volume_type ", mappings+"\n  volume_type ", 1)
}

// storedRecovery is the part of a stored member's record these tests read
// (the metadata format guide).
type storedRecovery struct {
	Format  int `json:"format_version"`
	Members []struct {
		InstanceID string `json:"instance_id"`
		Recovery   *struct {
			Flavor struct {
				Name  string `json:"name"`
				VCPUs int    `json:"vcpus"`
			} `json:"flavor"`
			BlockDevices []struct {
				BootIndex       int    `json:"boot_index"`
				DeviceName      string `json:"device_name"`
				VolumeID        string `json:"volume_id"`
				ArrayVolumeName string `json:"array_volume_name"`
			} `json:"block_devices"`
			Tags  []string `json:"tags"`
			Ports []struct {
				NetworkName    string   `json:"network_name"`
				FixedIPs       []string `json:"fixed_ips"`
				SecurityGroups []string `json:"security_groups"`
			} `json:"ports"`
			NetworksNote string `json:"networks_note"`
		} `json:"recovery"`
	} `json:"members"`
	Group struct {
		FlavorMappings map[string]string `json:"flavor_mappings"`
	} `json:"group"`
}

// expectStoredRecovery checks the newest metadata on both sites through
// the simulator's object store: format 2, and web-server-1's description
// with flavor and tags as given.
func expectStoredRecovery(w *accWorld, groupID *string, flavor string, tags ...string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, site := range []string{simulator.SiteA, simulator.SiteB} {
			name, b := newestVersion(w.Site(site), *groupID)
			var d storedRecovery
			if err := json.Unmarshal(b, &d); err != nil {
				return fmt.Errorf("%s %s: %v", site, name, err)
			}
			if d.Format != 2 || len(d.Members) != 1 || d.Members[0].Recovery == nil {
				return fmt.Errorf("%s %s: format %d, members %+v: want format 2 and web-server-1's recovery description", site, name, d.Format, d.Members)
			}
			r := d.Members[0].Recovery
			if r.Flavor.Name != flavor || strings.Join(r.Tags, ",") != strings.Join(tags, ",") {
				return fmt.Errorf("%s %s: flavor %s tags %v, want %s %v", site, name, r.Flavor.Name, r.Tags, flavor, tags)
			}
			if len(r.BlockDevices) != 2 || r.BlockDevices[0].BootIndex != 0 || r.BlockDevices[0].VolumeID != simulator.WebServer1BootVolumeID ||
				r.BlockDevices[0].ArrayVolumeName != simulator.ArrayVolumeName(simulator.WebServer1BootVolumeID, false) {
				return fmt.Errorf("%s %s: block devices %+v", site, name, r.BlockDevices)
			}
			if r.NetworksNote != "no ports found" {
				return fmt.Errorf("%s %s: networks note %q", site, name, r.NetworksNote)
			}
		}
		return nil
	}
}

const membersDataHCL = `
data "protector_members" "web" {
  protection_group_id = protector_protection_group.web.id
  depends_on          = [protector_member.web1]
}
`

// TestAccMember_recoveryDescription: adding a member records its recovery
// description in the metadata on both sites (and protector_members shows
// it); the VM resized and retagged behind the provider's back is member
// drift naming both changes, and the apply writes a new version with the
// new description, after which the plan is empty.
func TestAccMember_recoveryDescription(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	config := w.provider(providerOptions{}) + sitesHCL + groupHCL("web", "async", simulator.TypeReplicatedSSD) +
		memberHCL("web1", simulator.WebServer1ID) + membersDataHCL
	const memberAddr = "protector_member.web1"
	var groupID string
	a := w.Site(simulator.SiteA)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID),
					expectStoredRecovery(w, &groupID, simulator.FlavorTiny),
					expectVersions(w, &groupID, "1,2", "1,2"),
					tfresource.TestCheckResourceAttr("data.protector_members.web", "members.0.recovery.flavor.name", simulator.FlavorTiny),
					tfresource.TestCheckResourceAttr("data.protector_members.web", "members.0.recovery.block_devices.0.device_name", "/dev/vda"),
					tfresource.TestCheckResourceAttr("data.protector_members.web", "members.0.recovery.networks_note", "no ports found"),
				),
			},
			{
				PreConfig: func() {
					a.AddFlavor(openstacksim.Flavor{Name: "m1.large", VCPUs: 4, RAM: 8192, Disk: 80})
					if !a.ResizeServer(simulator.WebServer1ID, "m1.large") || !a.SetServerTags(simulator.WebServer1ID, "db", "tier-1") {
						t.Fatal("could not change web-server-1")
					}
				},
				Config: config,
				ConfigPlanChecks: driftPlan(memberAddr, func() string {
					return "the flavor of instance web-server-1 changed from m1.tiny (1 vCPUs, 64 MiB RAM, 0 GiB disk) to m1.large (4 vCPUs, 8192 MiB RAM, 80 GiB disk), resized"
				}),
				Check: tfresource.ComposeTestCheckFunc(
					expectStoredRecovery(w, &groupID, "m1.large", "db", "tier-1"),
					expectVersions(w, &groupID, "1,2,3", "1,2,3"),
					tfresource.TestCheckResourceAttr(memberAddr, "status", "protected"),
				),
			},
			{
				PreConfig: func() { a.SetServerTags(simulator.WebServer1ID, "db") },
				Config:    config,
				ConfigPlanChecks: driftPlan(memberAddr, func() string {
					return "the tags of instance web-server-1 changed from [db, tier-1] to [db]"
				}),
				Check: tfresource.ComposeTestCheckFunc(
					expectStoredRecovery(w, &groupID, "m1.large", "db"),
					expectVersions(w, &groupID, "1,2,3,4", "1,2,3,4"),
				),
			},
		},
	})
}

// TestAccMember_recoveryPortAndDeviceDrift: web-server-1's port changed
// its fixed IP and its data volume moved to another device behind the
// provider's back: the plan shows member drift naming both (not only the
// apply), and the apply records the new description in a new version on
// both sites, after which the plan is empty.
func TestAccMember_recoveryPortAndDeviceDrift(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	a := w.Site(simulator.SiteA)
	net := a.AddNetwork(openstacksim.Network{Name: "prod-net", Project: simulator.Project})
	port := a.AddPort(openstacksim.Port{NetworkID: net, DeviceID: simulator.WebServer1ID, FixedIPs: []string{"10.0.0.5"}, SecurityGroups: []string{"sg-web"}})
	config := w.provider(providerOptions{}) + sitesHCL + groupHCL("web", "async", simulator.TypeReplicatedSSD) + memberHCL("web1", simulator.WebServer1ID)
	const memberAddr = "protector_member.web1"
	var groupID string
	stored := func(ip, dataDevice string) func(*terraform.State) error {
		return func(*terraform.State) error {
			for _, site := range []string{simulator.SiteA, simulator.SiteB} {
				name, b := newestVersion(w.Site(site), groupID)
				var d storedRecovery
				if err := json.Unmarshal(b, &d); err != nil {
					return fmt.Errorf("%s %s: %v", site, name, err)
				}
				r := d.Members[0].Recovery
				if r == nil || len(r.Ports) != 1 || strings.Join(r.Ports[0].FixedIPs, ",") != ip || len(r.BlockDevices) != 2 || r.BlockDevices[1].DeviceName != dataDevice {
					return fmt.Errorf("%s %s: recovery %+v, want port %s and the data volume at %s", site, name, r, ip, dataDevice)
				}
			}
			return nil
		}
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: config,
				Check:  tfresource.ComposeTestCheckFunc(capture(groupAddr, "id", &groupID), stored("10.0.0.5", "/dev/vdb"), expectVersions(w, &groupID, "1,2", "1,2")),
			},
			{
				PreConfig: func() {
					a.Update(func(st *openstacksim.State) { st.Ports[port].FixedIPs = []string{"10.0.0.9"} })
					if !a.MoveAttachment(simulator.WebServer1ID, simulator.WebServer1DataVolumeID, "/dev/vdc") {
						t.Fatal("could not move web-server-1's data volume")
					}
				},
				Config: config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: append(
					driftPlan(memberAddr, func() string {
						return "the fixed IPs of port " + port + " of instance web-server-1 changed from [10.0.0.5] to [10.0.0.9]"
					}).PreApply,
					expectDrift{address: memberAddr, says: func() string {
						return "the device name of volume " + simulator.WebServer1DataVolumeID + " of instance web-server-1 changed from \"/dev/vdb\" to \"/dev/vdc\""
					}},
				)},
				Check: tfresource.ComposeTestCheckFunc(
					stored("10.0.0.9", "/dev/vdc"),
					expectVersions(w, &groupID, "1,2,3", "1,2,3"),
					tfresource.TestCheckResourceAttr(memberAddr, "status", "protected"),
				),
			},
		},
	})
}

// TestAccProtectionGroup_mappings: a flavor mapping whose target does not
// exist on the secondary is refused at plan, before any change; one that
// exists is recorded in the metadata on both sites, and removing it is a
// change of its own.
func TestAccProtectionGroup_mappings(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	base := w.provider(providerOptions{}) + sitesHCL
	var groupID string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: base + groupHCL("web", "async", simulator.TypeReplicatedSSD),
				Check:  tfresource.ComposeTestCheckFunc(capture(groupAddr, "id", &groupID), expectVersions(w, &groupID, "1", "1")),
			},
			{
				Config:      base + groupMappingsHCL(`  flavor_mappings  = { "m1.tiny" = "dr.tiny" }`),
				PlanOnly:    true,
				ExpectError: wrapped(`flavor dr.tiny, the target of the mapping of m1.tiny, does not exist on site-b`),
			},
			{
				PreConfig: func() {
					if got := strings.Join(metadataVersions(w.Site(simulator.SiteA), groupID), ","); got != "1" {
						t.Errorf("the refused plan changed the metadata: versions [%s]", got)
					}
					w.Site(simulator.SiteB).AddFlavor(openstacksim.Flavor{Name: "dr.tiny", VCPUs: 1, RAM: 64})
				},
				Config: base + groupMappingsHCL(`  flavor_mappings  = { "m1.tiny" = "dr.tiny" }`),
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckResourceAttr(groupAddr, "flavor_mappings.m1.tiny", "dr.tiny"),
					expectVersions(w, &groupID, "1,2", "1,2"),
					func(*terraform.State) error {
						for _, site := range []string{simulator.SiteA, simulator.SiteB} {
							_, b := newestVersion(w.Site(site), groupID)
							var d storedRecovery
							if err := json.Unmarshal(b, &d); err != nil || d.Group.FlavorMappings["m1.tiny"] != "dr.tiny" {
								return fmt.Errorf("%s: flavor mappings %v (%v)", site, d.Group.FlavorMappings, err)
							}
						}
						return nil
					},
				),
			},
			{
				Config: base + groupHCL("web", "async", simulator.TypeReplicatedSSD),
				Check: tfresource.ComposeTestCheckFunc(
					tfresource.TestCheckNoResourceAttr(groupAddr, "flavor_mappings.%"),
					expectVersions(w, &groupID, "1,2,3", "1,2,3"),
				),
			},
		},
	})
}

// TestAccFailoverReadiness_flavorMapped: the target has the members'
// flavor only under another name; readiness blocks on it, and is ready
// once a flavor mapping names it (read from the recorded description).
func TestAccFailoverReadiness_flavorMapped(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	siteB := w.Site(simulator.SiteB)
	siteB.Update(func(st *openstacksim.State) { delete(st.Flavors, simulator.FlavorTinyID) })
	siteB.AddFlavor(openstacksim.Flavor{Name: "dr.tiny", VCPUs: 1, RAM: 64})
	resources := func(mappings string) string {
		o := providerOptions{arrayTokens: true}
		return w.provider(o) + sitesHCL + groupMappingsHCL(mappings) + policyHCL(w, false, 300, 15) + memberHCL("web1", simulator.WebServer1ID)
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: resources("") + readinessHCL, Check: expectReadiness(false, "flavors_present", "site-b", simulator.FlavorTiny, "not on site-b")},
			{Config: resources(`  flavor_mappings  = { "m1.tiny" = "dr.tiny" }`) + readinessHCL, Check: expectReadiness(true, "")},
		},
	})
}

// TestAccFailoverReadiness_networkMapped: web-server-1 has a port on
// prod-net on site-a, which its member records (network, fixed IP,
// security group) in the metadata on both sites. site-b has dr-net only:
// readiness blocks on the network; a mapping to a network site-b does not
// have is refused at plan; mapping prod-net to dr-net makes it ready;
// dr-net deleted on site-b out of band blocks again, restored it is ready.
func TestAccFailoverReadiness_networkMapped(t *testing.T) {
	t.Parallel()
	w := newAccWorld(t)
	prod := w.Site(simulator.SiteA).AddNetwork(openstacksim.Network{Name: "prod-net", Project: simulator.Project})
	w.Site(simulator.SiteA).AddPort(openstacksim.Port{NetworkID: prod, DeviceID: simulator.WebServer1ID,
		FixedIPs: []string{"10.0.0.5"}, SecurityGroups: []string{"sg-web"}})
	siteB := w.Site(simulator.SiteB)
	drNet := siteB.AddNetwork(openstacksim.Network{Name: "dr-net", Project: simulator.Project})
	var deleted *openstacksim.Network
	resources := func(mappings string) string {
		o := providerOptions{arrayTokens: true}
		return w.provider(o) + sitesHCL + groupMappingsHCL(mappings) + policyHCL(w, false, 300, 15) + memberHCL("web1", simulator.WebServer1ID)
	}
	var groupID string
	storedPort := func(*terraform.State) error {
		for _, site := range []string{simulator.SiteA, simulator.SiteB} {
			name, b := newestVersion(w.Site(site), groupID)
			var d storedRecovery
			if err := json.Unmarshal(b, &d); err != nil {
				return fmt.Errorf("%s %s: %v", site, name, err)
			}
			if len(d.Members) != 1 || d.Members[0].Recovery == nil || len(d.Members[0].Recovery.Ports) != 1 {
				return fmt.Errorf("%s %s: members %+v, want web-server-1 with one port", site, name, d.Members)
			}
			p := d.Members[0].Recovery.Ports[0]
			if p.NetworkName != "prod-net" || strings.Join(p.FixedIPs, ",") != "10.0.0.5" || strings.Join(p.SecurityGroups, ",") != "sg-web" {
				return fmt.Errorf("%s %s: port %+v", site, name, p)
			}
		}
		return nil
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: resources("") + readinessHCL,
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "id", &groupID), storedPort,
					expectReadiness(false, "networks_mapped", "network prod-net of web-server-1 has no mapping", "site-b"),
				),
			},
			{
				Config:      resources(`  network_mappings = { "prod-net" = "dr-lan" }`) + readinessHCL,
				PlanOnly:    true,
				ExpectError: wrapped(`network dr-lan, the target of the mapping of prod-net, does not exist on site-b`),
			},
			{
				Config: resources(`  network_mappings = { "prod-net" = "dr-net" }`) + readinessHCL,
				Check:  tfresource.ComposeTestCheckFunc(storedPort, expectReadiness(true, "")),
			},
			// The mapped network deleted on site-b out of band: blocked
			// again, naming the mapping; restored, ready.
			{
				PreConfig: func() {
					siteB.Update(func(st *openstacksim.State) { deleted = st.Networks[drNet]; delete(st.Networks, drNet) })
				},
				RefreshState: true,
				Check: tfresource.ComposeTestCheckFunc(
					expectReadiness(false, "networks_mapped", "site-b", "network prod-net of web-server-1 is mapped to dr-net, which is not on site-b"),
					expectReadiness(false, "networks_mapped", "site-b", "network mapping prod-net -> dr-net: site-b has no network dr-net"),
				),
			},
			{
				PreConfig:    func() { siteB.Update(func(st *openstacksim.State) { st.Networks[drNet] = deleted }) },
				RefreshState: true,
				Check:        expectReadiness(true, ""),
			},
		},
	})
}
