"""Owners' identity-card numbers (居民身份证号码), stored encrypted: Fernet (AES-128-CBC with
HMAC-SHA256, from `cryptography`) under a key derived from LEDGER_ID_NUMBER_KEY, with a keyed
fingerprint (HMAC-SHA256) so that the same owner is found (one dog per household) without
decrypting anyone. Shown masked (410***********1234) everywhere; read whole by nobody through
the API: the number is kept for the licence's legal record and the police's request."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from common.redaction import mask_id_number


class IdentityVault:
    def __init__(self, key: str) -> None:
        material = hashlib.sha256(("cgzf-ledger-id-numbers:" + key).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(material))
        self._mac = hashlib.sha256(("cgzf-ledger-id-fingerprint:" + key).encode()).digest()

    def seal(self, id_number: str) -> str:
        return self._fernet.encrypt(id_number.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("an identity-card number sealed under another key") from exc

    def fingerprint(self, value: str) -> str:
        return hmac.new(self._mac, value.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def masked(id_number: str) -> str:
        return mask_id_number(id_number)
