#!/usr/bin/env bash
# Documentation pipeline (run by `go generate` in tools/, i.e. `make docs`).
#
#   tools/docs.sh fmt-examples  formats examples/ with `tofu fmt`
#   tools/docs.sh generate      renders docs/ from templates/, examples/ and the schema
#
# tfplugindocs would otherwise build the provider and ask a `terraform`
# binary for the schema (downloading one when none is on PATH). We export
# the schema with OpenTofu instead: it knows write-only attributes, so they
# are documented as such. tfplugindocs then needs no terraform at all
# (--providers-schema skips both the build and the CLI).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tofu=$("$root/tools/install-tools.sh" tofu)

fmt_examples() {
  if [ -d "$root/examples" ]; then
    echo "tofu fmt -recursive examples/" >&2
    TF_CLI_CONFIG_FILE=/dev/null "$tofu" fmt -recursive "$root/examples" >/dev/null
  fi
}

generate() {
  local tfplugindocs
  tfplugindocs=$("$root/tools/install-tools.sh" tfplugindocs)
  # Global, not local: the EXIT trap runs after this function has returned.
  work=$(mktemp -d "${TMPDIR:-/tmp}/protector-docs.XXXXXX")
  trap 'rm -rf "$work"' EXIT

  echo "building the provider" >&2
  build_provider "$work/bin"
  write_dev_overrides "$work/cli.tfrc" "$work/bin"

  echo "exporting the schema with tofu providers schema -json" >&2
  mkdir "$work/schema"
  cat >"$work/schema/main.tf" <<CONFIG
terraform {
  required_providers {
    protector = {
      source = "$provider_source"
    }
  }
}
CONFIG
  (cd "$work/schema" && TF_CLI_CONFIG_FILE="$work/cli.tfrc" "$tofu" providers schema -json) >"$work/schema.tofu.json"

  # tfplugindocs looks the provider up as registry.terraform.io/hashicorp/<name>.
  sed "s#\"registry.opentofu.org/$provider_source\"#\"registry.terraform.io/hashicorp/protector\"#" \
    "$work/schema.tofu.json" >"$work/schema.json"
  if ! grep -q '"registry.terraform.io/hashicorp/protector"' "$work/schema.json"; then
    echo "the exported schema has no provider registry.opentofu.org/$provider_source:" >&2
    head -c 400 "$work/schema.tofu.json" >&2
    exit 1
  fi

  echo "tfplugindocs generate" >&2
  (cd "$root" && "$tfplugindocs" generate \
    --provider-dir "$root" \
    --provider-name protector \
    --providers-schema "$work/schema.json" \
    --website-temp-dir "$work/website")
}

case "${1:-}" in
  fmt-examples) fmt_examples ;;
  generate) generate ;;
  *) echo "usage: $0 fmt-examples|generate" >&2; exit 2 ;;
esac
