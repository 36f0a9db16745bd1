package importid

import (
	"strings"
	"testing"
)

// FuzzParse: an accepted import id has exactly the parts asked
// for, none blank, and joins back to the id; a refused one is named in the
// error.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"site-a/prod-web-app", "site-a/pg-1/member-1", "", "/", "a//b", "site-a/ /x", "a/b/c/d"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		for _, parts := range [][]string{{"site", "group"}, {"site", "group", "member"}} {
			fields, err := Parse(id, parts...)
			if err != nil {
				if !strings.Contains(err.Error(), "import id") {
					t.Fatalf("error %q does not say what was wrong", err)
				}
				continue
			}
			if len(fields) != len(parts) || strings.Join(fields, "/") != id {
				t.Fatalf("Parse(%q) = %q", id, fields)
			}
			for _, f := range fields {
				if strings.TrimSpace(f) == "" {
					t.Fatalf("Parse(%q) accepted a blank part", id)
				}
			}
		}
	})
}
