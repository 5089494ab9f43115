"""libotr key and fingerprint files: round trips, errors that name the line, and libotr itself."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
from pathlib import Path

import gmpy2
import pytest
from cryptography.hazmat.primitives.asymmetric import dsa
from hypothesis import given, settings
from hypothesis import strategies as st

from timb.common import Fingerprint, Secret
from timb.otr import errors, fingerprint_file, keyfiles
from timb.otr.dsa_params import dsa_problem, probably_prime
from timb.otr.keyfiles import (
    FingerprintEntry,
    KeyFileError,
    PrivateKeyEntry,
    parse_fingerprints,
    parse_private_keys,
    serialize_fingerprints,
    serialize_private_keys,
)
from timb.otr.sexp import Atom, SexpList, read_one


def _numbers(seed: int) -> tuple[int, int, int, int, int]:
    key = _KEYS[seed]
    pub = key.public_numbers
    return (
        pub.parameter_numbers.p,
        pub.parameter_numbers.q,
        pub.parameter_numbers.g,
        pub.y,
        key.x,
    )


_KEYS = [dsa.generate_private_key(1024).private_numbers() for _ in range(2)]
ALICE = PrivateKeyEntry.from_numbers("alice@timb.test", "xmpp", _numbers(0))
BOB = PrivateKeyEntry.from_numbers("bob@example.org", "prpl-jabber", _numbers(1))


def _hex(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return "#" + (b"\0" + raw if raw[0] & 0x80 else raw).hex().upper() + "#"


def _key_text(name: str = '"alice@timb.test"', protocol: str = "xmpp", **override: str) -> str:
    """A private key file laid out as libotr writes it, with parts replaced by `override`."""
    p, q, g, y, x = _numbers(0)
    parts = {"p": _hex(p), "q": _hex(q), "g": _hex(g), "y": _hex(y), "x": _hex(x)} | override
    lines = [
        "(privkeys",  # 1
        " (account",  # 2
        f"(name {name})",  # 3
        f"(protocol {protocol})",  # 4
        "(private-key ",  # 5
        " (dsa ",  # 6
        *(f"  ({k} {v})" for k, v in parts.items()),  # 7..11
        "  )",
        " )",
        " )",
        ")",
    ]
    return "\n".join(lines) + "\n"


# ---- private keys -----------------------------------------------------------------------------


def test_round_trip_is_byte_identical() -> None:
    text = serialize_private_keys([ALICE, BOB])
    assert parse_private_keys(text) == [ALICE, BOB]
    assert serialize_private_keys(parse_private_keys(text)) == text
    assert text.startswith('(privkeys\n (account\n(name "alice@timb.test")\n(protocol xmpp)\n')


def test_parses_the_libotr_layout() -> None:
    [entry] = parse_private_keys(_key_text())
    assert entry == ALICE
    assert parse_private_keys(_key_text().encode()) == [entry]


def test_private_part_never_shows() -> None:
    x = ALICE.x_value
    assert isinstance(ALICE.x, Secret)
    for text in (repr(ALICE), str(ALICE), f"{ALICE}", repr([ALICE])):
        assert str(x) not in text and hex(x)[2:] not in text.lower()


def test_fingerprint_is_sha1_of_the_public_mpis() -> None:
    p, q, g, y, _ = _numbers(0)

    def mpi(v: int) -> bytes:
        raw = v.to_bytes((v.bit_length() + 7) // 8, "big")
        return len(raw).to_bytes(4, "big") + raw

    assert ALICE.fingerprint() == Fingerprint(hashlib.sha1(mpi(p) + mpi(q) + mpi(g) + mpi(y)).digest())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alice", "alice"),
        ('"quoted \\"name\\" \\\\ x"', 'quoted "name" \\ x'),
        ('"esc\\x41\\101\\n"', "escAA\n"),
        ("|YWxpY2VAeA==|", "alice@x"),
        ("7:alice@x", "alice@x"),
        ("#616C6963 65#", "alice"),
    ],
)
def test_every_string_syntax_libgcrypt_reads(name: str, expected: str) -> None:
    [entry] = parse_private_keys(_key_text(name=name))
    assert entry.account == expected


@pytest.mark.parametrize("account", ["alice", "a b", 'q"uote\\', "ünïcödé@例え.jp", "1starts-with-digit"])
def test_awkward_account_names_round_trip(account: str) -> None:
    entry = PrivateKeyEntry.from_numbers(account, "prpl-jabber", _numbers(0))
    assert parse_private_keys(serialize_private_keys([entry])) == [entry]


def test_empty_file_list() -> None:
    assert parse_private_keys("(privkeys\n)\n") == []
    assert serialize_private_keys([]) == "(privkeys\n)\n"


def test_to_private_key_gives_the_same_fingerprint() -> None:
    keys = pytest.importorskip("timb.otr.keys")
    key = ALICE.to_private_key()
    assert isinstance(key, keys.PrivateKey)
    assert key.fingerprint() == ALICE.fingerprint()
    assert PrivateKeyEntry.from_numbers("a", "xmpp", key.numbers()) == PrivateKeyEntry.from_numbers(
        "a", "xmpp", _numbers(0)
    )


def _bad(**override: str) -> str:
    return _key_text(**override)


p0, q0, g0, y0, x0 = _numbers(0)
p1 = _numbers(1)[0]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "expected '('"),
        ("privkeys", 1, "expected '('"),
        ("(privkeys\n (account\n", 3, "never closed"),
        ("(notkeys)\n", 1, "(privkeys"),
        ("(privkeys\n (acount (name a))\n)", 2, "(account"),
        ("(privkeys\n)\n(extra)", 3, "after"),
        ("(privkeys\n plain\n)", 2, "(account"),
        (_bad(name='"unterminated'), 3, "unterminated"),
        (_bad(name='"bad \\q escape"'), 3, "escape"),
        (_bad(name="#4G#"), 3, "#...#"),
        (_bad(name="|!!|"), 3, "|...|"),
        (_bad(name="#FF#"), 3, "UTF-8"),
        (_bad(name='""'), 3, "empty"),
        (_bad(name="a b"), 3, "one value"),
        (_bad(name="99999:short"), 3, "past the end"),
        (_bad(name="{x}"), 3, "unexpected character"),
        (_key_text().replace("(name ", "(nom "), 2, "missing (name"),
        (_key_text().replace("(protocol ", "(proto "), 2, "missing (protocol"),
        (_key_text().replace("(private-key ", "(public-key "), 2, "(private-key"),
        (_key_text().replace(" (dsa ", " (rsa "), 5, "(dsa"),
        (_key_text().replace("  (x ", "  (z "), 6, "missing (x"),
        (_bad(y=_hex(y0 + 1)), 6, "y does not match"),
        (_bad(x=_hex(x0 + 1)), 6, "y does not match"),
        (_bad(x="#00#"), 6, "x is out of range"),
        (_bad(x=_hex(q0 + x0)), 6, "x is out of range"),
        (_bad(q=_hex(q0 + 2)), 6, "q"),
        (_bad(p=_hex(p1)), 6, "q does not divide"),
        (_bad(p=_hex(p0 >> 200)), 6, "p has"),
        (_bad(g="#01#"), 6, "g does not generate"),
        (_bad(g=_hex(g0 + 1)), 6, "g does not generate"),
        (_bad(p="#ZZ#"), 7, "#...#"),
    ],
)
def test_malformed_key_files_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(KeyFileError) as info:
        parse_private_keys(text)
    assert info.value.line == line, str(info.value)
    assert words in str(info.value)
    assert str(info.value).startswith(f"line {line}: ")


def test_from_numbers_validates() -> None:
    with pytest.raises(ValueError, match="y does not match"):
        PrivateKeyEntry.from_numbers("a", "xmpp", (p0, q0, g0, y0, x0 + 1))


def test_composite_q_is_refused() -> None:
    # Everything consistent (q | p-1, g^q = 1, y = g^x) except that q is not prime.
    q = (1 << 159) + 1  # divisible by 3, 160 bits
    assert q % 3 == 0 and q.bit_length() == 160
    k = 1 << 864
    while not gmpy2.is_prime(k * q + 1):
        k += 2
    p = k * q + 1
    g = pow(2, k, p)
    x = 12345
    with pytest.raises(KeyFileError, match="not prime"):
        parse_private_keys(_bad(p=_hex(p), q=_hex(q), g=_hex(g), y=_hex(pow(g, x, p)), x=_hex(x)))


# ---- fingerprints -----------------------------------------------------------------------------

FP1 = Fingerprint.from_hex("32b7c57e850fa93206ed5134535cb0e2a99ab304")
FP2 = Fingerprint.from_hex("0123456789abcdef0123456789abcdef01234567")


def test_fingerprints_round_trip() -> None:
    entries = [
        FingerprintEntry("bob@example.org", "alice@timb.test", "prpl-jabber", FP1, "verified"),
        FingerprintEntry("bob@example.org", "alice@timb.test", "prpl-jabber", FP2, "smp"),
        FingerprintEntry("carol@x.org", "alice@timb.test", "xmpp", FP2, ""),
    ]
    text = serialize_fingerprints(entries)
    assert text.splitlines()[0] == (
        "bob@example.org\talice@timb.test\tprpl-jabber\t32b7c57e850fa93206ed5134535cb0e2a99ab304\tverified"
    )
    assert parse_fingerprints(text) == entries
    assert [e.is_trusted for e in entries] == [True, True, False]


def test_fingerprint_lines_as_libotr_reads_them() -> None:
    text = (
        "bob\talice\txmpp\t32B7C57E850FA93206ED5134535CB0E2A99AB304\r\n"  # no trust column, CRLF
        "\n"
        "carol\talice\txmpp\t0123456789abcdef0123456789abcdef01234567\tsmp\textra\n"
    )
    first, second = parse_fingerprints(text)
    assert first == FingerprintEntry("bob", "alice", "xmpp", FP1, None)
    assert not first.is_trusted
    assert second.trust == "smp\textra"  # libotr keeps everything after the fourth tab
    # ... and such an entry is written back as it was read, so an import can always be exported.
    again = parse_fingerprints(serialize_fingerprints([first, second]))
    assert [e.trust or "" for e in again] == ["", "smp\textra"]
    assert parse_fingerprints(text.encode()) == [first, second]
    # libotr ends the last field at the first CR.
    [cut] = parse_fingerprints("bob\talice\txmpp\t" + FP1.hex + "\tsmp\rjunk\n")
    assert cut.trust == "smp"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("bob\talice\txmpp\n", 1),
        ("bob\talice\txmpp\t" + "0" * 40 + "\n" + "bob alice xmpp " + "0" * 40 + "\n", 2),
        ("\n\nbob\talice\txmpp\t" + "0" * 39 + "\n", 3),
        ("bob\talice\txmpp\t" + "g" * 40 + "\tverified\n", 1),
        ("\talice\txmpp\t" + "0" * 40 + "\n", 1),
        ("bob\t\txmpp\t" + "0" * 40 + "\n", 1),
        ("bob\r\talice\txmpp\t" + "0" * 40 + "\n", 1),
        (b"bob\talice\txmpp\t" + b"0" * 40 + b"\n\xff\n", 2),
    ],
)
def test_malformed_fingerprint_lines_name_the_line(text: str | bytes, line: int) -> None:
    with pytest.raises(KeyFileError) as info:
        parse_fingerprints(text)
    assert info.value.line == line


def test_fields_with_tabs_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="tab"):
        serialize_fingerprints([FingerprintEntry("b\tob", "a", "xmpp", FP1)])
    with pytest.raises(ValueError, match="line breaks"):
        serialize_fingerprints([FingerprintEntry("bob", "a", "xmpp", FP1, "smp\nx")])


# ---- against libotr (ctypes) ------------------------------------------------------------------


def _libotr_fingerprint(lib: ctypes.CDLL, us: int, account: bytes, protocol: bytes) -> Fingerprint:
    buf = ctypes.create_string_buffer(45)
    human = lib.otrl_privkey_fingerprint(us, buf, account, protocol)
    assert human is not None
    return Fingerprint.from_hex(human.decode())


@pytest.mark.interop
def test_key_file_written_by_libotr_imports_with_libotrs_fingerprint(
    libotr: ctypes.CDLL, tmp_path: Path
) -> None:
    path = bytes(tmp_path / "otr.private_key")
    us = libotr.otrl_userstate_create()
    try:
        assert libotr.otrl_privkey_generate(us, path, b"alice@timb.test", b"xmpp") == 0
        assert libotr.otrl_privkey_generate(us, path, b"alice@timb.test", b"prpl-jabber") == 0
        entries = parse_private_keys(Path(path.decode()).read_bytes())
        assert {(e.account, e.protocol) for e in entries} == {
            ("alice@timb.test", "xmpp"),
            ("alice@timb.test", "prpl-jabber"),
        }
        for entry in entries:
            assert entry.fingerprint() == _libotr_fingerprint(
                libotr, us, entry.account.encode(), entry.protocol.encode()
            )
        # Our serialisation is exactly what libotr wrote.
        assert serialize_private_keys(entries) == Path(path.decode()).read_text()
    finally:
        libotr.otrl_userstate_free(us)


@pytest.mark.interop
def test_libotr_reads_the_key_files_we_write(libotr: ctypes.CDLL, tmp_path: Path) -> None:
    odd = PrivateKeyEntry.from_numbers("ünï 'q\"uote'@例え.jp", "prpl-jabber", _numbers(1))
    path = tmp_path / "otr.private_key"
    path.write_text(serialize_private_keys([ALICE, odd]))
    us = libotr.otrl_userstate_create()
    try:
        assert libotr.otrl_privkey_read(us, bytes(path)) == 0
        for entry in (ALICE, odd):
            assert _libotr_fingerprint(libotr, us, entry.account.encode(), entry.protocol.encode()) == (
                entry.fingerprint()
            )
    finally:
        libotr.otrl_userstate_free(us)


@pytest.mark.interop
def test_fingerprint_files_both_ways_with_libotr(libotr: ctypes.CDLL, tmp_path: Path) -> None:
    path = tmp_path / "otr.fingerprints"
    us = libotr.otrl_userstate_create()
    try:
        for user, fp, trust in (
            (b"bob@x.org", FP1, b"verified"),
            (b"bob@x.org", FP2, None),
            (b"carol@y", FP2, b"smp"),
        ):
            ctx = libotr.otrl_context_find(us, user, b"alice@timb.test", b"xmpp", 0, 1, None, None, None)
            assert ctx
            fingerprint = libotr.otrl_context_find_fingerprint(ctx, fp.digest, 1, None)
            assert fingerprint
            libotr.otrl_context_set_trust(fingerprint, trust)
        assert libotr.otrl_privkey_write_fingerprints(us, bytes(path)) == 0
    finally:
        libotr.otrl_userstate_free(us)
    written = path.read_text()
    entries = parse_fingerprints(written)
    assert sorted((e.username, e.fingerprint.hex, e.trust) for e in entries) == sorted(
        [("bob@x.org", FP1.hex, "verified"), ("bob@x.org", FP2.hex, ""), ("carol@y", FP2.hex, "smp")]
    )
    assert all((e.account, e.protocol) == ("alice@timb.test", "xmpp") for e in entries)
    assert serialize_fingerprints(entries) == written

    # And back: libotr reads what we write and writes the same again.
    ours = tmp_path / "ours.fingerprints"
    ours.write_text(serialize_fingerprints(entries))
    again = tmp_path / "again.fingerprints"
    us = libotr.otrl_userstate_create()
    try:
        assert libotr.otrl_privkey_read_fingerprints(us, bytes(ours), None, None) == 0
        assert libotr.otrl_privkey_write_fingerprints(us, bytes(again)) == 0
    finally:
        libotr.otrl_userstate_free(us)
    assert sorted(parse_fingerprints(again.read_text()), key=repr) == sorted(entries, key=repr)


# ---- hostile input ----------------------------------------------------------------------------


def test_deep_nesting_and_huge_lengths_are_errors_not_crashes() -> None:
    with pytest.raises(KeyFileError, match="nested"):
        parse_private_keys("(" * 100_000)
    with pytest.raises(KeyFileError):
        parse_private_keys("(privkeys " + "9" * 5000 + ":x)")


_SEXP_PIECES = st.sampled_from(
    [
        "(",
        ")",
        " ",
        "\n",
        '"',
        "\\",
        "#",
        "|",
        "privkeys",
        "account",
        "name",
        "protocol",
        "private-key",
        "dsa",
        "p",
        "q",
        "g",
        "y",
        "x",
        "#00FF#",
        "|AA==|",
        "3:abc",
        '"a\\x41"',
        "\\\n",
        "\u00e9",
        "12:",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300), st.lists(_SEXP_PIECES, max_size=60).map("".join), st.binary(max_size=200)
    )
)
def test_arbitrary_key_files_raise_only_key_file_error(text: str | bytes) -> None:
    try:
        parse_private_keys(text)
    except KeyFileError as exc:
        assert exc.line >= 1


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="ab\t\r\n0f ", max_size=200),
        st.binary(max_size=200),
        st.lists(st.sampled_from(["u", "\t", "\r", "\n", "0" * 40, "smp", "é"]), max_size=20).map("".join),
    )
)
def test_arbitrary_fingerprint_files_raise_only_key_file_error(text: str | bytes) -> None:
    try:
        entries = parse_fingerprints(text)
    except KeyFileError as exc:
        assert exc.line >= 1
    else:
        assert parse_fingerprints(serialize_fingerprints(entries)) == [
            FingerprintEntry(e.username, e.account, e.protocol, e.fingerprint, e.trust or "") for e in entries
        ]


# -- the modules keyfiles is made of -----------------------------------------------------------


def test_keyfiles_is_a_facade_over_its_parts() -> None:
    assert keyfiles.KeyFileError is errors.KeyFileError
    assert keyfiles.parse_fingerprints is fingerprint_file.parse_fingerprints
    assert keyfiles.FingerprintEntry is fingerprint_file.FingerprintEntry
    assert issubclass(KeyFileError, errors.OtrError)


def test_sexp_reads_one_expression_and_names_what_follows() -> None:
    root = read_one(b' (a "b c" #4142# |Q0Q=| 3:x\ny\n (d))\n')
    assert root.head() == b"a"
    assert [i.value for i in root.items if isinstance(i, Atom)] == [b"a", b"b c", b"AB", b"CD", b"x\ny"]
    inner = root.find(b"d")
    assert isinstance(inner, SexpList) and inner.line == 3
    with pytest.raises(KeyFileError, match="line 1: unexpected data after the list"):
        read_one(b"(a) (b)", what="list")


def test_dsa_params_accepts_a_real_key_and_names_each_flaw() -> None:
    p, q, g, y, x = _numbers(0)
    assert dsa_problem(p, q, g, y, x) is None
    assert dsa_problem(p, q, g, y + 1, x) == "DSA y does not match x (y != g^x mod p)"
    assert dsa_problem(p, q, g, y, q) == "DSA x is out of range"
    assert dsa_problem(p, q, 1, y, x) == "DSA g does not generate the order-q subgroup"
    assert probably_prime(q) and not probably_prime(q * 3) and probably_prime(2) and not probably_prime(1)
