#!/usr/bin/env bash
# Installs the development tools of terraform-provider-protector into the
# cache folder shared with install-engine.sh and prints the path of the one
# asked for. Both come from the Go module proxy, so a machine with only Go
# can build them; later runs reuse the cache.
#
#   tools/install-tools.sh tofu          -> OpenTofu $TOFU_VERSION (default 1.12.6)
#   tools/install-tools.sh tfplugindocs  -> tfplugindocs at the version tools/go.mod pins
#   tools/install-tools.sh all           -> both (prints both paths)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${PROTECTOR_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-protector}
tofu_version=${TOFU_VERSION:-1.12.6}

tofu() {
  "$here/install-engine.sh" tofu "$tofu_version"
}

tfplugindocs() {
  local version out
  # The version comes from tools/go.mod, so bumping the pin rebuilds the tool.
  version=$(cd "$here" && go list -m -f '{{.Version}}' github.com/hashicorp/terraform-plugin-docs)
  out="$cache/tfplugindocs-$version/tfplugindocs"
  if [ ! -x "$out" ]; then
    echo "building tfplugindocs $version..." >&2
    mkdir -p "$(dirname "$out")"
    (cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$out.tmp" github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs)
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

case "${1:-all}" in
  tofu) tofu ;;
  tfplugindocs) tfplugindocs ;;
  all) tofu; tfplugindocs ;;
  *) echo "usage: $0 [tofu|tfplugindocs|all]" >&2; exit 2 ;;
esac
