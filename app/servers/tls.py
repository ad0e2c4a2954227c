"""A private certificate authority and the web server's certificate for the tablets' addresses.

Service workers, the camera and geolocation need a secure origin: a tablet on the depot's network reaches
``https://<this machine>:8443/crew/``. The authority (``tls/ca.pem``) is made once and kept, so a tablet
trusts it once (installed as a CA certificate); the server certificate (``tls/server.pem``) names every
address given, and is made again when they change or it nears its end. Keys are written readable by
their owner only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 397  # what browsers accept for a server certificate
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class Certificates:
    """Where the files are, what the server certificate names, and the authority's fingerprint."""

    ca: Path
    cert: Path
    key: Path
    hosts: tuple[str, ...]
    ca_sha256: str
    made: bool  # False: the existing server certificate already named these hosts


def lan_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routing only
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CityPilot"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))


def _san(hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def check_hosts(hosts: list[str]) -> tuple[str, ...]:
    """The addresses, deduplicated, each an IP address or a DNS name (ValueError naming a bad one)."""
    unique = tuple(dict.fromkeys(h.strip().lower() for h in hosts if h.strip()))
    for host in unique:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not all(part and len(part) <= 63 and part.replace("-", "").isalnum() for part in host.split(".")):
                raise ValueError(f"--host {host!r}: neither an IP address nor a DNS name") from None
    if not unique:
        raise ValueError("--host: give at least one address")
    return unique


def _authority(folder: Path, now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The kept authority, or a new one."""
    cert_path, key_path = folder / "ca.pem", folder / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return x509.load_pem_x509_certificate(cert_path.read_bytes()), key
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("CityPilot local authority")
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _current_hosts(path: Path, now: dt.datetime) -> tuple[str, ...] | None:
    """The hosts the existing server certificate names, None when missing or ending soon."""
    if not path.exists():
        return None
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    if cert.not_valid_after_utc - RENEW_BEFORE < now:
        return None
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return tuple(str(n.value).lower() for n in san)


def ensure_certificates(folder: Path, hosts: list[str], *, force: bool = False,
                        now: dt.datetime | None = None) -> Certificates:
    """The authority (kept) and a server certificate naming ``hosts`` under ``folder``, made when needed."""
    now = now or dt.datetime.now(dt.UTC)
    names = check_hosts(hosts)
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _authority(folder, now)
    cert_path, key_path = folder / "server.pem", folder / "server-key.pem"
    current = _current_hosts(cert_path, now)
    made = force or current is None or set(current) != set(names) or not key_path.exists()
    if made:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(ca_cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
                .add_extension(_san(names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        _write_key(key_path, key)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM)
                              + ca_cert.public_bytes(serialization.Encoding.PEM))  # the chain
    fingerprint = ca_cert.fingerprint(hashes.SHA256()).hex(":").upper()
    return Certificates(folder / "ca.pem", cert_path, key_path, names, fingerprint, made)
