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
	c, err := s.reader().volumeClient(ctx)
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
	c, err := s.main.volumeClient(ctx)
	if err != nil {
		return err
	}
	if err := volumes.Delete(ctx, c, id, nil).ExtractErr(); err != nil && !isNotFound(err) {
		return s.wrap("delete volume "+id, err)
	}
	return nil
}

// WaitForVolume polls a volume until its status is one of target (default
// "available"; VolumeStatusDeleted waits until it is gone), backing off
// from 20 ms to 1 s and honouring ctx. It fails at once on an error status
// that is not a target.
func (s *Site) WaitForVolume(ctx context.Context, id string, target ...string) (*Volume, error) {
	if len(target) == 0 {
		target = []string{VolumeStatusAvailable}
	}
	op := fmt.Sprintf("wait for volume %s to be %v", id, target)
	v, gone, err := waitForStatus(ctx, s, op, func() (*Volume, string, error) {
		v, err := s.Volume(ctx, id)
		if err != nil {
			return nil, "", err
		}
		return v, v.Status, nil
	}, target, "error", VolumeStatusErrorManaging, "error_deleting", "error_restoring", "error_extending")
	if gone {
		if slices.Contains(target, VolumeStatusDeleted) {
			return nil, nil
		}
		return nil, err
	}
	return v, err
}

// Polling bounds of waitForStatus: Cinder settles groups and volumes in
// well under a second on a healthy site, so start fast and back off.
const (
	pollFirst = 20 * time.Millisecond
	pollMax   = time.Second
)

// learnedMax bounds the first sleep a learned transition time asks for.
const learnedMax = 30 * time.Second

// waitForStatus reads an object until its status is one of target, backing
// off from pollFirst to pollMax and honouring ctx. An error status that is
// not a target fails at once; a read that finds nothing returns gone with
// the read's error, which the caller turns into success when it waited for
// the object to go.
//
// A site's transitions of one kind take about as long each time (on a real
// cloud a group update takes seconds): the wait remembers how long the last
// one from the same status took and sleeps three quarters of that before
// it asks again, instead of polls that back off past the moment the object
// settled (up to pollMax too late) and cost requests meanwhile.
func waitForStatus[T any](ctx context.Context, s *Site, op string, read func() (T, string, error), target []string, failed ...string) (_ T, gone bool, _ error) {
	start := time.Now()
	wait := pollFirst
	key := ""
	var last T
	var pending time.Duration // when a read last found it not settled
	for {
		asked := time.Since(start)
		obj, status, err := read()
		switch {
		case err != nil && isNotFound(err):
			return last, true, err
		case err != nil:
			return last, false, err
		}
		last = obj
		if slices.Contains(target, status) {
			if key != "" {
				// It settled between the last two reads.
				s.learnTransition(key, (pending+asked)/2)
			}
			return obj, false, nil
		}
		if slices.Contains(failed, status) {
			return obj, false, s.errorf(op, fmt.Errorf("went to status %q", status))
		}
		pending = asked
		nap := wait
		if key == "" {
			key = fmt.Sprintf("%T %s", obj, status)
			if d := s.learnedTransition(key); d > 0 {
				nap = max(min(d*3/4, learnedMax)-time.Since(start), pollFirst)
			}
		} else {
			wait = min(wait*2, pollMax)
		}
		if err := sleep(ctx, nap); err != nil {
			return obj, false, s.errorf(op, fmt.Errorf("still %q: %w", status, err))
		}
	}
}

// learnTransition records how long a wait from a status took.
func (s *Site) learnTransition(key string, took time.Duration) {
	s.transitionsMu.Lock()
	defer s.transitionsMu.Unlock()
	if s.transitions == nil {
		s.transitions = map[string]time.Duration{}
	}
	s.transitions[key] = took
}

// learnedTransition is how long the last wait from a status took (0: none yet).
func (s *Site) learnedTransition(key string) time.Duration {
	s.transitionsMu.Lock()
	defer s.transitionsMu.Unlock()
	return s.transitions[key]
}
