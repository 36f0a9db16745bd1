package benchmark

import (
	"fmt"
	"strconv"
	"strings"
)

// Scenario is G protection groups of M members each, at a timing of the
// simulated transitions (TimingSim or TimingReal).
type Scenario struct {
	Groups, Members int
	Timing          string
}

// String is the scenario's name, "GxM" or "GxM@timing".
func (s Scenario) String() string {
	if s.Timing != TimingSim {
		return fmt.Sprintf("%dx%d@%s", s.Groups, s.Members, s.Timing)
	}
	return fmt.Sprintf("%dx%d", s.Groups, s.Members)
}

// TotalMembers is G×M.
func (s Scenario) TotalMembers() int { return s.Groups * s.Members }

// ParseScenarios reads "1x1,1x10,10x50,1x100@real".
func ParseScenarios(list string) ([]Scenario, error) {
	var out []Scenario
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var s Scenario
		f, s.Timing, _ = strings.Cut(f, "@")
		if s.Timing != TimingSim && s.Timing != TimingReal {
			return nil, fmt.Errorf("scenario %q: timing %q is not %q", f, s.Timing, TimingReal)
		}
		g, m, ok := strings.Cut(f, "x")
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
// policy each (bound to the Pure driver's group of its consistency group), and M members each, the
// members of group g being instances g×M .. g×M+M-1. Members depend on
// their group's policy, as in the guide (and examples/demo).
func ProtectorConfig(s Scenario, w World, policy bool) (string, error) {
	if err := enoughInstances(s, w.InstanceIDs); err != nil {
		return "", err
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
`, w.CloudsYAML, w.CAFile, w.ArrayAURL, w.ArrayAToken, w.ArrayBURL, w.ArrayBToken)
	writeLocals(&b, s, w.InstanceIDs)
	b.WriteString(`
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
  replication_interval = 300
  rpo_minutes          = 15
}
`, w.ArrayAURL, w.ArrayBURL)
		dependsOn = "\n  depends_on = [protector_replication_policy.p]\n"
	}
	fmt.Fprintf(&b, `
resource "protector_member" "m" {
  for_each            = %s
  protection_group_id = protector_protection_group.g[each.value.group].id
  instance_id         = each.value.instance
%s}

output "group_ids" {
  value = protector_protection_group.g[*].id
}
`, memberForEach, dependsOn)
	return b.String(), nil
}

// DrillConfig is the root module of a scenario's DR drills, apart from the
// groups' (as a scheduled drill job would be): the provider with site-b's
// admin credential (manage-existing is admin-only), and one
// protector_dr_drill with replicate_now per id of the variable group_ids,
// with the longest recovery time of each as output recovery_seconds.
func DrillConfig(w World) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    protector = { source = "protector-dr/protector" }
  }
}

provider "protector" {
  clouds_yaml        = %q
  sites              = { "site-a" = {}, "site-b" = { admin = { cloud = "site-b-admin" } } }
  flasharray_ca_file = %q
  flasharrays = {
    "flasharray-a" = { url = %q, api_token = %q }
    "flasharray-b" = { url = %q, api_token = %q }
  }
}

variable "group_ids" {
  type = list(string)
}

resource "protector_dr_drill" "d" {
  count               = length(var.group_ids)
  protection_group_id = var.group_ids[count.index]
  replicate_now       = true
}

output "recovery_seconds" {
  value = protector_dr_drill.d[*].recovery_time_seconds
}
`, w.CloudsYAML, w.CAFile, w.ArrayAURL, w.ArrayAToken, w.ArrayBURL, w.ArrayBToken)
}

// memberForEach is the for_each of the members in every configuration of a
// scenario. OpenTofu evaluates it again for each instance (O(N²) in the
// members), so a baseline without it would understate OpenTofu's cost.
const memberForEach = "{ for m in local.member_list : m.instance => m }"

func enoughInstances(s Scenario, ids []string) error {
	if len(ids) < s.TotalMembers() {
		return fmt.Errorf("scenario %s needs %d instances, have %d", s, s.TotalMembers(), len(ids))
	}
	return nil
}

// writeLocals writes the locals every configuration of a scenario shares:
// the groups' count, the instance ids of each group and their flattened
// list, which the members' for_each reads.
func writeLocals(b *strings.Builder, s Scenario, ids []string) {
	fmt.Fprintf(b, `
locals {
  groups = %d
  members = [
`, s.Groups)
	for g := 0; g < s.Groups; g++ {
		b.WriteString("    [\n")
		for m := 0; m < s.Members; m++ {
			fmt.Fprintf(b, "      %q,\n", ids[g*s.Members+m])
		}
		b.WriteString("    ],\n")
	}
	b.WriteString(`  ]
  member_list = flatten([for g, ids in local.members : [for id in ids : { group = g, instance = id }]])
}
`)
}

// BaselineConfig is the same graph made of terraform_data: two sites, the
// same locals, G groups depending on the sites, with policy G policies, and
// G×M members by the same for_each, depending on their group (and the
// policies). Its plan is what OpenTofu itself costs for that graph. ids are
// the members' instance ids (any strings of their form do).
func BaselineConfig(s Scenario, ids []string, policy bool) (string, error) {
	if err := enoughInstances(s, ids); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`resource "terraform_data" "site_a" {
  input = "site-a"
}

resource "terraform_data" "site_b" {
  input = "site-b"
}
`)
	writeLocals(&b, s, ids)
	b.WriteString(`
resource "terraform_data" "group" {
  count = local.groups
  input = { name = "bench-${count.index}", primary_site = terraform_data.site_a.output, secondary_site = terraform_data.site_b.output }
}
`)
	dependsOn := ""
	if policy {
		b.WriteString(`
resource "terraform_data" "policy" {
  count = local.groups
  input = { protection_group_id = terraform_data.group[count.index].id }
}
`)
		dependsOn = "\n  depends_on = [terraform_data.policy]\n"
	}
	fmt.Fprintf(&b, `
resource "terraform_data" "member" {
  for_each = %s
  input    = { protection_group_id = terraform_data.group[each.value.group].id, instance_id = each.value.instance }
%s}
`, memberForEach, dependsOn)
	return b.String(), nil
}

// PluginProvider is the source of terraform-provider-benchnull
// (cmd/protector-bench-null), the plugin baseline's provider.
const PluginProvider = "protector-dr/benchnull"

// PluginConfig is the same graph again with terraform-provider-benchnull,
// whose resources have the protector's schemas and no API behind them: the
// same provider block count, locals, counts, for_each and depends_on. Its
// plan is what any terraform-plugin-framework provider pays for that graph.
func PluginConfig(s Scenario, ids []string, policy bool) (string, error) {
	if err := enoughInstances(s, ids); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `terraform {
  required_providers {
    benchnull = { source = %q }
  }
}

provider "benchnull" {}

resource "benchnull_site" "a" {
  name                   = "site-a"
  consistency_group_type = "consistency-group"
}

resource "benchnull_site" "b" {
  name                   = "site-b"
  consistency_group_type = "consistency-group"
}
`, PluginProvider)
	writeLocals(&b, s, ids)
	b.WriteString(`
resource "benchnull_protection_group" "g" {
  count            = local.groups
  name             = "bench-${count.index}"
  primary_site     = benchnull_site.a.name
  secondary_site   = benchnull_site.b.name
  replication_type = "async"
  volume_type      = "replicated-ssd"
}
`)
	dependsOn := ""
	if policy {
		b.WriteString(`
resource "benchnull_replication_policy" "p" {
  count                = local.groups
  protection_group_id  = benchnull_protection_group.g[count.index].id
  primary_fa_url       = "https://flasharray-a.invalid"
  secondary_fa_url     = "https://flasharray-b.invalid"
  replication_interval = 300
  rpo_minutes          = 15
}
`)
		dependsOn = "\n  depends_on = [benchnull_replication_policy.p]\n"
	}
	fmt.Fprintf(&b, `
resource "benchnull_member" "m" {
  for_each            = %s
  protection_group_id = benchnull_protection_group.g[each.value.group].id
  instance_id         = each.value.instance
%s}
`, memberForEach, dependsOn)
	return b.String(), nil
}

// ResourceCount is how many resources a scenario's configuration (and each
// of its baselines) has.
func ResourceCount(s Scenario, policy bool) int {
	n := 2 + s.Groups + s.TotalMembers()
	if policy {
		n += s.Groups
	}
	return n
}
