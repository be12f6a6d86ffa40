#!/usr/bin/env python3
"""Mock LLM API server for the llmres integration tests and demo.

Speaks three wire formats, with deterministic answers and a tunable overload
model.  Standard library only (Python 3.11).

    python3 tests/servers/mock_llm.py --ready-file PATH [--port 0] [--cert C --key K]
        [--seed 1] [--capacity RPS] [--concurrency N] [--overload KIND]
        [--latency-ms MS] [--jitter-ms MS] [--failure-rate F]
        [--outage START:END ...] [--quota] [--chunked] [--stall-max 30]
        [--stream-delay-ms MS] [--stream-error-after N] [--stream-cut-after N]

Listens on 127.0.0.1 only (port 0 = ephemeral), TLS 1.2+ when --cert/--key are
given.  After listen() the port number is written to PATH atomically
(PATH.tmp + rename); a stale PATH is deleted at start.  One thread per
connection, HTTP/1.1 keep-alive.  SIGTERM / SIGINT: exit 0 at once.

Endpoints (POST, JSON body with "model" and "messages"):
  /v1/chat/completions  OpenAI chat completion (needs Authorization: Bearer X)
  /v1/messages          Anthropic Messages (needs x-api-key or Authorization: Bearer,
                        and anthropic-version: any)
  /api/chat             Ollama native chat
  GET /_stats           JSON counters;  GET /_reset_stats resets them

Answer text: "echo: " + the last user message (first 200 characters).
prompt tokens = max(1, chars of all message contents // 4),
completion tokens = max(1, len(text) // 4); "max_tokens" (Ollama:
options.num_predict) smaller than that truncates the text to max_tokens * 4
characters: finish_reason "length" / stop_reason "max_tokens" /
done_reason "length".

Order of checks for an API request: outage window, authentication, request
validation (400), --quota, overload (--concurrency, then --capacity),
latency sleep, --failure-rate, success.

Overload: --capacity RPS is a token bucket (burst max(1, RPS)); --concurrency
N refuses a request when N admitted requests are already being served (in
their latency sleep, or writing their stream).  Overload kinds (--overload;
default by endpoint: openai-429 / anthropic-529 / ollama-503): openai-429,
anthropic-529, anthropic-500, openai-503, ollama-503, whatever the endpoint.  Only
openai-429 carries retry-after / retry-after-ms (the real time until the
bucket holds a token again, or, for a --concurrency refusal, until the
earliest request being served is due to finish); the others copy the shapes
of tests/vectors exactly, and those carry no retry hint.

--outage START:END (seconds since start, [START, END)): requests alternately
get the connection closed without a response and a 503 (per endpoint shape).
--quota: 429 insufficient_quota (OpenAI shape, also used for /api/chat, which
has no quota error of its own) or 402 billing_error (/v1/messages).
--failure-rate F: that fraction of admitted requests get a 500 after the
latency sleep.  --chunked: 200 bodies go out chunked (3 chunks).

Streaming: "stream": true (OpenAI, Anthropic), or "stream" absent / not false
(Ollama /api/chat streams by default) turns a successful answer into a stream;
every error above stays a plain JSON body.  The answer text (same text,
truncation and token counts as unstreamed) is cut into pieces of at most
STREAM_PIECE (4) characters, one text delta each, in the shapes of
tests/vectors/openai_stream.sse and anthropic_stream.sse:
  OpenAI     text/event-stream: "data: {chunk}" events, a role chunk, one
             chunk per piece, a finish chunk ("stop" / "length"), a usage
             chunk with "choices":[] when "stream_options":{"include_usage":
             true}, then "data: [DONE]".
  Anthropic  text/event-stream: message_start (input_tokens, output_tokens 1),
             content_block_start, ping, content_block_delta per piece,
             content_block_stop, message_delta (stop_reason, output_tokens),
             message_stop.
  Ollama     application/x-ndjson: one {"message":{..piece..},"done":false}
             line per piece, then the "done":true line with the counts.
Streams always go out with Transfer-Encoding: chunked, one HTTP chunk per
event / line, each sent as it is written.  --stream-delay-ms MS sleeps MS
(at most --stall-max) between events; a request holds its --concurrency slot
until its stream is written.  --stream-error-after N: after N text deltas
(or after the last one, if the answer has fewer) an error event ends the body
(terminating chunk, but no message_stop / [DONE] / done line): Anthropic
"event: error" overloaded_error as in anthropic_stream_error_after_200.sse,
OpenAI a "data: {"error":{...server_error...}}" event, Ollama an
{"error":"..."} line.  --stream-cut-after N: after N text deltas (or the
last one) the connection is closed in the middle of the chunked body, no
terminating chunk.  If both are given the smaller N acts; on a tie, the cut.

Success rate-limit headers: requests limit = burst, remaining = whole tokens
left, reset = time until the bucket is full (unlimited: 10000 / 9999 / 6ms);
token figures are informational (limit 200000, never refused).

GET /_stats keys: requests, served_ok, by_status {"200": n, ...}, overloaded
(= overloaded_rate + overloaded_concurrency), outage_rejected (=
outage_closed + outage_503), quota_rejected, failures_injected,
auth_rejected, bad_requests, max_in_flight (peak API requests being handled,
refused ones included), max_serving (peak admitted), in_flight, serving,
endpoints {path: n, "other": n}, connections, streamed (200 answers sent
as streams, cut or failed ones included), uptime_s.  /_stats and
/_reset_stats themselves are not counted.
"""

import argparse
import email.utils
import json
import math
import os
import random
import socket
import sys
import threading
import time
from http import HTTPStatus

# The shared plumbing sits next to this script; put its folder on the path
# even when Python does not (python3 -P, or this file imported from elsewhere).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llmres_testserver import (BadRequest, ClientGone, drain, listen, log,
                               remove_file, run_forever, tls_context)
from llmres_testserver import Connection as BaseConnection

MAX_BODY = 16 * 1024 * 1024
TEXT_MAX = 200

EP_OPENAI = "/v1/chat/completions"
EP_ANTHROPIC = "/v1/messages"
EP_OLLAMA = "/api/chat"
ENDPOINTS = (EP_OPENAI, EP_ANTHROPIC, EP_OLLAMA)

OVERLOAD_KINDS = ("openai-429", "anthropic-529", "anthropic-500", "anthropic-429",
                  "openai-503", "ollama-503")
DEFAULT_OVERLOAD = {EP_OPENAI: "openai-429", EP_ANTHROPIC: "anthropic-529",
                    EP_OLLAMA: "ollama-503"}

CT_JSON = "application/json"
CT_OLLAMA = "application/json; charset=utf-8"   # what Ollama really sends
CT_SSE = "text/event-stream"
CT_NDJSON = "application/x-ndjson"

STREAM_PIECE = 4                # characters of answer text per streamed delta

# Token-per-minute figures reported in the rate-limit headers (informational;
# the mock never refuses on tokens).
TPM_LIMIT = 200000
# Request figures reported when --capacity is 0 (unlimited).
UNLIMITED_RPM = 10000

def reason_phrase(code):
    if code == 529:
        return ""                               # Anthropic sends "529 " + nothing
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def jdump(obj):
    return json.dumps(obj, separators=(",", ":")).encode("ascii")


def http_date(t=None):
    return email.utils.formatdate(time.time() if t is None else t, usegmt=True)


def rfc3339(t):
    """Whole-second RFC 3339 UTC, rounded UP so it is never earlier than t."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.ceil(t)))


def rfc3339_nano(t):
    ns = int(t * 1e9)
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1000000000))
            + ".%09dZ" % (ns % 1000000000))


def go_duration(seconds):
    """Go time.Duration text as OpenAI sends it: "0s", "120ms", "20s", "1m30s"."""
    ms = int(math.ceil(max(0.0, seconds) * 1000 - 1e-6))
    if ms <= 0:
        return "0s"
    if ms < 1000:
        return "%dms" % ms
    h, rem = divmod(ms, 3600000)
    m, rem = divmod(rem, 60000)
    s = ("%d.%03d" % divmod(rem, 1000)).rstrip("0").rstrip(".")
    if h:
        return "%dh%dm%ss" % (h, m, s)
    if m:
        return "%dm%ss" % (m, s)
    return "%ss" % s


class Response:
    __slots__ = ("status", "headers", "body", "chunked", "close", "drop",
                 "ctype", "stream", "stream_cut", "stream_gap")

    def __init__(self, status, body=b"", headers=None, ctype=CT_JSON,
                 chunked=False, close=False, drop=False, stream=None,
                 stream_cut=False, stream_gap=0.0):
        self.status = status
        self.body = body
        self.headers = headers or []
        self.ctype = ctype
        self.chunked = chunked
        self.close = close
        self.drop = drop                # close the connection, send nothing
        self.stream = stream            # list of events (bytes): one chunk each
        self.stream_cut = stream_cut    # end without the terminating chunk
        self.stream_gap = stream_gap    # seconds between two events


# ---------------------------------------------------------------- the model
class Model:
    """Shared state: token bucket, in-flight tracking, RNG, statistics."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.start_mono = time.monotonic()
        self.rate = max(0.0, float(args.capacity))
        self.burst = max(1.0, self.rate)
        self.tokens = self.burst
        self.bucket_t = self.start_mono
        self.concurrency = max(0, int(args.concurrency))
        self.overload = args.overload
        self.latency = max(0.0, args.latency_ms) / 1000.0
        self.jitter = max(0.0, args.jitter_ms) / 1000.0
        self.failure_rate = min(1.0, max(0.0, args.failure_rate))
        self.outages = args.outage
        self.quota = args.quota
        self.reject_key = args.reject_key
        self.chunked = args.chunked
        self.stall_max = max(0.1, float(args.stall_max))
        self.stream_gap = min(self.stall_max,
                              max(0.0, args.stream_delay_ms) / 1000.0)
        self.stream_error_after = max(0, int(args.stream_error_after))
        self.stream_cut_after = max(0, int(args.stream_cut_after))
        self.rng = random.Random(args.seed)
        self.id_rng = random.Random()    # ids: not drawn from the seeded stream
        self.outage_seq = 0
        self.seq = 0
        self.in_flight = set()           # every API request being handled
        self.serving = {}                # admitted ones -> expected finish
        self.reset_stats()

    def reset_stats(self):
        with self.lock:
            self.stats = {
                "requests": 0,
                "served_ok": 0,
                "by_status": {},
                "overloaded": 0,
                "overloaded_rate": 0,
                "overloaded_concurrency": 0,
                "outage_rejected": 0,
                "outage_closed": 0,
                "outage_503": 0,
                "quota_rejected": 0,
                "failures_injected": 0,
                "auth_rejected": 0,
                "bad_requests": 0,
                "max_in_flight": len(self.in_flight),
                "max_serving": len(self.serving),
                "endpoints": {ep: 0 for ep in ENDPOINTS},
                "connections": 0,
                "streamed": 0,
            }

    def snapshot(self):
        with self.lock:
            s = json.loads(json.dumps(self.stats))
            s["in_flight"] = len(self.in_flight)
            s["serving"] = len(self.serving)
            s["uptime_s"] = round(time.monotonic() - self.start_mono, 3)
        return s

    def count(self, key, n=1):
        with self.lock:
            self.stats[key] += n

    def count_status(self, status):
        with self.lock:
            k = str(status)
            self.stats["by_status"][k] = self.stats["by_status"].get(k, 0) + 1
            if status == 200:
                self.stats["served_ok"] += 1

    def count_request(self, path):
        with self.lock:
            self.stats["requests"] += 1
            eps = self.stats["endpoints"]
            key = path if path in ENDPOINTS else "other"
            eps[key] = eps.get(key, 0) + 1

    def new_id(self, n, alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"):
        with self.lock:
            self.seq += 1
            return "".join(self.id_rng.choice(alphabet) for _ in range(n))

    # ----------------------------------------------------------- outages
    def outage_action(self):
        """None outside an outage window, else "close" or "503" (alternating)."""
        if not self.outages:
            return None
        t = time.monotonic() - self.start_mono
        for a, b in self.outages:
            if a <= t < b:
                with self.lock:
                    self.outage_seq += 1
                    odd = self.outage_seq % 2 == 1
                    self.stats["outage_rejected"] += 1
                    self.stats["outage_closed" if odd else "outage_503"] += 1
                return "close" if odd else "503"
        return None

    # ---------------------------------------------------------- admission
    def _refill(self, now):
        if self.rate > 0:
            self.tokens = min(self.burst,
                              self.tokens + (now - self.bucket_t) * self.rate)
        self.bucket_t = now

    def enter(self, key):
        """Register a request in flight (all API requests count)."""
        with self.lock:
            self.in_flight.add(key)
            n = len(self.in_flight)
            if n > self.stats["max_in_flight"]:
                self.stats["max_in_flight"] = n

    def leave(self, key):
        with self.lock:
            self.in_flight.discard(key)
            self.serving.pop(key, None)

    def extend_serving(self, key, seconds):
        """An admitted request that streams stays served while it writes."""
        with self.lock:
            if key in self.serving:
                self.serving[key] += seconds

    def admit(self, key):
        """(True, info) if served, (False, info) if overloaded.

        info: dict with wait (s until a retry can succeed), limit,
        remaining, reset (s until the bucket is full), why."""
        with self.lock:
            now = time.monotonic()
            self._refill(now)
            if self.concurrency > 0 and len(self.serving) >= self.concurrency:
                # a slot frees when the earliest request being served finishes
                wait = max(0.001, min(self.serving.values()) - now)
                if self.rate > 0 and self.tokens < 1.0:
                    wait = max(wait, (1.0 - self.tokens) / self.rate)
                self.stats["overloaded"] += 1
                self.stats["overloaded_concurrency"] += 1
                return False, self._info(now, wait, "concurrency")
            if self.rate > 0:
                if self.tokens < 1.0:
                    wait = (1.0 - self.tokens) / self.rate
                    self.stats["overloaded"] += 1
                    self.stats["overloaded_rate"] += 1
                    return False, self._info(now, wait, "rate")
                self.tokens -= 1.0
            # the request is served: plan its latency now (seeded stream)
            delay = self.latency
            if self.jitter > 0:
                delay += self.rng.uniform(0.0, self.jitter)
            delay = min(delay, self.stall_max)
            fail = self.failure_rate > 0 and self.rng.random() < self.failure_rate
            self.serving[key] = now + delay
            if len(self.serving) > self.stats["max_serving"]:
                self.stats["max_serving"] = len(self.serving)
            info = self._info(now, 0.0, None)
            info["delay"] = delay
            info["fail"] = fail
            return True, info

    def _info(self, now, wait, why):
        if self.rate > 0:
            limit = int(self.burst)
            remaining = max(0, int(math.floor(self.tokens + 1e-9)))
            reset = (self.burst - self.tokens) / self.rate
        else:
            limit = UNLIMITED_RPM
            remaining = UNLIMITED_RPM - 1
            reset = 60.0 / UNLIMITED_RPM
        return {"wait": wait, "limit": limit, "remaining": remaining,
                "reset": reset, "why": why}


# ----------------------------------------------------------- request logic
def content_text(content):
    """Text of a message content: a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict):
                t = part.get("text")
                if isinstance(t, str):
                    out.append(t)
        return "".join(out)
    return ""


def compute_answer(doc, ep):
    """(text, prompt_tokens, completion_tokens, truncated) or raise ValueError."""
    msgs = doc.get("messages")
    total = 0
    last_user = ""
    for m in msgs:
        if not isinstance(m, dict):
            raise ValueError("each message must be an object")
        t = content_text(m.get("content"))
        total += len(t)
        if m.get("role") == "user":
            last_user = t
    text = "echo: " + last_user[:TEXT_MAX]
    p = max(1, total // 4)
    c = max(1, len(text) // 4)
    if ep == EP_OLLAMA:
        opts = doc.get("options")
        mt = opts.get("num_predict") if isinstance(opts, dict) else None
        if isinstance(mt, int) and not isinstance(mt, bool) and mt < 0:
            mt = None                   # Ollama: -1 = unlimited
    else:
        mt = doc.get("max_tokens")
        if mt is None and ep == EP_OPENAI:
            mt = doc.get("max_completion_tokens")
    truncated = False
    if mt is not None:
        if isinstance(mt, bool) or not isinstance(mt, int) or mt < 1:
            raise ValueError("max_tokens must be a positive integer")
        if mt < c:
            text = text[:mt * 4]
            c = mt
            truncated = True
    return text, p, c, truncated


def split_pieces(text):
    """The answer text as streamed deltas of at most STREAM_PIECE characters."""
    return [text[i:i + STREAM_PIECE] for i in range(0, len(text), STREAM_PIECE)]


def wants_stream(doc, ep):
    s = doc.get("stream")
    if ep == EP_OLLAMA:
        return s is not False           # Ollama streams unless told not to
    return s is True


class Handler:
    """Builds the Response for one request."""

    def __init__(self, model):
        self.m = model

    # ---------------------------------------------------- error shapes
    def openai_error(self, status, message, etype, param=None, code=None,
                     headers=None):
        body = jdump({"error": {"message": message, "type": etype,
                                "param": param, "code": code}})
        return Response(status, body, headers)

    def anthropic_error(self, status, etype, message, headers=None,
                        with_id=True):
        obj = {"type": "error", "error": {"type": etype, "message": message}}
        hdrs = list(headers or [])
        if with_id:
            rid = "req_011" + self.m.new_id(21)
            obj["request_id"] = rid
            hdrs.insert(0, ("request-id", rid))
        return Response(status, jdump(obj), hdrs)

    def ollama_error(self, status, message):
        return Response(status, jdump({"error": message}), ctype=CT_OLLAMA)

    def x_request_id(self):
        return ("x-request-id", "req_" + self.m.new_id(32, "0123456789abcdef"))

    def auth_error(self, ep, req):
        if ep == EP_OPENAI:
            return self.openai_error(
                401, "Incorrect API key provided. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error", None, "invalid_api_key")
        return self.anthropic_error(401, "authentication_error",
                                    "x-api-key header is required")

    def echo_key_error(self, ep, req):
        """A 401 that echoes the presented key, as careless servers do."""
        auth = (req.header("authorization") or "").split(None, 1)
        key = req.header("x-api-key") or (auth[1] if len(auth) == 2 else "")
        msg = "Incorrect API key provided: %s. You can find your API key at " \
              "https://platform.openai.com/account/api-keys." % key
        if ep == EP_OPENAI:
            return self.openai_error(401, msg, "invalid_request_error", None, "invalid_api_key")
        return self.anthropic_error(401, "authentication_error", msg)

    def bad_request(self, ep, message, param=None, code=None):
        if ep == EP_OPENAI:
            return self.openai_error(400, message, "invalid_request_error",
                                     param, code, [self.x_request_id()])
        if ep == EP_ANTHROPIC:
            return self.anthropic_error(400, "invalid_request_error", message)
        return self.ollama_error(400, message)

    def quota_error(self, ep):
        if ep == EP_ANTHROPIC:
            return self.anthropic_error(
                402, "billing_error",
                "Your credit balance is too low to access the Anthropic API.",
                with_id=False)
        # OpenAI shape (also for /api/chat: Ollama has no quota error)
        return self.openai_error(
            429, "You exceeded your current quota, please check your plan and "
            "billing details. For more information on this error, read the "
            "docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
            "insufficient_quota", None, "insufficient_quota",
            [self.x_request_id()])

    def outage_503(self, ep):
        if ep == EP_ANTHROPIC:
            return self.anthropic_error(503, "api_error", "Service unavailable")
        if ep == EP_OLLAMA:
            return self.ollama_error(
                503, "server busy, please try again.  maximum pending requests exceeded")
        return self.openai_error(
            503, "The engine is currently overloaded, please try again later",
            "server_error")

    def failure(self, ep):
        if ep == EP_ANTHROPIC:
            return self.anthropic_error(500, "api_error", "Internal server error")
        if ep == EP_OLLAMA:
            return self.ollama_error(500, "internal server error")
        return self.openai_error(
            500, "The server had an error while processing your request.",
            "server_error", headers=[self.x_request_id()])

    def token_headers_openai(self, tokens_used):
        used = min(TPM_LIMIT, tokens_used)
        return [("x-ratelimit-limit-tokens", str(TPM_LIMIT)),
                ("x-ratelimit-remaining-tokens", str(TPM_LIMIT - used)),
                ("x-ratelimit-reset-tokens", go_duration(used * 60.0 / TPM_LIMIT))]

    def overload_error(self, ep, info, model_name):
        kind = self.m.overload or DEFAULT_OVERLOAD.get(ep, "openai-429")
        wait = info["wait"]
        if kind == "openai-429":
            limit = info["limit"]
            dur = go_duration(wait)
            msg = ("Rate limit reached for %s in organization org-mock on "
                   "requests per min (RPM): Limit %d, Used %d, Requested 1. "
                   "Please try again in %s. Visit "
                   "https://platform.openai.com/account/rate-limits to learn "
                   "more." % (model_name, limit, limit, dur))
            hdrs = [("retry-after", str(max(1, int(math.ceil(wait - 1e-9))))),
                    ("retry-after-ms", str(max(1, int(math.ceil(wait * 1000 - 1e-6))))),
                    ("x-ratelimit-limit-requests", str(limit)),
                    ("x-ratelimit-remaining-requests", "0"),
                    ("x-ratelimit-reset-requests", dur)]
            hdrs += self.token_headers_openai(0)
            hdrs.append(self.x_request_id())
            return self.openai_error(429, msg, "requests", None,
                                     "rate_limit_exceeded", hdrs)
        if kind == "anthropic-529":
            return self.anthropic_error(529, "overloaded_error", "Overloaded",
                                        [("x-should-retry", "true")])
        if kind == "anthropic-429":
            # Anthropic's own rate limit: rate_limit_error, retry-after in whole
            # seconds, and the anthropic-ratelimit-* headers (reset as RFC 3339)
            now = time.time()
            hdrs = [("retry-after", str(max(1, int(math.ceil(wait - 1e-9))))),
                    ("anthropic-ratelimit-requests-limit", str(info["limit"])),
                    ("anthropic-ratelimit-requests-remaining", "0"),
                    ("anthropic-ratelimit-requests-reset", rfc3339(now + wait))]
            return self.anthropic_error(
                429, "rate_limit_error",
                "This request would exceed the rate limit for your organization "
                "(org-mock) of %d requests per minute. For details, refer to: "
                "https://docs.anthropic.com/en/api/rate-limits." % info["limit"], hdrs)
        if kind == "anthropic-500":
            return self.anthropic_error(500, "api_error", "Overloaded",
                                        with_id=False)
        if kind == "openai-503":
            return self.openai_error(
                503, "The engine is currently overloaded, please try again later",
                "server_error")
        return self.ollama_error(
            503, "server busy, please try again.  maximum pending requests exceeded")

    # ---------------------------------------------------- success shapes
    def success(self, ep, doc, answer, info, key=None, stream=False):
        text, p, c, truncated = answer
        model_name = doc.get("model") if isinstance(doc.get("model"), str) else "mock-model"
        now = time.time()
        if ep == EP_OPENAI:
            cid = "chatcmpl-" + self.m.new_id(29)
            hdrs = [("openai-processing-ms", str(int(info.get("delay", 0) * 1000))),
                    self.x_request_id(),
                    ("x-ratelimit-limit-requests", str(info["limit"])),
                    ("x-ratelimit-limit-tokens", str(TPM_LIMIT)),
                    ("x-ratelimit-remaining-requests", str(info["remaining"])),
                    ("x-ratelimit-remaining-tokens",
                     str(TPM_LIMIT - min(TPM_LIMIT, p + c))),
                    ("x-ratelimit-reset-requests", go_duration(info["reset"])),
                    ("x-ratelimit-reset-tokens",
                     go_duration(min(TPM_LIMIT, p + c) * 60.0 / TPM_LIMIT))]
            if stream:
                so = doc.get("stream_options")
                usage = isinstance(so, dict) and so.get("include_usage") is True
                return self.stream_response(
                    self.openai_events(cid, int(now), model_name, answer, usage),
                    hdrs, CT_SSE, key)
            body = jdump({
                "id": cid,
                "object": "chat.completion",
                "created": int(now),
                "model": model_name,
                "choices": [{"index": 0,
                             "message": {"role": "assistant", "content": text,
                                         "refusal": None},
                             "logprobs": None,
                             "finish_reason": "length" if truncated else "stop"}],
                "usage": {"prompt_tokens": p, "completion_tokens": c,
                          "total_tokens": p + c},
                "system_fingerprint": "fp_mock",
            })
            return Response(200, body, hdrs, chunked=self.m.chunked)
        if ep == EP_ANTHROPIC:
            mid = "msg_01" + self.m.new_id(22)
            used = min(TPM_LIMIT, p + c)
            tok_reset = rfc3339(now + used * 60.0 / TPM_LIMIT)
            hdrs = [("request-id", "req_011" + self.m.new_id(21)),
                    ("anthropic-organization-id", "org-mock"),
                    ("anthropic-ratelimit-requests-limit", str(info["limit"])),
                    ("anthropic-ratelimit-requests-remaining", str(info["remaining"])),
                    ("anthropic-ratelimit-requests-reset", rfc3339(now + info["reset"])),
                    ("anthropic-ratelimit-tokens-limit", str(TPM_LIMIT)),
                    ("anthropic-ratelimit-tokens-remaining", str(TPM_LIMIT - used)),
                    ("anthropic-ratelimit-tokens-reset", tok_reset),
                    ("anthropic-ratelimit-input-tokens-limit", str(TPM_LIMIT)),
                    ("anthropic-ratelimit-input-tokens-remaining",
                     str(TPM_LIMIT - min(TPM_LIMIT, p))),
                    ("anthropic-ratelimit-input-tokens-reset",
                     rfc3339(now + min(TPM_LIMIT, p) * 60.0 / TPM_LIMIT)),
                    ("anthropic-ratelimit-output-tokens-limit", str(TPM_LIMIT)),
                    ("anthropic-ratelimit-output-tokens-remaining",
                     str(TPM_LIMIT - min(TPM_LIMIT, c))),
                    ("anthropic-ratelimit-output-tokens-reset",
                     rfc3339(now + min(TPM_LIMIT, c) * 60.0 / TPM_LIMIT))]
            if stream:
                return self.stream_response(
                    self.anthropic_events(mid, model_name, answer),
                    hdrs, CT_SSE, key)
            body = jdump({
                "id": mid,
                "type": "message",
                "role": "assistant",
                "model": model_name,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "max_tokens" if truncated else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": p, "cache_creation_input_tokens": 0,
                          "cache_read_input_tokens": 0, "output_tokens": c,
                          "service_tier": "standard"},
            })
            return Response(200, body, hdrs, chunked=self.m.chunked)
        delay_ns = int(info.get("delay", 0) * 1e9)

        def final(content, t):
            return {
                "model": model_name,
                "created_at": rfc3339_nano(t),
                "message": {"role": "assistant", "content": content},
                "done_reason": "length" if truncated else "stop",
                "done": True,
                "total_duration": delay_ns + 1000000,
                "load_duration": 100000,
                "prompt_eval_count": p,
                "prompt_eval_duration": delay_ns // 4,
                "eval_count": c,
                "eval_duration": delay_ns - delay_ns // 4,
            }
        if stream:
            return self.stream_response(
                self.ollama_events(model_name, now, answer, final),
                [], CT_NDJSON, key)
        return Response(200, jdump(final(text, now)), ctype=CT_OLLAMA,
                        chunked=self.m.chunked)

    # ---------------------------------------------------- stream shapes
    def stream_plan(self, n):
        """(k, how): send k of the n pieces, then end the stream "how":
        None (normally), "error" or "cut"."""
        cands = []
        if self.m.stream_cut_after > 0:
            cands.append((min(self.m.stream_cut_after, n), 0, "cut"))
        if self.m.stream_error_after > 0:
            cands.append((min(self.m.stream_error_after, n), 1, "error"))
        if not cands:
            return n, None
        k, _, how = min(cands)
        return k, how

    def stream_response(self, planned, hdrs, ctype, key):
        events, cut = planned
        gap = self.m.stream_gap
        if gap > 0 and key is not None:
            self.m.extend_serving(key, gap * (len(events) - 1))
        return Response(200, b"", hdrs, ctype=ctype, stream=events,
                        stream_cut=cut, stream_gap=gap)

    def openai_events(self, cid, created, model_name, answer, usage):
        """(events, cut) of a chat.completion.chunk stream."""
        text, p, c, truncated = answer

        def chunk(choices, **extra):
            obj = {"id": cid, "object": "chat.completion.chunk",
                   "created": created, "model": model_name, "choices": choices}
            obj.update(extra)
            return b"data: " + jdump(obj) + b"\n\n"

        def choice(delta, finish=None):
            return [{"index": 0, "delta": delta, "finish_reason": finish}]

        pieces = split_pieces(text)
        k, how = self.stream_plan(len(pieces))
        ev = [chunk(choice({"role": "assistant", "content": ""}))]
        ev += [chunk(choice({"content": t})) for t in pieces[:k]]
        if how == "error":
            ev.append(b"data: " + jdump({"error": {
                "message": "The server had an error while processing your request.",
                "type": "server_error", "param": None, "code": None}}) + b"\n\n")
        elif how is None:
            ev.append(chunk(choice({}, "length" if truncated else "stop")))
            if usage:
                ev.append(chunk([], usage={"prompt_tokens": p,
                                           "completion_tokens": c,
                                           "total_tokens": p + c}))
            ev.append(b"data: [DONE]\n\n")
        return ev, how == "cut"

    def anthropic_events(self, mid, model_name, answer):
        """(events, cut) of a Messages stream."""
        text, p, c, truncated = answer

        def sse(name, obj):
            return b"event: " + name.encode("ascii") + b"\ndata: " + jdump(obj) + b"\n\n"

        pieces = split_pieces(text)
        k, how = self.stream_plan(len(pieces))
        ev = [sse("message_start", {"type": "message_start", "message": {
                  "id": mid, "type": "message", "role": "assistant",
                  "content": [], "model": model_name, "stop_reason": None,
                  "stop_sequence": None,
                  "usage": {"input_tokens": p, "output_tokens": 1}}}),
              sse("content_block_start", {"type": "content_block_start",
                                          "index": 0, "content_block":
                                          {"type": "text", "text": ""}}),
              sse("ping", {"type": "ping"})]
        ev += [sse("content_block_delta", {"type": "content_block_delta",
                                           "index": 0, "delta":
                                           {"type": "text_delta", "text": t}})
               for t in pieces[:k]]
        if how == "error":
            ev.append(sse("error", {"type": "error", "error": {
                "type": "overloaded_error", "message": "Overloaded"}}))
        elif how is None:
            ev.append(sse("content_block_stop", {"type": "content_block_stop",
                                                 "index": 0}))
            ev.append(sse("message_delta", {"type": "message_delta", "delta": {
                "stop_reason": "max_tokens" if truncated else "end_turn",
                "stop_sequence": None}, "usage": {"output_tokens": c}}))
            ev.append(sse("message_stop", {"type": "message_stop"}))
        return ev, how == "cut"

    def ollama_events(self, model_name, now, answer, final):
        """(events, cut) of an NDJSON chat stream; created_at advances by the
        planned gap between lines."""
        text = answer[0]
        gap = self.m.stream_gap
        pieces = split_pieces(text)
        k, how = self.stream_plan(len(pieces))
        ev = [jdump({"model": model_name,
                     "created_at": rfc3339_nano(now + i * gap),
                     "message": {"role": "assistant", "content": t},
                     "done": False}) + b"\n"
              for i, t in enumerate(pieces[:k])]
        if how == "error":
            ev.append(jdump({"error": "an error was encountered while "
                             "running the model"}) + b"\n")
        elif how is None:
            ev.append(jdump(final("", now + k * gap)) + b"\n")
        return ev, how == "cut"

    # ---------------------------------------------------------- dispatch
    def handle(self, req, key):
        """Returns a Response; may sleep (latency)."""
        path = req.path
        if path in ("/_stats", "/_reset_stats"):
            if req.method not in ("GET", "POST"):
                return Response(405, jdump({"error": "method not allowed"}),
                                [("Allow", "GET")])
            if path == "/_reset_stats":
                self.m.reset_stats()
                return Response(200, jdump({"ok": True}))
            return Response(200, jdump(self.m.snapshot()))

        self.m.count_request(path)
        resp = self.handle_api(req, key)
        if not resp.drop:
            self.m.count_status(resp.status)
        if resp.stream is not None:
            self.m.count("streamed")
        return resp

    def handle_api(self, req, key):
        path = req.path
        ep = path if path in ENDPOINTS else None
        if ep is None:
            return Response(404, jdump({"error": {
                "message": "Unknown request URL: %s %s" % (req.method, path),
                "type": "invalid_request_error", "param": None,
                "code": "unknown_url"}}))
        if req.method != "POST":
            r = self.bad_request(ep, "Method %s not allowed on %s; use POST"
                                 % (req.method, path))
            r.status = 405
            r.headers.append(("Allow", "POST"))
            return r
        self.m.enter(key)
        resp = None
        try:
            resp = self.handle_post(req, ep, key)
            return resp
        finally:
            if resp is None or resp.stream is None:
                self.m.leave(key)       # a stream leaves once it is written

    def handle_post(self, req, ep, key):
        m = self.m
        act = m.outage_action()
        if act == "close":
            return Response(0, drop=True)
        if act == "503":
            return self.outage_503(ep)

        if ep == EP_OPENAI:
            auth = req.header("authorization") or ""
            parts = auth.split(None, 1)
            if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].strip():
                m.count("auth_rejected")
                return self.auth_error(ep, req)
        elif ep == EP_ANTHROPIC:
            # x-api-key, or Authorization: Bearer as the current SDK sends it
            auth = (req.header("authorization") or "").split(None, 1)
            bearer = len(auth) == 2 and auth[0].lower() == "bearer" and auth[1].strip()
            if not (req.header("x-api-key") or "").strip() and not bearer:
                m.count("auth_rejected")
                return self.auth_error(ep, req)
            if not (req.header("anthropic-version") or "").strip():
                m.count("bad_requests")
                return self.bad_request(ep, "anthropic-version: header is required")

        try:
            doc = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            m.count("bad_requests")
            if ep == EP_OPENAI:
                return self.bad_request(
                    ep, "We could not parse the JSON body of your request. "
                    "(HINT: This likely means you aren't using your HTTP "
                    "library correctly. The OpenAI API expects a JSON "
                    "payload, but what was sent was not valid JSON.)")
            return self.bad_request(ep, "invalid JSON body" if ep == EP_OLLAMA
                                    else "There was an error parsing the body "
                                    "of your request as JSON.")
        if not isinstance(doc, dict):
            m.count("bad_requests")
            return self.bad_request(ep, "request body must be a JSON object")
        msgs = doc.get("messages")
        if not isinstance(msgs, list) or not msgs:
            m.count("bad_requests")
            if ep == EP_OPENAI:
                return self.bad_request(ep, "Missing required parameter: 'messages'.",
                                        "messages", "missing_required_parameter")
            if ep == EP_ANTHROPIC:
                return self.bad_request(ep, "messages: Field required")
            return self.bad_request(ep, "messages are required")
        try:
            answer = compute_answer(doc, ep)
        except ValueError as e:
            m.count("bad_requests")
            param = "max_tokens" if "max_tokens" in str(e) else "messages"
            if ep == EP_ANTHROPIC:
                return self.bad_request(ep, "%s: %s" % (param, e))
            return self.bad_request(ep, str(e), param, "invalid_value")

        if m.reject_key and ep != EP_OLLAMA:
            m.count("auth_rejected")
            return self.echo_key_error(ep, req)
        if m.quota:
            m.count("quota_rejected")
            return self.quota_error(ep)

        ok, info = m.admit(key)
        model_name = doc.get("model") if isinstance(doc.get("model"), str) else "mock-model"
        if not ok:
            return self.overload_error(ep, info, model_name)
        if info["delay"] > 0:
            time.sleep(info["delay"])
        if info["fail"]:
            m.count("failures_injected")
            return self.failure(ep)
        return self.success(ep, doc, answer, info, key,
                            wants_stream(doc, ep))


# ------------------------------------------------------------- connection
class Connection(BaseConnection):
    name = "mock_llm"

    def __init__(self, server, sock, conn_no):
        super().__init__(server, sock, conn_no)
        server.model.count("connections")

    def close_orderly(self):
        """Send FIN, then drain briefly so unread input does not cause an RST."""
        if self.closed:
            return
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except (OSError, ValueError):
            pass
        else:
            drain(self.sock, min(1.0, self.server.model.stall_max))
        self.close()

    def read_request(self):
        req = self.read_head(100)       # the excerpt goes out in the 400 body
        te = req.header("transfer-encoding")
        cls = {v for k, v in req.headers if k == "content-length"}
        if te is not None:
            if te.lower().split(",")[-1].strip() != "chunked":
                raise BadRequest(400, "unsupported Transfer-Encoding %r" % te)
            self.maybe_continue(req)
            req.body = self.read_chunked_body()
        elif cls:
            if len(cls) != 1:
                raise BadRequest(400, "conflicting Content-Length")
            cl = cls.pop()
            if not cl.isdigit() or len(cl) > 12:
                raise BadRequest(400, "bad Content-Length %r" % cl)
            n = int(cl)
            if n > MAX_BODY:
                raise BadRequest(413, "request body too large")
            if n:
                self.maybe_continue(req)
            req.body = self.read_exact(n, keep=True)
        return req

    def maybe_continue(self, req):
        exp = req.header("expect")
        if exp and exp.lower() == "100-continue" and not self.buf:
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")

    def read_chunked_body(self):
        out = []
        total = 0
        while True:
            size = self.read_chunk_size()
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise BadRequest(413, "request body too large")
            data = self.read_exact(size + 2, keep=True)
            if data[-2:] != b"\r\n":
                raise BadRequest(400, "bad chunk terminator")
            out.append(data[:-2])
        self.skip_trailers()
        return b"".join(out)

    def write_response(self, resp, close, http10=False):
        reason = reason_phrase(resp.status)
        lines = ["HTTP/1.1 %d %s" % (resp.status, reason),
                 "Date: " + http_date(),
                 "Content-Type: " + resp.ctype]
        for k, v in resp.headers:
            lines.append("%s: %s" % (k, v))
        body = resp.body
        if resp.stream is not None or (resp.chunked and body):
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append("Content-Length: %d" % len(body))
        if close:
            lines.append("Connection: close")
        elif http10:
            lines.append("Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if resp.stream is not None:
            self.send(head)
            for i, ev in enumerate(resp.stream):
                if i and resp.stream_gap > 0:
                    time.sleep(resp.stream_gap)
                self.send(b"%x\r\n" % len(ev) + ev + b"\r\n")
            if not resp.stream_cut:
                self.send(b"0\r\n\r\n")
        elif resp.chunked and body:
            n = len(body)
            cuts = sorted({0, n // 3, (2 * n) // 3, n})
            self.send(head)
            for a, b in zip(cuts, cuts[1:]):
                if b > a:
                    self.send(b"%x\r\n" % (b - a) + body[a:b] + b"\r\n")
            self.send(b"0\r\n\r\n")
        else:
            self.send(head + body)

    def serve(self):
        """Requests until one ends the connection (run() does TLS and errors)."""
        model = self.server.model
        handler = Handler(model)
        while not self.closed:
            self.sock.settimeout(model.stall_max)
            try:
                req = self.read_request()
            except BadRequest as e:
                log("mock_llm: conn %d: %s" % (self.no, e))
                try:
                    self.write_response(Response(
                        e.status, jdump({"error": {"message": str(e),
                                                   "type": "invalid_request_error",
                                                   "param": None, "code": None}})),
                        close=True)
                except ClientGone:
                    pass
                self.close_orderly()
                return
            t0 = time.monotonic()
            key = object()
            resp = handler.handle(req, key)
            if resp.drop:
                log("mock_llm: %s %s -> closed (outage)" % (req.method, req.path))
                self.close()
                return
            close = req.close
            try:
                self.write_response(resp, close, req.version == "HTTP/1.0")
            finally:
                model.leave(key)    # a stream held its slot until now
            if not req.path.startswith("/_"):
                log("mock_llm: %s %s -> %d%s (%d ms)" % (
                    req.method, req.path, resp.status,
                    "" if resp.stream is None else
                    " stream, cut" if resp.stream_cut else " stream",
                    int((time.monotonic() - t0) * 1000)))
            if resp.stream_cut:
                self.close()        # mid-body: no terminating chunk
                return
            if close:
                self.close_orderly()
                return


class Server:
    def __init__(self, args):
        self.model = Model(args)
        self.stall_max = self.model.stall_max   # socket timeout (shared loop)
        self.tls_ctx = None
        if args.cert:
            self.tls_ctx = tls_context(args.cert, args.key)
        self.conn_count = 0


def parse_outage(text):
    try:
        a, b = text.split(":", 1)
        a, b = float(a), float(b)
    except ValueError:
        raise argparse.ArgumentTypeError("expected START:END seconds, got %r" % text)
    if a < 0 or b <= a:
        raise argparse.ArgumentTypeError("need 0 <= START < END, got %r" % text)
    return (a, b)


def main():
    ap = argparse.ArgumentParser(description="mock LLM API server (OpenAI, "
                                 "Anthropic, Ollama) with an overload model")
    ap.add_argument("--ready-file", required=True,
                    help="the port number is written here after listen()")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--capacity", type=float, default=0.0,
                    help="requests per second (token bucket); 0 = unlimited")
    ap.add_argument("--concurrency", type=int, default=0,
                    help="max requests in flight; 0 = unlimited")
    ap.add_argument("--overload", choices=OVERLOAD_KINDS, default=None,
                    help="how overload looks (default: by endpoint)")
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--jitter-ms", type=float, default=0.0)
    ap.add_argument("--failure-rate", type=float, default=0.0)
    ap.add_argument("--outage", type=parse_outage, action="extend", nargs="+",
                    default=[], metavar="START:END",
                    help="seconds since start; may repeat (--outage A:B C:D "
                    "or --outage A:B --outage C:D)")
    ap.add_argument("--quota", action="store_true")
    ap.add_argument("--reject-key", action="store_true",
                    help="refuse every key with a 401 that echoes it back, whole")
    ap.add_argument("--chunked", action="store_true")
    ap.add_argument("--stall-max", type=float, default=30.0)
    ap.add_argument("--stream-delay-ms", type=float, default=0.0,
                    help="sleep between the events of a stream (at most "
                    "--stall-max)")
    ap.add_argument("--stream-error-after", type=int, default=0, metavar="N",
                    help="end streams with an error event after N text "
                    "deltas; 0 = off")
    ap.add_argument("--stream-cut-after", type=int, default=0, metavar="N",
                    help="close the connection mid-stream after N text "
                    "deltas; 0 = off")
    args = ap.parse_args()
    if bool(args.cert) != bool(args.key):
        ap.error("--cert and --key must be given together")
    if args.capacity < 0 or args.concurrency < 0:
        ap.error("--capacity and --concurrency must be >= 0")
    if not 0.0 <= args.failure_rate <= 1.0:
        ap.error("--failure-rate must be in 0..1")
    if (args.stream_delay_ms < 0 or args.stream_error_after < 0
            or args.stream_cut_after < 0):
        ap.error("--stream-delay-ms, --stream-error-after and "
                 "--stream-cut-after must be >= 0")

    def start():
        remove_file(args.ready_file)        # no stale port from an old run
        server = Server(args)
        return server, listen(args.ready_file, args.port, 256)

    run_forever(start, Connection)


if __name__ == "__main__":
    main()
