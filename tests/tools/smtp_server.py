#!/usr/bin/env python3
"""A real SMTP server for the tests (aiosmtpd): STARTTLS required before AUTH, one user.
Each message received is written to OUTDIR/N.eml with the authenticated login in OUTDIR/N.login.
Prints the port on stdout once it listens.

  smtp_server.py CERT KEY USER PASSWORD OUTDIR"""
import os, socket, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

cert, key, user, password, outdir = sys.argv[1:6]
os.makedirs(outdir, exist_ok=True)
count = [0]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        count[0] += 1
        n = count[0]
        with open(os.path.join(outdir, f"{n}.eml"), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(outdir, f"{n}.login"), "w") as f:
            login = session.auth_data.login.decode() if session.auth_data else ""
            f.write(login + "\n" + ",".join(envelope.rcpt_tos))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
        and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
c = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
               authenticator=authenticator, auth_require_tls=True, auth_required=True)
c.start()
print(port, flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    c.stop()
