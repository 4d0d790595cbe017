#!/usr/bin/env bash
# Cross-node throughput: pairs whose two clients sit on different cluster nodes, against the
# same pairs on one standalone node, same machine, same run, in alternation.
#
# "single": one relay process, not clustered, every client on it.
# "cross-node": two relay processes forming a cluster on loopback; in every pair, client A is on
# node 1 and client B on node 2, so every message and every ack crosses the cluster (directory
# lookup in the user's sharded entity, delivery through the receiver's node).
# The load tool measures both server processes (--pid twice) and reports delivered msg/s, CPU
# per message (summed over the nodes), latency, lost messages and FIFO violations; the report
# gives the ratio cross-node / single (target: delivered msg/s >= 0.5x).
#
#   bench/cluster.sh --ref HEAD -r 3     # 3 runs of each, ~8 min
#   bench/cluster.sh --quick -r 1        # smoke test
#
# Options (environment variable in brackets):
#   -r, --repeats N      runs per mode (REPEATS, default 3)
#   -o, --out DIR        results folder (OUT, default bench/results/cluster-<UTC time>)
#   --ref REF            build the relay from a clean export of git REF (REF)
#   --relay-dll PATH     use this Akka.Relay.Server.dll instead of building (RELAY_DLL)
#   --quick              2 s warmup / 3 s window
#   PAIRS (50), WINDOW (32), WARMUP (40 s), DURATION (10 s)
# The warmup is longer than compare.sh's 15 s: a cluster node runs far more code (remoting, sharding,
# gossip) and its tiered JIT was still busy 16-24 s into a run (perf: the tiering thread took 12 % of
# the nodes' CPU), so a 15 s warmup measures the JIT, not the relay (BENCHMARKS.md, "Cross-node pairs").
# Exit code: 0 when every run produced a result; 1 when a run failed; 2 when setup failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
repeats="${REPEATS:-3}"
out="${OUT:-$root/bench/results/cluster-$(date -u +%Y%m%dT%H%M%SZ)}"
ref="${REF:-}"
relay_dll="${RELAY_DLL:-}"
warm="${WARMUP:-40}"; dur="${DURATION:-10}"

while (($#)); do
  case "$1" in
    -r|--repeats) repeats="$2"; shift 2 ;;
    -o|--out) out="$2"; shift 2 ;;
    --ref) ref="$2"; shift 2 ;;
    --relay-dll) relay_dll="$2"; shift 2 ;;
    --quick) warm=2; dur=3; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || die "--repeats must be a positive integer"

scenario="pairs --pairs ${PAIRS:-50} --window ${WINDOW:-32} --size 100 --warmup $warm --duration $dur"
metrics="delivered_per_s,acks_per_s,server_cpu_us_per_msg,client_cpu_us_per_msg,latency_p50_us,latency_p99_us,latency_max_us,lost,unanswered,fifo_violations,unexpected_messages,server_cpu_cores,client_cpu_cores,server_peak_rss_kib,load_avg_1m"

bench_begin runs
prepare_relay "$root" "$ref" "$relay_dll"
machine_info "relay: $relay_rev" "repeats: $repeats; scenario: $scenario" | tee "$out/machine.txt" >&2

# Waits until the node's /readyz reports this many members up (bounded).
wait_members() { # http port, members, log
  local port="$1" want="$2" logf="$3" i
  for i in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null | grep -q "\"membersUp\":$want[,}]"; then
      return 0
    fi
    sleep 0.1
  done
  echo "node on port $port never reported $want members up; its log:" >&2
  tail -20 "$logf" >&2
  return 1
}

failed_runs=0
declare -a report_runs=()
run_one() { # mode, repeat
  local mode="$1" rep="$2" tag="$1-$2" bound=300 rc
  local -a urls=() pids=()
  local h1 h2 c1 c2
  h1="$(free_port 28280)"
  if [[ "$mode" == single ]]; then
    start_process "$h1" "$out/runs/$tag.node1.log" "$bound" "${relay[@]}" --urls "http://127.0.0.1:$h1" || return 1
    urls=(--url "ws://127.0.0.1:$h1"); pids=(--pid "$server_pid")
  else
    c1="$(free_port 24053)"
    start_process "$h1" "$out/runs/$tag.node1.log" "$bound" env Relay__Cluster__Enabled=true Relay__Cluster__FormNewCluster=true Relay__Inbox__Enabled=false Relay__Cluster__Port="$c1" \
      "${relay[@]}" --urls "http://127.0.0.1:$h1" || return 1
    pids=(--pid "$server_pid")
    h2="$(free_port $((h1 + 1)))"; c2="$(free_port $((c1 + 1)))"
    start_process "$h2" "$out/runs/$tag.node2.log" "$bound" env Relay__Cluster__Enabled=true Relay__Inbox__Enabled=false Relay__Cluster__Port="$c2" \
      Relay__Cluster__SeedNodes__0="akka.tcp://relay@127.0.0.1:$c1" "${relay[@]}" --urls "http://127.0.0.1:$h2" || return 1
    pids+=(--pid "$server_pid")
    wait_members "$h1" 2 "$out/runs/$tag.node1.log" && wait_members "$h2" 2 "$out/runs/$tag.node2.log" || return 1
    urls=(--url "ws://127.0.0.1:$h1" --url "ws://127.0.0.1:$h2")
  fi

  set +e
  # shellcheck disable=SC2086
  timeout -s KILL $((bound - 30)) "${bench[@]}" $scenario "${urls[@]}" "${pids[@]}" --label "$mode" \
    --json "$out/runs/$tag.json" >"$out/runs/$tag.txt" 2>"$out/runs/$tag.log"
  rc=$?
  set -e
  local -a server_pids=()
  local i
  for ((i = 1; i < ${#pids[@]}; i += 2)); do server_pids+=("${pids[i]}"); done
  proc_metrics "$out/runs/$tag.proc.json" "${server_pids[@]}" || echo '{"metrics":{}}' >"$out/runs/$tag.proc.json"
  for i in "${server_pids[@]}"; do stop_server "$i"; done
  if ((rc != 0)) || [[ ! -f "$out/runs/$tag.json" ]]; then
    log "  $mode #$rep FAILED (exit $rc): $(tail -2 "$out/runs/$tag.log" | tr '\n' ' ')"
    return 1
  fi
  log "  $mode #$rep: $(grep -E '^ +(delivered_per_s|lost|fifo_violations) ' "$out/runs/$tag.txt" | awk '{printf "%s=%s ", $1, $2}')"
  report_runs+=(--run "$mode" "$out/runs/$tag.json+$out/runs/$tag.proc.json")
}

log "pairs: $scenario ($repeats x 2 runs)"
for rep in $(seq 1 "$repeats"); do
  for mode in cross-node single; do
    run_one "$mode" "$rep" || failed_runs=$((failed_runs + 1))
  done
done

"${bench[@]}" compare-report "${report_runs[@]}" --title "cross-node pairs vs one node ($scenario)" --name cross-node \
  --metrics "$metrics" --target "delivered_per_s ratio>=0.5" --target "lost value<=0" --target "fifo_violations value<=0" \
  --json "$out/cross-node.compare.json" | tee "$out/report.md"
log "report: $out/report.md; raw results: $out/runs/"
if ((failed_runs)); then
  log "$failed_runs run(s) failed"
  exit 1
fi
