#!/usr/bin/env bash
# The lane by hand: two real OpenStack sites to try the provider against.
#   tools/openstack/manual.sh up     install, bring up both sites, make the
#                                    fixtures (make openstack-up); the sites
#                                    stay up
#   tools/openstack/manual.sh down   stop everything (make openstack-down)
# The FlashArrays are simulated by `protector-sim -lane build/openstack/acc
# -dir DIR`, which the demo starts for PROTECTOR_DEMO_LANE=build/openstack/acc
# (see the README of this folder); while it runs, the sites' Cinder driver
# writes to them as the Pure driver writes to real arrays.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
case ${1:-} in
up)
  "$HERE/install.sh"
  "$HERE/up.sh"
  "$PY" "$HERE/py/lane_fixtures.py" create "$OS_DIR/acc" || { "$HERE/down.sh"; exit 1; }
  cat <<MSG

Both sites are up (site-a http://127.0.0.1:5000/v3, site-b http://127.0.0.2:5000/v3);
fixtures and clouds.yaml (site-x-member, site-x-admin) are in $OS_DIR/acc.
Try the provider against them, with the FlashArrays simulated:
  PROTECTOR_DEMO_LANE=$OS_DIR/acc PROTECTOR_DEMO_CONFIG=examples/openstack-tier make demo
or by hand:
  bin/protector-sim -lane $OS_DIR/acc -dir /tmp/lane-arrays &   # go build -o bin/protector-sim ./internal/simulator/cmd/protector-sim
  source /tmp/lane-arrays/env.sh                                  # OS_CLIENT_CONFIG_FILE, PROTECTOR_FA_*
Stop everything with: make openstack-down
MSG
  ;;
down)
  "$HERE/down.sh"
  ;;
*)
  echo "usage: $0 up|down" >&2
  exit 2
  ;;
esac
