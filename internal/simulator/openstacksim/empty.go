package openstacksim

import (
	"net/http"
	"regexp"
	"strings"
)

// The network (Neutron) and image (Glance) endpoints answer as
// tools/openstack/py/stubs.py does in the real-OpenStack lane: Nova and
// terraform-provider-openstack need both in the catalog even for servers
// booted from a volume without networks, and a service with nothing in it
// is all such a server needs. Every collection is empty, every single
// object missing; no authentication.

var emptyCollectionRe = regexp.MustCompile(`^/v2(?:\.0)?/([a-z_-]+)(?:/([^/]+))?$`)

func serveEmpty(w http.ResponseWriter, r *http.Request, rest string) {
	path := strings.TrimRight(rest, "/")
	path = strings.TrimSuffix(path, ".json")
	if path == "" {
		writeJSON(w, http.StatusOK, map[string]any{"versions": []any{map[string]any{
			"id": "v2.0", "status": "CURRENT", "links": []any{map[string]any{"rel": "self", "href": "/v2.0/"}},
		}}})
		return
	}
	m := emptyCollectionRe.FindStringSubmatch(path)
	switch {
	case m != nil && r.Method == http.MethodGet && m[2] == "":
		writeJSON(w, http.StatusOK, map[string]any{strings.ReplaceAll(m[1], "-", "_"): []any{}})
	case m != nil && r.Method == http.MethodDelete:
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"NeutronError": map[string]any{"type": "NotFound", "message": "not found: " + path}})
	}
}
