package simulator

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/flasharraysim"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/openstacksim"
)

// Objects is every object of the world as JSON, keyed by where it lives
// ("site-a server <id>", "flasharray-b volume <name>", "site-b object
// <container>/<name>", ...): both sites' servers, volumes, consistency
// groups and stored objects, both arrays' volumes, protection groups and
// pods. Tests compare two readings to prove an operation left objects
// alone (a drill never changes production).
type Objects map[string]string

// Objects reads the world's objects now.
func (w *World) Objects() Objects {
	out := Objects{}
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // plain structs of the simulator's state
		}
		out[key] = string(b)
	}
	for _, name := range []string{SiteA, SiteB} {
		site := w.Site(name)
		site.Update(func(st *openstacksim.State) {
			for id, v := range st.Servers {
				put(name+" server "+id, v)
			}
			for id, v := range st.Volumes {
				put(name+" volume "+id, v)
			}
			for id, g := range st.Groups {
				put(name+" group "+id, g)
			}
		})
		for _, container := range []string{"protector"} {
			for _, obj := range site.Objects(container, "") {
				b, _ := site.Object(container, obj)
				out[name+" object "+container+"/"+obj] = string(b)
			}
		}
	}
	for _, name := range []string{ArrayA, ArrayB} {
		w.Array(name).Update(func(st *flasharraysim.State) {
			for n, v := range st.Volumes {
				put(name+" volume "+n, v)
			}
			for n, g := range st.ProtectionGroups {
				put(name+" protection group "+n, g)
			}
			for n, p := range st.Pods {
				put(name+" pod "+n, p)
			}
		})
	}
	return out
}

// Changed lists the objects of o that differ in or are gone from now, and
// the objects now has that o lacks, each sorted.
func (o Objects) Changed(now Objects) (changed, added []string) {
	for k, v := range o {
		if now[k] != v {
			changed = append(changed, k)
		}
	}
	for k := range now {
		if _, ok := o[k]; !ok {
			added = append(added, k)
		}
	}
	sort.Strings(changed)
	sort.Strings(added)
	return changed, added
}

// WithPrefix keeps the keys that start with one of prefixes.
func WithPrefix(keys []string, prefixes ...string) []string {
	var out []string
	for _, k := range keys {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}
