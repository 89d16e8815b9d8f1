#!/usr/bin/env bash
# Throughput and peak memory: clickpath (parse, report) vs GoAccess 1.7 vs mawk, in one run on
# the same loggen files.
#
#   bench/run.sh              # 100 MiB and 1 GiB files, 3 runs each (GoAccess once), min wall time
#   SIZES="100M" RUNS=1 bench/run.sh
#
# Needs: goaccess (Debian), mawk, GNU time (/usr/bin/time), python3. Results go to stdout as a
# Markdown table; docs/benchmarks.md keeps the last recorded one.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-/tmp/clickpath-bench}
SIZES=${SIZES:-"100M 1G"}
RUNS=${RUNS:-3}
mkdir -p "$DIR"
export CLICKPATH_SECRET_FILE="$DIR/secret"
cargo build --release --quiet
BIN=$PWD/target/release/clickpath

for tool in goaccess mawk /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install goaccess mawk time)" >&2; exit 1; }
done

# min wall seconds and max RSS (KiB) over $RUNS runs of a command
measure() {
  local best="" rss=0 out
  for _ in $(seq "$RUNS"); do
    # exit status ignored: check-format exits 1 when lines were rejected
    /usr/bin/time -o "$DIR/time.txt" -f "%e %M" "$@" >/dev/null 2>&1 || true
    read -r t m < <(tail -1 "$DIR/time.txt")
    if [[ -z $best ]] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    (( m > rss )) && rss=$m
  done
  echo "$best $rss"
}

echo "| file | tool | wall s | MB/s | peak RSS MiB |"
echo "|---|---|---|---|---|"
for size in $SIZES; do
  log="$DIR/loggen-seed1-$size.log"
  [[ -f $log ]] || python3 ../shared/tools/loggen.py --seed 1 --bytes "$size" --out "$log" --truth "$log.truth.json"
  bytes=$(stat -c %s "$log")
  cat "$log" >/dev/null  # warm the page cache for everyone
  row() {
    local name=$1; shift
    local runs=$RUNS
    [[ $name == goaccess* ]] && RUNS=1   # minutes per run on 1 GiB: once is enough
    read -r t m < <(measure "$@")
    RUNS=$runs
    awk -v s="$size" -v n="$name" -v t="$t" -v m="$m" -v b="$bytes" \
      'BEGIN{printf "| %s | %s | %.2f | %.0f | %.0f |\n", s, n, t, b/1e6/t, m/1024}'
  }
  row "clickpath parse --to parquet" "$BIN" parse -q "$log" --to parquet -o "$DIR/out.parquet"
  row "clickpath parse --to ndjson" "$BIN" parse -q "$log" -o /dev/null
  row "clickpath check-format (parse only)" "$BIN" check-format -q "$log"
  row "clickpath report --json (full report)" "$BIN" report -q --json "$log"
  row "clickpath report --json -c examples/clickpath.toml (+ funnels)" "$BIN" report -q --json -c examples/clickpath.toml "$log"
  row "goaccess 1.7 -o json" goaccess "$log" --log-format=COMBINED --no-global-config -o "$DIR/goaccess.json"
  row "mawk '{c[\$9]++}'" mawk '{c[$9]++} END {for (k in c) print k, c[k]}' "$log"
done
