#!/usr/bin/env bash
# Container test: builds the images (the relay's Dockerfile, deploy/postgres/Dockerfile), runs the
# three-node cluster of deploy/docker-compose.loopback.yml with its PostgreSQL service and checks it
# through real WebSocket clients (relay_check.py): the first seed killed and started again rejoins;
# the inbox across nodes (stored on one node, resumed on another), through a `docker kill` of a
# node, a stop and start of all three nodes, a restart and a stop/start of PostgreSQL; cross-node
# SEND and ack, broadcast, "not online", a node killed with `docker kill`, a graceful
# `docker stop`. Prints one line per check and "N passed, N failed"; exits 1 on any failure.
# Always removes its containers and the database volume, and stops the Docker daemon it started.
#
# Needs root and the project's shared container scripts (they start a Docker daemon with host
# networking only and make local stand-ins of the .NET base images), taken from, in order:
# RELAY_CONTAINER_TOOLS=/path/to/containers; $RELAY_SHARED_DIR/containers when RELAY_SHARED_DIR
# is set; else the first shared/containers beside the repository or above it (CI clones the
# repository with ../shared beside it, the default of RELAY_SHARED_DIR). See docs/testing.md.
# Uses 127.0.0.1 ports 8081-8083 (HTTP), 4053-4055 (cluster) and 5432 (PostgreSQL), as the compose
# file says.
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/containers
compose_file=$repo/deploy/docker-compose.loopback.yml
project=relay-container-test
DOCKER=/usr/bin/docker            # Debian's client, matching the daemon start-dockerd.sh starts
COMPOSE=/usr/bin/docker-compose   # 1.29, the compose installed with it
urls=(http://127.0.0.1:8081 http://127.0.0.1:8082 http://127.0.0.1:8083)
ports=(8081 8082 8083 4053 4054 4055 5432)
logdir=$(mktemp -d /tmp/relay-container-test.XXXXXX)

checks=$logdir/checks   # every "ok - " and "FAIL - " line, this script's and relay_check.py's
: >"$checks"
started_daemon=0 torn_down=0
started=$SECONDS
timings=()
pass() { echo "ok - $*" | tee -a "$checks"; }
fail() { echo "FAIL - $*" | tee -a "$checks"; }
failed() { grep -c '^FAIL - ' "$checks"; }
note() { echo "# $*"; }
timed() { timings+=("$1 $(($SECONDS - $2)) s"); }
compose() { "$COMPOSE" -f "$compose_file" -p "$project" "$@"; }
# Not the compose files' defaults: the password reaches both the database and the nodes'
# connection string through the environment alone. The key turns on the server API, which the
# inbox checks ask whether a user's session has ended.
random_hex() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
export RELAY_DB_PASSWORD="test-$(random_hex)" RELAY_API_KEY=$(random_hex)
unset RELAY_DB_HOST RELAY_DB_PORT RELAY_DB_USER RELAY_DB_NAME
# Waits until every named service's container reports the health status "healthy".
await_healthy() {
  local label=$1 window=$2 deadline health s; shift 2
  deadline=$((SECONDS + window))
  while :; do
    health=$(for s in "$@"; do "$DOCKER" inspect -f '{{.State.Health.Status}}' "${id[$s]}"; done | tr '\n' ' ')
    [ "$health" = "$(printf 'healthy %.0s' "$@")" ] && { pass "compose health checks: $label healthy"; return 0; }
    [ "$SECONDS" -ge "$deadline" ] && { fail "compose health checks ($*): $health after $window s"; return 1; }
    sleep 1
  done
}
# Runs relay_check.py, its lines going to the output and the checks file. Its exit code must
# agree with them: a crash that printed no FAIL line is a failure too.
relay_check() {
  local before status
  before=$(failed)
  "$python" "$here/relay_check.py" "$@" 2>&1 | tee -a "$checks"
  status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] || [ "$(failed)" -gt "$before" ] || fail "relay_check.py $1 exited $status"
  return "$status"
}

teardown() {
  [ "$torn_down" = 1 ] && return
  torn_down=1
  if [ -x "$DOCKER" ] && "$DOCKER" version >/dev/null 2>&1; then
    if [ "$(failed)" -gt 0 ] && [ -n "$(compose ps -q 2>/dev/null)" ]; then
      compose logs --no-color >"$logdir/nodes.log" 2>&1
      note "last lines of each node's log (all of them in $logdir/nodes.log):"
      for s in postgres relay1 relay2 relay3; do compose logs --no-color --tail=15 "$s" 2>&1 | sed 's/^/#   /'; done
    fi
    compose down -v -t 30 --remove-orphans >"$logdir/down.log" 2>&1 || { note "docker-compose down failed:"; sed 's/^/#   /' "$logdir/down.log"; }
    left=$("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$project")
    volumes=$("$DOCKER" volume ls -q --filter "label=com.docker.compose.project=$project")
    if [ -n "$left" ]; then fail "teardown: containers left behind: $left"
    elif [ -n "$volumes" ]; then fail "teardown: volumes left behind: $volumes"
    else note "teardown: no containers or volumes left"; fi
  fi
  if [ "$started_daemon" = 1 ]; then
    "$tools/stop-dockerd.sh" >"$logdir/stop-dockerd.log" 2>&1 && note "$(tail -1 "$logdir/stop-dockerd.log")" \
      || fail "stopping the Docker daemon: $(tail -1 "$logdir/stop-dockerd.log")"
  fi
}

finish() {
  teardown
  note "times: ${timings[*]:-none}; total $((SECONDS - started)) s"
  local passed failed
  passed=$(grep -c '^ok - ' "$checks") failed=$(failed)
  if [ "$failed" -eq 0 ]; then rm -rf "$logdir"; else note "logs in $logdir"; fi
  echo "containers: ${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
trap 'exit_code=0; finish || exit_code=1; exit $exit_code' EXIT
trap 'fail "interrupted"; exit 1' INT TERM
# Stops the test with a failure line; the EXIT trap tears down and prints the counts.
abort() { fail "$*"; exit 1; }

# ---- prerequisites -------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || abort "run as root (the Docker daemon is started and stopped here)"
if [ -n "${RELAY_CONTAINER_TOOLS:-}" ]; then
  tools=$RELAY_CONTAINER_TOOLS
elif [ -n "${RELAY_SHARED_DIR:-}" ]; then
  tools=$RELAY_SHARED_DIR/containers
else
  # CI clones the repository with shared/ beside it; a git worktree may sit deeper.
  tools="" dir=$repo
  while [ "$dir" != / ] && [ -z "$tools" ]; do
    dir=$(dirname "$dir")
    [ -x "$dir/shared/containers/start-dockerd.sh" ] && tools=$dir/shared/containers
  done
fi
for script in start-dockerd.sh make-base-images.sh stop-dockerd.sh; do
  [ -n "$tools" ] && [ -x "$tools/$script" ] \
    || abort "no shared/containers/$script beside or above $repo (set RELAY_SHARED_DIR to the shared folder or RELAY_CONTAINER_TOOLS to its containers folder)"
done
python=$(command -v python3 || true)
if [ -z "$python" ]; then
  apt-get install -y -qq python3 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3 >/dev/null; }
  python=$(command -v python3) || abort "python3 is missing and could not be installed"
fi

# ---- Docker daemon and base images ---------------------------------------------------------
t=$SECONDS
if [ -x "$DOCKER" ] && "$DOCKER" version >/dev/null 2>&1; then
  note "a Docker daemon already runs: using it, and leaving it running"
else
  # Own session: a Ctrl+C or CI's timeout signals this script's process group, and the daemon
  # must survive that long enough for the teardown to remove the containers.
  setsid -w "$tools/start-dockerd.sh" >"$logdir/start-dockerd.log" 2>&1 \
    || { sed 's/^/#   /' "$logdir/start-dockerd.log"; abort "starting the Docker daemon"; }
  started_daemon=1
  note "$(tail -1 "$logdir/start-dockerd.log")"
fi
timed daemon "$t"

t=$SECONDS
"$tools/make-base-images.sh" >"$logdir/base-images.log" 2>&1 \
  || { tail -20 "$logdir/base-images.log" | sed 's/^/#   /'; abort "making the base images"; }
timed base-images "$t"

# ---- compose files and image ---------------------------------------------------------------
if "$COMPOSE" -f "$repo/docker-compose.yml" config -q 2>"$logdir/config.log" \
   && "$COMPOSE" -f "$compose_file" config -q 2>>"$logdir/config.log"; then
  pass "docker-compose.yml and deploy/docker-compose.loopback.yml are valid compose files"
else
  fail "compose files: $(tr '\n' ' ' <"$logdir/config.log")"
fi

t=$SECONDS
compose build >"$logdir/build.log" 2>&1 \
  || { tail -30 "$logdir/build.log" | sed 's/^/#   /'; abort "building the image from the Dockerfile (log $logdir/build.log)"; }
user=$("$DOCKER" image inspect -f '{{.Config.User}}' akka-relay:local)
db_user=$("$DOCKER" image inspect -f '{{.Config.User}}' relay-postgres:local)
if [ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] && [ "$db_user" = postgres ]; then
  pass "images akka-relay:local (user $user) and relay-postgres:local (user $db_user) built from their Dockerfiles ($((SECONDS - t)) s)"
else
  fail "images: akka-relay:local runs as '$user', relay-postgres:local as '$db_user' (expected non-root, postgres)"
fi
timed build "$t"

# ---- three nodes ---------------------------------------------------------------------------
compose down -v -t 30 --remove-orphans >/dev/null 2>&1   # leftovers of an interrupted run, its data included
for port in "${ports[@]}"; do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && abort "127.0.0.1:$port is already in use; the nodes need ports ${ports[*]}"
done

t=$SECONDS
compose up -d --no-build >"$logdir/up.log" 2>&1 || { sed 's/^/#   /' "$logdir/up.log"; abort "docker-compose up"; }
declare -A id
for s in postgres relay1 relay2 relay3; do id[$s]=$(compose ps -q $s); done
relay_check ready --timeout 180 "${urls[@]}" || exit 1
timed cluster-up "$t"

# The compose health checks (pg_isready; bash /dev/tcp to /readyz inside each node) agree.
await_healthy "postgres, relay1..3" 60 postgres relay1 relay2 relay3

# ---- the first seed killed and started again ------------------------------------------------
# Every node lists all three as seeds: relay1, the first of them, rejoins the running cluster
# instead of forming one of its own (it would then count 1 member, and never 3, on /readyz).
t=$SECONDS
{ "$DOCKER" kill "${id[relay1]}" && "$DOCKER" start "${id[relay1]}"; } >"$logdir/restart.log" 2>&1 \
  || { sed 's/^/#   /' "$logdir/restart.log"; abort "docker kill + docker start of relay1"; }
relay_check ready --timeout 180 "${urls[@]}" || exit 1
timed first-seed-rejoin "$t"

# ---- the inbox across nodes, node kill, relay restart, PostgreSQL restart -------------------
# Ends with all three nodes and the database running again (the node that runs the test user's
# directory entity killed, then every node stopped and started; the database restarted, then
# stopped and started).
t=$SECONDS
kill_args=()
for s in relay1 relay2 relay3; do printf -v cmd '%q ' "$DOCKER" kill "${id[$s]}"; kill_args+=(--kill-cmd "$cmd"); done
printf -v relays_stop '%q ' "$COMPOSE" -f "$compose_file" -p "$project" stop relay1 relay2 relay3
printf -v relays_start '%q ' "$COMPOSE" -f "$compose_file" -p "$project" start relay1 relay2 relay3
printf -v db_restart '%q ' "$DOCKER" restart "${id[postgres]}"
printf -v db_stop '%q ' "$DOCKER" stop "${id[postgres]}"
printf -v db_start '%q ' "$DOCKER" start "${id[postgres]}"
relay_check inbox --api-key "$RELAY_API_KEY" "${kill_args[@]}" --restart-cmd "$relays_stop" \
  --restart-cmd "$relays_start" --db-restart-cmd "$db_restart" --db-stop-cmd "$db_stop" --db-start-cmd "$db_start" \
  "${urls[@]}"
# Back to the starting point for the relay checks below.
for s in postgres relay1 relay2 relay3; do
  [ "$("$DOCKER" inspect -f '{{.State.Running}}' "${id[$s]}")" = true ] || "$DOCKER" start "${id[$s]}" >/dev/null
done
relay_check ready --timeout 180 "${urls[@]}" || exit 1
await_healthy "postgres, relay1..3 again after the restarts" 60 postgres relay1 relay2 relay3
timed inbox "$t"

# ---- relay checks, docker kill, docker stop ------------------------------------------------
t=$SECONDS
printf -v kill_cmd '%q ' "$DOCKER" kill "${id[relay3]}"
printf -v stop_cmd '%q ' "$COMPOSE" -f "$compose_file" -p "$project" stop relay1 relay2
relay_check relay --kill-cmd "$kill_cmd" --stop-cmd "$stop_cmd" "${urls[@]}"
timed checks "$t"

# SIGTERM ends a node with exit code 0 after its graceful leave; the killed node stays down
# (a restart policy does not apply to `docker kill`).
codes=$(for s in relay1 relay2 relay3; do "$DOCKER" inspect -f '{{.State.Status}}/{{.State.ExitCode}}' "${id[$s]}"; done | tr '\n' ' ')
if [ "$codes" = "exited/0 exited/0 exited/137 " ]; then
  pass "exit codes: relay1 0, relay2 0 (graceful stop), relay3 137 (killed)"
else
  fail "exit codes (status/code of relay1..3): $codes"
fi
