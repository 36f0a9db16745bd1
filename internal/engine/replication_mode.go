package engine

import (
	"fmt"
	"strings"

	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// driverReplicates tells, from the Pure driver's array_volume_name metadata
// (which every user can read, unlike the type's replication_type), how the
// array replicates a volume: the driver creates the volumes of sync and
// trisync types in its pod (pod::volume-<id>-cinder) and those of async
// types outside any pod. "" when the driver wrote no name (older drivers,
// other backends).
func driverReplicates(v *openstack.Volume) string {
	name := v.Metadata["array_volume_name"]
	switch {
	case name == "":
		return ""
	case strings.Contains(name, "::"):
		return ReplicationSync
	default:
		return ReplicationAsync
	}
}

// checkDriverReplication refuses the volumes of an async group that the
// driver replicates synchronously. Without an admin credential it is where
// a group made on a '<in> sync' type is found out: Cinder hides the type's
// replication_type from members, and the first volume tells.
func checkDriverReplication(d *document, site, instance string, vt *openstack.VolumeType, vols []*openstack.Volume) error {
	if d.Group.ReplicationType != ReplicationAsync {
		return nil
	}
	for _, v := range vols {
		if driverReplicates(v) != ReplicationSync {
			continue
		}
		return &Error{Kind: KindNotEligible, Site: site, Object: vt.Name,
			Detail: fmt.Sprintf("volume %s of instance %s is %s on the array: the Pure driver creates volumes in its pod only for "+
				"volume types with replication_type '<in> sync' (or trisync), so volume type %q replicates synchronously and "+
				"cannot serve the async protection group %s", v.ID, instance, v.Metadata["array_volume_name"], vt.Name, d.Group.Name),
			Fix: fmt.Sprintf("Use a volume type with replication_type='<in> async' for an async group, or make the group sync "+
				"(replication_type = \"sync\"); an admin can confirm with `openstack volume type show %s` on %s", vt.Name, site)}
	}
	return nil
}
