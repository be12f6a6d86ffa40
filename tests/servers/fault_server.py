#!/usr/bin/env python3
"""Fault-injecting HTTP/1.1 (+TLS) server for the llmres integration tests.

An independent second HTTP and TLS implementation (Python's socket/ssl), used to
feed the client good and deliberately broken responses.  Standard library only.

    python3 tests/servers/fault_server.py --ready-file PATH [--port 0]
        [--cert CERT.pem --key KEY.pem] [--vectors DIR] [--stall-max 30]

Listens on 127.0.0.1 only.  After listen() the actual port number (decimal
digits, no newline) is written to PATH atomically (PATH.tmp + rename).
SIGTERM / SIGINT: close the listener and exit 0 at once.

Paths (every normally-formed response carries "X-Conn: K", K = 1, 2, 3... per
accepted connection):
  /ok                  200 {"ok":true}, Content-Length, keep-alive
  /json/N              200 JSON body of exactly N bytes, keep-alive
  /chunked/N           200 chunked, N bytes, mixed hex case, chunk extension, trailer
  /close-delimited/N   200, Connection: close, no framing, N bytes, then FIN
  /reset-mid-body      Content-Length 1000, 100 bytes, then TCP RST
  /stall               nothing, until the client closes or --stall-max
  /stall-body          Content-Length 1000, 10 bytes, then stall
  /truncated-chunked   one full chunk, half of the second, then FIN
  /huge-header         a 70,000-byte header value, then "ok"
  /many-headers        500 headers X-H-0..X-H-499, then "ok"
  /garbage             "HELLO WORLD\\r\\nthis is not http\\r\\n\\r\\n", close
  /bad-status          "HTTP/1.1 2x0 OK\\r\\nContent-Length: 0\\r\\n\\r\\n", close
  /obs-fold            folded header "X-A: one\\r\\n  two", "ok"
  /close-after         200 "ok" (no Connection: close), then FIN at once
  /status/NNN          status NNN (200..999), {"status":NNN}; no body for 204/304
  /head-check          Content-Length 12345; body only for GET/POST
  /vector/NAME         raw bytes of VECTORS/NAME, replayed exactly
  /1xx                 100 Continue, 103 Early Hints, then 200 "ok"
  anything else        404 with Content-Length

The bodies of /json/N, /chunked/N, /close-delimited/N and GET /head-check are
the same deterministic JSON text: for N >= 10 '{"pad":"' + P + '"}' where P
cycles through "abcdefghijklmnopqrstuvwxyz0123456789"; 2 <= N < 10: '"' + P + '"';
N == 1: "0"; N == 0: empty.
"""

import argparse
import os
import socket
import ssl
import struct
import sys
import time
from http import HTTPStatus

# The shared plumbing sits next to this script; put its folder on the path
# even when Python does not (python3 -P, or this file imported from elsewhere).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llmres_testserver import (BadRequest, ClientGone, drain, listen, log,
                               remove_file, run_forever, tls_context)
from llmres_testserver import Connection as BaseConnection

MAX_N = 256 * 1024 * 1024          # largest N accepted by the /.../N paths
LINGER_MAX = 2.0                   # longest drain after an orderly FIN
PAD_ALPHABET = b"abcdefghijklmnopqrstuvwxyz0123456789"

def reason_phrase(code):
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unknown Status"


def pad(n):
    if n <= 0:
        return b""
    reps = n // len(PAD_ALPHABET) + 1
    return (PAD_ALPHABET * reps)[:n]


def json_body(n):
    """Valid JSON text of exactly n bytes (n == 0 gives an empty body)."""
    if n >= 10:
        return b'{"pad":"' + pad(n - 10) + b'"}'
    if n >= 2:
        return b'"' + pad(n - 2) + b'"'
    if n == 1:
        return b"0"
    return b""


def parse_n(text):
    if not text.isdigit() or len(text) > 10:
        return None
    n = int(text)
    if n > MAX_N:
        return None
    return n


class Connection(BaseConnection):
    name = "fault_server"

    # --------------------------------------------------------------- closing
    def close_orderly(self):
        """FIN (after close_notify for TLS); drain briefly so no RST is sent."""
        if self.closed:
            return
        self.closed = True
        sock = self.sock
        try:
            if self.server.tls:
                try:
                    sock.settimeout(min(LINGER_MAX, self.server.stall_max))
                    sock = sock.unwrap()           # sends close_notify
                except (ssl.SSLError, OSError, ValueError):
                    sock = self.sock               # peer went away first
            try:
                sock.shutdown(socket.SHUT_WR)      # FIN
            except OSError:
                pass
            drain(sock, min(LINGER_MAX, self.server.stall_max))
        finally:
            for s in (sock, self.sock):
                try:
                    s.close()
                except OSError:
                    pass

    def close_abortive(self):
        """TCP RST: SO_LINGER {1, 0} then close (no close_notify for TLS)."""
        if self.closed:
            return
        self.closed = True
        fd = -1
        try:
            fd = self.sock.fileno()
        except OSError:
            pass
        # Let the bytes already written leave the send queue first, so the
        # client receives them before the reset.
        deadline = time.monotonic() + 1.0
        try:
            import fcntl
            SIOCOUTQ = 0x5411
            while fd >= 0 and time.monotonic() < deadline:
                q = struct.unpack("i", fcntl.ioctl(fd, SIOCOUTQ, b"\0\0\0\0"))[0]
                if q == 0:
                    break
                time.sleep(0.005)
        except (ImportError, OSError):
            time.sleep(0.1)
        time.sleep(0.05)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def wait_peer_close(self):
        """Send nothing; return when the client closes or --stall-max passes."""
        drain(self.sock, self.server.stall_max)

    # -------------------------------------------------------------- requests
    def read_request(self):
        req = self.read_head(200)
        te = req.header("transfer-encoding")
        cl = req.header("content-length")
        if te is not None and te.lower().endswith("chunked"):
            self.discard_chunked_body()
        elif cl is not None:
            if not cl.isdigit():
                raise BadRequest(400, "bad Content-Length %r" % cl)
            self.read_exact(int(cl))
        return req

    def discard_chunked_body(self):
        while True:
            size = self.read_chunk_size()
            if size == 0:
                break
            self.read_exact(size + 2)
        self.skip_trailers()

    # ------------------------------------------------------------- responses
    def head_bytes(self, status, headers, reason=None, conn_close=False):
        out = ["HTTP/1.1 %d %s" % (status, reason if reason is not None
                                   else reason_phrase(status))]
        out.extend("%s: %s" % (k, v) for k, v in headers)
        out.append("X-Conn: %d" % self.no)
        if conn_close:
            out.append("Connection: close")
        return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")

    def respond(self, req, status, body=b"", ctype="application/json",
                extra=(), content_length=True):
        """A normal keep-alive response; returns True to keep the connection."""
        headers = []
        if ctype:
            headers.append(("Content-Type", ctype))
        if content_length:
            headers.append(("Content-Length", str(len(body))))
        headers.extend(extra)
        data = self.head_bytes(status, headers, conn_close=req.close)
        if req.method != "HEAD":
            data += body
        self.send(data)
        if req.close:
            self.close_orderly()
            return False
        return True

    def not_found(self, req):
        return self.respond(req, 404, b'{"error":"not found"}')

    # --------------------------------------------------------------- handlers
    def handle(self, req):
        p = req.path
        if req.method not in ("GET", "POST", "HEAD"):
            return self.respond(req, 405, b'{"error":"method not allowed"}',
                                extra=[("Allow", "GET, POST, HEAD")])
        if p == "/ok":
            return self.respond(req, 200, b'{"ok":true}')
        for prefix, fn in (("/json/", self.h_json), ("/chunked/", self.h_chunked),
                           ("/close-delimited/", self.h_close_delimited)):
            if p.startswith(prefix):
                n = parse_n(p[len(prefix):])
                if n is None:
                    return self.not_found(req)
                return fn(req, n)
        if p.startswith("/status/"):
            return self.h_status(req, p[len("/status/"):])
        if p.startswith("/vector/"):
            return self.h_vector(req, p[len("/vector/"):])
        fn = {
            "/reset-mid-body": self.h_reset_mid_body,
            "/stall": self.h_stall,
            "/stall-body": self.h_stall_body,
            "/truncated-chunked": self.h_truncated_chunked,
            "/huge-header": self.h_huge_header,
            "/many-headers": self.h_many_headers,
            "/garbage": self.h_garbage,
            "/bad-status": self.h_bad_status,
            "/obs-fold": self.h_obs_fold,
            "/close-after": self.h_close_after,
            "/head-check": self.h_head_check,
            "/1xx": self.h_1xx,
        }.get(p)
        if fn is None:
            return self.not_found(req)
        return fn(req)

    def h_json(self, req, n):
        return self.respond(req, 200, json_body(n))

    def h_chunked(self, req, n):
        body = memoryview(json_body(n))
        head = self.head_bytes(200, [("Content-Type", "application/json"),
                                     ("Transfer-Encoding", "chunked"),
                                     ("Trailer", "X-Trailer")],
                               conn_close=req.close)
        self.send(head)
        if req.method != "HEAD":
            # chunk index: size, size-line format
            #   0: 1     "1"
            #   1: 26    "1a;name=value"   (lower-case hex + chunk extension)
            #   2: 255   "FF"              (UPPER-case hex)
            #   3: 7     "7"
            #   4: 100   "64"
            #   5..: 4000 "FA0" (UPPER) and 1000 "3e8" (lower), alternating
            # the last chunk holds what is left; even index lower, odd UPPER.
            sizes = [1, 26, 255, 7, 100]
            off, i = 0, 0
            while off < n:
                want = sizes[i] if i < len(sizes) else (4000 if i % 2 else 1000)
                size = min(want, n - off)
                upper = (i % 2 == 1) if i >= len(sizes) else (i == 2)
                line = ("%X" if upper else "%x") % size
                if i == 1:
                    line += ";name=value"
                self.send(line.encode() + b"\r\n" + bytes(body[off:off + size]) + b"\r\n")
                off += size
                i += 1
            self.send(b"0\r\nX-Trailer: done\r\n\r\n")
        if req.close:
            self.close_orderly()
            return False
        return True

    def h_close_delimited(self, req, n):
        data = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\n" + ("X-Conn: %d\r\n\r\n" % self.no).encode())
        if req.method != "HEAD":
            data += json_body(n)
        self.send(data)
        self.close_orderly()
        return False

    def h_reset_mid_body(self, req):
        self.send(self.head_bytes(200, [("Content-Type", "application/json"),
                                        ("Content-Length", "1000")]))
        self.send(json_body(1000)[:100])
        self.close_abortive()
        return False

    def h_stall(self, req):
        self.wait_peer_close()
        self.close_orderly()
        return False

    def h_stall_body(self, req):
        self.send(self.head_bytes(200, [("Content-Type", "application/json"),
                                        ("Content-Length", "1000")]))
        self.send(json_body(1000)[:10])
        self.wait_peer_close()
        self.close_orderly()
        return False

    def h_truncated_chunked(self, req):
        self.send(self.head_bytes(200, [("Content-Type", "application/json"),
                                        ("Transfer-Encoding", "chunked")]))
        body = json_body(48)
        self.send(b"10\r\n" + body[:16] + b"\r\n")       # first chunk: 16 bytes
        self.send(b"20\r\n" + body[16:32])               # second: 16 of 32
        self.close_orderly()
        return False

    def h_huge_header(self, req):
        return self.ok_after_headers(req, [("X-Huge", "a" * 70000)])

    def h_many_headers(self, req):
        return self.ok_after_headers(
            req, [("X-H-%d" % i, "v%d" % i) for i in range(500)])

    def ok_after_headers(self, req, extra):
        """200 with the given header lines first, then Content-Length: 2, "ok"."""
        head = self.head_bytes(200, [("Content-Type", "text/plain")] + extra
                               + [("Content-Length", "2")], conn_close=req.close)
        self.send(head + (b"" if req.method == "HEAD" else b"ok"))
        if req.close:
            self.close_orderly()
            return False
        return True

    def h_garbage(self, req):
        self.send(b"HELLO WORLD\r\nthis is not http\r\n\r\n")
        self.close_orderly()
        return False

    def h_bad_status(self, req):
        self.send(b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n")
        self.close_orderly()
        return False

    def h_obs_fold(self, req):
        data = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                b"X-A: one\r\n  two\r\n"
                b"Content-Length: 2\r\n" + ("X-Conn: %d\r\n" % self.no).encode()
                + (b"Connection: close\r\n" if req.close else b"") + b"\r\n")
        self.send(data + (b"" if req.method == "HEAD" else b"ok"))
        if req.close:
            self.close_orderly()
            return False
        return True

    def h_close_after(self, req):
        data = self.head_bytes(200, [("Content-Type", "text/plain"),
                                     ("Content-Length", "2")])
        self.send(data + (b"" if req.method == "HEAD" else b"ok"))
        self.close_orderly()
        return False

    def h_status(self, req, text):
        if len(text) != 3 or not text.isdigit() or not 200 <= int(text) <= 999:
            return self.not_found(req)
        code = int(text)
        if code in (204, 304):
            data = self.head_bytes(code, [], conn_close=req.close)
            self.send(data)
            if req.close:
                self.close_orderly()
                return False
            return True
        return self.respond(req, code, b'{"status":%d}' % code)

    def h_head_check(self, req):
        return self.respond(req, 200, json_body(12345))

    def h_vector(self, req, name):
        if (not name or "/" in name or ".." in name or "\\" in name
                or "\0" in name):
            return self.not_found(req)
        path = os.path.join(self.server.vectors, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return self.not_found(req)
        self.send(data)
        # keep the connection only if the stored response is self-delimiting
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        framed = conn_close = False
        if head and head[0].startswith("HTTP/1."):
            for line in head[1:]:
                k, _, v = line.partition(":")
                k, v = k.strip().lower(), v.strip().lower()
                if k == "content-length" or (k == "transfer-encoding"
                                             and v.endswith("chunked")):
                    framed = True
                elif k == "connection" and "close" in v:
                    conn_close = True
        if framed and not conn_close and not req.close:
            return True
        self.close_orderly()
        return False

    def h_1xx(self, req):
        self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.send(b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
        return self.respond(req, 200, b"ok", ctype="text/plain")

    # ------------------------------------------------------------------ loop
    def serve(self):
        """Requests until one ends the connection (run() does TLS and errors)."""
        self.sock.settimeout(self.server.stall_max)
        while not self.closed:
            try:
                req = self.read_request()
            except BadRequest as e:
                log("fault_server: conn %d: %s" % (self.no, e))
                body = b'{"error":"bad request"}'
                try:
                    self.send(self.head_bytes(
                        e.status, [("Content-Type", "application/json"),
                                   ("Content-Length", str(len(body)))],
                        conn_close=True) + body)
                except ClientGone:
                    pass
                self.close_orderly()
                return
            log("%s %s %d" % (req.method, req.target, self.no))
            self.sock.settimeout(self.server.stall_max)
            if not self.handle(req):
                return
            if not self.closed:
                self.sock.settimeout(self.server.stall_max)


class Server:
    def __init__(self, args):
        self.stall_max = max(0.1, float(args.stall_max))
        self.vectors = os.path.abspath(args.vectors)
        self.tls = bool(args.cert)
        self.tls_ctx = None
        if self.tls:
            ctx = tls_context(args.cert, args.key)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_3
            self.tls_ctx = ctx
        self.conn_count = 0


def main():
    ap = argparse.ArgumentParser(description="fault-injecting HTTP/1.1 test server")
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--vectors", default=os.environ.get("LLMRES_VECTORS") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "vectors"))
    ap.add_argument("--stall-max", type=float, default=30.0)
    args = ap.parse_args()
    if bool(args.cert) != bool(args.key):
        ap.error("--cert and --key must be given together")

    def start():
        server = Server(args)               # a bad --cert fails before the unlink
        remove_file(args.ready_file)        # no stale port from an old run
        return server, listen(args.ready_file, args.port, 128)

    run_forever(start, Connection)


if __name__ == "__main__":
    main()
