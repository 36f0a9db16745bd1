package engine

import (
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// defaultSyncPod is the pod the Pure Cinder driver stretches for sync types
// (its pure_replication_pod_name default).
const defaultSyncPod = "cinder-pod"

// driverGroupName is the protection group the Pure Cinder driver makes for
// a consistency group (a group type with consistent_group_snapshot_enabled),
// keeps in step with the group's volumes and destroys with the group
// (pure.py _get_pgroup_name). For sync types it lives in the pod.
func driverGroupName(consistencyGroup string) string {
	return "consisgroup-" + consistencyGroup + "-cinder"
}

// pureGroupName is the Pure protection group (async) or pod (sync) a
// policy binds to; by default the ones the Pure Cinder driver keeps.
func pureGroupName(d *document, name string) string {
	if name != "" {
		return name
	}
	if d.Group.ReplicationType == ReplicationSync {
		return defaultSyncPod
	}
	return driverGroupName(d.Group.PrimaryConsistencyGroup)
}

// arrayVolumeName is the name of a Cinder volume on its FlashArray: the
// driver records it in the volume's metadata, else it follows the driver's
// template.
func arrayVolumeName(v *openstack.Volume) string {
	if n := v.Metadata["array_volume_name"]; n != "" {
		return n
	}
	return driverVolumeName(v.ID)
}

// driverVolumeName is the Pure driver's template for a volume's array name.
func driverVolumeName(id string) string { return "volume-" + id + "-cinder" }

// pureVolumeName is the array's name of a Cinder volume, or of one Cinder
// no longer has (v nil) by the driver's rule.
func pureVolumeName(id string, v *openstack.Volume) string {
	if v == nil {
		return driverVolumeName(id)
	}
	return arrayVolumeName(v)
}
