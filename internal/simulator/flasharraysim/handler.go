package flasharraysim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// errItem is one entry of the array's error list.
type errItem struct {
	Context string `json:"context,omitempty"`
	Message string `json:"message"`
}

// apiErr is an error answer. Methods accept a nil receiver (no error).
type apiErr struct {
	status int
	items  []errItem
}

func (e *apiErr) asError() error {
	if e == nil {
		return nil
	}
	msgs := make([]string, 0, len(e.items))
	for _, it := range e.items {
		if it.Context != "" {
			msgs = append(msgs, it.Context+": "+it.Message)
		} else {
			msgs = append(msgs, it.Message)
		}
	}
	return fmt.Errorf("flasharraysim: %d: %s", e.status, strings.Join(msgs, "; "))
}

func (e *apiErr) allContain(s string) bool {
	if e == nil || len(e.items) == 0 {
		return false
	}
	for _, it := range e.items {
		if !strings.Contains(it.Message, s) {
			return false
		}
	}
	return true
}

func (e *apiErr) add(other *apiErr) *apiErr {
	if other == nil {
		return e
	}
	if e == nil {
		return other
	}
	e.items = append(e.items, other.items...)
	return e
}

func badRequest(context, msg string) *apiErr {
	return &apiErr{status: http.StatusBadRequest, items: []errItem{{Context: context, Message: msg}}}
}

// notExist is the array's answer for an unknown name: 400, not 404.
func notExist(name, kind string) *apiErr { return badRequest(name, kind+" does not exist.") }

func alreadyExists(name, kind string) *apiErr { return badRequest(name, kind+" already exists.") }

// request is a parsed API call.
type request struct {
	method string
	q      url.Values
	body   []byte
	minor  int // REST 2.<minor>
}

func (r *request) list(name string) []string {
	v := r.q.Get(name)
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// boolParam returns the value of a boolean parameter and whether it was set.
func (r *request) boolParam(name string) (value, set bool, err *apiErr) {
	v := r.q.Get(name)
	if v == "" {
		return false, false, nil
	}
	b, perr := strconv.ParseBool(v)
	if perr != nil {
		return false, false, badRequest("", fmt.Sprintf("Invalid value for parameter %s: %q.", name, v))
	}
	return b, true, nil
}

func (r *request) required(name string) ([]string, *apiErr) {
	v := r.list(name)
	if len(v) == 0 {
		return nil, badRequest("", fmt.Sprintf("Missing required parameter: %s.", name))
	}
	return v, nil
}

func (r *request) decode(into any) *apiErr {
	if len(strings.TrimSpace(string(r.body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.body, into); err != nil {
		return badRequest("", "Invalid JSON body: "+err.Error())
	}
	return nil
}

// route is one method on one path. list routes return every item and the
// router pages them; others return the items of {"items": [...]}, or nil
// for an empty body.
type route struct {
	params []string
	list   bool
	fn     func(a *Array, r *request) ([]any, *apiErr)
}

var listParams = []string{"limit", "offset", "total_item_count"}

func get(continuation bool, fn func(a *Array, r *request) ([]any, *apiErr), params ...string) route {
	p := append(slices.Clone(listParams), params...)
	if continuation {
		p = append(p, "continuation_token")
	}
	return route{params: p, list: true, fn: fn}
}

func op(fn func(a *Array, r *request) ([]any, *apiErr), params ...string) route {
	return route{params: params, fn: fn}
}

// routes follow FA2.26.spec.yaml for the parameters the simulator honours;
// a parameter outside the list is refused, as a client bug should be.
var routes = map[string]map[string]route{
	"/arrays": {
		http.MethodGet: get(false, (*Array).getArrays),
	},
	"/array-connections": {
		http.MethodGet: get(true, (*Array).getConnections, "names"),
	},
	"/volumes": {
		http.MethodGet:    get(true, (*Array).getVolumes, "names", "destroyed"),
		http.MethodPost:   op((*Array).postVolumes, "names", "overwrite"),
		http.MethodPatch:  op((*Array).patchVolumes, "names"),
		http.MethodDelete: op((*Array).deleteVolumes, "names"),
	},
	"/protection-groups": {
		http.MethodGet:    get(true, (*Array).getGroups, "names", "destroyed"),
		http.MethodPost:   op((*Array).postGroups, "names"),
		http.MethodPatch:  op((*Array).patchGroups, "names"),
		http.MethodDelete: op((*Array).deleteGroups, "names"),
	},
	"/protection-groups/volumes": {
		http.MethodGet:    get(true, (*Array).getGroupVolumes, "group_names", "member_names"),
		http.MethodPost:   op((*Array).postGroupVolumes, "group_names", "member_names"),
		http.MethodDelete: op((*Array).deleteGroupVolumes, "group_names", "member_names"),
	},
	"/protection-groups/targets": {
		http.MethodGet:    get(true, (*Array).getGroupTargets, "group_names", "member_names"),
		http.MethodPost:   op((*Array).postGroupTargets, "group_names", "member_names"),
		http.MethodPatch:  op((*Array).patchGroupTargets, "group_names", "member_names"),
		http.MethodDelete: op((*Array).deleteGroupTargets, "group_names", "member_names"),
	},
	"/protection-group-snapshots": {
		http.MethodGet:  get(true, (*Array).getSnapshots, "names", "source_names", "destroyed"),
		http.MethodPost: op((*Array).postSnapshots, "source_names", "replicate", "replicate_now", "apply_retention", "allow_throttle", "for_replication"),
	},
	// No continuation_token on this endpoint in FA2.26.
	"/protection-group-snapshots/transfer": {
		http.MethodGet: get(false, (*Array).getTransfers, "names", "source_names", "destroyed"),
	},
	"/pods": {
		http.MethodGet:    get(true, (*Array).getPods, "names", "destroyed"),
		http.MethodPost:   op((*Array).postPods, "names"),
		http.MethodPatch:  op((*Array).patchPods, "names"),
		http.MethodDelete: op((*Array).deletePods, "names", "eradicate_contents"),
	},
	"/pods/arrays": {
		http.MethodGet:    get(false, (*Array).getPodArrays, "group_names", "member_names"),
		http.MethodPost:   op((*Array).postPodArrays, "group_names", "member_names"),
		http.MethodDelete: op((*Array).deletePodArrays, "group_names", "member_names", "with_unknown"),
	},
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(withoutNulls(v))
	}
}

// withoutNulls leaves out the fields that have no value: the REST 2.26 spec
// declares no field nullable, so an unset one (no pod, no completion time
// yet, the last page's continuation_token) is absent, never null.
func withoutNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if e != nil {
				out[k] = withoutNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutNulls(e)
		}
		return out
	}
	return v
}

func writeErr(w http.ResponseWriter, e *apiErr) {
	writeJSON(w, e.status, map[string]any{"errors": e.items})
}

func (a *Array) serve(w http.ResponseWriter, req *http.Request) {
	path := req.URL.Path
	if path == "/api/api_version" {
		if req.Method != http.MethodGet {
			writeErr(w, &apiErr{status: http.StatusMethodNotAllowed, items: []errItem{{Message: "Method not allowed."}}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"version": a.opts.Versions})
		return
	}
	rest, ok := strings.CutPrefix(path, "/api/")
	if !ok {
		writeErr(w, &apiErr{status: http.StatusNotFound, items: []errItem{{Message: "Not found."}}})
		return
	}
	version, resource, _ := strings.Cut(rest, "/")
	resource = "/" + resource
	if !slices.Contains(a.opts.Versions, version) {
		writeErr(w, &apiErr{status: http.StatusNotFound, items: []errItem{{Message: "API version " + version + " is not supported."}}})
		return
	}
	major, minor, _ := strings.Cut(version, ".")
	minorN, _ := strconv.Atoi(minor)
	if major != "2" {
		writeErr(w, &apiErr{status: http.StatusNotFound, items: []errItem{{Message: "Not found."}}})
		return
	}

	switch resource {
	case "/login":
		a.login(w, req)
		return
	case "/logout":
		a.logout(w, req)
		return
	}

	methods, ok := routes[resource]
	if !ok {
		writeErr(w, &apiErr{status: http.StatusNotFound, items: []errItem{{Message: "Not found."}}})
		return
	}
	rt, ok := methods[req.Method]
	if !ok {
		writeErr(w, &apiErr{status: http.StatusMethodNotAllowed, items: []errItem{{Message: "Method not allowed."}}})
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		writeErr(w, badRequest("", "Unreadable body."))
		return
	}
	r := &request{method: req.Method, q: req.URL.Query(), body: body, minor: minorN}
	for k := range r.q {
		if !slices.Contains(rt.params, k) {
			writeErr(w, badRequest("", fmt.Sprintf("Invalid query parameter: %s.", k)))
			return
		}
	}

	worldMu.Lock()
	defer worldMu.Unlock()
	if !a.sessions[req.Header.Get("x-auth-token")] {
		writeErr(w, &apiErr{status: http.StatusUnauthorized, items: []errItem{{Message: "Authentication failed: missing or invalid x-auth-token."}}})
		return
	}
	a.advanceAll()
	items, aerr := rt.fn(a, r)
	if aerr != nil {
		writeErr(w, aerr)
		return
	}
	if !rt.list {
		if items == nil && req.Method == http.MethodDelete {
			w.WriteHeader(http.StatusOK)
			return
		}
		if items == nil {
			items = []any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items})
		return
	}
	a.writePage(w, r, items)
}

// writePage answers a list with the page the limit, offset and
// continuation_token ask for.
func (a *Array) writePage(w http.ResponseWriter, r *request, items []any) {
	if items == nil {
		items = []any{}
	}
	offset := 0
	if v := r.q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeErr(w, badRequest("", "Invalid value for parameter offset."))
			return
		}
		offset = n
	}
	if tok := r.q.Get("continuation_token"); tok != "" {
		n, ok := decodeToken(tok)
		if !ok {
			writeErr(w, badRequest("", "Invalid continuation_token."))
			return
		}
		offset = n
	}
	limit := -1
	if v := r.q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeErr(w, badRequest("", "Invalid value for parameter limit."))
			return
		}
		limit = n
	}
	total := len(items)
	page := []any{}
	if offset < total {
		end := total
		if limit >= 0 && offset+limit < total {
			end = offset + limit
		}
		page = items[offset:end]
	}
	more := offset+len(page) < total && limit != 0
	resp := map[string]any{"more_items_remaining": more, "items": page}
	if more {
		tok := encodeToken(offset + len(page))
		resp["continuation_token"] = tok
		w.Header().Set("x-next-token", tok)
	} else {
		resp["continuation_token"] = nil
	}
	if b, set, _ := r.boolParam("total_item_count"); (set && b) || limit == 0 {
		resp["total_item_count"] = total
	}
	writeJSON(w, http.StatusOK, resp)
}

func encodeToken(offset int) string {
	return base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeToken(tok string) (int, bool) {
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(raw), "offset:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

func (a *Array) login(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeErr(w, &apiErr{status: http.StatusMethodNotAllowed, items: []errItem{{Message: "Method not allowed."}}})
		return
	}
	token := req.Header.Get("api-token")
	if token == "" || !slices.Contains(a.opts.APITokens, token) {
		writeErr(w, &apiErr{status: http.StatusUnauthorized, items: []errItem{{Message: "Invalid API token."}}})
		return
	}
	session := newToken()
	worldMu.Lock()
	a.sessions[session] = true
	worldMu.Unlock()
	w.Header().Set("x-auth-token", session)
	writeJSON(w, http.StatusOK, map[string]any{"items": []any{map[string]any{"username": "pureuser"}}})
}

func (a *Array) logout(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeErr(w, &apiErr{status: http.StatusMethodNotAllowed, items: []errItem{{Message: "Method not allowed."}}})
		return
	}
	worldMu.Lock()
	delete(a.sessions, req.Header.Get("x-auth-token"))
	worldMu.Unlock()
	w.WriteHeader(http.StatusOK)
}
