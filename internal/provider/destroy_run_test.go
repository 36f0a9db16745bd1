package provider

import "testing"

func TestCommandDestroys(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want bool
	}{
		{[]string{"tofu", "destroy", "-auto-approve"}, true},
		{[]string{"/usr/bin/terraform", "-chdir=envs/prod", "destroy"}, true},
		{[]string{"tofu", "apply", "-destroy", "-auto-approve"}, true},
		{[]string{"tofu", "plan", "--destroy=true", "-out=p"}, true},
		{[]string{"tofu", "plan", "-detailed-exitcode"}, false},
		{[]string{"tofu", "apply", "destroy"}, false}, // a plan file named destroy
		{[]string{"tofu", "apply", "-var=mode=destroy"}, false},
		{[]string{"go", "test", "./..."}, false},
		{[]string{"tofu"}, false},
		{nil, false},
	} {
		if got := commandDestroys(c.argv); got != c.want {
			t.Errorf("commandDestroys(%q) = %v, want %v", c.argv, got, c.want)
		}
	}
}
