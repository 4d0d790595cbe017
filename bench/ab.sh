#!/usr/bin/env bash
# Akka.Relay built from one git ref against the relay built from another (a branch against main),
# same machine, same run, in alternation (candidate, base, candidate, base, ...): measures a change
# directly, where compare.sh measures each build against the Go original.
#
# Each run starts a fresh server process and runs the load tool with the same command lines as
# compare.sh. When `perf` is available, the server's system calls and context switches are also
# counted over most of the measured window (perf stat, tracepoints) and reported per message (per
# handshake for connect): on a shared, busy machine these counts barely depend on the load of
# others, where times and rates do.
#
#   bench/ab.sh --base main --ref HEAD -r 3 -s "pairs pairs-rate connect"
#   bench/ab.sh --base HEAD --ref HEAD --ref-env DOTNET_TieredPGO=0 -s connect   # a runtime setting
#   bench/ab.sh --quick -r 1 -s pairs         # smoke test
#
# Options (environment variable in brackets):
#   --base REF           the baseline build (BASE, default main)
#   --ref REF            the candidate build (REF, default HEAD)
#   --ref-env "K=V ..."  environment variables for the candidate's server process (REF_ENV)
#   --base-env "K=V ..." the same for the baseline's (BASE_ENV)
#   -r, --repeats N      runs per build and scenario (REPEATS, default 3)
#   -s, --scenarios "…"  among: pairs pairs-rate broadcast idle connect (SCENARIOS, default
#                        "pairs pairs-rate connect")
#   -o, --out DIR        results folder (OUT, default bench/results/ab-<UTC time>)
#   --no-perf            do not count system calls
#   --quick              2 s warmup / 4 s window / 2,000 idle connections
#   WARMUP (15 s), WARMUP_CONNECT (5 s), DURATION (10 s), HOLD (idle hold, 25 s): run lengths
# Exit code: 0 when every run produced a result; 1 when a run failed; 2 when setup failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
repeats="${REPEATS:-3}"
scenarios="${SCENARIOS:-pairs pairs-rate connect}"
out="${OUT:-$root/bench/results/ab-$(date -u +%Y%m%dT%H%M%SZ)}"
base_ref="${BASE:-main}"
cand_ref="${REF:-HEAD}"
declare -A server_env=([candidate]="${REF_ENV:-}" [base]="${BASE_ENV:-}")
use_perf=1
quick=0

while (($#)); do
  case "$1" in
    -r|--repeats) repeats="$2"; shift 2 ;;
    -s|--scenarios) scenarios="$2"; shift 2 ;;
    -o|--out) out="$2"; shift 2 ;;
    --base) base_ref="$2"; shift 2 ;;
    --ref) cand_ref="$2"; shift 2 ;;
    --ref-env) server_env[candidate]="$2"; shift 2 ;;
    --base-env) server_env[base]="$2"; shift 2 ;;
    --no-perf) use_perf=0; shift ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || die "--repeats must be a positive integer"
command -v jq >/dev/null || die "jq is needed"
if ((use_perf)) && ! perf stat -e 'syscalls:sys_enter_sendto' -- true >/dev/null 2>&1; then
  log "perf stat with syscall tracepoints is not available here: no system call counts"
  use_perf=0
fi

# --- scenarios: the same command lines as compare.sh ------------------------------------------
declare -A args metrics per
scenario_args "$quick"
# The rate each scenario's per-unit counts are divided by (idle: none).
per[pairs]=delivered_per_s; per[pairs-rate]=delivered_per_s; per[broadcast]=deliveries_per_s; per[connect]=handshakes_per_s
lat="latency_p50_us,latency_p90_us,latency_p99_us,latency_p99_9_us,latency_max_us"
sys="server_sends_per_unit,server_receives_per_unit,server_epoll_waits_per_unit,server_futex_calls_per_unit,server_context_switches_per_unit"
res="server_cpu_cores,client_cpu_cores,server_peak_rss_kib,load_avg_1m"
metrics[pairs]="delivered_per_s,server_cpu_us_per_msg,client_cpu_us_per_msg,$lat,lost,fifo_violations,$sys,$res"
metrics[pairs-rate]="delivered_per_s,server_cpu_us_per_msg,client_cpu_us_per_msg,$lat,send_lag_p99_us,lost,fifo_violations,$sys,$res"
metrics[broadcast]="deliveries_per_s,server_cpu_us_per_delivery,client_cpu_us_per_delivery,$lat,missing_deliveries,$sys,$res"
metrics[idle]="open_at_end,dropped_while_held,server_kib_per_connection,server_cpu_cores,server_peak_rss_kib,load_avg_1m"
metrics[connect]="handshakes_per_s,server_cpu_us_per_handshake,client_cpu_us_per_handshake,handshake_latency_p50_us,handshake_latency_p99_us,failures_in_window,$sys,$res"
for s in $scenarios; do [[ -n "${args[$s]:-}" ]] || die "unknown scenario '$s'"; done

# --- start: cleanup traps, the load tool from the working tree; both relays from clean exports ---
bench_begin
declare -A dll rev
for side in candidate base; do
  [[ "$side" == candidate ]] && r="$cand_ref" || r="$base_ref"
  prepare_relay "$root" "$r" "" "relay-$side"
  dll[$side]="${relay[1]}"
  rev[$side]="$relay_rev${server_env[$side]:+ with ${server_env[$side]}}"
done
machine_info "candidate: ${rev[candidate]}" "base: ${rev[base]}" "repeats: $repeats; scenarios: $scenarios" \
  "system call counts: $( ((use_perf)) && echo "perf stat, from warmup + 2 s for duration - 3 s" || echo no)" \
  | tee "$out/machine.txt" >&2

# perf stat -x output (value,unit,event,...) -> per-unit metrics; $rate units per second.
perf_metrics() { # perf file, seconds, rate, json out
  awk -F, -v secs="$2" -v rate="$3" '
    { gsub(/^syscalls:sys_enter_/, "", $3); v[$3] = $1 + 0 }
    END {
      n = secs * rate; if (n <= 0) n = 1
      printf "{\"metrics\":{\"server_sends_per_unit\":%.3f,\"server_receives_per_unit\":%.3f,\"server_epoll_waits_per_unit\":%.3f,\"server_futex_calls_per_unit\":%.3f,\"server_context_switches_per_unit\":%.3f}}\n",
        (v["sendto"] + v["sendmsg"]) / n, (v["recvfrom"] + v["recvmsg"]) / n, v["epoll_wait"] / n, v["futex"] / n, v["context-switches"] / n
    }' "$1" >"$4"
}

failed_runs=0
run_one() { # scenario, side, repeat
  local scenario="$1" side="$2" rep="$3" dir="$out/$1" port pid tag="$2-$3" bench_pid rc w window rate extra=""
  mkdir -p "$dir"
  port="$(free_port 28380)"
  # shellcheck disable=SC2086
  start_process "$port" "$dir/$tag.server.log" 600 env ${server_env[$side]} dotnet "${dll[$side]}" --urls "http://127.0.0.1:$port" \
    || { failed_runs=$((failed_runs + 1)); return 1; }
  pid="$server_pid"
  # shellcheck disable=SC2086
  timeout -s KILL 570 "${bench[@]}" ${args[$scenario]} --url "ws://127.0.0.1:$port" --pid "$pid" \
    --label "$side" --json "$dir/$tag.json" >"$dir/$tag.txt" 2>"$dir/$tag.log" &
  bench_pid=$!
  if ((use_perf)) && [[ -n "${per[$scenario]:-}" ]]; then
    [[ "$scenario" == connect ]] && w="$warm_connect" || w="$warm"
    window=$((dur - 3)); ((window < 1)) && window=1
    sleep $((w + 2))
    perf stat -x, -e 'syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,context-switches' \
      -p "$pid" -- sleep "$window" 2>"$dir/$tag.perf" || true
  fi
  set +e
  wait "$bench_pid"
  rc=$?
  set -e
  proc_metrics "$dir/$tag.proc.json" "$pid" 2>/dev/null || echo '{"metrics":{}}' >"$dir/$tag.proc.json"
  stop_server "$pid"
  if ((rc != 0)) || [[ ! -f "$dir/$tag.json" ]]; then
    log "  $scenario $side #$rep FAILED (exit $rc): $(tail -2 "$dir/$tag.log" | tr '\n' ' ')"
    failed_runs=$((failed_runs + 1))
    return 1
  fi
  if [[ -s "$dir/$tag.perf" ]]; then
    rate="$(jq -r ".metrics.${per[$scenario]} // 0" "$dir/$tag.json")"
    perf_metrics "$dir/$tag.perf" "$window" "$rate" "$dir/$tag.sys.json"
    extra="+$dir/$tag.sys.json"
  fi
  run_files="$dir/$tag.json+$dir/$tag.proc.json$extra"
  log "  $scenario $side #$rep: $(jq -r '.metrics | to_entries | map(select(.key | test("^(delivered_per_s|deliveries_per_s|handshakes_per_s|server_cpu_us_per_(msg|delivery|handshake)|latency_p99_us|server_kib_per_connection)$"))) | map("\(.key)=\(.value)") | join(" ")' "$dir/$tag.json")$( [[ -n "$extra" ]] && jq -r '.metrics | " sends/unit=\(.server_sends_per_unit) ctxsw/unit=\(.server_context_switches_per_unit)"' "$dir/$tag.sys.json")"
}

report="$out/report.md"
: >"$report"
for scenario in $scenarios; do
  log "$scenario: ${args[$scenario]} ($repeats x 2 runs)"
  runs=()
  for rep in $(seq 1 "$repeats"); do
    for side in candidate base; do
      if run_one "$scenario" "$side" "$rep"; then runs+=(--run "$side" "$run_files"); fi
    done
  done
  if "${bench[@]}" compare-report "${runs[@]}" --title "$scenario: candidate ${rev[candidate]} / base ${rev[base]}" \
      --metrics "${metrics[$scenario]}" --json "$out/$scenario.compare.json" >"$out/$scenario.md" 2>"$out/$scenario.compare.log"; then
    { cat "$out/$scenario.md"; echo; } | tee -a "$report"
  else
    log "$scenario: no comparison: $(cat "$out/$scenario.compare.log")"
  fi
done
log "report: $report; raw results: $out/<scenario>/"
if ((failed_runs)); then
  log "$failed_runs run(s) failed"
  exit 1
fi
