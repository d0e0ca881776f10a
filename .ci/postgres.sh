#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suites.
#
#   eval "$(.ci/postgres.sh start)"   starts one and exports DATABASE_URL and EFFECT_ASSISTANTS_PGDATA
#   .ci/postgres.sh stop              stops it and removes its data directory
#
# It installs Debian's `postgresql` package when no server is installed (CI runs as root and reaches
# Debian's packages), creates a data directory under /tmp, and serves it on a free loopback port as
# the `postgres` user (or as the caller, when not root). Everything it prints on stdout is shell.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; fi
}

# runs a command as the server's owner
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin
  bin=$(bindir)
  if [ -z "$bin" ]; then
    if [ "$(id -u)" != 0 ]; then
      log "PostgreSQL is not installed and installing it needs root"
      exit 1
    fi
    log "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    # the package starts the cluster it creates unless policy-rc.d says no: only our throwaway
    # server may run, and it is stopped at the end
    local policy=/usr/sbin/policy-rc.d added=""
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=1; fi
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    if [ -n "$added" ]; then rm -f "$policy"; fi
    bin=$(bindir)
    [ -n "$bin" ] || { log "no PostgreSQL server after installing postgresql"; exit 1; }
  fi
  local data port
  data=$(mktemp -d /tmp/effect-assistants-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$data"; fi
  # a free port, chosen by the kernel
  port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')
  as_owner "$bin/initdb" -D "$data/db" -U postgres -A trust --no-sync >"$data/initdb.log" 2>&1 ||
    { cat "$data/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c max_connections=200" start >&2 ||
    { cat "$data/server.log" >&2; exit 1; }
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE effect_assistants" >&2
  log "serving $data/db on 127.0.0.1:$port"
  echo "export EFFECT_ASSISTANTS_PGDATA=$data"
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$port/effect_assistants"
}

stop() {
  local data=${1:-${EFFECT_ASSISTANTS_PGDATA:-}}
  [ -n "$data" ] && [ -d "$data/db" ] || { log "no server to stop"; return 0; }
  local bin
  bin=$(bindir)
  as_owner "$bin/pg_ctl" -D "$data/db" -m immediate -w stop >&2 || true
  rm -rf "$data"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start|stop [data-dir]" >&2; exit 2 ;;
esac
