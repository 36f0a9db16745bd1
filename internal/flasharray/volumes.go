package flasharray

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Volume is an array volume. A volume in a pod is named <pod>::<name>.
type Volume struct {
	ID              string
	Name            string
	Serial          string
	Provisioned     int64
	Created         time.Time
	Destroyed       bool
	Pod             *Reference // nil outside a pod
	PromotionStatus string
	Subtype         string
	// Source is what the volume was copied from (a volume, or a volume
	// snapshot such as flasharray-a:pg.1.volume-x-cinder); empty for none.
	Source string
}

type volumeWire struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	Serial          string     `json:"serial"`
	Provisioned     int64      `json:"provisioned"`
	Created         *int64     `json:"created"`
	Destroyed       bool       `json:"destroyed"`
	Pod             *Reference `json:"pod"`
	PromotionStatus string     `json:"promotion_status"`
	Subtype         string     `json:"subtype"`
	Source          *Reference `json:"source"`
}

func (w volumeWire) volume() Volume {
	v := Volume{ID: w.ID, Name: w.Name, Serial: w.Serial, Provisioned: w.Provisioned, Created: millis(w.Created),
		Destroyed: w.Destroyed, PromotionStatus: w.PromotionStatus, Subtype: w.Subtype}
	// A volume outside a pod has no pod, or one without a name (null).
	if w.Pod != nil && w.Pod.Name != "" {
		p := *w.Pod
		v.Pod = &p
	}
	if w.Source != nil {
		v.Source = w.Source.Name
	}
	return v
}

// Volumes returns the named volumes that exist (all volumes when no name is
// given). The array refuses a whole request with 400 "does not exist" when
// one name is unknown; those names are dropped and the rest asked again, so
// a missing volume is simply absent from the result.
func (c *Client) Volumes(ctx context.Context, names ...string) ([]Volume, error) {
	want := slices.Clone(names)
	for len(names) == 0 || len(want) > 0 {
		q := url.Values{}
		if len(want) > 0 {
			q.Set("names", csv(want...))
		}
		wires, err := list[volumeWire](ctx, c, pathVolumes, q, true)
		if err == nil {
			out := make([]Volume, 0, len(wires))
			for _, w := range wires {
				out = append(out, w.volume())
			}
			return out, nil
		}
		if len(want) == 0 || !IsNotFound(err) {
			return nil, err
		}
		next := withoutMissing(err, want)
		if len(next) == len(want) {
			// The array did not say which names are missing: ask one by one.
			return c.volumesOneByOne(ctx, want)
		}
		want = next
	}
	return []Volume{}, nil
}

func (c *Client) volumesOneByOne(ctx context.Context, names []string) ([]Volume, error) {
	out := []Volume{}
	for _, n := range names {
		wires, err := list[volumeWire](ctx, c, pathVolumes, url.Values{"names": {n}}, true)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, w := range wires {
			out = append(out, w.volume())
		}
	}
	return out, nil
}

// withoutMissing drops the names the error's contexts report as missing.
func withoutMissing(err error, want []string) []string {
	var ae *APIError
	if !errors.As(err, &ae) {
		return want
	}
	missing := map[string]bool{}
	for _, it := range ae.Errors {
		if it.Context != "" {
			missing[it.Context] = true
		}
	}
	var keep []string
	for _, n := range want {
		if !missing[n] {
			keep = append(keep, n)
		}
	}
	return keep
}

// MoveVolumeToPod moves a volume into a pod (PATCH /volumes with pod.name);
// the volume is then named <pod>::<name>. An empty pod moves it out of its pod.
func (c *Client) MoveVolumeToPod(ctx context.Context, name, pod string) (*Volume, error) {
	body := map[string]any{"pod": map[string]string{"name": pod}}
	w, err := first[volumeWire](ctx, c, http.MethodPatch, pathVolumes, url.Values{"names": {name}}, body)
	if err != nil {
		return nil, err
	}
	v := w.volume()
	return &v, nil
}

// CopyVolume makes volume name a copy of source (POST /volumes with
// source.name): a volume, or a volume snapshot of a protection group
// snapshot, replicated ones included (<source array>:<pg>.<suffix>.<volume>
// on the target array). overwrite replaces an existing volume's contents;
// without it an existing name is refused (IsAlreadyExists).
func (c *Client) CopyVolume(ctx context.Context, name, source string, overwrite bool) (*Volume, error) {
	q := url.Values{"names": {name}}
	if overwrite {
		q.Set("overwrite", "true")
	}
	body := map[string]any{"source": map[string]string{"name": source}}
	w, err := first[volumeWire](ctx, c, http.MethodPost, pathVolumes, q, body)
	if err != nil {
		return nil, err
	}
	v := w.volume()
	return &v, nil
}

// DestroyVolume destroys a volume (PATCH destroyed=true) and, with
// eradicate, eradicates it (DELETE, which the array accepts only for a
// destroyed volume). A volume that does not exist is not an error.
func (c *Client) DestroyVolume(ctx context.Context, name string, eradicate bool) error {
	vols, err := c.Volumes(ctx, name)
	if err != nil || len(vols) == 0 {
		return err
	}
	q := url.Values{"names": {name}}
	if !vols[0].Destroyed {
		if _, err := c.call(ctx, http.MethodPatch, pathVolumes, q, map[string]bool{"destroyed": true}, nil); err != nil {
			return err
		}
	}
	if !eradicate {
		return nil
	}
	_, err = c.call(ctx, http.MethodDelete, pathVolumes, q, nil, nil)
	return err
}
