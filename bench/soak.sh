#!/usr/bin/env bash
# Soak: sustained connect/disconnect churn plus steady 1:1 traffic against one real server process,
# with its memory and open handles sampled throughout. Not part of the default test run.
#
#   bench/soak.sh --minutes 10            # the run recorded in BENCHMARKS.md
#   bench/soak.sh --minutes 2 -o /tmp/s   # a short check
#
# Builds the relay and the load tool (Release), starts the relay as it is deployed
# (`dotnet Akka.Relay.Server.dll`, on a free loopback port) with authentication, a rate limit and
# a session cap switched on (so their code runs too), then for --minutes runs two load tool
# processes side by side:
#   churn: CHURN_WORKERS workers (8), each opening a session for a fresh user, sending itself
#          CHURN_MESSAGES SENDs (10), checking each comes back in order and is acked, and ending the
#          session; every 4th drops its TCP connection instead of closing;
#   pairs: PAIRS pairs (20) exchanging SENDs at PAIRS_RATE msg/s in total (1000), checked for loss
#          and order.
# Every SAMPLE_SECONDS (10) it reads the server's VmRSS and Threads (/proc/PID/status) and counts
# /proc/PID/fd into samples.csv.
#
# Verdict: samples of the first WARMUP_SECONDS (max(60 s, 10 % of the run)) are left out (JIT,
# GC heap growth, pools filling); of the rest, the mean of the last third is compared with the
# mean of the first third. Memory is flat when it grew by at most max(10 %, 32 MiB), handles when
# they grew by at most max(10 %, 16) (the tools' own sockets come and go). Nothing was lost when
# both tools report lost = 0, unanswered = 0, fifo_violations = 0 and the server never dropped a
# session. Exit code 0 when all three hold, 1 when one does not, 2 when setup failed.
#
# Options (environment variable in brackets):
#   -m, --minutes N       length of the load (MINUTES, default 10)
#   -o, --out DIR         results folder (OUT, default bench/results/soak-<UTC time>)
#   --relay-dll PATH      use this Akka.Relay.Server.dll instead of building (RELAY_DLL)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
minutes="${MINUTES:-10}"
out="${OUT:-$root/bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ)}"
relay_dll="${RELAY_DLL:-}"
sample_s="${SAMPLE_SECONDS:-10}"
churn_workers="${CHURN_WORKERS:-8}"
churn_messages="${CHURN_MESSAGES:-10}"
pairs="${PAIRS:-20}"
pairs_rate="${PAIRS_RATE:-1000}"

while (($#)); do
  case "$1" in
    -m|--minutes) minutes="$2"; shift 2 ;;
    -o|--out) out="$2"; shift 2 ;;
    --relay-dll) relay_dll="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || die "--minutes must be a positive integer"
((minutes <= 24 * 60)) || die "--minutes is bounded to a day"
duration=$((minutes * 60))
warmup=$((duration / 10 > 60 ? duration / 10 : 60))
((warmup < duration)) || die "--minutes $minutes leaves no time after the ${warmup} s warm-up"

# --- start: cleanup traps (every process this script starts dies with it), the tools -------------
bench_begin
prepare_relay "$root" "" "$relay_dll"

# --- the server -----------------------------------------------------------------------------------
port="$(free_port 18500)"
key="soak-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
# The server's own bound: the run, the tools' shutdown, and a margin.
start_process "$port" "$out/server.log" $((duration + 300)) env \
  Relay__Auth__SigningKey="$key" \
  Relay__RateLimit__MessagesPerSecond=500 Relay__RateLimit__Burst=200 \
  Relay__MaxSessions=2000 \
  "${relay[@]}" --urls "http://127.0.0.1:$port" || die "the server did not start: see $out/server.log"
pid="$server_pid"

machine_info "relay: $relay_rev" \
  "minutes: $minutes; warm-up left out: ${warmup} s; sample every ${sample_s} s" \
  "churn: $churn_workers workers, $churn_messages messages per session; pairs: $pairs pairs at $pairs_rate msg/s" \
  "server: pid $pid on 127.0.0.1:$port; auth on, rate limit 500/s burst 200, max sessions 2000" \
  | tee "$out/run.txt" >&2

# --- load and sampling ----------------------------------------------------------------------------
url="ws://127.0.0.1:$port"
common=(--url "$url" --pid "$pid" --token-key "$key" --warmup 0 --duration "$duration" --quiet)
"${bench[@]}" churn "${common[@]}" --concurrency "$churn_workers" --messages "$churn_messages" \
  --id-base 5000000000 --json "$out/churn.json" >"$out/churn.txt" 2>"$out/churn.err" &
churn=$!
bench_started+=("$churn")
"${bench[@]}" pairs "${common[@]}" --pairs "$pairs" --rate "$pairs_rate" --window 32 \
  --id-base 4000000000 --json "$out/pairs.json" >"$out/pairs.txt" 2>"$out/pairs.err" &
load=$!
bench_started+=("$load")

status_kib() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$pid/status" 2>/dev/null || echo ""; }
echo "elapsed_s,rss_kib,fds,threads" >"$out/samples.csv"
begin=$(date +%s)
while kill -0 "$churn" 2>/dev/null || kill -0 "$load" 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || die "the server died during the run: see $out/server.log"
  now=$(($(date +%s) - begin))
  if ((now <= duration)); then
    fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    echo "$now,$(status_kib VmRSS),$fds,$(status_kib Threads)" >>"$out/samples.csv"
    log "t=${now}s rss=$(status_kib VmRSS) KiB fds=$fds threads=$(status_kib Threads)"
  fi
  sleep "$sample_s"
done
wait "$churn" || log "the churn tool exited with $? (see $out/churn.err)"
wait "$load" || log "the pairs tool exited with $? (see $out/pairs.err)"
kill -0 "$pid" 2>/dev/null || die "the server died during the run: see $out/server.log"

# --- verdict --------------------------------------------------------------------------------------
# metric NAME FILE: the value column of the tool's table ("   lost        0  msg").
metric() { awk -v m="$1" '$1 == m {gsub(",", "", $2); print $2; exit}' "$2"; }
trend() { # column: "first_third_mean last_third_mean min max"
  awk -F, -v c="$1" -v w="$warmup" 'NR > 1 && $1 >= w && $c != "" {v[n++] = $c}
    END {
      if (n < 3) {print "n/a n/a n/a n/a"; exit}
      t = int(n / 3); min = v[0]; max = v[0]
      for (i = 0; i < n; i++) {if (v[i] < min) min = v[i]; if (v[i] > max) max = v[i]}
      for (i = 0; i < t; i++) {a += v[i]; b += v[n - t + i]}
      printf "%.0f %.0f %d %d\n", a / t, b / t, min, max
    }' "$out/samples.csv"
}
read -r rss_first rss_last rss_min rss_max <<<"$(trend 2)"
read -r fd_first fd_last fd_min fd_max <<<"$(trend 3)"
read -r th_first th_last th_min th_max <<<"$(trend 4)"
flat() { # first last abs_slack: growth within max(10 %, slack)
  awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN {if (a == "n/a") {print "unknown"; exit}
    g = b - a; lim = a * 0.10; if (s > lim) lim = s; print (g <= lim ? "flat" : "growing")}'
}
rss_verdict=$(flat "$rss_first" "$rss_last" 32768)
fd_verdict=$(flat "$fd_first" "$fd_last" 16)

lost=0
for f in "$out/churn.txt" "$out/pairs.txt"; do
  for m in lost unanswered fifo_violations disconnects; do
    v=$(metric "$m" "$f"); v=${v:-missing}
    [[ "$v" == 0 ]] || { log "$(basename "$f" .txt): $m = $v"; lost=1; }
  done
done

{
  echo "== soak: $minutes min, samples after the ${warmup} s warm-up (first third mean -> last third mean, min..max)"
  echo "   rss_kib   $rss_first -> $rss_last  ($rss_min..$rss_max)  $rss_verdict"
  echo "   fds       $fd_first -> $fd_last  ($fd_min..$fd_max)  $fd_verdict"
  echo "   threads   $th_first -> $th_last  ($th_min..$th_max)"
  echo "   churn     cycles=$(metric cycles_total "$out/churn.txt") aborted=$(metric aborted_total "$out/churn.txt") sent=$(metric sent_total "$out/churn.txt") delivered=$(metric delivered_total "$out/churn.txt") acked=$(metric acked_total "$out/churn.txt") lost=$(metric lost "$out/churn.txt") unanswered=$(metric unanswered "$out/churn.txt") fifo_violations=$(metric fifo_violations "$out/churn.txt") connect_failures=$(metric connect_failures "$out/churn.txt")"
  echo "   pairs     sent=$(metric sent_total "$out/pairs.txt") delivered=$(metric delivered_total "$out/pairs.txt") acked=$(metric acked_total "$out/pairs.txt") lost=$(metric lost "$out/pairs.txt") unanswered=$(metric unanswered "$out/pairs.txt") fifo_violations=$(metric fifo_violations "$out/pairs.txt") disconnects=$(metric disconnects "$out/pairs.txt")"
  echo "   server    peak rss $(status_kib VmHWM) KiB; errors logged: $(grep -c -E '^(fail|crit)|\[(ERROR|Error)\]' "$out/server.log" || true)"
  echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ "$rss_verdict" == flat && "$fd_verdict" == flat && "$lost" == 0 ]]; then
    echo "   verdict: memory flat, handles flat, nothing lost"
  else
    echo "   verdict: memory $rss_verdict, handles $fd_verdict, $([[ "$lost" == 0 ]] && echo 'nothing lost' || echo 'MESSAGES LOST OR SESSIONS DROPPED')"
  fi
} | tee "$out/verdict.txt"
[[ "$rss_verdict" == flat && "$fd_verdict" == flat && "$lost" == 0 ]]
