#!/usr/bin/env bash
# MongoDB at scale: a year of municipality consumption (2024, about 9.5 million records) from a
# local replica into SecantusDB on disk with its default cache, timed with the client's peak
# memory; the documents the store holds in all its collections; and whether it is exact (the
# export from MongoDB equals the export from SQLite of the same year, byte for byte).
#   bash benches/mongodb.sh                      (SecantusDB from PyPI, as .ci/run installs it)
#   ELHUB_BENCH_MONGODB_URI=mongodb://host:port bash benches/mongodb.sh   (a server of your own)
# Needs GNU time and python3; about ten minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/ci-venv
pids=()
on_exit() { kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; return 0; }
. benches/replica.sh
if [ ! -x "$venv/bin/secantusd-py" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'SecantusDB==0.7.0b3'
fi
if [ -z "${ELHUB_BENCH_MONGODB_URI:-}" ]; then
  mport=$(free_port)
  : >"$work/secantusd.toml"
  mkdir "$work/data"
  "$venv/bin/secantusd-py" --config "$work/secantusd.toml" --host 127.0.0.1 --port "$mport" \
    --storage-path "$work/data" --standalone >"$work/secantusd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break; sleep 0.2; done
  export ELHUB_BENCH_MONGODB_URI="mongodb://127.0.0.1:$mport"
fi
db=elhub_bench
"$venv/bin/python" -c "import pymongo,sys; pymongo.MongoClient(sys.argv[1]).drop_database('$db')" "$ELHUB_BENCH_MONGODB_URI"
/usr/bin/time -f "%e %M" -o "$work/time" env ELHUB_MONGODB_URI="$ELHUB_BENCH_MONGODB_URI" \
  "$bin" --ingest-only --no-rate-limit --api-url "$url" --db "$work/unused.sqlite" --sinks mongodb \
  --mongodb-db "$db" --dataset consumption-municipality --year 2024 2>"$work/err" >/dev/null \
  || { cat "$work/err"; exit 1; }
read -r secs kb <"$work/time"
records=$(grep -o '[0-9]* records fetched' "$work/err" | grep -o '^[0-9]*')
printf 'a year of municipalities into MongoDB: %s records in %.1f s, %.0f records/s, client peak %.1f MB\n' \
  "$(printf "%'d" "$records")" "$secs" "$(echo "$records / $secs" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
"$venv/bin/python" - "$ELHUB_BENCH_MONGODB_URI" "$db" "$records" <<'PY'
import sys, pymongo
db = pymongo.MongoClient(sys.argv[1])[sys.argv[2]]
records = int(sys.argv[3])
counts = {c["name"]: db[c["name"]].estimated_document_count()
          for c in db.list_collections() if c["type"] == "collection"}
total = sum(counts.values())
print(f"documents in all collections: {total:,} ({records / total:.1f} records per document): "
      + ", ".join(f"{n} {c:,}" for n, c in sorted(counts.items(), key=lambda x: -x[1])))
PY
# Exact: the same year into SQLite, both exported.
"$bin" --ingest-only --no-rate-limit --api-url "$url" --db "$work/year.sqlite" \
  --dataset consumption-municipality --year 2024 2>/dev/null >/dev/null
/usr/bin/time -f "%e %M" -o "$work/time" env ELHUB_MONGODB_URI="$ELHUB_BENCH_MONGODB_URI" \
  "$bin" export --store mongodb --mongodb-db "$db" --dataset consumption-municipality --year 2024 2>/dev/null \
  | sha256sum >"$work/mongo.sum"
read -r esecs ekb <"$work/time"
"$bin" export --db "$work/year.sqlite" --dataset consumption-municipality --year 2024 2>/dev/null | sha256sum >"$work/sqlite.sum"
if cmp -s "$work/mongo.sum" "$work/sqlite.sum"; then
  printf 'export from MongoDB identical to SQLite'\''s (%.1f s, client peak %.1f MB)\n' "$esecs" "$(echo "$ekb / 1024" | bc -l)"
else
  echo "export from MongoDB DIFFERS from SQLite's"; exit 1
fi
