package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
)

// Tests where terraform-provider-openstack builds the VMs and protector
// protects them, in one configuration, as users write it.

const (
	// envOpenStackProvider is the terraform-provider-openstack binary;
	// make test sets it (tools/install-tools.sh openstack-provider).
	envOpenStackProvider = "PROTECTOR_OPENSTACK_PROVIDER"
	// openStackProviderVersion is the release tools/install-tools.sh builds.
	openStackProviderVersion = "3.4.0"
	openStackProviderSource  = "terraform-provider-openstack/openstack"
)

// withOpenStackProvider makes terraform-provider-openstack installable by
// the engine's init, as the release smoke test installs a provider: a
// filesystem mirror in the CLI configuration holding the binary named by
// PROTECTOR_OPENSTACK_PROVIDER.
// The provider reads the world's clouds.yaml. The test must not be
// parallel (it sets the environment). Without the variable it skips.
func withOpenStackProvider(t *testing.T, w *accWorld) map[string]tfresource.ExternalProvider {
	t.Helper()
	bin := os.Getenv(envOpenStackProvider)
	if bin == "" {
		t.Skipf("%s is not set: run `make test`, or set it to the path tools/install-tools.sh openstack-provider prints (terraform-provider-openstack v%s)", envOpenStackProvider, openStackProviderVersion)
	}
	if !fileExists(bin) {
		t.Fatalf("%s=%s: no such file", envOpenStackProvider, bin)
	}
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = "registry.opentofu.org"
	}
	mirror := t.TempDir()
	dir := filepath.Join(mirror, host, openStackProviderSource, openStackProviderVersion, runtime.GOOS+"_"+runtime.GOARCH)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(dir, "terraform-provider-openstack_v"+openStackProviderVersion)); err != nil {
		t.Fatal(err)
	}
	addr := host + "/" + openStackProviderSource
	rc := filepath.Join(t.TempDir(), "cli.tfrc")
	cfg := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [%q]\n  }\n  direct {\n    exclude = [%q]\n  }\n}\n", mirror, addr, addr)
	if err := os.WriteFile(rc, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TF_CLI_CONFIG_FILE", rc)
	t.Setenv("OS_CLIENT_CONFIG_FILE", w.cloudsYAML)
	return map[string]tfresource.ExternalProvider{"openstack": {Source: openStackProviderSource, VersionConstraint: openStackProviderVersion}}
}

// composedVMHCL is a VM built by terraform-provider-openstack on site-a:
// booted from a clone of the golden image (a bootable volume of the
// group's type: the sites have no Glance images), with no network, a
// second volume attached (and a third when extra); userData changes force
// a new VM. The member protects it by id.
func composedVMHCL(userData string, extra bool) string {
	s := `
provider "openstack" {
  cloud = "site-a"
}

data "openstack_compute_flavor_v2" "tiny" {
  name = "m1.tiny"
}

data "openstack_blockstorage_volume_v3" "golden" {
  name = "` + simulator.GoldenImageVolumeName + `"
}

resource "openstack_blockstorage_volume_v3" "boot" {
  name          = "composed-boot"
  size          = data.openstack_blockstorage_volume_v3.golden.size
  volume_type   = "replicated-ssd"
  source_vol_id = data.openstack_blockstorage_volume_v3.golden.id
}

resource "openstack_blockstorage_volume_v3" "data" {
  name        = "composed-data"
  size        = 1
  volume_type = "replicated-ssd"
}

resource "openstack_compute_instance_v2" "vm" {
  name         = "composed-vm"
  flavor_id    = data.openstack_compute_flavor_v2.tiny.id
  network_mode = "none"
  user_data    = "` + userData + `"

  block_device {
    uuid                  = openstack_blockstorage_volume_v3.boot.id
    source_type           = "volume"
    destination_type      = "volume"
    boot_index            = 0
    delete_on_termination = false
  }
}

resource "openstack_compute_volume_attach_v2" "data" {
  instance_id = openstack_compute_instance_v2.vm.id
  volume_id   = openstack_blockstorage_volume_v3.data.id
}
`
	after := "openstack_compute_volume_attach_v2.data"
	if extra {
		s += `
resource "openstack_blockstorage_volume_v3" "extra" {
  name        = "composed-extra"
  size        = 1
  volume_type = "replicated-ssd"
}

resource "openstack_compute_volume_attach_v2" "extra" {
  instance_id = openstack_compute_instance_v2.vm.id
  volume_id   = openstack_blockstorage_volume_v3.extra.id
}
`
		after += ", openstack_compute_volume_attach_v2.extra"
	}
	// The member reads the VM's volumes when it is created: after the
	// attachments (and destroyed before them, so that every volume has
	// left the consistency group when terraform-provider-openstack
	// deletes it).
	return s + `
resource "protector_member" "vm" {
  protection_group_id = protector_protection_group.web.id
  instance_id         = openstack_compute_instance_v2.vm.id
  depends_on          = [` + after + `]
}
`
}

// composedIDs are what the steps capture.
type composedIDs struct {
	primaryCG, secondaryCG string
	vms                    []string
	volumes                map[string]string // resource name -> volume id
	arrayVolumes           map[string]string // volume id -> array volume name
}

// checkComposedProtected asserts the member protects the VM's volumes:
// status protected, its volumes exactly the VM's, and both in the primary
// consistency group and in its Pure protection group on flasharray-a.
func checkComposedProtected(w *accWorld, ids *composedIDs, volumes ...string) tfresource.TestCheckFunc {
	return func(s *terraform.State) error {
		vm, err := attrOf(s, "openstack_compute_instance_v2.vm", "id")
		if err != nil {
			return err
		}
		if len(ids.vms) == 0 || ids.vms[len(ids.vms)-1] != vm {
			ids.vms = append(ids.vms, vm)
		}
		var want, wantArray []string
		for _, name := range volumes {
			id, err := attrOf(s, "openstack_blockstorage_volume_v3."+name, "id")
			if err != nil {
				return err
			}
			ids.volumes[name] = id
			v, ok := w.view(simulator.SiteA).Volume(id)
			if !ok {
				return fmt.Errorf("volume %s (%s) is not on site-a", name, id)
			}
			an := v.Metadata["array_volume_name"]
			if an == "" {
				return fmt.Errorf("volume %s (%s) has no array_volume_name: %v", name, id, v.Metadata)
			}
			ids.arrayVolumes[id] = an
			want, wantArray = append(want, id), append(wantArray, an)
		}
		sort.Strings(want)
		sort.Strings(wantArray)
		for _, c := range []struct{ key, want string }{
			{"instance_id", vm}, {"status", "protected"}, {"volumes_added", fmt.Sprint(len(volumes))},
		} {
			if got, err := attrOf(s, "protector_member.vm", c.key); err != nil || got != c.want {
				return fmt.Errorf("member %s = %q (%v), want %q", c.key, got, err, c.want)
			}
		}
		g, ok := w.view(simulator.SiteA).Group(ids.primaryCG)
		if !ok {
			return fmt.Errorf("consistency group %s is not on site-a", ids.primaryCG)
		}
		got := slices.Clone(g.VolumeIDs)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("consistency group holds %v, want %v", got, want)
		}
		pg, ok := w.Array(simulator.ArrayA).ProtectionGroup(simulator.ConsistencyGroupPGName(ids.primaryCG))
		if !ok {
			return fmt.Errorf("flasharray-a has no protection group for %s", ids.primaryCG)
		}
		gotArray := slices.Clone(pg.Volumes)
		sort.Strings(gotArray)
		if !slices.Equal(gotArray, wantArray) {
			return fmt.Errorf("protection group %s holds %v, want %v", pg.Name, gotArray, wantArray)
		}
		return nil
	}
}

// TestAccComposed_openstackProviderVMs: terraform-provider-openstack builds
// two volumes and a VM booted from one with the other attached, and
// protector protects the VM in the same configuration: the apply protects
// both volumes and the next plan is empty. A new VM (replaced by
// terraform-provider-openstack) replaces the member, which protects the
// same volumes on the new VM. A third volume attached to it by
// terraform-provider-openstack shows as member drift on the refresh after
// that apply, and the next apply protects it. Destroying everything leaves no VM, volume
// or consistency group on either site and no live protection group or
// volume on the arrays.
func TestAccComposed_openstackProviderVMs(t *testing.T) {
	w := newPortableWorld(t)
	external := withOpenStackProvider(t, w)
	ids := &composedIDs{volumes: map[string]string{}, arrayVolumes: map[string]string{}}
	var extra string
	base := w.provider(providerOptions{arrayTokens: true}) + sitesHCL +
		groupHCL("VMs built by terraform-provider-openstack", "async", simulator.TypeReplicatedSSD) + policyHCL(w, true, 300, 15)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ExternalProviders:        external,
		CheckDestroy:             checkComposedGone(w, ids),
		Steps: []tfresource.TestStep{
			{
				Config: base + composedVMHCL("v1", false),
				Check: tfresource.ComposeTestCheckFunc(
					capture(groupAddr, "primary_consistency_group_id", &ids.primaryCG),
					capture(groupAddr, "secondary_consistency_group_id", &ids.secondaryCG),
					checkComposedProtected(w, ids, "boot", "data"),
				),
			},
			{
				// A new VM: its attachment and the member follow it.
				Config: base + composedVMHCL("v2", false),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("openstack_compute_instance_v2.vm", plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectResourceAction("protector_member.vm", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: tfresource.ComposeTestCheckFunc(
					checkComposedProtected(w, ids, "boot", "data"),
					func(*terraform.State) error {
						if len(ids.vms) != 2 {
							return fmt.Errorf("VMs seen %v, want the first and its replacement", ids.vms)
						}
						if _, ok := w.view(simulator.SiteA).Server(ids.vms[0]); ok {
							return fmt.Errorf("the replaced VM %s still exists", ids.vms[0])
						}
						return nil
					},
				),
			},
			{
				// A third volume attached by terraform-provider-openstack:
				// the member, not changed by this apply, finds it on the
				// refresh after it, so the plan is not empty.
				Config:             base + composedVMHCL("v2", true),
				Check:              capture("openstack_blockstorage_volume_v3.extra", "id", &extra),
				ExpectNonEmptyPlan: true,
			},
			{
				// The apply protects it; the plan after it is empty.
				Config: base + composedVMHCL("v2", true),
				ConfigPlanChecks: driftPlan("protector_member.vm", func() string {
					return "volume " + extra + " attached to composed-vm is not protected: apply adds it to the consistency group"
				}),
				Check: checkComposedProtected(w, ids, "boot", "data", "extra"),
			},
		},
	})
}

// checkComposedGone asserts that nothing the configuration made is left:
// no VM and no volume on site-a, no consistency group on either site, the
// Pure protection group and the array volumes destroyed on flasharray-a.
func checkComposedGone(w *accWorld, ids *composedIDs) func(*terraform.State) error {
	return func(*terraform.State) error {
		var left []string
		for _, id := range ids.vms {
			if _, ok := w.view(simulator.SiteA).Server(id); ok {
				left = append(left, "VM "+id)
			}
		}
		for name, id := range ids.volumes {
			if _, ok := w.view(simulator.SiteA).Volume(id); ok {
				left = append(left, "volume "+name+" "+id)
			}
		}
		for site, cg := range map[string]string{simulator.SiteA: ids.primaryCG, simulator.SiteB: ids.secondaryCG} {
			if g, ok := w.view(site).Group(cg); ok && g.Status != "deleted" {
				left = append(left, fmt.Sprintf("consistency group %s on %s (%s)", cg, site, g.Status))
			}
		}
		if pg, ok := w.Array(simulator.ArrayA).ProtectionGroup(simulator.ConsistencyGroupPGName(ids.primaryCG)); ok && !pg.Destroyed {
			left = append(left, "protection group "+pg.Name)
		}
		for _, name := range ids.arrayVolumes {
			if v, ok := w.Array(simulator.ArrayA).Volume(name); ok && !v.Destroyed {
				left = append(left, "array volume "+name)
			}
		}
		if len(ids.vms) == 0 || len(ids.volumes) != 3 || ids.primaryCG == "" || ids.secondaryCG == "" {
			return fmt.Errorf("the steps captured too little to check the destroy: %+v", *ids)
		}
		if len(left) > 0 {
			return fmt.Errorf("left after destroy: %s", strings.Join(left, "; "))
		}
		return nil
	}
}
