#!/usr/bin/env bash
# One ingest node's capacity for shipped logs: the 1 GiB loggen file posted to
# `clickpath receive --http` in 8 MiB batches (plain lines, 2 at a time, as 4 servers), timed
# from the first post to the last request committed to the dataset; and, in the same run, the
# file ingested directly and `mawk '{c[$9]++}'` over it.
#
#   bench/ship.sh            # needs the loggen file of bench/run.sh (made if missing)
#
# Needs: curl, mawk, GNU time, python3. Prints a Markdown table; docs/benchmarks.md keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-/tmp/clickpath-bench}
mkdir -p "$DIR"
export CLICKPATH_SECRET_FILE="$DIR/secret"
cargo build --release --quiet
BIN=$PWD/target/release/clickpath
log="$DIR/loggen-seed1-1G.log"
[[ -f $log ]] || python3 ../shared/tools/loggen.py --seed 1 --bytes 1G --out "$log" --truth "$log.truth.json"
valid=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['valid_requests'])" "$log.truth.json")
bytes=$(stat -c %s "$log")
parts="$DIR/ship-parts"
rm -rf "$parts" "$DIR/ship-data" "$DIR/ingest-data"
mkdir -p "$parts"
split -C 8M -d -a 4 "$log" "$parts/p."
cat "$log" "$parts"/p.* >/dev/null
port=18733
"$BIN" receive --data "$DIR/ship-data" --http 127.0.0.1:$port --ingest-every 5s 2>"$DIR/receive.err" &
rpid=$!
trap 'kill $rpid 2>/dev/null || true' EXIT
until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.1; done
count() {
  [[ -f $DIR/ship-data/manifest.json ]] || { echo 0; return; }
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(sum(f['rows'] for f in m['files']))" "$DIR/ship-data/manifest.json"
}
t0=$(date +%s.%N)
ls "$parts"/p.* | awk '{print NR % 4, $0}' | xargs -P 2 -L 1 sh -c \
  'curl -sf -o /dev/null --data-binary @"$1" -H "Content-Type: text/plain" "http://127.0.0.1:'$port'/ingest?server=web-$0"'
t1=$(date +%s.%N)
until [[ $(count) -ge $valid ]]; do sleep 0.2; done
t2=$(date +%s.%N)
cpu=$(awk '{print ($14 + $15) / 100}' /proc/$rpid/stat)
rss=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$rpid/status)
kill -TERM $rpid; wait $rpid || true
trap - EXIT
echo "| step (1 GiB, $valid requests) | wall s | MB/s | notes |"
echo "|---|---|---|---|"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$bytes" -v cpu="$cpu" -v rss="$rss" 'BEGIN{
  printf "| posted to receive --http (on disk, acknowledged) | %.2f | %.0f | 2 posts at a time, 8 MiB each |\n", b-a, n/1e6/(b-a);
  printf "| posted and ingested into the dataset (last row committed) | %.2f | %.0f | receiver CPU %.1f s, peak RSS %d MiB |\n", c-a, n/1e6/(c-a), cpu, rss }'
/usr/bin/time -o "$DIR/time.txt" -f "%e %M" "$BIN" ingest -q --data "$DIR/ingest-data" "$log" 2>/dev/null
read -r t m < "$DIR/time.txt"
awk -v t="$t" -v m="$m" -v n="$bytes" 'BEGIN{printf "| clickpath ingest FILE (same run) | %.2f | %.0f | peak RSS %d MiB |\n", t, n/1e6/t, m/1024}'
/usr/bin/time -o "$DIR/time.txt" -f "%e %M" mawk '{c[$9]++} END {for (k in c) print k, c[k]}' "$log" >/dev/null
read -r t m < "$DIR/time.txt"
awk -v t="$t" -v n="$bytes" 'BEGIN{printf "| mawk {c[$9]++} (same run) | %.2f | %.0f | |\n", t, n/1e6/t}'
rm -rf "$parts"

# Syslog over UDP: the log's first million lines sent as datagrams, flat out and paced; what the
# dataset holds against what the lines hold (check-format's requests: malformed lines are no
# requests either way).
head -1000000 "$log" >"$DIR/udp.log"
# (check-format exits 1 when lines were rejected)
want=$({ "$BIN" check-format -q "$DIR/udp.log" 2>&1 || true; } | grep -o '[0-9]* requests' | head -1 | cut -d' ' -f1)
echo
echo "| syslog UDP, 1,000,000 datagrams ($want requests in them) | sent in s | in the dataset | lost |"
echo "|---|---|---|---|"
for rate in 0 250000 100000; do
  rm -rf "$DIR/udp-data"
  "$BIN" receive --data "$DIR/udp-data" --syslog-udp 127.0.0.1:18555 --ingest-every 2s 2>"$DIR/udp.err" &
  rpid=$!
  sleep 1
  sent=$(python3 bench/udp_send.py 18555 "$DIR/udp.log" $rate | awk '{print $4}')
  sleep 6
  kill -TERM $rpid; wait $rpid || true
  got=$(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(sum(f['rows'] for f in m['files']))" "$DIR/udp-data/manifest.json")
  name=$([[ $rate == 0 ]] && echo "flat out" || echo "$rate/s")
  echo "| $name | $sent | $got | $((want - got)) |"
done
