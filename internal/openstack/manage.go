package openstack

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/manageablevolumes"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
)

// Volume statuses this package waits on.
const (
	VolumeStatusAvailable     = "available"
	VolumeStatusErrorManaging = "error_managing"
	VolumeStatusDeleted       = "deleted" // gone: only a wait target
)

// ManageVolumeOpts names a backend object for Cinder to take over
// (manage-existing) and the volume it becomes.
type ManageVolumeOpts struct {
	// Host is the cinder-volume backend that holds the object
	// (host@backend, optionally #pool).
	Host string
	// Ref is the driver's reference to the object; the Pure driver takes
	// {"name": <array volume name>} and renames the object volume-<id>-cinder.
	Ref              map[string]string
	Name             string
	Description      string
	VolumeType       string
	AvailabilityZone string
	Bootable         bool
	Metadata         map[string]string
}

// ManageVolume asks Cinder to manage an existing backend object (POST
// /manageable_volumes, admin by Cinder's default policy: the admin
// credential when configured, else the main one, which a member's token
// cannot pass: ErrForbidden). The volume it returns is "managing"; wait for
// it with WaitForVolume.
func (s *Site) ManageVolume(ctx context.Context, opts ManageVolumeOpts) (*Volume, error) {
	c, err := s.reader().volumeClient(ctx, volumeMicroversion)
	if err != nil {
		return nil, err
	}
	var v volumeView
	err = manageablevolumes.ManageExisting(ctx, c, manageablevolumes.ManageExistingOpts{
		Host: opts.Host, Ref: opts.Ref, Name: opts.Name, Description: opts.Description,
		VolumeType: opts.VolumeType, AvailabilityZone: opts.AvailabilityZone, Bootable: opts.Bootable,
		Metadata: opts.Metadata,
	}).ExtractInto(&v)
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("manage %v on %s", opts.Ref, opts.Host), err)
	}
	out := v.volume()
	return &out, nil
}

// DeleteVolume deletes a volume (the driver destroys its backend object).
// A volume already gone is not an error.
func (s *Site) DeleteVolume(ctx context.Context, id string) error {
	c, err := s.main.volumeClient(ctx, volumeMicroversion)
	if err != nil {
		return err
	}
	if err := volumes.Delete(ctx, c, id, nil).ExtractErr(); err != nil && !isNotFound(err) {
		return s.wrap("delete volume "+id, err)
	}
	return nil
}

// Polling bounds of WaitForVolume: as for groups, start fast and back off.
const (
	volumePollFirst = 20 * time.Millisecond
	volumePollMax   = time.Second
)

// WaitForVolume polls a volume until its status is one of target (default
// "available"; VolumeStatusDeleted waits until it is gone), backing off
// from 20 ms to 1 s and honouring ctx. It fails at once on an error status
// that is not a target.
func (s *Site) WaitForVolume(ctx context.Context, id string, target ...string) (*Volume, error) {
	if len(target) == 0 {
		target = []string{VolumeStatusAvailable}
	}
	op := fmt.Sprintf("wait for volume %s to be %v", id, target)
	wait := volumePollFirst
	var last *Volume
	for {
		v, err := s.Volume(ctx, id)
		switch {
		case err != nil && isNotFound(err):
			if slices.Contains(target, VolumeStatusDeleted) {
				return last, nil
			}
			return nil, err
		case err != nil:
			return last, err
		}
		last = v
		if slices.Contains(target, v.Status) {
			return v, nil
		}
		switch v.Status {
		case "error", VolumeStatusErrorManaging, "error_deleting", "error_restoring", "error_extending":
			return v, s.errorf(op, fmt.Errorf("volume went to status %q", v.Status))
		}
		if err := sleep(ctx, wait); err != nil {
			return v, s.errorf(op, fmt.Errorf("still %q: %w", v.Status, err))
		}
		wait = min(wait*2, volumePollMax)
	}
}
