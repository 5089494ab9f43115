"""The certificate pin and the TLS contexts of the XMPP adapter (pure parts, no network)."""

from __future__ import annotations

import hashlib
import ssl

import pytest

from timb.net.base import TlsError
from timb.net.xmpp.tls import CertificatePin, check_peer_certificate, describe_ssl_error, make_ssl_context

DER = b"0\x82\x01\x0a" + bytes(range(200))  # any bytes stand for a certificate here
DIGEST = hashlib.sha256(DER).digest()


def test_pin_parses_plain_and_colon_hex_in_any_case() -> None:
    plain = DIGEST.hex()
    colons = ":".join(f"{b:02X}" for b in DIGEST)
    assert CertificatePin.from_hex(plain) == CertificatePin.from_hex(colons) == CertificatePin(DIGEST)
    assert CertificatePin.from_hex(f"  {plain.upper()} ") == CertificatePin(DIGEST)


@pytest.mark.parametrize(
    "text",
    ["", "abcd", DIGEST.hex()[:-1], DIGEST.hex() + "00", "g" * 64, hashlib.sha1(DER).hexdigest()],
)
def test_pin_rejects_what_is_not_a_sha256(text: str) -> None:
    with pytest.raises(ValueError, match="64 hex digits"):
        CertificatePin.from_hex(text)


def test_pin_needs_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        CertificatePin(b"\x00" * 20)


def test_pin_str_round_trips() -> None:
    pin = CertificatePin.of(DER)
    assert str(pin).count(":") == 31
    assert CertificatePin.from_hex(str(pin)) == pin


def test_pin_matches_exactly_that_certificate() -> None:
    pin = CertificatePin.of(DER)
    assert pin.matches(DER)
    assert not pin.matches(DER + b"\x00")
    assert not pin.matches(DER[:-1] + bytes([DER[-1] ^ 1]))


def test_check_accepts_the_pinned_certificate() -> None:
    check_peer_certificate(DER, CertificatePin.of(DER))


def test_check_rejects_another_certificate_with_both_pins_in_the_message() -> None:
    pin = CertificatePin.of(b"another certificate")
    with pytest.raises(TlsError, match="does not match the pinned one") as info:
        check_peer_certificate(DER, pin)
    assert str(pin) in str(info.value)
    assert str(CertificatePin.of(DER)) in str(info.value)


def test_check_rejects_a_missing_certificate_when_pinned() -> None:
    with pytest.raises(TlsError, match="no certificate"):
        check_peer_certificate(None, CertificatePin.of(DER))


def test_without_pin_the_handshake_already_verified() -> None:
    check_peer_certificate(DER, None)
    check_peer_certificate(None, None)


def test_ca_context_verifies_chain_and_name() -> None:
    ctx = make_ssl_context()
    assert ctx.verify_mode is ssl.CERT_REQUIRED
    assert ctx.check_hostname
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_pinned_context_leaves_verification_to_the_pin() -> None:
    ctx = make_ssl_context(CertificatePin.of(DER))
    assert ctx.verify_mode is ssl.CERT_NONE
    assert not ctx.check_hostname
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_describe_ssl_error_names_an_untrusted_certificate() -> None:
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_message = "self-signed certificate"
    assert "not trusted (self-signed certificate)" in describe_ssl_error(exc)
    assert "handshake failed" in describe_ssl_error(ssl.SSLError(1, "wrong version number"))
