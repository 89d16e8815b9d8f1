#!/usr/bin/env python3
"""Sends a log's lines to a syslog UDP port as nginx does (RFC 3164, one datagram per line),
as fast as it can (rate 0) or at RATE datagrams a second: bench/ship.sh measures what
`clickpath receive --syslog-udp` keeps.

    bench/udp_send.py PORT FILE RATE
"""
import socket, sys, time
port, path, rate = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
lines = open(path, 'rb').read().splitlines()
head = b"<190>Dec  1 16:27:49 web-1 nginx: "
t0 = time.time(); n = 0
for l in lines:
    s.sendto(head + l, ("127.0.0.1", port))
    n += 1
    if rate > 0 and n % 1000 == 0:
        ahead = n / rate - (time.time() - t0)
        if ahead > 0: time.sleep(ahead)
print(n, "sent in", round(time.time() - t0, 2), "s")
