#!/usr/bin/env bash
# Cassandra throughput: a year of production (2024, price areas) from a local replica into the
# cluster at ELHUB_BENCH_CASSANDRA, in a new keyspace, timed; then whether it is exact (the
# export from Cassandra equals the export from SQLite of the same year). No Cassandra is
# installed here: point it at a node or cluster of your own.
#   ELHUB_BENCH_CASSANDRA=127.0.0.1:9042 bash benches/cassandra.sh
#   ELHUB_BENCH_CASSANDRA=127.0.0.1:9042,127.0.0.2:9042,127.0.0.3:9042 ELHUB_BENCH_RF=3 bash benches/cassandra.sh
# Optional: ELHUB_BENCH_DATASET (default production), ELHUB_BENCH_YEAR (2024).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ELHUB_BENCH_CASSANDRA:?set ELHUB_BENCH_CASSANDRA=host:port[,host:port..]}"
dataset=${ELHUB_BENCH_DATASET:-production}
year=${ELHUB_BENCH_YEAR:-2024}
rf=${ELHUB_BENCH_RF:-1}
. benches/replica.sh
keyspace="elhub_bench_$(date +%s)"
hosts=$(echo "$ELHUB_BENCH_CASSANDRA" | sed 's/[^,]*/"&"/g')
printf '[cassandra]\ncontact_points = [%s]\nkeyspace = "%s"\nreplication = "{'\''class'\'': '\''SimpleStrategy'\'', '\''replication_factor'\'': %s}"\n' \
  "$hosts" "$keyspace" "$rf" >"$work/config.toml"
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" -c "$work/config.toml" --ingest-only --no-rate-limit \
  --api-url "$url" --db "$work/unused.sqlite" --sinks cassandra --dataset "$dataset" --year "$year" \
  2>"$work/err" >/dev/null || { cat "$work/err"; exit 1; }
read -r secs kb <"$work/time"
records=$(grep -o '[0-9]* records fetched' "$work/err" | grep -o '^[0-9]*')
rate=$(grep -o '([0-9]* records/s)' "$work/err" | grep -o '[0-9]*' | tail -1)
printf '%s %s into Cassandra (%s, replication factor %s, keyspace %s): %s records in %.1f s of the program (%s records/s while writing), client peak %.1f MB\n' \
  "$dataset" "$year" "$ELHUB_BENCH_CASSANDRA" "$rf" "$keyspace" "$(printf "%'d" "$records")" "$secs" "$rate" "$(echo "$kb / 1024" | bc -l)"
grep -E "months done in|cassandra \(consistency" "$work/err" || true
"$bin" --ingest-only --no-rate-limit --api-url "$url" --db "$work/year.sqlite" --dataset "$dataset" --year "$year" 2>/dev/null
a=$("$bin" -c "$work/config.toml" export --store cassandra --dataset "$dataset" --year "$year" 2>/dev/null | sha256sum)
b=$("$bin" export --db "$work/year.sqlite" --dataset "$dataset" --year "$year" 2>/dev/null | sha256sum)
[ "$a" = "$b" ] && echo "export from Cassandra identical to SQLite's" || { echo "export from Cassandra DIFFERS from SQLite's"; exit 1; }
echo "(keyspace $keyspace left in place; drop it with: DROP KEYSPACE $keyspace)"
