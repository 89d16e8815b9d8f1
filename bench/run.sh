#!/usr/bin/env bash
# Throughput and peak memory: clickpath (parse, report) vs GoAccess 1.7 vs mawk, in one run on
# the same loggen files.
#
#   bench/run.sh              # 100 MiB and 1 GiB files, 3 runs each (GoAccess once), min wall time
#   SIZES="100M" RUNS=1 bench/run.sh
#   SIZES=" " bench/run.sh     # the dataset part only
#   DATASET=0 bench/run.sh    # skip the dataset part (ingest, SQL; needs 2.7 GB of loggen files)
#   SIZES=" " DATASET=0 bench/run.sh   # the dashboard API only (over the dataset of a former run)
#   SIZES=" " DATASET=0 DASHBOARD=0 bench/run.sh   # the error log only
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
  bytes=$(stat -L -c %s "$log")
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

# The error log: the 1 GiB file's own error log (loggen --error-log; the access log is the same
# file), read alone and joined to the access log in the report.
if [[ ${ERRORLOG:-1} == 1 ]]; then
  one="$DIR/loggen-seed1-1G.log"
  err="$DIR/loggen-seed1-1G.error.log"
  [[ -f $one ]] || python3 ../shared/tools/loggen.py --seed 1 --bytes 1G --out "$one" --truth "$one.truth.json"
  [[ -f $err ]] || python3 ../shared/tools/loggen.py --seed 1 --bytes 1G --out /dev/null --error-log "$err"
  # Reading speed wants more than 22 MB: the error log ten times over (its times repeat).
  big="$DIR/loggen-seed1-1G.error.x10.log"
  [[ -f $big ]] || for _ in $(seq 10); do cat "$err"; done >"$big"
  cat "$one" "$err" "$big" >/dev/null
  ebytes=$(stat -L -c %s "$err")
  bbytes=$(stat -L -c %s "$big")
  echo
  echo "| error log (1 GiB access log, its $((ebytes / 1000000)) MB nginx error log) | wall s | MB/s | peak RSS MiB |"
  echo "|---|---|---|---|"
  erow() {
    local name=$1 bytes=$2; shift 2
    read -r t m < <(measure "$@")
    awk -v n="$name" -v t="$t" -v m="$m" -v b="$bytes" \
      'BEGIN{printf "| %s | %.2f | %.0f | %.0f |\n", n, t, b/1e6/t, m/1024}'
  }
  erow "check-format error.log x10 (parse only)" "$bbytes" "$BIN" check-format -q "$big"
  erow "parse error.log x10 (NDJSON)" "$bbytes" "$BIN" parse -q "$big" -o /dev/null
  erow "report --json -c examples/clickpath.toml access.log" "$(stat -L -c %s "$one")" \
    "$BIN" report -q --json -c examples/clickpath.toml "$one"
  erow "report --json -c examples/clickpath.toml access.log error.log" "$(( $(stat -L -c %s "$one") + ebytes ))" \
    "$BIN" report -q --json -c examples/clickpath.toml "$one" "$err"
fi

# The dataset: ingest of the 1 GiB file, then a second loggen file (seed 2, two later days) for a
# dataset of about 10.6 M requests; report and SQL from it.
if [[ ${DATASET:-1} == 1 ]]; then
  one="$DIR/loggen-seed1-1G.log"
  two="$DIR/loggen-seed2-1600M.log"
  [[ -f $one ]] || python3 ../shared/tools/loggen.py --seed 1 --bytes 1G --out "$one" --truth "$one.truth.json"
  [[ -f $two ]] || python3 ../shared/tools/loggen.py --seed 2 --start-date 2024-03-03 --bytes 1600M --out "$two" --truth "$two.truth.json"
  cat "$one" "$two" >/dev/null
  echo
  echo "| dataset step | wall s | MB/s | peak RSS MiB |"
  echo "|---|---|---|---|"
  drow() {
    local name=$1 bytes=$2; shift 2
    read -r t m < <(measure "$@")
    awk -v n="$name" -v t="$t" -v m="$m" -v b="$bytes" \
      'BEGIN{printf "| %s | %.2f | %s | %.0f |\n", n, t, (b > 0 ? sprintf("%.0f", b/1e6/t) : "-"), m/1024}'
  }
  drow "ingest 1 GiB (4.16 M requests) into an empty dataset" "$(stat -L -c %s "$one")" \
    sh -c 'rm -rf "$1" && exec "$2" ingest -q --data "$1" "$3"' sh "$DIR/dataset" "$BIN" "$one"
  "$BIN" ingest -q --data "$DIR/dataset" "$two" "$one" 2>/dev/null
  drow "ingest again: nothing new" 0 "$BIN" ingest -q --data "$DIR/dataset" "$two" "$one"
  D=(--data "$DIR/dataset")
  drow "sql: count(*) of 10.6 M requests" 0 "$BIN" sql "${D[@]}" "SELECT count(*) FROM requests"
  drow "sql: checkout funnel (window_funnel, 5 steps) over 10.6 M requests" 0 "$BIN" sql "${D[@]}" "
    WITH levels AS (
      SELECT window_funnel(86400, ts, path LIKE '/product/%', path = '/cart', path = '/checkout',
                           path = '/checkout/payment', path = '/checkout/confirm') AS level
      FROM requests WHERE session_id IS NOT NULL AND status < 400 GROUP BY session_id)
    SELECT sum(CASE WHEN level >= 1 THEN 1 ELSE 0 END) AS product,
           sum(CASE WHEN level >= 5 THEN 1 ELSE 0 END) AS confirm FROM levels"
  drow "sql: sessions by channel over 10.6 M requests" 0 "$BIN" sql "${D[@]}" "SELECT channel, count(*) FROM sessions GROUP BY 1"
  drow "report --data -c examples/clickpath.toml (10.6 M requests)" 0 "$BIN" report -q --json -c examples/clickpath.toml "${D[@]}"
  RUNS=1 drow "compact (one file per commit and day -> one per day)" 0 "$BIN" compact "${D[@]}"
  drow "report --data after compact" 0 "$BIN" report -q --json -c examples/clickpath.toml "${D[@]}"
fi

# The dashboard's API over the dataset above (10.6 M requests): the first answer to a filter
# reads the dataset; a repeated one comes from the cache.
if [[ ${DASHBOARD:-1} == 1 ]]; then
  [[ -f $DIR/dataset/manifest.json ]] || "$BIN" ingest -q --data "$DIR/dataset" "$DIR/loggen-seed1-1G.log" "$DIR/loggen-seed2-1600M.log"
  port=18080
  "$BIN" serve --data "$DIR/dataset" -c examples/clickpath.toml --bind 127.0.0.1:$port \
    --users "$DIR/no-users.json" 2>"$DIR/serve.err" &
  pid=$!
  trap 'kill $pid 2>/dev/null' EXIT
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.2; done
  echo
  echo "| dashboard API request (10.6 M requests) | wall s |"
  echo "|---|---|"
  api() {
    local t
    t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$2")
    printf "| %s | %.2f |\n" "$1" "$t"
  }
  api "/api/report (first)" "/api/report"
  api "/api/report again (cached)" "/api/report"
  api "/api/report?channel=email (sessions by landing: two passes)" "/api/report?channel=email"
  api "/api/report?audience=bots" "/api/report?audience=bots"
  api "/api/report?from=2024-03-03&to=2024-03-03 (one day)" "/api/report?from=2024-03-03&to=2024-03-03"
  api "/api/requests?status=500&limit=100 (raw lines read back)" "/api/requests?status=500&limit=100"
  echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$pid/status)"
  kill $pid
fi
