#!/usr/bin/env bash
# What a kept-alive HttpContext costs per idle WebSocket: the bare IdleTransport server (Program.cs) holding 10,000
# idle sockets as upgraded HTTP requests ("http") and below HTTP ("handler"), with Server and workstation GC, two
# runs each, measured by the load tool's idle scenario (RSS growth per held connection).
#
#   bench/experiments/IdleTransport/run.sh [RESULTS_DIR]     # ~8 min
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
out="${1:-$root/bench/results/idle-transport-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
dotnet build -c Release --nologo -v quiet "$root/src/Akka.Relay.Bench" >"$out/bench.build.log"
dotnet build -c Release --nologo -v quiet "$root/bench/experiments/IdleTransport" >"$out/server.build.log"
bench="$root/src/Akka.Relay.Bench/bin/Release/net10.0/Akka.Relay.Bench.dll"
server="$root/bench/experiments/IdleTransport/bin/Release/net10.0/IdleTransport.dll"
for rep in 1 2; do
  for mode in http handler; do
    for gc in 1 0; do
      port=$((29500 + RANDOM % 400))
      DOTNET_gcServer=$gc timeout -s KILL 300 dotnet "$server" "$mode" "$port" >"$out/$mode-gc$gc-$rep.server.log" 2>&1 &
      wrapper=$!
      for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
      pid="$(pgrep -P "$wrapper" | head -1)"
      timeout -s KILL 240 dotnet "$bench" idle --connections 10000 --connect-rate 2000 --duration 25 \
        --url "ws://127.0.0.1:$port" --pid "$pid" --json "$out/$mode-gc$gc-$rep.json" >"$out/$mode-gc$gc-$rep.txt" 2>&1 || true
      kill "$pid" 2>/dev/null || true; sleep 1; kill -9 "$pid" 2>/dev/null || true
      echo "$mode DOTNET_gcServer=$gc #$rep: $(jq -r '.metrics | "KiB/connection=\(.server_kib_per_connection) open=\(.open_at_end) connect p50=\(.connect_latency_p50_us) us"' "$out/$mode-gc$gc-$rep.json" 2>/dev/null || echo failed)"
    done
  done
done
