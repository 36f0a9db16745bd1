#!/usr/bin/env bash
# Stops every process up.sh started, by the pids it recorded (each service
# runs in its own session, so its whole process group goes), and checks
# that none is left. --purge also removes the lane's state folder.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"
P=$OS_DIR/pids
[ -d "$P" ] || { echo "down.sh: nothing to stop"; exit 0; }

if [ -e "$P/rabbitmq.pid" ] && [ -f "$OS_DIR/rabbitmq/env.sh" ]; then
  (source "$OS_DIR/rabbitmq/env.sh"; timeout 30 /usr/lib/rabbitmq/bin/rabbitmqctl stop >/dev/null 2>&1) || true
fi
groups=()
for f in "$P"/*.pid; do
  [ -e "$f" ] && groups+=("$(cat "$f")")
done
alive() { local g n=0; for g in "${groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && n=$((n + 1)); done; echo $n; }
for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
for _ in $(seq 40); do [ "$(alive)" = 0 ] && break; sleep 0.25; done
for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
for _ in $(seq 20); do [ "$(alive)" = 0 ] && break; sleep 0.25; done
left=$(alive)
rm -f "$P"/*.pid "$OS_DIR/flasharrays.json"
if [ "$left" != 0 ]; then
  echo "down.sh: $left process groups still alive" >&2
  exit 1
fi
echo "down.sh: stopped ${#groups[@]} services, none left"
[ "${1:-}" != --purge ] || { rm -rf "$OS_DIR"; echo "down.sh: removed $OS_DIR"; }
