package engine

import (
	"fmt"
	"strings"
)

// Bounds of the async schedule, in seconds (the arrays accept minutes to
// days; a shorter interval than 5 minutes is rejected by Purity).
const (
	MinReplicationInterval = 300
	MaxReplicationInterval = 7 * 24 * 3600
)

func (spec PolicySpec) validate(replicationType string) error {
	for _, ep := range []struct{ name, url string }{{"primary_fa_url", spec.Primary.URL}, {"secondary_fa_url", spec.Secondary.URL}} {
		if !strings.HasPrefix(ep.url, "https://") {
			return &Error{Kind: KindInvalid, Object: ep.url, Detail: fmt.Sprintf("%s %q is not an HTTPS URL", ep.name, ep.url), Fix: "FlashArray management APIs are reached over HTTPS: use https://<array>"}
		}
	}
	if CanonicalArrayURL(spec.Primary.URL) == CanonicalArrayURL(spec.Secondary.URL) {
		return &Error{Kind: KindInvalid, Detail: "primary and secondary FlashArray URLs are the same", Fix: "Name the array of each site"}
	}
	if replicationType == ReplicationSync {
		if spec.ReplicationInterval != 0 || spec.RPOMinutes != 0 {
			return &Error{Kind: KindInvalid, Detail: "replication_interval and rpo_minutes apply to async groups only; a sync group replicates every write (zero RPO)", Fix: "Remove them from the policy"}
		}
		return nil
	}
	if spec.ReplicationInterval != 0 && (spec.ReplicationInterval < MinReplicationInterval || spec.ReplicationInterval > MaxReplicationInterval) {
		return &Error{Kind: KindInvalid, Detail: fmt.Sprintf("replication_interval %d s is outside %d..%d s", spec.ReplicationInterval, MinReplicationInterval, MaxReplicationInterval)}
	}
	if _, short := RPOTooShort(spec.RPOMinutes, spec.ReplicationInterval); spec.RPOMinutes < 0 || short {
		return &Error{Kind: KindInvalid, Detail: fmt.Sprintf("rpo_minutes %d is shorter than the replication interval (%d s): the RPO could never be met", spec.RPOMinutes, EffectiveInterval(spec.ReplicationInterval)), Fix: "Raise rpo_minutes or shorten replication_interval"}
	}
	return nil
}

// DefaultReplicationInterval is the interval, in seconds, of a policy that
// sets none: the Pure driver's pure_replica_interval_default.
const DefaultReplicationInterval = 3600

// EffectiveInterval is the interval a policy replicates at: its own, or
// DefaultReplicationInterval when it sets none (0).
func EffectiveInterval(seconds int64) int64 {
	if seconds == 0 {
		return DefaultReplicationInterval
	}
	return seconds
}

// RPOTooShort reports whether an RPO of rpoMinutes (0: none) can never be
// met at a replication interval of intervalSeconds (0: the default), and
// the shortest RPO, in minutes, that can.
func RPOTooShort(rpoMinutes, intervalSeconds int64) (minMinutes int64, tooShort bool) {
	interval := EffectiveInterval(intervalSeconds)
	return (interval + 59) / 60, rpoMinutes > 0 && rpoMinutes*60 < interval
}

// Interval is the replication interval a policy runs at, in seconds: the
// primary array's schedule is the truth (a schedule changed on the array
// shows there, and as drift); the metadata's, what was asked, stands in
// when the array reports none (a pod, a Pure group gone or without a
// schedule).
func (p *Policy) Interval() int64 {
	if p.ActualInterval != 0 {
		return p.ActualInterval
	}
	return p.ReplicationInterval
}
