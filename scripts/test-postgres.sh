#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests.
#   scripts/test-postgres.sh start DIR   installs PostgreSQL if needed, starts a cluster in DIR,
#                                        prints its SQLAlchemy URL on stdout
#   scripts/test-postgres.sh restart DIR [MODE]  restarts it (same port and data); MODE is
#                                        pg_ctl's shutdown mode: fast (default) or immediate
#   scripts/test-postgres.sh stop DIR    stops it and removes DIR
# initdb refuses to run as root, so as root the cluster belongs to the postgres user.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?directory}

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
  port=${KANAVA_TEST_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  if ! bin=$(find_bin); then
    if [ "$(id -u)" = 0 ]; then
      echo "installing PostgreSQL (apt-get)" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql >&2
      bin=$(find_bin)
    else
      echo "PostgreSQL is not installed and this user cannot install it" >&2
      exit 3
    fi
  fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U kanava --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" \
    start >&2 || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U kanava kanava_test >&2
  echo "postgresql+psycopg://kanava@127.0.0.1:$port/kanava_test"
  ;;
restart)
  bin=$(find_bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -m "${3:-fast}" restart >&2
  ;;
stop)
  if bin=$(find_bin) && [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|restart|stop DIR" >&2; exit 2 ;;
esac
