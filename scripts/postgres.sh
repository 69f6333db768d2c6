# Sourced by scripts/test.sh: start a throwaway PostgreSQL on 127.0.0.1 unless
# GATEHOUSE_TEST_POSTGRES already names one. Sets PG_DSN.

start_postgres() {
  if [ -n "${GATEHOUSE_TEST_POSTGRES:-}" ]; then
    PG_DSN="$GATEHOUSE_TEST_POSTGRES"
    return 0
  fi
  local bindir port
  bindir=$(pg_bindir)
  PG_DIR=$(mktemp -d /tmp/gatehouse-pg.XXXXXX)
  # initdb refuses to run as root; run the server as the postgres user then.
  PG_AS=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PG_DIR"
    PG_AS=(runuser -u postgres --)
  fi
  "${PG_AS[@]}" "$bindir/initdb" -D "$PG_DIR/data" -U gatehouse --auth=trust -E UTF8 >/dev/null
  port=54329
  while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
  "${PG_AS[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c max_connections=200 -c fsync=on" start >/dev/null
  PG_BINDIR=$bindir
  PG_DSN="postgres://gatehouse@127.0.0.1:$port/postgres?sslmode=disable"
  echo "PostgreSQL for tests: $PG_DSN"
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    "${PG_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
