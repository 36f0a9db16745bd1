package flasharraysim

import (
	"testing"
	"time"
)

// A protection group may live inside a pod as <pod>::<name>, as the Pure
// Cinder driver's consistency groups of sync types do; the pod must exist.
func TestProtectionGroupInsidePod(t *testing.T) {
	a := New(Options{Name: "fa"})
	if err := a.CreateProtectionGroup("cinder-pod::consisgroup-1-cinder"); err == nil {
		t.Fatal("a group in a pod that does not exist was created")
	}
	a.AddPod("cinder-pod")
	if err := a.CreateProtectionGroup("cinder-pod::consisgroup-1-cinder"); err != nil {
		t.Fatalf("group inside an existing pod: %v", err)
	}
	if _, ok := a.ProtectionGroup("cinder-pod::consisgroup-1-cinder"); !ok {
		t.Fatal("the group inside the pod is not listed")
	}
	if err := a.CreateProtectionGroup("src:pg"); err == nil {
		t.Fatal("a name with a single colon (a replicated view) was accepted")
	}
}

// A connection that is not connected shows in /array-connections on both
// arrays, and each array then sees the other offline in their stretched
// pod; reconnected, both are online again.
func TestConnectionStatusTakesThePodOffline(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	a := start(t, "fa-a", clk, 0)
	b := start(t, "fa-b", clk, 0)
	Connect(a, b)
	a.AddPod("cinder-pod", b)
	sa, sb := login(t, a), login(t, b)
	status := func(s *session, array string) string {
		for _, pa := range items(s.must("GET", "/pods?names=cinder-pod", nil))[0]["arrays"].([]any) {
			if m := pa.(map[string]any); m["name"] == array {
				return m["status"].(string)
			}
		}
		return "absent"
	}
	SetConnectionStatus(a, b, "partially_connected")
	for _, s := range []*session{sa, sb} {
		if c := items(s.must("GET", "/array-connections", nil)); len(c) != 1 || c[0]["status"] != "partially_connected" {
			t.Fatalf("connections %v", c)
		}
	}
	if got := status(sa, "fa-b"); got != "offline" {
		t.Errorf("fa-a sees fa-b %s in the pod, want offline", got)
	}
	if got := status(sa, "fa-a"); got != "online" {
		t.Errorf("fa-a sees itself %s in the pod, want online", got)
	}
	if got := status(sb, "fa-a"); got != "offline" {
		t.Errorf("fa-b sees fa-a %s in the pod, want offline", got)
	}
	SetConnectionStatus(a, b, "connected")
	if got := status(sa, "fa-b"); got != "online" {
		t.Errorf("reconnected: fa-a sees fa-b %s, want online", got)
	}
}
