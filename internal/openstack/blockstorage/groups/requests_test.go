package groups

import (
	"reflect"
	"testing"
)

func TestUpdateOptsJoinsVolumeLists(t *testing.T) {
	name := "renamed"
	tests := []struct {
		name string
		opts UpdateOpts
		want map[string]any
	}{
		{"add and remove as comma strings", UpdateOpts{AddVolumes: []string{"a", "b"}, RemoveVolumes: []string{"c"}},
			map[string]any{"group": map[string]any{"add_volumes": "a,b", "remove_volumes": "c"}}},
		{"rename only", UpdateOpts{Name: &name},
			map[string]any{"group": map[string]any{"name": "renamed"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.opts.ToGroupUpdateMap()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := (UpdateOpts{}).ToGroupUpdateMap(); err == nil {
		t.Error("an empty update must be refused before Cinder answers 400")
	}
}

func TestCreateOptsBody(t *testing.T) {
	got, err := CreateOpts{Name: "g", GroupType: "gt", VolumeTypes: []string{"vt"}}.ToGroupCreateMap()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"group": map[string]any{"name": "g", "group_type": "gt", "volume_types": []any{"vt"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if _, err := (CreateOpts{Name: "g"}).ToGroupCreateMap(); err == nil {
		t.Error("group_type is required")
	}
}

func TestGetOptsQuery(t *testing.T) {
	if q, _ := (GetOpts{ListVolume: true}).ToGroupGetQuery(); q != "?list_volume=True" {
		t.Errorf("query %q", q)
	}
	if q, _ := (GetOpts{}).ToGroupGetQuery(); q != "" {
		t.Errorf("query %q", q)
	}
}
