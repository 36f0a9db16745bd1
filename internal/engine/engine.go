package engine

import (
	"context"
	"sync"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/flasharray"
	"github.com/protector-dr/terraform-provider-protector/internal/openstack"
)

// Logger receives the engine's log lines. The provider adapts it to tflog.
// Fields never carry secrets.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Engine is safe for concurrent use by the resources of one provider.
type Engine struct {
	cfg Config
	now func() time.Time

	mu           sync.Mutex
	sites        map[string]*openstack.Site
	arrays       map[string]*flasharray.Client // by canonical url + "\x00" + token
	tokens       map[string]string             // canonical url -> token seen in this process
	groupSites   map[string]string             // group id -> primary site
	groupWhere   map[string][]string           // group id -> the sites the state says it lives on
	groupLocks   map[string]chan struct{}
	memberQueues map[string][]*memberChange                    // group id -> changes waiting for its lock
	probes       map[string]*sharedRead[struct{}]              // site -> shared reachability check of the plan-time checks
	reads        map[string]*sharedRead[*groupRead]            // shared reads of a group's metadata
	plannedReads map[string]*sharedRead[*groupRead]            // shared reads of a planned group (nil: not created yet)
	written      map[string]*writtenVersion                    // group id -> the version this process wrote last
	types        map[string]*openstack.VolumeType              // site + "\x00" + name or id
	typeReads    map[string]*sharedRead[*openstack.VolumeType] // the read of a type under way
	arrayNames   map[string]string                             // canonical url -> the array's own name
	planned      map[string]*plannedGroup                      // group id -> a group a plan of this process proposes (planned.go)
	backends     map[string]*backendClaim                      // group id -> the backend of the first member planned into it
	instances    map[string]*instanceRead                      // site + "\x00" + instance id -> a member check's read, for its add
	expected     map[string]map[string]time.Time               // group id -> instance id -> when its check started (its add may follow)
	drills       map[string]bool                               // drill ids this process read or started (drill.go)
	gatherings   map[string]*instanceGathering                 // site -> the instance reads waiting to be answered together
}

// New returns an engine; it makes no network call until first used (or
// until Prewarm starts the logins early).
func New(cfg Config) *Engine {
	tokens := map[string]string{}
	for url, token := range cfg.ArrayTokens {
		tokens[CanonicalArrayURL(url)] = token
	}
	return &Engine{
		cfg:          cfg,
		now:          func() time.Time { return time.Now().UTC() },
		sites:        map[string]*openstack.Site{},
		arrays:       map[string]*flasharray.Client{},
		tokens:       tokens,
		groupSites:   map[string]string{},
		groupWhere:   map[string][]string{},
		groupLocks:   map[string]chan struct{}{},
		memberQueues: map[string][]*memberChange{},
		probes:       map[string]*sharedRead[struct{}]{},
		reads:        map[string]*sharedRead[*groupRead]{},
		plannedReads: map[string]*sharedRead[*groupRead]{},
		written:      map[string]*writtenVersion{},
		types:        map[string]*openstack.VolumeType{},
		typeReads:    map[string]*sharedRead[*openstack.VolumeType]{},
		arrayNames:   map[string]string{},
		planned:      map[string]*plannedGroup{},
		backends:     map[string]*backendClaim{},
		instances:    map[string]*instanceRead{},
		expected:     map[string]map[string]time.Time{},
		drills:       map[string]bool{},
		gatherings:   map[string]*instanceGathering{},
	}
}

func (e *Engine) debug(ctx context.Context, msg string, fields map[string]any) {
	if e.cfg.Logger != nil {
		e.cfg.Logger.Debug(ctx, msg, fields)
	}
}
