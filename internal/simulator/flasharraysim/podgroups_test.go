package flasharraysim

import "testing"

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
