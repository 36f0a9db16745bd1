#!/usr/bin/env bash
# make test-openstack: the acceptance tests against two real OpenStack sites.
#   1. installs the Debian packages (install.sh; apt caches them)
#   2. brings up site-a and site-b on loopback (up.sh)
#   3. makes the fixtures through the real APIs (py/lane_fixtures.py create)
#   4. runs the provider's acceptance tests twice, the FlashArrays simulated
#      in-process: as admin (PROTECTOR_ACC_ROLE=admin: the provider's main
#      credential is an admin) and as a project member (member); tests that
#      need the simulator skip with their reason, and the skips are listed
#   5. tears everything down (down.sh, also on failure or interrupt) and
#      checks that no process is left
# and prints the time of each step and the memory the sites took.
# Expects the TF_ACC environment `make test` sets (the make target does).
# LANE_ROLES="member" runs one role only; extra arguments go to go test.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
cd "$REPO"
ROLES=${LANE_ROLES:-admin member}
LOGS=$OS_DIR-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"

declare -A took
step() { # step NAME CMD...: runs and times one step
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  took[$name]=$((SECONDS - start))
  echo "== $name took ${took[$name]} s"
}
mem_used_mib() { awk '/MemTotal/ {t=$2} /MemAvailable/ {a=$2} END {printf "%d", (t-a)/1024}' /proc/meminfo; }
sites_rss_mib() { # resident memory of every process the lane started
  local f p v kb=0
  for f in "$OS_DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    for p in $(pgrep -g "$(cat "$f")"); do
      v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || v=0
      kb=$((kb + ${v:-0}))
    done
  done
  echo $((kb / 1024))
}

teardown() {
  local status=$?
  echo "== teardown"
  local start=$SECONDS
  "$HERE/down.sh" || status=1
  echo "== teardown took $((SECONDS - start)) s"
  local left
  left=$(pgrep -f "$REPO/tools/openstack/py/launch.py|/usr/sbin/mariadbd --no-defaults --user=root --datadir=$OS_DIR|beam.smp.*$OS_DIR/rabbitmq|/usr/bin/epmd -address 127.0.0.1" || true)
  if [ -n "$left" ]; then
    echo "processes left behind: $left" >&2
    status=1
  fi
  [ $status = 0 ] || echo "test-openstack FAILED (logs: $OS_DIR, test output: $LOGS)" >&2
  exit $status
}
trap teardown EXIT
trap 'exit 130' INT TERM

step install "$HERE/install.sh"
mem_before=$(mem_used_mib)
step bring-up "$HERE/up.sh"
step fixtures "$PY" "$HERE/py/lane_fixtures.py" create "$OS_DIR/acc"
sites_rss=$(sites_rss_mib)
mem_up=$(mem_used_mib)

# run_tests ROLE LOG [go test args]: the acceptance tests as ROLE, one at a
# time (they share the sites' fixture servers), as go test -json into LOG.
run_tests() {
  local role=$1 log=$2
  shift 2
  PROTECTOR_ACC_CLOUDS="$OS_DIR/acc" PROTECTOR_ACC_ROLE="$role" \
    go test ./internal/provider -count=1 -p 1 -parallel 1 -timeout 60m -run '^TestAcc' -json "$@" >"$log" 2>&1
}

failed=0
for role in $ROLES; do
  "$PY" "$HERE/py/lane_fixtures.py" reset
  log=$LOGS/test-$role.json
  step "tests-$role" run_tests "$role" "$log" "$@" || true
  echo "-- $role run:"
  "$PY" "$HERE/py/summary.py" "$log" || failed=1
done

echo "== figures"
for k in install bring-up fixtures tests-admin tests-member; do
  [ -n "${took[$k]:-}" ] && printf '  %-14s %s s\n' "$k" "${took[$k]}"
done
echo "  memory: ${sites_rss} MiB resident in the sites' processes; $((mem_up - mem_before)) MiB more in use once up"
echo "  total so far: $SECONDS s"
exit $failed
