"""A real SMTP server (aiosmtpd) for the notification tests in tests/cli/notify.rs.

Usage: python smtp_server.py --cert CERT.pem --username USER --password PASSWORD

Listens on 127.0.0.1 on a free port, offers STARTTLS with a self-signed certificate for
`localhost` and 127.0.0.1 (written to CERT.pem, so a client can trust it through SSL_CERT_FILE),
and accepts AUTH PLAIN/LOGIN for USER/PASSWORD, with or without TLS.

Prints the port on the first stdout line, then one JSON object per received message:
{"mail_from", "rcpt_tos", "data" (the message as received, decoded as UTF-8), "tls" (whether
the session had done STARTTLS), "auth_login" (the AUTH user name, or null)}.

Exits when its standard input is closed.
"""

import argparse
import asyncio
import datetime
import ipaddress
import json
import logging
import ssl
import sys
import tempfile
import threading
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def self_signed(cert_path: Path) -> ssl.SSLContext:
    """Writes a self-signed end-entity certificate for localhost/127.0.0.1 to `cert_path` and
    returns a server context using it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path.write_bytes(cert_pem)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # load_cert_chain wants files; the key never leaves a private temporary directory.
    with tempfile.TemporaryDirectory() as tmp:
        key_path = Path(tmp) / "key.pem"
        key_path.write_bytes(key_pem)
        context.load_cert_chain(cert_path, key_path)
    return context


class Recorder:
    """The aiosmtpd handler: prints every message as a JSON line."""

    async def handle_DATA(self, server, session, envelope):
        auth = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", "replace"),
            "tls": session.ssl is not None,
            "auth_login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
        }
        print(json.dumps(record), flush=True)
        return "250 Message accepted for delivery"


def authenticator(username: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == username.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, auth_data=auth_data if ok else None)

    return check


async def serve(args: argparse.Namespace) -> None:
    tls_context = self_signed(Path(args.cert))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            Recorder(),
            hostname="localhost",
            tls_context=tls_context,
            require_starttls=False,
            authenticator=authenticator(args.username, args.password),
            auth_require_tls=False,
        ),
        host="127.0.0.1",
        port=0,
    )
    print(server.sockets[0].getsockname()[1], flush=True)

    stdin_closed = asyncio.Event()

    def wait_for_eof() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stdin_closed.set)

    threading.Thread(target=wait_for_eof, daemon=True).start()
    await stdin_closed.wait()
    server.close()


def main() -> None:
    # aiosmtpd warns about its own deprecated `login_data` on every AUTH.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True, help="where to write the certificate (PEM)")
    parser.add_argument("--username", required=True, help="the AUTH user accepted")
    parser.add_argument("--password", required=True, help="the AUTH password accepted")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
