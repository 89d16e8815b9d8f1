"""Moves an nginx access log (combined, +0100) and its error log to summer time at UTC CHANGE:
from then on the access log prints +0200 and both logs' local times are an hour later, as a
server whose clock follows Europe/Berlin would write them. Usage: dst.py ACCESS ERROR CHANGE"""
import datetime as dt
import re
import sys

access, error, change = sys.argv[1], sys.argv[2], dt.datetime.fromisoformat(sys.argv[3])
winter, summer = dt.timedelta(hours=1), dt.timedelta(hours=2)

def access_line(m):
    local = dt.datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S")
    if local - winter >= change:
        return "[" + (local + (summer - winter)).strftime("%d/%b/%Y:%H:%M:%S") + " +0200]"
    return m.group(0)

with open(access) as f:
    text = f.read()
text = re.sub(r"\[(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d) \+0100\]", access_line, text)
with open(access, "w") as f:
    f.write(text)

def error_line(m):
    local = dt.datetime.strptime(m.group(1), "%Y/%m/%d %H:%M:%S")
    if local - winter >= change:
        return (local + (summer - winter)).strftime("%Y/%m/%d %H:%M:%S")
    return m.group(0)

with open(error) as f:
    text = f.read()
text = re.sub(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)", error_line, text, flags=re.M)
with open(error, "w") as f:
    f.write(text)
