# One configuration that builds a tier of VMs and protects it: the
# terraform-provider-openstack builds, on site-a, VMs without networks, each
# booted from a clone of a golden image volume of the replicated type, with
# a data volume attached; examples/modules/protected-tier protects them.
# `make demo` runs it against the two-site simulator with
# PROTECTOR_DEMO_CONFIG=examples/openstack-tier (and against the two real
# sites of tools/openstack with PROTECTOR_DEMO_LANE as well).

terraform {
  required_providers {
    protector = {
      source = "protector-dr/protector"
    }
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "3.4.0"
    }
  }
}

# The VMs run on the primary site, through the same clouds.yaml
# (OS_CLIENT_CONFIG_FILE) as protector's sites.
provider "openstack" {
  cloud = "site-a"
}

provider "protector" {
  sites = {
    "site-a" = {}
    "site-b" = {}
  }
  flasharray_ca_file = var.flasharray_ca_file
  flasharrays = {
    "flasharray-a" = {
      url       = var.primary_fa_url
      api_token = var.primary_fa_token
    }
    "flasharray-b" = {
      url       = var.secondary_fa_url
      api_token = var.secondary_fa_token
    }
  }
}

resource "protector_site" "site_a" {
  name                   = "site-a"
  consistency_group_type = "consistency-group"
}

resource "protector_site" "site_b" {
  name                   = "site-b"
  consistency_group_type = "consistency-group"
}

data "openstack_compute_flavor_v2" "tiny" {
  name = "m1.tiny"
}

# The bootable volume the boot volumes are cloned from: an image kept in
# Cinder, of the group's volume type (booting from a Glance image works as
# well: image_id instead of source_vol_id).
data "openstack_blockstorage_volume_v3" "golden" {
  name = var.golden_image_volume
}

# Every volume of a protected VM uses the group's volume type.
resource "openstack_blockstorage_volume_v3" "boot" {
  count         = var.vm_count
  name          = "app-${count.index + 1}-boot"
  size          = data.openstack_blockstorage_volume_v3.golden.size
  volume_type   = "replicated-ssd"
  source_vol_id = data.openstack_blockstorage_volume_v3.golden.id
}

resource "openstack_blockstorage_volume_v3" "data" {
  count       = var.vm_count
  name        = "app-${count.index + 1}-data"
  size        = 2
  volume_type = "replicated-ssd"
}

resource "openstack_compute_instance_v2" "app" {
  count        = var.vm_count
  name         = "app-${count.index + 1}"
  flavor_id    = data.openstack_compute_flavor_v2.tiny.id
  network_mode = "none"

  block_device {
    uuid                  = openstack_blockstorage_volume_v3.boot[count.index].id
    source_type           = "volume"
    destination_type      = "volume"
    boot_index            = 0
    delete_on_termination = false
  }
}

resource "openstack_compute_volume_attach_v2" "data" {
  count       = var.vm_count
  instance_id = openstack_compute_instance_v2.app[count.index].id
  volume_id   = openstack_blockstorage_volume_v3.data[count.index].id
}

module "app_tier" {
  source = "../modules/protected-tier"

  tier_name        = "app-tier"
  description      = "VMs built by terraform-provider-openstack"
  primary_site     = protector_site.site_a.name
  secondary_site   = protector_site.site_b.name
  replication_type = "async"
  volume_type      = "replicated-ssd"
  # The ids are unknown until the VMs exist: the members are keyed by name.
  members = { for vm in openstack_compute_instance_v2.app : vm.name => vm.id }

  primary_fa_url   = var.primary_fa_url
  secondary_fa_url = var.secondary_fa_url

  # Each member takes every volume attached to its VM when it is added, so
  # it waits for the attachments; on destroy the members go first, and the
  # volumes have left the consistency group when the volumes are deleted.
  depends_on = [openstack_compute_volume_attach_v2.data]
}
