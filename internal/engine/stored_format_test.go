package engine

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// everyStoredField is a document with every field set that the metadata
// document can carry.
func everyStoredField() *document {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &document{
		Version:    7,
		ModifiedAt: at,
		ModifiedBy: "site-a",
		Group: groupRecord{ID: "pg-00000000-0000-4000-8000-000000000001", Name: "app", Description: "the app tier",
			PrimarySite: "site-a", SecondarySite: "site-b", ReplicationType: ReplicationAsync, VolumeType: "replicated",
			Status: StatusActive, FailoverCount: 1, PrimaryConsistencyGroup: "cg-a", SecondaryConsistencyGroup: "cg-b",
			Backend: "host@pure#pure", CreatedAt: at,
			NetworkMappings: map[string]string{"net-a": "net-b"}, FlavorMappings: map[string]string{"m1.small": "m1.large"}},
		Members: []memberRecord{{ID: "member-1", InstanceID: "vm-1", InstanceName: "web-1", Status: MemberProtected,
			VolumeIDs: []string{"vol-1", "vol-2"}, Error: "an error", AddedAt: at,
			Recovery: &recoveryRecord{
				Flavor:           flavorRecord{Name: "m1.small", VCPUs: 1, RAM: 512, Disk: 1, ExtraSpecs: map[string]string{"k": "v"}},
				BlockDevices:     []blockDeviceRecord{{BootIndex: 0, DeviceName: "/dev/vda", VolumeID: "vol-1", Size: 1, VolumeType: "replicated", ArrayVolumeName: "volume-vol-1-cinder"}},
				AvailabilityZone: "nova", KeyName: "key", Metadata: map[string]string{"role": "web"}, Tags: []string{"t"},
				Ports:        []portRecord{{PortID: "port-1", NetworkID: "net-a", NetworkName: "private", FixedIPs: []string{"10.0.0.5"}, SecurityGroups: []string{"default"}}},
				NetworksNote: "a note", ReadAt: at,
			}}},
		Policy: &policyRecord{PrimaryArrayURL: "https://fa-a.example", SecondaryArrayURL: "https://fa-b.example",
			PrimaryArrayName: "fa-a", SecondaryArrayName: "fa-b", PureGroupName: "consisgroup-cg-a-cinder",
			ReplicationInterval: 3600, RPOMinutes: 120, CreatedPureGroup: true,
			Changes:   &pureGroupChangesRecord{AddedTarget: true, AllowedTarget: true, EnabledReplication: true, PriorFrequency: 7200000},
			CreatedAt: at},
	}
}

// The bytes a site stores are pinned: renaming a field of the engine's API
// types (Member, PolicyRecord...) must not change what is written on the
// sites, and what this engine wrote must stay readable. A deliberate change
// of the stored format is a new formatVersion; then run with -update.
func TestStoredDocumentBytes(t *testing.T) {
	got, err := encodeDocument(everyStoredField())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "document.golden.json")
	if *updateGolden {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the stored document changed (a field renamed or retagged?); got:\n%s\nwant:\n%s", got, want)
	}
	d, err := decodeDocument(want)
	if err != nil {
		t.Fatalf("the golden document does not decode: %v", err)
	}
	again, err := encodeDocument(d)
	if err != nil || !bytes.Equal(again, want) {
		t.Fatalf("the golden document does not survive a read and a write: %v\n%s", err, again)
	}
}

// A sync log entry's stored bytes are pinned like the document's, and an
// object of several entries reads back newest first.
func TestStoredSyncLogBytes(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got, err := json.Marshal(syncLogRecord{Version: 3, Time: at, Outcome: SyncFailed, Duration: 1500 * time.Millisecond, Error: "refused"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":3,"time":"2026-01-02T03:04:05Z","outcome":"FAILED","duration_ns":1500000000,"error":"refused"}`
	if string(got) != want {
		t.Fatalf("stored sync log entry %s, want %s", got, want)
	}
	var obj syncLogObject
	if err := json.Unmarshal([]byte(`{"entries":[`+want+`,{"version":4,"time":"2026-01-02T03:04:05Z","outcome":"SYNCED","duration_ns":0}]}`), &obj); err != nil {
		t.Fatal(err)
	}
	if e := obj.entries(); len(e) != 2 || e[0].Version != 4 || e[1].Error != "refused" || e[1].Duration != 1500*time.Millisecond {
		t.Fatalf("entries read back as %+v", e)
	}
}
