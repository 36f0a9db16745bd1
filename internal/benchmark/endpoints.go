package benchmark

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

var (
	uuidRE   = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	hex32RE  = regexp.MustCompile(`(?i)\b[0-9a-f]{32}\b`)
	numberRE = regexp.MustCompile(`^[0-9]+$`)
	// An API version segment of the arrays' REST API (/api/2.26/...).
	apiVersionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

// Endpoint names what a request did, without the ids it did it to:
// "GET /volume/v3/{id}/volumes/{id}". Ids (UUIDs, 32-hex project ids,
// numbers) become {id} or {n} wherever they appear in a path segment; in
// Swift object names the segment after "names" (a group's name) becomes
// {name}. The names of the query parameters (not their values) are kept,
// sorted, after a "?", since they tell apart calls to one path
// (volumes/detail?group_id); so is the value of Swift's prefix parameter,
// normalised the same way (it says which listing it is).
func Endpoint(method, path, rawQuery string) string {
	ep := strings.ToUpper(method) + " " + normalizePath(path)
	if rawQuery != "" {
		if q, err := url.ParseQuery(rawQuery); err == nil && len(q) > 0 {
			keys := make([]string, 0, len(q))
			for k := range q {
				if k == "prefix" {
					k += "=" + normalizePath(q.Get(k))
				}
				keys = append(keys, k)
			}
			sort.Strings(keys)
			ep += "?" + strings.Join(keys, "&")
		}
	}
	return ep
}

func normalizePath(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, "AUTH_"):
			segs[i] = "AUTH_{id}"
			continue
		case i > 0 && segs[i-1] == "names":
			segs[i] = "{name}"
			continue
		case apiVersionRE.MatchString(s):
			continue
		}
		s = uuidRE.ReplaceAllString(s, "{id}")
		s = hex32RE.ReplaceAllString(s, "{id}")
		if numberRE.MatchString(s) {
			s = "{n}"
		}
		segs[i] = s
	}
	return strings.Join(segs, "/")
}

// Count is how many requests one endpoint of one server saw.
type Count struct {
	Server   string // site-a, site-b, flasharray-a, flasharray-b
	Endpoint string
	N        int
}

// Tally groups the requests each server saw by endpoint.
type Tally struct {
	// PeakInFlight is the most requests (all servers) that arrived within
	// one latency of each other: with a fixed latency per request, about
	// the most requests the provider had in flight at once. Zero when no
	// latency was set.
	PeakInFlight int

	// PerServer is the total of each server.
	PerServer map[string]int
	// Counts, most requests first (then by server and endpoint).
	Counts []Count
}

// Total is the number of requests of every server.
func (t Tally) Total() int {
	n := 0
	for _, c := range t.PerServer {
		n += c
	}
	return n
}

// TallyRequests groups the recorded requests of each server by endpoint;
// latency is the one every server adds (for PeakInFlight).
func TallyRequests(byServer map[string][]fault.Request, latency time.Duration) Tally {
	t := Tally{PerServer: map[string]int{}}
	var arrivals []time.Time
	for _, reqs := range byServer {
		for _, r := range reqs {
			arrivals = append(arrivals, r.Time)
		}
	}
	if latency > 0 {
		sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
		first := 0
		for i, at := range arrivals {
			for at.Sub(arrivals[first]) >= latency {
				first++
			}
			t.PeakInFlight = max(t.PeakInFlight, i-first+1)
		}
	}
	idx := map[[2]string]int{}
	for server, reqs := range byServer {
		t.PerServer[server] += len(reqs)
		for _, r := range reqs {
			k := [2]string{server, Endpoint(r.Method, r.Path, r.Query)}
			i, ok := idx[k]
			if !ok {
				i = len(t.Counts)
				idx[k] = i
				t.Counts = append(t.Counts, Count{Server: server, Endpoint: k[1]})
			}
			t.Counts[i].N++
		}
	}
	sort.Slice(t.Counts, func(i, j int) bool {
		a, b := t.Counts[i], t.Counts[j]
		if a.N != b.N {
			return a.N > b.N
		}
		if a.Server != b.Server {
			return a.Server < b.Server
		}
		return a.Endpoint < b.Endpoint
	})
	return t
}
