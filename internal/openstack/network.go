package openstack

import (
	"context"
	"errors"
	"net/url"

	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
)

// ErrNoNetworkService: the site's catalog has no network (Neutron)
// endpoint, or the endpoint does not serve the networking API.
var ErrNoNetworkService = errors.New("the site has no network service (Neutron)")

// Network is a Neutron network.
type Network struct {
	ID   string
	Name string
}

// Port is a Neutron port of a server: its network, fixed IPs and security
// groups.
type Port struct {
	ID             string
	NetworkID      string
	FixedIPs       []string
	SecurityGroups []string
}

// Networks lists the networks the main credential's project sees (its own,
// shared and external ones). ErrNoNetworkService when the site has none.
func (s *Site) Networks(ctx context.Context) ([]Network, error) {
	sc, err := s.main.serviceClient(ctx, serviceNetwork)
	if err != nil {
		return nil, err
	}
	pages, err := networks.List(sc, networks.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, s.networkErr("list networks", err)
	}
	list, err := networks.ExtractNetworks(pages)
	if err != nil {
		return nil, s.wrap("list networks", err)
	}
	out := make([]Network, 0, len(list))
	for _, n := range list {
		out = append(out, Network{ID: n.ID, Name: n.Name})
	}
	return out, nil
}

// ServerPorts lists the ports of a server (device_id). ErrNoNetworkService
// when the site has no Neutron.
func (s *Site) ServerPorts(ctx context.Context, serverID string) ([]Port, error) {
	sc, err := s.main.serviceClient(ctx, serviceNetwork)
	if err != nil {
		return nil, err
	}
	pages, err := ports.List(sc, ports.ListOpts{DeviceID: serverID}).AllPages(ctx)
	if err != nil {
		return nil, s.networkErr("list the ports of server "+serverID, err)
	}
	list, err := ports.ExtractPorts(pages)
	if err != nil {
		return nil, s.wrap("list the ports of server "+serverID, err)
	}
	out := make([]Port, 0, len(list))
	for _, p := range list {
		out = append(out, portOf(p))
	}
	return out, nil
}

// ProjectPorts lists the ports the main credential's project sees, by the
// server (device_id) they belong to, in one request: a refresh compares
// every member's ports with one listing. ErrNoNetworkService when the site
// has no Neutron.
func (s *Site) ProjectPorts(ctx context.Context) (map[string][]Port, error) {
	sc, err := s.main.serviceClient(ctx, serviceNetwork)
	if err != nil {
		return nil, err
	}
	pages, err := ports.List(sc, ports.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, s.networkErr("list ports", err)
	}
	list, err := ports.ExtractPorts(pages)
	if err != nil {
		return nil, s.wrap("list ports", err)
	}
	out := map[string][]Port{}
	for _, p := range list {
		if p.DeviceID != "" {
			out[p.DeviceID] = append(out[p.DeviceID], portOf(p))
		}
	}
	return out, nil
}

// portsOfDevices is a port listing filtered by several device_id values:
// Neutron answers with the ports of any of them.
type portsOfDevices []string

func (o portsOfDevices) ToPortListQuery() (string, error) {
	q := url.Values{"device_id": o}
	return "?" + q.Encode(), nil
}

// serversPerPortListing bounds the device ids of one port listing, so that
// its URL stays a few kilobytes long.
const serversPerPortListing = 40

// ServersPorts lists the ports of several servers, a listing per 40 of
// them (device_id repeated): a batch of members asks Neutron once, not once
// per server. ErrNoNetworkService when the site has no Neutron.
func (s *Site) ServersPorts(ctx context.Context, serverIDs []string) (map[string][]Port, error) {
	out := map[string][]Port{}
	if len(serverIDs) == 0 {
		return out, nil
	}
	sc, err := s.main.serviceClient(ctx, serviceNetwork)
	if err != nil {
		return nil, err
	}
	for start := 0; start < len(serverIDs); start += serversPerPortListing {
		ids := serverIDs[start:min(start+serversPerPortListing, len(serverIDs))]
		pages, err := ports.List(sc, portsOfDevices(ids)).AllPages(ctx)
		if err != nil {
			return nil, s.networkErr("list the ports of servers", err)
		}
		list, err := ports.ExtractPorts(pages)
		if err != nil {
			return nil, s.wrap("list the ports of servers", err)
		}
		for _, p := range list {
			out[p.DeviceID] = append(out[p.DeviceID], portOf(p))
		}
	}
	return out, nil
}

// portOf is a Neutron port as the DR logic needs it.
func portOf(p ports.Port) Port {
	port := Port{ID: p.ID, NetworkID: p.NetworkID, SecurityGroups: p.SecurityGroups}
	for _, ip := range p.FixedIPs {
		port.FixedIPs = append(port.FixedIPs, ip.IPAddress)
	}
	return port
}

// networkErr is wrap, with a network endpoint that does not serve the
// networking API (404 on its collections) told as no network service.
func (s *Site) networkErr(op string, err error) error {
	err = s.wrap(op, err)
	if errors.Is(err, ErrNotFound) {
		return ErrNoNetworkService
	}
	return err
}
