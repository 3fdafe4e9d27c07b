"""Short-lived signed links to a payslip's document. Standard library only.

A browser opens a link without an ``Authorization`` header: the link carries its
expiry and an HMAC-SHA256 of the cooperative, the payslip and that expiry, under
the cooperative's own key (kept by payroll, never sent). A reader of the payslip
(staff, or the entrepreneur it pays) asks for one; it opens the document for
``LINK_SECONDS`` and only that payslip's.
"""

from __future__ import annotations

import hashlib
import hmac

from caekit.rules import RuleViolation

LINK_SECONDS = 300  # five minutes: long enough to open it, too short to pass it around
INVALID = "Ce lien n'est pas valide : demandez-en un nouveau."
EXPIRED = "Ce lien a expiré : demandez-en un nouveau."


class LinkRefused(RuleViolation):
    """A link that does not open the document: forged, altered, or expired."""


def signature(key: bytes, cooperative_id: str, payslip_id: str, expires: int) -> str:
    """The link's signature: HMAC-SHA256 of ``cooperative:payslip:expires``, hex."""
    message = f"{cooperative_id}:{payslip_id}:{int(expires)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_link(key: bytes, cooperative_id: str, payslip_id: str, expires: int, signed: str,
               now: int) -> None:
    """Refuse a link whose signature is not ours (``link.invalid``) or whose expiry has
    passed (``link.expired``); the signature is compared in constant time."""
    if not hmac.compare_digest(signature(key, cooperative_id, payslip_id, expires),
                               signed.lower()):
        raise LinkRefused("link.invalid", INVALID)
    if now > expires:
        raise LinkRefused("link.expired", EXPIRED)
