package openstacksim

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Swift object storage behind keystoneauth: /object-store/v1/AUTH_{project}.
// Swift answers errors with small HTML bodies, not JSON.

const swiftMaxListing = 10000

func swiftError(w http.ResponseWriter, status int, title, msg string) {
	body := "<html><h1>" + title + "</h1><p>" + msg + "</p></html>"
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func swiftNotFound(w http.ResponseWriter) {
	swiftError(w, 404, "Not Found", "The resource could not be found.")
}

func newObject(name string, data []byte, contentType string, meta map[string]string, now time.Time) *Object {
	sum := md5.Sum(data)
	return &Object{Name: name, Data: data, ContentType: contentType, ETag: hex.EncodeToString(sum[:]), Metadata: meta, LastModified: now}
}

func (s *Site) serveSwift(w http.ResponseWriter, r *http.Request, rest string) {
	trans := "tx" + strings.ReplaceAll(newUUID(), "-", "")[:21] + "-" + strconv.FormatInt(time.Now().Unix(), 16)
	w.Header().Set("X-Trans-Id", trans)
	w.Header().Set("X-Openstack-Request-Id", trans)
	rest = strings.TrimPrefix(rest, "/")
	if rest == "" || rest == "info" {
		writeJSON(w, 200, map[string]any{"swift": map[string]any{"version": "2.30.0", "max_file_size": 5368709122, "container_listing_limit": swiftMaxListing}})
		return
	}
	segs := strings.SplitN(rest, "/", 4) // v1, AUTH_x, container, object
	if segs[0] != "v1" || len(segs) < 2 || !strings.HasPrefix(segs[1], "AUTH_") {
		swiftNotFound(w)
		return
	}
	account := strings.TrimPrefix(segs[1], "AUTH_")
	c, ok := s.authenticate(r)
	if !ok {
		swiftError(w, 401, "Unauthorized", "This server could not verify that you are authorized to access the document you requested.")
		return
	}
	if c.projectID != account || !c.hasRole("member") && !c.hasRole("admin") {
		swiftError(w, 403, "Forbidden", "Access was denied to this resource.")
		return
	}
	container, object := "", ""
	if len(segs) > 2 {
		container = segs[2]
	}
	if len(segs) > 3 {
		object = segs[3]
	}
	switch {
	case container == "":
		s.swiftAccount(w, r, account)
	case object == "":
		s.swiftContainer(w, r, account, container)
	default:
		s.swiftObject(w, r, account, container, object)
	}
}

func (s *Site) swiftAccount(w http.ResponseWriter, r *http.Request, account string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		swiftError(w, 405, "Method Not Allowed", "The method is not allowed for this resource.")
		return
	}
	s.mu.Lock()
	var names []string
	objects, bytes := 0, 0
	for _, c := range s.st.Containers {
		if c.Account == account {
			names = append(names, c.Name)
			for _, o := range c.Objects {
				objects++
				bytes += len(o.Data)
			}
		}
	}
	sort.Strings(names)
	var items []map[string]any
	for _, n := range names {
		cn := s.st.Containers[account+"/"+n]
		b := 0
		for _, o := range cn.Objects {
			b += len(o.Data)
		}
		items = append(items, map[string]any{"name": n, "count": len(cn.Objects), "bytes": b, "last_modified": isoTime(cn.Created)})
	}
	s.mu.Unlock()
	h := w.Header()
	h.Set("X-Account-Container-Count", strconv.Itoa(len(names)))
	h.Set("X-Account-Object-Count", strconv.Itoa(objects))
	h.Set("X-Account-Bytes-Used", strconv.Itoa(bytes))
	h.Set("X-Timestamp", fmt.Sprintf("%d.00000", time.Now().Unix()))
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	swiftListing(w, r, items, func(it map[string]any) string { return fmt.Sprint(it["name"]) })
}

// swiftListing writes a listing with prefix, marker, end_marker and limit,
// as plain text (one name a line; 204 when empty) or JSON (format=json or
// Accept: application/json).
func swiftListing(w http.ResponseWriter, r *http.Request, items []map[string]any, name func(map[string]any) string) {
	q := r.URL.Query()
	limit := swiftMaxListing
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			swiftError(w, 412, "Precondition Failed", "Value of limit must be a positive integer")
			return
		}
		if n > swiftMaxListing {
			swiftError(w, 412, "Precondition Failed", fmt.Sprintf("Maximum limit is %d", swiftMaxListing))
			return
		}
		limit = n
	}
	var out []map[string]any
	for _, it := range items {
		n := name(it)
		if p := q.Get("prefix"); p != "" && !strings.HasPrefix(n, p) {
			continue
		}
		if m := q.Get("marker"); m != "" && n <= m {
			continue
		}
		if e := q.Get("end_marker"); e != "" && n >= e {
			continue
		}
		if len(out) >= limit {
			break
		}
		out = append(out, it)
	}
	asJSON := q.Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
	if asJSON {
		if out == nil {
			out = []map[string]any{}
		}
		writeJSON(w, 200, out)
		return
	}
	if len(out) == 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var b strings.Builder
	for _, it := range out {
		b.WriteString(name(it))
		b.WriteString("\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(200)
	_, _ = io.WriteString(w, b.String())
}

func metaFrom(h http.Header, prefix string) map[string]string {
	out := map[string]string{}
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if strings.HasPrefix(ck, prefix) && len(vs) > 0 && len(ck) > len(prefix) {
			out[ck[len(prefix):]] = vs[0]
		}
	}
	return out
}

func (s *Site) swiftContainer(w http.ResponseWriter, r *http.Request, account, name string) {
	key := account + "/" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.Containers[key]
	switch r.Method {
	case http.MethodPut:
		status := http.StatusAccepted
		if c == nil {
			c = &Container{Account: account, Name: name, Metadata: map[string]string{}, Objects: map[string]*Object{}, Created: s.nextTime()}
			s.st.Containers[key] = c
			status = http.StatusCreated
		}
		for k, v := range metaFrom(r.Header, "X-Container-Meta-") {
			c.Metadata[k] = v
		}
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	if c == nil {
		swiftNotFound(w)
		return
	}
	switch r.Method {
	case http.MethodHead, http.MethodGet:
		bytes := 0
		names := sortedKeys(c.Objects)
		var items []map[string]any
		delim := r.URL.Query().Get("delimiter")
		prefix := r.URL.Query().Get("prefix")
		seen := map[string]bool{}
		for _, n := range names {
			o := c.Objects[n]
			bytes += len(o.Data)
			if delim != "" && strings.HasPrefix(n, prefix) {
				if i := strings.Index(n[len(prefix):], delim); i >= 0 {
					sub := n[:len(prefix)+i+len(delim)]
					if !seen[sub] {
						seen[sub] = true
						items = append(items, map[string]any{"subdir": sub})
					}
					continue
				}
			}
			items = append(items, map[string]any{"name": n, "hash": o.ETag, "bytes": len(o.Data), "content_type": o.ContentType, "last_modified": isoTime(o.LastModified)})
		}
		h := w.Header()
		h.Set("X-Container-Object-Count", strconv.Itoa(len(c.Objects)))
		h.Set("X-Container-Bytes-Used", strconv.Itoa(bytes))
		h.Set("X-Timestamp", fmt.Sprintf("%d.00000", c.Created.Unix()))
		for k, v := range c.Metadata {
			h.Set("X-Container-Meta-"+k, v)
		}
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		swiftListing(w, r, items, func(it map[string]any) string {
			if n, ok := it["name"].(string); ok {
				return n
			}
			return fmt.Sprint(it["subdir"])
		})
	case http.MethodPost:
		for k, v := range metaFrom(r.Header, "X-Container-Meta-") {
			c.Metadata[k] = v
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		if len(c.Objects) > 0 {
			swiftError(w, 409, "Conflict", "There was a conflict when trying to complete your request.")
			return
		}
		delete(s.st.Containers, key)
		w.WriteHeader(http.StatusNoContent)
	default:
		swiftError(w, 405, "Method Not Allowed", "The method is not allowed for this resource.")
	}
}

func objectHeaders(w http.ResponseWriter, o *Object) {
	h := w.Header()
	h.Set("Content-Type", o.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(o.Data)))
	h.Set("Etag", o.ETag)
	h.Set("Last-Modified", o.LastModified.UTC().Format(http.TimeFormat))
	h.Set("X-Timestamp", fmt.Sprintf("%d.%05d", o.LastModified.Unix(), o.LastModified.Nanosecond()/10000))
	h.Set("Accept-Ranges", "bytes")
	for k, v := range o.Metadata {
		h.Set("X-Object-Meta-"+k, v)
	}
}

// guessContentType follows Swift: the client's Content-Type, else a guess
// from the name, else application/octet-stream.
func guessContentType(r *http.Request, name string) string {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return "application/json"
	case ".txt":
		return "text/plain"
	}
	return "application/octet-stream"
}

func (s *Site) swiftObject(w http.ResponseWriter, r *http.Request, account, container, name string) {
	var data []byte
	if r.Method == http.MethodPut {
		var err error
		if data, err = io.ReadAll(io.LimitReader(r.Body, 64<<20)); err != nil {
			swiftError(w, 499, "Client Disconnect", "The client was disconnected during request.")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.Containers[account+"/"+container]
	if c == nil {
		swiftNotFound(w)
		return
	}
	o := c.Objects[name]
	switch r.Method {
	case http.MethodPut:
		if inm := r.Header.Get("If-None-Match"); inm != "" {
			if inm != "*" {
				swiftError(w, 400, "Bad Request", "If-None-Match only supports *")
				return
			}
			if o != nil {
				swiftError(w, 412, "Precondition Failed", "A precondition for this request was not met.")
				return
			}
		}
		no := newObject(name, data, guessContentType(r, name), metaFrom(r.Header, "X-Object-Meta-"), s.nextTime())
		if etag := strings.Trim(r.Header.Get("Etag"), `"`); etag != "" && !strings.EqualFold(etag, no.ETag) {
			swiftError(w, 422, "Unprocessable Entity", "Unable to process the contained instructions")
			return
		}
		c.Objects[name] = no
		w.Header().Set("Etag", no.ETag)
		w.Header().Set("Last-Modified", no.LastModified.UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusCreated)
	case http.MethodGet, http.MethodHead:
		if o == nil {
			swiftNotFound(w)
			return
		}
		objectHeaders(w, o)
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(o.Data)
		}
	case http.MethodPost:
		if o == nil {
			swiftNotFound(w)
			return
		}
		o.Metadata = metaFrom(r.Header, "X-Object-Meta-")
		w.WriteHeader(http.StatusAccepted)
	case http.MethodDelete:
		if o == nil {
			swiftNotFound(w)
			return
		}
		delete(c.Objects, name)
		w.WriteHeader(http.StatusNoContent)
	default:
		swiftError(w, 405, "Method Not Allowed", "The method is not allowed for this resource.")
	}
}
