#!/usr/bin/env bash
# Parquet export at scale: a year of municipality consumption (2024, about 9.5 million records)
# from a local replica into a new SQLite file, then exported to one Parquet file and to a
# partitioned tree, each timed with its peak memory, and the bytes per record; the CSV export of
# the same year beside them for scale.
#   bash benches/parquet.sh            (about a minute on 2 cores after the build; needs GNU time)
# Prints one line per measure; the README's Performance section quotes them.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/replica.sh
db=$work/year.sqlite
"$bin" --ingest-only --no-rate-limit --api-url "$url" --db "$db" \
  --dataset consumption-municipality --year 2024 2>"$work/err" >/dev/null || { cat "$work/err"; exit 1; }
records=$(grep -o '[0-9]* records fetched' "$work/err" | grep -o '^[0-9]*')
echo "a year of municipality consumption (2024): $(printf "%'d" "$records") records"

# export LABEL OUTPUT ARGS...: times the export, prints seconds, records/s, peak memory, and the
# bytes per record of what it wrote.
export_to() {
  local label=$1 out=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/time" \
    "$bin" export --db "$db" --dataset consumption-municipality "$@" 2>"$work/err" >/dev/null \
    || { cat "$work/err"; exit 1; }
  read -r secs kb <"$work/time"
  bytes=$(du -sb "$out" | cut -f1)
  printf '%-28s %6.1f s %10.0f records/s %7.1f MB peak %8.1f MB written %5.2f bytes/record\n' \
    "$label" "$secs" "$(echo "$records / $secs" | bc -l)" "$(echo "$kb / 1024" | bc -l)" \
    "$(echo "$bytes / 1000000" | bc -l)" "$(echo "$bytes / $records" | bc -l)"
}

export_to "parquet, one file" "$work/year.parquet" --format parquet -o "$work/year.parquet"
export_to "parquet, partitioned tree" "$work/lake" --format parquet --partition -o "$work/lake"
export_to "csv (for scale)" "$work/year.csv" -o "$work/year.csv"
