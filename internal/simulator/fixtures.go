package simulator

import "fmt"

// Fixture names, IDs and secrets of the two-site world. The same names
// exist on both sites; IDs of types differ per site (ask the site).
const (
	SiteA   = "site-a"
	SiteB   = "site-b"
	ArrayA  = "flasharray-a"
	ArrayB  = "flasharray-b"
	Region  = "RegionOne"
	Project = "demo"
	Domain  = "Default"

	DemoUser      = "demo"
	DemoPassword  = "demo-password"
	AdminUser     = "admin"
	AdminPassword = "admin-password"

	// Application credentials of user demo, per site.
	AppCredSiteAID     = "app-cred-site-a"
	AppCredSiteASecret = "app-secret-site-a"
	AppCredSiteBID     = "app-cred-site-b"
	AppCredSiteBSecret = "app-secret-site-b"

	// FlashArray API tokens.
	ArrayAToken = "T-12345678-abcd-efgh-ijkl-mnopqrstuvwx"
	ArrayBToken = "T-87654321-dcba-hgfe-lkji-xwvutsrqponm"

	// Volume types (names; same on both sites).
	TypeReplicatedSSD   = "replicated-ssd"
	TypeReplicatedSync  = "replicated-sync"
	TypeStandard        = "standard"
	TypeReplicatedAOnly = "replicated-a-only"

	// Group type with consistent_group_snapshot_enabled='<is> True'.
	GroupTypeConsistency = "consistency-group"

	// The flavor of both sites (as the real-OpenStack lane creates it).
	FlavorTiny   = "m1.tiny"
	FlavorTinyID = "5b8e2a3c-0f4d-4e6a-9c1b-7d2e8f3a4b5c"

	// Backends (os-vol-host-attr:host).
	HostA = "pure@backend-a#pool-a"
	HostC = "pure@backend-c#pool-c" // the other backend of site-a
	HostB = "pure@backend-b#pool-b"

	// PureBackendName is the volume_backend_name of the Pure backends,
	// which replicated-ssd selects.
	PureBackendName = "pure"

	// The Pure driver's sync pod.
	CinderPod = "cinder-pod"
)

// Servers on site-a (all boot from volume).
const (
	WebServer1ID           = "a1b2c3d4-1111-2222-3333-aabbccddeeff"
	WebServer2ID           = "b2c3d4e5-1111-2222-3333-bbccddeeffaa"
	DBServer1ID            = "c3d4e5f6-1111-2222-3333-ccddeeffaabb"
	MixedServerID          = "d4e5f6a7-1111-2222-3333-ddeeffaabbcc"
	OtherBackendServerID   = "e5f6a7b8-1111-2222-3333-eeffaabbccdd"
	SyncServerID           = "f6a7b8c9-1111-2222-3333-ffaabbccddee"
	AOnlyServerID          = "0a7b8c9d-1111-2222-3333-aabbccddee00"
	WebServer1Name         = "web-server-1"
	WebServer2Name         = "web-server-2"
	DBServer1Name          = "db-server-1"
	MixedServerName        = "mixed-server"
	OtherBackendServerName = "other-backend-server"
	SyncServerName         = "sync-server"
	AOnlyServerName        = "a-only-server"
)

// Volumes on site-a: <server>BootVolumeID is attached at /dev/vda,
// Data volumes at /dev/vdb, /dev/vdc.
const (
	WebServer1BootVolumeID   = "aa000000-0000-4000-8000-000000000101"
	WebServer1DataVolumeID   = "aa000000-0000-4000-8000-000000000102"
	WebServer2BootVolumeID   = "aa000000-0000-4000-8000-000000000201"
	WebServer2DataVolumeID   = "aa000000-0000-4000-8000-000000000202"
	DBServer1BootVolumeID    = "aa000000-0000-4000-8000-000000000301"
	DBServer1Data1VolumeID   = "aa000000-0000-4000-8000-000000000302"
	DBServer1Data2VolumeID   = "aa000000-0000-4000-8000-000000000303"
	MixedBootVolumeID        = "aa000000-0000-4000-8000-000000000401"
	MixedDataVolumeID        = "aa000000-0000-4000-8000-000000000402" // type standard
	OtherBackendBootVolumeID = "aa000000-0000-4000-8000-000000000501"
	OtherBackendDataVolumeID = "aa000000-0000-4000-8000-000000000502"
	SyncBootVolumeID         = "aa000000-0000-4000-8000-000000000601"
	SyncDataVolumeID         = "aa000000-0000-4000-8000-000000000602"
	AOnlyBootVolumeID        = "aa000000-0000-4000-8000-000000000701"
)

// The golden image of site-a: a bootable, available volume of the
// replicated type, in no server, that new VMs' boot volumes are cloned
// from (the sites have no Glance images). The lane makes one too.
const (
	GoldenImageVolumeID   = "aa000000-0000-4000-8000-000000000901"
	GoldenImageVolumeName = "golden-image"
	GoldenImageSizeGiB    = 1
)

// fixtureServer is one server of site-a with its volumes, boot first.
type fixtureServer struct {
	id, name string
	host     string
	volumes  []fixtureVolume
}

type fixtureVolume struct {
	id, typ string
	size    int
}

var siteAServers = []fixtureServer{
	{WebServer1ID, WebServer1Name, HostA, []fixtureVolume{{WebServer1BootVolumeID, TypeReplicatedSSD, 20}, {WebServer1DataVolumeID, TypeReplicatedSSD, 50}}},
	{WebServer2ID, WebServer2Name, HostA, []fixtureVolume{{WebServer2BootVolumeID, TypeReplicatedSSD, 20}, {WebServer2DataVolumeID, TypeReplicatedSSD, 50}}},
	{DBServer1ID, DBServer1Name, HostA, []fixtureVolume{{DBServer1BootVolumeID, TypeReplicatedSSD, 20}, {DBServer1Data1VolumeID, TypeReplicatedSSD, 100}, {DBServer1Data2VolumeID, TypeReplicatedSSD, 100}}},
	{MixedServerID, MixedServerName, HostA, []fixtureVolume{{MixedBootVolumeID, TypeReplicatedSSD, 20}, {MixedDataVolumeID, TypeStandard, 50}}},
	{OtherBackendServerID, OtherBackendServerName, HostC, []fixtureVolume{{OtherBackendBootVolumeID, TypeReplicatedSSD, 20}, {OtherBackendDataVolumeID, TypeReplicatedSSD, 50}}},
	{SyncServerID, SyncServerName, HostA, []fixtureVolume{{SyncBootVolumeID, TypeReplicatedSync, 20}, {SyncDataVolumeID, TypeReplicatedSync, 50}}},
	{AOnlyServerID, AOnlyServerName, HostA, []fixtureVolume{{AOnlyBootVolumeID, TypeReplicatedAOnly, 20}}},
}

// ServerVolumeIDs returns the fixture volumes of a site-a server, boot
// volume first (nil for an unknown server).
func ServerVolumeIDs(serverID string) []string {
	for _, s := range siteAServers {
		if s.id == serverID {
			var ids []string
			for _, v := range s.volumes {
				ids = append(ids, v.id)
			}
			return ids
		}
	}
	return nil
}

// ExtraServerID is the instance id of the k-th server (from 1) added by
// World.AddServers.
func ExtraServerID(k int) string {
	return fmt.Sprintf("5e000000-0000-4000-8000-%012x", k)
}

// ExtraServerVolumeID is the id of volume i (0 boot, 1 data) of the k-th
// server added by World.AddServers.
func ExtraServerVolumeID(k, i int) string {
	return fmt.Sprintf("5e000000-0000-4000-9%03x-%012x", i, k)
}

// ArrayVolumeName is the Pure driver's name for a Cinder volume:
// volume-<id>-cinder, in pod cinder-pod for sync types.
func ArrayVolumeName(cinderID string, sync bool) string {
	if sync {
		return CinderPod + "::volume-" + cinderID + "-cinder"
	}
	return "volume-" + cinderID + "-cinder"
}

// ConsistencyGroupPGName is the Pure driver's protection group of a Cinder
// group: consisgroup-<group id>-cinder.
func ConsistencyGroupPGName(groupID string) string {
	return "consisgroup-" + groupID + "-cinder"
}

func volumeTypeSpecs(site string) map[string]map[string]string {
	specs := map[string]map[string]string{
		TypeReplicatedSSD:  {"replication_enabled": "<is> True", "replication_type": "<in> async", "volume_backend_name": PureBackendName},
		TypeReplicatedSync: {"replication_enabled": "<is> True", "replication_type": "<in> sync"},
		TypeStandard:       {},
	}
	if site == SiteA {
		specs[TypeReplicatedAOnly] = map[string]string{"replication_enabled": "<is> True", "replication_type": "<in> async"}
	} else {
		// Not eligible on site-b: replication_enabled is missing.
		specs[TypeReplicatedAOnly] = map[string]string{"replication_type": "<in> async"}
	}
	return specs
}
