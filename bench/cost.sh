#!/usr/bin/env bash
# The cost of an idle connection, every row of its target table in one run: the relay against the Go original
# (compare.sh: memory per connection with 10,000 and 19,000 held, CPU while they are held idle, handshake latency
# during the 2,000/s ramp, handshakes per second), then the relay against a base build (ab.sh: pairs and broadcast
# must not regress), then one table.
#
#   bench/cost.sh                              # HEAD against main, 3 repeats (~25 min on 2 cores)
#   bench/cost.sh --base main --ref HEAD -r 2  # fewer repeats (15 min measured on 2026-12-06)
#   bench/cost.sh --quick -r 1                 # smoke test (~6 min)
#
# Options (environment variable in brackets):
#   --base REF       the build the no-regression rows compare against (BASE, default main)
#   --ref REF        the relay build measured (REF, default HEAD; a clean `git archive` export)
#   -r, --repeats N  runs per server and scenario, idle-19k included (REPEATS, default 3)
#   -o, --out DIR    results folder (OUT, default bench/results/cost-<UTC time>)
#   --quick          short runs (compare.sh/ab.sh --quick)
# Exit code: that of the first script that failed, else 0.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
repeats="${REPEATS:-3}"
base_ref="${BASE:-main}"
cand_ref="${REF:-HEAD}"
out="${OUT:-$root/bench/results/cost-$(date -u +%Y%m%dT%H%M%SZ)}"
quick=()

while (($#)); do
  case "$1" in
    -r|--repeats) repeats="$2"; shift 2 ;;
    -o|--out) out="$2"; shift 2 ;;
    --base) base_ref="$2"; shift 2 ;;
    --ref) cand_ref="$2"; shift 2 ;;
    --quick) quick=(--quick); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
command -v jq >/dev/null || die "jq is needed"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
started=$(date +%s)
# Both halves build a clean export of the ref; named by its commit now, in case the branch moves meanwhile.
cand_rev="$(git -C "$root" rev-parse --short "$cand_ref")"
cand_ref="$(git -C "$root" rev-parse "$cand_ref")"

rc=0
log "relay $cand_ref against Go: idle idle-19k connect ($repeats x 2 runs each)"
IDLE19K_REPEATS="$repeats" "$root/bench/compare.sh" --ref "$cand_ref" -r "$repeats" -s "idle idle-19k connect" \
  -o "$out/compare" "${quick[@]}" >"$out/compare.log" 2>&1 || rc=$?
log "relay $cand_ref against $base_ref: pairs broadcast ($repeats x 2 runs each)"
"$root/bench/ab.sh" --base "$base_ref" --ref "$cand_ref" -r "$repeats" -s "pairs broadcast" \
  -o "$out/ab" "${quick[@]}" >"$out/ab.log" 2>&1 || { ((rc)) || rc=$?; }

# --- the table ---------------------------------------------------------------------------------
c() { # compare.json, metric, side -> median
  jq -r --arg m "$2" --arg s "$3" '.metrics[$m][$s].median // "n/a" | if type == "number" then (. * 1000 | round / 1000) else . end' "$out/compare/$1.compare.json" 2>/dev/null || echo n/a
}
r() { # compare.json, metric -> paired ratio median
  jq -r --arg m "$2" '.metrics[$m].paired_ratio.median // empty | . * 100 | round / 100' "$out/compare/$1.compare.json" 2>/dev/null || echo n/a
}
a() { # ab json, metric -> "candidate / base = ratio"
  jq -r --arg m "$2" '.metrics[$m] | "\(.candidate.median * 1000 | round / 1000) / \(.base.median * 1000 | round / 1000) = \(.paired_ratio.median * 100 | round / 100)x"' "$out/ab/$1.compare.json" 2>/dev/null || echo n/a
}
{
  echo "### Cost of an idle connection: relay $cand_rev against Go and against $base_ref"
  echo
  echo "| row | target | relay | Go | relay / Go (paired median) |"
  echo "|---|---|---:|---:|---:|"
  echo "| KiB per connection, 10,000 held | <= 12 and <= 0.55x Go | $(c idle server_kib_per_connection Akka.Relay) | $(c idle server_kib_per_connection Go) | $(r idle server_kib_per_connection)x |"
  echo "| KiB per connection, 19,000 held | <= 12 and <= 0.55x Go | $(c idle-19k server_kib_per_connection Akka.Relay) | $(c idle-19k server_kib_per_connection Go) | $(r idle-19k server_kib_per_connection)x |"
  echo "| server CPU (cores) holding 10,000 idle | <= 1.0x Go | $(c idle server_cpu_cores Akka.Relay) | $(c idle server_cpu_cores Go) | $(r idle server_cpu_cores)x |"
  echo "| server CPU (cores) holding 19,000 idle | <= 1.0x Go | $(c idle-19k server_cpu_cores Akka.Relay) | $(c idle-19k server_cpu_cores Go) | $(r idle-19k server_cpu_cores)x |"
  echo "| handshake p50 during the 2,000/s ramp (us) | <= 2x Go | $(c idle connect_latency_p50_us Akka.Relay) | $(c idle connect_latency_p50_us Go) | $(r idle connect_latency_p50_us)x |"
  echo "| handshake p99 during the 2,000/s ramp (us) | (reported) | $(c idle connect_latency_p99_us Akka.Relay) | $(c idle connect_latency_p99_us Go) | $(r idle connect_latency_p99_us)x |"
  echo "| handshakes/s (connect) | >= 1.0x Go | $(c connect handshakes_per_s Akka.Relay) | $(c connect handshakes_per_s Go) | $(r connect handshakes_per_s)x |"
  echo "| server CPU per handshake (us) | (reported) | $(c connect server_cpu_us_per_handshake Akka.Relay) | $(c connect server_cpu_us_per_handshake Go) | $(r connect server_cpu_us_per_handshake)x |"
  echo "| dropped while held (10k / 19k) | 0 | $(c idle dropped_while_held Akka.Relay) / $(c idle-19k dropped_while_held Akka.Relay) | $(c idle dropped_while_held Go) / $(c idle-19k dropped_while_held Go) | |"
  echo
  echo "| no regression (candidate / base = paired ratio) | target | value |"
  echo "|---|---|---:|"
  echo "| pairs delivered msg/s | >= 0.95x | $(a pairs delivered_per_s) |"
  echo "| pairs server CPU per message (us) | <= 1.05x | $(a pairs server_cpu_us_per_msg) |"
  echo "| broadcast deliveries/s | >= 0.95x | $(a broadcast deliveries_per_s) |"
  echo "| broadcast server CPU per delivery (us) | <= 1.05x | $(a broadcast server_cpu_us_per_delivery) |"
  echo
  echo "Took $(( ($(date +%s) - started) / 60 )) min; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Reports: $out/compare/report.md, $out/ab/report.md."
} | tee "$out/cost.md"
exit "$rc"
