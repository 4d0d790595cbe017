#!/bin/bash
# Starts PostgreSQL in the foreground (PID 1, logs on stderr). An empty data directory is
# initialised first: superuser `postgres` reachable only through the local socket (peer),
# every TCP client with a password (scram-sha-256), and a role POSTGRES_USER with
# POSTGRES_PASSWORD owning the database POSTGRES_DB, where the relays create their tables.
# Arguments are passed to `postgres` (e.g. -c max_connections=200).
set -euo pipefail

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "relay-db: POSTGRES_PASSWORD is empty; set the password of role ${POSTGRES_USER} before the first start" >&2
    exit 1
  fi
  echo "relay-db: initialising $PGDATA (role ${POSTGRES_USER}, database ${POSTGRES_DB})" >&2
  initdb -D "$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  # initdb allows TCP from loopback only; the relays connect from other containers or hosts.
  {
    echo "host all all 0.0.0.0/0 scram-sha-256"
    echo "host all all ::/0 scram-sha-256"
  } >>"$PGDATA/pg_hba.conf"
  # A private server for the set-up: socket only, so no client sees a half-made database.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -t 60 start >/dev/null
  # psql variables quote the values (:"name" as an identifier, :'value' as a literal).
  psql -v ON_ERROR_STOP=1 -q --no-psqlrc --username=postgres --dbname=postgres \
    -v user="$POSTGRES_USER" -v password="$POSTGRES_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL
  pg_ctl -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
  echo "relay-db: initialised" >&2
fi

exec postgres -D "$PGDATA" -c listen_addresses="$POSTGRES_LISTEN_ADDRESSES" "$@"
