#!/usr/bin/env bash
# How cost grows with the dataset: datasets of 1 M, 10 M and 100 M loggen requests (the big one
# generated and ingested in 10 parts of 10 M lines, each part deleted once ingested, so the
# disk holds it), then, on each, `report --data` and the dashboard's views (a fresh server per
# size: the first answer to each filter is cold, the second comes from its cache).
#
#   bench/scale.sh                 # all three sizes (about 40 minutes on 2 cores, 30 GB free)
#   SIZES="1M 10M" bench/scale.sh
#
# Needs: curl, GNU time, python3. Prints Markdown tables; docs/benchmarks.md keeps them.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-/tmp/clickpath-scale}
SIZES=${SIZES:-"1M 10M 100M"}
mkdir -p "$DIR"
export CLICKPATH_SECRET_FILE="$DIR/secret"
cargo build --release --quiet
cargo build --release --quiet -p clickpath-query --example views
BIN=$PWD/target/release/clickpath
CFG=$PWD/examples/clickpath.toml
LOGGEN=../shared/tools/loggen.py

# part K of N lines, starting 7 days after part K-1, ingested into each dataset named.
part() {
  local k=$1 lines=$2; shift 2
  local log="$DIR/part-$k.log"
  local start
  start=$(date -u -d "2024-03-01 +$((7 * k)) days" +%Y-%m-%d)
  python3 "$LOGGEN" --seed $((100 + k)) --lines "$lines" --start-date "$start" --out "$log"
  for d in "$@"; do
    /usr/bin/time -o "$DIR/time.txt" -f "%e %M" "$BIN" ingest -q --data "$d" "$log" 2>/dev/null
    read -r t m < "$DIR/time.txt"
    echo "ingest part $k ($lines lines, $(stat -c %s "$log") bytes) into $d: $t s, $((m / 1024)) MiB" >&2
  done
  rm -f "$log"
}

for size in $SIZES; do
  d="$DIR/d$size"
  [[ -f $d/complete ]] && continue
  case $size in
    1M) part 0 1000000 "$d" ;;
    10M) part 1 10000000 "$d" ;;
    100M)
      for k in 1 2 3 4 5 6 7 8 9 10; do part "$k" 10000000 "$d"; done
      "$BIN" compact --data "$DIR/d100M" >/dev/null 2>&1 ;;
  esac
  [[ $size == 100M ]] || "$BIN" compact --data "$d" >/dev/null 2>&1
  touch "$d/complete"
done

rows() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(sum(f['rows'] for f in m['files']))" "$1/manifest.json"; }
first_day() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(min(f['date'] for f in m['files']))" "$1/manifest.json"; }

echo "| dataset | requests | on disk | report --data s | report --data peak RSS MiB |"
echo "|---|---|---|---|---|"
for size in $SIZES; do
  d="$DIR/d$size"
  /usr/bin/time -o "$DIR/time.txt" -f "%e %M" "$BIN" report -q --json -c "$CFG" --data "$d" >/dev/null 2>&1
  read -r t m < "$DIR/time.txt"
  echo "| $size | $(rows "$d") | $(du -sh "$d" | cut -f1) | $t | $((m / 1024)) |"
done

echo
echo "| dataset | view | cold s | cached s |"
echo "|---|---|---|---|"
for size in $SIZES; do
  d="$DIR/d$size"
  day=$(first_day "$d")
  port=18090
  "$BIN" serve --data "$d" -c "$CFG" --bind 127.0.0.1:$port 2>"$DIR/serve.err" &
  pid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.2; done
  for view in "/api/report" "/api/report?channel=email" "/api/report?from=$day&to=$day" \
    "/api/report?audience=bots" "/api/report?device=mobile&channel=organic_search"; do
    a=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$view")
    b=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$view")
    printf "| %s | %s | %.2f | %.2f |\n" "$size" "$view" "$a" "$b"
  done
  echo "| $size | server peak RSS | $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$pid/status) | |"
  kill $pid; wait $pid 2>/dev/null || true
done

echo
echo "The report's session and request figures as DataFusion plans (crates/query/src/views), same views:"
for size in $SIZES; do
  d="$DIR/d$size"
  day=$(first_day "$d")
  echo "== $size"
  target/release/examples/views "$d" channel=email "from=$day,to=$day" audience=bots \
    device=mobile,channel=organic_search
done
