#!/usr/bin/env bash
# A cluster on loopback against one standalone node, same machine, same run, in alternation.
#
# "single": one relay process, not clustered, every client on it.
# "cross-node": NODES relay processes (default 2) forming a cluster on loopback; clients are spread
# over the nodes round-robin (client i on node i % NODES), so in every pair of the pairs scenario
# client A and client B sit on different nodes and every message and every ack crosses the
# cluster (directory lookup in the user's sharded entity, delivery through the receiver's node).
# The load tool measures every server process (--pid per node) and reports figures summed over them.
#
# Scenarios (-s):
#   pairs   delivered msg/s, CPU per message (all nodes), latency, lost messages, FIFO violations;
#           the report gives the ratio cross-node / single (target: delivered msg/s >= 0.5x).
#   idle    IDLE_SESSIONS sessions (default 6,000 per node) opened at 2,000/s and held HOLD s (25):
#           memory per session (RSS growth of all nodes / sessions) and CPU while they are held
#           idle (Pings), cluster against the same sessions on one node. Before the sessions
#           connect, the nodes' own CPU with no session at all is sampled for EMPTY s (20), SETTLE s
#           (20) after the nodes are up (a fresh node's tiered JIT is busy for its first ~20 s):
#           gossip, failure-detector heartbeats, sharding (empty_cpu_cores_per_node).
#
#   bench/cluster.sh --ref HEAD -r 3                         # pairs, 2 nodes, 3 runs of each, ~8 min
#   bench/cluster.sh --ref HEAD --nodes 3 -s "pairs idle"    # three nodes, both scenarios
#   bench/cluster.sh --quick -r 1        # smoke test
#
# Options (environment variable in brackets):
#   -r, --repeats N      runs per mode (REPEATS, default 3)
#   -o, --out DIR        results folder (OUT, default bench/results/cluster-<UTC time>)
#   --ref REF            build the relay from a clean export of git REF (REF)
#   --relay-dll PATH     use this Akka.Relay.Server.dll instead of building (RELAY_DLL)
#   -n, --nodes N        cluster nodes, 2 to 5 (NODES, default 2)
#   -s, --scenarios "…"  among: pairs idle (SCENARIOS, default pairs)
#   --quick              2 s warmup / 3 s window; idle: 600 sessions per node, 5 s hold, 3 s empty sample
#   PAIRS (50), WINDOW (32), WARMUP (40 s), DURATION (10 s), IDLE_SESSIONS, HOLD (25 s), EMPTY (20 s), SETTLE (20 s)
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
nodes="${NODES:-2}"
scenarios="${SCENARIOS:-pairs}"
quick=0

while (($#)); do
  case "$1" in
    -r|--repeats) repeats="$2"; shift 2 ;;
    -o|--out) out="$2"; shift 2 ;;
    --ref) ref="$2"; shift 2 ;;
    --relay-dll) relay_dll="$2"; shift 2 ;;
    -n|--nodes) nodes="$2"; shift 2 ;;
    -s|--scenarios) scenarios="$2"; shift 2 ;;
    --quick) warm=2; dur=3; quick=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || die "--repeats must be a positive integer"
[[ "$nodes" =~ ^[2-5]$ ]] || die "--nodes must be 2 to 5"
for s in $scenarios; do [[ " pairs idle " == *" $s "* ]] || die "unknown scenario '$s'"; done

declare -A args metrics_of
args[pairs]="pairs --pairs ${PAIRS:-50} --window ${WINDOW:-32} --size 100 --warmup $warm --duration $dur"
metrics_of[pairs]="delivered_per_s,acks_per_s,server_cpu_us_per_msg,client_cpu_us_per_msg,latency_p50_us,latency_p99_us,latency_max_us,lost,unanswered,fifo_violations,unexpected_messages,server_cpu_cores,client_cpu_cores,server_peak_rss_kib,load_avg_1m"
if ((quick)); then idle_per_node=600; hold="${HOLD:-5}"; empty="${EMPTY:-3}"; settle="${SETTLE:-0}"; else idle_per_node=6000; hold="${HOLD:-25}"; empty="${EMPTY:-20}"; settle="${SETTLE:-20}"; fi
idle_sessions="${IDLE_SESSIONS:-$((idle_per_node * nodes))}"
args[idle]="idle --connections $idle_sessions --connect-rate 2000 --duration $hold"
metrics_of[idle]="server_kib_per_connection,server_cpu_cores,empty_cpu_cores_per_node,connect_latency_p50_us,connect_latency_p99_us,connected,dropped_while_held,server_rss_end_kib,load_avg_1m"

bench_begin runs
prepare_relay "$root" "$ref" "$relay_dll"
machine_info "relay: $relay_rev" "repeats: $repeats; nodes: $nodes; scenarios: $scenarios" | tee "$out/machine.txt" >&2

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
# The nodes' own CPU (all nodes together, in cores) over SECONDS, with no session connected.
sample_cpu() { # seconds, pid...
  local seconds="$1" tck before=0 after=0 pid stat
  shift
  tck="$(getconf CLK_TCK)"
  for pid in "$@"; do stat="$(cat "/proc/$pid/stat")"; stat="${stat##*) }"; read -r -a f <<<"$stat"; before=$((before + f[11] + f[12])); done
  sleep "$seconds"
  for pid in "$@"; do stat="$(cat "/proc/$pid/stat")"; stat="${stat##*) }"; read -r -a f <<<"$stat"; after=$((after + f[11] + f[12])); done
  awk -v d="$((after - before))" -v t="$tck" -v s="$seconds" -v n="$#" 'BEGIN {printf "%.4f", d / t / s / n}'
}

declare -A report_runs=()
run_one() { # scenario, mode, repeat
  local scenario="$1" mode="$2" rep="$3" tag="$1-$2-$3" bound=400 rc i
  local -a urls=() pids=() server_pids=()
  local h c h1 c1
  h1="$(free_port 28280)"
  if [[ "$mode" == single ]]; then
    start_process "$h1" "$out/runs/$tag.node1.log" "$bound" env Relay__Inbox__Enabled=false "${relay[@]}" --urls "http://127.0.0.1:$h1" || return 1
    urls=(--url "ws://127.0.0.1:$h1"); server_pids=("$server_pid")
  else
    c1="$(free_port 24053)"
    start_process "$h1" "$out/runs/$tag.node1.log" "$bound" env Relay__Cluster__Enabled=true Relay__Cluster__FormNewCluster=true Relay__Inbox__Enabled=false Relay__Cluster__Port="$c1" \
      "${relay[@]}" --urls "http://127.0.0.1:$h1" || return 1
    server_pids=("$server_pid"); urls=(--url "ws://127.0.0.1:$h1")
    local -a http_ports=("$h1")
    h="$h1"; c="$c1"
    for ((i = 2; i <= nodes; i++)); do
      h="$(free_port $((h + 1)))"; c="$(free_port $((c + 1)))"
      start_process "$h" "$out/runs/$tag.node$i.log" "$bound" env Relay__Cluster__Enabled=true Relay__Inbox__Enabled=false Relay__Cluster__Port="$c" \
        Relay__Cluster__SeedNodes__0="akka.tcp://relay@127.0.0.1:$c1" "${relay[@]}" --urls "http://127.0.0.1:$h" || return 1
      server_pids+=("$server_pid"); urls+=(--url "ws://127.0.0.1:$h"); http_ports+=("$h")
    done
    for ((i = 0; i < nodes; i++)); do
      wait_members "${http_ports[i]}" "$nodes" "$out/runs/$tag.node$((i + 1)).log" || return 1
    done
  fi
  for i in "${server_pids[@]}"; do pids+=(--pid "$i"); done

  local extra_file="$out/runs/$tag.empty.json"
  echo '{"metrics":{}}' >"$extra_file"
  if [[ "$scenario" == idle ]]; then
    sleep "$settle"
    printf '{"metrics":{"empty_cpu_cores_per_node":%s}}\n' "$(sample_cpu "$empty" "${server_pids[@]}")" >"$extra_file"
  fi

  set +e
  # shellcheck disable=SC2086
  timeout -s KILL $((bound - 30)) "${bench[@]}" ${args[$scenario]} "${urls[@]}" "${pids[@]}" --label "$mode" \
    --json "$out/runs/$tag.json" >"$out/runs/$tag.txt" 2>"$out/runs/$tag.log"
  rc=$?
  set -e
  proc_metrics "$out/runs/$tag.proc.json" "${server_pids[@]}" || echo '{"metrics":{}}' >"$out/runs/$tag.proc.json"
  for i in "${server_pids[@]}"; do stop_server "$i"; done
  if ((rc != 0)) || [[ ! -f "$out/runs/$tag.json" ]]; then
    log "  $scenario $mode #$rep FAILED (exit $rc): $(tail -2 "$out/runs/$tag.log" | tr '\n' ' ')"
    return 1
  fi
  log "  $scenario $mode #$rep: $(grep -E '^ +(delivered_per_s|lost|fifo_violations|server_kib_per_connection|server_cpu_cores|dropped_while_held) ' "$out/runs/$tag.txt" | awk '{printf "%s=%s ", $1, $2}')$(jq -r '.metrics | to_entries | map("\(.key)=\(.value)") | join(" ")' "$extra_file")"
  report_runs[$scenario]+=" --run $mode $out/runs/$tag.json+$out/runs/$tag.proc.json+$extra_file"
}

: >"$out/report.md"
for scenario in $scenarios; do
  log "$scenario: ${args[$scenario]} ($repeats x 2 runs, cluster of $nodes)"
  for rep in $(seq 1 "$repeats"); do
    for mode in cross-node single; do
      run_one "$scenario" "$mode" "$rep" || failed_runs=$((failed_runs + 1))
    done
  done
  [[ -n "${report_runs[$scenario]:-}" ]] || continue
  if [[ "$scenario" == pairs ]]; then
    # shellcheck disable=SC2086
    "${bench[@]}" compare-report ${report_runs[pairs]} --title "cross-node pairs on $nodes nodes vs one node (${args[pairs]})" --name cross-node \
      --metrics "${metrics_of[pairs]}" --target "delivered_per_s ratio>=0.5" --target "lost value<=0" --target "fifo_violations value<=0" \
      --json "$out/cross-node.compare.json" | tee -a "$out/report.md"
  else
    # shellcheck disable=SC2086
    "${bench[@]}" compare-report ${report_runs[idle]} --title "idle sessions spread over $nodes nodes vs one node (${args[idle]})" --name cross-node \
      --metrics "${metrics_of[idle]}" --target "dropped_while_held value<=0" \
      --json "$out/idle.compare.json" | tee -a "$out/report.md"
  fi
done
log "report: $out/report.md; raw results: $out/runs/"
if ((failed_runs)); then
  log "$failed_runs run(s) failed"
  exit 1
fi
