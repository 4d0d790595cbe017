#!/usr/bin/env bash
# Akka.Relay against the original Go server (go-seed, see GO_SEED below), same machine, same run.
#
# Builds the relay (Release) and the Go server, then for each scenario runs the load tool
# (src/Akka.Relay.Bench) against a fresh process of each server in alternation
# (Akka.Relay, Go, Akka.Relay, Go, ...), and reports medians, ranges and Akka.Relay/Go ratios
# with `Akka.Relay.Bench compare-report`. Each server is the real process (`dotnet <dll>`, the Go
# binary) on a free loopback port; its CPU time (utime+stime, /proc/PID/stat) and memory (VmRSS,
# VmHWM, /proc/PID/status) are read by the tool over the measured window and by this script at
# the end of the run. Every server is killed on exit, and none outlives its run's time bound.
#
#   bench/compare.sh                      # every scenario, 3 repeats
#   bench/compare.sh -r 5 -s "pairs idle" # some scenarios, 5 repeats
#   bench/compare.sh --quick              # short runs: checks that everything works
#
# Options (environment variable in brackets):
#   -r, --repeats N      runs per server and scenario (REPEATS, default 3)
#   -s, --scenarios "…"  among: pairs pairs-rate broadcast idle connect idle-19k
#                        (SCENARIOS, default all of them; idle-19k runs IDLE19K_REPEATS times, default 1)
#   -o, --out DIR        results folder (OUT, default bench/results/<UTC time>)
#   --ref REF            build the relay from git REF (a clean `git archive` export) instead of
#                        the working tree, e.g. --ref HEAD while others have uncommitted edits (REF)
#   --relay-dll PATH     use this Akka.Relay.Server.dll instead of building (RELAY_DLL)
#   --go-bin PATH        use this go-seed binary instead of building (GO_BIN)
#   --quick              2 s warmup / 3 s window / 2,000 idle connections, for a smoke test
#   WARMUP (15 s), WARMUP_CONNECT (5 s), DURATION (10 s), HOLD (idle hold, 25 s): run lengths
# The Go sources are taken from GO_SEED (default $RELAY_SHARED_DIR/peers/go-seed; RELAY_SHARED_DIR is
# the project's shared tools folder, default ../shared beside the repository), copied and built
# with their build.sh (Debian's golang-go and gorilla packages, installed by apt if missing).
#
# Exit code: 0 when every run produced a result; 1 when a run failed (the report still covers
# the others); 2 when setup failed (build, server start).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repeats="${REPEATS:-3}"
idle19k_repeats="${IDLE19K_REPEATS:-1}"
scenarios="${SCENARIOS:-pairs pairs-rate broadcast idle connect idle-19k}"
out="${OUT:-$root/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}"
shared_dir="${RELAY_SHARED_DIR:-$root/../shared}"
go_seed="${GO_SEED:-$shared_dir/peers/go-seed}"
relay_dll="${RELAY_DLL:-}"
ref="${REF:-}"
go_bin="${GO_BIN:-}"
quick=0

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

while (($#)); do
  case "$1" in
    -r|--repeats) repeats="$2"; shift 2 ;;
    -s|--scenarios) scenarios="$2"; shift 2 ;;
    -o|--out) out="$2"; shift 2 ;;
    --relay-dll) relay_dll="$2"; shift 2 ;;
    --ref) ref="$2"; shift 2 ;;
    --go-bin) go_bin="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || die "--repeats must be a positive integer"

# --- scenarios: tool arguments, metrics shown, targets --------------------------------------
declare -A args metrics targets title
scenario_args "$quick"
title[pairs]="pairs: 50 pairs, window 32, 100-byte content, as fast as the window allows"
title[pairs-rate]="pairs at a fixed 10,000 msg/s (50 pairs, window 32, 100-byte content)"
title[broadcast]="broadcast: 500 clients, 10 senders, window 16, 100-byte content"
title[idle]="idle: $idle_n connections held ${hold} s"
title[connect]="connect: open + close, 16 workers"
title[idle-19k]="idle: $idle19k_n connections held ${hold} s"
lat="latency_p50_us,latency_p90_us,latency_p99_us,latency_p99_9_us,latency_max_us"
res="server_cpu_cores,client_cpu_cores,server_peak_rss_kib,load_avg_1m"
metrics[pairs]="delivered_per_s,acks_per_s,server_cpu_us_per_msg,client_cpu_us_per_msg,$lat,lost,unanswered,fifo_violations,unexpected_messages,$res"
metrics[pairs-rate]="delivered_per_s,$lat,send_lag_p50_us,send_lag_p99_us,send_lag_max_us,server_cpu_us_per_msg,client_cpu_us_per_msg,lost,fifo_violations,$res"
metrics[broadcast]="broadcasts_per_s,deliveries_per_s,server_cpu_us_per_delivery,client_cpu_us_per_delivery,$lat,missing_deliveries,fifo_violations,$res"
metrics[idle]="connected,connect_failures,open_at_end,dropped_while_held,server_kib_per_connection,server_rss_before_kib,server_rss_end_kib,connect_latency_p50_us,connect_latency_p99_us,server_cpu_cores,server_peak_rss_kib,load_avg_1m"
metrics[idle-19k]="${metrics[idle]}"
metrics[connect]="handshakes_per_s,server_cpu_us_per_handshake,client_cpu_us_per_handshake,handshake_latency_p50_us,handshake_latency_p99_us,failures_in_window,$res"
targets[pairs]="server_cpu_us_per_msg ratio<=0.7;delivered_per_s ratio>=1.2;lost value<=0;fifo_violations value<=0"
targets[pairs-rate]="latency_p99_us ratio<=0.7;lost value<=0;fifo_violations value<=0"
targets[broadcast]="deliveries_per_s ratio>=1.5;missing_deliveries value<=0"
targets[idle]="server_kib_per_connection ratio<=0.7;server_kib_per_connection value<=10;dropped_while_held value<=0"
targets[connect]="handshakes_per_s ratio>=1.0"
targets[idle-19k]="open_at_end value>=$idle19k_n;dropped_while_held value<=0"
for s in $scenarios; do [[ -n "${args[$s]:-}" ]] || die "unknown scenario '$s'"; done

# --- start: cleanup traps (every server this script starts dies with it), the load tool ---------
bench_begin
prepare_relay "$root" "$ref" "$relay_dll"

if [[ -n "$go_bin" ]]; then
  [[ -x "$go_bin" ]] || die "--go-bin $go_bin: not an executable"
  cp "$go_bin" "$out/build/go-seed-bin"
else
  [[ -f "$go_seed/build.sh" ]] || die "no Go sources at $go_seed (set GO_SEED)"
  rm -rf "$out/build/go-seed"; cp -r "$go_seed" "$out/build/go-seed"; chmod -R u+w "$out/build/go-seed"
  # build.sh installs golang-go and the gorilla packages from Debian when they are missing.
  bash "$out/build/go-seed/build.sh" >"$out/build/go-seed.build.log" 2>&1 \
    || die "cannot build the Go server: see $out/build/go-seed.build.log"
  cp "$out/build/go-seed/bin/go-seed" "$out/build/go-seed-bin"
fi
gobin=("$out/build/go-seed-bin")

# --- the machine --------------------------------------------------------------------------------
machine_info "go: $(command -v go >/dev/null && go version || echo '(prebuilt binary)')" \
  "relay: $relay_rev" "repeats: $repeats; scenarios: $scenarios" \
  | tee "$out/machine.txt" >&2

# --- one server process -------------------------------------------------------------------------
start_server() { # name, port, log, bound_s
  local name="$1" port="$2" logf="$3" bound="$4"
  if [[ "$name" == Akka.Relay ]]; then
    start_process "$port" "$logf" "$bound" "${relay[@]}" --urls "http://127.0.0.1:$port"
  else
    start_process "$port" "$logf" "$bound" "${gobin[@]}" -addr "127.0.0.1:$port" -system-sender-zero
  fi
}

failed_runs=0
run_one() { # scenario, server name, repeat
  local scenario="$1" name="$2" rep="$3" dir="$out/$1" port base bound rc
  local tag; tag="$(echo "$name" | tr 'A-Z.' 'a-z-')-$rep"
  mkdir -p "$dir"
  [[ "$name" == Akka.Relay ]] && base=28080 || base=28180
  port="$(free_port "$base")"
  bound=600
  start_server "$name" "$port" "$dir/$tag.server.log" "$bound" || { failed_runs=$((failed_runs + 1)); return 1; }
  local pid="$server_pid"
  # shellcheck disable=SC2086
  set +e
  timeout -s KILL $((bound - 30)) "${bench[@]}" ${args[$scenario]} --url "ws://127.0.0.1:$port" --pid "$pid" \
    --label "$name" --json "$dir/$tag.json" >"$dir/$tag.txt" 2>"$dir/$tag.log"
  rc=$?
  set -e
  finish_server "$pid" "$dir/$tag.proc.json" "$dir/$tag.txt"
  if ((rc != 0)) || [[ ! -f "$dir/$tag.json" ]]; then
    log "  $scenario $name #$rep FAILED (exit $rc): $(tail -2 "$dir/$tag.log" | tr '\n' ' ')"
    failed_runs=$((failed_runs + 1))
    return 1
  fi
  log "  $scenario $name #$rep: $(grep -E '^ +(delivered_per_s|deliveries_per_s|handshakes_per_s|server_kib_per_connection|open_at_end) ' "$dir/$tag.txt" | awk '{printf "%s=%s ", $1, $2}')$(grep -E '^ +note:' "$dir/$tag.txt" | head -1)"
}

# --- the runs: A B A B ... ----------------------------------------------------------------------
report="$out/report.md"
: >"$report"
for scenario in $scenarios; do
  n="$repeats"; [[ "$scenario" == idle-19k ]] && n="$idle19k_repeats"
  log "$scenario: ${args[$scenario]} ($n x 2 runs)"
  runs=()
  for rep in $(seq 1 "$n"); do
    for name in Akka.Relay Go; do
      tag="$(echo "$name" | tr 'A-Z.' 'a-z-')-$rep"
      if run_one "$scenario" "$name" "$rep"; then
        runs+=(--run "$name" "$out/$scenario/$tag.json+$out/$scenario/$tag.proc.json")
      fi
    done
  done
  target_args=()
  IFS=';' read -r -a tl <<<"${targets[$scenario]}"
  for t in "${tl[@]}"; do target_args+=(--target "$t"); done
  if "${bench[@]}" compare-report "${runs[@]}" --title "${title[$scenario]}" --name "$scenario" --metrics "${metrics[$scenario]}" \
      "${target_args[@]}" --json "$out/$scenario.compare.json" >"$out/$scenario.md" 2>"$out/$scenario.compare.log"; then
    { cat "$out/$scenario.md"; echo; } | tee -a "$report"
    "${bench[@]}" compare-report "${runs[@]}" --title "${title[$scenario]} (every metric)" >"$out/$scenario.full.md" 2>/dev/null || true
  else
    log "$scenario: no comparison (both servers need at least one result): $(cat "$out/$scenario.compare.log")"
  fi
done

# --- summary ------------------------------------------------------------------------------------
shopt -s nullglob
compares=()
for scenario in $scenarios; do [[ -f "$out/$scenario.compare.json" ]] && compares+=("$out/$scenario.compare.json"); done
if ((${#compares[@]})); then
  { echo "### Targets"; echo; "${bench[@]}" compare-report --summary "${compares[@]}"; } | tee "$out/summary.md"
  { echo; cat "$out/summary.md"; } >>"$report"
fi
log "report: $report; raw results: $out/<scenario>/"
if ((failed_runs)); then
  log "$failed_runs run(s) failed"
  exit 1
fi
