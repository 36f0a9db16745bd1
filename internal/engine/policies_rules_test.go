package engine

import (
	"strings"
	"testing"
	"time"
)

// The RPO rule and the default interval, which the provider's validation
// and the engine's both use: an RPO shorter than the interval (its default
// when none is set) can never be met.
func TestRPOTooShort(t *testing.T) {
	for _, c := range []struct {
		rpo, interval, wantMin int64
		short                  bool
	}{
		{15, 300, 5, false},
		{4, 300, 5, true},
		{30, 0, 60, true}, // the default interval, 3600 s
		{60, 0, 60, false},
		{0, 7200, 120, false}, // no RPO: nothing to meet
		{1, 61, 2, true},
	} {
		minRPO, short := RPOTooShort(c.rpo, c.interval)
		if minRPO != c.wantMin || short != c.short {
			t.Errorf("RPOTooShort(%d, %d) = %d, %v; want %d, %v", c.rpo, c.interval, minRPO, short, c.wantMin, c.short)
		}
	}
	if got := EffectiveInterval(0); got != DefaultReplicationInterval || DefaultReplicationInterval != 3600 {
		t.Errorf("EffectiveInterval(0) = %d, default %d; want the Pure driver's 3600", got, DefaultReplicationInterval)
	}
	if err := (PolicySpec{RPOMinutes: 30}).validate(ReplicationAsync); err == nil {
		t.Error("a 30-minute RPO at the default hourly interval was accepted")
	}
}

// An RPO beyond a year is refused by the engine as by the provider's
// schema.
func TestRPOAtMostAYear(t *testing.T) {
	spec := PolicySpec{Primary: ArrayEndpoint{URL: "https://array-a"}, Secondary: ArrayEndpoint{URL: "https://array-b"}}
	spec.RPOMinutes = MaxRPOMinutes
	if err := spec.validate(ReplicationAsync); err != nil {
		t.Errorf("an RPO of a year: %v", err)
	}
	spec.RPOMinutes = MaxRPOMinutes + 1
	if err := spec.validate(ReplicationAsync); !IsKind(err, KindInvalid) || !strings.Contains(err.Error(), "outside 1..525600") {
		t.Errorf("an RPO beyond a year: %v, want it refused", err)
	}
}

// A policy's schedule attributes: an async policy's interval is the
// array's (else what it asked), a sync policy has none; a pod replicates
// while stretched.
func TestPolicySchedule(t *testing.T) {
	async := &Policy{ReplicationType: ReplicationAsync, PolicyRecord: PolicyRecord{ReplicationInterval: 600, RPOMinutes: 15}, ActualInterval: 900}
	if interval, rpo, applies := async.Schedule(); interval != 900 || rpo != 15 || !applies {
		t.Errorf("async schedule = %d, %d, %v; want the array's 900, 15, true", interval, rpo, applies)
	}
	sync := &Policy{ReplicationType: ReplicationSync}
	if _, _, applies := sync.Schedule(); applies {
		t.Error("a sync policy has a schedule")
	}
}

// The warning of a policy read past its RPO says how old the newest
// replicated snapshot is, since when, and what to check.
func TestRPOBreach(t *testing.T) {
	p := &Policy{GroupID: "pg-1", PolicyRecord: PolicyRecord{PureGroupName: "pg-prod-web-app", RPOMinutes: 15,
		PrimaryArrayName: "flasharray-a", SecondaryArrayName: "flasharray-b"},
		Readiness: &Readiness{Lag: 20*time.Minute + 300*time.Millisecond, RPO: 15 * time.Minute,
			LastReplicated: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}}
	got := p.RPOBreach()
	for _, want := range []string{"replicated to flasharray-b is 20m0s old (since 2026-12-05T10:00:00Z)", "beyond the RPO of 15 minutes",
		"replication schedule of pg-prod-web-app on flasharray-a"} {
		if !strings.Contains(got, want) {
			t.Errorf("RPOBreach() = %q, want it to say %q", got, want)
		}
	}
	p.Readiness.LastReplicated = time.Time{}
	if got := p.RPOBreach(); !strings.Contains(got, "nothing has been replicated yet") {
		t.Errorf("RPOBreach() before the first snapshot = %q", got)
	}
	p.Readiness.Compliant = true
	if got := p.RPOBreach(); got != "" {
		t.Errorf("a compliant policy breaches: %q", got)
	}
	if got := (&Policy{}).RPOBreach(); got != "" {
		t.Errorf("a policy without readiness breaches: %q", got)
	}
}
