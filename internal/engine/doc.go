// Package engine does the work of disaster-recovery protection groups
// directly against two OpenStack sites and two FlashArrays: it registers
// sites, creates a consistency group on both sites for each protection group,
// binds the group to a Pure protection group or pod, adds and removes member
// VMs, and keeps a versioned metadata document on both sites in step.
//
// The engine knows nothing of Terraform. Its rules follow the product guide:
// the 1:1:1 binding, no change while the peer site is unreachable, every
// change writing metadata version N+1 on the primary site and pushing it to
// the secondary, and deletion blocked while a DR operation runs.
package engine
