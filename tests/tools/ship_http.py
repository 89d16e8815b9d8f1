#!/usr/bin/env python3
"""Ships a log to `clickpath receive --http` as three web servers behind a balancer would,
each with a shipper of its own, following the shippers' documented request formats:

- web-1: Vector's `http` sink, `encoding.codec = "json"`, `framing.method =
  "newline_delimited"`: one JSON event per line, the line in `message`, the host in `host`
  (Vector's file source sets both), `Content-Type: application/x-ndjson`.
- web-2: Fluent Bit's `http` output, `Format json_lines`, `Compress gzip`,
  `Header X-Clickpath-Server web-2`: `{"date": ..., "log": LINE}` per line, gzip body.
- web-3: plain text, one line per line, `?server=web-3` (Vector's `text` codec, curl).

Each line goes to a server drawn at random (seeded): a visitor moves between servers. Lines
are sent in slices of the log, in order; within a slice each server posts its part. Like
Vector and Fluent Bit, a batch is retried (the same body) until it is answered 2xx: after a
connection error, a timeout or a 5xx. A 4xx stops the script (a bug). Writes each server's
lines to `sent-web-N.log` in `--out-dir` and, at the end, `done.json` with what was sent.
"""

import argparse
import gzip
import json
import random
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVERS = ["web-1", "web-2", "web-3"]


def body_for(server, lines):
    if server == "web-1":
        text = "".join(json.dumps({"message": l, "host": server, "source_type": "file",
                                   "file": "/var/log/nginx/access.log"}) + "\n" for l in lines)
        return text.encode(), {"Content-Type": "application/x-ndjson"}, ""
    if server == "web-2":
        text = "".join(json.dumps({"date": time.time(), "log": l}) + "\n" for l in lines)
        return gzip.compress(text.encode()), {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "X-Clickpath-Server": server,
        }, ""
    return ("\n".join(lines) + "\n").encode(), {"Content-Type": "text/plain"}, "?server=" + server


def post(url, body, headers, progress):
    tries = 0
    while True:
        tries += 1
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                answer = json.loads(r.read())
                return answer, tries
        except urllib.error.HTTPError as e:
            if e.code < 500:
                raise SystemExit(f"HTTP {e.code}: {e.read()!r}")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        progress["retries"] += 1
        time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--slice", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    out = Path(a.out_dir)
    rnd = random.Random(a.seed)
    lines = Path(a.log).read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    sent = {s: open(out / f"sent-{s}.log", "w", encoding="utf-8", errors="surrogateescape")
            for s in SERVERS}
    progress = {"batches": 0, "retries": 0, "duplicates": 0, "lines": 0}
    for start in range(0, len(lines), a.slice):
        parts = {s: [] for s in SERVERS}
        for l in lines[start:start + a.slice]:
            parts[rnd.choice(SERVERS)].append(l)
        for s in SERVERS:
            if not parts[s]:
                continue
            body, headers, query = body_for(s, parts[s])
            answer, _ = post(a.url + query, body, headers, progress)
            assert answer["accepted"] == len(parts[s]), answer
            progress["batches"] += 1
            progress["duplicates"] += bool(answer["duplicate"])
            progress["lines"] += len(parts[s])
            for l in parts[s]:
                sent[s].write(l + "\n")
        (out / "progress.json").write_text(json.dumps(progress))
    for f in sent.values():
        f.close()
    (out / "done.json").write_text(json.dumps(progress))


if __name__ == "__main__":
    main()
