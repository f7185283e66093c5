#!/bin/bash
# The store's test suites on PostgreSQL: a real server (Debian's postgresql)
# made with initdb in a temporary folder, run as an unprivileged user on
# 127.0.0.1 only, for the run's duration.  The suites find it through
# SW_TEST_PG (its admin URL) and make a database per test (tu_db).
#   tests/pg/run.sh [command...]     (default build/run_tests; SW_SUITE: the suites, default the store's)
set -euo pipefail
[ $# -gt 0 ] || set -- build/run_tests
suites=${SW_SUITE:-store,alert,monitor,rollout,pipeline,serve,nightly,evaluate}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "tests/pg: no PostgreSQL server (run 'make deps': Debian's postgresql)" >&2
    exit 1
fi
dir=$(mktemp -d /tmp/swish-pg-XXXXXX)
user=$(id -un)
as=()
if [ "$(id -u)" = 0 ]; then # initdb refuses root: the server runs as nobody
    user=nobody
    as=(runuser -u nobody --)
    chown nobody "$dir"
fi
stop() {
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    [ -n "${SW_KEEP_TMP:-}" ] || rm -rf "$dir"
}
trap stop EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" -U swish --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
echo "tests/pg: PostgreSQL $("$bin/postgres" --version | awk "{print \$3}") on 127.0.0.1:$port (as $user)"
SW_TEST_PG="postgresql://swish@127.0.0.1:$port/postgres" SW_SUITE="$suites" "$@"
