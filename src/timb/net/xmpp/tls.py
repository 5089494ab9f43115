"""Re-exports `timb.net.tls`, where the TLS helpers moved when IRC came to share them."""

from __future__ import annotations

from timb.net.tls import CertificatePin, check_peer_certificate, describe_ssl_error, make_ssl_context

__all__ = ["CertificatePin", "check_peer_certificate", "describe_ssl_error", "make_ssl_context"]
