#!/usr/bin/env python3
"""Benchmark of `clickpath top` (docs/benchmarks.md, "The terminal dashboard"): its CPU and
memory while following a log written at RATE lines a second, in a real terminal (tmux).

  bench/top.py [--rate 2000] [--seconds 120] [--bin target/release/clickpath]

loggen writes RATE x SECONDS lines first; this script appends them to the followed file at RATE
lines a second, in batches of a tenth of a second, and reads the process's CPU time and peak RSS
from /proc every 30 s. Every refresh of `top` is the whole report over the lines held, so the CPU
of each window is printed: it grows with the data."""
import argparse, os, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--rate", type=int, default=2000)
ap.add_argument("--seconds", type=int, default=120)
ap.add_argument("--bin", default=os.path.join(HERE, "../target/release/clickpath"))
a = ap.parse_args()

work = tempfile.mkdtemp(prefix="cp-top-bench-")
loggen = os.path.join(HERE, "../../shared/tools/loggen.py")
subprocess.run([sys.executable, loggen, "--seed", "5", "--lines", str(a.rate * (a.seconds + 1)),
                "--visitors-per-hour", str(a.rate * 145), "--out", "all.log"], cwd=work, check=True)
lines = open(os.path.join(work, "all.log"), "rb").read().splitlines(keepends=True)
log = os.path.join(work, "access.log")
open(log, "wb").write(b"".join(lines[:a.rate]))
sock = f"cp-top-bench-{os.getpid()}"
tmux = ["tmux", "-L", sock, "-f", "/dev/null"]
env = f"CLICKPATH_SECRET_FILE={work}/secret"
subprocess.run(tmux + ["new-session", "-d", "-s", "b", "-x", "160", "-y", "48", "sh", "-c",
                       f"cd {work} && {env} {os.path.abspath(a.bin)} top --poll-ms 1000 "
                       f"-c {HERE}/../examples/clickpath.toml access.log; sleep 600"], check=True)
shell = subprocess.run(tmux + ["display", "-p", "-t", "b", "#{pane_pid}"], capture_output=True,
                       text=True).stdout.strip()
pid = ""
while not pid:
    time.sleep(0.1)
    pid = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True).stdout.strip()
tick = os.sysconf("SC_CLK_TCK")

def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick

def hwm():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmHWM"):
            return int(l.split()[1]) // 1024

time.sleep(3)
start, c0, window = time.time(), cpu(), []
w0, wc = start, c0
step = max(1, a.rate // 10)
i = a.rate
with open(log, "ab") as out:
    while i < len(lines):
        due = start + (i - a.rate) / a.rate
        if time.time() < due:
            time.sleep(due - time.time())
        out.write(b"".join(lines[i:i + step]))
        out.flush()
        i += step
        if time.time() - w0 >= 30:
            now, c = time.time(), cpu()
            window.append((i, 100 * (c - wc) / (now - w0)))
            w0, wc = now, c
elapsed, total = time.time() - start, cpu() - c0
peak = hwm()
screen = subprocess.run(tmux + ["capture-pane", "-p", "-t", "b"], capture_output=True, text=True).stdout
subprocess.run(tmux + ["kill-server"])
print(f"{i - a.rate} lines appended in {elapsed:.1f} s ({(i - a.rate) / elapsed:.0f}/s); "
      f"top's CPU {100 * total / elapsed:.1f}% of one core, peak RSS {peak} MiB")
for held, pct in window:
    print(f"  30 s ending with {held} lines held: {pct:.1f}%")
print(screen.splitlines()[1])
shutil.rmtree(work)
