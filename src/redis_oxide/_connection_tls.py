"""The client TLS context: built from the ``ssl_*`` options, checked before anything connects.

Rules this module keeps:

- Verification is on unless an option turns it off explicitly.
- Every mistake is a ``ValueError`` (or ``TypeError``) at construction, naming the option and
  the file concerned; never a connection error, since nothing was sent.
- OpenSSL never prompts on the terminal for a key's passphrase: an encrypted key without
  ``ssl_password`` is an error.
"""

from __future__ import annotations

import os
import ssl
from typing import Literal

__all__ = ["CertReqs", "build_ssl_context", "cert_reqs_mode"]

CertReqs = Literal["required", "optional", "none"]

_MODES = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}


class _NoPassphrase(Exception):
    """Raised in place of OpenSSL's terminal prompt for an encrypted key's passphrase."""


def _no_passphrase() -> str:
    raise _NoPassphrase


def cert_reqs_mode(value: object) -> ssl.VerifyMode:
    """Read ``ssl_cert_reqs``: an ``ssl.VerifyMode``, or ``"required"``, ``"optional"``,
    ``"none"`` (any case, with or without the ``CERT_`` prefix).

    Raises:
        ValueError: Any other value.
    """
    if isinstance(value, ssl.VerifyMode):
        return value
    if isinstance(value, str):
        mode = _MODES.get(value.lower().removeprefix("cert_"))
        if mode is not None:
            return mode
    raise ValueError(
        "ssl_cert_reqs must be 'required', 'optional', 'none' or an ssl.VerifyMode "
        f"(ssl.CERT_REQUIRED ...), not {value!r}"
    )


def _checked_file(option: str, path: str | None) -> None:
    if path is None:
        return
    if not isinstance(path, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        # Options also come from untyped code (a pathlib.Path is not accepted by the URL).
        raise TypeError(f"{option} must be a str path, not {type(path).__name__}")
    if not os.path.exists(path):
        raise ValueError(f"{option} {path!r}: no such file")
    if not os.path.isfile(path):
        raise ValueError(f"{option} {path!r}: not a file (a PEM file is expected)")


def build_ssl_context(
    *,
    ca_certs: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    password: str | None = None,
    cert_reqs: CertReqs | ssl.VerifyMode = "required",
    check_hostname: bool | None = None,
) -> ssl.SSLContext:
    """Build a client TLS context; verification is on unless explicitly turned off.

    Args:
        ca_certs: PEM file of trusted CAs (``ssl_ca_certs``); None uses the system store.
        certfile: Client certificate (PEM) for mutual TLS (``ssl_certfile``).
        keyfile: Private key for ``certfile`` (``ssl_keyfile``); None when the key is inside
            ``certfile``.
        password: Passphrase of an encrypted key (``ssl_password``). Without it, an
            encrypted key is an error: OpenSSL never prompts on the terminal.
        cert_reqs: Whether the server certificate is required, optional or not checked
            (see ``cert_reqs_mode``).
        check_hostname: Whether the certificate must name the host; defaults to True when
            the certificate is required.

    Returns:
        A new ``ssl.SSLContext``.

    Raises:
        ValueError: A bad ``cert_reqs``, ``check_hostname=True`` with ``cert_reqs`` "none",
            a key without a certificate, or a file that is missing or cannot be loaded (the
            message names the option and the file).
    """
    mode = cert_reqs_mode(cert_reqs)
    if check_hostname is None:
        check_hostname = mode == ssl.CERT_REQUIRED
    elif check_hostname and mode == ssl.CERT_NONE:
        raise ValueError(
            "ssl_check_hostname=True needs the server certificate, which "
            "ssl_cert_reqs='none' does not ask for: drop one of them"
        )
    if certfile is None and (keyfile is not None or password is not None):
        given = "ssl_keyfile" if keyfile is not None else "ssl_password"
        raise ValueError(f"{given} is for the client certificate: give ssl_certfile too")
    for option, path in (("ssl_ca_certs", ca_certs), ("ssl_certfile", certfile)):
        _checked_file(option, path)
    _checked_file("ssl_keyfile", keyfile)
    try:
        context = ssl.create_default_context(cafile=ca_certs)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"ssl_ca_certs {ca_certs!r}: not a PEM file of certificates") from exc
    context.check_hostname = check_hostname
    context.verify_mode = mode
    if certfile is not None:
        key = "the key in ssl_certfile" if keyfile is None else f"ssl_keyfile {keyfile!r}"
        try:
            context.load_cert_chain(
                certfile, keyfile, _no_passphrase if password is None else password
            )
        except _NoPassphrase:
            raise ValueError(f"{key} is encrypted: give its passphrase as ssl_password") from None
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"ssl_certfile {certfile!r} with {key}: cannot load the certificate and key "
                "(not PEM, a key that does not match, or a wrong ssl_password)"
            ) from exc
    return context
