#!/usr/bin/env python3
"""Writes loggen's access and error logs into a directory progressively, as a server would:
lines appear in log-time order at SPEED log seconds per wall second, and with --rotate the
files are rotated at each UTC midnight as logrotate does (`delaycompress`: access.log ->
access.log.1, access.log.1 -> access.log.2.gz, then a new access.log).

  replay_logs.py ACCESS ERROR OUTDIR --speed 3600 [--from ISO] [--until ISO] [--rotate]

--from/--until select the lines with from <= time < until (UTC), so a test can write a log in
phases (stop a receiver or kill the watcher in between). Used by tests/e2e/alerts.rs."""
import argparse, datetime as dt, gzip, os, re, shutil, sys, time

ACCESS_T = re.compile(rb"\[(\d\d)/(\w\w\w)/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]")
NGINX_T = re.compile(rb"^(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d) ")
APACHE_T = re.compile(rb"^\[\w{3} (\w{3}) (\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\d{4})\]")
MONTHS = {m: i + 1 for i, m in enumerate(
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"])}


def access_time(line):
    m = ACCESS_T.search(line)
    if not m:
        return None
    d, mon, y, hh, mm, ss, z = m.groups()
    off = int(z[:3]) * 60 + (1 if z[:1] == b"+" else -1) * int(z[3:])
    t = dt.datetime(int(y), MONTHS[mon], int(d), int(hh), int(mm), int(ss), tzinfo=dt.timezone.utc)
    return t - dt.timedelta(minutes=off)


def error_time(line, tz):
    m = NGINX_T.match(line)
    if m:
        y, mo, d, hh, mm, ss = map(int, m.groups())
    else:
        m = APACHE_T.match(line)
        if not m:
            return None
        mon, d, hh, mm, ss, y = m.groups()
        y, mo, d, hh, mm, ss = int(y), MONTHS[mon], int(d), int(hh), int(mm), int(ss)
    return dt.datetime(y, mo, d, hh, mm, ss, tzinfo=dt.timezone.utc) - tz


def timed(path, kind, tz):
    out, last = [], None
    with open(path, "rb") as f:
        for line in f:
            t = access_time(line) if kind == "access" else error_time(line, tz)
            t = t or last  # continuation lines, malformed lines: with the line before
            if t is None:
                continue
            last = t
            out.append((t, kind, line))
    return out


def iso(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def rotate(outdir, name):
    p = os.path.join(outdir, name)
    one, two = p + ".1", p + ".2.gz"
    if os.path.exists(one):
        with open(one, "rb") as a, gzip.open(two, "wb") as b:
            shutil.copyfileobj(a, b)
        os.remove(one)
    if os.path.exists(p):
        os.rename(p, one)
    open(p, "ab").close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("access")
    ap.add_argument("error")
    ap.add_argument("outdir")
    ap.add_argument("--speed", type=float, default=3600.0)
    ap.add_argument("--from", dest="start")
    ap.add_argument("--until")
    ap.add_argument("--rotate", action="store_true")
    ap.add_argument("--tz", default="+0000", help="the error log's zone")
    a = ap.parse_args()
    z = a.tz
    tz = dt.timedelta(minutes=(int(z[:3]) * 60 + (1 if z[0] == "+" else -1) * int(z[3:])))
    lines = timed(a.access, "access", tz) + timed(a.error, "error", tz)
    lines.sort(key=lambda x: x[0])
    lo = iso(a.start) if a.start else None
    hi = iso(a.until) if a.until else None
    lines = [x for x in lines if (lo is None or x[0] >= lo) and (hi is None or x[0] < hi)]
    os.makedirs(a.outdir, exist_ok=True)
    # Error lines first: a server writes a request's error line before its access line.
    names = {"error": "error.log", "access": "access.log"}
    files = {k: open(os.path.join(a.outdir, n), "ab") for k, n in names.items()}
    if not lines:
        return
    t0, w0 = lines[0][0], time.monotonic()
    day = lines[0][0].date()
    i = 0
    while i < len(lines):
        # Everything due by now, in one write per file (a server flushes its buffer).
        due = t0 + dt.timedelta(seconds=(time.monotonic() - w0) * a.speed)
        batch = {"error": [], "access": []}
        while i < len(lines) and lines[i][0] <= due:
            t, kind, line = lines[i]
            if a.rotate and t.date() != day:
                for k in batch:
                    files[k].write(b"".join(batch[k]))
                    batch[k] = []
                    files[k].close()
                    rotate(a.outdir, names[k])
                    files[k] = open(os.path.join(a.outdir, names[k]), "ab")
                day = t.date()
            batch[kind].append(line)
            i += 1
        for k, f in files.items():
            if batch[k]:
                f.write(b"".join(batch[k]))
                f.flush()
        time.sleep(0.02)
    for f in files.values():
        f.close()


if __name__ == "__main__":
    sys.exit(main())
