// Package importid parses the ids `terraform import` passes to the
// provider's resources ("<site>/<group>", "<site>/<group>/<member>", ...).
// It is a package of its own, with no dependency beyond the standard
// library, so that fuzzing it does not instrument the whole provider.
package importid

import (
	"fmt"
	"strings"
)

// Parse splits an import id into exactly the named parts, separated by
// "/", none blank.
func Parse(id string, parts ...string) ([]string, error) {
	form := "<" + strings.Join(parts, ">/<") + ">"
	fields := strings.Split(id, "/")
	if len(fields) != len(parts) {
		return nil, fmt.Errorf("import id %q is not of the form %s", id, form)
	}
	for i, f := range fields {
		if strings.TrimSpace(f) == "" {
			return nil, fmt.Errorf("import id %q has an empty %s; expected %s", id, parts[i], form)
		}
	}
	return fields, nil
}
