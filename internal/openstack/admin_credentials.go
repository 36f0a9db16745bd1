package openstack

// WithSiteLocation is an admin credential as a site uses it: one that names
// neither a cloud nor an auth URL logs in where the site does (the same
// clouds.yaml entry, or auth URL and project), with the site's region and
// TLS settings; the admin's own fields override the entry's. One that names
// either is returned as it is.
func (c Credentials) WithSiteLocation(site Credentials) Credentials {
	if c.Cloud != "" || c.AuthURL != "" {
		return c
	}
	c.Cloud = site.Cloud
	c.AuthURL = site.AuthURL
	if c.Region == "" {
		c.Region = site.Region
	}
	if c.CACertFile == "" {
		c.CACertFile = site.CACertFile
	}
	if !c.Insecure {
		c.Insecure = site.Insecure
	}
	// Inline sites have no entry to fill the project from: the admin works
	// in the site's project unless it names one.
	if site.Cloud == "" && c.ProjectName == "" && c.ProjectID == "" {
		c.ProjectName, c.ProjectID = site.ProjectName, site.ProjectID
		if c.ProjectDomainName == "" {
			c.ProjectDomainName = site.ProjectDomainName
		}
	}
	return c
}
