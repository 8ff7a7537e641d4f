"""A workspace's VAPID key pair (RFC 8292), made and read back with py_vapid: the private key sealed under the
server's secret key, the public key as browsers take it (`applicationServerKey`: the uncompressed P-256 point,
base64url without padding)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from py_vapid.utils import b64urlencode

from omnicx.kernel.access.sealing import seal, unseal

SEALING_PURPOSE = "webpush vapid key"


@dataclass(frozen=True)
class NewKey:
    public_key: str
    sealed_private_key: str


def new_key(secret_key: str) -> NewKey:
    """A fresh key pair: its public key, and its private key (PKCS#8 PEM) sealed."""
    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem().decode("ascii")
    return NewKey(
        public_key=application_server_key(vapid),
        sealed_private_key=seal(secret_key, pem, purpose=SEALING_PURPOSE),
    )


def application_server_key(vapid: Vapid) -> str:
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return str(b64urlencode(raw))


def signer(secret_key: str, sealed_private_key: str) -> Vapid | None:
    """The key that signs pushes, or None when it cannot be unsealed (another server secret key)."""
    pem = unseal(secret_key, sealed_private_key, purpose=SEALING_PURPOSE)
    return None if pem is None else Vapid.from_pem(pem.encode("ascii"))
