package groups

import "github.com/gophercloud/gophercloud/v2"

func createURL(c *gophercloud.ServiceClient) string {
	return c.ServiceURL("groups")
}

func listURL(c *gophercloud.ServiceClient) string {
	return c.ServiceURL("groups", "detail")
}

func getURL(c *gophercloud.ServiceClient, id string) string {
	return c.ServiceURL("groups", id)
}

func updateURL(c *gophercloud.ServiceClient, id string) string {
	return getURL(c, id)
}

func actionURL(c *gophercloud.ServiceClient, id string) string {
	return c.ServiceURL("groups", id, "action")
}
