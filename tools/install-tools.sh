#!/usr/bin/env bash
# Installs the development tools of terraform-provider-protector into the
# cache folder shared with install-engine.sh and prints the path of the one
# asked for. Both come from the Go module proxy, so a machine with only Go
# can build them; later runs reuse the cache.
#
#   tools/install-tools.sh tofu          -> OpenTofu $TOFU_VERSION (default 1.12.6)
#   tools/install-tools.sh terraform     -> Terraform $TERRAFORM_VERSION (default 1.8.5)
#   tools/install-tools.sh tfplugindocs  -> tfplugindocs at the version tools/go.mod pins
#   tools/install-tools.sh goreleaser    -> goreleaser $GORELEASER_VERSION (default v2.16.0)
#   tools/install-tools.sh golangci-lint -> golangci-lint $GOLANGCI_LINT_VERSION (default v2.15.0)
#   tools/install-tools.sh openstack-provider
#                                        -> terraform-provider-openstack $OPENSTACK_PROVIDER_VERSION
#                                           (default v3.4.0), for the tests that compose both providers
#   tools/install-tools.sh all           -> OpenTofu and tfplugindocs (prints both paths)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${PROTECTOR_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-protector}
tofu_version=${TOFU_VERSION:-1.12.6}
# The last Terraform release the module proxy can build (later ones need
# modules the proxy does not serve).
terraform_version=${TERRAFORM_VERSION:-1.8.5}
# v2.18 and later need Go 1.27.1; v2.16.0 builds with Go 1.25 and 1.26.
goreleaser_version=${GORELEASER_VERSION:-v2.16.0}
# make lint's linter (its configuration: tools/golangci.yml).
golangci_lint_version=${GOLANGCI_LINT_VERSION:-v2.15.0}
# The terraform-provider-openstack release the composed acceptance tests use.
openstack_provider_version=${OPENSTACK_PROVIDER_VERSION:-v3.4.0}

# lock TOOL_PATH: waits for, then holds, the lock of one tool's build until
# the script ends or unlock: CI builds some tools in the background while
# a test target may ask for the same one. Callers check again after it.
lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1.lock"
  flock 9
}
unlock() { exec 9>&-; }

tofu() {
  "$here/install-engine.sh" tofu "$tofu_version"
}

terraform() {
  "$here/install-engine.sh" terraform "$terraform_version"
}

# go_install NAME PACKAGE VERSION: builds PACKAGE@VERSION with go install
# into the cache (once) and prints the binary's path.
go_install() {
  local name=$1 pkg=$2 version=$3
  local out="$cache/$name-$version/$name"
  [ -x "$out" ] || lock "$out"
  if [ ! -x "$out" ]; then
    echo "building $name $version (minutes on 2 cores)..." >&2
    mkdir -p "$(dirname "$out")"
    # Outside this repository, so that neither go.mod is consulted.
    (cd "$(dirname "$out")" && GOBIN="$(dirname "$out")" GOFLAGS=-mod=mod CGO_ENABLED=0 \
      go install -trimpath "$pkg@$version")
  fi
  unlock
  echo "$out"
}

goreleaser() {
  go_install goreleaser github.com/goreleaser/goreleaser/v2 "$goreleaser_version"
}

golangci_lint() {
  go_install golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint "$golangci_lint_version"
}

openstack_provider() {
  local v=${openstack_provider_version#v}
  local out="$cache/terraform-provider-openstack-$openstack_provider_version/terraform-provider-openstack_v$v"
  [ -x "$out" ] || lock "$out"
  if [ ! -x "$out" ]; then
    echo "building terraform-provider-openstack $openstack_provider_version (several minutes on 2 cores)..." >&2
    mkdir -p "$(dirname "$out")"
    # Outside this repository, so that neither go.mod is consulted.
    (cd "$(dirname "$out")" && GOBIN="$(dirname "$out")/bin" GOFLAGS=-mod=mod CGO_ENABLED=0 \
      go install -trimpath "github.com/terraform-provider-openstack/terraform-provider-openstack/v3@$openstack_provider_version")
    mv "$(dirname "$out")/bin/terraform-provider-openstack" "$out"
    rmdir "$(dirname "$out")/bin"
  fi
  unlock
  echo "$out"
}

tfplugindocs() {
  local version out
  # The version comes from tools/go.mod, so bumping the pin rebuilds the tool.
  version=$(cd "$here" && go list -m -f '{{.Version}}' github.com/hashicorp/terraform-plugin-docs)
  out="$cache/tfplugindocs-$version/tfplugindocs"
  [ -x "$out" ] || lock "$out"
  if [ ! -x "$out" ]; then
    echo "building tfplugindocs $version..." >&2
    mkdir -p "$(dirname "$out")"
    (cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$out.tmp" github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs)
    mv "$out.tmp" "$out"
  fi
  unlock
  echo "$out"
}

case "${1:-all}" in
  tofu) tofu ;;
  terraform) terraform ;;
  tfplugindocs) tfplugindocs ;;
  goreleaser) goreleaser ;;
  golangci-lint) golangci_lint ;;
  openstack-provider) openstack_provider ;;
  all) tofu; tfplugindocs ;;
  *) echo "usage: $0 [tofu|terraform|tfplugindocs|goreleaser|golangci-lint|openstack-provider|all]" >&2; exit 2 ;;
esac
