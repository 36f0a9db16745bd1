#!/usr/bin/env bash
# `make bench`: measures the provider with real OpenTofu against the
# two-site simulator (run inside protector-bench, which counts every request
# per site and array) at a WAN-like latency, with two baselines (the same
# graph of terraform_data resources, and of a framework provider with no API,
# terraform-provider-benchnull), and writes the figures to
# tools/bench-results.md so each change can be compared with the last.
# A scenario GxM@real runs at a real cloud's Cinder/Nova transition times
# (a group update 2 s, a volume attach 1 s) instead of the simulator's 50 ms;
# every operation reports the group updates and metadata versions it waited
# for in sequence, and apply and destroy are set against their floor.
#
#   tools/bench.sh                                   # all scenarios, 20ms
#   tools/bench.sh -scenarios 1x1,1x10               # a quick run
#   tools/bench.sh -scenarios 1x100@real -out /tmp/real.md   # real-cloud timing
#   tools/bench.sh -group-update 500ms -scenarios 1x10 -out /tmp/bench.md
#   tools/bench.sh -latency 5ms -out /tmp/bench.md
#
# Arguments go to protector-bench (see internal/benchmark/cmd/protector-bench);
# -out defaults to tools/bench-results.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin="$root/build/bin"

echo "==> installing OpenTofu (built once, cached)" >&2
tofu=$("$root/tools/install-tools.sh" tofu)

echo "==> building the provider, the plugin baseline's provider and protector-bench into build/bin" >&2
build_provider "$bin"
(cd "$root" && go build -o "$bin/terraform-provider-benchnull" ./internal/benchmark/cmd/terraform-provider-benchnull)
(cd "$root" && go build -o "$bin/protector-bench" ./internal/benchmark/cmd/protector-bench)

out=("-out" "$root/tools/bench-results.md")
for arg in "$@"; do
  case "$arg" in -out | -out=* | --out | --out=*) out=() ;; esac
done

exec "$bin/protector-bench" -provider-dir "$bin" -tofu "$tofu" ${out[@]+"${out[@]}"} "$@"
