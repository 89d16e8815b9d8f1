#!/usr/bin/env python3
"""Benchmark of `clickpath watch` (docs/benchmarks.md, "Alerts"): the watcher's CPU and memory
while following a log written at RATE requests/s in real time, and the latency from the line
that tells of a crash (nginx `worker process ... exited on signal`) being written to the
webhook receiving the alert.

  bench/watch.py [--rate 2000] [--seconds 120] [--speed 1] [--crashes 2] [--bin target/release/clickpath]

loggen writes the log (about RATE requests a second, with a worker crash every
seconds/(crashes+1) of log); this script writes it into a fresh directory at SPEED x real time
(error lines before access lines), the watcher follows it with group_wait 0."""
import argparse, http.server, importlib.util, json, os, shutil, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("replay", os.path.join(HERE, "../tests/tools/replay_logs.py"))
replay = importlib.util.module_from_spec(spec)
spec.loader.exec_module(replay)
import datetime as dt

ap = argparse.ArgumentParser()
ap.add_argument("--rate", type=float, default=2000)
ap.add_argument("--seconds", type=int, default=120)
ap.add_argument("--speed", type=float, default=1.0)
ap.add_argument("--crashes", type=int, default=2)
ap.add_argument("--bin", default=os.path.join(HERE, "../target/release/clickpath"))
a = ap.parse_args()

work = tempfile.mkdtemp(prefix="cp-watch-bench-")
loggen = os.path.join(HERE, "../../shared/tools/loggen.py")
# loggen's traffic builds up as visitors come back: find when it reaches RATE lines a second
# (a dry run without incidents, the same seed), and follow from there.
vph = int(a.rate * 145)  # ~830 lines/s at 120,000 (measured), steady after ~10 min
base = ["--seed", "3", "--lines", str(int(a.rate * (a.seconds + 1500))), "--visitors-per-hour",
        str(vph), "--start-date", "2026-06-01T12:00"]
subprocess.run([sys.executable, loggen] + base + ["--out", "dry.log"], cwd=work, check=True)
per_minute = {}
for t, _, _ in replay.timed(os.path.join(work, "dry.log"), "access", dt.timedelta(0)):
    m = t.replace(second=0, microsecond=0)
    per_minute[m] = per_minute.get(m, 0) + 1
first = min(per_minute)
steady = next(m for m in sorted(per_minute) if m >= first + dt.timedelta(minutes=5) and per_minute[m] >= a.rate * 60 * 0.95)
offset = int((steady - first).total_seconds())
gap = a.seconds // (a.crashes + 1)
incidents = []
for k in range(1, a.crashes + 1):
    incidents += ["--incident", f"server-restart@+{offset + k * gap}s+20s:1"]
subprocess.run([sys.executable, loggen] + base + ["--error-log", "error.log", "--out", "access.log",
                "--truth", "truth.json"] + incidents, cwd=work, check=True)
os.remove(os.path.join(work, "dry.log"))
open(os.path.join(work, "cfg.toml"), "w").write(
    'site_hosts = ["shop.example.com"]\n[alerts]\ngroup_wait = "0s"\ngroup_interval = "0s"\n'
    '[alerts.rules.server_restart]\nkeep_firing_for = "0"\n')

got = []


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        got.append((time.monotonic(), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *x):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
out = os.path.join(work, "out")
os.makedirs(out)
tz = dt.timedelta(0)
timed = replay.timed(os.path.join(work, "access.log"), "access", tz) + replay.timed(os.path.join(work, "error.log"), "error", tz)
timed.sort(key=lambda x: x[0])
lo = steady - dt.timedelta(seconds=60)
timed = [x for x in timed if lo <= x[0] < steady + dt.timedelta(seconds=a.seconds)]
# The minute before the steady rate, before the watcher starts (a new dataset: it warms up).
files = {"error": open(os.path.join(out, "error.log"), "ab"), "access": open(os.path.join(out, "access.log"), "ab")}
t0 = timed[0][0]
i = 0
while i < len(timed) and timed[i][0] < steady:
    files[timed[i][1]].write(timed[i][2])
    i += 1
for f in files.values():
    f.flush()
watcher = subprocess.Popen([a.bin, "watch", "out", "--data", "data", "-c", "cfg.toml", "--poll-ms", "1000",
                            "--notify", f"webhook:http://127.0.0.1:{srv.server_port}/"],
                           cwd=work, stderr=open(os.path.join(work, "watch.log"), "w"))
time.sleep(2)
marks = []  # wall time each crash line was written
i_start = i
w0, l0 = time.monotonic(), timed[i][0]
start_cpu = None
while i < len(timed):
    due = l0 + dt.timedelta(seconds=(time.monotonic() - w0) * a.speed)
    batch = {"error": [], "access": []}
    while i < len(timed) and timed[i][0] <= due:
        t, kind, line = timed[i]
        batch[kind].append(line)
        if kind == "error" and b"exited on signal" in line:
            marks.append((t, None))
        i += 1
    now = None
    for k in ("error", "access"):
        if batch[k]:
            files[k].write(b"".join(batch[k]))
            files[k].flush()
            now = time.monotonic()
    marks = [(t, w if w is not None else now) for t, w in marks]
    if start_cpu is None:
        start_cpu = (time.monotonic(), open(f"/proc/{watcher.pid}/stat").read().split())
    time.sleep(0.01)
time.sleep(5)
stat = open(f"/proc/{watcher.pid}/stat").read().split()
end_wall = time.monotonic()
status = open(f"/proc/{watcher.pid}/status").read()
hwm = [l for l in status.splitlines() if l.startswith("VmHWM")][0]
tick = os.sysconf("SC_CLK_TCK")
cpu = (int(stat[13]) + int(stat[14]) - int(start_cpu[1][13]) - int(start_cpu[1][14])) / tick
watcher.terminate()
watcher.wait()
wall = end_wall - start_cpu[0]
print(f"lines {len(timed) - i_start} followed over {wall:.1f} s wall ({(len(timed) - i_start) / wall:.0f} lines/s written)")
print(f"watcher CPU {cpu:.2f} s = {100 * cpu / wall:.1f}% of one core; peak RSS {hwm.split()[1]} kB")
lat = []
for t, w in marks:
    minute = t.replace(second=0, microsecond=0)
    for at, body in got:
        for al in body["alerts"]:
            if al["status"] == "firing" and al["labels"]["alertname"] == "server_restart" and \
                    replay.iso(al["startsAt"]) == minute:
                lat.append(at - w)
                break
        else:
            continue
        break
lat.sort()
print(f"crashes written {len(marks)}, alerts received {len(lat)}; latency s: {[round(x, 2) for x in lat]}")
if lat:
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"p50 {p(0.5):.2f} s, p99 {p(0.99):.2f} s")
shutil.rmtree(work)
