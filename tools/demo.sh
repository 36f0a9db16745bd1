#!/usr/bin/env bash
# `make demo`: applies examples/demo (the guide's prod-web-app protection
# group) with OpenTofu against the two-site simulator, shows the outputs,
# destroys it again and stops the simulator. PROTECTOR_DEMO_CONFIG names
# another configuration (examples/openstack-tier: VMs built by
# terraform-provider-openstack, protected by the protected-tier module).
# PROTECTOR_DEMO_LANE names the folder of the real-OpenStack lane's
# fixtures (make openstack-up: build/openstack/acc): the configuration then
# runs against those two real sites, only the FlashArrays simulated.
#
# Needs only Go: OpenTofu is built from the Go module proxy (cached), the
# provider and protector-sim are built into bin/, and everything else lives
# in a temporary folder (kept, with the simulator's log, when a step fails).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step() { printf '\n==> %s\n' "$*"; }

bin="$root/bin"
ready_timeout=${PROTECTOR_DEMO_READY_TIMEOUT:-60}
# Another configuration can be tried against the simulator the same way.
config=$(cd "${PROTECTOR_DEMO_CONFIG:-$root/examples/demo}" && pwd)

step "installing OpenTofu (built once, cached)"
tofu=$("$root/tools/install-tools.sh" tofu)
echo "$tofu"

step "building the provider and protector-sim into bin/"
build_provider "$bin"
(cd "$root" && go build -o "$bin/protector-sim" ./internal/simulator/cmd/protector-sim)

work=$(mktemp -d "${TMPDIR:-/tmp}/protector-demo.XXXXXX")
sim_pid=
ok=
cleanup() {
  local rc=$?
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
    echo "==> stopping protector-sim (pid $sim_pid)"
    kill -TERM "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  if [ -n "$ok" ]; then
    rm -rf "$work"
  else
    echo "demo failed; simulator log and OpenTofu files kept in $work" >&2
    if [ -f "$work/protector-sim.log" ]; then
      echo "--- last lines of $work/protector-sim.log" >&2
      tail -n 20 "$work/protector-sim.log" >&2
    fi
    [ "$rc" -ne 0 ] || rc=1
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The demo's drill brings the tier up on site-b beside what a failover
# would need there: its project is sized for both (Cinder's default volumes
# quota, 10, is not).
sim_args=(-dir "$work/sim" -volume-quota 40)
if [ -n "${PROTECTOR_DEMO_LANE:-}" ]; then
  sim_args+=(-lane "$(cd "$PROTECTOR_DEMO_LANE" && pwd)")
fi
step "starting protector-sim ${sim_args[*]}"
mkdir -p "$work/sim"
"$bin/protector-sim" "${sim_args[@]}" >"$work/protector-sim.log" 2>&1 &
sim_pid=$!
for ((i = 0; i < ready_timeout * 10; i++)); do
  [ -f "$work/sim/ready" ] && break
  if ! kill -0 "$sim_pid" 2>/dev/null; then
    sim_pid=
    echo "protector-sim exited before it was ready" >&2
    exit 1
  fi
  sleep 0.1
done
if [ ! -f "$work/sim/ready" ]; then
  echo "protector-sim not ready after ${ready_timeout}s" >&2
  exit 1
fi

# clouds.yaml (OS_CLIENT_CONFIG_FILE), the arrays' URLs, tokens and CA.
# shellcheck disable=SC1091
source "$work/sim/env.sh"
export TF_VAR_flasharray_ca_file="${PROTECTOR_FA_CA_FILE:-$work/sim/flasharray-ca.pem}"
export TF_VAR_primary_fa_url="${PROTECTOR_FA_A_URL:?env.sh sets no PROTECTOR_FA_A_URL}"
export TF_VAR_secondary_fa_url="${PROTECTOR_FA_B_URL:?env.sh sets no PROTECTOR_FA_B_URL}"
export TF_VAR_primary_fa_token="${PROTECTOR_FA_A_TOKEN:?env.sh sets no PROTECTOR_FA_A_TOKEN}"
export TF_VAR_secondary_fa_token="${PROTECTOR_FA_B_TOKEN:?env.sh sets no PROTECTOR_FA_B_TOKEN}"
echo "site-a and site-b: ${OS_CLIENT_CONFIG_FILE:?env.sh sets no OS_CLIENT_CONFIG_FILE}"
echo "flasharray-a: $TF_VAR_primary_fa_url"
echo "flasharray-b: $TF_VAR_secondary_fa_url"

# OpenTofu runs the provider just built (no registry, no `tofu init`).
write_dev_overrides "$work/cli.tfrc" "$bin"
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
# A configuration that builds its VMs with terraform-provider-openstack
# (examples/openstack-tier) needs `tofu init`, which dev_overrides do not
# satisfy: both providers come from a local mirror instead, the protector
# just built and terraform-provider-openstack at the version
# tools/install-tools.sh builds and caches.
install=get
if grep -qs 'terraform-provider-openstack/openstack' "$config"/*.tf; then
  step "installing terraform-provider-openstack (built once, cached)"
  osp=$("$root/tools/install-tools.sh" openstack-provider)
  echo "$osp"
  platform=$(go env GOOS)_$(go env GOARCH)
  osp_addr=registry.opentofu.org/terraform-provider-openstack/openstack
  mkdir -p "$work/mirror/$osp_addr/${osp##*_v}/$platform" "$work/mirror/registry.opentofu.org/$provider_source/0.0.1/$platform"
  ln -s "$osp" "$work/mirror/$osp_addr/${osp##*_v}/$platform/"
  ln -s "$bin/terraform-provider-protector" "$work/mirror/registry.opentofu.org/$provider_source/0.0.1/$platform/"
  cat >"$work/cli.tfrc" <<CONFIG
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
  }
}
CONFIG
  install=init
fi
mkdir "$work/tf"
cp "$config"/*.tf "$work/tf/"
# Configurations call modules as examples/ lays them out (../modules/<name>).
cp -r "$root/examples/modules" "$work/modules"
# Colours only on a terminal. After the first apply (whose warnings are the
# plan-time checks), -compact-warnings shortens the dev_overrides
# warning OpenTofu repeats on every command.
color=()
[ -t 1 ] || color=(-no-color)
tf() { "$tofu" -chdir="$work/tf" "$1" ${color[@]+"${color[@]}"} "${@:2}"; }

step "tofu $install: install the modules (and providers) the configuration calls"
tf "$install"

step "tofu apply: $(basename "$config")"
tf apply -auto-approve -input=false

# The apply settled everything, the final metadata version included: the
# next plan has nothing to do (exit 0; 2 would fail the demo).
step "tofu plan -detailed-exitcode: nothing to do after the apply"
tf plan -detailed-exitcode -input=false -compact-warnings

step "tofu output"
tf output

step "tofu destroy"
tf destroy -auto-approve -input=false -compact-warnings

# The simulated arrays check every exchange against Pure's OpenAPI spec;
# protector-sim exits 3 when one did not conform.
step "stopping protector-sim"
kill -TERM "$sim_pid"
sim_rc=0
wait "$sim_pid" || sim_rc=$?
sim_pid=
if [ "$sim_rc" -ne 0 ]; then
  echo "protector-sim exited with status $sim_rc (3: a FlashArray exchange the REST 2.26 spec does not allow)" >&2
  exit "$sim_rc"
fi

ok=1
step "demo done"
