#!/usr/bin/env bash
# Installs this platform's zip from dist/ (make release-dry-run) the way a
# registry download would be installed, through a packed filesystem mirror,
# with both engines, and asks each for the provider's schema: the archive
# name, the binary name inside and the plugin protocol are then what
# OpenTofu and Terraform expect.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$root/dist/metadata.json")
platform=$(go env GOOS)_$(go env GOARCH)
zip="$root/dist/terraform-provider-protector_${version}_${platform}.zip"
[ -f "$zip" ] || { echo "no $zip: run make release-dry-run" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/protector-release-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
for host in registry.opentofu.org registry.terraform.io; do
  mkdir -p "$work/mirror/$host/$provider_source"
  cp "$zip" "$work/mirror/$host/$provider_source/"
done
cat >"$work/cli.tfrc" <<CONFIG
provider_installation {
  filesystem_mirror {
    path = "$work/mirror"
  }
}
CONFIG
mkdir "$work/config"
cat >"$work/config/main.tf" <<CONFIG
terraform {
  required_providers {
    protector = {
      source  = "$provider_source"
      version = "$version"
    }
  }
}
CONFIG

for engine in tofu terraform; do
  bin=$("$root/tools/install-tools.sh" "$engine")
  rm -rf "$work/config/.terraform" "$work/config/.terraform.lock.hcl"
  (cd "$work/config" && TF_CLI_CONFIG_FILE="$work/cli.tfrc" "$bin" init -input=false -no-color >"$work/init.log" 2>&1) ||
    { cat "$work/init.log" >&2; exit 1; }
  schema=$(cd "$work/config" && TF_CLI_CONFIG_FILE="$work/cli.tfrc" "$bin" providers schema -json)
  if ! grep -q "\"registry\.[a-z]*\.[a-z]*/$provider_source\":{\"provider\"" <<<"$schema"; then
    echo "$engine: no schema of $provider_source from $zip" >&2
    exit 1
  fi
  echo "$engine: installed $(basename "$zip") from a filesystem mirror and read its schema"
done
