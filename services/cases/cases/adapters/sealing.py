"""Sealing the documents the party receives, and checking a seal: an interface with adapters.

A decision must bear the bureau's seal (行政处罚法 art. 59), and a government body's electronic seal
is one the national unified electronic seal system makes (SM2, GB/T 38540-2020, mostly on OFD): no
certificate of our own making is one. So the production adapters call the province's seal platform
or a certified signing server with the document (an OFD sidecar on ofdrw for the GB/T 38540
structure). `PlatformSealer` is the first; `OfdSidecarSealer` calls the sidecar of
deploy/ofd-sealer (ofdrw, Java), which turns the PDF into OFD and seals it with an SM2 seal in the
GB/T 38540 structures, a development seal it makes itself and names as such (make up and the tests
prove the OFD path with it). The last is the development adapter: PAdES signatures made with pyHanko
and a certificate the platform makes for itself, whose name and every document it signs say that it
is a development signature without legal force, so that `make run` produces documents any PDF reader
opens and checks, and a changed byte is caught."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import unquote_plus

import httpx
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from cases.adapters.official import SealSpot
from common.refusals import Refusal

DEVELOPMENT_NOTE = "(开发用电子签名, 不具有法律效力)"
OFD_DEVELOPMENT_NOTE = "(开发用电子印章, 不具有法律效力; 签章正本为 OFD 版)"


@dataclass(frozen=True)
class Verdict:
    intact: bool
    """The document is the one sealed, byte for byte, and the seal is the sealer's."""
    signer: str | None = None
    signed_at: datetime | None = None
    development: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class Sealed:
    pdf: bytes
    """What is served as the PDF: sealed itself where the sealer seals PDF, else the reading copy."""
    signer: str
    ofd: bytes | None = None
    """The sealed OFD (GB/T 33190), where the sealer seals OFD."""


class Sealer(Protocol):
    note: str | None
    """Printed under the bureau's name where the seal goes (a development signature says so)."""

    async def seal(self, pdf: bytes, reason: str, spot: SealSpot) -> Sealed:
        """The sealed document and who sealed it; `spot`, where the seal's picture goes."""
        ...

    async def verify(self, document: bytes) -> Verdict:
        """Whether a sealed document (in the format this sealer seals) is intact."""
        ...


def development_certificate(bureau: str, now: datetime) -> tuple[str, str]:
    """A key and a self-signed certificate (PEM) whose names say they are for development only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{bureau} (开发用)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "开发用电子签名, 不具有法律效力"),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_cert_sign=True,
        crl_sign=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


class DevelopmentSealer:
    """PAdES (pyHanko) with the development certificate: trusted here, and nowhere else."""

    note = DEVELOPMENT_NOTE

    def __init__(self, key_pem: str, cert_pem: str) -> None:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        self._cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
        der_key = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self._signer = signers.SimpleSigner(
            signing_cert=self._cert,
            signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
            cert_registry=SimpleCertificateStore.from_certs([self._cert]),
        )
        self.signer_name = self._cert.subject.native.get("common_name", "")

    async def seal(self, pdf: bytes, reason: str, spot: SealSpot | None = None) -> Sealed:
        meta = signers.PdfSignatureMetadata(field_name="Seal", reason=reason, name=self.signer_name)
        out = await signers.PdfSigner(meta, signer=self._signer).async_sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf))
        )
        return Sealed(out.getvalue(), self.signer_name)

    async def verify(self, document: bytes) -> Verdict:
        pdf = document
        try:
            signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
        except Exception as exc:  # not a PDF any more: a changed byte may break its structure
            return Verdict(False, reason=f"not a readable PDF: {type(exc).__name__}")
        if not signatures:
            return Verdict(False, reason="the document bears no signature")
        try:
            status = await async_validate_pdf_signature(
                signatures[-1], ValidationContext(trust_roots=[self._cert], allow_fetching=False)
            )
        except Exception as exc:
            return Verdict(False, reason=f"the signature cannot be checked: {type(exc).__name__}")
        whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
        signed_at = status.signer_reported_dt
        return Verdict(
            intact=bool(status.intact and status.valid and status.trusted and whole),
            signer=status.signing_cert.subject.native.get("common_name"),
            signed_at=signed_at.astimezone(UTC) if signed_at else None,
            development=True,
            reason=None if status.intact and whole else "the document was changed after it was sealed",
        )


class SealingUnavailable(Refusal):
    """The seal platform did not seal: the step that needed it is not taken (nothing half-done)."""

    status = 503


class PlatformSealer:
    """The province's unified seal platform, or a certified signing server, over HTTP: the document
    goes to it and comes back sealed with the bureau's seal (SM2, GB/T 38540), and it checks a
    sealed document. Its API differs from city to city; the shape assumed here until a city gives
    its interface document is in services/cases/README.md ("Sealing"), and the tests run against
    a fake of it."""

    note = None  # the seal itself is the mark

    def __init__(self, url: str, token: str, seal_id: str, timeout_s: float = 30.0) -> None:
        self.url, self._token, self.seal_id, self.timeout_s = url.rstrip("/"), token, seal_id, timeout_s

    async def _post(self, path: str, body: dict) -> dict:
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout_s) as client:
                r = await client.post(path, json=body, headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            raise SealingUnavailable(f"the seal platform cannot be reached ({type(exc).__name__}); try again") from exc
        if r.status_code != 200:
            raise SealingUnavailable(f"the seal platform answered {r.status_code}: {r.text[:200]}")
        return r.json()

    async def seal(self, pdf: bytes, reason: str, spot: SealSpot) -> Sealed:
        body = {
            "seal_id": self.seal_id,
            "document": base64.b64encode(pdf).decode(),
            "reason": reason,
            "position": {"page": spot.page, "x_mm": spot.x_mm, "y_mm": spot.y_mm},
        }
        sealed = await self._post("/v1/seal", body)
        return Sealed(base64.b64decode(sealed["document"]), sealed["signer"])

    async def verify(self, document: bytes) -> Verdict:
        checked = await self._post("/v1/verify", {"document": base64.b64encode(document).decode()})
        signed_at = checked.get("signed_at")
        return Verdict(
            intact=bool(checked["valid"]),
            signer=checked.get("signer"),
            signed_at=datetime.fromisoformat(signed_at) if signed_at else None,
            development=False,
            reason=checked.get("reason"),
        )


class OfdSidecarSealer:
    """The OFD sidecar (deploy/ofd-sealer: ofdrw on Java): the PDF goes in, and comes back as an OFD
    document bearing an SM2 seal in the GB/T 38540 structures; the party receives both, the OFD
    being the sealed original and the PDF its reading copy. Its seal is a development seal that it
    makes itself and names as one; the structures, the SM2/SM3 cryptography and the check are the
    real ones, which is what make up and the tests prove."""

    note = OFD_DEVELOPMENT_NOTE

    def __init__(self, url: str, timeout_s: float = 60.0) -> None:
        self.url, self.timeout_s = url.rstrip("/"), timeout_s

    async def _post(self, path: str, body: bytes, content_type: str) -> httpx.Response:
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout_s) as client:
                r = await client.post(path, content=body, headers={"Content-Type": content_type})
        except httpx.HTTPError as exc:
            raise SealingUnavailable(f"the OFD sealer cannot be reached ({type(exc).__name__}); try again") from exc
        if r.status_code != 200:
            raise SealingUnavailable(f"the OFD sealer answered {r.status_code}: {r.text[:200]}")
        return r

    async def seal(self, pdf: bytes, reason: str, spot: SealSpot) -> Sealed:
        query = f"/v1/seal?page={spot.page}&x={spot.x_mm}&y={spot.y_mm}&size={spot.size_mm}"
        r = await self._post(query, pdf, "application/pdf")
        return Sealed(pdf, unquote_plus(r.headers["X-Signer"]), ofd=r.content)

    async def verify(self, document: bytes) -> Verdict:
        if document.startswith(b"%PDF-"):
            return Verdict(False, reason="the PDF is the reading copy: the seal is on the OFD version of the document")
        checked = (await self._post("/v1/verify", document, "application/ofd")).json()
        signed_at = checked.get("signed_at")
        return Verdict(
            intact=bool(checked["valid"]),
            signer=checked.get("signer"),
            signed_at=datetime.fromisoformat(signed_at) if signed_at else None,
            development=True,
            reason=checked.get("reason"),
        )
