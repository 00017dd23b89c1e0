"""A throwaway certificate authority and a server certificate for the test PostgreSQL.

Production clients verify the server (``sslmode=verify-full``); the test server must therefore
present a certificate that chains to a CA the test passes as ``sslrootcert`` and names the host
the client dials (127.0.0.1 and localhost). Both keys live only in the session's temp dir.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1",)
_VALIDITY = datetime.timedelta(days=2)
_CLOCK_SKEW = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class ServerCertificate:
    ca_file: Path  # what clients pass as sslrootcert
    cert_file: Path  # ssl_cert_file of the server
    key_file: Path  # ssl_key_file of the server (mode 0600)


def _key_usage(**allowed: bool) -> Any:
    from cryptography import x509

    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{name: allowed.get(name, False) for name in names})


def _certificate_authority(common_name: str, now: datetime.datetime) -> tuple[Any, Any]:
    """A self-signed CA allowed to sign server certificates only (path length 0)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} test CA")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _server_certificate(ca_key: Any, ca: Any, now: datetime.datetime) -> tuple[Any, Any]:
    """A server certificate for the names clients dial, signed by the CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVER_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in SERVER_ADDRESSES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAMES[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, certificate


def write_server_certificate(
    directory: Path, common_name: str = "platform-testkit"
) -> ServerCertificate:
    """Create a CA and a server certificate signed by it, as PEM files in ``directory``.

    EC P-256 keys: generated in milliseconds (RSA-2048 takes ~100x longer) and accepted by
    every libpq/OpenSSL in use.
    """
    from cryptography.hazmat.primitives import serialization

    now = datetime.datetime.now(datetime.UTC)
    ca_key, ca = _certificate_authority(common_name, now)
    server_key, server = _server_certificate(ca_key, ca, now)

    pem = serialization.Encoding.PEM
    paths = ServerCertificate(
        ca_file=directory / "ca.crt",
        cert_file=directory / "server.crt",
        key_file=directory / "server.key",
    )
    paths.ca_file.write_bytes(ca.public_bytes(pem))
    paths.cert_file.write_bytes(server.public_bytes(pem))
    # PostgreSQL refuses a key file that group or others can read.
    paths.key_file.touch(mode=0o600)
    paths.key_file.write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths
