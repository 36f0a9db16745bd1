package importid

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		id      string
		parts   []string
		want    []string
		wantErr string
	}{
		{"site-a/prod-web-app", []string{"site", "group"}, []string{"site-a", "prod-web-app"}, ""},
		{"site-a/pg-1/member-2", []string{"site", "group", "member"}, []string{"site-a", "pg-1", "member-2"}, ""},
		{"prod-web-app", []string{"site", "group"}, nil, "not of the form <site>/<group>"},
		{"site-a//m", []string{"site", "group", "member"}, nil, "empty group"},
		{"site-a/pg/extra", []string{"site", "group"}, nil, "not of the form"},
		{"site-a", []string{"site"}, []string{"site-a"}, ""},
	}
	for _, tt := range tests {
		got, err := Parse(tt.id, tt.parts...)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want one containing %q", tt.id, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.id, got, err, tt.want)
		}
	}
}
