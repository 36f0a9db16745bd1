package engine

import "testing"

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
