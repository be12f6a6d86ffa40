"""Server plumbing shared by the llmres test servers (fault_server.py, mock_llm.py).

Standard library only.  What lives here is what both servers do the same way:
listening on 127.0.0.1 and publishing the port in a ready file, SIGTERM /
SIGINT handling, the accept loop with one thread per connection, the TLS
handshake, buffered socket reads, and reading an HTTP/1.1 request head.
What each server answers, and how it frames request bodies and closes
connections, stays in that server.

A server object, as used here, has tls_ctx (an ssl.SSLContext or None),
stall_max (seconds, the socket timeout) and conn_count (connections so far).
"""

import errno
import os
import signal
import socket
import ssl
import sys
import threading
import time

HOST = "127.0.0.1"
MAX_HEADER = 64 * 1024

_log_lock = threading.Lock()


def log(msg):
    # one lock: lines from connection threads never interleave
    with _log_lock:
        try:
            sys.stderr.write(msg + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass                    # stderr gone (closed pipe): keep serving


class ClientGone(Exception):
    """The peer closed, reset or timed out; end the connection quietly."""


class BadRequest(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


class Stop(Exception):
    """Raised in the main thread by SIGTERM / SIGINT."""


class Request:
    __slots__ = ("method", "target", "path", "version", "headers", "close",
                 "body")

    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.path = target.split("?", 1)[0]
        self.version = version
        self.headers = headers          # list of (lower-case name, value)
        self.body = b""                 # set by a server that keeps bodies
        tokens = set()
        for k, v in headers:
            if k == "connection":
                tokens.update(t.strip().lower() for t in v.split(","))
        if version == "HTTP/1.0":
            self.close = "keep-alive" not in tokens
        else:
            self.close = "close" in tokens

    def header(self, name):
        for k, v in self.headers:
            if k == name:
                return v
        return None


def tls_context(cert, key):
    """A server context: TLS 1.2 or newer, cert/key, ALPN http/1.1."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    try:
        ctx.set_alpn_protocols(["http/1.1"])
    except (NotImplementedError, ssl.SSLError):
        pass                        # no ALPN in this OpenSSL: clients still talk
    return ctx


def drain(sock, seconds):
    """Read and drop until the peer closes, an error, or seconds pass."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            sock.settimeout(left)
            if not sock.recv(65536):
                return
        except (OSError, ValueError):
            return


class Connection:
    """One accepted connection, run in its own thread.

    A subclass sets name (the log prefix) and defines serve(), which handles
    requests until the connection is to end; run() wraps it."""

    name = "server"

    def __init__(self, server, sock, conn_no):
        self.server = server
        self.sock = sock
        self.no = conn_no
        self.buf = b""
        self.closed = False

    # ------------------------------------------------------------ socket I/O
    def recv_some(self):
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError) as e:
            raise ClientGone(str(e) or type(e).__name__)
        if not data:
            raise ClientGone("eof")
        return data

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (socket.timeout, ssl.SSLError, OSError) as e:
            raise ClientGone(str(e) or type(e).__name__)

    def read_until(self, marker, limit):
        start = 0
        while True:
            i = self.buf.find(marker, start)
            if i >= 0:
                end = i + len(marker)
                out, self.buf = self.buf[:end], self.buf[end:]
                return out
            if len(self.buf) > limit:
                raise BadRequest(431, "request header too large")
            # search only the new bytes (and a marker split across the edge)
            start = max(0, len(self.buf) - len(marker) + 1)
            self.buf += self.recv_some()

    def read_exact(self, n, keep=False):
        """Read n bytes (returned only if keep, else discarded)."""
        chunks = []
        while n > 0:
            if not self.buf:
                self.buf = self.recv_some()
            take = self.buf[:n]
            self.buf = self.buf[len(take):]
            n -= len(take)
            if keep:
                chunks.append(take)
        return b"".join(chunks)

    def close(self):
        """Close at once: no FIN dance, no drain."""
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    # -------------------------------------------------------------- requests
    def read_head(self, excerpt):
        """The next request line and headers as a Request; the body is left
        unread.  A bad line is quoted in the BadRequest up to excerpt chars."""
        # RFC 9112 2.2: ignore at least one empty line before the request line
        while self.buf[:2] == b"\r\n" or self.buf[:1] == b"\n":
            self.buf = self.buf[2:] if self.buf[:2] == b"\r\n" else self.buf[1:]
        while not self.buf:
            self.buf = self.recv_some()
            while self.buf[:2] == b"\r\n" or self.buf[:1] == b"\n":
                self.buf = self.buf[2:] if self.buf[:2] == b"\r\n" else self.buf[1:]
        head = self.read_until(b"\r\n\r\n", MAX_HEADER)
        if len(head) > MAX_HEADER:
            raise BadRequest(431, "request header too large")
        lines = head[:-4].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest(400, "bad request line %r" % lines[0][:excerpt])
        method, target, version = parts
        headers = []
        for line in lines[1:]:
            if ":" not in line or line[:1] in (" ", "\t"):
                raise BadRequest(400, "bad header line %r" % line[:excerpt])
            k, v = line.split(":", 1)
            headers.append((k.strip().lower(), v.strip()))
        return Request(method, target, version, headers)

    def read_chunk_size(self):
        """The size on the next chunk-size line (any extension ignored)."""
        line = self.read_until(b"\r\n", 4096)
        size_txt = line[:-2].split(b";", 1)[0].strip()
        try:
            return int(size_txt, 16)
        except ValueError:
            raise BadRequest(400, "bad chunk size")

    def skip_trailers(self):
        """Read past the trailer section after the last chunk."""
        while True:
            line = self.read_until(b"\r\n", MAX_HEADER)
            if line == b"\r\n":
                return

    # ------------------------------------------------------------------ loop
    def tls_handshake(self):
        """Wrap the socket in TLS; False (connection closed) if that fails."""
        raw = self.sock
        raw.settimeout(self.server.stall_max)
        try:
            self.sock = self.server.tls_ctx.wrap_socket(
                raw, server_side=True, do_handshake_on_connect=False)
            self.sock.do_handshake()
        except (ssl.SSLError, OSError, ValueError) as e:
            log("%s: conn %d: TLS handshake failed: %s" % (self.name, self.no, e))
            # wrap_socket() detaches raw: close whichever owns the fd
            for s in (self.sock, raw):
                try:
                    s.close()
                except OSError:
                    pass
            self.closed = True
            return False
        return True

    def run(self):
        try:
            if self.server.tls_ctx is not None and not self.tls_handshake():
                return
            self.serve()
        except ClientGone:
            pass
        except Exception as e:          # one connection never kills the server
            log("%s: conn %d: error: %r" % (self.name, self.no, e))
        finally:
            self.close()

    def serve(self):
        raise NotImplementedError


def remove_file(path):
    """Delete path if it is there (a stale ready file from an old run)."""
    try:
        os.unlink(path)
    except OSError:
        pass


def listen(ready_file, port, backlog):
    """A socket listening on HOST:port; then its port number (decimal, no
    newline) goes to ready_file through ready_file.tmp + rename, so whoever
    polls for the file never reads half a number."""
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((HOST, port))
        lsock.listen(backlog)
        tmp = ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(lsock.getsockname()[1]))
        os.rename(tmp, ready_file)
    except BaseException:
        lsock.close()
        raise
    return lsock


def accept_loop(lsock, server, conn_class):
    """Accept forever; each connection runs conn_class(...).run() in a daemon
    thread, numbered 1, 2, 3... by server.conn_count."""
    # A short accept timeout: the signal handler runs even when the signal
    # is delivered to a connection thread.
    lsock.settimeout(0.2)
    while True:
        try:
            csock, _ = lsock.accept()
        except socket.timeout:
            continue
        except OSError as e:
            if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS,
                           errno.ENOMEM):
                time.sleep(0.1)     # out of resources: let connections end
            continue
        server.conn_count += 1
        csock.settimeout(server.stall_max)
        try:
            csock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        conn = conn_class(server, csock, server.conn_count)
        threading.Thread(target=conn.run, daemon=True,
                         name="conn-%d" % server.conn_count).start()


def run_forever(start, conn_class):
    """The life of a server process; never returns.

    start() builds the server and listens: it returns (server, listening
    socket).  Then connections are served until SIGTERM / SIGINT (exit 0)
    or an error (exit 1).  Log lines begin with conn_class.name."""
    name = conn_class.name

    def on_signal(signum, frame):
        raise Stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    lsock = None
    code = 0
    try:
        server, lsock = start()
        log("%s: listening on %s:%d (%s), pid %d"
            % (name, HOST, lsock.getsockname()[1],
               "tls" if server.tls_ctx else "plain", os.getpid()))
        accept_loop(lsock, server, conn_class)
    except Stop:
        log("%s: signal received, exiting" % name)
        code = 0
    except Exception as e:
        log("%s: fatal: %r" % (name, e))
        code = 1
    if lsock is not None:
        try:
            lsock.close()
        except OSError:
            pass
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    # os._exit: daemon connection threads may be mid-send; do not wait for them
    os._exit(code)
