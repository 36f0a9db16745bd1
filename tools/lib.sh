# Shared by docs.sh, demo.sh and release-smoke.sh (sourced, not run).

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The provider's source address in configurations; OpenTofu expands it to
# registry.opentofu.org/protector-dr/protector.
provider_source=protector-dr/protector

# OpenTofu reads no ~/.terraformrc, asks no checkpoint server and prints no
# "next steps" hints.
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

# build_provider DIR: builds the provider binary into DIR.
build_provider() {
  mkdir -p "$1"
  (cd "$root" && go build -o "$1/terraform-provider-protector" .)
}

# write_dev_overrides FILE BINDIR: a CLI configuration that makes OpenTofu
# run the provider built in BINDIR instead of looking for it in a registry
# (no `tofu init` needed).
write_dev_overrides() {
  cat >"$1" <<CONFIG
provider_installation {
  dev_overrides {
    "$provider_source" = "$2"
  }
  direct {}
}
CONFIG
}
