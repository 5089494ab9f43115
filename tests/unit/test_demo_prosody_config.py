"""The Prosody config the demo and the integration tests share (timb.devnet.demo.prosody)."""

from __future__ import annotations

from pathlib import Path

import pytest

from timb.core.errors import Unavailable
from timb.devnet.demo.prosody import DemoProsody, _run


def test_the_demo_config_is_loopback_starttls_only_without_registration(tmp_path: Path) -> None:
    text = DemoProsody(tmp_path, 5999).config_text()
    assert "c2s_ports = { 5999 }" in text
    assert "c2s_direct_tls_ports = {  }" in text
    assert "allow_registration = false" in text
    assert "c2s_require_encryption = true" in text
    assert 'interfaces = { "127.0.0.1" }' in text
    assert "smacks_hibernation_time" not in text
    assert "network_settings = { nagle = false }" in text


def test_the_test_options_add_direct_tls_registration_and_hibernation(tmp_path: Path) -> None:
    server = DemoProsody(tmp_path, 5999, tls_port=6001, allow_registration=True, smacks_hibernation_s=60)
    text = server.config_text()
    assert "c2s_direct_tls_ports = { 6001 }" in text
    assert "allow_registration = true" in text
    assert "smacks_hibernation_time = 60\n" in text
    assert f'filename = "{tmp_path}/prosody.log"' in text


def test_a_failed_tool_is_reported_without_its_command_line() -> None:
    # `prosodyctl register USER DOMAIN PASSWORD`: the password is in argv.
    with pytest.raises(Unavailable) as failed:
        _run(["sh", "-c", "echo refused >&2; exit 3", "sh", "pw-s3cret"], "prosodyctl register u")
    assert "pw-s3cret" not in str(failed.value)
    assert "exit status 3" in str(failed.value) and "refused" in str(failed.value)
    with pytest.raises(Unavailable) as missing:
        _run(["/nonexistent/prosodyctl", "pw-s3cret"], "prosodyctl register u")
    assert "pw-s3cret" not in str(missing.value)
