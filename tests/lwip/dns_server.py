#!/usr/bin/env python3
"""A tiny DNS server for tests/lwip: UDP on $LLMRES_LISTEN_HOST port 53, inside the
network namespace that tests/lwip/run.sh creates, for lwIP's own resolver (dns.c).

    mock.lwip.test     A 10.77.0.1 (TTL 60), after 50 ms: a resolver's round trip
    nx.lwip.test       NXDOMAIN
    refused.lwip.test  REFUSED
    silent.lwip.test   no answer at all
    anything else      NXDOMAIN

    python3 tests/lwip/dns_server.py --ready-file PATH

Writes 53 to PATH (via PATH.tmp + rename) once bound; SIGTERM: exit 0.
Standard library only."""

import argparse
import os
import signal
import socket
import struct
import sys
import time

ANSWERS = {"mock.lwip.test": "10.77.0.1"}
RCODES = {"refused.lwip.test": 5}
SILENT = {"silent.lwip.test"}


def parse_question(msg):
    """The first question's name (lower case) and where the question ends."""
    labels, at = [], 12
    while True:
        n = msg[at]
        at += 1
        if n == 0:
            break
        labels.append(msg[at:at + n].decode("ascii", "replace"))
        at += n
    return ".".join(labels).lower(), at + 4


def reply(msg):
    (qid, flags, qd) = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        return None
    name, end = parse_question(msg)
    if name in SILENT:
        return None
    rd = flags & 0x0100
    question = msg[12:end]
    if name in ANSWERS:
        time.sleep(0.05)
        rr = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(ANSWERS[name])
        return struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 1, 0, 0) + question + rr
    rcode = RCODES.get(name, 3)
    return struct.pack("!HHHHHH", qid, 0x8080 | rd | rcode, 1, 0, 0, 0) + question


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ready-file", required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((os.environ["LLMRES_LISTEN_HOST"], 53))
    with open(args.ready_file + ".tmp", "w") as f:
        f.write("53")
    os.rename(args.ready_file + ".tmp", args.ready_file)
    while True:
        msg, peer = sock.recvfrom(512)
        try:
            out = reply(msg)
        except (IndexError, struct.error):
            out = None                      # not a query we can read: no answer
        if out:
            sock.sendto(out, peer)


if __name__ == "__main__":
    main()
