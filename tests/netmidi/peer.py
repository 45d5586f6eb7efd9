#!/usr/bin/env python3
"""An independent Network MIDI 2.0 peer, written from the specification with the Python
standard library only (socket, struct, hashlib), for tests/netmidi_peer.rs.

It shares no code with the Rust implementation, so the two agree only if both follow the
wire format: signature "MIDI", command packets of a header word (code, payload words,
16 command-specific bits) and a payload, big-endian throughout.

  peer.py client HOST PORT --secret S --send W,W --expect N
      invites the host, answers its shared-secret challenge, sends the UMP words, waits
      for N words from the host, says bye. With --wrong-secret it expects the host to
      challenge again with state 1 (wrong digest), and cancels.
  peer.py host --secret S --send W,W --expect N
      listens on 127.0.0.1 (port printed), challenges the client, checks its digest,
      accepts, waits for N words, sends its own, waits for the client's bye.

Progress goes to stdout as JSON lines; any protocol violation exits with status 2.
"""

import argparse
import hashlib
import json
import os
import socket
import struct
import sys
import time

INVITATION = 0x01
INVITATION_WITH_AUTH = 0x02
ACCEPTED = 0x10
AUTH_REQUIRED = 0x12
PING = 0x20
PING_REPLY = 0x21
RETRANSMIT_REQUEST = 0x80
NAK = 0x8F
BYE = 0xF0
BYE_REPLY = 0xF1
UMP_DATA = 0xFF

CAP_AUTH = 0x01
# Words per UMP message by message type (the top nibble of the first word).
UMP_WORDS = [1, 1, 1, 2, 2, 4, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4]


def say(**event):
    print(json.dumps(event), flush=True)


def fail(why):
    say(event="error", why=why)
    sys.exit(2)


def padded(text):
    raw = text.encode("utf-8")
    return raw + b"\0" * (-len(raw) % 4)


def command(code, specific, payload=b""):
    if len(payload) % 4:
        fail("internal: payload not word-aligned")
    return struct.pack(">BBH", code, len(payload) // 4, specific) + payload


def datagram(*commands):
    return b"MIDI" + b"".join(commands)


def identity_command(code, name, product_id, low_byte=0, prefix=b""):
    name_b, pid_b = padded(name), padded(product_id)
    return command(code, ((len(name_b) // 4) << 8) | low_byte, prefix + name_b + pid_b)


def parse(data):
    """Splits a datagram into (code, specific, payload) triples, checking the framing."""
    if len(data) < 4 or data[:4] != b"MIDI":
        fail(f"bad signature in {data[:8]!r}")
    if len(data) % 4:
        fail(f"datagram of {len(data)} bytes is not word-aligned")
    out, at = [], 4
    while at < len(data):
        code, words, specific = struct.unpack_from(">BBH", data, at)
        end = at + 4 + 4 * words
        if end > len(data):
            fail(f"command 0x{code:02X} overruns the datagram")
        out.append((code, specific, data[at + 4:end]))
        at = end
    return out


def ump_words(payload):
    words = list(struct.unpack(f">{len(payload) // 4}I", payload))
    i = 0
    while i < len(words):
        i += UMP_WORDS[words[i] >> 28]
    if i != len(words):
        fail(f"UMP data {words} is not whole messages")
    return words


class Receiver:
    """In-order delivery from numbered UMP-data commands (FEC copies are dropped)."""

    def __init__(self):
        self.next = None
        self.words = []

    def take(self, seq, payload):
        words = ump_words(payload)
        if self.next is not None and seq != self.next:
            if (seq - self.next) % 65536 > 32768:
                return  # a copy of something already delivered
            fail(f"sequence gap: expected {self.next}, got {seq} on a lossless link")
        self.next = (seq + 1) % 65536
        self.words.extend(words)


class Peer:
    def __init__(self, sock, secret):
        self.sock = sock
        self.secret = secret.encode("utf-8")
        self.rx = Receiver()
        self.seq = 1  # amidi2net starts at 1; the other side must accept any first number
        self.remote = None
        self.bye_seen = False

    def send(self, *commands):
        self.sock.sendto(datagram(*commands), self.remote)

    def send_ump(self, words):
        payload = struct.pack(f">{len(words)}I", *words)
        self.send(command(UMP_DATA, self.seq, payload))
        self.seq = (self.seq + 1) % 65536

    def common(self, code, specific, payload):
        """Handles what either role may receive in a session; False if not one of those."""
        if code == UMP_DATA:
            self.rx.take(specific, payload)
        elif code == PING:
            self.send(command(PING_REPLY, 0, payload))
        elif code == PING_REPLY:
            pass
        elif code == BYE:
            self.send(command(BYE_REPLY, 0))
            self.bye_seen = True
        elif code in (BYE_REPLY, NAK):
            if code == NAK:
                fail(f"the other side NAKed us: {payload.hex()} reason {specific >> 8}")
        elif code == RETRANSMIT_REQUEST:
            fail("retransmit requested on a lossless link")
        else:
            return False
        return True

    def receive(self, deadline):
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data, addr = self.sock.recvfrom(65536)
        except socket.timeout:
            return None
        if self.remote is not None and addr != self.remote:
            fail(f"datagram from unexpected {addr}")
        return addr, parse(data)


def words_arg(text):
    return [int(w, 16) for w in text.split(",") if w]


def run_client(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer = Peer(sock, args.secret)
    peer.remote = (args.host, args.port)
    peer.send(identity_command(INVITATION, "Python Client", "py-peer", CAP_AUTH))
    deadline = time.monotonic() + 10
    up = False
    while time.monotonic() < deadline and not (up and len(peer.rx.words) >= args.expect):
        got = peer.receive(deadline)
        if got is None:
            continue
        for code, specific, payload in got[1]:
            if code == AUTH_REQUIRED:
                state = specific & 0xFF
                if args.wrong_secret and state == 1:
                    # The host says our digest was wrong, as it should: give up politely.
                    peer.send(command(BYE, 0x80 << 8))
                    say(event="rejected")
                    return
                if len(payload) < 16 or state != 0:
                    fail(f"bad challenge state {state} / {len(payload)} bytes")
                nonce = payload[:16]
                digest = hashlib.sha256(nonce + peer.secret).digest()
                peer.send(command(INVITATION_WITH_AUTH, 0, digest))
                say(event="challenged")
            elif code == ACCEPTED:
                name_words = specific >> 8
                name = payload[: 4 * name_words].rstrip(b"\0").decode("utf-8")
                say(event="up", host=name)
                up = True
                peer.send_ump(words_arg(args.send))
            elif not peer.common(code, specific, payload):
                fail(f"unexpected command 0x{code:02X}")
    if not up or len(peer.rx.words) < args.expect:
        fail(f"timed out: up={up}, words={peer.rx.words}")
    say(event="ump", words=peer.rx.words[: args.expect])
    peer.send(command(BYE, 0x01 << 8))
    finish(peer)


def finish(peer):
    """Waits briefly for the bye reply (or the other side's bye), then reports."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        got = peer.receive(deadline)
        if got is None:
            continue
        if any(code in (BYE_REPLY, BYE) for code, _, _ in got[1]):
            break
        for code, specific, payload in got[1]:
            peer.common(code, specific, payload)
    say(event="done")


def run_host(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    say(event="listening", port=sock.getsockname()[1])
    peer = Peer(sock, args.secret)
    nonce = os.urandom(16).hex()[:16].encode("ascii")
    deadline = time.monotonic() + 10
    state = "invite"
    sent = False
    while time.monotonic() < deadline and not (sent and peer.bye_seen):
        got = peer.receive(deadline)
        if got is None:
            continue
        addr, commands = got
        for code, specific, payload in commands:
            if code == INVITATION:
                if not specific & CAP_AUTH:
                    fail("the client cannot do shared-secret authentication")
                peer.remote = addr
                name_words = specific >> 8
                say(event="invited", client=payload[: 4 * name_words].rstrip(b"\0").decode())
                peer.send(identity_command(AUTH_REQUIRED, "Python Host", "py-peer", 0, nonce))
                state = "auth"
            elif code == INVITATION_WITH_AUTH:
                if state != "auth" or len(payload) != 32:
                    fail("digest out of turn or of the wrong size")
                if payload != hashlib.sha256(nonce + peer.secret).digest():
                    fail("wrong digest")
                peer.send(identity_command(ACCEPTED, "Python Host", "py-peer"))
                state = "up"
                say(event="up")
            elif not peer.common(code, specific, payload):
                fail(f"unexpected command 0x{code:02X}")
        if state == "up" and not sent and len(peer.rx.words) >= args.expect:
            say(event="ump", words=peer.rx.words[: args.expect])
            peer.send_ump(words_arg(args.send))
            sent = True
    if not (sent and peer.bye_seen):
        fail(f"timed out in state {state}: words={peer.rx.words}, bye={peer.bye_seen}")
    say(event="done")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["client", "host"])
    ap.add_argument("host", nargs="?")
    ap.add_argument("port", nargs="?", type=int)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--send", required=True)
    ap.add_argument("--expect", type=int, required=True)
    ap.add_argument("--wrong-secret", action="store_true",
                    help="client: expect the host to reject our digest")
    args = ap.parse_args()
    if args.mode == "client":
        run_client(args)
    else:
        run_host(args)


if __name__ == "__main__":
    main()
