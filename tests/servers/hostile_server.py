#!/usr/bin/env python3
"""A hostile OpenAI-shaped server for tests/integration/hostile.c.

    python3 tests/servers/hostile_server.py --ready-file PATH [--stall-max 30]

Listens on 127.0.0.1 only, plain HTTP/1.1, one thread per connection; the
port goes to PATH (PATH.tmp + rename).  A second listener, "elsewhere", on
127.0.0.1 too, is where the redirect points: it answers nothing and counts
the connections and bytes it gets, and whether the API key was among them.
SIGTERM / SIGINT: exit 0 at once.

POST /v1/chat/completions: the request's body names the misbehaviour with
"hostile:NAME" in the prompt; without one it is a normal answer ("echo: " and
the prompt, Content-Length, keep-alive).  NAME:
  endless-header  a header line that never ends (bytes until the client leaves)
  many-headers    100,000 header lines, then a normal answer
  huge-length     Content-Length: 99999999999999999999, 10 bytes, a stall
  big-length      Content-Length: 4000000000, 10 bytes, a stall
  chunk-ffff      chunked, a chunk size of FFFFFFFFFFFFFFFF, bytes after it
  sse-endless     200 text/event-stream, one event whose data never ends
  retry-after     429 rate_limit_exceeded with retry-after: 999999999
  drip            a normal answer sent one byte a second
  redirect        301 to http://localhost:ELSEWHERE/v1/chat/completions
GET /_stats: {"elsewhere_connections": N, "elsewhere_bytes": N,
"key_elsewhere": 0|1, "modes": {NAME: times seen}, "left": {NAME: times the
client went away before the server was done}}.
"""

import argparse
import json
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llmres_testserver import (BadRequest, ClientGone, listen, log,
                               remove_file, run_forever)
from llmres_testserver import Connection as BaseConnection

FLOOD_MAX = 256 * 1024 * 1024   # an endless line ends here even if nobody leaves
KEY_MARK = b"sk-hostile-"       # the test's API keys start with it

stats_lock = threading.Lock()
STATS = {"elsewhere_connections": 0, "elsewhere_bytes": 0, "key_elsewhere": 0,
         "modes": {}, "left": {}}


def count(kind, name):
    with stats_lock:
        STATS[kind][name] = STATS[kind].get(name, 0) + 1


class Connection(BaseConnection):
    name = "hostile_server"

    def read_request(self):
        req = self.read_head(200)
        cl = req.header("content-length")
        if cl is not None:
            if not cl.isdigit() or int(cl) > 1 << 20:
                raise BadRequest(400, "bad Content-Length")
            req.body = self.read_exact(int(cl), keep=True)
        return req

    def flood(self, head, piece):
        """head, then piece over and over until the client goes (ClientGone)."""
        self.send(head)
        sent = len(head)
        while sent < FLOOD_MAX:
            self.send(piece)
            sent += len(piece)

    def stall(self):
        """Nothing more, until the client closes or --stall-max passes."""
        self.sock.settimeout(self.server.stall_max)
        while self.sock.recv(4096):
            pass
        raise ClientGone("eof")

    def answer(self, req, prompt):
        text = ("echo: " + prompt)[:200]
        body = json.dumps({
            "id": "chatcmpl-hostile", "object": "chat.completion", "created": 1,
            "model": "mock", "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                      "total_tokens": 2}}).encode()
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)) + body

    def hostile(self, mode, req, prompt):
        ok_head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        if mode == "endless-header":
            self.flood(b"HTTP/1.1 200 OK\r\nX-Endless: ", b"a" * 4096)
        elif mode == "many-headers":
            lines = b"".join(b"X-H-%d: v\r\n" % i for i in range(100000))
            self.send(ok_head + lines)
            self.send(self.answer(req, prompt)[len(b"HTTP/1.1 200 OK\r\n"):])
            return True
        elif mode in ("huge-length", "big-length"):
            n = b"99999999999999999999" if mode == "huge-length" else b"4000000000"
            self.send(ok_head + b"Content-Length: " + n + b"\r\n\r\n{\"id\":\"x\",")
            self.stall()
        elif mode == "chunk-ffff":
            self.flood(ok_head + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n",
                       b"a" * 4096)
        elif mode == "sse-endless":
            self.flood(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                       b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"",
                       b"a" * 4096)
        elif mode == "retry-after":
            body = (b'{"error":{"message":"Rate limit reached","type":"requests",'
                    b'"param":null,"code":"rate_limit_exceeded"}}')
            self.send(b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
                      b"retry-after: 999999999\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            return True
        elif mode == "drip":
            for i, b in enumerate(self.answer(req, prompt)):
                if i:
                    time.sleep(1.0)
                self.send(bytes([b]))
            return True
        elif mode == "redirect":
            loc = b"http://localhost:%d/v1/chat/completions" % self.server.elsewhere_port
            self.send(b"HTTP/1.1 301 Moved Permanently\r\nLocation: " + loc +
                      b"\r\nContent-Length: 0\r\n\r\n")
            return True
        else:
            raise BadRequest(400, "unknown mode %r" % mode)
        return False

    def handle(self, req):
        if req.method == "GET" and req.path == "/_stats":
            with stats_lock:
                body = json.dumps(STATS).encode()
            self.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body)
            return True
        if req.method != "POST" or req.path != "/v1/chat/completions":
            raise BadRequest(404, "no such path")
        try:
            msgs = json.loads(req.body)["messages"]
            prompt = msgs[-1]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise BadRequest(400, "not a chat request")
        m = re.search(r"hostile:([a-z-]+)", prompt)
        if not m:
            self.send(self.answer(req, prompt))
            return True
        count("modes", m.group(1))
        try:
            return self.hostile(m.group(1), req, prompt)
        except ClientGone:
            count("left", m.group(1))
            raise

    def serve(self):
        self.sock.settimeout(self.server.stall_max)
        while not self.closed:
            try:
                req = self.read_request()
            except BadRequest as e:
                log("hostile_server: conn %d: %s" % (self.no, e))
                self.send(b"HTTP/1.1 %d Bad\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % e.status)
                return
            if not self.handle(req):
                return


def elsewhere(lsock):
    """The other host: counts whoever comes, and whether the key came with them."""
    while True:
        try:
            c, _ = lsock.accept()
        except OSError:
            continue
        with stats_lock:
            STATS["elsewhere_connections"] += 1
        c.settimeout(2.0)
        data = b""
        try:
            while len(data) < 1 << 20:
                got = c.recv(65536)
                if not got:
                    break
                data += got
        except OSError:
            pass
        with stats_lock:
            STATS["elsewhere_bytes"] += len(data)
            if KEY_MARK in data:
                STATS["key_elsewhere"] = 1
        c.close()


class Server:
    def __init__(self, args):
        self.stall_max = max(0.1, float(args.stall_max))
        self.tls_ctx = None
        self.conn_count = 0
        self.elsewhere_port = 0


def main():
    ap = argparse.ArgumentParser(description="hostile HTTP/1.1 test server")
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--stall-max", type=float, default=30.0)
    args = ap.parse_args()

    def start():
        server = Server(args)
        other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        other.bind(("127.0.0.1", 0))
        other.listen(16)
        server.elsewhere_port = other.getsockname()[1]
        threading.Thread(target=elsewhere, args=(other,), daemon=True).start()
        remove_file(args.ready_file)
        return server, listen(args.ready_file, 0, 64)

    run_forever(start, Connection)


if __name__ == "__main__":
    main()
