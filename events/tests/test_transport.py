"""The POST goes to the checked address, while TLS sends and verifies the URL's host name (no DNS)."""
from __future__ import annotations

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from events.target import Target
from events.transport import post


def _cert(name: str, issuer_key, issuer_name, key, *, ca: bool):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls_receiver(tmp_path):
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Test CA", ca_key, None, ca_key, ca=True)
    leaf = _cert("webhook.test", ca_key, ca.subject, leaf_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    seen = {"sni": [], "host": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen["host"].append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], str(tmp_path / "ca.pem"), seen
    server.shutdown()
    server.server_close()


def test_tls_to_the_pinned_address_sends_and_verifies_the_host_name(tls_receiver):
    port, ca, seen = tls_receiver
    target = Target(scheme="https", host="webhook.test", port=port, path="/in", addresses=("127.0.0.1",))
    answer = post(target=target, address="127.0.0.1", body=b"{}", headers={}, timeout=5, ca_certs=ca)
    assert (answer.status, answer.error) == (204, "")
    assert seen == {"sni": ["webhook.test"], "host": [f"webhook.test:{port}"]}


def test_a_certificate_for_another_name_is_refused(tls_receiver):
    port, ca, seen = tls_receiver
    target = Target(scheme="https", host="other.test", port=port, path="/in", addresses=("127.0.0.1",))
    answer = post(target=target, address="127.0.0.1", body=b"{}", headers={}, timeout=5, ca_certs=ca)
    assert answer.status is None and answer.error.startswith("TLS error")
    assert seen["host"] == []


def test_an_untrusted_certificate_is_refused(tls_receiver):
    port, _ca, seen = tls_receiver
    target = Target(scheme="https", host="webhook.test", port=port, path="/in", addresses=("127.0.0.1",))
    answer = post(target=target, address="127.0.0.1", body=b"{}", headers={}, timeout=5)
    assert answer.status is None and answer.error.startswith("TLS error")
    assert seen["host"] == []
