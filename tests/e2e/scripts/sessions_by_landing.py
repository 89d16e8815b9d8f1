#!/usr/bin/env python3
"""An independent count of human sessions for the tests: loggen's own definitions (sessions by
the 30-minute inactivity rule per (ip, user agent); a session's landing is its first page view:
GET, 200, not /static/, /api/ or /favicon.ico), written without any of clickpath's code.

Usage: sessions_by_landing.py LOG[.gz] -> JSON {"sessions": N, "by_medium_campaign": {"email/weekly_digest": N, ...}}
Bots are loggen's bot families, told by their user agents (every loggen bot has one).
"""
import datetime
import gzip
import json
import re
import sys
import urllib.parse

BOTS = ["Googlebot", "bingbot", "AhrefsBot", "python-requests", "HeadlessChrome", "curl",
        "zgrab", "Censys", "Nmap", "Go-http-client", "UptimeRobot", "PriceScoutBot"]
LINE = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+)[^"]*" (\d{3}) \S+ "[^"]*" "(.*)"$')


def main(path):
    opener = gzip.open if path.endswith(".gz") else open
    visits = {}
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue  # loggen's malformed lines
            ip, when, method, target, status, ua = m.groups()
            if ua == "-" or any(b in ua for b in BOTS):
                continue
            try:
                t = datetime.datetime.strptime(when, "%d/%b/%Y:%H:%M:%S %z").timestamp()
            except ValueError:
                continue  # loggen's broken-date lines
            visits.setdefault((ip, ua), []).append((t, method, target, int(status)))
    sessions = 0
    by = {}
    for reqs in visits.values():
        reqs.sort(key=lambda r: r[0])
        current = []
        groups = []
        for r in reqs:
            if current and r[0] - current[-1][0] > 1800:
                groups.append(current)
                current = []
            current.append(r)
        groups.append(current)
        for g in groups:
            sessions += 1
            landing = next((r for r in g if r[1] == "GET" and r[3] == 200 and is_page(r[2])), g[0])
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(landing[2]).query)
            key = "{}/{}".format(q.get("utm_medium", [""])[0], q.get("utm_campaign", [""])[0])
            by[key] = by.get(key, 0) + 1
    print(json.dumps({"sessions": sessions, "by_medium_campaign": by}))


def is_page(target):
    p = urllib.parse.urlsplit(target).path
    return not (p.startswith("/static/") or p.startswith("/api/") or p == "/favicon.ico")


if __name__ == "__main__":
    main(sys.argv[1])
