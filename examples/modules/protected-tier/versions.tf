terraform {
  required_version = ">= 1.6"

  required_providers {
    protector = {
      source = "protector-dr/protector"
    }
  }
}
