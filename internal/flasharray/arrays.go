package flasharray

import (
	"context"
	"fmt"
	"net/url"
)

// Paths of the API areas, relative to /api/<version>.
const (
	pathArrays                  = "/arrays"
	pathArrayConnections        = "/array-connections"
	pathVolumes                 = "/volumes"
	pathProtectionGroups        = "/protection-groups"
	pathProtectionGroupVolumes  = "/protection-groups/volumes"
	pathProtectionGroupTargets  = "/protection-groups/targets"
	pathProtectionGroupSnaps    = "/protection-group-snapshots"
	pathProtectionGroupTransfer = "/protection-group-snapshots/transfer"
	pathPods                    = "/pods"
	pathPodArrays               = "/pods/arrays"
)

// Reference names another object (a pod, a source protection group).
type Reference struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Array is the array itself (GET /arrays).
type Array struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"` // Purity version, e.g. 6.5.3
	OS      string `json:"os"`
}

// Array returns the array's name, id and Purity version.
func (c *Client) Array(ctx context.Context) (*Array, error) {
	items, err := list[Array](ctx, c, pathArrays, nil, false)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("flasharray: GET %s on %s: no array in the answer", pathArrays, c.baseURL)
	}
	return &items[0], nil
}

// ArrayConnection is a connection from this array to a remote array; Name is
// the remote array's name.
type ArrayConnection struct {
	ID                   string   `json:"id"`
	Name                 string   `json:"name"`
	Status               string   `json:"status"` // connected, connecting, partially_connected, unbalanced
	Type                 string   `json:"type"`   // async-replication, sync-replication
	ManagementAddress    string   `json:"management_address"`
	ReplicationAddresses []string `json:"replication_addresses"`
	ReplicationTransport string   `json:"replication_transport"`
	Version              string   `json:"version"`
}

// ArrayConnections lists the arrays this one is connected to.
func (c *Client) ArrayConnections(ctx context.Context) ([]ArrayConnection, error) {
	return list[ArrayConnection](ctx, c, pathArrayConnections, url.Values{}, true)
}
