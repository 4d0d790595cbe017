#!/usr/bin/env bash
# The durable inbox (protocol 1.1, section 9) measured with the load tool, every row in one run:
#
#   pre-inbox       the relay built from the last commit before the inbox (BASE), version 1 clients
#   inbox-off       this build with Relay__Inbox__Enabled=false, version 1 clients
#   not-opted-in    this build, inbox on (SQLite), clients that never opt in
#   sqlite-all      this build, inbox on (SQLite): every client connects with ?resume=0, so every
#                   SEND is persisted before its answer (pairs --resume all)
#   postgresql-all  the same with Relay__Inbox__Store=postgresql (a throwaway local PostgreSQL server)
#   go              the Go original (go-seed, as bench/compare.sh builds it): no storage at all
#
# for the pairs and pairs-rate scenarios (bench/compare.sh's command lines: 50 pairs, window 32,
# 100-byte content; pairs-rate at 10,000 msg/s), in alternation per repeat, each run against a fresh
# server process on a free loopback port with its own empty store (a SQLite file in the run's temp
# folder, a new PostgreSQL database); then the reconnect storm (`storm`: USERS users each get
# MESSAGES stored messages while offline, then all resume with ?resume=0 at once) on SQLite and on
# PostgreSQL. The server's settings are environment variables only (Relay__Inbox__Enabled,
# Relay__Inbox__Store, Relay__Inbox__ConnectionString). The report (report.md, summary.md) has one
# side-by-side table per scenario and the targets:
#   not-opted-in / pre-inbox and not-opted-in / inbox-off: msg/s >= 0.95x, server CPU per message <= 1.05x
#   sqlite-all and postgresql-all / not-opted-in: msg/s >= 0.5x; / go: msg/s >= 1.0x; nothing lost,
#   no FIFO or seq violation; p99 latency at 10k msg/s stated; storm: every user gets all its messages.
#
#   bench/inbox.sh                 # every row, 3 repeats, storm 2,000 users x 50 messages once
#   bench/inbox.sh --quick         # smoke test: short runs, 1 repeat, storm 300 x 20
#
# Options (environment variable in brackets):
#   -r, --repeats N        runs per row of pairs and pairs-rate (REPEATS, default 3; --quick: 1)
#   --storm-repeats N      storm runs per store (STORM_REPEATS, default 1)
#   -s, --scenarios "…"    among: pairs pairs-rate storm (SCENARIOS, default all three)
#   --rows "…"             among the rows above (ROWS, default all six; storm uses sqlite-all and
#                          postgresql-all only)
#   -o, --out DIR          results folder (OUT, default bench/results/inbox-<UTC time>)
#   --ref REF              build this relay from git REF (REF, default: the working tree)
#   --base REF             the pre-inbox build (BASE, default: the parent of the first commit that
#                          added the inbox's pieces, src/Akka.Relay.Protocol/ResumeRequest.cs or
#                          src/Akka.Relay.Actors/Inbox: 79bc5ed)
#   --go-bin PATH          use this go-seed binary instead of building it (GO_BIN)
#   --users N, --messages M  storm size (USERS 2000, MESSAGES 50; --quick: 300, 20)
#   --quick                2 s warmup / 3 s window (unless WARMUP / DURATION are set), 1 repeat, a small storm
#   WARMUP (15 s), DURATION (10 s): run lengths; POSTGRES_BIN: the folder of initdb and pg_ctl
#   (default the newest /usr/lib/postgresql/*/bin); GO_SEED / RELAY_SHARED_DIR as for compare.sh.
# Exit code: 0 when every run produced a result; 1 when a run failed; 2 when setup failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
repeats="${REPEATS:-}"
storm_repeats="${STORM_REPEATS:-1}"
scenarios="${SCENARIOS:-pairs pairs-rate storm}"
all_rows="pre-inbox inbox-off not-opted-in sqlite-all postgresql-all go"
rows="${ROWS:-$all_rows}"
out="${OUT:-$root/bench/results/inbox-$(date -u +%Y%m%dT%H%M%SZ)}"
ref="${REF:-}"
base_ref="${BASE:-}"
go_bin="${GO_BIN:-}"
shared_dir="${RELAY_SHARED_DIR:-$root/../shared}"
go_seed="${GO_SEED:-$shared_dir/peers/go-seed}"
users="${USERS:-}"
messages="${MESSAGES:-}"
quick=0

while (($#)); do
  case "$1" in
    -r|--repeats) repeats="$2"; shift 2 ;;
    --storm-repeats) storm_repeats="$2"; shift 2 ;;
    -s|--scenarios) scenarios="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    -o|--out) out="$2"; shift 2 ;;
    --ref) ref="$2"; shift 2 ;;
    --base) base_ref="$2"; shift 2 ;;
    --go-bin) go_bin="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
if ((quick)); then
  repeats="${repeats:-1}"; users="${users:-300}"; messages="${messages:-20}"
else
  repeats="${repeats:-3}"; users="${users:-2000}"; messages="${messages:-50}"
fi
for n in "$repeats" "$storm_repeats" "$users" "$messages"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "repeats, storm repeats, users and messages must be positive integers"
done
for s in $scenarios; do [[ " pairs pairs-rate storm " == *" $s "* ]] || die "unknown scenario '$s'"; done
for r in $rows; do [[ " $all_rows " == *" $r "* ]] || die "unknown row '$r'"; done
has_row() { [[ " $rows " == *" $1 "* ]]; }
command -v jq >/dev/null || die "jq is needed"
if [[ -z "$base_ref" ]]; then
  # The inbox came in with the protocol 1.1 wire pieces, then the InboxActor: the commit before the first of them.
  first_inbox="$(git -C "$root" log --format=%H -- src/Akka.Relay.Actors/Inbox src/Akka.Relay.Protocol/ResumeRequest.cs | tail -1)"
  [[ -n "$first_inbox" ]] || die "cannot find the first inbox commit: give --base"
  base_ref="$(git -C "$root" rev-parse --short "$first_inbox^")"
fi

declare -A args
# --quick shortens the runs unless WARMUP / DURATION say otherwise (a first write to a cold store is slow).
((quick)) && { WARMUP="${WARMUP:-2}"; DURATION="${DURATION:-3}"; }
scenario_args 0
# A storm is bounded per phase (opt-in, fill, resume); the fill of a cold SQLite store is the long one.
args[storm]="storm --users $users --messages $messages --senders 20 --window 32 --size 100 --duration $( ((quick)) && echo 120 || echo 900)"
if ((quick)); then args[pairs]+=" --drain 10"; args[pairs-rate]+=" --drain 10"; fi

# --- start: cleanup traps (servers, the PostgreSQL server, temp folder), the builds -------------
tmp=""
pg_bin="${POSTGRES_BIN:-}"
pg_data=""
pg_port=""
pg_as() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
inbox_cleanup() {
  bench_cleanup
  if [[ -n "$pg_data" && -f "$pg_data/postmaster.pid" ]]; then
    pg_as "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  [[ -n "$tmp" ]] && rm -rf "$tmp"
}
bench_begin
trap inbox_cleanup EXIT
# The run's temp folder: SQLite files, PostgreSQL's data (readable by the postgres user when run as root).
tmp="$(mktemp -d "${TMPDIR:-/tmp}/relay-inbox-bench.XXXXXX")"
chmod 755 "$tmp"

prepare_relay "$root" "$ref" "" relay
relay_dll="${relay[1]}"; cand_rev="$relay_rev"
base_dll=""; base_rev=""
if has_row pre-inbox && [[ " $scenarios " == *" pairs"* ]]; then
  prepare_relay "$root" "$base_ref" "" relay-pre-inbox
  base_dll="${relay[1]}"; base_rev="$relay_rev"
fi
go_exe=""
if has_row go && [[ " $scenarios " == *" pairs"* ]]; then
  if [[ -n "$go_bin" ]]; then
    [[ -x "$go_bin" ]] || die "--go-bin $go_bin: not an executable"
    cp "$go_bin" "$out/build/go-seed-bin"
  else
    [[ -f "$go_seed/build.sh" ]] || die "no Go sources at $go_seed (set GO_SEED, or --rows without go)"
    rm -rf "$out/build/go-seed"; cp -r "$go_seed" "$out/build/go-seed"; chmod -R u+w "$out/build/go-seed"
    bash "$out/build/go-seed/build.sh" >"$out/build/go-seed.build.log" 2>&1 \
      || die "cannot build the Go server: see $out/build/go-seed.build.log"
    cp "$out/build/go-seed/bin/go-seed" "$out/build/go-seed-bin"
  fi
  go_exe="$out/build/go-seed-bin"
fi

# --- a throwaway PostgreSQL server (STACK.md "Persistence"), stopped by the EXIT trap -------------
if has_row postgresql-all; then
  if [[ -z "$pg_bin" ]]; then
    pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  fi
  [[ -x "$pg_bin/initdb" ]] || die "no PostgreSQL binaries (apt-get install -y postgresql, or POSTGRES_BIN=…, or --rows without postgresql-all)"
  pg_data="$tmp/pg"
  mkdir -p "$pg_data"
  ((EUID == 0)) && chown postgres "$pg_data"
  pg_port="$(free_port 29432)"
  pg_as "$pg_bin/initdb" -D "$pg_data" -A trust -U relay -E UTF8 >"$out/build/postgresql.initdb.log" 2>&1 \
    || die "initdb failed: see $out/build/postgresql.initdb.log"
  pg_as "$pg_bin/pg_ctl" -D "$pg_data" -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1" \
    -l "$pg_data/log" -w -t 60 start >/dev/null || die "PostgreSQL did not start: $(tail -5 "$pg_data/log" 2>/dev/null)"
  log "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port, data in $pg_data"
fi
new_pg_database() { # name suffix; prints a connection string to a new empty database
  local db="relay_bench_${1//[^a-z0-9]/_}"
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U relay -d postgres -qAt -c "create database $db" >/dev/null \
    || { echo "cannot create database $db" >&2; return 1; }
  echo "Host=127.0.0.1;Port=$pg_port;Username=relay;Database=$db;Timeout=30"
}

machine_info "relay: $cand_rev" "pre-inbox: ${base_rev:-(not run)}" \
  "go: ${go_exe:+$(command -v go >/dev/null && go version || echo prebuilt)}" \
  "postgresql: ${pg_bin:-(not run)}" "repeats: $repeats (storm: $storm_repeats); scenarios: $scenarios; rows: $rows" \
  "storm: ${args[storm]}" | tee "$out/machine.txt" >&2

# --- one run: a fresh server with the row's settings, then the load tool -------------------------
failed_runs=0
run_files=""
run_one() { # scenario, row, repeat
  local scenario="$1" row="$2" rep="$3" dir="$out/$1" tag="$2-$3" port pid rc extra="" rundir pg_cs
  local -a server env=()
  mkdir -p "$dir"
  rundir="$tmp/$scenario-$tag"; mkdir -p "$rundir"
  case "$row" in
    pre-inbox) server=(dotnet "$base_dll") ;;
    go) server=("$go_exe") ;;
    *) server=(dotnet "$relay_dll") ;;
  esac
  case "$row" in
    inbox-off) env=(Relay__Inbox__Enabled=false) ;;
    not-opted-in|sqlite-all) env=(Relay__Inbox__Enabled=true Relay__Inbox__Store=sqlite "Relay__Inbox__ConnectionString=Data Source=$rundir/inbox.db") ;;
    postgresql-all)
      pg_cs="$(new_pg_database "$scenario-$tag")" || { failed_runs=$((failed_runs + 1)); return 1; }
      env=(Relay__Inbox__Enabled=true Relay__Inbox__Store=postgresql "Relay__Inbox__ConnectionString=$pg_cs") ;;
  esac
  case "$row" in
    sqlite-all|postgresql-all) [[ "$scenario" == storm ]] || extra="--resume all" ;;
  esac
  printf '%s\n' "${env[@]}" >"$dir/$tag.env"
  port="$(free_port 28480)"
  if [[ "$row" == go ]]; then
    start_process "$port" "$dir/$tag.server.log" 2400 env -C "$rundir" "${server[@]}" -addr "127.0.0.1:$port" -system-sender-zero \
      || { failed_runs=$((failed_runs + 1)); return 1; }
  else
    start_process "$port" "$dir/$tag.server.log" 2400 env -C "$rundir" "${env[@]}" "${server[@]}" --urls "http://127.0.0.1:$port" \
      || { failed_runs=$((failed_runs + 1)); return 1; }
  fi
  pid="$server_pid"
  # A server with the inbox on lists the store's inboxes at start and holds every SEND until that
  # is done (docs/inbox.md, "Wired on a single node"): the load starts once its log says so.
  case "$row" in
    not-opted-in|sqlite-all|postgresql-all)
      local waited=0
      while ! grep -q "The inbox store holds" "$dir/$tag.server.log" && ((waited < 1200)); do sleep 0.1; waited=$((waited + 1)); done
      ((waited < 1200)) || log "  $scenario $row #$rep: no \"The inbox store holds\" line in the server log after 120 s; starting the load anyway"
      printf '{"metrics":{"inbox_listing_wait_s":%s}}\n' "$(awk -v w="$waited" 'BEGIN {printf "%.1f", w / 10}')" >"$dir/$tag.ready.json"
      ;;
  esac
  set +e
  # shellcheck disable=SC2086
  timeout -s KILL 2300 "${bench[@]}" ${args[$scenario]} $extra --url "ws://127.0.0.1:$port" --pid "$pid" \
    --label "$row" --json "$dir/$tag.json" >"$dir/$tag.txt" 2>"$dir/$tag.log"
  rc=$?
  set -e
  finish_server "$pid" "$dir/$tag.proc.json" "$dir/$tag.txt"
  rm -rf "$rundir"
  if ((rc != 0)) || [[ ! -f "$dir/$tag.json" ]]; then
    log "  $scenario $row #$rep FAILED (exit $rc): $(tail -2 "$dir/$tag.log" | tr '\n' ' ')"
    failed_runs=$((failed_runs + 1))
    return 1
  fi
  run_files="$dir/$tag.json+$dir/$tag.proc.json"
  [[ -f "$dir/$tag.ready.json" ]] && run_files+="+$dir/$tag.ready.json"
  log "  $scenario $row #$rep: $(jq -r '.metrics | to_entries | map(select(.key | test("^(delivered_per_s|server_cpu_us_per_msg|latency_p99_us|lost|seq_violations|stored_replies|inbox_unavailable|delivered_despite_refusal|fill_stored|fill_inbox_unavailable|replayed_despite_refusal|fill_answers_per_s|resumed_complete|storm_all_done_s|replayed_per_s|time_to_last_message_p99_us|missing_messages)$"))) | map("\(.key)=\(.value)") | join(" ")' "$dir/$tag.json") $(jq -r '.notes | join("; ")' "$dir/$tag.json")$([[ -f "$dir/$tag.ready.json" ]] && jq -r '" (load started after the inbox listing: \(.metrics.inbox_listing_wait_s) s)"' "$dir/$tag.ready.json")"
}

# --- the runs, rows in alternation per repeat ------------------------------------------------------
declare -A runs_of   # "scenario row" -> --run arguments
report="$out/report.md"
: >"$report"
compares=()
compare() { # scenario, name, title, metrics, label A, label B, targets (;-separated)...
  local scenario="$1" name="$2" title="$3" metrics="$4" a="$5" b="$6" targets="${7:-}" t
  local -a target_args=() run_args=()
  [[ -n "${runs_of["$scenario $a"]:-}" && -n "${runs_of["$scenario $b"]:-}" ]] || return 0
  # shellcheck disable=SC2206
  run_args=(${runs_of["$scenario $a"]} ${runs_of["$scenario $b"]})
  if [[ -n "$targets" ]]; then
    IFS=';' read -r -a tl <<<"$targets"
    for t in "${tl[@]}"; do target_args+=(--target "$t"); done
  fi
  if "${bench[@]}" compare-report "${run_args[@]}" --title "$title" --name "$name" --metrics "$metrics" \
      "${target_args[@]}" --json "$out/$name.compare.json" >"$out/$name.md" 2>"$out/$name.compare.log"; then
    { cat "$out/$name.md"; echo; } >>"$report"
    [[ -n "$targets" ]] && compares+=("$out/$name.compare.json")
  else
    log "$name: no comparison: $(cat "$out/$name.compare.log")"
  fi
  return 0
}
side_by_side() { # scenario, title, metrics: every row of the scenario in one table
  local scenario="$1" title="$2" metrics="$3" r
  local -a run_args=()
  for r in $rows; do
    # shellcheck disable=SC2206
    [[ -n "${runs_of["$scenario $r"]:-}" ]] && run_args+=(${runs_of["$scenario $r"]})
  done
  if "${bench[@]}" compare-report "${run_args[@]}" --title "$title" --metrics "$metrics" >"$out/$scenario.md" 2>"$out/$scenario.compare.log"; then
    { cat "$out/$scenario.md"; echo; } >>"$report"
  else
    log "$scenario: no side-by-side table: $(cat "$out/$scenario.compare.log")"
  fi
}

lat="latency_p50_us,latency_p90_us,latency_p99_us,latency_p99_9_us,latency_max_us"
res="server_cpu_cores,client_cpu_cores,server_peak_rss_kib,load_avg_1m"
checks="lost,unanswered,fifo_violations,seq_violations,stored_replies,inbox_unavailable,delivered_despite_refusal,resume_header_problems,error_replies,unexpected_messages"
declare -A metrics
metrics[pairs]="delivered_per_s,server_cpu_us_per_msg,client_cpu_us_per_msg,$lat,$checks,$res,inbox_listing_wait_s"
metrics[pairs-rate]="delivered_per_s,$lat,send_lag_p99_us,server_cpu_us_per_msg,client_cpu_us_per_msg,$checks,$res,inbox_listing_wait_s"
metrics[storm]="storm_all_done_s,replayed_per_s,time_to_last_message_p50_us,time_to_last_message_p99_us,time_to_last_message_max_us,time_to_header_p50_us,time_to_header_p99_us,storm_handshake_p99_us,resumed_complete,missing_messages,seq_violations,content_mismatches,resume_header_problems,epoch_changes,unexpected_messages,replayed_despite_refusal,fill_stored,fill_success_send,fill_inbox_unavailable,fill_unanswered,fill_answers_per_s,fill_server_cpu_us_per_msg,server_cpu_us_per_msg,server_peak_rss_kib,load_avg_1m,inbox_listing_wait_s"
nothing_lost="lost value<=0;fifo_violations value<=0;seq_violations value<=0;inbox_unavailable value<=0;delivered_despite_refusal value<=0;resume_header_problems value<=0"

for scenario in $scenarios; do
  if [[ "$scenario" == storm ]]; then
    scenario_rows=""; for r in sqlite-all postgresql-all; do has_row "$r" && scenario_rows+=" $r"; done
    n="$storm_repeats"
  else
    scenario_rows="$rows"; n="$repeats"
  fi
  log "$scenario: ${args[$scenario]} ($n x rows:$scenario_rows)"
  for rep in $(seq 1 "$n"); do
    for row in $scenario_rows; do
      if run_one "$scenario" "$row" "$rep"; then runs_of["$scenario $row"]+=" --run $row $run_files"; fi
    done
  done
done

# --- the report ----------------------------------------------------------------------------------
for scenario in pairs pairs-rate; do
  [[ " $scenarios " == *" $scenario "* ]] || continue
  [[ "$scenario" == pairs ]] && what="pairs: 50 pairs, window 32, 100-byte content, as fast as the window allows" \
    || what="pairs-rate: 50 pairs at a fixed 10,000 msg/s"
  side_by_side "$scenario" "$what, every row" "${metrics[$scenario]}"
  keep="delivered_per_s ratio>=0.95;server_cpu_us_per_msg ratio<=1.05"
  [[ "$scenario" == pairs-rate ]] && keep="server_cpu_us_per_msg ratio<=1.05;lost value<=0"
  short="delivered_per_s,server_cpu_us_per_msg,latency_p50_us,latency_p99_us,lost,fifo_violations,seq_violations"
  compare "$scenario" "$scenario-not-opted-in-vs-pre-inbox" "$scenario: inbox on, nobody opted in / the build before the inbox" "$short" not-opted-in pre-inbox "$keep"
  compare "$scenario" "$scenario-not-opted-in-vs-inbox-off" "$scenario: inbox on, nobody opted in / Relay:Inbox:Enabled=false (same build)" "$short" not-opted-in inbox-off "$keep"
  for store in sqlite postgresql; do
    if [[ "$scenario" == pairs ]]; then
      compare pairs "pairs-$store-all-vs-not-opted-in" "pairs: every SEND persisted ($store) / not persisted" "$short,stored_replies,inbox_unavailable,delivered_despite_refusal,resume_header_problems" \
        "$store-all" not-opted-in "delivered_per_s ratio>=0.5;$nothing_lost"
      compare pairs "pairs-$store-all-vs-go" "pairs: every SEND persisted ($store) / the Go original without storage" "$short" \
        "$store-all" go "delivered_per_s ratio>=1.0"
    else
      compare pairs-rate "pairs-rate-$store-all-vs-not-opted-in" "pairs-rate (10k msg/s): every SEND persisted ($store) / not persisted" \
        "delivered_per_s,latency_p50_us,latency_p99_us,latency_p99_9_us,send_lag_p99_us,server_cpu_us_per_msg,lost,fifo_violations,seq_violations,inbox_unavailable,delivered_despite_refusal,resume_header_problems" \
        "$store-all" not-opted-in "delivered_per_s ratio>=0.98;$nothing_lost"
    fi
  done
done
if [[ " $scenarios " == *" storm "* ]]; then
  storm_title="storm: $users users x $messages stored messages resume at once (?resume=0)"
  storm_targets="resumed_complete value>=$users;missing_messages value<=0;seq_violations value<=0;content_mismatches value<=0;resume_header_problems value<=0;fill_stored value>=$((users * messages))"
  if [[ -n "${runs_of["storm sqlite-all"]:-}" && -n "${runs_of["storm postgresql-all"]:-}" ]]; then
    side_by_side storm "$storm_title: SQLite and PostgreSQL" "${metrics[storm]}"
    # A value target checks the first label: once with each store first.
    storm_checked="storm_all_done_s,replayed_per_s,time_to_last_message_p99_us,resumed_complete,missing_messages,seq_violations,content_mismatches,resume_header_problems,fill_stored,fill_inbox_unavailable,replayed_despite_refusal"
    compare storm storm-sqlite "storm, SQLite (checks)" "$storm_checked" sqlite-all postgresql-all "$storm_targets"
    compare storm storm-postgresql "storm, PostgreSQL (checks)" "$storm_checked" postgresql-all sqlite-all "$storm_targets"
  else
    for r in sqlite-all postgresql-all; do
      [[ -n "${runs_of["storm $r"]:-}" ]] || continue
      { echo "### $storm_title ($r)"; echo; echo '```'; for f in "$out"/storm/"$r"-*.txt; do cat "$f"; done; echo '```'; echo; } >>"$report"
    done
  fi
fi

if ((${#compares[@]})); then
  { echo "### Targets"; echo; "${bench[@]}" compare-report --summary "${compares[@]}"; } >"$out/summary.md"
  { echo; cat "$out/summary.md"; } >>"$report"
fi
cat "$report"
log "report: $report; raw results: $out/<scenario>/"
if ((failed_runs)); then
  log "$failed_runs run(s) failed"
  exit 1
fi
