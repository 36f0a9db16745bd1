package openstack

import (
	"bytes"
	"context"
	"fmt"

	"github.com/gophercloud/gophercloud/v2/openstack/objectstorage/v1/containers"
	"github.com/gophercloud/gophercloud/v2/openstack/objectstorage/v1/objects"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// PutObjectOpts are the options of PutObject.
type PutObjectOpts struct {
	// IfNoneMatch sends "If-None-Match: *": the write succeeds only if the
	// object does not exist yet (Swift's only conditional PUT; it has no
	// If-Match). A lost race gives ErrPreconditionFailed.
	IfNoneMatch bool
	ContentType string
	// Metadata becomes X-Object-Meta-<key> headers.
	Metadata map[string]string
}

// EnsureContainer creates a container if it does not exist (Swift's PUT
// is idempotent: 201 created, 202 already there).
func (s *Site) EnsureContainer(ctx context.Context, container string) error {
	sc, err := s.main.serviceClient(ctx, serviceObject)
	if err != nil {
		return err
	}
	_, err = containers.Create(ctx, sc, container, containers.CreateOpts{}).Extract()
	return s.wrap(fmt.Sprintf("create container %q", container), err)
}

// PutObject writes an object. ErrPreconditionFailed when IfNoneMatch is set
// and the object exists; ErrNotFound when the container does not exist.
func (s *Site) PutObject(ctx context.Context, container, name string, data []byte, opts PutObjectOpts) error {
	sc, err := s.main.serviceClient(ctx, serviceObject)
	if err != nil {
		return err
	}
	co := objects.CreateOpts{
		Content:     bytes.NewReader(data),
		ContentType: opts.ContentType,
		Metadata:    opts.Metadata,
	}
	if opts.IfNoneMatch {
		co.IfNoneMatch = "*"
	}
	_, err = objects.Create(ctx, sc, container, name, co).Extract()
	return s.wrap(fmt.Sprintf("write object %s/%s", container, name), err)
}

// GetObject reads an object's content. ErrNotFound when it (or the
// container) does not exist.
func (s *Site) GetObject(ctx context.Context, container, name string) ([]byte, error) {
	sc, err := s.main.serviceClient(ctx, serviceObject)
	if err != nil {
		return nil, err
	}
	res := objects.Download(ctx, sc, container, name, nil)
	data, err := res.ExtractContent()
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("read object %s/%s", container, name), err)
	}
	return data, nil
}

// listPageSize is the limit sent with each listing page. A page shorter
// than the limit is the last one, so a small listing costs one request
// instead of the two that asking for an empty next page would.
const listPageSize = 1000

// ListObjects lists the object names of a container that start with prefix,
// following Swift's marker paging to the end. ErrNotFound when the container
// does not exist.
func (s *Site) ListObjects(ctx context.Context, container, prefix string) ([]string, error) {
	infos, err := s.ListObjectInfo(ctx, container, prefix)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(infos))
	for i, o := range infos {
		names[i] = o.Name
	}
	return names, nil
}

// ObjectInfo is an object as a container listing shows it.
type ObjectInfo struct {
	Name string
	// Hash is the MD5 of the content, in hex (Swift's ETag).
	Hash string
}

// ListObjectInfo is ListObjects with each object's content hash, which
// tells whether two objects hold the same bytes without reading them.
func (s *Site) ListObjectInfo(ctx context.Context, container, prefix string) ([]ObjectInfo, error) {
	sc, err := s.main.serviceClient(ctx, serviceObject)
	if err != nil {
		return nil, err
	}
	op := fmt.Sprintf("list objects %s/%s*", container, prefix)
	var out []ObjectInfo
	opts := objects.ListOpts{Prefix: prefix, Format: "json", Limit: listPageSize}
	err = objects.List(sc, container, opts).EachPage(ctx, func(_ context.Context, page pagination.Page) (bool, error) {
		batch, err := objects.ExtractInfo(page)
		if err != nil {
			return false, err
		}
		for _, o := range batch {
			out = append(out, ObjectInfo{Name: o.Name, Hash: o.Hash})
		}
		return len(batch) == listPageSize, nil
	})
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// DeleteObject deletes an object. ErrNotFound when it does not exist; the
// caller decides whether that matters.
func (s *Site) DeleteObject(ctx context.Context, container, name string) error {
	sc, err := s.main.serviceClient(ctx, serviceObject)
	if err != nil {
		return err
	}
	_, err = objects.Delete(ctx, sc, container, name, nil).Extract()
	return s.wrap(fmt.Sprintf("delete object %s/%s", container, name), err)
}
