package flasharraysim

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// specYAML is Pure's published OpenAPI description of REST 2.26 (see
// openapi/README.md): the authority both the client's requests and the
// simulator's answers are checked against.
//
//go:embed openapi/FA2.26.spec.yaml
var specYAML []byte

// specMinor is the REST 2.x version the embedded spec describes.
const specMinor = 26

var spec struct {
	once sync.Once
	doc  *openapi3.T
	err  error
}

// loadSpec parses the spec once per process (70 ms for its 870 KB on an idle core).
func loadSpec() (*openapi3.T, error) {
	spec.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(specYAML)
		if err == nil {
			err = doc.Validate(context.Background())
		}
		spec.doc, spec.err = doc, err
	})
	return spec.doc, spec.err
}

// SpecMismatch is a request or an answer of the array's API that the
// OpenAPI spec does not allow.
type SpecMismatch struct {
	Method string
	// Path is the requested path with its query.
	Path string
	// Side is "request" (the client is wrong) or "response" (the simulator
	// is wrong).
	Side    string
	Problem string
}

func (m SpecMismatch) String() string {
	return fmt.Sprintf("%s %s %s: %s", m.Side, m.Method, m.Path, m.Problem)
}

// SpecMismatches returns what the array saw that its spec does not allow,
// in the order seen.
func (a *Array) SpecMismatches() []SpecMismatch {
	a.specMu.Lock()
	defer a.specMu.Unlock()
	return slices.Clone(a.specMismatches)
}

// ResetSpecMismatches forgets the recorded mismatches (for a test that sent
// a bad request on purpose and has checked it was caught).
func (a *Array) ResetSpecMismatches() {
	a.specMu.Lock()
	defer a.specMu.Unlock()
	a.specMismatches = nil
}

func (a *Array) recordMismatch(req *http.Request, side string, problems ...string) {
	if len(problems) == 0 {
		return
	}
	path := req.URL.Path
	if req.URL.RawQuery != "" {
		path += "?" + req.URL.RawQuery
	}
	a.specMu.Lock()
	defer a.specMu.Unlock()
	for _, p := range problems {
		a.specMismatches = append(a.specMismatches, SpecMismatch{Method: req.Method, Path: path, Side: side, Problem: p})
	}
}

// specRoute finds the spec's operation for a request. Any REST 2.x version
// up to 2.26 is checked against the 2.26 paths: within 2.x the API grows by
// adding endpoints, parameters and fields, so what a client may send at 2.N
// is also valid at 2.26, and a mismatch found there is a real one. The
// converse (a feature newer than the version spoken) is not seen: that
// would need the older specs.
func specRoute(req *http.Request) (*routers.Route, string) {
	doc, err := loadSpec()
	if err != nil {
		return nil, "the OpenAPI spec does not load: " + err.Error()
	}
	path := req.URL.Path
	if rest, ok := strings.CutPrefix(path, "/api/"); ok && rest != "api_version" {
		version, resource, _ := strings.Cut(rest, "/")
		major, minor, _ := strings.Cut(version, ".")
		n, err := strconv.Atoi(minor)
		if major != "2" || err != nil || n < 0 || n > specMinor {
			return nil, fmt.Sprintf("REST version %s is not covered by the 2.%d spec", version, specMinor)
		}
		path = "/api/2." + strconv.Itoa(specMinor) + "/" + resource
	}
	item := doc.Paths.Value(path)
	if item == nil {
		return nil, "path not in the spec"
	}
	op := item.GetOperation(req.Method)
	if op == nil {
		return nil, "method not in the spec for this path"
	}
	return &routers.Route{Spec: doc, Path: path, PathItem: item, Method: req.Method, Operation: op}, ""
}

// shortSchemaError keeps kin-openapi's schema errors to where and why; by
// default they quote the whole schema and value.
func shortSchemaError(err *openapi3.SchemaError) string {
	return "/" + strings.Join(err.JSONPointer(), "/") + ": " + err.Reason
}

func specOptions() *openapi3filter.Options {
	o := &openapi3filter.Options{
		MultiError: true,
		// The check must not change what the simulator receives.
		SkipSettingDefaults:               true,
		RejectWhenRequestBodyNotSpecified: true,
		IncludeResponseStatus:             true,
	}
	o.WithCustomSchemaErrorFunc(shortSchemaError)
	return o
}

// splitErrors turns kin-openapi's error tree into one problem a line, each
// naming the failing value: an allOf that fails says only that it failed,
// its parts say where.
func splitErrors(err error) []string {
	var out []string
	var walk func(err error, label string)
	walk = func(err error, label string) {
		switch e := err.(type) {
		case nil:
		case openapi3.MultiError:
			for _, x := range e {
				walk(x, label)
			}
		case *openapi3.SchemaError:
			if e.Origin != nil {
				walk(e.Origin, label)
				return
			}
			if msg := label + shortSchemaError(e); !slices.Contains(out, msg) {
				out = append(out, msg)
			}
		case *openapi3filter.RequestError:
			switch {
			case e.Parameter != nil:
				label += fmt.Sprintf("%s parameter %s", e.Parameter.In, e.Parameter.Name)
			case e.RequestBody != nil:
				label += "request body"
			}
			if e.Err == nil || e.Reason != "" && e.Parameter == nil {
				label = strings.TrimSuffix(label+": "+e.Reason, ": ")
			}
			if e.Err == nil {
				out = append(out, label)
				return
			}
			walk(e.Err, label+": ")
		case *openapi3filter.ResponseError:
			if e.Err == nil {
				out = append(out, label+e.Reason)
				return
			}
			walk(e.Err, label+e.Reason+": ")
		default:
			if inner := errors.Unwrap(err); inner != nil {
				walk(inner, label)
				return
			}
			out = append(out, label+err.Error())
		}
	}
	walk(err, "")
	return out
}

// checkRequest returns what is wrong with a request per the spec. body is
// the request's body, already read.
func checkRequest(req *http.Request, body []byte) []string {
	route, problem := specRoute(req)
	if problem != "" {
		return []string{problem}
	}
	var problems []string
	// kin-openapi ignores query parameters the operation does not declare;
	// the array refuses them, so a misspelt one is a client bug.
	for _, name := range sortedKeys(req.URL.Query()) {
		if route.Operation.Parameters.GetByInAndName(openapi3.ParameterInQuery, name) == nil &&
			route.PathItem.Parameters.GetByInAndName(openapi3.ParameterInQuery, name) == nil {
			problems = append(problems, fmt.Sprintf("query parameter %q not in the spec", name))
		}
	}
	problems = append(problems, checkCredentials(route, req)...)

	in := req.Clone(req.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	err := openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
		Request: in, Route: route, Options: specOptions(),
	})
	problems = append(problems, splitErrors(err)...)

	if rb := route.Operation.RequestBody; rb != nil && rb.Value != nil && len(bytes.TrimSpace(body)) > 0 {
		if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			problems = append(problems, undeclaredFields(body, mt.Schema.Value, "request body")...)
		}
	}
	return problems
}

// checkCredentials checks that a request carries what authenticates it.
// The spec declares no security schemes: its credentials are optional
// header parameters (api-token on login, Authorization on the other
// endpoints, x-auth-token on logout and as login's answer), so neither
// kin-openapi's security check nor its parameter check notices their
// absence. x-auth-token is the session API-NOTES section 3 describes.
func checkCredentials(route *routers.Route, req *http.Request) []string {
	switch {
	case route.Operation.Security != nil && len(*route.Operation.Security) == 0:
		return nil // api_version, oauth2: no authentication
	case strings.HasSuffix(route.Path, "/login"):
		if req.Header.Get("api-token") == "" {
			return []string{"login without an api-token header"}
		}
	case req.Header.Get("x-auth-token") == "" && req.Header.Get("Authorization") == "":
		return []string{"no x-auth-token (or Authorization) header"}
	}
	return nil
}

// checkResponse returns what is wrong with an answer per the spec, or per
// API-NOTES section 3 for errors (the spec documents only 200).
func checkResponse(req *http.Request, status int, header http.Header, body []byte) []string {
	if status >= 400 {
		return checkErrorBody(status, body)
	}
	if status != http.StatusOK {
		return []string{fmt.Sprintf("status %d: the spec documents only 200", status)}
	}
	route, problem := specRoute(req)
	if problem != "" {
		return []string{"answered 200 to a request the spec does not have: " + problem}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                specOptions(),
	}
	in.SetBodyBytes(body)
	problems := splitErrors(openapi3filter.ValidateResponse(req.Context(), in))
	// The session token is login's result, though the spec leaves its
	// header optional.
	if strings.HasSuffix(route.Path, "/login") && header.Get("x-auth-token") == "" {
		problems = append(problems, "login answered without an x-auth-token header")
	}

	resp := route.Operation.Responses.Status(status)
	if resp == nil || resp.Value == nil {
		return problems
	}
	if len(resp.Value.Content) == 0 {
		// kin-openapi skips the body when the spec declares none.
		if len(bytes.TrimSpace(body)) > 0 {
			problems = append(problems, "a body where the spec declares none")
		}
		return problems
	}
	if mt := resp.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		problems = append(problems, undeclaredFields(body, mt.Schema.Value, "response body")...)
	}
	return problems
}

// checkErrorBody checks an error answer against the array's error shape
// {"errors":[{"context","message","location_context"}]}, or the API
// gateway's {"message"} for 403 and 429.
func checkErrorBody(status int, body []byte) []string {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return []string{fmt.Sprintf("status %d: the error body is not a JSON object", status)}
	}
	var problems []string
	if msg, ok := doc["message"]; ok && len(doc) == 1 && (status == http.StatusForbidden || status == http.StatusTooManyRequests) {
		var s string
		if json.Unmarshal(msg, &s) != nil || s == "" {
			problems = append(problems, fmt.Sprintf("status %d: message is not a string", status))
		}
		return problems
	}
	for _, k := range sortedKeys(doc) {
		if k != "errors" {
			problems = append(problems, fmt.Sprintf("status %d: field %q not in the error shape", status, k))
		}
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(doc["errors"], &items); err != nil || len(items) == 0 {
		return append(problems, fmt.Sprintf("status %d: no errors list", status))
	}
	for i, it := range items {
		for _, k := range sortedKeys(it) {
			var s string
			switch k {
			case "message", "context", "location_context":
				if json.Unmarshal(it[k], &s) != nil {
					problems = append(problems, fmt.Sprintf("status %d: errors[%d].%s is not a string", status, i, k))
				}
			default:
				problems = append(problems, fmt.Sprintf("status %d: errors[%d].%s not in the error shape", status, i, k))
			}
		}
		if _, ok := it["message"]; !ok {
			problems = append(problems, fmt.Sprintf("status %d: errors[%d] has no message", status, i))
		}
	}
	return problems
}

// undeclaredFields reports the object fields of a JSON body that its schema
// does not declare. The spec never sets additionalProperties and builds
// most schemas with allOf, so kin-openapi accepts any extra field: a
// misspelt field in a request, or one the simulator invents, would pass.
func undeclaredFields(body []byte, schema *openapi3.Schema, at string) []string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil // kin-openapi reports the unreadable body
	}
	var out []string
	walkUndeclared(schema, v, at, &out)
	return out
}

func walkUndeclared(s *openapi3.Schema, v any, at string, out *[]string) {
	if s == nil {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		props := properties(s)
		if len(props) == 0 {
			return // free-form object
		}
		for _, k := range sortedKeys(v) {
			p, ok := props[k]
			if !ok {
				*out = append(*out, fmt.Sprintf("%s: field %s not in the spec", at, k))
				continue
			}
			walkUndeclared(p, v[k], at+"."+k, out)
		}
	case []any:
		item := itemSchema(s)
		for i, e := range v {
			walkUndeclared(item, e, fmt.Sprintf("%s[%d]", at, i), out)
		}
	}
}

// schemaProperties caches properties: a list answer has the same schema for
// every item.
var schemaProperties sync.Map // *openapi3.Schema -> map[string]*openapi3.Schema

// properties returns the properties a schema allows, through its
// compositions.
func properties(s *openapi3.Schema) map[string]*openapi3.Schema {
	if cached, ok := schemaProperties.Load(s); ok {
		if props, ok := cached.(map[string]*openapi3.Schema); ok {
			return props
		}
	}
	props := map[string]*openapi3.Schema{}
	collectProperties(s, props)
	schemaProperties.Store(s, props)
	return props
}

func collectProperties(s *openapi3.Schema, into map[string]*openapi3.Schema) {
	for name, ref := range s.Properties {
		if ref == nil || ref.Value == nil {
			continue
		}
		if prev, ok := into[name]; ok && prev != ref.Value {
			// Declared twice (allOf branches): check against both.
			into[name] = &openapi3.Schema{AllOf: openapi3.SchemaRefs{{Value: prev}, ref}}
			continue
		}
		into[name] = ref.Value
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, ref := range group {
			if ref != nil && ref.Value != nil {
				collectProperties(ref.Value, into)
			}
		}
	}
}

// itemSchema is the item schema of an array schema, through allOf.
func itemSchema(s *openapi3.Schema) *openapi3.Schema {
	if s.Items != nil && s.Items.Value != nil {
		return s.Items.Value
	}
	for _, ref := range s.AllOf {
		if ref != nil && ref.Value != nil {
			if it := itemSchema(ref.Value); it != nil {
				return it
			}
		}
	}
	return nil
}

// checkRequests records the spec mismatches of every request before the
// fault injector sees it, so requests that a fault answers are checked too.
func (a *Array) checkRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil {
			a.recordMismatch(req, "request", "unreadable body: "+err.Error())
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		a.recordMismatch(req, "request", checkRequest(req, body)...)
		next.ServeHTTP(w, req)
	})
}

// checkResponses records the spec mismatches of the simulator's answers.
// It sits inside the fault injector: an injected answer is the test's.
func (a *Array) checkResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := &recordingWriter{ResponseWriter: w}
		next.ServeHTTP(rec, req)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		a.recordMismatch(req, "response", checkResponse(req, rec.status, w.Header(), rec.body.Bytes())...)
	})
}

// recordingWriter passes an answer through and keeps a copy of it.
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recordingWriter) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recordingWriter) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// SpecError is nil when the array saw nothing its spec does not allow, else
// an error that lists every mismatch: tests end with it.
func (a *Array) SpecError() error {
	ms := a.SpecMismatches()
	if len(ms) == 0 {
		return nil
	}
	lines := make([]string, 0, len(ms))
	for _, m := range ms {
		lines = append(lines, "  "+m.String())
	}
	return fmt.Errorf("flasharraysim: %s: %d exchanges do not follow the REST 2.%d OpenAPI spec:\n%s",
		a.opts.Name, len(ms), specMinor, strings.Join(lines, "\n"))
}
