# `make demo` sets these from the simulator's env.sh (TF_VAR_*).

variable "flasharray_ca_file" {
  description = "PEM bundle of the CA that signed the FlashArrays' certificates."
  type        = string
}

variable "primary_fa_url" {
  description = "HTTPS management URL of the primary FlashArray (site-a)."
  type        = string
}

variable "primary_fa_token" {
  description = "API token of the primary FlashArray."
  type        = string
  sensitive   = true
}

variable "secondary_fa_url" {
  description = "HTTPS management URL of the secondary FlashArray (site-b)."
  type        = string
}

variable "secondary_fa_token" {
  description = "API token of the secondary FlashArray."
  type        = string
  sensitive   = true
}

variable "vm_count" {
  description = "Number of VMs in the tier."
  type        = number
  default     = 2
}

variable "golden_image_volume" {
  description = "Name of the bootable volume on site-a that boot volumes are cloned from."
  type        = string
  default     = "golden-image"
}
