"""Credentials of a served cluster: a CA, a serving certificate, a bearer token, a kubeconfig.

Everything is generated at start and lives as long as the server: a fresh CA signs a serving
certificate for 127.0.0.1 and localhost (ECDSA P-256, quick to make and accepted by Go's and
Python's TLS), and a random token authenticates clients. The kubeconfig carries the CA (so a
client verifies the server) and the token (so the server accepts the client). Private keys touch
the disk only inside a private temporary directory, for as long as `ssl` takes to load them.
"""

from __future__ import annotations

import base64
import datetime
import hmac
import ipaddress
import os
import secrets
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLUSTER_NAME = "listwatch"
USER_NAME = "listwatch-admin"


@dataclass(frozen=True)
class Credentials:
    """The PEM-encoded CA certificate, serving certificate and key, and the bearer token."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes
    token: str


def generate(
    *, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"), days: int = 365
) -> Credentials:
    """A new CA, a serving certificate it signs for `hosts` (IP addresses or DNS names), a token."""
    now = datetime.datetime.now(datetime.UTC)
    not_before = now - datetime.timedelta(hours=1)  # tolerate a client clock slightly behind
    not_after = now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "listwatch-ca")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Credentials(
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        token=secrets.token_urlsafe(32),
    )


def server_context(credentials: Credentials) -> ssl.SSLContext:
    """The TLS context the listener serves with (TLS 1.2+; HTTP/2 and HTTP/1.1 offered by ALPN,
    as kube-apiserver offers them)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION  # RFC 9113 section 9.2.1, for HTTP/2
    context.set_alpn_protocols(["h2", "http/1.1"])
    with tempfile.TemporaryDirectory(prefix="listwatch-tls-") as directory:
        cert = Path(directory, "serving.crt")
        key = Path(directory, "serving.key")
        cert.write_bytes(credentials.cert_pem)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as stream:
            stream.write(credentials.key_pem)
        context.load_cert_chain(cert, key)
    return context


def client_context(ca_pem: bytes) -> ssl.SSLContext:
    """A TLS context that trusts only the served cluster's CA (for Python clients and tests)."""
    context = ssl.create_default_context(cadata=ca_pem.decode("ascii"))
    return context


def token_matches(authorization: str | None, token: str) -> bool:
    """Whether an Authorization header carries `Bearer <token>` (compared in constant time)."""
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def kubeconfig(
    credentials: Credentials, server: str, *, namespace: str = "default"
) -> dict[str, Any]:
    """A kubeconfig for the served cluster: its URL and CA, the token, one current context."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER_NAME,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(credentials.ca_pem).decode(
                        "ascii"
                    ),
                },
            }
        ],
        "users": [{"name": USER_NAME, "user": {"token": credentials.token}}],
        "contexts": [
            {
                "name": CLUSTER_NAME,
                "context": {"cluster": CLUSTER_NAME, "user": USER_NAME, "namespace": namespace},
            }
        ],
        "current-context": CLUSTER_NAME,
        "preferences": {},
    }


def write_kubeconfig(path: str | Path, credentials: Credentials, server: str) -> Path:
    """Write the kubeconfig readable by its owner only (it holds a credential)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig(credentials, server), sort_keys=False)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(target, 0o600)
    return target
