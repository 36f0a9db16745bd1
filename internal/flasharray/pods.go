package flasharray

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Pod is an ActiveCluster pod. A pod stretched to two arrays lists both in
// Arrays; each must be online for the pod to replicate synchronously.
type Pod struct {
	ID              string
	Name            string
	Destroyed       bool
	ArrayCount      int
	Arrays          []PodArray
	PromotionStatus string
}

// PodArray is one array of a pod.
type PodArray struct {
	ID             string
	Name           string
	Status         string // online, offline, resyncing, suspended, unknown
	MediatorStatus string
	FrozenAt       time.Time // recovery point while offline
	Progress       float64   // resync progress 0..1
	PreElected     bool
}

type podWire struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Destroyed  bool   `json:"destroyed"`
	ArrayCount int    `json:"array_count"`
	Arrays     []struct {
		ID             string   `json:"id"`
		Name           string   `json:"name"`
		Status         string   `json:"status"`
		MediatorStatus string   `json:"mediator_status"`
		FrozenAt       *int64   `json:"frozen_at"`
		Progress       *float64 `json:"progress"`
		PreElected     bool     `json:"pre_elected"`
	} `json:"arrays"`
	PromotionStatus string `json:"promotion_status"`
}

func (w podWire) pod() Pod {
	p := Pod{ID: w.ID, Name: w.Name, Destroyed: w.Destroyed, ArrayCount: w.ArrayCount, PromotionStatus: w.PromotionStatus}
	for _, a := range w.Arrays {
		pa := PodArray{ID: a.ID, Name: a.Name, Status: a.Status, MediatorStatus: a.MediatorStatus, FrozenAt: millis(a.FrozenAt), PreElected: a.PreElected}
		if a.Progress != nil {
			pa.Progress = *a.Progress
		}
		p.Arrays = append(p.Arrays, pa)
	}
	return p
}

// Pod returns one pod; IsNotFound when the array has none by that name.
func (c *Client) Pod(ctx context.Context, name string) (*Pod, error) {
	wires, err := list[podWire](ctx, c, pathPods, url.Values{"names": {name}}, true)
	if err != nil {
		return nil, err
	}
	for _, w := range wires {
		if w.Name == name {
			p := w.pod()
			return &p, nil
		}
	}
	return nil, &APIError{StatusCode: http.StatusNotFound, Method: http.MethodGet, Path: "/api/" + c.APIVersion() + pathPods,
		Errors: []ErrorItem{{Context: name, Message: "Pod does not exist."}}}
}

// CreatePod creates a pod on this array. An existing one is an error that
// IsAlreadyExists.
func (c *Client) CreatePod(ctx context.Context, name string) (*Pod, error) {
	w, err := first[podWire](ctx, c, http.MethodPost, pathPods, url.Values{"names": {name}}, map[string]any{})
	if err != nil {
		return nil, err
	}
	p := w.pod()
	return &p, nil
}

// StretchPod stretches a pod to a connected array (it resyncs, then comes
// online there). A pod already on that array is not an error.
func (c *Client) StretchPod(ctx context.Context, pod, array string) error {
	return c.changeMembers(ctx, http.MethodPost, pathPodArrays, pod, []string{array}, alreadyMember)
}

// UnstretchPod removes an array from a pod. An array not in the pod is not
// an error.
func (c *Client) UnstretchPod(ctx context.Context, pod, array string) error {
	return c.changeMembers(ctx, http.MethodDelete, pathPodArrays, pod, []string{array}, notMember([]string{array}))
}

// DestroyPod destroys an (empty, unstretched) pod and, with eradicate,
// eradicates it. A missing pod is an error that IsNotFound.
func (c *Client) DestroyPod(ctx context.Context, name string, eradicate bool) error {
	p, err := c.Pod(ctx, name)
	if err != nil {
		return err
	}
	if !p.Destroyed {
		if _, err := c.call(ctx, http.MethodPatch, pathPods, url.Values{"names": {name}}, map[string]bool{"destroyed": true}, nil); err != nil {
			return err
		}
	}
	if !eradicate {
		return nil
	}
	_, err = c.call(ctx, http.MethodDelete, pathPods, url.Values{"names": {name}}, nil, nil)
	return err
}
