#!/usr/bin/env bash
# Ingest at the scale of all of Elhub's catalogued series, from a local replica without a rate
# limit, into a new SQLite file: every dataset 2021-01..2025-12 (about 73 million records), one
# after another, each timed with its peak memory; then the file's size per record (rollups
# included), and a year of municipality data alone into a new file for its peak memory.
#   bash benches/scale.sh            (about three minutes on 2 cores; needs GNU time)
# Prints one line per measure; the README's Performance section quotes them.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/replica.sh

# run LABEL DB ARGS...: ingests, prints records, seconds, records/s and peak memory.
run() {
  local label=$1 db=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/time" \
    "$bin" --ingest-only --no-rate-limit --api-url "$url" --db "$db" "$@" 2>"$work/err" >/dev/null \
    || { cat "$work/err"; exit 1; }
  read -r secs kb <"$work/time"
  records=$(grep -o '[0-9]* records fetched\|[0-9]* record fetched' "$work/err" | grep -o '^[0-9]*' || echo 0)
  printf '%-26s %11s records %7.1f s %10.0f records/s %7.1f MB peak\n' \
    "$label" "$(printf "%'d" "$records")" "$secs" "$(echo "$records / $secs" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
  echo "$records $secs" >>"$work/totals"
}

echo "every dataset 2021-01..2025-12 into one new SQLite file:"
for dataset in production consumption production-15min consumption-grid-area consumption-municipality; do
  run "$dataset" "$work/all.sqlite" --dataset "$dataset" --from 2021-01 --to 2025-12
done
awk '{r += $1; s += $2} END {printf "all datasets               %11d records %7.1f s %10.0f records/s\n", r, s, r / s}' "$work/totals"
records=$(awk '{r += $1} END {print r}' "$work/totals")
bytes=$(stat -c %s "$work/all.sqlite")
printf 'store size: %.0f MB for %d records: %.1f bytes per record, rollups included\n' \
  "$(echo "$bytes / 1000000" | bc -l)" "$records" "$(echo "$bytes / $records" | bc -l)"

echo "a year of municipality data (2024) alone, into a new file:"
run "consumption-municipality" "$work/year.sqlite" --dataset consumption-municipality --year 2024
