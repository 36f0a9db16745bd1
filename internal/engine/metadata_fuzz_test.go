package engine

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecodeDocument: the metadata decoder never panics on what a site's
// object store returns, and whatever it accepts is a document whose
// checksum matches its content.
func FuzzDecodeDocument(f *testing.F) {
	d := &document{Version: 3, ModifiedAt: time.Unix(1700000000, 0).UTC(), ModifiedBy: "site-a",
		Group:   groupRecord{ID: "pg-1", Name: "prod-web-app", PrimarySite: "site-a", SecondarySite: "site-b", ReplicationType: "async"},
		Members: []memberRecord{{ID: "member-1", InstanceID: "i-1", VolumeIDs: []string{"v1", "v2"}}}}
	d.Checksum = d.checksum()
	valid, _ := json.Marshal(d)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte(`{"version":1,"checksum":"sha256:00","group":{"id":"pg-x"}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"version":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeDocument(b)
		if err != nil {
			return
		}
		if got.Version < 1 || got.Group.ID == "" {
			t.Fatalf("accepted a document without version or group id: %+v", got)
		}
		if got.Checksum != got.checksum() {
			t.Fatalf("accepted a document whose checksum %s does not match %s", got.Checksum, got.checksum())
		}
	})
}
