package benchmark

import (
	"fmt"
	"strconv"
	"strings"
)

// Scenario is G protection groups of M members each.
type Scenario struct {
	Groups, Members int
}

// String is the scenario's name, "GxM".
func (s Scenario) String() string { return fmt.Sprintf("%dx%d", s.Groups, s.Members) }

// TotalMembers is G×M.
func (s Scenario) TotalMembers() int { return s.Groups * s.Members }

// ParseScenarios reads "1x1,1x10,10x50".
func ParseScenarios(list string) ([]Scenario, error) {
	var out []Scenario
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		g, m, ok := strings.Cut(f, "x")
		var s Scenario
		var errG, errM error
		s.Groups, errG = strconv.Atoi(g)
		s.Members, errM = strconv.Atoi(m)
		if !ok || errG != nil || errM != nil || s.Groups < 1 || s.Members < 1 {
			return nil, fmt.Errorf("scenario %q: want GROUPSxMEMBERS, both at least 1", f)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no scenario in %q", list)
	}
	return out, nil
}

// World is what a configuration needs to reach the simulated world.
type World struct {
	CloudsYAML, CAFile       string
	ArrayAURL, ArrayBURL     string
	ArrayAToken, ArrayBToken string
	// InstanceIDs of the servers to protect, at least G×M of them.
	InstanceIDs []string
}

// ProtectorConfig is the configuration of a scenario: both sites, G
// protection groups (async, replicated-ssd), with Policy one replication
// policy each (Pure protection group bench-pg-<g>), and M members each, the
// members of group g being instances g×M .. g×M+M-1. Members depend on
// their group's policy, as in the guide (and examples/demo).
func ProtectorConfig(s Scenario, w World, policy bool) (string, error) {
	if len(w.InstanceIDs) < s.TotalMembers() {
		return "", fmt.Errorf("scenario %s needs %d instances, have %d", s, s.TotalMembers(), len(w.InstanceIDs))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `terraform {
  required_providers {
    protector = { source = "protector-dr/protector" }
  }
}

provider "protector" {
  clouds_yaml        = %q
  sites              = { "site-a" = {}, "site-b" = {} }
  flasharray_ca_file = %q
  flasharrays = {
    "flasharray-a" = { url = %q, api_token = %q }
    "flasharray-b" = { url = %q, api_token = %q }
  }
}

resource "protector_site" "a" {
  name                   = "site-a"
  consistency_group_type = "consistency-group"
}

resource "protector_site" "b" {
  name                   = "site-b"
  consistency_group_type = "consistency-group"
}

locals {
  groups = %d
  members = [
`, w.CloudsYAML, w.CAFile, w.ArrayAURL, w.ArrayAToken, w.ArrayBURL, w.ArrayBToken, s.Groups)
	for g := 0; g < s.Groups; g++ {
		b.WriteString("    [\n")
		for m := 0; m < s.Members; m++ {
			fmt.Fprintf(&b, "      %q,\n", w.InstanceIDs[g*s.Members+m])
		}
		b.WriteString("    ],\n")
	}
	b.WriteString(`  ]
  member_list = flatten([for g, ids in local.members : [for id in ids : { group = g, instance = id }]])
}

resource "protector_protection_group" "g" {
  count            = local.groups
  name             = "bench-${count.index}"
  primary_site     = protector_site.a.name
  secondary_site   = protector_site.b.name
  replication_type = "async"
  volume_type      = "replicated-ssd"
}
`)
	dependsOn := ""
	if policy {
		fmt.Fprintf(&b, `
resource "protector_replication_policy" "p" {
  count                = local.groups
  protection_group_id  = protector_protection_group.g[count.index].id
  primary_fa_url       = %q
  secondary_fa_url     = %q
  pure_pg_name         = "bench-pg-${count.index}"
  replication_interval = 300
  rpo_minutes          = 15
}
`, w.ArrayAURL, w.ArrayBURL)
		dependsOn = "\n  depends_on = [protector_replication_policy.p]\n"
	}
	fmt.Fprintf(&b, `
resource "protector_member" "m" {
  for_each            = { for m in local.member_list : m.instance => m }
  protection_group_id = protector_protection_group.g[each.value.group].id
  instance_id         = each.value.instance
%s}
`, dependsOn)
	return b.String(), nil
}

// BaselineConfig is the same graph made of terraform_data: two sites, G
// groups depending on them, with policy G policies, and G×M members
// depending on their group (and the policies). Its plan is what OpenTofu
// itself costs for that many resources.
func BaselineConfig(s Scenario, policy bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `resource "terraform_data" "site" {
  count = 2
  input = "site-${count.index}"
}

resource "terraform_data" "group" {
  count = %d
  input = { name = "bench-${count.index}", sites = terraform_data.site[*].id }
}
`, s.Groups)
	dependsOn := ""
	if policy {
		b.WriteString(`
resource "terraform_data" "policy" {
  count = length(terraform_data.group)
  input = terraform_data.group[count.index].id
}
`)
		dependsOn = "\n  depends_on = [terraform_data.policy]\n"
	}
	fmt.Fprintf(&b, `
resource "terraform_data" "member" {
  count = %d
  input = { group = terraform_data.group[floor(count.index / %d)].id, instance = count.index }
%s}
`, s.TotalMembers(), s.Members, dependsOn)
	return b.String()
}

// ResourceCount is how many resources a scenario's configuration (and its
// baseline) has.
func ResourceCount(s Scenario, policy bool) int {
	n := 2 + s.Groups + s.TotalMembers()
	if policy {
		n += s.Groups
	}
	return n
}
