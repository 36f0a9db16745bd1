#!/usr/bin/env bash
# Builds an OpenTofu or Terraform CLI from the Go module proxy into a cache
# folder and prints the binary's path. Prebuilt releases cannot be downloaded
# here, and `go install` fails on OpenTofu's replace directives, so the module
# is copied out of the read-only module cache and built in place.
#
#   tools/install-engine.sh tofu 1.12.6       -> $CACHE/tofu-1.12.6/tofu
#   tools/install-engine.sh terraform 1.8.5   -> $CACHE/terraform-1.8.5/terraform
set -euo pipefail

engine=${1:?engine: tofu or terraform}
version=${2:?version}
cache=${PROTECTOR_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-protector}
out="$cache/$engine-$version/$engine"

if [ -x "$out" ]; then
  echo "$out"
  exit 0
fi

# One build at a time per engine and version: CI builds some tools in the
# background while a test target may ask for the same one.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
if [ -x "$out" ]; then
  echo "$out"
  exit 0
fi

case "$engine" in
  tofu) module=github.com/opentofu/opentofu; pkg=./cmd/tofu ;;
  terraform) module=github.com/hashicorp/terraform; pkg=. ;;
  *) echo "unknown engine $engine" >&2; exit 2 ;;
esac

src=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$module@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$src" ] || { echo "could not download $module@v$version" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
echo "building $engine $version (a few minutes on 2 cores)..." >&2
(cd "$work" && CGO_ENABLED=0 go build -trimpath -o "$out.tmp" "$pkg")
mv "$out.tmp" "$out"
echo "$out"
