package engine

import (
	"fmt"
	"strings"
	"time"
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
	if problem := SameArrayProblem(spec.Primary.URL, spec.Secondary.URL); problem != "" {
		return &Error{Kind: KindInvalid, Detail: problem}
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
	if spec.RPOMinutes < 0 || spec.RPOMinutes > MaxRPOMinutes {
		return &Error{Kind: KindInvalid, Detail: fmt.Sprintf("rpo_minutes %d is outside 1..%d (a year)", spec.RPOMinutes, MaxRPOMinutes)}
	}
	if problem := RPOProblem(spec.RPOMinutes, spec.ReplicationInterval); problem != "" {
		return &Error{Kind: KindInvalid, Detail: problem}
	}
	return nil
}

// SameArrayProblem says why a policy naming one FlashArray for both sites
// is refused ("" when the URLs name two arrays, however spelt).
func SameArrayProblem(primaryURL, secondaryURL string) string {
	if CanonicalArrayURL(primaryURL) != CanonicalArrayURL(secondaryURL) {
		return ""
	}
	return fmt.Sprintf("primary_fa_url and secondary_fa_url both name %s. Replication needs the array of each site: set "+
		"secondary_fa_url to the management URL of the secondary site's FlashArray.", secondaryURL)
}

// RPOProblem says why an RPO of rpoMinutes can never be met at a
// replication interval of intervalSeconds (0: the default), and what to set
// instead; "" when it can (or no RPO is set).
func RPOProblem(rpoMinutes, intervalSeconds int64) string {
	minRPO, short := RPOTooShort(rpoMinutes, intervalSeconds)
	if !short {
		return ""
	}
	fromDefault := ""
	if intervalSeconds == 0 {
		fromDefault = " (the default when replication_interval is not set)"
	}
	advice := fmt.Sprintf("Set rpo_minutes to at least %d", minRPO)
	if rpoMinutes*60 >= MinReplicationInterval {
		advice += fmt.Sprintf(", or replication_interval to at most %d", rpoMinutes*60)
	} else {
		advice += fmt.Sprintf(" (the shortest replication_interval is %d s)", MinReplicationInterval)
	}
	return fmt.Sprintf("rpo_minutes = %d is shorter than the replication interval of %d s%s: snapshots would arrive too "+
		"rarely to ever meet the RPO. %s.", rpoMinutes, EffectiveInterval(intervalSeconds), fromDefault, advice)
}

// MaxRPOMinutes is a year: beyond it an RPO means nothing.
const MaxRPOMinutes = 365 * 24 * 60

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

// Schedule is what a policy's schedule attributes read: the interval it
// runs at and its RPO in minutes (0: none). applies is false for a sync
// group, which replicates every write and has neither.
func (p *Policy) Schedule() (intervalSeconds, rpoMinutes int64, applies bool) {
	if p.ReplicationType == ReplicationSync {
		return 0, 0, false
	}
	return p.Interval(), p.RPOMinutes, true
}

// RPOBreach says, for a policy read with its readiness, that the newest
// snapshot replicated to the secondary array is older than the RPO, and
// what to check; "" when it is within the RPO (or none is set).
func (p *Policy) RPOBreach() string {
	rd := p.Readiness
	if rd == nil || rd.Compliant {
		return ""
	}
	since := "the policy was created; nothing has been replicated yet"
	if !rd.LastReplicated.IsZero() {
		since = rd.LastReplicated.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("The newest snapshot replicated to %s is %s old (since %s), beyond the RPO of %d minutes. "+
		"Check the array connection and the replication schedule of %s on %s.",
		p.SecondaryArrayName, rd.Lag.Round(time.Second), since, p.RPOMinutes, p.PureGroupName, p.PrimaryArrayName)
}
