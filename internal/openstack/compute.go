package openstack

import (
	"context"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"
)

// novaMicroversion: 2.3 adds OS-EXT-SRV-ATTR:root_device_name (admin-only
// by default) and delete_on_termination in volumes_attached.
const novaMicroversion = "2.3"

// Server is a Nova server as the DR logic needs it.
type Server struct {
	ID     string
	Name   string
	Status string
	// RootDeviceName is OS-EXT-SRV-ATTR:root_device_name (e.g. /dev/vda);
	// RootDeviceVisible says whether the answer carried it (admin view).
	RootDeviceName    string
	RootDeviceVisible bool
	// VolumeIDs are os-extended-volumes:volumes_attached, in Nova's order.
	VolumeIDs []string
	// Details is the same answer as ServerDetails gives it (the server is
	// read at 2.47): a member check and the recovery description share one
	// read.
	Details *ServerDetails
}

// VolumeAttachment is one entry of GET /servers/{id}/os-volume_attachments.
type VolumeAttachment struct {
	VolumeID string
	ServerID string
	Device   string
}

// ServerVolumes lists the servers of the project with the ids of their
// attached volumes (os-extended-volumes:volumes_attached), following
// Nova's pages: one request answers, for many VMs, whether each still
// exists and which volumes it has now. It uses the main credential, whose
// project owns the VMs.
func (s *Site) ServerVolumes(ctx context.Context) (map[string][]string, error) {
	sc, err := s.main.serviceClient(ctx, serviceCompute)
	if err != nil {
		return nil, err
	}
	c := *sc
	c.Microversion = novaMicroversion
	type page struct {
		Servers []struct {
			ID       string `json:"id"`
			Attached []struct {
				ID string `json:"id"`
			} `json:"os-extended-volumes:volumes_attached"`
		} `json:"servers"`
		Links []gophercloud.Link `json:"servers_links"`
	}
	out := map[string][]string{}
	err = listPages(ctx, &c, c.ServiceURL("servers", "detail"), func(p *page) []gophercloud.Link {
		for _, sv := range p.Servers {
			ids := []string{}
			for _, a := range sv.Attached {
				ids = append(ids, a.ID)
			}
			out[sv.ID] = ids
		}
		return p.Links
	})
	if err != nil {
		return nil, s.wrap("list servers", err)
	}
	return out, nil
}

// Server reads a server, with the admin credential when configured so the
// root device name is visible, at 2.47 so that the same answer carries
// what a recovery needs (Details). ErrNotFound when it does not exist.
func (s *Site) Server(ctx context.Context, id string) (*Server, error) {
	op := "read server " + id
	sc, err := s.reader().serviceClient(ctx, serviceCompute)
	if err != nil {
		return nil, err
	}
	c := *sc
	c.Microversion = flavorMicroversion
	res := servers.Get(ctx, &c, id)
	var a serverAnswer
	if err := res.ExtractInto(&a.serverView); err != nil {
		return nil, s.wrap(op, err)
	}
	if err := res.ExtractInto(&a.serverChecked); err != nil {
		return nil, s.wrap(op, err)
	}
	return a.server(), nil
}

// serverAnswer is a server as GET /servers/{id} and /servers/detail answer
// it: what a recovery needs (serverView) and what a member check does.
type serverAnswer struct {
	serverView
	serverChecked
}

type serverChecked struct {
	Status     string  `json:"status"`
	RootDevice *string `json:"OS-EXT-SRV-ATTR:root_device_name"`
}

func (a *serverAnswer) server() *Server {
	details := a.details()
	out := &Server{ID: details.ID, Name: details.Name, Status: a.Status, VolumeIDs: details.VolumeIDs, Details: details}
	if a.RootDevice != nil {
		out.RootDeviceName, out.RootDeviceVisible = *a.RootDevice, true
	}
	return out
}

// ProjectServers lists the servers of the main credential's project as
// Server reads each (admin credential when configured, narrowed to that
// project), following Nova's pages: one request for a page of servers
// (up to Nova's max_limit, 1000) instead of one per server.
func (s *Site) ProjectServers(ctx context.Context) ([]*Server, error) {
	op := "list servers"
	r := s.reader()
	sc, err := r.serviceClient(ctx, serviceCompute)
	if err != nil {
		return nil, err
	}
	c := *sc
	c.Microversion = flavorMicroversion
	query, err := s.projectQuery(ctx, r)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	type page struct {
		Servers []serverAnswer     `json:"servers"`
		Links   []gophercloud.Link `json:"servers_links"`
	}
	var out []*Server
	err = listPages(ctx, &c, c.ServiceURL("servers", "detail")+query, func(p *page) []gophercloud.Link {
		for i := range p.Servers {
			out = append(out, p.Servers[i].server())
		}
		return p.Links
	})
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// ServerVolumeAttachments lists the volumes attached to a server with their
// devices (os-volume_attachments). ErrNotFound when the server does not
// exist.
func (s *Site) ServerVolumeAttachments(ctx context.Context, id string) ([]VolumeAttachment, error) {
	op := "list volume attachments of server " + id
	sc, err := s.main.serviceClient(ctx, serviceCompute)
	if err != nil {
		return nil, err
	}
	c := *sc
	c.Microversion = novaMicroversion
	pages, err := volumeattach.List(&c, id).AllPages(ctx)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	list, err := volumeattach.ExtractVolumeAttachments(pages)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	out := make([]VolumeAttachment, 0, len(list))
	for _, a := range list {
		out = append(out, VolumeAttachment{VolumeID: a.VolumeID, ServerID: a.ServerID, Device: a.Device})
	}
	return out, nil
}
