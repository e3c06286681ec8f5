# A private PostgreSQL cluster for the storage tests, sourced by .ci/run (and usable by hand:
# `source .ci/postgres.sh && pg_ci_start`, later `pg_ci_stop`). It installs PostgreSQL from the Debian
# packages when missing, runs initdb in a temporary folder as a non-root user (PostgreSQL refuses root),
# listens on a free port of 127.0.0.1 and on a socket in that folder, and exports TEST_DATABASE_URL.

pg_ci_start() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then echo "postgres: not installed, and not root to install it"; return 1; fi
    echo "postgres: installing from the Debian packages"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || {
      echo "postgres: apt-get install postgresql failed"
      return 1
    }
  fi
  PG_CI_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  PG_CI_DIR="$(mktemp -d /tmp/hip-pain-cds-pg.XXXXXX)"
  PG_CI_RUN=()
  if [ "$(id -u)" -eq 0 ]; then
    PG_CI_USER="$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)"
    chown "$PG_CI_USER" "$PG_CI_DIR"
    PG_CI_RUN=(runuser -u "$PG_CI_USER" --)
  fi
  local port
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  "${PG_CI_RUN[@]}" "$PG_CI_BIN/initdb" -D "$PG_CI_DIR/data" -U cds -A trust --no-sync >"$PG_CI_DIR/initdb.log" 2>&1 || {
    echo "postgres: initdb failed"; cat "$PG_CI_DIR/initdb.log"; return 1
  }
  "${PG_CI_RUN[@]}" "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -l "$PG_CI_DIR/server.log" -w -t 60 \
    -o "-p $port -k $PG_CI_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null || {
    echo "postgres: server did not start"; cat "$PG_CI_DIR/server.log"; return 1
  }
  "${PG_CI_RUN[@]}" "$PG_CI_BIN/createdb" -h 127.0.0.1 -p "$port" -U cds hip_pain_cds_test || return 1
  export TEST_DATABASE_URL="postgres://cds@127.0.0.1:$port/hip_pain_cds_test"
  echo "postgres: private cluster on 127.0.0.1:$port ($("$PG_CI_BIN/postgres" --version))"
}

pg_ci_stop() {
  [ -n "${PG_CI_DIR:-}" ] || return 0
  "${PG_CI_RUN[@]}" "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$PG_CI_DIR"
  PG_CI_DIR=""
}
