variable "tier_name" {
  description = "Name of the protection group, e.g. \"prod-web-app\". Changing it replaces the group (and its policy and members)."
  type        = string
}

variable "description" {
  description = "Description of the protection group. Updates in place."
  type        = string
  default     = null
}

variable "primary_site" {
  description = "Site the tier runs on (a registered protector_site, e.g. \"site-a\")."
  type        = string
}

variable "secondary_site" {
  description = "DR site the tier fails over to (e.g. \"site-b\")."
  type        = string
}

variable "volume_type" {
  description = "Cinder volume type every volume of every VM of the tier uses; it must be eligible for replication on both sites (e.g. \"replicated-ssd\")."
  type        = string
}

variable "replication_type" {
  description = "\"async\" (Pure protection group with a replication schedule) or \"sync\" (stretched pod, ActiveCluster)."
  type        = string
  default     = "async"

  validation {
    condition     = contains(["async", "sync"], var.replication_type)
    error_message = "replication_type must be \"async\" or \"sync\"."
  }
}

variable "instance_ids" {
  description = "Nova instance ids (on the primary site) of the VMs of the tier. Adding an id adds one member; removing one removes only that member."
  type        = set(string)
  default     = []
}

variable "members" {
  description = "VMs of the tier by a name known at plan, each to its Nova instance id: for VMs created in the same run (by terraform-provider-openstack), whose ids are unknown until apply and so cannot key the members. Adding a name adds one member; a new id under a name replaces that member."
  type        = map(string)
  default     = {}
}

variable "pure_pg_name" {
  description = "Name of the Pure protection group (async) or pod (sync), as configured on the primary array. Default: the Pure Cinder driver's, consisgroup-<consistency group id>-cinder for async and cinder-pod for sync."
  type        = string
  default     = null
}

variable "replication_interval" {
  description = "Async only: snapshot replication interval in seconds."
  type        = number
  default     = 300
}

variable "rpo_minutes" {
  description = "Async only: Recovery Point Objective in minutes; not shorter than the interval."
  type        = number
  default     = 15
}

variable "primary_fa_url" {
  description = "HTTPS management URL of the primary site's FlashArray."
  type        = string
}

variable "secondary_fa_url" {
  description = "HTTPS management URL of the secondary site's FlashArray."
  type        = string
}

variable "primary_fa_token" {
  description = "API token of the primary FlashArray. Default (null): the provider's flasharrays entry with the same URL."
  type        = string
  default     = null
  sensitive   = true
}

variable "secondary_fa_token" {
  description = "API token of the secondary FlashArray. Default (null): the provider's flasharrays entry with the same URL."
  type        = string
  default     = null
  sensitive   = true
}
