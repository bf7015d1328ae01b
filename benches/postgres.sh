#!/usr/bin/env bash
# PostgreSQL at scale: a year of municipality consumption (2024, about 9.5 million records) from
# a local replica into PostgreSQL, timed with the client's peak memory; the bytes per record
# the server keeps for it (every table and index of the schema: records, rollups, step sums);
# then the explorer's key tour on that store (p50/p99 key press to frame).
#   ELHUB_BENCH_POSTGRES=postgresql://user:pass@host:port/db bash benches/postgres.sh
# Without ELHUB_BENCH_POSTGRES, as root, a throwaway cluster of Debian's PostgreSQL is made in a
# temporary directory (as .ci/run does). Needs GNU time; about five minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
on_exit() { [ -n "${pg_work:-}" ] && { runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_work/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pg_work"; }; return 0; }
. benches/replica.sh
if [ -z "${ELHUB_BENCH_POSTGRES:-}" ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pg_work=$(mktemp -d); chown postgres "$pg_work"
  printf 'bench\n' >"$pg_work/pw"; chown postgres "$pg_work/pw"
  pg_port=$(free_port)
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_work/data" -U postgres --auth-host=scram-sha-256 --auth-local=trust --pwfile="$pg_work/pw" >/dev/null
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_work/data" -l "$pg_work/log" -w -o "-p $pg_port -k $pg_work -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c max_wal_size=4GB" start >/dev/null
  export ELHUB_BENCH_POSTGRES="postgresql://postgres:bench@127.0.0.1:$pg_port/postgres"
fi
schema=elhub_bench
printf '[postgres]\nschema = "%s"\n' "$schema" >"$work/config.toml"
psql "$ELHUB_BENCH_POSTGRES" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE" 2>/dev/null
/usr/bin/time -f "%e %M" -o "$work/time" env ELHUB_POSTGRES_URL="$ELHUB_BENCH_POSTGRES" \
  "$bin" -c "$work/config.toml" --ingest-only --no-rate-limit --api-url "$url" \
  --db "$work/unused.sqlite" --sinks postgres --dataset consumption-municipality --year 2024 \
  2>"$work/err" >/dev/null || { cat "$work/err"; exit 1; }
read -r secs kb <"$work/time"
records=$(grep -o '[0-9]* records fetched' "$work/err" | grep -o '^[0-9]*')
printf 'a year of municipalities into PostgreSQL: %s records in %.1f s, %.0f records/s, client peak %.1f MB\n' \
  "$(printf "%'d" "$records")" "$secs" "$(echo "$records / $secs" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
bytes=$(psql "$ELHUB_BENCH_POSTGRES" -Atq -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$schema' AND c.relkind IN ('r', 'm')")
rec_bytes=$(psql "$ELHUB_BENCH_POSTGRES" -Atq -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$schema' AND c.relkind = 'r' AND c.relname LIKE 'records_%'")
printf 'server: %.0f MB for the schema, %.1f bytes per record (the record partitions with their key index: %.1f)\n' \
  "$(echo "$bytes / 1000000" | bc -l)" "$(echo "$bytes / $records" | bc -l)" "$(echo "$rec_bytes / $records" | bc -l)"
ELHUB_BENCH_POSTGRES_SCHEMA=$schema cargo bench --quiet --bench tui -- --bench --postgres-only 2>/dev/null | grep -v '^$'
