"""The data phase: D-H key ids and rotation, session keys, and sealing/opening Data Messages.

Protocol-v3, "Key Management": keep "our_dh[our_keyid] (most recent) and our_dh[our_keyid-1]
(previous)" and "their_y[their_keyid] (most recent) and their_y[their_keyid-1] (previous)".
Session keys for a (our keyid, their keyid) pair are computed when first needed and cached until
one of the two keys is forgotten, so a one-way stream costs no modular exponentiation at all and an
alternating one costs the protocol's minimum.

`DataSession.open` is atomic: a message that fails any check (keyids, MAC, counter, next D-H key)
raises the one opaque `DecryptionFailed` and changes nothing.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from timb.common.random import Random
from timb.otr import crypto
from timb.otr.ake import AkeResult, DHKeyPair
from timb.otr.encoding import encode_int, encode_mpi
from timb.otr.errors import DecryptionFailed
from timb.otr.keys import PublicKey
from timb.otr.modexp import is_valid_group_element
from timb.otr.wire import MAC_LENGTH, DataMessage, Header, armor, encode_data_message_body

_DATA = 0x03
_COUNTER = struct.Struct(">Q")
_MAX_KEYID = 0xFFFFFFFF


class SessionKeys:
    """Protocol-v3: the sending/receiving AES and MAC keys of one (our key, their key) pair."""

    __slots__ = (
        "recv_aes",
        "recv_ctr",
        "recv_mac",
        "recv_mac_used",
        "secbytes",
        "send_aes",
        "send_ctr",
        "send_mac",
    )

    def __init__(self, our: DHKeyPair, their_public: int) -> None:
        self.secbytes = encode_mpi(our.shared_secret(their_public))
        # "If Alice's public key is numerically greater than Bob's public key, then she is the
        # 'high' end": sendbyte 0x01 and recvbyte 0x02; the "low" end the other way round.
        send_byte, recv_byte = (b"\x01", b"\x02") if our.public > their_public else (b"\x02", b"\x01")
        send_key = crypto.sha1(send_byte + self.secbytes)[:16]
        recv_key = crypto.sha1(recv_byte + self.secbytes)[:16]
        self.send_aes = crypto.AesCtr(send_key)
        self.recv_aes = crypto.AesCtr(recv_key)
        # "The 'sending MAC key' is the 20-byte SHA-1 hash of the 16-byte sending AES key."
        self.send_mac = crypto.sha1(send_key)
        self.recv_mac = crypto.sha1(recv_key)
        self.send_ctr = 0
        self.recv_ctr = 0
        self.recv_mac_used = False

    def extra_symmetric_key(self) -> bytes:
        """Protocol-v3, "Extra symmetric key": h2(0xFF) over the same secbytes."""
        return crypto.sha256(b"\xff" + self.secbytes)


class DataSession:
    """Keys and counters of one MSGSTATE_ENCRYPTED session, built from a completed AKE."""

    def __init__(self, ake: AkeResult, rng: Random, our_instance_tag: int) -> None:
        self._rng = rng
        self.protocol_version = ake.protocol_version
        self.their_instance_tag = ake.their_instance_tag
        self.their_public_key: PublicKey = ake.their_public_key
        self.ssid = ake.ssid
        self.sent_reveal_signature = ake.sent_reveal_signature
        # "When starting a private conversation ... generate two DH key pairs for yourself, and set
        # our_keyid = 2"; the AKE's key is our_dh[1]. our_dh[2] is made when first needed.
        self.our_keyid = ake.our_keyid + 1
        self._our_dh: dict[int, DHKeyPair] = {ake.our_keyid: ake.our_dh}
        # "Upon completing the AKE: ... set their_keyid to the keyid value given in the AKE
        # messages ... their_y[their_keyid-1] should be set to NULL."
        self.their_keyid = ake.their_keyid
        self._their_y: dict[int, int] = {ake.their_keyid: ake.their_dh}
        self._keys: dict[tuple[int, int], SessionKeys] = {}
        self._old_mac_keys: list[bytes] = []
        header = Header(self.protocol_version, _DATA, our_instance_tag, self.their_instance_tag)
        self._header_bytes = header.encode()

    def _our_current(self) -> DHKeyPair:
        dh = self._our_dh.get(self.our_keyid)
        if dh is None:
            dh = self._our_dh[self.our_keyid] = DHKeyPair.generate(self._rng)
        return dh

    def _session_keys(self, our_keyid: int, their_keyid: int) -> SessionKeys:
        keys = self._keys.get((our_keyid, their_keyid))
        if keys is None:
            keys = SessionKeys(self._our_dh[our_keyid], self._their_y[their_keyid])
            self._keys[our_keyid, their_keyid] = keys
        return keys

    # --- sending ----------------------------------------------------------------------------

    def seal(self, plaintext: bytes, flags: int = 0) -> tuple[str, SessionKeys]:
        """Encrypt and MAC one Data Message; returns its "?OTR:...." form and the keys used.

        Protocol-v3, "When you send a Data Message: Set the sender keyid to (our_keyid-1), and the
        recipient keyid to (their_keyid). Set the DH pubkey ... to the public part of
        our_dh[our_keyid]."
        """
        sender_keyid = self.our_keyid - 1
        next_dh = self._our_current()
        keys = self._session_keys(sender_keyid, self.their_keyid)
        # "Top half of counter init ... should monotonically increase ... and must not be all 0x00."
        keys.send_ctr += 1
        ctr = _COUNTER.pack(keys.send_ctr)
        encrypted = keys.send_aes.apply(ctr, plaintext)
        body = encode_data_message_body(
            self._header_bytes, flags, sender_keyid, self.their_keyid, next_dh.public_mpi, ctr, encrypted
        )
        mac = crypto.hmac_sha1(keys.send_mac, body)
        revealed = b"".join(self._old_mac_keys)
        self._old_mac_keys.clear()
        return armor(body + mac + encode_int(len(revealed)) + revealed), keys

    def sending_keys(self) -> SessionKeys:
        """The keys the next Data Message will use (for the extra symmetric key)."""
        self._our_current()
        return self._session_keys(self.our_keyid - 1, self.their_keyid)

    # --- receiving --------------------------------------------------------------------------

    def open(self, message: DataMessage) -> tuple[bytes, SessionKeys]:
        """Verify, decrypt and (only then) rotate keys; returns the plaintext and the keys used.

        Raises:
            DecryptionFailed: unknown key ids, bad MAC, a counter that did not increase, or a bad
                next D-H key. Nothing changed.
        """
        sender, recipient = message.sender_keyid, message.recipient_keyid
        # "If the keyids do not represent either the most recent key or the previous key (for either
        # the sender or receiver), reject the message. Also reject the message if the sender keyid
        # is their_keyid-1, but their_y[their_keyid-1] is NULL."
        if (
            message.header.version != self.protocol_version
            or sender not in self._their_y
            or recipient not in self._our_dh
            or sender == 0
            or recipient == 0
        ):
            raise DecryptionFailed
        keys = self._session_keys(recipient, sender)
        expected = crypto.hmac_sha1(keys.recv_mac, message.authenticated)
        if len(message.mac) != MAC_LENGTH or not crypto.equal(expected, message.mac):
            raise DecryptionFailed
        # "Check that the counter ... is strictly larger than the last counter you saw using this
        # pair of keys. If not, reject the message."
        counter = _COUNTER.unpack(message.ctr)[0]
        if counter <= keys.recv_ctr:
            raise DecryptionFailed
        rotate_theirs = sender == self.their_keyid
        if rotate_theirs and not is_valid_group_element(message.next_dh):
            raise DecryptionFailed
        # Key ids are INTs: a hostile AKE may start them at 0xFFFFFFFF, so refuse to rotate past.
        if (rotate_theirs and sender == _MAX_KEYID) or recipient == self.our_keyid == _MAX_KEYID:
            raise DecryptionFailed
        keys.recv_mac_used = True
        keys.recv_ctr = counter
        plaintext = keys.recv_aes.apply(message.ctr, message.encrypted)
        if recipient == self.our_keyid:
            self._rotate_ours()
        if rotate_theirs:
            self._rotate_theirs(message.next_dh)
        return plaintext, keys

    def _rotate_ours(self) -> None:
        """ "He's seen the public part of our most recent DH key pair, so you must securely forget
        our_dh[our_keyid-1], increment our_keyid, and set our_dh[our_keyid] to a new DH key pair"
        (made lazily, when we next send)."""
        old = self.our_keyid - 1
        self._forget(lambda pair: pair[0] == old)
        self._our_dh.pop(old, None)
        self.our_keyid += 1

    def _rotate_theirs(self, next_dh: int) -> None:
        old = self.their_keyid - 1
        self._forget(lambda pair: pair[1] == old)
        self._their_y.pop(old, None)
        self.their_keyid += 1
        self._their_y[self.their_keyid] = next_dh

    def _forget(self, doomed: Callable[[tuple[int, int]], bool]) -> None:
        """Drop the session keys of a forgotten D-H key, saving used receiving MAC keys to reveal.

        Protocol-v3, "Revealing MAC keys": "take all of the receiving MAC keys that were generated by
        that key ... that were actually used to verify a MAC on a message".
        """
        for pair in [p for p in self._keys if doomed(p)]:
            keys = self._keys.pop(pair)
            if keys.recv_mac_used:
                self._old_mac_keys.append(keys.recv_mac)

    def forget_all(self) -> None:
        """Drop every key (end of the session). Python cannot wipe memory; see the threat model."""
        self._keys.clear()
        self._our_dh.clear()
        self._their_y.clear()
        self._old_mac_keys.clear()
