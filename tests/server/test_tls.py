"""Credentials of a served cluster: the CA, the serving certificate, the token, the kubeconfig."""

from __future__ import annotations

import base64
import ipaddress
import stat
from pathlib import Path

import yaml
from cryptography import x509

from listwatch.server import tls


def test_the_serving_certificate_is_signed_by_the_ca_for_loopback() -> None:
    creds = tls.generate()
    ca = x509.load_pem_x509_certificate(creds.ca_pem)
    cert = x509.load_pem_x509_certificate(creds.cert_pem)
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


def test_every_start_gets_new_credentials() -> None:
    a, b = tls.generate(), tls.generate()
    assert a.token != b.token and a.ca_pem != b.ca_pem and len(a.token) >= 40


def test_only_the_exact_bearer_token_matches() -> None:
    token = tls.generate().token
    assert tls.token_matches(f"Bearer {token}", token)
    assert tls.token_matches(f"bearer {token}", token)
    for header in (None, "", token, f"Basic {token}", f"Bearer {token}x", "Bearer "):
        assert not tls.token_matches(header, token), header


def test_the_kubeconfig_holds_the_server_the_ca_and_the_token_for_its_owner_only(
    tmp_path: Path,
) -> None:
    creds = tls.generate()
    path = tls.write_kubeconfig(tmp_path / "sub" / "kubeconfig", creds, "https://127.0.0.1:6443")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = yaml.safe_load(path.read_text())
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"] == "https://127.0.0.1:6443"
    assert base64.b64decode(cluster["certificate-authority-data"]) == creds.ca_pem
    assert config["users"][0]["user"] == {"token": creds.token}
    assert config["current-context"] == config["contexts"][0]["name"]
    assert config["contexts"][0]["context"]["namespace"] == "default"
