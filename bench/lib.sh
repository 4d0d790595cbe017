# Shared by the benchmark scripts (sourced, not run): building, server processes, measurements.
# The caller sets $out (results folder) before calling build_dotnet, and owns the EXIT trap
# (bench_cleanup kills every process registered in bench_started).

bench_name="$(basename "${0:-bench}")"
die() { echo "$bench_name: $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

declare -a bench_started=()
bench_cleanup() {
  local pid
  for pid in "${bench_started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${bench_started[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# Release build of one project, copied to a folder of its own (builds of the tree may change meanwhile).
build_dotnet() { # source root, project, copy-to
  local src="$1" project="$2" dest="$3" attempt
  for attempt in 1 2 3; do
    if dotnet build -c Release --nologo -v quiet "$src/$project" >"$out/build/$(basename "$project").build.log" 2>&1; then
      rm -rf "$dest"; cp -r "$src/$project/bin/Release/net10.0" "$dest"
      return 0
    fi
    log "build of $project failed (attempt $attempt; others may be editing it): see $out/build/$(basename "$project").build.log"
    ((attempt < 3)) && sleep 60
  done
  return 1
}

# The first port from $1 up that nothing listens on.
free_port() {
  local p="$1"
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# Starts a server command under `timeout -s KILL bound` and waits until it listens on the port.
# Sets server_pid to the server's own PID (not the timeout wrapper's).
server_pid=""
start_process() { # port, log, bound_s, command...
  local port="$1" logf="$2" bound="$3" i
  shift 3
  timeout -s KILL "$bound" "$@" >"$logf" 2>&1 &
  local wrapper=$!
  bench_started+=("$wrapper")
  server_pid=""
  for i in $(seq 1 300); do
    [[ -z "$server_pid" ]] && server_pid="$(pgrep -P "$wrapper" | head -1 || true)"
    if [[ -n "$server_pid" ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      bench_started+=("$server_pid")
      return 0
    fi
    kill -0 "$wrapper" 2>/dev/null || break
    sleep 0.1
  done
  echo "$* did not start on port $port; its log:" >&2
  tail -20 "$logf" >&2
  return 1
}

# SIGTERM (a graceful stop), then SIGKILL after 10 s.
stop_server() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

# Whole-process figures of the server processes, summed, read after the load tool finished.
proc_metrics() { # file, pid...
  local file="$1" tck cpu=0 hwm=0 rss=0 pid stat
  shift
  tck="$(getconf CLK_TCK)"
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat")"; stat="${stat##*) }"
    read -r -a f <<<"$stat"
    cpu=$((cpu + f[11] + f[12]))
    hwm=$((hwm + $(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")))
    rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")))
  done
  printf '{"metrics":{"server_process_cpu_s":%s,"server_peak_rss_kib":%s,"server_final_rss_kib":%s,"load_avg_1m":%s}}\n' \
    "$(awk -v c="$cpu" -v t="$tck" 'BEGIN {printf "%.2f", c / t}')" "$hwm" "$rss" "$(cut -d' ' -f1 /proc/loadavg)" >"$file"
}

# After a run: the server's whole-process figures into FILE (none, with a note in NOTE_FILE, when it
# had already exited), then the server stopped.
finish_server() { # pid, file, note file
  if kill -0 "$1" 2>/dev/null; then
    proc_metrics "$2" "$1"
  else
    echo '{"metrics":{}}' >"$2"
    echo "note: the server had exited before the end of the run" >>"$3"
  fi
  stop_server "$1"
}

# What the machine is, for the record.
machine_info() { # extra lines...
  echo "date: $(date -u '+%F %T UTC')"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "dotnet: $(dotnet --version)"
  echo "open files limit: $(ulimit -n)"
  local line
  for line in "$@"; do echo "$line"; done
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# The start every script shares: the cleanup traps, $out made absolute with build/ and any
# other folders named, and the load tool built into it. Sets bench=(dotnet …dll).
bench_begin() { # extra folders under $out...
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  local dir
  mkdir -p "$out/build"
  for dir in "$@"; do mkdir -p "$out/$dir"; done
  out="$(cd "$out" && pwd)"
  log "results in $out"
  build_dotnet "$root" src/Akka.Relay.Bench "$out/build/bench" || die "cannot build the load tool"
  bench=(dotnet "$out/build/bench/Akka.Relay.Bench.dll")
}

# The relay server to measure: a Release build of the working tree, of a clean export of a git
# ref, or a prebuilt dll; copied to $out/build/NAME (default relay). Sets relay=(dotnet …dll)
# and relay_rev.
prepare_relay() { # repository root, git ref (or empty), prebuilt dll (or empty), name
  local root="$1" ref="$2" prebuilt="$3" name="${4:-relay}" src="$1" last
  if [[ -n "$ref" ]]; then
    src="$out/build/src-$name"
    rm -rf "$src"; mkdir -p "$src"
    git -C "$root" archive --format=tar "$ref" | tar -x -C "$src" || die "cannot export git ref '$ref'"
    relay_rev="$(git -C "$root" rev-parse --short "$ref") (clean export of $ref)"
  else
    relay_rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes under src/')"
  fi

  if [[ -n "$prebuilt" ]]; then
    [[ -f "$prebuilt" ]] || die "--relay-dll $prebuilt: no such file"
    rm -rf "$out/build/$name"; cp -r "$(dirname "$prebuilt")" "$out/build/$name"
    relay_rev="prebuilt $prebuilt"
  elif ! build_dotnet "$src" src/Akka.Relay.Server "$out/build/$name"; then
    last="$src/src/Akka.Relay.Server/bin/Release/net10.0/Akka.Relay.Server.dll"
    [[ -f "$last" ]] || die "cannot build the relay and no earlier Release build exists"
    log "using the last good Release build of the relay ($(date -r "$last" '+%F %T'))"
    rm -rf "$out/build/$name"; cp -r "$(dirname "$last")" "$out/build/$name"
  fi
  relay=(dotnet "$out/build/$name/Akka.Relay.Server.dll")
}

# The load tool's command line per scenario, the same for every script that compares builds.
# Fills the associative array `args` (declare it first) and sets warm, warm_connect, dur, hold,
# idle_n, idle19k_n from WARMUP, WARMUP_CONNECT, DURATION, HOLD; $1 = 1 for short smoke-test runs.
# Each run starts a fresh server: the relay's JIT (tiering, PGO) needs ~10-15 s of load on 2 busy
# cores before its code is steady, so the message scenarios warm up 15 s.
scenario_args() { # quick
  warm="${WARMUP:-15}"; warm_connect="${WARMUP_CONNECT:-5}"; dur="${DURATION:-10}"; hold="${HOLD:-25}"
  idle_n=10000; idle19k_n=19000
  if (($1)); then warm=2; warm_connect=2; dur=3; hold=5; idle_n=2000; idle19k_n=3000; fi
  args[pairs]="pairs --pairs 50 --window 32 --size 100 --warmup $warm --duration $dur"
  args[pairs-rate]="pairs --pairs 50 --window 32 --size 100 --rate 10000 --warmup $warm --duration $dur"
  args[broadcast]="broadcast --clients 500 --senders 10 --window 16 --size 100 --warmup $warm --duration $dur"
  args[idle]="idle --connections $idle_n --connect-rate 2000 --duration $hold"
  args[connect]="connect --concurrency 16 --warmup $warm_connect --duration $dur"
  args[idle-19k]="idle --connections $idle19k_n --connect-rate 2000 --duration $hold"
}
