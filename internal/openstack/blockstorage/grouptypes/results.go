package grouptypes

import (
	"fmt"
	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// GroupType is a Cinder group type.
type GroupType struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	IsPublic    bool   `json:"is_public"`
	// GroupSpecs is present only when the caller may see it (admin); nil
	// otherwise. Values are strings such as "<is> True".
	GroupSpecs map[string]string `json:"group_specs"`
}

// GroupTypePage is one page of a group type listing.
type GroupTypePage struct {
	pagination.LinkedPageBase
}

// IsEmpty reports whether the page holds no group types.
func (page GroupTypePage) IsEmpty() (bool, error) {
	if page.StatusCode == 204 {
		return true, nil
	}
	types, err := ExtractGroupTypes(page)
	return len(types) == 0, err
}

// NextPageURL follows Cinder's collection links, when it sends any.
func (page GroupTypePage) NextPageURL() (string, error) {
	var s struct {
		Links []gophercloud.Link `json:"group_type_links"`
	}
	if err := page.ExtractInto(&s); err != nil {
		return "", err
	}
	return gophercloud.ExtractNextURL(s.Links)
}

// ExtractGroupTypes extracts the group types of a listing page.
func ExtractGroupTypes(r pagination.Page) ([]GroupType, error) {
	var s []GroupType
	err := ExtractGroupTypesInto(r, &s)
	return s, err
}

// ExtractGroupTypesInto extracts a listing page into a caller's slice.
func ExtractGroupTypesInto(r pagination.Page, v any) error {
	page, ok := r.(GroupTypePage)
	if !ok {
		return fmt.Errorf("grouptypes: a page of %T, not of group types", r)
	}
	return page.ExtractIntoSlicePtr(v, "group_types")
}

// GetResult is the answer to Get.
type GetResult struct {
	gophercloud.Result
}

// Extract returns the group type.
func (r GetResult) Extract() (*GroupType, error) {
	var s GroupType
	err := r.ExtractInto(&s)
	return &s, err
}

// ExtractInto decodes the group type into a caller's struct.
func (r GetResult) ExtractInto(v any) error {
	return r.ExtractIntoStructPtr(v, "group_type")
}
