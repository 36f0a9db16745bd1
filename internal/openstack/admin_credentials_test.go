package openstack

import "testing"

func TestAdminWithSiteLocation(t *testing.T) {
	inline := Credentials{AuthURL: "https://keystone/v3", Region: "r1", ProjectName: "p", ProjectDomainName: "d", CACertFile: "ca.pem"}
	got := Credentials{Username: "admin"}.WithSiteLocation(inline)
	want := Credentials{Username: "admin", AuthURL: "https://keystone/v3", Region: "r1", ProjectName: "p", ProjectDomainName: "d", CACertFile: "ca.pem"}
	if got != want {
		t.Errorf("admin of an inline site = %+v, want %+v", got, want)
	}
	entry := Credentials{Cloud: "dr", Region: "r2", ProjectName: "p"}
	got = Credentials{Username: "admin", Region: "own"}.WithSiteLocation(entry)
	if got.Cloud != "dr" || got.Region != "own" || got.ProjectName != "" {
		t.Errorf("admin of a clouds.yaml site = %+v, want the entry, its own region and the entry's project", got)
	}
	own := Credentials{Cloud: "admin-entry"}
	if got := own.WithSiteLocation(entry); got != own {
		t.Errorf("admin with its own entry = %+v, want it unchanged", got)
	}
}
