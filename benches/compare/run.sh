#!/usr/bin/env bash
# Side by side, in one run on this machine, against the same local replica: the reports'
# pipeline (Python: requests + pandas + SQLite, benches/compare/report_pipeline.py) and
# `elhub-explorer --ingest-only`, for one year; then elhub-explorer for ten years, with peak
# memory. Prints the figures and the ratios.
#   bash benches/compare/run.sh
# Needs python3 (a virtualenv with pandas and requests is made under target/) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check pandas requests
fi
. benches/replica.sh

measure() { # label, command...: prints "label seconds peak_MB"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r secs kb < "$work/time"
  printf '%-40s %8.2f s %8.1f MB\n' "$label" "$secs" "$(echo "$kb / 1024" | bc -l)"
  echo "$secs" > "$work/$label.s"
}

echo "one year (2021 production, 215,353 records), each run into a new SQLite file:"
for run in 1 2 3; do
  rm -f "$work"/py.sqlite "$work"/ex.sqlite*
  measure "python-$run" "$venv/bin/python" benches/compare/report_pipeline.py "$url" 2021-01 2021-12 "$work/py.sqlite"
  measure "explorer-$run" "$bin" --ingest-only --api-url "$url" --db "$work/ex.sqlite" --from 2021-01 --to 2021-12
done
best() { sort -n "$work"/$1-*.s | head -1; }
py=$(best python); ex=$(best explorer)
printf 'best of 3: python %.2f s, elhub-explorer %.3f s: elhub-explorer is %.1f times faster\n' "$py" "$ex" "$(echo "$py / $ex" | bc -l)"

echo "ten years (2016-2025 production, 2,144,305 records), into a new SQLite file, best of 2:"
for run in 1 2; do
  rm -f "$work"/ten.sqlite*
  measure "ten-$run" "$bin" --ingest-only --api-url "$url" --db "$work/ten.sqlite" --from 2016-01 --to 2025-12
done
ten=$(best ten)
printf 'ten years took %.1f times one year (target: at most 10)\n' "$(echo "$ten / $ex" | bc -l)"
