/* llmres.h - v0.5.0 - keeps an edge device's LLM API calls working over flaky links
   against overloaded providers. Single header, no heap, no floating point, C99 and C++.

   In exactly ONE C or C++ file:
       #define LLMRES_IMPLEMENTATION
       #include "llmres.h"
   Everywhere else include it plainly. The license is at the end of the file.

TABLE OF CONTENTS (each heading below starts a line: search for it)
   OVERVIEW                the parts, layer by layer
   QUICK START             one resilient call
   CONFIGURATION           compile-time macros: sizes and their RAM, switches, overrides;
                           the port headers' macros
   RUNTIME CONFIGURATION   the LLM_* settings of llmres_config_t and their defaults
   PROVIDERS               the built-in wire rows, and rows of your own
   ERRORS AND CLASSES      every llmres_err_t; the error classes and what each one does
   TIME                    milliseconds that wrap
   PORT                    what a platform provides
   THREADING
   MEMORY AND CODE SIZE
   CHANGELOG
   After this comment: the declarations, layer by layer under #ifndef LLMRES_H, each with
   a comment on ownership, blocking and errors; then the IMPLEMENTATION, which begins at
   the row of '=' followed by #ifdef LLMRES_IMPLEMENTATION; then the LICENSE.
   Longer prose is in docs/: API.md (a tour of every part, with examples that compile),
   DESIGN.md (why it works this way; the wire formats), FIGURES.md (sizes and speeds and
   how they were measured), TESTING.md.

OVERVIEW
   Ring 1, the resilience primitives: each is a struct the caller owns plus a few
   functions; time comes in as an argument, nothing reads a clock, nothing allocates,
   nothing touches a global. Ring 2, transport and protocol: the port (clock, sleep,
   entropy, TCP; see PORT) and an HTTP/1.1 client over it, with TLS as a transport from
   port/llmres_mbedtls.h; the LLM wire formats, one row per provider (see PROVIDERS), and
   one error taxonomy. Ring 3, the client: llmres_call sends a prompt through the cache,
   the limits, a breaker per provider, retries and a chain of providers, and comes back
   with one result, whole or streamed piece by piece (SSE, NDJSON) with the same
   resilience. Calls that could not be sent soon end at once, told how long to wait;
   identical calls in flight share one attempt; and a fleet of devices running it sends
   about one and a quarter requests per answer to an overloaded provider (make fleet).
   llmres_call_step is the same call in steps that never wait for the answer,
   for a superloop. The dispatcher takes many requests with priorities and deadlines
   through one queue and gives each exactly one result.

     bucket    token bucket: requests per second, tokens per minute (exact fractions)
     breaker   circuit breaker: closed / open / half-open, consecutive, failure-rate and
               slow-call trips, a growing open period, probes, forced states, a hook
     backoff   exponential backoff, full / equal / decorrelated jitter from a seeded
               xorshift; honours retry-after; gives up rather than pass a deadline
     overload  a provider's overload state (normal, warning, critical, recovering) over a
               sliding window, the adaptive throttle, and the wait it asked for
     cache     LRU response cache: an entry table and a block arena shared by entries
               of any size; exact key match; a TTL per entry
     queue     bounded priority queue with deadlines and backpressure; every item
               pushed comes back to its owner exactly once
     http      HTTP/1.1 request writer, incremental response parser, keep-alive pool,
               the headers that steer retries (retry-after, x-should-retry, rate limits)
     llm       request bodies, answers and streams in each provider's format; classes
     client    llmres_call, llmres_call_step: one resilient call
     dispatch  many calls through one bounded queue, one result each

QUICK START
   A complete program against the simulated provider is the first example of README.md.
   In outline, with port and tls from port/llmres_posix.h and port/llmres_mbedtls.h:

       static llmres_client_t client;    // shared: limits, breakers, cache, counters
       static llmres_worker_t worker;    // one per thread: connections, buffers
       static const llmres_provider_t chain[2] = {
           {LLMRES_PROVIDER_OPENAI, "api.openai.com", 443, 1, NULL, "sk-...", "gpt-4o-mini", NULL},
           {LLMRES_PROVIDER_OLLAMA, "192.168.1.20", 11434, 0, NULL, NULL, "llama3.2", NULL}};
       llmres_call_t call;
       llmres_result_t res;
       char text[2048];

       llmres_client_init(&client, &port, &tls.transport, NULL, chain, 2);   // once
       llmres_worker_init(&worker, &client, NULL);
       llmres_call_init(&call, "Summarise today's alarms.", text, sizeof text);
       if (llmres_call(&client, &worker, &call, &res) == LLMRES_OK) puts(text);
       else printf("%s, class %s\n", llmres_strerror(res.error), llmres_class_name(res.cls));

CONFIGURATION
   Define these before the include, the same in every file: keep them in one header and
   name it in LLMRES_CONFIG_FILE. Sizes change struct sizes, so the init of every struct
   they size (breaker, cache, queue, HTTP client, client, worker, dispatcher) is a macro
   that passes sizeof(*x) to its *_init_sized function, which refuses a struct compiled
   with other sizes than the library (LLMRES_ERR_SIZE_MISMATCH) rather than overrun it.
   RAM costs are for the default sizes.

   macro                          default  RAM it costs
   LLMRES_MAX_BREAKER_WINDOW           32  1 byte per call in a breaker's count window
   LLMRES_MAX_CACHE_ENTRIES            16  28 bytes per entry
   LLMRES_CACHE_ARENA_BYTES          8192  the arena, plus 2 bytes per block
   LLMRES_CACHE_BLOCK_BYTES            64  none; an entry wastes less than one block
   LLMRES_CACHE_HASH_BUCKETS           32  2 bytes each; a power of two
   LLMRES_MAX_QUEUE                    32  18 bytes per item (64-bit), 14 (32-bit)
   LLMRES_QUEUE_LEVELS                  4  4 bytes per priority level; at most 32
   LLMRES_HTTP_MAX_LINE              1024  longest response header line: in every response
   LLMRES_HTTP_MAX_HEADERS            100  none: the most header and trailer lines accepted
   LLMRES_MAX_REQUEST_ID               64  the x-request-id kept, in every response's hints
   LLMRES_MAX_CONNECTIONS               2  keep-alive slots per HTTP client (so per worker),
                                           12 bytes + LLMRES_MAX_HOST each
   LLMRES_MAX_HOST                     64  longest host name, in each connection slot
   LLMRES_HTTP_HEAD_BYTES            1024  the request line and headers, per HTTP client
   LLMRES_HTTP_RX_BYTES              1024  the receive buffer, per HTTP client
   LLMRES_JSON_MAX_DEPTH               16  deepest JSON nesting read; on the stack, 16 bytes
                                           a level
   LLMRES_MAX_PROVIDERS                 2  the chain, in the client: about 180 bytes a
                                           provider (32-bit), its breaker included
   LLMRES_CLIENT_JSON_BYTES          4096  a request's JSON, per worker
   LLMRES_CLIENT_BODY_BYTES          8192  a response body or a stream's event, per worker
   LLMRES_MAX_COALESCE                  4  identical cacheable calls in flight that share
                                           one attempt, per client: 28 bytes each (64-bit)
   LLMRES_MAX_API_KEY                 256  longest API key, sent whole (llmres_client_init
                                           refuses a longer one); that + 9 bytes per worker
   LLMRES_MAX_PATH                    160  longest request target, query included; that
                                           many bytes per worker
   LLMRES_POLL_MS                      10  none: a stepped call waiting for its answer looks
                                           again after this many ms
   LLMRES_STREAM_LINGER_MS           1000  none: after a stream's end marker or error, how
                                           long its HTTP body may take to end
   LLMRES_DISPATCH_SLOTS                4  calls a dispatcher runs at once, 12 bytes each
                                           (32-bit), plus a worker each (the caller's)
   LLMRES_OVERLOAD_SLOTS                8  the overload detector's window slides in this
                                           many steps: 12 bytes each, per provider
   LLMRES_HIST_SUB_BITS                 5  a latency histogram's buckets per power of two
                                           (2^5): percentiles within 1.6 %
   LLMRES_HIST_OCTAVES                 13  powers of two above the exact range (to 262 s);
                                           a histogram is 4 x (OCTAVES + 1) x 2^SUB_BITS
                                           bytes + 16 (1808): four per provider in stats
   LLMRES_STATS_SLOTS                   5  the statistics' recent window, in slots of
                                           LLM_STATS_SLOT_MS: 144 bytes each, per provider

   switch or override             default  what it does
   LLMRES_IMPLEMENTATION              off  compile the implementation (in one file)
   LLMRES_CONFIG_FILE                none  a header included before anything, for the above
   LLMRES_STATIC                      off  every function static to the including file
   LLMRES_API                      extern  the storage class of every function (static
                                           __attribute__((unused)) with LLMRES_STATIC)
   LLMRES_NO_BUCKET                   off  leave the token bucket out (and the client)
   LLMRES_NO_BREAKER                  off  leave the breaker out (and the client)
   LLMRES_NO_BACKOFF                  off  leave backoff out (and the client)
   LLMRES_NO_CACHE                    off  leave the cache out (and the client)
   LLMRES_NO_QUEUE                    off  leave the queue out (and the dispatcher)
   LLMRES_NO_HTTP                     off  leave HTTP out (and the LLM layer, the client)
   LLMRES_NO_LLM                      off  leave the wire formats, the taxonomy and the
                                           configuration out (and the client)
   LLMRES_NO_CLIENT                   off  leave the client out (and the dispatcher)
   LLMRES_NO_DISPATCH                 off  leave the dispatcher out
   LLMRES_NO_OVERLOAD                 off  leave the overload detector out (and the client)
   LLMRES_NO_STATS                    off  leave statistics, health, issues and export out
   LLMRES_NO_STATS_EXPORT             off  leave only the JSON and Prometheus export out
   LLMRES_MEMCPY                   memcpy  replaces memcpy
   LLMRES_MEMCMP                   memcmp  replaces memcmp
   LLMRES_MEMSET                   memset  replaces memset; with all three replaced and
                                           LLMRES_NO_HTTP, <string.h> is not included
                                           (HTTP and the LLM layer use strlen, strcmp,
                                           strchr and strstr)

   port macros (in the headers of port/; define them before including that header)
   LLMRES_MBEDTLS_MAX_CONNECTIONS  LLMRES_MAX_CONNECTIONS
                                           TLS connections at once, one mbedTLS SSL
                                           context each (824 bytes with 2.28 on x86-64;
                                           record buffers come from mbedTLS's allocator)
   LLMRES_MBEDTLS_SESSIONS              2  hosts whose TLS sessions are kept for
                                           resumption, about 230 bytes each
   LLMRES_MBEDTLS_HEAP_BYTES         none  with MBEDTLS_MEMORY_BUFFER_ALLOC_C: a static
                                           pool of this many bytes for every mbedTLS
                                           allocation (say 48000)
   LLMRES_POSIX_MAX_CONNECTIONS        16  connections open at once over every client of
                                           one POSIX port, 64 bytes each on x86-64
   LLMRES_POSIX_MAX_RESOLVING  LLMRES_POSIX_MAX_CONNECTIONS
                                           names resolving in the background at once
                                           (one given up holds its slot until glibc's
                                           resolver is done), 184 bytes each
   LLMRES_POSIX_NO_GAI_A              off  resolve names inside open (getaddrinfo, the
                                           resolver's own timeouts) even where glibc's
                                           getaddrinfo_a could resolve in the background
   LLMRES_LWIP_MAX_CONNECTIONS          4  connection slots of the lwIP port (lwIP's
                                           default MEMP_NUM_NETCONN)
   LLMRES_LWIP_MAX_QUERIES  LLMRES_LWIP_MAX_CONNECTIONS
                                           names lwIP resolves at once for the port (a
                                           query given up waits for lwIP's answer)
   LLMRES_MBEDTLS_CONFIG_SERVER       off  port/llmres_mbedtls_config.h: add the TLS
                                           server and its tickets (the Cortex-M3 test)
   LLMRES_MBEDTLS_CONFIG_DEBUG_MEMORY off  port/llmres_mbedtls_config.h: mbedTLS's
                                           allocator counts its peak
   LLMRES_SIM_CONNECTIONS               4  simulated connections, each 2 x LLMRES_SIM_IO_BYTES
   LLMRES_SIM_IO_BYTES               4096  one request in and one answer out, per
                                           simulated connection

RUNTIME CONFIGURATION
   llmres_config_t holds the client's settings. llmres_config_defaults fills the defaults
   below; llmres_config_preset applies a profile; llmres_config_set takes one KEY=VALUE,
   llmres_config_parse a text of KEY=VALUE lines (from flash, NVS or a file; blank lines
   and # comments skipped), llmres_posix_config_from_env the environment. A bad value is
   refused with a message naming the key. Rates take up to three decimals ("1.5") and are
   held in thousandths; everything else is a whole number.

   key                               default  field: meaning
   LLM_MAX_CONCURRENT_REQUESTS             4  max_concurrent: calls in flight at once
   LLM_REQUESTS_PER_SECOND               2.0  rps_milli: the local request rate; 0: no limit
   LLM_BURST                               0  burst: requests at once from the request
                                              bucket; 0: the rate rounded up
   LLM_TOKENS_PER_MINUTE                   0  tokens_per_minute: the token budget; 0: none
   LLM_MAX_QUEUE_SIZE                     32  max_queue: the dispatcher's queue (at most
                                              LLMRES_MAX_QUEUE of it is used)
   LLM_CIRCUIT_BREAKER_MAX_FAILURES        5  breaker_failures: failures in a row that open
                                              a provider's breaker
   LLM_CIRCUIT_BREAKER_TIMEOUT_MS       5000  breaker_timeout_ms: the first open period;
                                              a failed probe doubles it, once at most
   LLM_MAX_RETRIES                         4  max_retries: retries on one provider before
                                              the next one of the chain
   LLM_BACKOFF_BASE_MS                   500  backoff_base_ms: the first backoff step
   LLM_BACKOFF_MAX_MS                  20000  backoff_max_ms: the largest backoff step
   LLM_RETRY_AFTER_MAX_MS              60000  retry_after_max_ms: a provider that asks for a
                                              longer wait is not waited for, and holds the
                                              client's other calls this long at most
   LLM_TIMEOUT_MS                      60000  timeout_ms: one deadline for a whole call
                                              (call.timeout_ms overrides)
   LLM_ATTEMPT_TIMEOUT_MS              30000  attempt_timeout_ms: one attempt
   LLM_FIRST_BYTE_TIMEOUT_MS               0  first_byte_timeout_ms: from the request sent
                                              to the answer's first byte; 0: none but the
                                              attempt's (ERR_FIRST_BYTE)
   LLM_FIRST_TOKEN_TIMEOUT_MS              0  first_token_timeout_ms: a stream, from the
                                              request sent to its first text; 0: none
                                              (ERR_FIRST_TOKEN)
   LLM_STREAM_IDLE_TIMEOUT_MS          10000  stream_idle_timeout_ms: a stream under way
                                              with no byte for this long is dead; 0: none
                                              (ERR_STREAM_IDLE)
   LLM_CACHE                             off  cache: off, deterministic (calls at temperature
                                              0) or all; call.cache overrides per call
   LLM_CACHE_TTL_MS                   300000  cache_ttl_ms: how long a cached answer lives
   LLM_SHED_WAIT_MS                     2000  shed_wait_ms: a call that would wait longer
                                              than this to be sent (for a provider's
                                              retry-after, open breakers, our buckets; not
                                              for its own backoff between attempts) ends
                                              at once with LIMITED or OPEN and the wait in
                                              retry_in_ms; 0: 2000
   LLM_RETRY_BUDGET_PCT                   10  retry_budget_pct: retries per 100 calls, at
                                              most; 0: no budget (max_retries only)
   LLM_RETRY_BUDGET_BURST                  2  retry_budget_burst: retries saved up, at most
   LLM_BREAKER_JITTER_PCT                 50  breaker_jitter_pct: each open period is cut
                                              by a random share of up to this
   LLM_OVERLOAD_WINDOW_MS             600000  overload_window_ms: the overload detector's
                                              and the throttle's sliding window
   LLM_OVERLOAD_WARN_PCT                  10  overload_warn_pct: overload signals among the
                                              answers that make it WARNING
   LLM_OVERLOAD_CRITICAL_PCT              50  overload_critical_pct: that make it CRITICAL
                                              (so do 3 in a row)
   LLM_OVERLOAD_RECOVER_MS             10000  overload_recover_ms: RECOVERING this long
                                              without a signal, and none in the window:
                                              NORMAL
   LLM_THROTTLE_K                        1.2  throttle_k_milli: outside NORMAL, attempts
                                              are refused locally with probability
                                              (requests - K accepts) / (requests + 1)
                                              over the window; 0: never
   LLM_JITTER_SEED                         0  jitter_seed: something device-specific (a
                                              serial number, a MAC) mixed into every
                                              random draw; see PORT
   LLM_STATS_SLOT_MS                   60000  stats_slot_ms: one slot of the statistics'
                                              recent window (5 slots: 5 minutes)
   LLM_STATS_LOG_MS                    60000  stats_log_ms: how often llmres_stats_tick
                                              logs its summary line; 0: never
   LLM_PRICE_INPUT_PER_MTOK                0  price_in_milli: the price of a million input
                                              tokens, "0.15"; estimated cost in micro-units
   LLM_PRICE_OUTPUT_PER_MTOK               0  price_out_milli: the same, output tokens
   LLM_HEALTH_MIN_CALLS                   10  health_min_calls: calls in the recent window
                                              before the rates below judge
   LLM_HEALTH_SUCCESS_PCT                 95  health_success_pct: a success rate under
                                              this is degraded
   LLM_HEALTH_FAILURE_PCT                 20  health_failure_pct: failures of the calls
                                              sent, at or above this: critical
   LLM_HEALTH_DENIAL_PCT                  10  health_denial_pct: calls refused locally, at
                                              or above this: degraded
   LLM_HEALTH_LATENCY_MS               10000  health_latency_ms: a mean or p95 latency at
                                              or above this: degraded
   LLM_ISSUE_FLAP_OPENS                    3  issue_flap_opens: breaker openings in the
                                              recent window that make it flapping
   LLM_ISSUE_CACHE_HIT_PCT                10  issue_cache_hit_pct: a configured cache that
                                              answers less than this is ineffective
   Presets: heavy_load (2 concurrent, 1.0 per second, queue 30, breaker after
   3 failures), light_load (5, 3.0, 100, 8), unstable_provider (1 concurrent, 0.5 per
   second, breaker after 2 failures, open 10000 ms: 60000 in 0.4, which kept a fleet
   dark for two minutes after an outage). A preset changes only those.

PROVIDERS
   A provider's API is a row, llmres_wire_t: the path to post to, the header that carries
   the key, a version header, the name of the answer budget, the framing and end markers
   of streams, and the JSON paths of the text, finish reason, usage and errors
   (docs/DESIGN.md). A provider of the chain (llmres_provider_t) names its host, port,
   TLS, optional path, key and model, and its row: the built-in row of its format
   (llmres_wire_get(LLMRES_PROVIDER_*)), or a row of your own in .wire. The built-in rows:

   openai     POST /v1/chat/completions; key in Authorization: Bearer; budget max_tokens;
              SSE ending with data [DONE], usage asked for in the last chunk. Also for
              other OpenAI-compatible servers: Ollama's /v1, llama.cpp, vLLM.
   anthropic  POST /v1/messages; key in x-api-key; anthropic-version: 2023-06-01; budget
              max_tokens, 1024 when the call sets none (the API requires it); the system
              prompt at the top level; SSE ending with message_stop, errors as error.
   ollama     POST /api/chat; a key, if any, in Authorization: Bearer; budget num_predict,
              sampling inside "options"; "stream":false said; NDJSON streams ending with
              "done":true.
   azure      POST /openai/deployments/{model}/chat/completions?api-version=2024-10-21,
              the model being the deployment; key in api-key; budget max_tokens; SSE
              ending with data [DONE], usage asked for in the last chunk, as openai.
   A row of your own is most easily a copy of the nearest built-in one with what differs
   changed; it must outlive the client. provider.path, when set, replaces the row's path.

ERRORS AND CLASSES
   Functions return llmres_err_t: LLMRES_OK (0) or a negative code; those whose answer is
   a count, a length or an HTTP status return int: that value, or a negative code.
   llmres_strerror() names each code. Bad input from the network or a user is an error
   code, never an assert. Each code means one thing:

   LLMRES_OK                      0  done
   LLMRES_ERR_INVALID            -1  a bad argument: NULL, out of range, a call with no
                                     message; a breaker with a bad config is forced open
   LLMRES_ERR_SIZE_MISMATCH      -2  a struct compiled with other size macros than the
                                     library's
   LLMRES_ERR_LIMITED            -3  a bucket has not enough tokens yet
   LLMRES_ERR_TOO_LARGE          -4  more than its buffer or limit holds: a bucket's
                                     capacity, a cache entry, a request, a body, an
                                     answer over text_cap (whole or streamed), an API
                                     key over LLMRES_MAX_API_KEY, a path over LLMRES_MAX_PATH
   LLMRES_ERR_OPEN               -5  a breaker refuses the call (for a call: every
                                     breaker of the chain stayed open)
   LLMRES_ERR_GIVE_UP            -6  backoff: the deadline, the retry limit, or a server
                                     wait longer than allowed
   LLMRES_ERR_NOT_FOUND          -7  a cache miss; a queue item or a job not found
   LLMRES_ERR_FULL               -8  the queue is full of items at least as urgent
   LLMRES_ERR_EMPTY              -9  the queue is empty
   LLMRES_ERR_TIMEOUT           -10  a deadline passed: a queued item's, an exchange's,
                                     a call's, a job's
   LLMRES_ERR_DISPLACED         -11  pushed out of the queue by a more urgent item
   LLMRES_ERR_CANCELLED         -12  removed by drain or cancel, or by a shutdown
   LLMRES_ERR_CLOSED            -13  the peer closed the connection in order
   LLMRES_ERR_IO                -14  a send or receive failed: reset, network down
   LLMRES_ERR_CONNECT           -15  could not connect: refused, unreachable
   LLMRES_ERR_DNS               -16  the host name did not resolve
   LLMRES_ERR_TLS               -17  a TLS handshake or record failed
   LLMRES_ERR_CERT              -18  a certificate not trusted, or not for this host
   LLMRES_ERR_BAD_HTTP          -19  malformed HTTP: status line, header, chunk framing,
                                     lengths
   LLMRES_ERR_HEADER_TOO_LONG   -20  a response header line over LLMRES_HTTP_MAX_LINE
   LLMRES_ERR_TOO_MANY_HEADERS  -21  more than LLMRES_HTTP_MAX_HEADERS header lines
   LLMRES_ERR_TRUNCATED         -22  the connection ended before the response did
   LLMRES_ERR_ABORTED           -23  the body callback asked to stop
   LLMRES_ERR_NO_TLS            -24  https asked for, but no TLS transport given
   LLMRES_ERR_BAD_BODY          -25  a body that is not its provider's JSON, SSE or
                                     NDJSON, or a success without an answer's shape
   LLMRES_ERR_PROVIDER          -26  the provider answered with an error: the call's
                                     result says which in cls, status and message
   LLMRES_ERR_SHUT_DOWN         -27  the dispatcher was shut down and takes no more jobs
   LLMRES_ERR_NO_SLOT           -28  no free connection slot in the port or the TLS
                                     transport
   LLMRES_ERR_LINK_DOWN         -29  this device's network is down (no route, no
                                     interface); like DNS and NO_SLOT, never held
                                     against the provider
   LLMRES_ERR_BAD_SNAPSHOT      -30  a saved client state that is cut, corrupt, of
                                     another version or of another chain
   LLMRES_ERR_FIRST_BYTE        -31  no byte of the answer came within
                                     LLM_FIRST_BYTE_TIMEOUT_MS of sending the request
   LLMRES_ERR_FIRST_TOKEN       -32  a streamed answer gave no text within
                                     LLM_FIRST_TOKEN_TIMEOUT_MS of sending
   LLMRES_ERR_STREAM_IDLE       -33  a stream under way went quiet for
                                     LLM_STREAM_IDLE_TIMEOUT_MS
   Two sentinels are not errors: LLMRES_NEVER, a time or a threshold that never comes
   (a wait that cannot end, no deadline, a trip turned off), and LLMRES_UNKNOWN, a value
   nobody told us (a header not sent or malformed, usage not reported), never read as 0.

   Every attempt of a call also has a class (llmres_classify; res.cls is the last
   attempt's), and the class decides whether the client tries again and whether the
   failure counts against the provider's breaker (llmres_class_policy_get):

   class              retried  breaker  from
   ok                 no       success  a 2xx with an answer
   transient_network  yes      failure  connect, reset, EOF, DNS, TLS record, a cut body
                                        or stream
   timeout            yes      failure  no answer in time; 408
   rate_limit         yes      ignored  429 rate_limit_exceeded / rate_limit_error:
                                        after retry-after; our budget, not their health
   overloaded         yes      failure  529, a 5xx that says overloaded, Ollama's
                                        "server busy"; a job displaced from the queue
   server_error       yes      failure  other 5xx; malformed HTTP; a body that is no answer
   authentication     no       ignored  401, 403
   quota              no       ignored  429 insufficient_quota, 402, billing_error
   permanent          no       ignored  400, 404, 413, 422 (context_length_exceeded), a
                                        bad certificate, an answer over text_cap
   unknown            no       failure  a status it cannot place
   The server's x-should-retry overrides "retried" either way. An error inside a 200 (a
   stream that failed once begun) is classed as its status would be. A rejected key or an
   exhausted quota moves the call to the next provider of the chain at once; a class that
   is retried moves on when LLM_MAX_RETRIES are spent, when the next wait would pass the
   deadline or when the provider asks for more than LLM_RETRY_AFTER_MAX_MS; a provider
   whose breaker is open is skipped; any other failure ends the call.

TIME
   `now` is uint32_t milliseconds from a monotonic clock; it wraps every 49.7 days and
   every comparison is made by signed difference, so the wrap is harmless. A consequence:
   two stamps more than 2^31 ms (24.8 days) apart read as "the past". A deadline must be
   less than 24.8 days ahead; a bucket idle longer than that misses one refill.

PORT
   A platform fills llmres_port_t at run time: now_ms (monotonic, wraps), sleep_ms,
   entropy, optional lock/unlock and log (no entropy; each provider's overload state
   changes, told at the next step of any call, outside the lock), and a TCP
   llmres_transport_t: open, send, recv, close. Entropy matters for a fleet: every random
   draw (retry jitter, breaker open periods, the throttle) starts from it, and devices of
   one firmware that start from the same seed retry in step and hit the provider in
   waves. Without an entropy hook, set LLM_JITTER_SEED to something device-specific (a
   serial number, a MAC); with neither, the client warns through log. The I/O rule for send and recv: > 0 bytes
   moved (send may move fewer: call again with the rest), 0 when the timeout passed with
   nothing moved (timeout 0 polls), LLMRES_ERR_CLOSED for an orderly close by the peer
   (EOF is never confused with a timeout), other negatives for errors (LLMRES_ERR_IO,
   _TLS). open returns a connection id >= 0 or LLMRES_ERR_DNS, _CONNECT, _TIMEOUT, _TLS,
   _CERT, _NO_SLOT or _LINK_DOWN (this device has no route: a failure that is not held
   against the provider, as DNS and NO_SLOT are not); close never fails. Nothing may
   block longer than its timeout. A transport that sets LLMRES_TRANSPORT_ASYNC_OPEN
   connects in steps (open with timeout 0 starts; send and recv finish the connect), so
   that a superloop's step never waits on a name, a connect or a handshake. TLS
   is a transport stacked on another (port/llmres_mbedtls.h). port/llmres_posix.h is a
   complete port; port/llmres_lwip.h is TCP over lwIP's sockets; port/llmres_freertos.h
   and port/llmres_baremetal.h give an RTOS or a bare-metal board its clock, sleep and
   lock; port/llmres_sim.h is a simulated port (virtual clock, scripted provider) for
   tests of your own firmware. docs/PORTING.md tells how to write one and
   tests/conformance checks it. The comment above llmres_transport_t is the contract.

THREADING
   The primitives are not locked: use one from one thread, or hold your lock around each
   call. They never block and never call out, except the breaker's change hook, which
   runs inside the breaker calls that change its state. The client and the dispatcher
   are shared between threads through the port's lock, never held across I/O, a sleep
   or a callback; a worker (connections and buffers) belongs to one thread at a time,
   and a TLS transport too (give each worker its own through llmres_worker_init).

MEMORY AND CODE SIZE
   No malloc, no VLAs, no recursion, no float: every byte is in the structs above, which
   a program declares static, global or on a large enough stack. With the default sizes,
   on Cortex-M4: a client about 9.7 KB (9 KB of it the cache), a worker about 16.5 KB
   (the request JSON 4 KB, the body 8 KB, the HTTP client 2.3 KB, a response 1.2 KB), a
   dispatcher about 0.6 KB. Flash per part on Cortex-M0, Cortex-M4 and RV32 is in
   docs/FIGURES.md (make size): measured for 0.3.0, the five primitives took 4.8 KB and
   everything 25.8 KB on Cortex-M4. The bucket uses 64-bit integer arithmetic: on 32-bit
   targets that links libgcc's 64-bit helpers, never soft-float (make cross checks).

CHANGELOG
   next   A provider's retry-after holds the client's other calls for at most
          LLM_RETRY_AFTER_MAX_MS (it held them up to 24.8 days); one too long for
          milliseconds is the longest wait, no longer none.
          Streams have their own clocks: LLM_FIRST_BYTE_TIMEOUT_MS,
          LLM_FIRST_TOKEN_TIMEOUT_MS (off by default) and LLM_STREAM_IDLE_TIMEOUT_MS
          (10 s): LLMRES_ERR_FIRST_BYTE, _FIRST_TOKEN, _STREAM_IDLE, class timeout,
          counted apart in the client and per provider in the statistics.
          Ports: lwIP (a connect in steps, lwIP's callback DNS, fixed slots), FreeRTOS
          (a clock right across the tick wrap at any tick rate, a static mutex), bare
          metal (a skeleton, examples/baremetal.c); a port conformance test; the sim can
          be shared between threads (sim.lock); port/llmres_mbedtls_config.h, a minimal
          mbedTLS 3.6 configuration for devices.
          Connecting in steps: LLMRES_TRANSPORT_ASYNC_OPEN in llmres_transport_t.flags
          (new fields, flags and resolving: zero the struct, or add 0, NULL to a
          positional initialiser). llmres_http_begin only starts over such a
          transport; llmres_http_poll connects, handshakes and sends within its wait,
          so no step of a call or a dispatcher waits on the network. The POSIX port
          connects in steps, resolves names in the background with glibc's
          getaddrinfo_a (define _GNU_SOURCE: a silent resolver costs the deadline, not
          10 s), and keeps each connection's state in its own slot (ids carry a
          generation; llmres_posix_last_errno; no more race on last_errno); the TLS
          transport handshakes in steps over it. LLMRES_POSIX_MAX_CONNECTIONS,
          LLMRES_POSIX_MAX_RESOLVING. llmres_transport_t.resolving: a deadline that
          passes while a name resolves is DNS (this device's), not TIMEOUT (the
          provider's). A failed connect no longer discards a TLS session.
          State that survives deep sleep: llmres_client_snapshot and llmres_client_restore
          (breakers, shared waits, the detector, buckets, the retry budget; versioned,
          checksummed, little-endian, tied to the chain), LLMRES_ERR_BAD_SNAPSHOT.
          Statistics: llmres_stats_t attached with
          llmres_client_stats; per provider counts over a recent window and the lifetime,
          log-linear latency histograms, llmres_health (verdict and score),
          llmres_issues (with recommendations), llmres_stats_json and
          llmres_stats_prometheus, llmres_stats_tick's summary line, breaker transition
          lines, manual controls (llmres_client_breaker, llmres_client_overload_clear);
          keys masked in provider messages; LLMRES_NO_STATS, LLMRES_NO_STATS_EXPORT.
   0.5.0  Overload control, proven by a fleet benchmark (make fleet). Breaking:
          - A call that could not be sent soon is shed at once instead of waiting for its
            deadline: LLMRES_ERR_LIMITED (a provider's retry-after, the throttle, our own
            buckets) or LLMRES_ERR_OPEN (breakers), class OVERLOADED, and the wait it
            needed in res.retry_in_ms. LLM_SHED_WAIT_MS (2000) is how long it may wait.
          - The dispatcher does not queue a job that no provider could take in time: it
            ends at once the same way (llmres_dispatch_t.shed counts them).
          - Breakers open for 5 s (was 30 s), jittered by up to half, doubling once at most
            (was up to 8 times); unstable_provider opens for 10 s (was 60 s).
          - Retries are budgeted: at most LLM_RETRY_BUDGET_PCT (10) per 100 calls, with
            LLM_RETRY_BUDGET_BURST (2) saved up.
          - res.attempts and client.attempts count every request that reached the wire: a
            resend on a fresh connection counts (client.resends), a failure of the device
            (NO_SLOT, DNS, the new LLMRES_ERR_LINK_DOWN) does not, nor is it held against
            the provider's breaker, detector or retry budget.
          - remaining 0 in a rate-limit header delays the next request by one request's
            share of the reset (was: the request bucket drained until the whole reset).
          Added: the overload detector and adaptive throttle (llmres_overload_t: NORMAL,
          WARNING, CRITICAL, RECOVERING; the SRE client-side throttle), one shared wait per
          provider, coalescing of identical cacheable calls in flight (LLMRES_MAX_COALESCE),
          LLM_JITTER_SEED and a seed mixed from device-specific things, client counters
          answered_by[], shed, throttled, budget_denied, resends, coalesced; the port's log
          hook gets its first warning (no entropy).
   0.4.0  Breaking:
          - One meaning per error code, and the type llmres_err_t. LLMRES_ERR_HTTP is gone:
            malformed HTTP is LLMRES_ERR_BAD_HTTP; a call the provider answered with an
            error ends in LLMRES_ERR_PROVIDER (res.cls, res.status say which); a success
            without an answer is LLMRES_ERR_BAD_BODY; an answer over text_cap is
            LLMRES_ERR_TOO_LARGE. No free connection slot is LLMRES_ERR_NO_SLOT (was
            FULL); a shut-down dispatcher refuses with LLMRES_ERR_SHUT_DOWN (was CLOSED).
          - LLMRES_FOREVER and LLMRES_DISABLED are gone: LLMRES_NEVER and LLMRES_UNKNOWN
            are the two sentinels.
          - A wire format is a row, llmres_wire_t (llmres_wire_get). llmres_llm_request_t
            has .wire instead of .provider; llmres_llm_parse_response and
            llmres_llm_stream_init take a const llmres_wire_t * instead of an int.
            llmres_provider_t has a last field, wire (NULL: the built-in row).
          - llmres_call_t starts with a new field, prompt, and has a new one, cache:
            initialise it with llmres_call_init rather than by position. A call made by
            llmres_call_init sends no temperature (-1); a zeroed one still sends 0.
          - Caching is asked for, never implied: LLM_CACHE is off by default (was
            deterministic); call.cache (LLMRES_CALL_CACHE_CONFIG, _NO, _YES) decides for
            one call.
          - The HTTP client, client, worker and dispatcher init functions are macros over
            *_init_sized and refuse a struct compiled with other size macros
            (LLMRES_ERR_SIZE_MISMATCH).
          - An API key over LLMRES_MAX_API_KEY or a path over LLMRES_MAX_PATH is refused
            by llmres_client_init (LLMRES_ERR_TOO_LARGE), never cut.
          Added: Azure OpenAI (LLMRES_PROVIDER_AZURE); rows of your own; llmres_call_init
          (a call with every default; a prompt alone is a call); LLMRES_MAX_API_KEY,
          LLMRES_MAX_PATH. Docs: the reference moved here from README.md, long prose to
          docs/, checked against the code by tests/doc_check.py.
   0.3.0  the LLM wire formats (OpenAI-compatible, Anthropic, Ollama), streamed answers,
          one error taxonomy, configuration (KEY=VALUE, presets), the resilient call and
          its steps (llmres_call_step/_abort over llmres_http_begin/_poll/_abort), the
          dispatcher; port/llmres_sim.h, examples/superloop.c (make sim).
   0.2.0  the port contract; HTTP/1.1: request writer, incremental response parser,
          resilience headers, keep-alive pool; port/llmres_posix.h, port/llmres_mbedtls.h.
   0.1.0  token bucket, circuit breaker, backoff, LRU cache, priority queue.
*/
#ifdef LLMRES_CONFIG_FILE
#include LLMRES_CONFIG_FILE
#endif

#ifndef LLMRES_H
#define LLMRES_H

#include <stdint.h>
#include <stddef.h>

#define LLMRES_VERSION_MAJOR 0
#define LLMRES_VERSION_MINOR 5
#define LLMRES_VERSION_PATCH 0
#define LLMRES_VERSION_STRING "0.5.0"

#ifndef LLMRES_API
#ifdef LLMRES_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define LLMRES_API static __attribute__((unused))
#else
#define LLMRES_API static
#endif
#else
#define LLMRES_API extern
#endif
#endif

#ifndef LLMRES_MAX_BREAKER_WINDOW
#define LLMRES_MAX_BREAKER_WINDOW 32
#endif
#ifndef LLMRES_MAX_CACHE_ENTRIES
#define LLMRES_MAX_CACHE_ENTRIES 16
#endif
#ifndef LLMRES_CACHE_ARENA_BYTES
#define LLMRES_CACHE_ARENA_BYTES 8192
#endif
#ifndef LLMRES_CACHE_BLOCK_BYTES
#define LLMRES_CACHE_BLOCK_BYTES 64
#endif
#ifndef LLMRES_CACHE_HASH_BUCKETS
#define LLMRES_CACHE_HASH_BUCKETS 32
#endif
#ifndef LLMRES_MAX_QUEUE
#define LLMRES_MAX_QUEUE 32
#endif
#ifndef LLMRES_QUEUE_LEVELS
#define LLMRES_QUEUE_LEVELS 4
#endif

#define LLMRES_CACHE_BLOCKS (LLMRES_CACHE_ARENA_BYTES / LLMRES_CACHE_BLOCK_BYTES)

/* Compile-time checks that work in C99 and C++ (a negative array size fails). */
typedef char llmres__check_window[(LLMRES_MAX_BREAKER_WINDOW >= 1 && LLMRES_MAX_BREAKER_WINDOW <= 65535) ? 1 : -1];
typedef char llmres__check_cache[(LLMRES_MAX_CACHE_ENTRIES >= 1 && LLMRES_MAX_CACHE_ENTRIES < 65535 &&
                                  LLMRES_CACHE_BLOCKS >= 1 && LLMRES_CACHE_BLOCKS < 65535) ? 1 : -1];
typedef char llmres__check_buckets[((LLMRES_CACHE_HASH_BUCKETS & (LLMRES_CACHE_HASH_BUCKETS - 1)) == 0 &&
                                    LLMRES_CACHE_HASH_BUCKETS >= 1) ? 1 : -1];
typedef char llmres__check_queue[(LLMRES_MAX_QUEUE >= 1 && LLMRES_MAX_QUEUE < 65535 &&
                                  LLMRES_QUEUE_LEVELS >= 1 && LLMRES_QUEUE_LEVELS <= 32) ? 1 : -1];

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results ------------------------------------------------------------------------ */
/* One meaning per code. Functions that return only a result return llmres_err_t; those
   whose answer is a count, a length or a status return int: that value, or a negative
   llmres_err_t. */
typedef enum llmres_err {
    LLMRES_OK = 0,
    LLMRES_ERR_INVALID = -1,        /* a bad argument: NULL, zero period, probes > window... */
    LLMRES_ERR_SIZE_MISMATCH = -2,  /* struct compiled with other LLMRES_MAX_* than the library */
    LLMRES_ERR_LIMITED = -3,        /* bucket: not enough tokens yet */
    LLMRES_ERR_TOO_LARGE = -4,      /* more than its buffer holds: a bucket, a cache entry, a
                                       request, an answer (whole or streamed), an API key */
    LLMRES_ERR_OPEN = -5,           /* breaker: the call is not admitted */
    LLMRES_ERR_GIVE_UP = -6,        /* backoff: deadline, retry limit or server hint too long */
    LLMRES_ERR_NOT_FOUND = -7,      /* cache miss, queue item not found */
    LLMRES_ERR_FULL = -8,           /* queue full and the new item does not outrank anyone */
    LLMRES_ERR_EMPTY = -9,          /* queue empty */
    LLMRES_ERR_TIMEOUT = -10,       /* a deadline passed: a queued item's, an exchange's, a call's */
    LLMRES_ERR_DISPLACED = -11,     /* queue item pushed out by a more urgent one */
    LLMRES_ERR_CANCELLED = -12,     /* removed by drain, cancel or a dispatcher's shutdown */
    LLMRES_ERR_CLOSED = -13,        /* the peer closed the connection (orderly) */
    LLMRES_ERR_IO = -14,            /* send or receive failed: reset, network down */
    LLMRES_ERR_CONNECT = -15,       /* could not connect: refused, unreachable */
    LLMRES_ERR_DNS = -16,           /* the host name did not resolve */
    LLMRES_ERR_TLS = -17,           /* TLS handshake or record failure */
    LLMRES_ERR_CERT = -18,          /* certificate not trusted, or not for this host */
    LLMRES_ERR_BAD_HTTP = -19,      /* malformed HTTP: status line, header, chunk framing, lengths */
    LLMRES_ERR_HEADER_TOO_LONG = -20, /* a response header line over LLMRES_HTTP_MAX_LINE */
    LLMRES_ERR_TOO_MANY_HEADERS = -21, /* more than LLMRES_HTTP_MAX_HEADERS */
    LLMRES_ERR_TRUNCATED = -22,     /* the connection ended before the response did */
    LLMRES_ERR_ABORTED = -23,       /* the body callback asked to stop */
    LLMRES_ERR_NO_TLS = -24,        /* https asked for but no TLS transport given */
    LLMRES_ERR_BAD_BODY = -25,      /* a body that is not its provider's JSON, SSE or NDJSON, or
                                       JSON without an answer's shape */
    LLMRES_ERR_PROVIDER = -26,      /* the provider answered with an error: the call's result
                                       says which in cls (rate_limit, quota...) and status */
    LLMRES_ERR_SHUT_DOWN = -27,     /* the dispatcher was shut down: it takes no more jobs */
    LLMRES_ERR_NO_SLOT = -28,       /* no free connection slot in the port or the TLS transport */
    LLMRES_ERR_LINK_DOWN = -29,     /* this device's network is down: no route, no interface;
                                       says nothing about the provider */
    LLMRES_ERR_BAD_SNAPSHOT = -30,  /* a saved client state that is cut, corrupt, of another
                                       version or of another chain of providers */
    LLMRES_ERR_FIRST_BYTE = -31,    /* no byte of the answer within the first-byte timeout */
    LLMRES_ERR_FIRST_TOKEN = -32,   /* a stream gave no text within the first-token timeout */
    LLMRES_ERR_STREAM_IDLE = -33    /* a stream under way went quiet for the idle timeout */
} llmres_err_t;

/* The two sentinels. LLMRES_NEVER: a time or a threshold that never comes (a wait that
   cannot end, no deadline, a trip that is off). LLMRES_UNKNOWN: a value nobody told us
   (a header not sent or malformed, usage not reported); never read as 0. */
#define LLMRES_NEVER   0xFFFFFFFFu
#define LLMRES_UNKNOWN 0xFFFFFFFFu

/* A short English description of a result code; never NULL. */
LLMRES_API const char *llmres_strerror(int code);

/* xorshift32: the next value of a per-instance generator. *state must not be 0
   (0 is replaced by a fixed constant). A fixed seed replays the same sequence. */
LLMRES_API uint32_t llmres_xorshift32(uint32_t *state);

/* ---- token bucket ------------------------------------------------------------------- */
#ifndef LLMRES_NO_BUCKET
/* Holds up to `capacity` tokens and gains `rate` tokens every `period_ms`, accrued every
   millisecond: rate 3 per 2000 ms is exactly 1.5 per second; 90000 per 60000 ms is a TPM
   budget. Internally the level counts tokens x period_ms, so no fraction is ever lost. */
typedef struct llmres_bucket {
    uint64_t level;      /* tokens x period_ms, at time `last` */
    uint64_t full;       /* capacity x period_ms */
    uint64_t low;        /* the lowest level seen: capacity - low is the peak use */
    uint32_t capacity;   /* burst, in tokens */
    uint32_t rate;       /* tokens gained per period */
    uint32_t period_ms;
    uint32_t last;       /* refill time; in the future while draining */
    uint32_t allowed;    /* takes granted (wraps) */
    uint32_t denied;     /* takes refused (wraps) */
    uint32_t draining;   /* 1 from a drain until the refill restarts */
} llmres_bucket_t;

/* Starts full. capacity 0 admits only n = 0; rate 0 never refills. period_ms is
   1..2^31-1. Errors: INVALID (b NULL or a bad period; the bucket then admits nothing).
   Call it at least every 24.8 days: a longer silence loses one refill. */
LLMRES_API llmres_err_t llmres_bucket_init(llmres_bucket_t *b, uint32_t now, uint32_t capacity,
                                  uint32_t rate, uint32_t period_ms);
/* Takes n tokens if all n are there. OK; LIMITED (nothing taken; see wait_ms);
   TOO_LARGE (n > capacity: it never can); INVALID (b NULL). */
LLMRES_API llmres_err_t llmres_bucket_take(llmres_bucket_t *b, uint32_t now, uint32_t n);
/* Milliseconds until n tokens are there: 0 now; LLMRES_NEVER when n > capacity, when
   the rate is 0 and they are not there, or when b is NULL. A wait over 2^31-1 ms is
   given as 2^31-1: ask again then. Changes nothing. */
LLMRES_API uint32_t llmres_bucket_wait_ms(const llmres_bucket_t *b, uint32_t now, uint32_t n);
/* Whole tokens available now (0 for NULL). */
LLMRES_API uint32_t llmres_bucket_available(const llmres_bucket_t *b, uint32_t now);
/* Gives n tokens back, say when the actual usage came in below the estimate that was
   taken; the level never exceeds capacity. While a drain holds, nothing is given back
   (the server said none until then). Errors: INVALID. */
LLMRES_API llmres_err_t llmres_bucket_refund(llmres_bucket_t *b, uint32_t now, uint32_t n);
/* Changes capacity and rate live, keeping the tokens held (cut to the new capacity);
   peak_used restarts from here. Errors: INVALID (b NULL or a bad period). */
LLMRES_API llmres_err_t llmres_bucket_set_rate(llmres_bucket_t *b, uint32_t now, uint32_t capacity,
                                      uint32_t rate, uint32_t period_ms);
/* Empties the bucket; nothing refills before `until` (a server's "none until T"), at
   most 2^31-1 ms ahead. An `until` at or before now just empties it. Errors: INVALID. */
LLMRES_API llmres_err_t llmres_bucket_drain(llmres_bucket_t *b, uint32_t now, uint32_t until);
/* The most tokens in use at once since init or the last set_rate. */
LLMRES_API uint32_t llmres_bucket_peak_used(const llmres_bucket_t *b);
#endif

/* The outcome of a call as the breaker sees it (also used by the error taxonomy). */
enum {
    LLMRES_OUTCOME_SUCCESS = 0,
    LLMRES_OUTCOME_FAILURE,         /* counts against the provider's health */
    LLMRES_OUTCOME_IGNORED          /* says nothing about it (a 400, a 401); frees a probe slot */
};

/* ---- circuit breaker ---------------------------------------------------------------- */
#ifndef LLMRES_NO_BREAKER
enum {
    LLMRES_BREAKER_CLOSED = 0,      /* calls flow; outcomes are counted */
    LLMRES_BREAKER_OPEN,            /* calls refused until the open period ends */
    LLMRES_BREAKER_HALF_OPEN,       /* a few probes admitted; they decide */
    LLMRES_BREAKER_FORCED_OPEN,     /* refused until reset or force_closed */
    LLMRES_BREAKER_FORCED_CLOSED,   /* admitted whatever happens, until reset or force_open */
    LLMRES_BREAKER_STATES
};

typedef void (*llmres_breaker_hook_fn)(void *user, int from_state, int to_state, uint32_t now);

/* Zero in any field means its default. */
typedef struct llmres_breaker_config {
    uint32_t failure_threshold; /* consecutive failures that open it (5); LLMRES_NEVER: off */
    uint32_t window;            /* calls in the count window (20), <= LLMRES_MAX_BREAKER_WINDOW */
    uint32_t min_calls;         /* calls in the window before rates apply (10), <= window */
    uint32_t failure_rate_pct;  /* failures in the window that open it (50), 1..100 or LLMRES_NEVER */
    uint32_t slow_call_ms;      /* a call slower than this is slow (0 or LLMRES_NEVER: not judged) */
    uint32_t slow_rate_pct;     /* slow calls in the window that open it (50), 1..100 */
    uint32_t open_ms;           /* first open period (30000) */
    uint32_t max_open_ms;       /* open period doubles on each failed probe, up to this (300000) */
    uint32_t probes;            /* probes in flight in half-open (1), <= window */
    uint32_t close_after;       /* probe successes that close it (= probes) */
    uint32_t jitter_pct;        /* each open period is cut by a random share of up to this
                                   (0: none), so a fleet's breakers do not all probe at once */
    uint32_t seed;              /* for the jitter (0: a fixed one); make it device-specific */
    llmres_breaker_hook_fn on_change; /* optional: called on every state change */
    void *user;                 /* passed to on_change */
} llmres_breaker_config_t;

typedef struct llmres_breaker {
    uint32_t state;
    uint32_t head, calls, failures, slow, consecutive;
    uint32_t opened_at;        /* OPEN: when it opened; a probe may go open_for later */
    uint32_t open_period;      /* current open period, grows on failed probes */
    uint32_t open_for;         /* this opening's period: open_period less its jitter */
    uint32_t rng;              /* xorshift state for the jitter */
    uint32_t probe_at;         /* HALF_OPEN: when the last probe was admitted */
    uint32_t in_flight, probe_successes;
    uint32_t rejected;         /* calls refused (wraps) */
    llmres_breaker_config_t cfg;            /* with defaults filled in */
    uint32_t transitions[LLMRES_BREAKER_STATES]; /* entries into each state (wraps) */
    uint8_t ring[LLMRES_MAX_BREAKER_WINDOW]; /* bit 0 failure, bit 1 slow, per call */
} llmres_breaker_t;

/* cfg may be NULL (all defaults). Errors: INVALID (b NULL, window > max, min_calls or
   probes > window, a rate over 100, max_open_ms < open_ms, max_open_ms > 2^31-1,
   jitter_pct over 100), after
   which the breaker is forced open; SIZE_MISMATCH. */
#define llmres_breaker_init(b, cfg) llmres_breaker_init_sized((b), (cfg), sizeof(*(b)))
LLMRES_API llmres_err_t llmres_breaker_init_sized(llmres_breaker_t *b, const llmres_breaker_config_t *cfg,
                                         size_t struct_size);
/* May a call go now? OK, or OPEN (counted in `rejected`). Each OK must be followed by one
   llmres_breaker_record. In half-open an OK is a probe. Probes are counted, not named:
   when all slots stay taken for one open period after the last probe went, they are
   given up, so a lost call cannot wedge the breaker; and an outcome recorded in
   half-open counts as a probe's even when its call went out earlier. */
LLMRES_API llmres_err_t llmres_breaker_allow(llmres_breaker_t *b, uint32_t now);
/* Records an admitted call's outcome and latency. Errors: INVALID (b NULL, bad outcome). */
LLMRES_API llmres_err_t llmres_breaker_record(llmres_breaker_t *b, uint32_t now, int outcome, uint32_t latency_ms);
/* Milliseconds until a call would be admitted: 0 now, LLMRES_NEVER when forced open. */
LLMRES_API uint32_t llmres_breaker_retry_in(const llmres_breaker_t *b, uint32_t now);
LLMRES_API int llmres_breaker_state(const llmres_breaker_t *b);
/* Manual control. reset: back to CLOSED with an empty window and the first open period;
   the transition counters are kept. Errors: INVALID. */
LLMRES_API llmres_err_t llmres_breaker_force_open(llmres_breaker_t *b, uint32_t now);
LLMRES_API llmres_err_t llmres_breaker_force_closed(llmres_breaker_t *b, uint32_t now);
LLMRES_API llmres_err_t llmres_breaker_reset(llmres_breaker_t *b, uint32_t now);
LLMRES_API const char *llmres_breaker_state_name(int state);
#endif

/* ---- backoff ------------------------------------------------------------------------ */
#ifndef LLMRES_NO_BACKOFF
enum {
    LLMRES_JITTER_FULL = 0,     /* uniform in [0, exp]: fewest calls in the AWS study */
    LLMRES_JITTER_EQUAL,        /* uniform in [exp - exp/2, exp] */
    LLMRES_JITTER_DECORRELATED, /* uniform in [base, 3 x previous], capped */
    LLMRES_JITTER_NONE          /* exp itself (tests, or one device alone) */
};

/* Zero in any field means its default. */
typedef struct llmres_backoff_config {
    uint32_t base_ms;      /* first exponential step (500) */
    uint32_t cap_ms;       /* largest computed delay (32000), at most 2^31 - 1 */
    uint32_t hint_max_ms;  /* longest server retry-after honoured (60000); longer: give up */
    uint32_t max_retries;  /* 0 or LLMRES_NEVER: no limit but the deadline */
    uint32_t jitter;       /* LLMRES_JITTER_* */
    uint32_t seed;         /* xorshift seed; 0 picks a fixed one (seed from the port's entropy) */
} llmres_backoff_config_t;

typedef struct llmres_backoff {
    llmres_backoff_config_t cfg;
    uint32_t rng;      /* xorshift state */
    uint32_t retries_left; /* delays still allowed by max_retries (about 2^32 without a limit) */
    uint32_t step;     /* the exponential step: base, 2 base, 4 base... up to cap */
    uint32_t prev;     /* previous draw, for decorrelated jitter */
} llmres_backoff_t;

/* cfg may be NULL. Errors: INVALID (b NULL, cap_ms or hint_max_ms over 2^31-1,
   base_ms > cap_ms, unknown jitter). */
LLMRES_API llmres_err_t llmres_backoff_init(llmres_backoff_t *b, const llmres_backoff_config_t *cfg);
/* The delay before the next attempt, in ms (>= 0). hint_ms is the server's retry-after
   (0: none): the delay is never shorter than it, and up to a quarter of the current
   step longer (a random share), so that clients told the same instant do not all come
   back at it together. remaining_ms is the time left before the
   caller's deadline (LLMRES_NEVER: none). Returns GIVE_UP when the delay would end past
   the deadline, when max_retries are spent, or when the hint exceeds hint_max_ms (the
   server wants longer than we may wait: retrying early would only add load).
   INVALID for NULL. */
LLMRES_API int32_t llmres_backoff_next(llmres_backoff_t *b, uint32_t hint_ms, uint32_t remaining_ms);
/* After a success: the next failure starts from base again. The generator keeps going. */
LLMRES_API void llmres_backoff_reset(llmres_backoff_t *b);
#endif

/* ---- overload detector and adaptive throttle ---------------------------------------- */
#ifndef LLMRES_NO_OVERLOAD
#ifndef LLMRES_OVERLOAD_SLOTS
#define LLMRES_OVERLOAD_SLOTS 8         /* the window slides in this many steps */
#endif
enum {
    LLMRES_OVERLOAD_NORMAL = 0,     /* no overload signal in the window: nothing is held back */
    LLMRES_OVERLOAD_WARNING,        /* some answers are overload signals: the throttle runs */
    LLMRES_OVERLOAD_CRITICAL,       /* many are, or several in a row */
    LLMRES_OVERLOAD_RECOVERING,     /* signals fell away; NORMAL after recover_ms without one */
    LLMRES_OVERLOAD_STATES
};

typedef void (*llmres_overload_hook_fn)(void *user, int from_state, int to_state, uint32_t now);

/* Zero in any field means its default. */
typedef struct llmres_overload_config {
    uint32_t window_ms;     /* the sliding window (600000: a device that sends a request a
                               minute still judges from ten), LLMRES_OVERLOAD_SLOTS slots */
    uint32_t warn_pct;      /* overload signals among the window's answers for WARNING (10) */
    uint32_t critical_pct;  /* for CRITICAL (50) */
    uint32_t min_answers;   /* answers in the window before the rates apply (4); fewer: any
                               signal is a WARNING */
    uint32_t critical_run;  /* or this many signals in a row: CRITICAL (3) */
    uint32_t recover_ms;    /* RECOVERING this long without a signal, and none left in the
                               window: NORMAL (10000) */
    uint32_t k_milli;       /* throttle: sends allowed per accepted answer, thousandths (1200);
                               LLMRES_NEVER: never throttle */
    llmres_overload_hook_fn on_change; /* optional: called on every state change */
    void *user;
} llmres_overload_config_t;

/* One provider as this device sees it: answers and overload signals over a sliding time
   window, a state, the adaptive throttle, and the time before which nothing may be sent
   to it (a server's retry-after, an exhausted rate limit). */
typedef struct llmres_overload {
    llmres_overload_config_t cfg;
    uint32_t state, since;      /* the state, and when it was entered */
    uint32_t last_signal, run;  /* the last overload signal; signals in a row */
    uint32_t slot_at, head;     /* the newest slot began at slot_at */
    uint32_t requests, answers, signals; /* sums over the window */
    uint32_t deferred_at, hold; /* while `deferred`: no send before deferred_at + hold */
    uint32_t deferred;
    uint32_t throttled;         /* sends refused by the throttle (wraps) */
    uint32_t transitions[LLMRES_OVERLOAD_STATES]; /* entries into each state (wraps) */
    uint32_t time_in[LLMRES_OVERLOAD_STATES];     /* ms spent in each, up to `since` (wraps) */
    uint32_t slot_requests[LLMRES_OVERLOAD_SLOTS], slot_answers[LLMRES_OVERLOAD_SLOTS],
             slot_signals[LLMRES_OVERLOAD_SLOTS];
} llmres_overload_t;

/* cfg may be NULL. Errors: INVALID (o NULL, a pct over 100 or warn over critical, a window
   over 2^31-1 or shorter than LLMRES_OVERLOAD_SLOTS ms); the detector then never
   throttles (its state still follows runs of signals). Feed it at least every 24.8 days. */
LLMRES_API llmres_err_t llmres_overload_init(llmres_overload_t *o, const llmres_overload_config_t *cfg, uint32_t now);
/* May a request go now, as far as the throttle says? Counts it as a request. Outside
   NORMAL (and with min_answers in the window, or CRITICAL) it is refused with probability
   max(0, (requests - K x accepts) / (requests + 1)) over the window (Google SRE, "Handling
   Overload"; accepts counts one more than came, so that one refusal among a few answers
   does not throttle), drawn from `random` (any uniform 32 bits; 0xFFFFFFFF is never refused: a
   request counted that goes anyway, a retry): OK or LIMITED (counted in `throttled`).
   Errors: INVALID. */
LLMRES_API llmres_err_t llmres_overload_admit(llmres_overload_t *o, uint32_t now, uint32_t random);
/* Records an answer: overloaded 1 for an overload signal (529, 503, "overloaded", 429,
   a timeout), 0 for any other answer (the provider took the request). May change the
   state. Errors: INVALID. */
LLMRES_API llmres_err_t llmres_overload_record(llmres_overload_t *o, uint32_t now, int overloaded);
/* Nothing goes to the provider before `until` (the later of this and an earlier one
   holds), at most 2^31-1 ms ahead. Errors: INVALID. */
LLMRES_API llmres_err_t llmres_overload_defer(llmres_overload_t *o, uint32_t now, uint32_t until);
/* Milliseconds until the provider may be sent to (0: now). */
LLMRES_API uint32_t llmres_overload_wait_ms(const llmres_overload_t *o, uint32_t now);
/* The state at `now` (the window slides, RECOVERING may end). INVALID for NULL. */
LLMRES_API int llmres_overload_state(llmres_overload_t *o, uint32_t now);
/* Manual control: back to NORMAL with an empty window and no wait. Errors: INVALID. */
LLMRES_API llmres_err_t llmres_overload_clear(llmres_overload_t *o, uint32_t now);
LLMRES_API const char *llmres_overload_state_name(int state);
#endif

/* ---- LRU cache ---------------------------------------------------------------------- */
#ifndef LLMRES_NO_CACHE
/* An entry's key and value lie back to back in a chain of arena blocks, so entries of any
   size share one arena: a put takes free blocks, an eviction returns them, with no
   compaction and no fragmentation; the waste is under one block per entry. */
typedef struct llmres_cache_entry {
    uint32_t hash;
    uint32_t key_len;
    uint32_t value_len;
    uint32_t expires;      /* valid when has_ttl */
    uint16_t first_block;  /* chain start; LLMRES__NIL for an empty entry */
    uint16_t lru_prev, lru_next, hash_next;
    uint8_t  in_use, has_ttl;
} llmres_cache_entry_t;

typedef struct llmres_cache {
    /* scalars first: small offsets keep Thumb code short */
    uint16_t lru_head, lru_tail;                /* most and least recently used */
    uint16_t free_entry, free_block;
    uint32_t free_blocks;
    uint32_t max_entry_bytes;  /* key + value; a larger put is TOO_LARGE */
    uint32_t entries, bytes_used;
    uint32_t hits, misses, evictions, expirations, inserts; /* wrap */
    uint16_t bucket[LLMRES_CACHE_HASH_BUCKETS]; /* hash chains of entries */
    llmres_cache_entry_t entry[LLMRES_MAX_CACHE_ENTRIES];
    uint16_t block_next[LLMRES_CACHE_BLOCKS];   /* chain links, and the free list */
    uint8_t arena[LLMRES_CACHE_ARENA_BYTES];
} llmres_cache_t;

/* max_entry_bytes: the largest key + value accepted (0 or more than the arena: the arena).
   Errors: INVALID (c NULL); SIZE_MISMATCH. */
#define llmres_cache_init(c, max_entry_bytes) llmres_cache_init_sized((c), (max_entry_bytes), sizeof(*(c)))
LLMRES_API llmres_err_t llmres_cache_init_sized(llmres_cache_t *c, uint32_t max_entry_bytes, size_t struct_size);
/* Looks the key up (exact bytes). On a hit copies the value to out and sets *value_len:
   OK. NOT_FOUND on a miss or an expired entry (which is removed). TOO_LARGE when out_cap
   is short: *value_len says what is needed, the entry stays, nothing is counted.
   INVALID for NULL pointers (key may be NULL when key_len is 0). */
LLMRES_API llmres_err_t llmres_cache_get(llmres_cache_t *c, uint32_t now, const void *key, uint32_t key_len,
                                void *out, uint32_t out_cap, uint32_t *value_len);
/* Stores a copy of key and value, replacing an entry with the same key, evicting least
   recently used entries until it fits. ttl_ms 0: no expiry; otherwise at most 2^31-1.
   Errors: TOO_LARGE (key + value over max_entry_bytes), INVALID. */
LLMRES_API llmres_err_t llmres_cache_put(llmres_cache_t *c, uint32_t now, const void *key, uint32_t key_len,
                                const void *value, uint32_t value_len, uint32_t ttl_ms);
/* Removes the entry for key: OK or NOT_FOUND. */
LLMRES_API llmres_err_t llmres_cache_remove(llmres_cache_t *c, const void *key, uint32_t key_len);
/* Removes every expired entry; returns how many (O(entries)). */
LLMRES_API int llmres_cache_purge(llmres_cache_t *c, uint32_t now);
#endif

/* ---- priority queue ----------------------------------------------------------------- */
#ifndef LLMRES_NO_QUEUE
/* A queued request. The queue stores a copy and hands it back exactly once: from pop
   (ready, or expired), from push (displaced to make room), from expire, cancel or drain.
   `status` says why it came back. */
typedef struct llmres_qitem {
    void *user;            /* the owner's request; the queue never dereferences it */
    uint32_t deadline;     /* absolute ms; used when has_deadline */
    uint8_t priority;      /* 0 least urgent .. LLMRES_QUEUE_LEVELS - 1 most urgent */
    uint8_t has_deadline;
    int16_t status;        /* on the way out: OK, ERR_TIMEOUT, ERR_DISPLACED, ERR_CANCELLED */
} llmres_qitem_t;

typedef struct llmres_queue {
    uint32_t count, capacity;
    uint32_t nonempty;   /* bit per level */
    uint16_t free_slot;
    uint16_t head[LLMRES_QUEUE_LEVELS], tail[LLMRES_QUEUE_LEVELS];
    uint32_t pushed, popped, expired, displaced, rejected, peak; /* counters (wrap) */
    uint16_t next[LLMRES_MAX_QUEUE];
    llmres_qitem_t item[LLMRES_MAX_QUEUE];
} llmres_queue_t;

/* capacity: 1..LLMRES_MAX_QUEUE (0: the maximum). Errors: INVALID; SIZE_MISMATCH. */
#define llmres_queue_init(q, capacity) llmres_queue_init_sized((q), (capacity), sizeof(*(q)))
LLMRES_API llmres_err_t llmres_queue_init_sized(llmres_queue_t *q, uint32_t capacity, size_t struct_size);
/* Queues a copy of *item behind the others of its priority. Returns 0: queued. 1: queued,
   and *handed_back holds the item that left to make room (status ERR_TIMEOUT: the oldest
   expired item of the lowest level, else ERR_DISPLACED: the newest item of the lowest
   level, which *item outranks). FULL: not queued (backpressure). TIMEOUT: not queued,
   its deadline has passed. INVALID: NULL, priority >= LLMRES_QUEUE_LEVELS, or a queue
   never initialised. */
LLMRES_API int llmres_queue_push(llmres_queue_t *q, uint32_t now, const llmres_qitem_t *item,
                                 llmres_qitem_t *handed_back);
/* Takes the most urgent item (FIFO within a level). OK: serve *out. TIMEOUT: *out expired
   while waiting; tell its owner and pop again. EMPTY. INVALID. */
LLMRES_API llmres_err_t llmres_queue_pop(llmres_queue_t *q, uint32_t now, llmres_qitem_t *out);
/* Hands back one expired item from anywhere in the queue: 1 (in *out) or 0 (none). */
LLMRES_API int llmres_queue_expire(llmres_queue_t *q, uint32_t now, llmres_qitem_t *out);
/* Removes the first queued item whose user pointer is `user` (most urgent level first):
   OK (in *out) or NOT_FOUND. INVALID for a NULL user. */
LLMRES_API llmres_err_t llmres_queue_cancel(llmres_queue_t *q, const void *user, llmres_qitem_t *out);
/* Removes the most urgent item with status ERR_CANCELLED (for shutdown): OK or EMPTY. */
LLMRES_API llmres_err_t llmres_queue_drain(llmres_queue_t *q, llmres_qitem_t *out);
LLMRES_API uint32_t llmres_queue_count(const llmres_queue_t *q);
#endif

/* ---- port: what the platform provides ----------------------------------------------- */
/* A transport moves bytes over connections it names by small integers (a socket, a slot
   in a TLS session table). TCP comes from the port; TLS (port/llmres_mbedtls.h) is a
   transport stacked on another transport, so POSIX sockets, lwIP and the simulator all
   get TLS the same way.

   The I/O rule, for send and recv:
     > 0   bytes moved (send may move fewer than asked: call again with the rest)
     0     the timeout passed with nothing moved (timeout_ms 0: poll, never wait)
     LLMRES_ERR_CLOSED   the peer closed the connection in order (EOF, TLS close_notify)
     other negatives     errors: LLMRES_ERR_IO (reset...), LLMRES_ERR_TLS
   open returns a connection id >= 0, or LLMRES_ERR_DNS, _CONNECT, _TIMEOUT, _TLS,
   _CERT, _NO_SLOT (no free connection slot), _LINK_DOWN (no route, no interface: this
   device's network is down). close releases the id; it never fails. All four may
   block up to their timeout; none may block longer.

   A transport with LLMRES_TRANSPORT_ASYNC_OPEN in flags connects in steps, so that a
   superloop never waits on a connect: open with timeout_ms 0 only starts the
   connection (name resolution, TCP connect, TLS handshake) and returns its id at once,
   or an error known at once. The connection then completes inside later send and recv
   calls, each waiting no longer than its own timeout: until it is up they return 0
   (nothing moved); if it fails they return what open would have (LLMRES_ERR_DNS,
   _CONNECT, _TLS, _CERT, _LINK_DOWN). close may be called at any point of it. Without
   the flag, open is always called with the time the caller can give it. Such a
   transport may also say, through resolving, whether a connection still waits for its
   name: when a deadline passes then, the failure is this device's resolver (DNS, held
   against no provider), not the provider's (TIMEOUT). */
#define LLMRES_TRANSPORT_ASYNC_OPEN 1u
typedef struct llmres_transport {
    void *ctx;
    int (*open)(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms);
    int (*send)(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms);
    int (*recv)(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms);
    void (*close)(void *ctx, int conn);
    uint32_t flags;  /* LLMRES_TRANSPORT_ASYNC_OPEN, or 0 */
    int (*resolving)(void *ctx, int conn); /* optional: 1 while conn's name resolves, else 0 */
} llmres_transport_t;

/* The platform: a monotonic clock, sleep, entropy, TCP, and optional lock and log.
   Fill it at run time (port/llmres_posix.h does it for Linux). lock/unlock and log may
   be NULL. The library never holds the lock across I/O or a sleep. */
typedef struct llmres_port {
    void *ctx;
    uint32_t (*now_ms)(void *ctx);                      /* monotonic, wraps */
    void (*sleep_ms)(void *ctx, uint32_t ms);
    int (*entropy)(void *ctx, void *buf, size_t len);   /* 0 ok, negative error; seeds every
                                                           random draw: make it device-specific */
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
    void (*log)(void *ctx, int level, const char *msg); /* never given secrets */
    llmres_transport_t tcp;
} llmres_port_t;

enum { LLMRES_LOG_ERROR = 0, LLMRES_LOG_WARN, LLMRES_LOG_INFO }; /* llmres_port_t.log levels */

/* ---- HTTP/1.1 ----------------------------------------------------------------------- */
#ifndef LLMRES_NO_HTTP
#ifndef LLMRES_HTTP_MAX_LINE
#define LLMRES_HTTP_MAX_LINE 1024     /* longest response header line accepted */
#endif
#ifndef LLMRES_HTTP_MAX_HEADERS
#define LLMRES_HTTP_MAX_HEADERS 100   /* most header (and trailer) lines accepted */
#endif
#ifndef LLMRES_MAX_REQUEST_ID
#define LLMRES_MAX_REQUEST_ID 64
#endif
#ifndef LLMRES_MAX_CONNECTIONS
#define LLMRES_MAX_CONNECTIONS 2      /* keep-alive slots per client */
#endif
#ifndef LLMRES_MAX_HOST
#define LLMRES_MAX_HOST 64
#endif
#ifndef LLMRES_HTTP_HEAD_BYTES
#define LLMRES_HTTP_HEAD_BYTES 1024   /* request line and headers, built in the client */
#endif
#ifndef LLMRES_HTTP_RX_BYTES
#define LLMRES_HTTP_RX_BYTES 1024     /* receive buffer in the client */
#endif


/* A server's rate-limit window, from x-ratelimit-* (OpenAI, Azure) or
   anthropic-ratelimit-*. Each field LLMRES_UNKNOWN when not sent or malformed. */
typedef struct llmres_ratelimit {
    uint32_t limit;
    uint32_t remaining;
    uint32_t reset_ms;   /* from the response's Date, not the device's clock */
} llmres_ratelimit_t;

/* What the response's headers say about retrying and rate limits. */
typedef struct llmres_http_hints {
    uint32_t retry_after_ms;  /* retry-after-ms, else retry-after (seconds or HTTP-date) */
    int32_t should_retry;     /* x-should-retry: 1 true, 0 false, -1 not sent */
    llmres_ratelimit_t requests, tokens, input_tokens, output_tokens;
    uint32_t date;            /* Date, seconds since 1970, or LLMRES_UNKNOWN */
    char request_id[LLMRES_MAX_REQUEST_ID]; /* x-request-id or request-id; "" if none */
} llmres_http_hints_t;

/* Receives body bytes as they arrive (chunk framing removed). Return 0 to go on,
   anything else to stop (the exchange ends with LLMRES_ERR_ABORTED). */
typedef int (*llmres_body_fn)(void *user, const uint8_t *data, size_t len);

#define LLMRES_HTTP_CHUNKED     1u  /* Transfer-Encoding: chunked */
#define LLMRES_HTTP_CLOSE       2u  /* the connection must close after this response */
#define LLMRES_HTTP_UNTIL_CLOSE 4u  /* the body runs until the peer closes */

/* An HTTP/1.1 response parsed incrementally: feed it any split of the bytes. */
typedef struct llmres_http_response {
    int status;                 /* final status (1xx are skipped) */
    uint32_t flags;             /* LLMRES_HTTP_* */
    uint32_t content_length;    /* LLMRES_UNKNOWN when not sent */
    size_t body_len;            /* body bytes delivered so far */
    llmres_http_hints_t hints;
    /* where the body goes: set with llmres_http_response_init */
    uint8_t *body;
    size_t body_cap;
    llmres_body_fn on_body;
    void *user;
    /* parser state */
    int error;                  /* the error that stopped it, 0 if none */
    uint32_t remaining;         /* bytes left in the body or the chunk */
    uint32_t pending_at[5];     /* absolute times waiting for Date: retry-after, resets */
    uint16_t line_len, header_count;
    uint8_t state, head_request, minor_version, te_seen;
    char line[LLMRES_HTTP_MAX_LINE + 1]; /* + the LF, where every scan of a line stops */
} llmres_http_response_t;

/* Prepares r for one response. The body goes to body[0..body_cap) (a longer body is
   LLMRES_ERR_TOO_LARGE and the connection is not reused), or to on_body when it is not
   NULL, or nowhere (counted only) when both are NULL. head_request: the request was
   HEAD, so there is no body whatever the headers say. */
LLMRES_API void llmres_http_response_init(llmres_http_response_t *r, void *body, size_t body_cap,
                                          llmres_body_fn on_body, void *user, int head_request);
/* Feeds bytes. Returns 1 when the response is complete (*consumed says how many of
   these bytes it used), 0 when it needs more, or a negative error: LLMRES_ERR_BAD_HTTP,
   _HEADER_TOO_LONG, _TOO_MANY_HEADERS, _TOO_LARGE, _ABORTED. After an error every
   call returns it again. consumed may be NULL. */
LLMRES_API int llmres_http_parse(llmres_http_response_t *r, const void *data, size_t len, size_t *consumed);
/* The peer closed the connection: 1 when that completes the response (a body that runs
   until close), LLMRES_ERR_TRUNCATED when the response was cut short. */
LLMRES_API int llmres_http_parse_eof(llmres_http_response_t *r);
/* Whether the connection may carry the next request (complete, not Connection: close,
   HTTP/1.1 or keep-alive, length known). */
LLMRES_API int llmres_http_keep_alive(const llmres_http_response_t *r);

typedef struct llmres_http_header {
    const char *name;
    const char *value;
} llmres_http_header_t;

typedef struct llmres_http_request {
    const char *method;          /* "POST", "GET", "HEAD" */
    const char *host;            /* connect to it, and send it as Host */
    uint16_t port;               /* 0: 443 with tls, 80 without */
    uint8_t tls;                 /* 1: https */
    const char *path;            /* "/v1/chat/completions" */
    const llmres_http_header_t *headers; /* extra headers (auth too); count below */
    size_t header_count;
    const void *body;            /* sent as is, from the caller's memory */
    size_t body_len;
} llmres_http_request_t;

/* Writes the request line and headers (Host, the extra headers, Content-Length when
   there is a body or the method is POST/PUT/PATCH) into buf. Returns the length, or
   LLMRES_ERR_TOO_LARGE when it does not fit, LLMRES_ERR_INVALID for NULLs or for CR, LF
   or NUL in any field (no header injection). */
LLMRES_API int llmres_http_write_head(const llmres_http_request_t *req, char *buf, size_t cap);

/* Parsers for header values, exposed for the LLM layer and for tests. Each returns
   LLMRES_UNKNOWN for malformed input (and for negative numbers). */
LLMRES_API uint32_t llmres_parse_uint(const char *s, size_t len);
/* "6m0s", "12ms", "1m30s", "8.64s" (Go durations), or a plain integer of seconds. */
LLMRES_API uint32_t llmres_parse_duration_ms(const char *s, size_t len);
/* "Sun, 22 Nov 2026 10:00:45 GMT" (IMF-fixdate) to seconds since 1970. */
LLMRES_API uint32_t llmres_parse_http_date(const char *s, size_t len);
/* "2026-11-22T10:00:13Z", with optional fraction (rounded up) and +hh:mm offset. */
LLMRES_API uint32_t llmres_parse_rfc3339(const char *s, size_t len);

/* One keep-alive connection slot. */
typedef struct llmres_http_conn {
    int id;                      /* the transport's connection id */
    uint32_t last_used;
    uint16_t port;
    uint8_t open, tls;
    char host[LLMRES_MAX_HOST];
} llmres_http_conn_t;

/* An HTTP client: a pool of keep-alive connections over a port's TCP and an optional
   TLS transport. One thread at a time (the LLM client above it takes the lock). */
typedef struct llmres_http_client {
    const llmres_port_t *port;
    const llmres_transport_t *tls;  /* NULL: https requests fail with LLMRES_ERR_NO_TLS */
    uint32_t idle_timeout_ms;       /* a connection idle this long is not reused (20000) */
    llmres_http_conn_t conn[LLMRES_MAX_CONNECTIONS];
    uint32_t requests, connects, reuses;
    uint32_t stale_retries;          /* pooled connections found dead or out of step (wrap) */
    /* the exchange in progress (llmres_http_begin .. llmres_http_poll) */
    const char *x_host;
    const void *x_body;
    size_t x_body_len, x_got;
    size_t x_sent;                   /* bytes of head and body sent */
    uint32_t x_deadline;
    int x_head_len;
    uint16_t x_port;
    uint8_t x_busy, x_tls, x_conn, x_reused, x_resent;
    char head[LLMRES_HTTP_HEAD_BYTES];
    uint8_t rx[LLMRES_HTTP_RX_BYTES];
} llmres_http_client_t;

/* tls may be NULL. Errors: INVALID (c or port NULL, port without tcp functions). */
#define llmres_http_client_init(c, port, tls) llmres_http_client_init_sized((c), (port), (tls), sizeof(*(c)))
LLMRES_API llmres_err_t llmres_http_client_init_sized(llmres_http_client_t *c, const llmres_port_t *port,
                                                      const llmres_transport_t *tls, size_t struct_size);
/* Sends one request and reads its response into *resp (prepared with
   llmres_http_response_init), within timeout_ms in all. Reuses a pooled connection to the
   same host, port and scheme when one is idle and has nothing unread (checked with a
   zero-timeout receive); a reused connection found dead before any response byte
   arrives is replaced and the request sent again, once. Returns the HTTP
   status (> 0), or an error: TIMEOUT, DNS, CONNECT, TLS, CERT, IO, CLOSED (no response
   at all), TRUNCATED, BAD_HTTP, HEADER_TOO_LONG, TOO_MANY_HEADERS, TOO_LARGE, ABORTED,
   NO_TLS, INVALID. After an error the connection is closed, never reused. Blocks. */
LLMRES_API int llmres_http_exchange(llmres_http_client_t *c, const llmres_http_request_t *req,
                                    llmres_http_response_t *resp, uint32_t timeout_ms);
/* The same exchange in steps, for a caller that must not block while the answer is on
   its way (a superloop). llmres_http_begin reuses or opens a connection and sends the
   request. Over a transport that connects in steps (LLMRES_TRANSPORT_ASYNC_OPEN, as the
   POSIX port and the TLS transport over it) it does not wait at all: the name, the
   connect, the TLS handshake and what did not go at once are done by llmres_http_poll,
   within the waits it is given. Over any other transport it blocks for the open (a TLS
   handshake included) and the sends, never past timeout_ms. Returns OK (poll for the
   answer) or an error, as llmres_http_exchange. The request's host and body must stay
   valid until the exchange ends (a dead kept-alive connection is replaced and the
   request sent again). */
LLMRES_API llmres_err_t llmres_http_begin(llmres_http_client_t *c, const llmres_http_request_t *req,
                                 llmres_http_response_t *resp, uint32_t timeout_ms);
/* Moves the exchange on (connect, send, read what has arrived), waiting at most wait_ms
   (0: not at all; LLMRES_NEVER: until the response or the timeout given to begin).
   Returns the status (> 0) when the response is complete, 0 when it is not yet, or an
   error as llmres_http_exchange (the exchange is then over). A replacement connection
   after a dead kept-alive one is opened and the request sent again here, as begin does. */
LLMRES_API int llmres_http_poll(llmres_http_client_t *c, llmres_http_response_t *resp, uint32_t wait_ms);
/* Gives up the exchange in progress, if any: its connection is closed. */
LLMRES_API void llmres_http_abort(llmres_http_client_t *c);
/* Closes every pooled connection. */
LLMRES_API void llmres_http_client_close(llmres_http_client_t *c);
#endif /* LLMRES_NO_HTTP */

#if defined(LLMRES_NO_HTTP) && !defined(LLMRES_NO_LLM)
#define LLMRES_NO_LLM /* the wire formats need the HTTP types */
#endif
/* ---- LLM wire formats and the error taxonomy ------------------------------------------ */
#ifndef LLMRES_NO_LLM
#ifndef LLMRES_JSON_MAX_DEPTH
#define LLMRES_JSON_MAX_DEPTH 16      /* deepest JSON nesting read from a response */
#endif

/* The built-in wire formats: each is one row of the table in llmres_wire_get(). */
enum {
    LLMRES_PROVIDER_OPENAI = 0,  /* chat completions: OpenAI, Ollama's /v1, llama.cpp, vLLM */
    LLMRES_PROVIDER_ANTHROPIC,   /* Messages API */
    LLMRES_PROVIDER_OLLAMA,      /* native /api/chat */
    LLMRES_PROVIDER_AZURE,       /* Azure OpenAI: the model is the deployment, key in api-key */
    LLMRES_PROVIDER_COUNT
};

/* What a JSON value at a path is, for llmres_wire_field_t. */
enum {
    LLMRES_FIELD_TEXT = 0,       /* the answer's text (or a stream's piece of it) */
    LLMRES_FIELD_FINISH,         /* finish / stop / done reason */
    LLMRES_FIELD_INPUT_TOKENS,
    LLMRES_FIELD_OUTPUT_TOKENS,
    LLMRES_FIELD_EVENT_TYPE,     /* a stream event's type: compared with end_type, error_type */
    LLMRES_FIELD_DONE,           /* true ends the stream */
    LLMRES_FIELD_ERROR,          /* an error as a plain string (Ollama, some OpenAI-compatible servers) */
    LLMRES_FIELD_ERROR_TYPE,
    LLMRES_FIELD_ERROR_CODE,
    LLMRES_FIELD_ERROR_MESSAGE
};

/* A JSON path ("choices.0.message.content"; "*" is any array index) and what it holds.
   Names are compared as they are written in the body (an escaped name never matches); a
   segment must start and end within 255 bytes of the path's start. */
typedef struct llmres_wire_field {
    const char *path;
    uint8_t field;               /* LLMRES_FIELD_* */
} llmres_wire_field_t;

#define LLMRES_WIRE_SYSTEM_TOP   1u  /* the system prompt is a top-level "system", after max_tokens */
#define LLMRES_WIRE_OPTIONS      2u  /* sampling goes in "options":{...} after "stream" */
#define LLMRES_WIRE_STREAM_FALSE 4u  /* say "stream":false: the API streams unless told */
#define LLMRES_WIRE_STREAM_USAGE 8u  /* ask for usage in a stream's last chunk */
#define LLMRES_WIRE_NDJSON      16u  /* streams are newline-delimited JSON, not server-sent events */

/* Everything one provider's API differs in: a row. The built-in rows come from
   llmres_wire_get(); a provider the table lacks is a row of the caller's own, given as
   llmres_provider_t.wire. Field lists end with a NULL path: at most 32 paths each (more is
   LLMRES_ERR_INVALID from the readers). */
typedef struct llmres_wire {
    const char *name;            /* "openai", for logs and stats */
    const char *path;            /* request target; "{model}" becomes the model (a deployment) */
    const char *auth_header;     /* the key goes in it: "Authorization", "x-api-key", "api-key" */
    const char *auth_prefix;     /* before the key: "Bearer ", or "" */
    const char *version_header;  /* a version header sent with every request, or NULL */
    const char *version;
    const char *max_tokens_key;  /* "max_tokens", "num_predict" */
    uint32_t max_tokens_default; /* sent when the call sets none (Anthropic requires it); 0: none */
    uint32_t flags;              /* LLMRES_WIRE_* */
    const llmres_wire_field_t *answer;  /* paths of a whole answer (errors included) */
    const llmres_wire_field_t *event;   /* paths of one stream event */
    const char *done_data;       /* an event whose data is this ends the stream ("[DONE]") */
    const char *end_type;        /* an event of this type ends it ("message_stop") */
    const char *error_type;      /* an event of this type is an error ("error") */
} llmres_wire_t;

/* The built-in row of a format (LLMRES_PROVIDER_*), or NULL. */
LLMRES_API const llmres_wire_t *llmres_wire_get(int format);

/* One error taxonomy, decided from the status, the body and the headers. */
enum {
    LLMRES_CLASS_OK = 0,
    LLMRES_CLASS_TRANSIENT_NETWORK, /* connect, reset, EOF, TLS record: try again */
    LLMRES_CLASS_TIMEOUT,           /* no answer in time (also 408) */
    LLMRES_CLASS_RATE_LIMIT,        /* 429 rate_limit_exceeded / rate_limit_error: after retry-after */
    LLMRES_CLASS_OVERLOADED,        /* 529, 5xx "Overloaded", Ollama "server busy": back off */
    LLMRES_CLASS_SERVER_ERROR,      /* other 5xx */
    LLMRES_CLASS_AUTHENTICATION,    /* 401, 403: never retried */
    LLMRES_CLASS_QUOTA,             /* 429 insufficient_quota, 402 billing: never retried */
    LLMRES_CLASS_PERMANENT,         /* 400, 404, 413, 422, context_length_exceeded, bad certificate */
    LLMRES_CLASS_UNKNOWN,
    LLMRES_CLASSES
};

/* What each class means for the caller: retried? counted against the breaker? The one
   table, in llmres_class_policy_get. */
typedef struct llmres_class_policy {
    uint8_t retry;        /* 1: worth another attempt (x-should-retry overrides) */
    uint8_t outcome;      /* LLMRES_OUTCOME_* to record in the provider's breaker */
} llmres_class_policy_t;

LLMRES_API const char *llmres_class_name(int cls);
LLMRES_API llmres_class_policy_t llmres_class_policy_get(int cls);

typedef struct llmres_llm_message {
    const char *role;     /* "user", "assistant", "system" (OpenAI, Ollama) */
    const char *content;  /* UTF-8, escaped on the way out (ill-formed bytes sent as U+FFFD) */
} llmres_llm_message_t;

typedef struct llmres_llm_request {
    const llmres_wire_t *wire;           /* the provider's row: llmres_wire_get(LLMRES_PROVIDER_*) or your own */
    const char *model;
    const char *system;                  /* optional system prompt (NULL: none) */
    const llmres_llm_message_t *messages;
    size_t message_count;
    uint32_t max_tokens;                 /* 0: not sent (Anthropic requires it: 1024) */
    int32_t temperature_milli;           /* 700 = 0.7; -1: not sent; 0..2000 */
    uint8_t stream;                      /* 1: ask for the answer as a stream (usage included) */
} llmres_llm_request_t;

/* Writes the request body JSON into buf. Returns its length, LLMRES_ERR_TOO_LARGE when
   it does not fit, LLMRES_ERR_INVALID for NULLs, an unknown provider, a temperature out
   of range or no message. Strings are escaped (quotes, backslash, control characters);
   well-formed UTF-8 passes through, and each ill-formed sequence (a character cut short,
   a stray byte, an overlong form, a surrogate) becomes one U+FFFD, so the output is
   always JSON that a strict server accepts. */
LLMRES_API int llmres_llm_write_request(const llmres_llm_request_t *r, char *buf, size_t cap);

/* What a response body says. text is the caller's buffer. */
typedef struct llmres_llm_result {
    char *text;                /* the assistant's text, NUL-terminated, unescaped to UTF-8 */
    size_t text_cap;
    size_t text_len;
    char finish[24];           /* finish_reason / stop_reason / done_reason; "" if none */
    uint32_t input_tokens;     /* usage; LLMRES_UNKNOWN when not sent */
    uint32_t output_tokens;
    char error_type[40];       /* error.type (OpenAI, Anthropic); "" if none */
    char error_code[40];       /* error.code (OpenAI, Azure) */
    char error_message[160];   /* error.message, or Ollama's error string; cut to fit */
    uint8_t answered;          /* 1: the body has an answer's shape (text or finish reason) */
} llmres_llm_result_t;

/* Reads a response body (success or error) in `wire`'s format into *out, whose text/text_cap
   the caller set (text may be NULL with text_cap 0 when only an error is expected).
   Unknown fields and any field order are fine. The whole body is validated as it is read
   (RFC 8259: grammar, numbers, every escape, well-formed UTF-8 in every string; a lone
   \uD800-style surrogate escape reads as U+FFFD). Returns LLMRES_OK; LLMRES_ERR_TOO_LARGE
   when the text does not fit (never a silent cut); LLMRES_ERR_BAD_BODY for a body that is
   not JSON, not a complete one (truncated) or not valid, and then no answer is read (text,
   finish and usage empty; the error fields keep what they said, for the class);
   LLMRES_ERR_INVALID for bad arguments.
   JSON of another shape is read as OK with answered 0: the client calls that a server
   error rather than an empty answer. */
LLMRES_API llmres_err_t llmres_llm_parse_response(const llmres_wire_t *wire, const void *body, size_t len, llmres_llm_result_t *out);

/* Receives the answer's text as it streams in: unescaped UTF-8, len > 0, one piece per
   event, given once the whole event has been read and found valid. text NULL, len 0:
   start over, what came so far is void (the call is retried after a failure mid-stream). */
typedef void (*llmres_text_fn)(void *user, const char *text, size_t len);

/* Reads a streamed answer as its bytes arrive, in any split: server-sent events
   (OpenAI-compatible, Anthropic) or newline-delimited JSON (Ollama's /api/chat). One
   event at a time lives in the caller's event buffer; the text goes to on_text and,
   with keep_text, gathers in out->text. */
typedef struct llmres_llm_stream {
    llmres_llm_result_t *out;  /* finish, usage, error fields; text and text_len: see keep_text */
    llmres_text_fn on_text;    /* may be NULL */
    void *user;
    uint8_t keep_text;         /* 1: out->text gathers the whole answer (TOO_LARGE past its cap);
                                  0: out->text holds one piece at a time; text_len counts all */
    uint8_t done;              /* the stream's own end came: [DONE], message_stop, "done":true */
    uint8_t failed;            /* an error event came (out->error_type, error_message) */
    int error;                 /* sticky: BAD_BODY (not SSE/JSON), TOO_LARGE (event or text) */
    uint32_t events;
    /* the reader */
    const llmres_wire_t *wire;
    char *event;               /* the caller's buffer for one event's data */
    size_t event_cap, event_len;
    uint8_t state, cr, has_data, field_len, bom;
    char field[4];
} llmres_llm_stream_t;

/* Prepares s to read one streamed body in `wire`'s format into *out (whose text/text_cap the
   caller set). event_buf holds one event's data: 2 KB is plenty for the providers' chunks.
   Set on_text, user and keep_text after this. Errors: INVALID. */
LLMRES_API llmres_err_t llmres_llm_stream_init(llmres_llm_stream_t *s, const llmres_wire_t *wire, char *event_buf, size_t event_cap,
                                      llmres_llm_result_t *out);
/* Feeds body bytes (chunk framing already removed). Returns 0: go on; 1: the stream's end
   came; or s->error (sticky): LLMRES_ERR_BAD_BODY, LLMRES_ERR_TOO_LARGE. */
LLMRES_API int llmres_llm_stream_feed(llmres_llm_stream_t *s, const void *data, size_t len);
/* The body is over: OK when the stream ended properly or with an error event (failed),
   LLMRES_ERR_TRUNCATED when it stopped in the middle, or s->error. */
LLMRES_API llmres_err_t llmres_llm_stream_end(llmres_llm_stream_t *s);

/* The class of one attempt: http_status is the exchange's result (a status, or a
   negative transport error); hints and result may be NULL. A 2xx whose result carries
   an error (a stream that failed after its 200) is classed by that error. */
LLMRES_API int llmres_classify(int http_status, const llmres_http_hints_t *hints, const llmres_llm_result_t *result);
/* Whether to try again after an attempt of class cls: the class's policy, unless the
   server said otherwise in x-should-retry (hints may be NULL). */
LLMRES_API int llmres_should_retry(int cls, const llmres_http_hints_t *hints);

#endif /* LLMRES_NO_LLM */

/* ---- the client: one resilient call --------------------------------------------------- */
#if !defined(LLMRES_NO_CLIENT) && (defined(LLMRES_NO_LLM) || defined(LLMRES_NO_BUCKET) || \
    defined(LLMRES_NO_BREAKER) || defined(LLMRES_NO_BACKOFF) || defined(LLMRES_NO_CACHE) || defined(LLMRES_NO_OVERLOAD))
#define LLMRES_NO_CLIENT /* it needs every part below it */
#endif
#ifndef LLMRES_NO_CLIENT
#ifndef LLMRES_MAX_PROVIDERS
#define LLMRES_MAX_PROVIDERS 2          /* the fallback chain: cloud, then a local Ollama */
#endif
#ifndef LLMRES_STREAM_LINGER_MS
#define LLMRES_STREAM_LINGER_MS 1000    /* after a stream's end, how long its body may take to end */
#endif
#ifndef LLMRES_POLL_MS
#define LLMRES_POLL_MS 10               /* a stepped call waiting for its answer looks again after */
#endif
#ifndef LLMRES_CLIENT_JSON_BYTES
#define LLMRES_CLIENT_JSON_BYTES 4096   /* a request's JSON, per worker */
#endif
#ifndef LLMRES_CLIENT_BODY_BYTES
#define LLMRES_CLIENT_BODY_BYTES 8192   /* a response body, per worker */
#endif

#ifndef LLMRES_MAX_COALESCE
#define LLMRES_MAX_COALESCE 4           /* identical cacheable calls in flight that share one attempt */
#endif
typedef char llmres__check_coalesce[(LLMRES_MAX_COALESCE >= 1 && LLMRES_MAX_COALESCE <= 255 &&
                                     LLMRES_MAX_PROVIDERS >= 1 && LLMRES_MAX_PROVIDERS <= 32) ? 1 : -1];
#ifndef LLMRES_MAX_API_KEY
#define LLMRES_MAX_API_KEY 256          /* longest API key (OpenAI project keys are ~164) */
#endif
#define LLMRES__AUTH_PREFIX_MAX 8        /* longest key prefix a row may have ("Bearer ") */
#ifndef LLMRES_MAX_PATH
#define LLMRES_MAX_PATH 160             /* longest request target, query included */
#endif

/* Cache policy of the client. */
enum {
    LLMRES_CACHE_OFF = 0,
    LLMRES_CACHE_DETERMINISTIC,  /* calls that set temperature_milli to 0 */
    LLMRES_CACHE_ALL
};

/* The client's settings. llmres_config_defaults fills sane ones; llmres_config_set takes
   one KEY=VALUE (the environment names below); llmres_config_parse takes a whole text
   (from flash, NVS or a file); presets set the issue's three profiles. Rates are
   thousandths, so "1.5" requests per second is 1500 and nothing needs a float. */
typedef struct llmres_config {
    uint32_t max_concurrent;      /* LLM_MAX_CONCURRENT_REQUESTS (4) */
    uint32_t rps_milli;           /* LLM_REQUESTS_PER_SECOND, "1.5" (2.0); 0: no limit */
    uint32_t burst;               /* LLM_BURST: requests at once (0: the rate rounded up) */
    uint32_t tokens_per_minute;   /* LLM_TOKENS_PER_MINUTE (0: no limit) */
    uint32_t max_queue;           /* LLM_MAX_QUEUE_SIZE (32), at most LLMRES_MAX_QUEUE in use */
    uint32_t breaker_failures;    /* LLM_CIRCUIT_BREAKER_MAX_FAILURES (5) */
    uint32_t breaker_timeout_ms;  /* LLM_CIRCUIT_BREAKER_TIMEOUT_MS (5000) */
    uint32_t max_retries;         /* LLM_MAX_RETRIES (4) */
    uint32_t backoff_base_ms;     /* LLM_BACKOFF_BASE_MS (500) */
    uint32_t backoff_max_ms;      /* LLM_BACKOFF_MAX_MS (20000) */
    uint32_t retry_after_max_ms;  /* LLM_RETRY_AFTER_MAX_MS (60000): longer waits give up */
    uint32_t timeout_ms;          /* LLM_TIMEOUT_MS (60000): one deadline for a whole call */
    uint32_t attempt_timeout_ms;  /* LLM_ATTEMPT_TIMEOUT_MS (30000): one attempt */
    uint32_t first_byte_timeout_ms;  /* LLM_FIRST_BYTE_TIMEOUT_MS (0: off): sent to first byte */
    uint32_t first_token_timeout_ms; /* LLM_FIRST_TOKEN_TIMEOUT_MS (0: off): a stream's first text */
    uint32_t stream_idle_timeout_ms; /* LLM_STREAM_IDLE_TIMEOUT_MS (10000): a stream's silence */
    uint32_t cache;               /* LLM_CACHE: off, deterministic, all (off) */
    uint32_t cache_ttl_ms;        /* LLM_CACHE_TTL_MS (300000) */
    uint32_t shed_wait_ms;        /* LLM_SHED_WAIT_MS (2000): a call that would wait longer to
                                     be sent (not its own backoff) ends at once, told the wait */
    uint32_t retry_budget_pct;    /* LLM_RETRY_BUDGET_PCT (10): retries per 100 calls, at most */
    uint32_t retry_budget_burst;  /* LLM_RETRY_BUDGET_BURST (2): retries saved up, at most */
    uint32_t breaker_jitter_pct;  /* LLM_BREAKER_JITTER_PCT (50): open periods cut by up to this */
    uint32_t overload_window_ms;  /* LLM_OVERLOAD_WINDOW_MS (600000): the detector's window */
    uint32_t overload_warn_pct;   /* LLM_OVERLOAD_WARN_PCT (10): signals among answers: WARNING */
    uint32_t overload_critical_pct; /* LLM_OVERLOAD_CRITICAL_PCT (50): CRITICAL */
    uint32_t overload_recover_ms; /* LLM_OVERLOAD_RECOVER_MS (10000): RECOVERING, then NORMAL */
    uint32_t throttle_k_milli;    /* LLM_THROTTLE_K, "1.2" (1.2): sends per accepted answer
                                     while overloaded; 0: no throttle */
    uint32_t jitter_seed;         /* LLM_JITTER_SEED (0): something device-specific (a serial
                                     number, a MAC) mixed into every random draw */
    uint32_t stats_slot_ms;       /* LLM_STATS_SLOT_MS (60000): the recent window's slot */
    uint32_t stats_log_ms;        /* LLM_STATS_LOG_MS (60000): llmres_stats_tick's period; 0: never */
    uint32_t price_in_milli;      /* LLM_PRICE_INPUT_PER_MTOK, "0.15" (0): per million tokens */
    uint32_t price_out_milli;     /* LLM_PRICE_OUTPUT_PER_MTOK (0) */
    uint32_t health_min_calls;    /* LLM_HEALTH_MIN_CALLS (10): calls in the window before rates judge */
    uint32_t health_success_pct;  /* LLM_HEALTH_SUCCESS_PCT (95): below: degraded */
    uint32_t health_failure_pct;  /* LLM_HEALTH_FAILURE_PCT (20): at or above: critical */
    uint32_t health_denial_pct;   /* LLM_HEALTH_DENIAL_PCT (10): at or above: degraded */
    uint32_t health_latency_ms;   /* LLM_HEALTH_LATENCY_MS (10000): mean or p95 at or above: degraded */
    uint32_t issue_flap_opens;    /* LLM_ISSUE_FLAP_OPENS (3): breaker openings in the window: flapping */
    uint32_t issue_cache_hit_pct; /* LLM_ISSUE_CACHE_HIT_PCT (10): a cache hitting less is ineffective */
} llmres_config_t;

LLMRES_API void llmres_config_defaults(llmres_config_t *c);
/* "heavy_load" (2 concurrent, 1.0 rps, queue 30, breaker after 3 failures),
   "light_load" (5, 3.0, 100, 8), "unstable_provider" (1, 0.5, breaker after 2, open
   10000 ms). Errors: INVALID for an unknown name (err says so). */
LLMRES_API llmres_err_t llmres_config_preset(llmres_config_t *c, const char *name, char *err, size_t err_cap);
/* One setting by its environment name. Errors: INVALID, with a message naming the key
   in err (may be NULL): unknown key, not a number, out of range. */
LLMRES_API llmres_err_t llmres_config_set(llmres_config_t *c, const char *key, const char *value, char *err, size_t err_cap);
/* KEY=VALUE lines; blank lines and # comments skipped; spaces around both trimmed.
   Stops at the first bad line (err names the line and the key); a NUL byte in a
   KEY=VALUE line makes it bad (it would cut the key or the value). */
LLMRES_API llmres_err_t llmres_config_parse(llmres_config_t *c, const char *text, size_t len, char *err, size_t err_cap);
/* The i-th key name (for reading the environment), NULL past the last. */
LLMRES_API const char *llmres_config_key(int i);
/* One provider of the chain. Strings are the caller's and must outlive the client. */
typedef struct llmres_provider {
    int format;            /* LLMRES_PROVIDER_*: the built-in row used when wire is NULL */
    const char *host;
    uint16_t port;         /* 0: 443 with tls, 80 without */
    uint8_t tls;
    const char *path;      /* NULL: the row's ("/v1/messages"...); "{model}" becomes the model */
    const char *api_key;   /* NULL: none sent (a local Ollama); never logged; at most LLMRES_MAX_API_KEY */
    const char *model;     /* the model, or Azure's deployment */
    const llmres_wire_t *wire; /* NULL: llmres_wire_get(format); else a row of your own */
} llmres_provider_t;

/* An attempt shared by identical calls in flight (coalescing): the first one (the leader)
   sends, the others (followers) wait for its outcome and take the answer from the cache,
   or its error. The client's, under its lock. */
typedef struct llmres_shared_call {
    const struct llmres_call_desc *leader; /* the leader's call while it runs; NULL after */
    uint32_t gen;                          /* which leader: a follower checks it */
    uint32_t followers;                    /* still to read the outcome */
    uint32_t lead_deadline;                /* the leader ends by then, or is gone */
    uint32_t deadline;                     /* the latest deadline of all: the slot is free after it */
    int32_t error, cls, status;            /* the leader's outcome, once done */
    uint32_t retry_in;                     /* and its retry_in_ms */
    uint8_t busy, done, why;               /* why: what held it, if it was shed */
} llmres_shared_call_t;

struct llmres_stats; /* the statistics section, below */

/* Shared by every thread that calls: limits, breakers, cache, counters. Guarded by the
   port's lock (never held across I/O or a sleep). */
typedef struct llmres_client {
    const llmres_port_t *port;
    const llmres_transport_t *tls;
    llmres_config_t cfg;
    llmres_provider_t provider[LLMRES_MAX_PROVIDERS];
    llmres_breaker_t breaker[LLMRES_MAX_PROVIDERS];
    llmres_overload_t overload[LLMRES_MAX_PROVIDERS]; /* detector, throttle, shared wait */
    uint32_t providers;
    llmres_bucket_t rps, tpm;
    uint32_t in_flight;
    uint32_t seed;
    uint32_t retry_budget;     /* thousandths of a retry saved up */
    llmres_shared_call_t shared[LLMRES_MAX_COALESCE];
    uint32_t shared_gen;
    uint8_t told[LLMRES_MAX_PROVIDERS]; /* the overload state last told to the port's log */
    uint8_t told_breaker[LLMRES_MAX_PROVIDERS]; /* and the breaker's */
    struct llmres_stats *stats;         /* NULL, or the caller's (llmres_client_stats) */
    /* counters (wrap) */
    uint32_t calls, successes, attempts, retries, fallbacks, cache_hits;
    uint32_t answered_by[LLMRES_MAX_PROVIDERS]; /* successful calls by the provider that answered */
    uint32_t shed;             /* calls ended at once because they could not be sent soon */
    uint32_t throttled;        /* sends the adaptive throttle refused */
    uint32_t budget_denied;    /* retries the retry budget refused */
    uint32_t resends;          /* requests sent again on a fresh connection by HTTP (attempts too) */
    uint32_t coalesced;        /* calls that waited for an identical call's attempt instead of their own */
    uint32_t by_class[LLMRES_CLASSES];      /* final result of each call */
    uint32_t attempts_by_class[LLMRES_CLASSES];
    uint32_t status_429, status_529;
    uint32_t first_byte_timeouts;  /* attempts ended by LLM_FIRST_BYTE_TIMEOUT_MS (wrap) */
    uint32_t first_token_timeouts; /* ... by LLM_FIRST_TOKEN_TIMEOUT_MS */
    uint32_t stream_idle_timeouts; /* ... by LLM_STREAM_IDLE_TIMEOUT_MS */
    llmres_cache_t cache;
} llmres_client_t;

/* One thread's working memory: its connections and buffers. */
typedef struct llmres_worker {
    llmres_http_client_t http;
    llmres_http_response_t resp;
    llmres_llm_stream_t stream;  /* a streamed answer's reader; its events live in body[] */
    llmres_llm_result_t lr;      /* what the attempt in progress has read */
    size_t error_len;            /* a streamed call's error body, in body[] */
    uint32_t stream_end_at;      /* when the stream said its last (end or error) */
    char json[LLMRES_CLIENT_JSON_BYTES];
    uint8_t body[LLMRES_CLIENT_BODY_BYTES];
    char auth[LLMRES__AUTH_PREFIX_MAX + LLMRES_MAX_API_KEY + 1]; /* the key with its prefix ("Bearer ") */
    char path[LLMRES_MAX_PATH];        /* the request target */
} llmres_worker_t;

enum { /* llmres_call_t.cache: whether this call's answer may come from, and go to, the cache */
    LLMRES_CALL_CACHE_CONFIG = 0, /* as cfg.cache says (off by default) */
    LLMRES_CALL_CACHE_NO,         /* never */
    LLMRES_CALL_CACHE_YES         /* always (the cache's size and TTL still apply) */
};

/* One request: what to ask, and where the answer goes. Start from llmres_call_init, then
   set what differs: a prompt (or messages) and the text buffer at least. */
typedef struct llmres_call_desc {
    const char *prompt;                  /* one user message; or messages below */
    const char *system;                  /* optional */
    const llmres_llm_message_t *messages; /* a conversation (prompt NULL) */
    size_t message_count;
    uint32_t max_tokens;                 /* 0: the provider's default (Anthropic: 1024) */
    int32_t temperature_milli;           /* -1 (llmres_call_init): not sent; 0..2000 */
    uint32_t timeout_ms;                 /* the whole call; 0: cfg.timeout_ms */
    uint8_t cache;                       /* LLMRES_CALL_CACHE_* (0: the config's policy) */
    char *text;                          /* the answer, NUL-terminated */
    size_t text_cap;
    llmres_text_fn on_text;              /* non-NULL: stream the answer, piece by piece */
    void *user;                          /* for on_text */
} llmres_call_t;

/* A call with every default: no temperature sent, the config's timeout and cache policy.
   prompt may be NULL (set messages instead); text/text_cap take the answer. */
LLMRES_API void llmres_call_init(llmres_call_t *call, const char *prompt, char *text, size_t text_cap);

typedef struct llmres_result {
    llmres_err_t error;   /* LLMRES_OK; a transport error (TIMEOUT, IO, CERT...); PROVIDER when
                             the provider answered with an error (cls and status say which);
                             BAD_BODY for a 2xx that is no answer; TOO_LARGE for an answer
                             longer than text_cap (whole or streamed); OPEN, INVALID */
    int cls;              /* LLMRES_CLASS_* of the last attempt */
    int status;           /* HTTP status of the last attempt, or a negative transport error */
    uint32_t attempts;    /* requests that reached the wire (a resend on a fresh connection too) */
    uint32_t retry_in_ms; /* shed (LIMITED, OPEN, class OVERLOADED): the wait the client
                             needed before it could send; 0 otherwise */
    int provider;         /* index in the chain that answered (or was tried last); -1 none */
    uint8_t cached;
    uint32_t input_tokens, output_tokens;
    size_t text_len;
    uint32_t elapsed_ms;
    char message[160];    /* the provider's error message, if any */
} llmres_result_t;

/* Where a stepped call is (the caller keeps it; zero it before the first step). */
typedef struct llmres_call_state {
    uint32_t phase, started, deadline, wake;
    int provider;
    uint32_t retries;          /* on the current provider */
    uint32_t tokens_charged;   /* the estimate taken from the tokens bucket */
    llmres_backoff_t backoff;
    uint8_t cacheable;
    uint8_t preset;            /* started and deadline were set before the first step */
    uint8_t streamed;          /* text went to on_text: a new attempt starts it over */
    uint32_t t0;               /* the attempt in progress began */
    uint32_t parked;           /* ms waited so far behind breakers and shared waits */
    uint8_t resent;            /* the attempt in progress was sent again: counted */
    uint8_t judged;            /* the throttle let the next attempt through (it judges once) */
    uint8_t lead, follow;      /* 1 + the index of the shared call it leads or follows; 0 none */
    uint32_t refused;          /* providers whose throttle refused this call, a bit each */
    uint8_t why;               /* LLMRES_REJECT_*: what held it, if it is shed */
    uint8_t first_byte;        /* the attempt in progress has had its first byte (counted) */
    uint32_t follow_gen;
    uint32_t sent_at;          /* the attempt's request was all sent then (sent set) */
    uint32_t byte_at;          /* its last byte came then */
    uint8_t sent;
    uint32_t io_wait_ms;       /* how long one step may wait for an answer in I/O (set it
                                  before the first step): 0, the default, never; llmres_call
                                  waits a second per step */
} llmres_call_state_t;

/* Sets the client up: config (NULL: defaults), the chain of providers (1..MAX), the
   port, and an optional TLS transport (needed for https providers). Errors: INVALID. */
#define llmres_client_init(c, port, tls, cfg, providers, count) \
    llmres_client_init_sized((c), (port), (tls), (cfg), (providers), (count), sizeof(*(c)))
LLMRES_API llmres_err_t llmres_client_init_sized(llmres_client_t *c, const llmres_port_t *port, const llmres_transport_t *tls,
                                                 const llmres_config_t *cfg, const llmres_provider_t *providers,
                                                 uint32_t count, size_t struct_size);
/* Prepares a worker (one per thread or task). tls: the worker's own TLS transport (a
   TLS transport is not shared between threads), or NULL for the client's. */
#define llmres_worker_init(w, c, tls) llmres_worker_init_sized((w), (c), (tls), sizeof(*(w)))
LLMRES_API llmres_err_t llmres_worker_init_sized(llmres_worker_t *w, llmres_client_t *c, const llmres_transport_t *tls,
                                                 size_t struct_size);
LLMRES_API void llmres_worker_close(llmres_worker_t *w);

#define LLMRES_CALL_DONE 1
#define LLMRES_CALL_WAIT 0
/* One step of a call: does what it can and returns LLMRES_CALL_DONE (*res is final) or
   LLMRES_CALL_WAIT (*wait_ms: nothing to do until then; a superloop does other work).
   A step waits in I/O at most st->io_wait_ms (0: not at all: it returns WAIT and looks
   again after LLMRES_POLL_MS), for the connect, the TLS handshake and the request as
   for the answer, over a transport that connects in steps (LLMRES_TRANSPORT_ASYNC_OPEN:
   the POSIX port, TLS over it). Over one that does not, a step blocks while it connects
   and sends, never past the call's deadline. */
LLMRES_API int llmres_call_step(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call,
                                llmres_call_state_t *st, llmres_result_t *res, uint32_t *wait_ms);
/* Gives up a stepped call between two steps (a cancel, a shutdown): an exchange in
   progress is closed and its concurrency slot and breaker probe are freed; identical
   calls that waited on it (coalescing) go on their own. *res is left as it is; zero the
   state before the next call. A stepped call must end or be given up with this before
   its llmres_call_t goes away: others may be reading it. */
LLMRES_API void llmres_call_abort(llmres_client_t *c, llmres_worker_t *w, llmres_call_state_t *st);
/* Manual controls, for an operator (any thread). provider -1: every provider of the
   chain. action: LLMRES_CONTROL_RESET (closed, an empty window, the first open period),
   _FORCE_OPEN (refuses every call until reset), _FORCE_CLOSED (admits every call).
   Errors: INVALID. */
enum { LLMRES_CONTROL_RESET = 0, LLMRES_CONTROL_FORCE_OPEN, LLMRES_CONTROL_FORCE_CLOSED };
LLMRES_API llmres_err_t llmres_client_breaker(llmres_client_t *c, int provider, int action);
/* Back to NORMAL with an empty window and no wait (provider -1: all). Errors: INVALID. */
LLMRES_API llmres_err_t llmres_client_overload_clear(llmres_client_t *c, int provider);

/* State that survives deep sleep. A duty-cycled device saves what its client learnt
   before it sleeps (into RTC RAM, flash, a file) and gives it back when it wakes, so that
   it keeps honouring a retry-after or an open breaker instead of hammering the provider:
   each provider's breaker (state, open period and what is left of it), overload detector
   (state, the window's sums) and shared wait (what is left of it), the request and token
   buckets' levels, and the retry budget. The bytes are little-endian whatever the CPU,
   versioned, tied to the chain (its hosts and models) and checksummed.
   llmres_client_snapshot returns the length written, or TOO_LARGE (*needed says how much;
   LLMRES_SNAPSHOT_MAX always does), INVALID. */
#define LLMRES_SNAPSHOT_MAX (24u + LLMRES_MAX_PROVIDERS * 44u)
LLMRES_API int llmres_client_snapshot(llmres_client_t *c, void *buf, size_t cap, size_t *needed);
/* Restores a snapshot into a client just initialised with the same chain. slept_ms: how
   long the device slept since the snapshot, or LLMRES_UNKNOWN: then waits are kept whole
   and buckets get nothing back (the provider is spared, not us). BAD_SNAPSHOT: cut,
   corrupt, another version or another chain: nothing is changed, the client starts
   clean. INVALID: NULL. */
LLMRES_API llmres_err_t llmres_client_restore(llmres_client_t *c, const void *buf, size_t len, uint32_t slept_ms);

/* The blocking call: steps, sleeping through the port between them. Returns res->error. */
LLMRES_API llmres_err_t llmres_call(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call, llmres_result_t *res);

/* ---- statistics: counters, latency percentiles, health, issues, export -------------- */
#if !defined(LLMRES_NO_STATS) && defined(LLMRES_NO_CLIENT)
#define LLMRES_NO_STATS /* it counts what the client does */
#endif
#ifndef LLMRES_NO_STATS
#ifndef LLMRES_HIST_SUB_BITS
#define LLMRES_HIST_SUB_BITS 5   /* 2^5 linear buckets per power of two: a percentile within 1.6 % */
#endif
#ifndef LLMRES_HIST_OCTAVES
#define LLMRES_HIST_OCTAVES 13   /* powers of two above the exact range: up to 262 s at 5 bits */
#endif
#ifndef LLMRES_STATS_SLOTS
#define LLMRES_STATS_SLOTS 5     /* the recent window, in slots of cfg.stats_slot_ms */
#endif
#define LLMRES_HIST_BUCKETS ((LLMRES_HIST_OCTAVES + 1) << LLMRES_HIST_SUB_BITS)

/* A log-linear latency histogram (HdrHistogram's layout): values under 2^SUB_BITS ms
   exact, then 2^SUB_BITS buckets per power of two. Percentiles come back as a bucket's
   middle, within 1 / 2^(SUB_BITS+1) of the exact sample percentile; max is exact. */
typedef struct llmres_hist {
    uint32_t count, max;
    uint64_t sum;                          /* ms, for the mean */
    uint32_t bucket[LLMRES_HIST_BUCKETS];
} llmres_hist_t;

LLMRES_API void llmres_hist_add(llmres_hist_t *h, uint32_t ms);
/* The value under which `permille` thousandths of the samples lie (500: p50, 990: p99);
   0 when empty. */
LLMRES_API uint32_t llmres_hist_percentile(const llmres_hist_t *h, uint32_t permille);
/* Adds every sample of `from` into `into` (histograms of several workers or windows). */
LLMRES_API void llmres_hist_merge(llmres_hist_t *into, const llmres_hist_t *from);

enum { /* why a call ended without reaching the provider */
    LLMRES_REJECT_BUCKET = 0,  /* our own request or token bucket would have waited too long */
    LLMRES_REJECT_THROTTLE,    /* the adaptive throttle */
    LLMRES_REJECT_WAIT,        /* the provider's own wait (retry-after, rate limit) */
    LLMRES_REJECT_BREAKER,     /* breakers open */
    LLMRES_REJECT_QUEUE_FULL,  /* the dispatcher's queue was full */
    LLMRES_REJECT_DISPLACED,   /* pushed out of the queue by a more urgent job */
    LLMRES_REJECT_DEADLINE,    /* its deadline passed before it could be sent */
    LLMRES_REJECT_CAUSES
};

/* What one provider did over a span (the lifetime, or one slot of the recent window). */
typedef struct llmres_counts {
    uint32_t calls, successes, attempts, retries;
    uint32_t errors[LLMRES_CLASSES];       /* calls that ended with this class */
    uint32_t rejected[LLMRES_REJECT_CAUSES];
    uint32_t cache_hits, cache_misses, fallbacks, budget_denied;
    uint32_t breaker_opens;
    uint32_t first_byte_timeouts, first_token_timeouts, stream_idle_timeouts; /* the attempt's own clocks */
    uint32_t reached, reached_ok;          /* calls that reached the provider, and of those answered */
    uint64_t latency_ms;                   /* the sum over the calls that reached the provider */
    uint64_t tokens_in, tokens_out, bytes_out, bytes_in;
} llmres_counts_t;

/* The caller's statistics, attached with llmres_client_stats. Per provider: a recent
   window of LLMRES_STATS_SLOTS slots of counts and two halves of the whole call's latency,
   and what left the window (life, latency), so that each event is counted once; the
   time to first byte of attempts over the lifetime. Read it through the functions below
   (under the client's lock). */
typedef struct llmres_stats {
    uint32_t providers, slot_ms, half_ms, slot_at, head, started, last_log;
    uint32_t recent_at, recent_cur;                /* recent[][cur] fills; the other is the half before */
    llmres_counts_t life[LLMRES_MAX_PROVIDERS];
    llmres_counts_t slot[LLMRES_MAX_PROVIDERS][LLMRES_STATS_SLOTS];
    llmres_hist_t latency[LLMRES_MAX_PROVIDERS];   /* what left recent[] */
    llmres_hist_t first_byte[LLMRES_MAX_PROVIDERS]; /* streamed attempts: sent to first byte */
    llmres_hist_t recent[LLMRES_MAX_PROVIDERS][2]; /* the whole call over the last half window or two */
    llmres_hist_t scratch;                         /* for an export, under the lock: not on a small stack */
    llmres_counts_t scratch_counts;
} llmres_stats_t;

/* Provider p's counts over the lifetime (and its latency histogram: latency may be
   NULL). Errors: INVALID (no stats, p out of range). */
LLMRES_API llmres_err_t llmres_stats_lifetime(llmres_client_t *c, int provider, llmres_counts_t *out, llmres_hist_t *latency);
/* Attaches the caller's statistics to the client, emptied, counting from now
   (llmres_client_stats_sized(c, NULL, 0) detaches them). Errors: INVALID; SIZE_MISMATCH. */
#define llmres_client_stats(c, s) llmres_client_stats_sized((c), (s), sizeof(*(s)))
LLMRES_API llmres_err_t llmres_client_stats_sized(llmres_client_t *c, llmres_stats_t *s, size_t struct_size);

enum { LLMRES_HEALTHY = 0, LLMRES_DEGRADED, LLMRES_CRITICAL };
/* A provider's verdict (provider -1: the chain's) from the recent window, its breaker and
   its overload state, with a 0-100 score in *score; README has the rule. INVALID without
   stats or for a provider out of range. */
LLMRES_API int llmres_health(llmres_client_t *c, int provider, uint32_t *score);
/* "healthy", "degraded", "critical"; "unknown" for anything else. */
LLMRES_API const char *llmres_health_name(int verdict);

enum { /* what llmres_issues finds; each comes with a recommendation */
    LLMRES_ISSUE_DENIALS = 0, LLMRES_ISSUE_FAILURES, LLMRES_ISSUE_SLOW, LLMRES_ISSUE_BREAKER_OPEN,
    LLMRES_ISSUE_BREAKER_FLAPPING, LLMRES_ISSUE_RETRY_BUDGET, LLMRES_ISSUE_THROTTLED, LLMRES_ISSUE_QUOTA,
    LLMRES_ISSUE_AUTHENTICATION, LLMRES_ISSUE_FALLBACK, LLMRES_ISSUE_CACHE_INEFFECTIVE, LLMRES_ISSUE_TYPES
};
typedef struct llmres_issue {
    int provider, type, severity;  /* severity: LLMRES_DEGRADED or LLMRES_CRITICAL */
    uint32_t value;                /* the figure behind it: a percentage, a count, ms */
    const char *recommendation;    /* what to change; a constant string */
} llmres_issue_t;
/* The current issues, at most max of them in out; returns how many there are (which may
   be more than max), or INVALID. */
LLMRES_API int llmres_issues(llmres_client_t *c, llmres_issue_t *out, int max);
LLMRES_API const char *llmres_issue_name(int type);
/* Empties the attached statistics, counting from now. Errors: INVALID. */
LLMRES_API llmres_err_t llmres_stats_reset(llmres_client_t *c);
/* Call it from the firmware's loop (no thread needed): every LLM_STATS_LOG_MS it writes a
   one-line summary through the port's log (health, and per provider calls, success rate,
   p50 and p95, breaker and overload state). Never the key. Returns 1 when it wrote. */
LLMRES_API int llmres_stats_tick(llmres_client_t *c);
#ifndef LLMRES_NO_STATS_EXPORT
/* Everything above as one JSON document in buf, NUL-terminated: returns its length, or
   TOO_LARGE with buf emptied (never a cut document) and *needed (may be NULL) the size
   it needs. The API key is never in it. INVALID without stats. */
LLMRES_API int llmres_stats_json(llmres_client_t *c, char *buf, size_t cap, size_t *needed);
/* The same in the Prometheus text exposition format (counters _total, the latency
   histograms in seconds with _bucket{le}, _sum and _count, HELP and TYPE lines, the
   provider's host as a label), under the same rules. */
LLMRES_API int llmres_stats_prometheus(llmres_client_t *c, char *buf, size_t cap, size_t *needed);
#endif
#endif /* LLMRES_NO_STATS */

/* ---- the dispatcher: many requests through one queue, exactly one result each ------- */
#if !defined(LLMRES_NO_DISPATCH) && defined(LLMRES_NO_QUEUE)
#define LLMRES_NO_DISPATCH /* it is built on the queue */
#endif
#ifndef LLMRES_NO_DISPATCH
#ifndef LLMRES_DISPATCH_SLOTS
#define LLMRES_DISPATCH_SLOTS 4   /* calls in progress at once, one worker each */
#endif

enum { /* where a job is */
    LLMRES_JOB_IDLE = 0,   /* never submitted, or done: may be submitted (again) */
    LLMRES_JOB_QUEUED,     /* waiting for a slot */
    LLMRES_JOB_RUNNING,    /* a slot steps its call */
    LLMRES_JOB_ENDED,      /* result final, on_done not yet called */
    LLMRES_JOB_DONE        /* the caller's again, from just before on_done is called */
};

/* One request of many. The caller owns it (static, global, a pool...) and must not touch
   it from submit until it is done, except to read `state` from the stepping thread. */
typedef struct llmres_job {
    llmres_call_t call;       /* what to ask, where the answer goes; call.timeout_ms is the
                                 job's deadline from submission, time in the queue included
                                 (0: cfg.timeout_ms) */
    uint8_t priority;         /* 0 least urgent .. LLMRES_QUEUE_LEVELS - 1 most urgent */
    void (*on_done)(struct llmres_job *job, void *user); /* exactly once; may be NULL */
    void *user;
    llmres_result_t result;   /* final from LLMRES_JOB_ENDED on. Besides the call's own
                                 results: ERR_TIMEOUT (deadline passed in the queue),
                                 ERR_DISPLACED (pushed out by a more urgent job, class
                                 OVERLOADED), ERR_CANCELLED; attempts 0 for these */
    /* the dispatcher's */
    llmres_call_state_t st;
    struct llmres_job *next;  /* the list of ended jobs */
    uint8_t state, cancel;
} llmres_job_t;

typedef struct llmres_dispatch {
    llmres_client_t *client;
    llmres_worker_t *worker[LLMRES_DISPATCH_SLOTS];
    llmres_job_t *running[LLMRES_DISPATCH_SLOTS];
    uint32_t wake[LLMRES_DISPATCH_SLOTS];
    uint32_t slots;
    llmres_queue_t queue;         /* capacity: cfg.max_queue (at most LLMRES_MAX_QUEUE) */
    llmres_job_t *ended, *ended_tail;
    uint8_t closed;               /* shut down: submits are refused */
    /* optional: called (unlocked) after a submit or a cancel, to wake a stepping thread
       that sleeps on a semaphore, a condition or a task notification; set after init */
    void (*wake_fn)(void *user);
    void *wake_user;
    /* counters (wrap); submitted = completed + expired + displaced + cancelled + shed, once
       every job has ended */
    uint32_t submitted, refused, completed, expired, displaced, cancelled;
    uint32_t shed;                /* ended at submit: no provider could be sent to in time */
} llmres_dispatch_t;

/* Sets a dispatcher up over a client and `count` workers (1..LLMRES_DISPATCH_SLOTS), one
   per slot; up to `count` jobs run at once. Errors: INVALID. */
#define llmres_dispatch_init(d, c, workers, count) llmres_dispatch_init_sized((d), (c), (workers), (count), sizeof(*(d)))
LLMRES_API llmres_err_t llmres_dispatch_init_sized(llmres_dispatch_t *d, llmres_client_t *c, llmres_worker_t *const *workers,
                                                   uint32_t count, size_t struct_size);
/* Queues a job (any thread). OK: it will end exactly once, through on_done. FULL: the
   queue is full of jobs at least as urgent (backpressure); SHUT_DOWN: the dispatcher was
   shut down; INVALID: NULL, a bad priority, timeout_ms over 2^31 - 1, or a job not
   idle/done. The job is not taken on an error and on_done is not called. A job pushed
   out to make room ends with ERR_DISPLACED. A job that no provider of the chain could be
   sent before its deadline, or within shed_wait_ms (a retry-after, open breakers), is not
   queued: it ends at once with LIMITED or OPEN, class OVERLOADED and the wait in
   result.retry_in_ms (on_done at the next step). */
LLMRES_API llmres_err_t llmres_dispatch_submit(llmres_dispatch_t *d, llmres_job_t *job);
/* Asks a job's current submission to end with ERR_CANCELLED (any thread): a queued job
   leaves the queue, a running one ends at its next step, never in the middle of I/O (if
   its call finishes in that step, the call's result stands). OK, or NOT_FOUND when the
   job is not queued or running. */
LLMRES_API llmres_err_t llmres_dispatch_cancel(llmres_dispatch_t *d, llmres_job_t *job);
/* Steps every slot once from one thread: starts queued jobs on free slots, steps running
   calls whose wait is over, ends jobs whose deadline passed in the queue, and runs the
   on_done of every ended job (in this thread, without the lock). Returns the number of
   jobs still queued, running or waiting for on_done (0: idle); *wait_ms: nothing to do
   before then (LLMRES_NEVER when idle; a submit or a cancel from another thread calls
   wake_fn, if set, so a thread sleeping on it can wake up). No step waits for an answer:
   a call whose answer is on its way is looked at again after LLMRES_POLL_MS. Over a
   transport that connects in steps (LLMRES_TRANSPORT_ASYNC_OPEN: the POSIX port, TLS
   over it) no step waits on a name, a connect, a handshake or a send either; over one
   that does not, a step blocks while a call connects and sends its request. */
LLMRES_API int llmres_dispatch_step(llmres_dispatch_t *d, uint32_t *wait_ms);
/* The same for one slot, for a thread (or task) per slot (when connecting must not hold
   up the other slots): each slot is stepped by one thread only. Every ended job's on_done runs in whichever thread steps next, so with
   a thread per slot on_done must be thread-safe (and short: it delays that slot). */
LLMRES_API int llmres_dispatch_step_slot(llmres_dispatch_t *d, uint32_t slot, uint32_t *wait_ms);
/* Steps and sleeps through the port until no job is queued or running. */
LLMRES_API void llmres_dispatch_run(llmres_dispatch_t *d);
/* Ends every queued and running job with ERR_CANCELLED and runs their on_done. Call it
   from the stepping thread (with a thread per slot: after those threads stopped). */
LLMRES_API void llmres_dispatch_shutdown(llmres_dispatch_t *d);
#endif /* LLMRES_NO_DISPATCH */
#endif /* LLMRES_NO_CLIENT */

#ifdef __cplusplus
}
#endif
#endif /* LLMRES_H */

/* ===================================================================================== */
#ifdef LLMRES_IMPLEMENTATION
#ifndef LLMRES__IMPLEMENTED
#define LLMRES__IMPLEMENTED

#if !defined(LLMRES_MEMCPY) || !defined(LLMRES_MEMCMP) || !defined(LLMRES_MEMSET) || !defined(LLMRES_NO_HTTP)
#include <string.h> /* the HTTP and LLM layers also use strlen, strcmp and strchr */
#endif
#ifndef LLMRES_MEMCPY
#define LLMRES_MEMCPY memcpy
#endif
#ifndef LLMRES_MEMCMP
#define LLMRES_MEMCMP memcmp
#endif
#ifndef LLMRES_MEMSET
#define LLMRES_MEMSET memset
#endif

#define LLMRES__NIL 0xFFFFu

/* Keeps a rare path out of its caller, so the common path needs no stack frame; and
   puts a small helper into its callers, where constant arguments fold away. */
#if defined(__GNUC__) || defined(__clang__)
#define LLMRES__COLD static __attribute__((noinline))
#if defined(__OPTIMIZE_SIZE__) /* -Os: one copy, smaller */
#define LLMRES__HOT static
#else
#define LLMRES__HOT static inline __attribute__((always_inline))
#endif
#else
#define LLMRES__COLD static
#define LLMRES__HOT static
#endif

/* ---- util / time ---- */

/* True when time a is at or after time b, across the 32-bit wrap. */
#define llmres__reached(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

LLMRES_API const char *llmres_strerror(int code) {
    switch (code) {
    case LLMRES_OK: return "ok";
    case LLMRES_ERR_INVALID: return "invalid argument";
    case LLMRES_ERR_SIZE_MISMATCH: return "LLMRES_MAX_* differ";
    case LLMRES_ERR_LIMITED: return "rate limited";
    case LLMRES_ERR_TOO_LARGE: return "too large";
    case LLMRES_ERR_OPEN: return "breaker open";
    case LLMRES_ERR_GIVE_UP: return "gave up";
    case LLMRES_ERR_NOT_FOUND: return "not found";
    case LLMRES_ERR_FULL: return "queue full";
    case LLMRES_ERR_SHUT_DOWN: return "dispatcher shut down";
    case LLMRES_ERR_NO_SLOT: return "no free connection slot";
    case LLMRES_ERR_LINK_DOWN: return "network link down";
    case LLMRES_ERR_BAD_SNAPSHOT: return "snapshot corrupt, foreign or of another version";
    case LLMRES_ERR_FIRST_BYTE: return "no first byte in time";
    case LLMRES_ERR_FIRST_TOKEN: return "no first token in time";
    case LLMRES_ERR_STREAM_IDLE: return "stream went quiet";
    case LLMRES_ERR_EMPTY: return "queue empty";
    case LLMRES_ERR_TIMEOUT: return "deadline passed";
    case LLMRES_ERR_DISPLACED: return "displaced";
    case LLMRES_ERR_CANCELLED: return "cancelled";
#ifndef LLMRES_NO_HTTP
    case LLMRES_ERR_CLOSED: return "connection closed by peer";
    case LLMRES_ERR_IO: return "connection failed";
    case LLMRES_ERR_CONNECT: return "could not connect";
    case LLMRES_ERR_DNS: return "host not found";
    case LLMRES_ERR_TLS: return "TLS failure";
    case LLMRES_ERR_CERT: return "certificate rejected";
    case LLMRES_ERR_BAD_HTTP: return "malformed HTTP response";
    case LLMRES_ERR_HEADER_TOO_LONG: return "response header too long";
    case LLMRES_ERR_TOO_MANY_HEADERS: return "too many response headers";
    case LLMRES_ERR_TRUNCATED: return "response cut short";
    case LLMRES_ERR_ABORTED: return "aborted by body callback";
    case LLMRES_ERR_NO_TLS: return "https without a TLS transport";
#endif
    case LLMRES_ERR_BAD_BODY: return "response body is not the provider's answer format";
    case LLMRES_ERR_PROVIDER: return "the provider answered with an error";
    default: return "unknown error";
    }
}

/* ---- xorshift ---- */

/* Marsaglia's xorshift32 (13, 17, 5): period 2^32 - 1 over nonzero states. */
static uint32_t llmres__xorshift(uint32_t x) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

LLMRES_API uint32_t llmres_xorshift32(uint32_t *state) {
    *state = llmres__xorshift(*state ? *state : 0x9E3779B9u);
    return *state;
}

#if !defined(LLMRES_NO_BREAKER) || !defined(LLMRES_NO_BACKOFF)
/* Uniform in [lo, hi] by multiply-shift: no division, bias below 2^-32 per value.
   The state is never 0: init seeds it nonzero and xorshift keeps it so. */
static uint32_t llmres__between(uint32_t *rng, uint32_t lo, uint32_t hi) {
    uint64_t span = (uint64_t)(hi - lo) + 1u;
    *rng = llmres__xorshift(*rng);
    return lo + (uint32_t)(((uint64_t)*rng * span) >> 32);
}
#endif

/* ---- token bucket ---- */
#ifndef LLMRES_NO_BUCKET

/* The level at `now`, without changing the bucket. Time before `last` adds nothing. */
static uint64_t llmres__bucket_level(const llmres_bucket_t *b, uint32_t now) {
    int32_t dt = (int32_t)(now - b->last);
    uint64_t add;
    if (dt <= 0) return b->level;
    add = (uint64_t)(uint32_t)dt * b->rate; /* < 2^64: both factors < 2^32 */
    return add >= b->full - b->level ? b->full : b->level + add;
}

static void llmres__bucket_refill(llmres_bucket_t *b, uint32_t now) {
    int32_t dt = (int32_t)(now - b->last);
    if (dt > 0) {
        b->level = llmres__bucket_level(b, now);
        b->last = now;
        b->draining = 0;
    } else if (dt < 0 && !b->draining) {
        /* the clock stepped back, or silence over 2^31 ms wrapped the difference:
           restart from now rather than wait another 24.8 days */
        b->last = now;
    }
}

/* x units of 1/from converted to units of 1/to, without overflow (x < 2^32 * from). */
static uint64_t llmres__rescale(uint64_t x, uint32_t from, uint32_t to) {
    uint64_t whole = x / from, part = x % from;
    return whole * to + part * to / from;
}

LLMRES_API llmres_err_t llmres_bucket_init(llmres_bucket_t *b, uint32_t now, uint32_t capacity,
                                  uint32_t rate, uint32_t period_ms) {
    if (!b) return LLMRES_ERR_INVALID;
    LLMRES_MEMSET(b, 0, sizeof(*b));
    if (period_ms == 0 || period_ms > 0x7FFFFFFFu) {
        b->period_ms = 1; /* capacity 0: admits nothing, divides by nothing */
        return LLMRES_ERR_INVALID;
    }
    b->capacity = capacity;
    b->rate = rate;
    b->period_ms = period_ms;
    b->full = (uint64_t)capacity * period_ms;
    b->level = b->low = b->full;
    b->last = now;
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_bucket_take(llmres_bucket_t *b, uint32_t now, uint32_t n) {
    uint64_t need, level;
    if (!b) return LLMRES_ERR_INVALID;
    if (n > b->capacity) { b->denied++; return LLMRES_ERR_TOO_LARGE; } /* also: never initialised */
    llmres__bucket_refill(b, now);
    need = (uint64_t)n * b->period_ms;
    level = b->level;
    if (level < need) {
        b->denied++;
        return LLMRES_ERR_LIMITED;
    }
    level -= need;
    b->level = level;
    if (level < b->low) b->low = level;
    b->allowed++;
    return LLMRES_OK;
}

LLMRES_API uint32_t llmres_bucket_wait_ms(const llmres_bucket_t *b, uint32_t now, uint32_t n) {
    uint64_t level, need, ms;
    int32_t until_start;
    if (!b || n > b->capacity) return LLMRES_NEVER;
    level = llmres__bucket_level(b, now);
    need = (uint64_t)n * b->period_ms;
    if (level >= need) return 0;
    if (b->rate == 0) return LLMRES_NEVER;
    ms = (need - level + b->rate - 1) / b->rate;
    until_start = (int32_t)(b->last - now); /* > 0 while draining: refill starts later */
    if (b->draining && until_start > 0) ms += (uint32_t)until_start;
    return ms > 0x7FFFFFFFu ? 0x7FFFFFFFu : (uint32_t)ms;
}

LLMRES_API uint32_t llmres_bucket_available(const llmres_bucket_t *b, uint32_t now) {
    if (!b || !b->period_ms) return 0;
    return (uint32_t)(llmres__bucket_level(b, now) / b->period_ms);
}

LLMRES_API llmres_err_t llmres_bucket_refund(llmres_bucket_t *b, uint32_t now, uint32_t n) {
    uint64_t add;
    if (!b) return LLMRES_ERR_INVALID;
    llmres__bucket_refill(b, now);
    if (b->draining) return LLMRES_OK;
    add = (uint64_t)n * b->period_ms;
    b->level = add >= b->full - b->level ? b->full : b->level + add;
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_bucket_set_rate(llmres_bucket_t *b, uint32_t now, uint32_t capacity,
                                      uint32_t rate, uint32_t period_ms) {
    uint64_t level;
    if (!b || period_ms == 0 || period_ms > 0x7FFFFFFFu || !b->period_ms) return LLMRES_ERR_INVALID;
    llmres__bucket_refill(b, now); /* what accrued so far, at the old rate */
    level = llmres__rescale(b->level, b->period_ms, period_ms);
    b->capacity = capacity;
    b->rate = rate;
    b->period_ms = period_ms;
    b->full = (uint64_t)capacity * period_ms;
    b->level = b->low = level > b->full ? b->full : level; /* peak use restarts here */
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_bucket_drain(llmres_bucket_t *b, uint32_t now, uint32_t until) {
    if (!b) return LLMRES_ERR_INVALID;
    llmres__bucket_refill(b, now);
    b->level = 0; /* not counted as use: peak_used keeps what the device took */
    if (until - now > 0x7FFFFFFFu) until = now; /* in the past, or too far to compare */
    /* keep a later refill start from an earlier drain */
    if ((int32_t)(until - b->last) > 0) {
        b->last = until;
        b->draining = 1;
    }
    return LLMRES_OK;
}

LLMRES_API uint32_t llmres_bucket_peak_used(const llmres_bucket_t *b) {
    if (!b || !b->period_ms) return 0;
    return (uint32_t)((b->full - b->low + b->period_ms - 1) / b->period_ms);
}
#endif /* LLMRES_NO_BUCKET */

/* ---- circuit breaker ---- */
#ifndef LLMRES_NO_BREAKER

LLMRES_API const char *llmres_breaker_state_name(int state) {
    switch (state) {
    case LLMRES_BREAKER_CLOSED: return "closed";
    case LLMRES_BREAKER_OPEN: return "open";
    case LLMRES_BREAKER_HALF_OPEN: return "half-open";
    case LLMRES_BREAKER_FORCED_OPEN: return "forced-open";
    case LLMRES_BREAKER_FORCED_CLOSED: return "forced-closed";
    default: return "unknown";
    }
}

static int llmres__pct_ok(uint32_t pct) { return (pct >= 1 && pct <= 100) || pct == LLMRES_NEVER; }

LLMRES_API llmres_err_t llmres_breaker_init_sized(llmres_breaker_t *b, const llmres_breaker_config_t *cfg,
                                         size_t struct_size) {
    llmres_breaker_config_t *c;
    if (!b) return LLMRES_ERR_INVALID;
    if (struct_size != sizeof(*b)) return LLMRES_ERR_SIZE_MISMATCH;
    /* defaults are filled in place; a bad config leaves the breaker forced open */
    LLMRES_MEMSET(b, 0, sizeof(*b));
    c = &b->cfg;
    if (cfg) *c = *cfg;
    if (!c->failure_threshold) c->failure_threshold = 5;
    if (!c->window) c->window = LLMRES_MAX_BREAKER_WINDOW < 20 ? LLMRES_MAX_BREAKER_WINDOW : 20;
    if (!c->min_calls) c->min_calls = c->window < 10 ? c->window : 10;
    if (!c->failure_rate_pct) c->failure_rate_pct = 50;
    if (!c->slow_rate_pct) c->slow_rate_pct = 50;
    if (!c->open_ms) c->open_ms = 30000;
    if (!c->max_open_ms) c->max_open_ms = c->open_ms > 300000 ? c->open_ms : 300000;
    if (!c->probes) c->probes = 1;
    if (!c->close_after) c->close_after = c->probes;
    if (!c->slow_call_ms) c->slow_call_ms = LLMRES_NEVER; /* one compare decides "slow" */
    if (c->window > LLMRES_MAX_BREAKER_WINDOW || c->min_calls > c->window || c->probes > c->window ||
        !llmres__pct_ok(c->failure_rate_pct) || !llmres__pct_ok(c->slow_rate_pct) ||
        c->max_open_ms < c->open_ms || c->max_open_ms > 0x7FFFFFFFu || c->jitter_pct > 100) {
        LLMRES_MEMSET(b, 0, sizeof(*b));
        b->state = LLMRES_BREAKER_FORCED_OPEN; /* refuses every call, records nothing */
        return LLMRES_ERR_INVALID;
    }
    b->open_period = b->open_for = c->open_ms; /* state: CLOSED (0) */
    b->rng = c->seed ? c->seed : 0x6A09E667u;
    return LLMRES_OK;
}

static void llmres__breaker_clear_window(llmres_breaker_t *b) {
    LLMRES_MEMSET(b->ring, 0, sizeof(b->ring));
    b->head = b->calls = b->failures = b->slow = b->consecutive = 0;
}

static void llmres__breaker_go(llmres_breaker_t *b, uint32_t to, uint32_t now) {
    uint32_t from = b->state;
    if (from == to) return;
    b->state = to;
    b->transitions[to]++;
    if (to == LLMRES_BREAKER_OPEN) {
        b->opened_at = now;
        b->open_for = b->open_period;
        if (b->cfg.jitter_pct) /* less a uniform share of up to jitter_pct % */
            b->open_for -= llmres__between(&b->rng, 0, b->open_period / 100u * b->cfg.jitter_pct); /* 32-bit: no helper */
    } else if (to == LLMRES_BREAKER_HALF_OPEN) {
        b->in_flight = b->probe_successes = 0;
        b->probe_at = now;
    } else {
        llmres__breaker_clear_window(b);
        if (to == LLMRES_BREAKER_CLOSED) b->open_period = b->cfg.open_ms;
    }
    if (b->cfg.on_change) b->cfg.on_change(b->cfg.user, (int)from, (int)to, now);
}

LLMRES__COLD int llmres__breaker_allow_other(llmres_breaker_t *b, uint32_t now) {
    switch (b->state) {
    case LLMRES_BREAKER_CLOSED:
    case LLMRES_BREAKER_FORCED_CLOSED:
        return LLMRES_OK;
    case LLMRES_BREAKER_OPEN:
        /* unsigned elapsed time: right for any gap under 49.7 days, even with no call
           for longer than 2^31 ms */
        if (now - b->opened_at < b->open_for) break;
        llmres__breaker_go(b, LLMRES_BREAKER_HALF_OPEN, now);
        if (b->state != LLMRES_BREAKER_HALF_OPEN) { /* the change hook moved it on */
            if (b->state == LLMRES_BREAKER_CLOSED || b->state == LLMRES_BREAKER_FORCED_CLOSED) return LLMRES_OK;
            break;
        }
        /* fall through */
    case LLMRES_BREAKER_HALF_OPEN:
        if (b->in_flight >= b->cfg.probes) {
            /* probes admitted but never recorded are given up after an open period */
            if (now - b->probe_at < b->open_period) break;
            b->in_flight = 0;
        }
        b->in_flight++;
        b->probe_at = now;
        return LLMRES_OK;
    default:
        break;
    }
    b->rejected++;
    return LLMRES_ERR_OPEN;
}

LLMRES_API llmres_err_t llmres_breaker_allow(llmres_breaker_t *b, uint32_t now) {
    if (!b) return LLMRES_ERR_INVALID;
    if (b->state == LLMRES_BREAKER_CLOSED) return LLMRES_OK;
    return (llmres_err_t)llmres__breaker_allow_other(b, now);
}

/* Over the threshold: count * 100 >= pct * calls. No product overflows 32 bits:
   calls <= window <= 65535 and pct <= 100 once LLMRES_NEVER is ruled out. */
static int llmres__over(uint32_t count, uint32_t pct, uint32_t calls) {
    return pct != LLMRES_NEVER && count * 100u >= pct * calls;
}

/* The closed state's window after a call whose outcome bits (1 failure, 2 slow) replaced
   `old` in the ring; opens the breaker when a threshold is crossed. */
static void llmres__breaker_judge(llmres_breaker_t *b, uint32_t now, uint32_t bits, uint32_t old) {
    b->failures += (bits & 1u) - (old & 1u);
    b->slow += (bits >> 1) - (old >> 1);
    if (b->calls < b->cfg.window) b->calls++;
    b->consecutive = (bits & 1u) ? b->consecutive + 1u : 0;
    /* a rate can only rise on a failure or slow call, or when min_calls is reached */
    if ((bits || b->calls == b->cfg.min_calls) &&
        (b->consecutive >= b->cfg.failure_threshold ||
         (b->calls >= b->cfg.min_calls &&
          (llmres__over(b->failures, b->cfg.failure_rate_pct, b->calls) ||
           llmres__over(b->slow, b->cfg.slow_rate_pct, b->calls)))))
        llmres__breaker_go(b, LLMRES_BREAKER_OPEN, now);
}

LLMRES__COLD int llmres__breaker_record_other(llmres_breaker_t *b, uint32_t now, int outcome,
                                              uint32_t latency_ms) {
    uint32_t bits, old;
    if ((unsigned)outcome > LLMRES_OUTCOME_IGNORED) return LLMRES_ERR_INVALID;
    bits = (uint32_t)(outcome == LLMRES_OUTCOME_FAILURE) | (uint32_t)(latency_ms > b->cfg.slow_call_ms) << 1;
    if (b->state == LLMRES_BREAKER_CLOSED) {
        if (outcome == LLMRES_OUTCOME_IGNORED) return LLMRES_OK;
        old = b->ring[b->head];        /* 0 while the window fills */
        b->ring[b->head] = (uint8_t)bits;
        if (++b->head >= b->cfg.window) b->head = 0;
        llmres__breaker_judge(b, now, bits, old);
    } else if (b->state == LLMRES_BREAKER_HALF_OPEN) {
        if (b->in_flight) b->in_flight--;
        if (outcome == LLMRES_OUTCOME_IGNORED) return LLMRES_OK;
        if (bits) { /* failed or slow: still sick */
            uint32_t grown = b->open_period * 2u;
            b->open_period = grown > b->cfg.max_open_ms ? b->cfg.max_open_ms : grown;
            llmres__breaker_go(b, LLMRES_BREAKER_OPEN, now);
        } else if (++b->probe_successes >= b->cfg.close_after) {
            llmres__breaker_go(b, LLMRES_BREAKER_CLOSED, now);
        }
    }
    /* open or forced: a late outcome of a call admitted earlier changes nothing */
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_breaker_record(llmres_breaker_t *b, uint32_t now, int outcome, uint32_t latency_ms) {
    if (!b) return LLMRES_ERR_INVALID;
    /* the common case: closed, a full window, a good call replacing a good call */
    if (outcome == LLMRES_OUTCOME_SUCCESS && b->state == LLMRES_BREAKER_CLOSED &&
        latency_ms <= b->cfg.slow_call_ms && b->calls == b->cfg.window && b->ring[b->head] == 0) {
        if (++b->head >= b->cfg.window) b->head = 0; /* >=: safe even never initialised */
        b->consecutive = 0;
        return LLMRES_OK;
    }
    return (llmres_err_t)llmres__breaker_record_other(b, now, outcome, latency_ms);
}

LLMRES_API uint32_t llmres_breaker_retry_in(const llmres_breaker_t *b, uint32_t now) {
    uint32_t since;
    if (!b) return LLMRES_NEVER;
    switch (b->state) {
    case LLMRES_BREAKER_OPEN:
        return now - b->opened_at >= b->open_for ? 0 : b->open_for - (now - b->opened_at);
    case LLMRES_BREAKER_HALF_OPEN:
        if (b->in_flight < b->cfg.probes) return 0;
        since = b->probe_at;
        break;
    case LLMRES_BREAKER_FORCED_OPEN: return LLMRES_NEVER;
    default: return 0;
    }
    return now - since >= b->open_period ? 0 : b->open_period - (now - since);
}

LLMRES_API int llmres_breaker_state(const llmres_breaker_t *b) {
    return b ? (int)b->state : LLMRES_ERR_INVALID;
}

LLMRES_API llmres_err_t llmres_breaker_force_open(llmres_breaker_t *b, uint32_t now) {
    if (!b) return LLMRES_ERR_INVALID;
    llmres__breaker_go(b, LLMRES_BREAKER_FORCED_OPEN, now);
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_breaker_force_closed(llmres_breaker_t *b, uint32_t now) {
    if (!b) return LLMRES_ERR_INVALID;
    llmres__breaker_go(b, LLMRES_BREAKER_FORCED_CLOSED, now);
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_breaker_reset(llmres_breaker_t *b, uint32_t now) {
    if (!b) return LLMRES_ERR_INVALID;
    llmres__breaker_go(b, LLMRES_BREAKER_CLOSED, now);
    llmres__breaker_clear_window(b); /* also when it was closed already */
    b->open_period = b->cfg.open_ms;
    return LLMRES_OK;
}
#endif /* LLMRES_NO_BREAKER */

/* ---- backoff ---- */
#ifndef LLMRES_NO_BACKOFF

LLMRES_API llmres_err_t llmres_backoff_init(llmres_backoff_t *b, const llmres_backoff_config_t *cfg) {
    llmres_backoff_config_t *c;
    if (!b) return LLMRES_ERR_INVALID;
    /* defaults are filled in place: after INVALID the backoff is unusable until a good init */
    LLMRES_MEMSET(b, 0, sizeof(*b));
    c = &b->cfg;
    if (cfg) *c = *cfg;
    if (!c->base_ms) c->base_ms = 500;
    if (!c->cap_ms) c->cap_ms = c->base_ms > 32000 ? c->base_ms : 32000;
    if (!c->hint_max_ms) c->hint_max_ms = 60000;
    if (!c->max_retries) c->max_retries = LLMRES_NEVER;
    if (c->cap_ms > 0x7FFFFFFFu || c->hint_max_ms > 0x7FFFFFFFu || c->base_ms > c->cap_ms ||
        c->jitter > LLMRES_JITTER_NONE) {
        LLMRES_MEMSET(b, 0, sizeof(*b)); /* retries_left 0: every next() gives up */
        return LLMRES_ERR_INVALID;
    }
    b->rng = c->seed ? c->seed : 0x2545F491u;
    b->step = b->prev = c->base_ms;
    b->retries_left = c->max_retries;
    return LLMRES_OK;
}

/* Draws the next delay, at least `floor`; commits it unless it would end past the
   deadline. Inlined twice: with floor 0 the compare vanishes from the common path. */
LLMRES__HOT int32_t llmres__backoff_draw(llmres_backoff_t *b, uint32_t floor, uint32_t remaining_ms) {
    uint32_t exp, lo = 0, hi, delay;
    if (!b->retries_left) return LLMRES_ERR_GIVE_UP;
    exp = hi = b->step;
    /* each jitter mode is one uniform draw over its own range; full jitter is [0, exp] */
    if (b->cfg.jitter != LLMRES_JITTER_FULL) {
        if (b->cfg.jitter == LLMRES_JITTER_EQUAL) {
            lo = exp - exp / 2u;
        } else if (b->cfg.jitter == LLMRES_JITTER_DECORRELATED) {
            lo = b->cfg.base_ms;
            hi = b->prev > b->cfg.cap_ms / 3u ? b->cfg.cap_ms : b->prev * 3u;
            if (hi < lo) hi = lo;
        } else {
            lo = exp;
        }
    }
    delay = llmres__between(&b->rng, lo, hi);
    if (delay < floor) { /* after the server's instant, spread out; never past the deadline */
        if (floor > remaining_ms) return LLMRES_ERR_GIVE_UP;
        delay = floor + delay / 4u;
        if (delay > remaining_ms) delay = remaining_ms;
    }
    if (delay > remaining_ms) return LLMRES_ERR_GIVE_UP;
    b->prev = delay;
    b->retries_left--;
    exp *= 2u; /* no overflow: exp <= cap_ms < 2^31 */
    b->step = exp > b->cfg.cap_ms ? b->cfg.cap_ms : exp;
    return (int32_t)delay;
}

/* With a server hint: give up if it is longer than we may wait, else floor at it. */
LLMRES__COLD int32_t llmres__backoff_hinted(llmres_backoff_t *b, uint32_t hint_ms, uint32_t remaining_ms) {
    if (hint_ms > b->cfg.hint_max_ms) return LLMRES_ERR_GIVE_UP;
    return llmres__backoff_draw(b, hint_ms, remaining_ms);
}

LLMRES_API int32_t llmres_backoff_next(llmres_backoff_t *b, uint32_t hint_ms, uint32_t remaining_ms) {
    if (!b) return LLMRES_ERR_INVALID;
    if (hint_ms) return llmres__backoff_hinted(b, hint_ms, remaining_ms);
    return llmres__backoff_draw(b, 0, remaining_ms);
}

LLMRES_API void llmres_backoff_reset(llmres_backoff_t *b) {
    if (!b) return;
    b->retries_left = b->cfg.max_retries;
    b->step = b->prev = b->cfg.base_ms;
}
#endif /* LLMRES_NO_BACKOFF */

/* ---- overload detector and adaptive throttle ---- */
#ifndef LLMRES_NO_OVERLOAD

LLMRES_API const char *llmres_overload_state_name(int state) {
    switch (state) {
    case LLMRES_OVERLOAD_NORMAL: return "normal";
    case LLMRES_OVERLOAD_WARNING: return "warning";
    case LLMRES_OVERLOAD_CRITICAL: return "critical";
    case LLMRES_OVERLOAD_RECOVERING: return "recovering";
    default: return "unknown";
    }
}

LLMRES_API llmres_err_t llmres_overload_init(llmres_overload_t *o, const llmres_overload_config_t *cfg, uint32_t now) {
    llmres_overload_config_t *c;
    if (!o) return LLMRES_ERR_INVALID;
    LLMRES_MEMSET(o, 0, sizeof(*o));
    c = &o->cfg;
    if (cfg) *c = *cfg;
    if (!c->window_ms) c->window_ms = 600000;
    if (!c->warn_pct) c->warn_pct = 10;
    if (!c->critical_pct) c->critical_pct = 50;
    if (!c->min_answers) c->min_answers = 4;
    if (!c->critical_run) c->critical_run = 3;
    if (!c->recover_ms) c->recover_ms = 10000;
    if (!c->k_milli) c->k_milli = 1200;
    o->since = o->slot_at = now;
    if (c->warn_pct > 100 || c->critical_pct > 100 || c->warn_pct > c->critical_pct ||
        c->window_ms > 0x7FFFFFFFu || c->window_ms < LLMRES_OVERLOAD_SLOTS || c->recover_ms > 0x7FFFFFFFu) {
        c->k_milli = LLMRES_NEVER; /* never throttles; NORMAL stays */
        c->warn_pct = c->critical_pct = 101;
        c->window_ms = 600000;
        return LLMRES_ERR_INVALID;
    }
    return LLMRES_OK;
}

static void llmres__overload_go(llmres_overload_t *o, uint32_t to, uint32_t now) {
    uint32_t from = o->state;
    if (from == to) return;
    o->time_in[from] += now - o->since;
    o->state = to;
    o->since = now;
    o->transitions[to]++;
    if (o->cfg.on_change) o->cfg.on_change(o->cfg.user, (int)from, (int)to, now);
}

/* Slides the window to now: whole slots that ended are dropped, oldest first. */
static void llmres__overload_slide(llmres_overload_t *o, uint32_t now) {
    uint32_t slot = o->cfg.window_ms / LLMRES_OVERLOAD_SLOTS, n = 0;
    while (now - o->slot_at >= slot && n++ < LLMRES_OVERLOAD_SLOTS) {
        uint32_t h = o->head = (o->head + 1u) % LLMRES_OVERLOAD_SLOTS;
        o->requests -= o->slot_requests[h];
        o->answers -= o->slot_answers[h];
        o->signals -= o->slot_signals[h];
        o->slot_requests[h] = o->slot_answers[h] = o->slot_signals[h] = 0;
        o->slot_at += slot;
    }
    if (now - o->slot_at >= slot) o->slot_at = now; /* a silence longer than the window */
    if (o->deferred && now - o->deferred_at >= o->hold) o->deferred = 0; /* over: never read again */
    if (!o->signals) o->run = 0;
    if ((o->state == LLMRES_OVERLOAD_WARNING || o->state == LLMRES_OVERLOAD_CRITICAL) && !o->signals)
        llmres__overload_go(o, LLMRES_OVERLOAD_RECOVERING, now);
    if (o->state == LLMRES_OVERLOAD_RECOVERING && !o->signals && now - o->last_signal >= o->cfg.recover_ms)
        llmres__overload_go(o, LLMRES_OVERLOAD_NORMAL, now);
}

/* 2 critical, 1 warning, 0 neither, from the window's rates (or, with few answers, any
   signal and the run). */
static uint32_t llmres__overload_level(const llmres_overload_t *o) {
    const llmres_overload_config_t *c = &o->cfg;
    if (o->run >= c->critical_run) return 2;
    if (o->answers < c->min_answers) return o->signals ? 1u : 0u;
    if ((uint64_t)o->signals * 100u >= (uint64_t)c->critical_pct * o->answers) return 2;
    return o->signals && (uint64_t)o->signals * 100u >= (uint64_t)c->warn_pct * o->answers ? 1u : 0u;
}

LLMRES_API llmres_err_t llmres_overload_record(llmres_overload_t *o, uint32_t now, int overloaded) {
    uint32_t level;
    if (!o) return LLMRES_ERR_INVALID;
    llmres__overload_slide(o, now);
    o->answers++;
    o->slot_answers[o->head]++;
    if (overloaded) {
        o->signals++;
        o->slot_signals[o->head]++;
        o->run++;
        o->last_signal = now;
    } else {
        o->run = 0;
    }
    level = llmres__overload_level(o);
    if (level == 2) llmres__overload_go(o, LLMRES_OVERLOAD_CRITICAL, now);
    else if (level == 1 && overloaded && o->state != LLMRES_OVERLOAD_CRITICAL) llmres__overload_go(o, LLMRES_OVERLOAD_WARNING, now);
    else if (!overloaded && level < (o->state == LLMRES_OVERLOAD_CRITICAL ? 2u : 1u) &&
             (o->state == LLMRES_OVERLOAD_WARNING || o->state == LLMRES_OVERLOAD_CRITICAL))
        llmres__overload_go(o, LLMRES_OVERLOAD_RECOVERING, now);
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_overload_admit(llmres_overload_t *o, uint32_t now, uint32_t random) {
    uint32_t r, a, gap;
    uint64_t allowed;
    if (!o) return LLMRES_ERR_INVALID;
    llmres__overload_slide(o, now);
    o->requests++;
    o->slot_requests[o->head]++;
    /* it judges from a ratio: not on a handful of answers, unless they came as a run */
    if (o->state == LLMRES_OVERLOAD_NORMAL || o->cfg.k_milli == LLMRES_NEVER ||
        (o->answers < o->cfg.min_answers && o->state != LLMRES_OVERLOAD_CRITICAL))
        return LLMRES_OK;
    r = o->requests;
    a = o->answers - o->signals + 1u; /* one accept assumed: a refusal among a few answers is weak evidence */
    while (r >= (1u << 20)) { r >>= 1; a >>= 1; } /* the ratio is what counts; keeps the products in range */
    allowed = (uint64_t)o->cfg.k_milli * a;
    if (allowed >= (uint64_t)r * 1000u) return LLMRES_OK;
    gap = r * 1000u - (uint32_t)allowed;
    /* refuse when a uniform draw over (requests + 1) thousandths falls below the gap */
    if ((((uint64_t)(random >> 2) * ((r + 1u) * 1000u)) >> 30) >= gap) return LLMRES_OK;
    o->throttled++;
    return LLMRES_ERR_LIMITED;
}

LLMRES_API llmres_err_t llmres_overload_defer(llmres_overload_t *o, uint32_t now, uint32_t until) {
    if (!o) return LLMRES_ERR_INVALID;
    if (until - now > 0x7FFFFFFFu) return LLMRES_OK; /* at or before now: nothing to hold */
    if (until - now > llmres_overload_wait_ms(o, now)) { /* the later instant holds */
        o->deferred_at = now;
        o->hold = until - now;
        o->deferred = 1;
    }
    return LLMRES_OK;
}

LLMRES_API uint32_t llmres_overload_wait_ms(const llmres_overload_t *o, uint32_t now) {
    uint32_t since;
    if (!o || !o->deferred) return 0;
    since = now - o->deferred_at; /* unsigned: right for 49.7 days, however the clock wraps */
    return since < o->hold ? o->hold - since : 0;
}

LLMRES_API int llmres_overload_state(llmres_overload_t *o, uint32_t now) {
    if (!o) return LLMRES_ERR_INVALID;
    llmres__overload_slide(o, now);
    return (int)o->state;
}

LLMRES_API llmres_err_t llmres_overload_clear(llmres_overload_t *o, uint32_t now) {
    if (!o) return LLMRES_ERR_INVALID;
    llmres__overload_go(o, LLMRES_OVERLOAD_NORMAL, now);
    o->requests = o->answers = o->signals = o->run = o->deferred = 0;
    LLMRES_MEMSET(o->slot_requests, 0, sizeof(o->slot_requests));
    LLMRES_MEMSET(o->slot_answers, 0, sizeof(o->slot_answers));
    LLMRES_MEMSET(o->slot_signals, 0, sizeof(o->slot_signals));
    o->slot_at = now;
    return LLMRES_OK;
}
#endif /* LLMRES_NO_OVERLOAD */

/* ---- LRU cache ---- */
#ifndef LLMRES_NO_CACHE

/* A word-at-a-time multiplicative hash. It only spreads entries over buckets: every hit
   is confirmed by comparing the whole key, so a collision costs time, never correctness. */
#if SIZE_MAX > 0xFFFFFFFFu
static uint32_t llmres__hash(const uint8_t *p, uint32_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n, w;
    for (; n >= 8; p += 8, n -= 8) {
        LLMRES_MEMCPY(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h = (h << 31) | (h >> 33);
    }
    if (n) {
        w = 0;
        LLMRES_MEMCPY(&w, p, n);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    }
    h ^= h >> 32;
    h *= 0x94D049BB133111EBull;
    return (uint32_t)(h >> 32);
}
#else
static uint32_t llmres__hash(const uint8_t *p, uint32_t n) {
    uint32_t h = 0x9E3779B9u ^ n, w;
    for (; n >= 4; p += 4, n -= 4) {
        LLMRES_MEMCPY(&w, p, 4);
        h = (h ^ w) * 0x85EBCA6Bu;
        h = (h << 15) | (h >> 17);
    }
    if (n) {
        w = 0;
        LLMRES_MEMCPY(&w, p, n);
        h = (h ^ w) * 0x85EBCA6Bu;
    }
    h ^= h >> 16;
    h *= 0xC2B2AE35u;
    return h ^ (h >> 13);
}
#endif

LLMRES_API llmres_err_t llmres_cache_init_sized(llmres_cache_t *c, uint32_t max_entry_bytes, size_t struct_size) {
    uint32_t i;
    if (!c) return LLMRES_ERR_INVALID;
    if (struct_size != sizeof(*c)) return LLMRES_ERR_SIZE_MISMATCH;
    /* the arena is left as it is: no need to clear 8 KB */
    LLMRES_MEMSET(c, 0, offsetof(llmres_cache_t, arena));
    for (i = 0; i < LLMRES_MAX_CACHE_ENTRIES; i++) c->entry[i].lru_next = (uint16_t)(i + 1);
    c->entry[LLMRES_MAX_CACHE_ENTRIES - 1].lru_next = LLMRES__NIL; /* free list via lru_next */
    for (i = 0; i < LLMRES_CACHE_BLOCKS; i++) c->block_next[i] = (uint16_t)(i + 1);
    c->block_next[LLMRES_CACHE_BLOCKS - 1] = LLMRES__NIL;
    for (i = 0; i < LLMRES_CACHE_HASH_BUCKETS; i++) c->bucket[i] = LLMRES__NIL;
    c->lru_head = c->lru_tail = LLMRES__NIL;
    c->free_entry = 0;
    c->free_block = 0;
    c->free_blocks = LLMRES_CACHE_BLOCKS;
    c->max_entry_bytes = (max_entry_bytes == 0 || max_entry_bytes > LLMRES_CACHE_BLOCKS * LLMRES_CACHE_BLOCK_BYTES)
                             ? (uint32_t)(LLMRES_CACHE_BLOCKS * LLMRES_CACHE_BLOCK_BYTES) : max_entry_bytes;
    return LLMRES_OK;
}

/* Walks an entry's chain. mode 0 copies arena -> buf, 1 copies buf -> arena,
   2 compares (returns nonzero on a difference). `skip` bytes of the chain are passed first. */
static int llmres__chain(llmres_cache_t *c, uint32_t blk, uint32_t skip, uint8_t *buf, uint32_t len, int mode) {
    const uint32_t B = LLMRES_CACHE_BLOCK_BYTES;
    while (skip >= B) { blk = c->block_next[blk]; skip -= B; }
    while (len) {
        uint8_t *at = c->arena + (size_t)blk * B + skip;
        uint32_t n = B - skip < len ? B - skip : len;
        if (mode == 0) LLMRES_MEMCPY(buf, at, n);
        else if (mode == 1) LLMRES_MEMCPY(at, buf, n);
        else if (LLMRES_MEMCMP(buf, at, n) != 0) return 1;
        buf += n;
        len -= n;
        skip = 0;
        blk = c->block_next[blk];
    }
    return 0;
}

static void llmres__lru_unlink(llmres_cache_t *c, uint32_t i) {
    llmres_cache_entry_t *e = &c->entry[i];
    if (e->lru_prev != LLMRES__NIL) c->entry[e->lru_prev].lru_next = e->lru_next; else c->lru_head = e->lru_next;
    if (e->lru_next != LLMRES__NIL) c->entry[e->lru_next].lru_prev = e->lru_prev; else c->lru_tail = e->lru_prev;
}

static void llmres__lru_push_front(llmres_cache_t *c, uint32_t i) {
    llmres_cache_entry_t *e = &c->entry[i];
    e->lru_prev = LLMRES__NIL;
    e->lru_next = c->lru_head;
    if (c->lru_head != LLMRES__NIL) c->entry[c->lru_head].lru_prev = (uint16_t)i; else c->lru_tail = (uint16_t)i;
    c->lru_head = (uint16_t)i;
}

static uint32_t llmres__cache_find(llmres_cache_t *c, uint32_t h, const uint8_t *key, uint32_t key_len) {
    uint32_t i = c->bucket[h & (LLMRES_CACHE_HASH_BUCKETS - 1)];
    while (i != LLMRES__NIL) {
        const llmres_cache_entry_t *e = &c->entry[i];
        if (e->hash == h && e->key_len == key_len &&
            (key_len == 0 || llmres__chain(c, e->first_block, 0, (uint8_t *)(uintptr_t)key, key_len, 2) == 0))
            return i;
        i = e->hash_next;
    }
    return LLMRES__NIL;
}

static void llmres__cache_unlink_remove(llmres_cache_t *c, uint32_t i) {
    llmres_cache_entry_t *e = &c->entry[i];
    uint16_t *link = &c->bucket[e->hash & (LLMRES_CACHE_HASH_BUCKETS - 1)];
    uint32_t blk = e->first_block;
    uint32_t total = e->key_len + e->value_len;
    while (*link != i) link = &c->entry[*link].hash_next;
    *link = e->hash_next;
    llmres__lru_unlink(c, i);
    /* return the chain to the free list */
    while (blk != LLMRES__NIL) {
        uint32_t next = c->block_next[blk];
        c->block_next[blk] = c->free_block;
        c->free_block = (uint16_t)blk;
        c->free_blocks++;
        blk = next;
    }
    c->bytes_used -= total;
    c->entries--;
    e->in_use = 0;
    e->lru_next = c->free_entry;
    c->free_entry = (uint16_t)i;
}

LLMRES_API llmres_err_t llmres_cache_get(llmres_cache_t *c, uint32_t now, const void *key, uint32_t key_len,
                                void *out, uint32_t out_cap, uint32_t *value_len) {
    uint32_t i;
    llmres_cache_entry_t *e;
    if (!c || (!key && key_len) || !value_len || (!out && out_cap)) return LLMRES_ERR_INVALID;
    i = llmres__cache_find(c, llmres__hash((const uint8_t *)key, key_len), (const uint8_t *)key, key_len);
    if (i == LLMRES__NIL) { c->misses++; return LLMRES_ERR_NOT_FOUND; }
    e = &c->entry[i];
    if (e->has_ttl && llmres__reached(now, e->expires)) {
        llmres__cache_unlink_remove(c, i);
        c->expirations++;
        c->misses++;
        return LLMRES_ERR_NOT_FOUND;
    }
    *value_len = e->value_len;
    if (e->value_len > out_cap) return LLMRES_ERR_TOO_LARGE;
    llmres__chain(c, e->first_block, e->key_len, (uint8_t *)out, e->value_len, 0);
    if (c->lru_head != i) { llmres__lru_unlink(c, i); llmres__lru_push_front(c, i); }
    c->hits++;
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_cache_put(llmres_cache_t *c, uint32_t now, const void *key, uint32_t key_len,
                                const void *value, uint32_t value_len, uint32_t ttl_ms) {
    const uint32_t B = LLMRES_CACHE_BLOCK_BYTES;
    uint32_t h, total, need, k;
    uint32_t i, first, blk;
    llmres_cache_entry_t *e;
    if (!c || (!key && key_len) || (!value && value_len) || ttl_ms > 0x7FFFFFFFu) return LLMRES_ERR_INVALID;
    if (key_len > c->max_entry_bytes || value_len > c->max_entry_bytes - key_len) return LLMRES_ERR_TOO_LARGE;
    total = key_len + value_len;
    need = (total + B - 1) / B;
    h = llmres__hash((const uint8_t *)key, key_len);
    i = llmres__cache_find(c, h, (const uint8_t *)key, key_len);
    if (i != LLMRES__NIL) llmres__cache_unlink_remove(c, i);
    while (c->free_entry == LLMRES__NIL || c->free_blocks < need) {
        llmres__cache_unlink_remove(c, c->lru_tail); /* need <= all blocks, so this ends */
        c->evictions++;
    }
    i = c->free_entry;
    e = &c->entry[i];
    c->free_entry = e->lru_next;
    /* take `need` blocks off the free list; the chain keeps their order */
    first = need ? c->free_block : LLMRES__NIL;
    blk = c->free_block;
    for (k = 1; k < need; k++) blk = c->block_next[blk];
    if (need) {
        c->free_block = c->block_next[blk];
        c->block_next[blk] = LLMRES__NIL;
        c->free_blocks -= need;
    }
    e->hash = h;
    e->key_len = key_len;
    e->value_len = value_len;
    e->first_block = (uint16_t)first;
    e->has_ttl = ttl_ms != 0;
    e->expires = now + ttl_ms;
    e->in_use = 1;
    if (key_len) llmres__chain(c, first, 0, (uint8_t *)(uintptr_t)key, key_len, 1);
    if (value_len) llmres__chain(c, first, key_len, (uint8_t *)(uintptr_t)value, value_len, 1);
    e->hash_next = c->bucket[h & (LLMRES_CACHE_HASH_BUCKETS - 1)];
    c->bucket[h & (LLMRES_CACHE_HASH_BUCKETS - 1)] = (uint16_t)i;
    llmres__lru_push_front(c, i);
    c->entries++;
    c->bytes_used += total;
    c->inserts++;
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_cache_remove(llmres_cache_t *c, const void *key, uint32_t key_len) {
    uint32_t i;
    if (!c || (!key && key_len)) return LLMRES_ERR_INVALID;
    i = llmres__cache_find(c, llmres__hash((const uint8_t *)key, key_len), (const uint8_t *)key, key_len);
    if (i == LLMRES__NIL) return LLMRES_ERR_NOT_FOUND;
    llmres__cache_unlink_remove(c, i);
    return LLMRES_OK;
}

LLMRES_API int llmres_cache_purge(llmres_cache_t *c, uint32_t now) {
    uint32_t i;
    int n = 0;
    if (!c) return LLMRES_ERR_INVALID;
    for (i = 0; i < LLMRES_MAX_CACHE_ENTRIES; i++) {
        llmres_cache_entry_t *e = &c->entry[i];
        if (e->in_use && e->has_ttl && llmres__reached(now, e->expires)) {
            llmres__cache_unlink_remove(c, i);
            c->expirations++;
            n++;
        }
    }
    return n;
}
#endif /* LLMRES_NO_CACHE */

/* ---- priority queue ---- */
#ifndef LLMRES_NO_QUEUE
/* One singly linked FIFO per level. Removal away from the head happens only on paths
   that walk the list anyway (expiry, cancel, displacement when full), so no prev links. */

LLMRES_API llmres_err_t llmres_queue_init_sized(llmres_queue_t *q, uint32_t capacity, size_t struct_size) {
    uint32_t i;
    if (!q || capacity > LLMRES_MAX_QUEUE) return LLMRES_ERR_INVALID;
    if (struct_size != sizeof(*q)) return LLMRES_ERR_SIZE_MISMATCH;
    LLMRES_MEMSET(q, 0, sizeof(*q));
    for (i = 0; i < LLMRES_MAX_QUEUE; i++) q->next[i] = (uint16_t)(i + 1);
    q->next[LLMRES_MAX_QUEUE - 1] = LLMRES__NIL;
    for (i = 0; i < LLMRES_QUEUE_LEVELS; i++) q->head[i] = q->tail[i] = LLMRES__NIL;
    q->capacity = capacity ? capacity : LLMRES_MAX_QUEUE;
    return LLMRES_OK;
}

static int llmres__expired(const llmres_qitem_t *it, uint32_t now) {
    return it->has_deadline && llmres__reached(now, it->deadline);
}

/* Unlinks slot i (whose predecessor in its level is prev, or NIL) and frees it,
   copying the item out with `status`. */
static void llmres__queue_take(llmres_queue_t *q, uint32_t i, uint32_t prev, int status, llmres_qitem_t *out) {
    uint32_t lv = q->item[i].priority;
    if (prev == LLMRES__NIL) q->head[lv] = q->next[i]; else q->next[prev] = q->next[i];
    if (q->tail[lv] == i) q->tail[lv] = (uint16_t)prev;
    if (q->head[lv] == LLMRES__NIL) q->nonempty &= ~(1u << lv);
    *out = q->item[i];
    out->status = (int16_t)status;
    q->next[i] = q->free_slot;
    q->free_slot = (uint16_t)i;
    q->count--;
}

/* Finds and takes the first item, walking levels from the least urgent (up = 1) or the
   most urgent (up = 0), FIFO within a level, that is expired (user NULL) or whose user
   pointer is `user`. Returns 1 when one was taken. */
static int llmres__queue_find_take(llmres_queue_t *q, uint32_t now, const void *user, int up,
                                   int status, llmres_qitem_t *out) {
    uint32_t k;
    for (k = 0; k < LLMRES_QUEUE_LEVELS; k++) {
        uint32_t lv = up ? k : LLMRES_QUEUE_LEVELS - 1u - k, i, prev = LLMRES__NIL;
        for (i = q->head[lv]; i != LLMRES__NIL; prev = i, i = q->next[i])
            if (user ? q->item[i].user == user : llmres__expired(&q->item[i], now)) {
                llmres__queue_take(q, i, prev, status, out);
                return 1;
            }
    }
    return 0;
}

static uint32_t llmres__highest_level(uint32_t mask) {
#if (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__ARM_FEATURE_CLZ) || defined(__riscv_zbb))
    return 31u - (uint32_t)__builtin_clz(mask); /* one instruction here; mask != 0 */
#else
    uint32_t lv = LLMRES_QUEUE_LEVELS - 1;
    while (!(mask & (1u << lv))) lv--;
    return lv;
#endif
}

/* Appends a copy of *item to its level; a slot is free. */
static void llmres__queue_append(llmres_queue_t *q, const llmres_qitem_t *item) {
    uint32_t i = q->free_slot, lv = item->priority;
    q->free_slot = q->next[i];
    q->item[i] = *item;
    q->item[i].status = LLMRES_OK;
    q->next[i] = LLMRES__NIL;
    if (q->tail[lv] != LLMRES__NIL) q->next[q->tail[lv]] = (uint16_t)i; else q->head[lv] = (uint16_t)i;
    q->tail[lv] = (uint16_t)i;
    q->nonempty |= 1u << lv;
    if (++q->count > q->peak) q->peak = q->count;
    q->pushed++;
}

/* Push on a full queue: hand back an expired item, or displace the newest item of the
   least urgent level if *item outranks it, or refuse. */
LLMRES__COLD int llmres__queue_push_full(llmres_queue_t *q, uint32_t now, const llmres_qitem_t *item,
                                         llmres_qitem_t *handed_back) {
    if (llmres__queue_find_take(q, now, NULL, 1, LLMRES_ERR_TIMEOUT, handed_back)) {
        q->expired++;
    } else {
        uint32_t lv = 0, i, prev = LLMRES__NIL;
        if (!q->nonempty) return LLMRES_ERR_INVALID; /* capacity 0: never initialised */
        while (!(q->nonempty & (1u << lv))) lv++;
        if (item->priority <= lv) { q->rejected++; return LLMRES_ERR_FULL; }
        for (i = q->head[lv]; i != q->tail[lv]; i = q->next[i]) prev = i;
        llmres__queue_take(q, i, prev, LLMRES_ERR_DISPLACED, handed_back);
        q->displaced++;
    }
    llmres__queue_append(q, item);
    return 1;
}

LLMRES_API int llmres_queue_push(llmres_queue_t *q, uint32_t now, const llmres_qitem_t *item,
                                 llmres_qitem_t *handed_back) {
    if (!q || !item || !handed_back || item->priority >= LLMRES_QUEUE_LEVELS) return LLMRES_ERR_INVALID;
    if (llmres__expired(item, now)) { q->expired++; return LLMRES_ERR_TIMEOUT; }
    if (q->count >= q->capacity) return llmres__queue_push_full(q, now, item, handed_back);
    llmres__queue_append(q, item);
    return 0;
}

/* Takes the head of the most urgent level; the queue is not empty. */
static void llmres__queue_take_head(llmres_queue_t *q, llmres_qitem_t *out) {
    uint32_t lv = llmres__highest_level(q->nonempty), i = q->head[lv];
    q->head[lv] = q->next[i];
    if (q->next[i] == LLMRES__NIL) {
        q->tail[lv] = LLMRES__NIL;
        q->nonempty &= ~(1u << lv);
    }
    *out = q->item[i]; /* status OK, set by append */
    q->next[i] = q->free_slot;
    q->free_slot = (uint16_t)i;
    q->count--;
}

LLMRES_API llmres_err_t llmres_queue_pop(llmres_queue_t *q, uint32_t now, llmres_qitem_t *out) {
    if (!q || !out) return LLMRES_ERR_INVALID;
    if (!q->count) return LLMRES_ERR_EMPTY;
    llmres__queue_take_head(q, out);
    if (llmres__expired(out, now)) {
        out->status = LLMRES_ERR_TIMEOUT;
        q->expired++;
        return LLMRES_ERR_TIMEOUT;
    }
    q->popped++;
    return LLMRES_OK;
}

LLMRES_API int llmres_queue_expire(llmres_queue_t *q, uint32_t now, llmres_qitem_t *out) {
    if (!q || !out) return LLMRES_ERR_INVALID;
    if (!llmres__queue_find_take(q, now, NULL, 1, LLMRES_ERR_TIMEOUT, out)) return 0;
    q->expired++;
    return 1;
}

LLMRES_API llmres_err_t llmres_queue_cancel(llmres_queue_t *q, const void *user, llmres_qitem_t *out) {
    if (!q || !out || !user) return LLMRES_ERR_INVALID;
    return llmres__queue_find_take(q, 0, user, 0, LLMRES_ERR_CANCELLED, out) ? LLMRES_OK : LLMRES_ERR_NOT_FOUND;
}

LLMRES_API llmres_err_t llmres_queue_drain(llmres_queue_t *q, llmres_qitem_t *out) {
    if (!q || !out) return LLMRES_ERR_INVALID;
    if (!q->count) return LLMRES_ERR_EMPTY;
    llmres__queue_take_head(q, out);
    out->status = LLMRES_ERR_CANCELLED;
    return LLMRES_OK;
}

LLMRES_API uint32_t llmres_queue_count(const llmres_queue_t *q) { return q ? q->count : 0; }
#endif /* LLMRES_NO_QUEUE */

/* ---- HTTP/1.1 ---- */
#ifndef LLMRES_NO_HTTP

static int llmres__lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int llmres__is_digit(int c) { return c >= '0' && c <= '9'; }

/* Case-insensitive compare of s[0..len) with the lower-case literal z. */
static int llmres__ieq(const char *s, size_t len, const char *z) {
    const char *end = s + len;
    for (; s < end; s++, z++) /* stops at z's end: never past it */
        if (!*z || llmres__lower((unsigned char)*s) != *z) return 0;
    return !*z;
}

/* Byte classes for the response parser, one lookup a byte: 1 a token character (RFC 9110
   5.6.2: names, methods), 2 a control character no field value may hold (all below 32
   but HTAB; CR and LF too, so a scan stops at a line's end), 4 a hex digit, whose value is
   in the upper four bits; 128..255: none. */
#define LLMRES__TCHAR 1u
#define LLMRES__CTL 2u
#define LLMRES__HEX 4u
#define LLMRES__X(v) (5u | (v) << 4)
static const uint8_t llmres__http_class[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, LLMRES__X(0), LLMRES__X(1), LLMRES__X(2), LLMRES__X(3),
    LLMRES__X(4), LLMRES__X(5), LLMRES__X(6), LLMRES__X(7), LLMRES__X(8), LLMRES__X(9), 0, 0, 0, 0, 0, 0,
    0, LLMRES__X(10), LLMRES__X(11), LLMRES__X(12), LLMRES__X(13), LLMRES__X(14), LLMRES__X(15), 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
    1, LLMRES__X(10), LLMRES__X(11), LLMRES__X(12), LLMRES__X(13), LLMRES__X(14), LLMRES__X(15), 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0};
#undef LLMRES__X

static int llmres__is_tchar(unsigned char c) { return (llmres__http_class[c] & LLMRES__TCHAR) != 0; }

LLMRES_API uint32_t llmres_parse_uint(const char *s, size_t len) {
    uint32_t v = 0;
    size_t i;
    if (!s || len == 0 || len > 10) return LLMRES_UNKNOWN;
    for (i = 0; i < len; i++) {
        uint32_t d;
        if (!llmres__is_digit((unsigned char)s[i])) return LLMRES_UNKNOWN;
        d = (uint32_t)(s[i] - '0');
        if (v > (0xFFFFFFFEu - d) / 10u) return LLMRES_UNKNOWN; /* keep UNKNOWN distinct */
        v = v * 10u + d;
    }
    return v;
}

LLMRES_API uint32_t llmres_parse_duration_ms(const char *s, size_t len) {
    /* microseconds in 64 bits: "1.5ms" stays exact until the final round-up */
    uint64_t total = 0;
    size_t i = 0;
    if (!s || len == 0) return LLMRES_UNKNOWN;
    if (llmres_parse_uint(s, len) != LLMRES_UNKNOWN) /* Azure: plain seconds */
        total = (uint64_t)llmres_parse_uint(s, len) * 1000000u;
    else while (i < len) {
        uint64_t whole = 0, frac = 0, scale = 1, unit;
        size_t start = i;
        while (i < len && llmres__is_digit((unsigned char)s[i]) && whole < 100000000000ull)
            whole = whole * 10u + (uint64_t)(s[i++] - '0');
        if (i < len && s[i] == '.') {
            i++;
            while (i < len && llmres__is_digit((unsigned char)s[i])) {
                if (scale < 1000000000ull) { frac = frac * 10u + (uint64_t)(s[i] - '0'); scale *= 10u; }
                i++;
            }
        }
        if (i == start || i >= len) return LLMRES_UNKNOWN; /* a number needs a unit */
        if (s[i] == 'h') { unit = 3600000000ull; i++; }
        else if (s[i] == 'm' && i + 1 < len && s[i + 1] == 's') { unit = 1000u; i += 2; }
        else if (s[i] == 'm') { unit = 60000000ull; i++; }
        else if (s[i] == 's') { unit = 1000000u; i++; }
        else if (s[i] == 'u' && i + 1 < len && s[i + 1] == 's') { unit = 1u; i += 2; }
        else if (s[i] == 'n' && i + 1 < len && s[i + 1] == 's') { unit = 0; i += 2; whole = frac = 0; }
        else return LLMRES_UNKNOWN;
        total += whole * unit + (frac * unit + scale - 1u) / scale;
        if (total > 0xFFFFFFFEull * 1000u) return LLMRES_UNKNOWN;
    }
    total = (total + 999u) / 1000u; /* round up: never retry before the server said */
    return total > 0xFFFFFFFEull ? LLMRES_UNKNOWN : (uint32_t)total;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, integer only). */
static uint32_t llmres__days(uint32_t y, uint32_t m, uint32_t d) {
    uint32_t era, yoe, doy, doe;
    y -= m <= 2;
    era = y / 400u;
    yoe = y - era * 400u;
    doy = (153u * (m > 2 ? m - 3u : m + 9u) + 2u) / 5u + d - 1u;
    doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
    return era * 146097u + doe - 719468u;
}

/* Seconds since 1970, or UNKNOWN for a date outside 1970..2105 or a bad field. */
static uint32_t llmres__epoch(uint32_t y, uint32_t mo, uint32_t d, uint32_t h, uint32_t mi, uint32_t sec) {
    static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    uint64_t t;
    if (y < 1970 || y > 2105 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return LLMRES_UNKNOWN;
    t = (uint64_t)llmres__days(y, mo, d) * 86400u + h * 3600u + mi * 60u + sec;
    return t >= LLMRES_UNKNOWN ? LLMRES_UNKNOWN : (uint32_t)t;
}

/* n digits at s as a number, or UNKNOWN. */
static uint32_t llmres__digits(const char *s, size_t n) { return llmres_parse_uint(s, n); }

LLMRES_API uint32_t llmres_parse_http_date(const char *s, size_t len) {
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    uint32_t mo;
    /* "Sun, 22 Nov 2026 10:00:45 GMT": 29 characters, fixed positions */
    if (!s || len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || s[25] != ' ' || !llmres__ieq(s + 26, 3, "gmt"))
        return LLMRES_UNKNOWN;
    for (mo = 0; mo < 12; mo++)
        if (llmres__lower((unsigned char)s[8]) == months[mo * 3] && llmres__lower((unsigned char)s[9]) == months[mo * 3 + 1] &&
            llmres__lower((unsigned char)s[10]) == months[mo * 3 + 2])
            break;
    if (mo == 12) return LLMRES_UNKNOWN;
    return llmres__epoch(llmres__digits(s + 12, 4), mo + 1, llmres__digits(s + 5, 2), llmres__digits(s + 17, 2),
                         llmres__digits(s + 20, 2), llmres__digits(s + 23, 2));
}

LLMRES_API uint32_t llmres_parse_rfc3339(const char *s, size_t len) {
    uint32_t t;
    size_t i = 19;
    int round_up = 0;
    if (!s || len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return LLMRES_UNKNOWN;
    t = llmres__epoch(llmres__digits(s, 4), llmres__digits(s + 5, 2), llmres__digits(s + 8, 2),
                      llmres__digits(s + 11, 2), llmres__digits(s + 14, 2), llmres__digits(s + 17, 2));
    if (t == LLMRES_UNKNOWN) return t;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < len && llmres__is_digit((unsigned char)s[i])) { if (s[i] != '0') round_up = 1; i++; }
        if (i == start) return LLMRES_UNKNOWN;
    }
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        /* UTC */
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        uint32_t hh = llmres__digits(s + i + 1, 2), mm = llmres__digits(s + i + 4, 2), off;
        if (hh > 23 || mm > 59) return LLMRES_UNKNOWN;
        off = hh * 3600u + mm * 60u;
        if (s[i] == '+') { if (t < off) return LLMRES_UNKNOWN; t -= off; }
        else { if (t > LLMRES_UNKNOWN - 1u - off) return LLMRES_UNKNOWN; t += off; }
    } else {
        return LLMRES_UNKNOWN;
    }
    return t + (uint32_t)round_up; /* never early */
}

#define LLMRES__HTTP_MS_SEEN 0x100u /* retry-after-ms was sent: it wins over retry-after */

enum {
    LLMRES__H_STATUS = 0, LLMRES__H_HEADER, LLMRES__H_BODY, LLMRES__H_CHUNK_SIZE, LLMRES__H_CHUNK_DATA,
    LLMRES__H_CHUNK_END, LLMRES__H_TRAILER, LLMRES__H_UNTIL_CLOSE, LLMRES__H_DONE, LLMRES__H_ERROR
};

LLMRES_API void llmres_http_response_init(llmres_http_response_t *r, void *body, size_t body_cap,
                                          llmres_body_fn on_body, void *user, int head_request) {
    llmres_ratelimit_t unknown;
    uint32_t i;
    if (!r) return;
    /* the line buffer needs no clearing */
    LLMRES_MEMSET(r, 0, offsetof(llmres_http_response_t, line));
    unknown.limit = unknown.remaining = unknown.reset_ms = LLMRES_UNKNOWN;
    r->hints.requests = r->hints.tokens = r->hints.input_tokens = r->hints.output_tokens = unknown;
    r->hints.retry_after_ms = r->hints.date = LLMRES_UNKNOWN;
    r->hints.should_retry = -1;
    for (i = 0; i < 5; i++) r->pending_at[i] = LLMRES_UNKNOWN;
    r->content_length = LLMRES_UNKNOWN;
    r->body = (uint8_t *)body;
    r->body_cap = body ? body_cap : 0;
    r->on_body = on_body;
    r->user = user;
    r->head_request = (uint8_t)(head_request != 0);
}

/* Whether the comma-separated list v[0..n) holds the token z (lower case). */
static int llmres__has_token(const char *v, size_t n, const char *z, int last_only) {
    size_t i = 0;
    int found = 0;
    while (i < n) {
        size_t a, b;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        a = i;
        while (i < n && v[i] != ',') i++;
        b = i;
        while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t')) b--;
        if (b > a) found = llmres__ieq(v + a, b - a, z) ? 1 : (last_only ? 0 : found);
    }
    return found;
}

/* Whether n[0..zl) is the lower-case name z (zl >= 4), four bytes a step. n holds token
   characters or a field value (no control characters), and among those c | 0x20 maps just
   'A'..'Z' onto 'a'..'z'; z's letters, digits and '-' all have that bit already. */
static int llmres__http_is(const char *n, const char *z, size_t zl) {
    uint32_t a, b;
    size_t i;
    for (i = 0;; i += 4) {
        if (i + 4 > zl) i = zl - 4; /* the last word overlaps the one before */
        LLMRES_MEMCPY(&a, n + i, 4);
        LLMRES_MEMCPY(&b, z + i, 4);
        if ((a | 0x20202020u) != b) return 0;
        if (i + 4 == zl) return 1;
    }
}
/* Length first: most names are told apart without reading a byte. */
#define LLMRES__HTTP_IS(n, len, z) ((len) == sizeof(z) - 1 && llmres__http_is((n), (z), sizeof(z) - 1))

/* The rate-limit field a header names: x-ratelimit-{limit,remaining,reset}-{requests,tokens}
   or anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}.
   Sets *which (0 requests, 1 tokens, 2 input, 3 output) and *field (0 limit, 1 remaining,
   2 reset; 3..5 the same from Anthropic); returns 0 when the name is none of them. */
static int llmres__ratelimit_name(const char *n, size_t len, int *which, int *field) {
    static const char *const fields[3] = {"limit", "remaining", "reset"};
    static const char *const kinds[4] = {"requests", "tokens", "input-tokens", "output-tokens"};
    static const uint8_t fl[3] = {5, 9, 5}, kl[4] = {8, 6, 12, 13};
    int f, k;
    if (len > 12 && llmres__http_is(n, "x-ratelimit-", 12)) {
        for (f = 0; f < 3; f++) for (k = 0; k < 2; k++)
            if (len == 13u + fl[f] + kl[k] && llmres__http_is(n + 12, fields[f], fl[f]) && n[12 + fl[f]] == '-' &&
                llmres__http_is(n + 13 + fl[f], kinds[k], kl[k])) { *which = k; *field = f; return 1; }
    } else if (len > 20 && llmres__http_is(n, "anthropic-ratelimit-", 20)) {
        for (k = 0; k < 4; k++) for (f = 0; f < 3; f++)
            if (len == 21u + kl[k] + fl[f] && llmres__http_is(n + 20, kinds[k], kl[k]) && n[20 + kl[k]] == '-' &&
                llmres__http_is(n + 21 + kl[k], fields[f], fl[f])) { *which = k; *field = f + 3; return 1; }
    }
    return 0;
}

static llmres_ratelimit_t *llmres__ratelimit(llmres_http_hints_t *h, int which) {
    return which == 0 ? &h->requests : which == 1 ? &h->tokens : which == 2 ? &h->input_tokens : &h->output_tokens;
}

/* retry-after-ms: "19872", or "19872.5" rounded up: never early. */
static void llmres__retry_after_ms(llmres_http_response_t *r, const char *v, size_t vl) {
    size_t dot = 0;
    uint32_t ms;
    while (dot < vl && v[dot] != '.') dot++;
    ms = llmres_parse_uint(v, dot);
    if (ms != LLMRES_UNKNOWN && dot < vl) {
        size_t i;
        uint32_t up = 0;
        for (i = dot + 1; i < vl; i++) {
            if (!llmres__is_digit((unsigned char)v[i])) ms = LLMRES_UNKNOWN;
            else if (v[i] != '0') up = 1;
        }
        if (ms != LLMRES_UNKNOWN && up && ms < LLMRES_UNKNOWN - 1u) ms++;
    }
    if (ms != LLMRES_UNKNOWN) {
        r->hints.retry_after_ms = ms;
        r->pending_at[0] = LLMRES_UNKNOWN;
        r->flags |= LLMRES__HTTP_MS_SEEN;
    }
}

/* One header field (name, value trimmed). */
static int llmres__http_header(llmres_http_response_t *r, const char *n, size_t nl, const char *v, size_t vl) {
    llmres_http_hints_t *h = &r->hints;
    int which, field;
    if (LLMRES__HTTP_IS(n, nl, "content-length")) {
        uint32_t cl = llmres_parse_uint(v, vl);
        if (cl == LLMRES_UNKNOWN || (r->content_length != LLMRES_UNKNOWN && r->content_length != cl))
            return LLMRES_ERR_BAD_HTTP; /* bad or conflicting lengths: a smuggling hazard */
        r->content_length = cl;
    } else if (LLMRES__HTTP_IS(n, nl, "transfer-encoding")) {
        r->te_seen = 1; /* the usual value at once, else the list */
        if (LLMRES__HTTP_IS(v, vl, "chunked") || llmres__has_token(v, vl, "chunked", 1)) r->flags |= LLMRES_HTTP_CHUNKED;
        else r->flags &= ~LLMRES_HTTP_CHUNKED;
    } else if (LLMRES__HTTP_IS(n, nl, "connection")) {
        int keep = LLMRES__HTTP_IS(v, vl, "keep-alive");
        if (!keep && llmres__has_token(v, vl, "close", 0)) r->flags |= LLMRES_HTTP_CLOSE;
        else if ((keep || llmres__has_token(v, vl, "keep-alive", 0)) && r->minor_version == 0) r->minor_version = 2;
    } else if (LLMRES__HTTP_IS(n, nl, "retry-after-ms")) {
        llmres__retry_after_ms(r, v, vl);
    } else if (LLMRES__HTTP_IS(n, nl, "retry-after")) {
        if (!(r->flags & LLMRES__HTTP_MS_SEEN)) { /* retry-after-ms wins, in any order */
            uint32_t sec = llmres_parse_uint(v, vl);
            /* a wait too long for milliseconds is the longest there is, not no wait */
            if (sec != LLMRES_UNKNOWN) h->retry_after_ms = sec > 2147483u ? 0x7FFFFFFFu : sec * 1000u;
            else r->pending_at[0] = llmres_parse_http_date(v, vl);
        }
    } else if (LLMRES__HTTP_IS(n, nl, "x-should-retry")) {
        h->should_retry = llmres__ieq(v, vl, "true") ? 1 : llmres__ieq(v, vl, "false") ? 0 : -1;
    } else if (LLMRES__HTTP_IS(n, nl, "date")) {
        h->date = llmres_parse_http_date(v, vl);
    } else if (LLMRES__HTTP_IS(n, nl, "x-request-id") || LLMRES__HTTP_IS(n, nl, "request-id")) {
        size_t k = vl < LLMRES_MAX_REQUEST_ID - 1 ? vl : LLMRES_MAX_REQUEST_ID - 1;
        LLMRES_MEMCPY(h->request_id, v, k);
        h->request_id[k] = 0;
    } else if (llmres__ratelimit_name(n, nl, &which, &field)) {
        llmres_ratelimit_t *rl = llmres__ratelimit(h, which);
        if (field == 0 || field == 3) rl->limit = llmres_parse_uint(v, vl);
        else if (field == 1 || field == 4) rl->remaining = llmres_parse_uint(v, vl);
        else if (field == 2) rl->reset_ms = llmres_parse_duration_ms(v, vl);
        else r->pending_at[1 + which] = llmres_parse_rfc3339(v, vl); /* absolute: needs Date */
    }
    return 0;
}
/* Headers done: resolve absolute times against Date, and decide how the body ends. */
static int llmres__http_headers_done(llmres_http_response_t *r) {
    llmres_http_hints_t *h = &r->hints;
    uint32_t i;
    if (r->status >= 100 && r->status < 200) {
        if (r->status == 101) return LLMRES_ERR_BAD_HTTP; /* never asked for an upgrade */
        r->state = LLMRES__H_STATUS;                   /* 100, 103: the real one follows */
        return 0;
    }
    r->flags &= ~LLMRES__HTTP_MS_SEEN;
    for (i = 0; i < 5; i++) {
        uint32_t at = r->pending_at[i], ms = LLMRES_UNKNOWN;
        if (at == LLMRES_UNKNOWN) continue;
        if (h->date != LLMRES_UNKNOWN && at >= h->date && at - h->date <= 4294967u) ms = (at - h->date) * 1000u;
        if (i == 0) h->retry_after_ms = ms;
        else llmres__ratelimit(h, (int)i - 1)->reset_ms = ms;
    }
    if (r->minor_version == 0) r->flags |= LLMRES_HTTP_CLOSE; /* HTTP/1.0 without keep-alive */
    if (r->te_seen) { /* Transfer-Encoding overrides Content-Length; both: close after */
        if (r->content_length != LLMRES_UNKNOWN) r->flags |= LLMRES_HTTP_CLOSE;
        r->content_length = LLMRES_UNKNOWN;
    }
    if (r->head_request || r->status == 204 || r->status == 304) {
        r->state = LLMRES__H_DONE;
    } else if (r->flags & LLMRES_HTTP_CHUNKED) {
        r->state = LLMRES__H_CHUNK_SIZE;
    } else if (r->te_seen || r->content_length == LLMRES_UNKNOWN) {
        r->flags |= LLMRES_HTTP_UNTIL_CLOSE | LLMRES_HTTP_CLOSE;
        r->state = LLMRES__H_UNTIL_CLOSE;
    } else {
        r->remaining = r->content_length;
        r->state = r->remaining ? LLMRES__H_BODY : LLMRES__H_DONE;
    }
    return 0;
}

/* The status line: HTTP/1.x SP 3DIGIT [SP reason]. */
static int llmres__http_status(llmres_http_response_t *r, const char *l, size_t n) {
    uint32_t st;
    size_t i;
    if (n < 12 || LLMRES_MEMCMP(l, "HTTP/1.", 7) != 0 || !llmres__is_digit((unsigned char)l[7]) ||
        l[8] != ' ' || (n > 12 && l[12] != ' '))
        return LLMRES_ERR_BAD_HTTP;
    for (i = 13; i < n; i++)
        if (l[i] == '\r' || l[i] == 0) return LLMRES_ERR_BAD_HTTP; /* bare CR, NUL */
    st = llmres_parse_uint(l + 9, 3);
    if (st < 100 || st > 999) return LLMRES_ERR_BAD_HTTP;
    r->status = (int)st;
    r->minor_version = (uint8_t)(l[7] == '0' ? 0 : 1);
    r->content_length = LLMRES_UNKNOWN;
    r->flags = 0;
    r->te_seen = 0;
    r->state = LLMRES__H_HEADER;
    return 0;
}

/* A header or trailer line, walked once: the name's token characters, the colon, white
   space, the value up to the first control character, which must be the line's end
   (l[n], its CR or LF), then the value's trailing white space trimmed. */
static int llmres__http_field(llmres_http_response_t *r, const char *l, size_t n) {
    const unsigned char *u = (const unsigned char *)l;
    size_t nl = 0, v, e;
    if (n == 0) {
        if (r->state == LLMRES__H_TRAILER) { r->state = LLMRES__H_DONE; return 0; }
        return llmres__http_headers_done(r);
    }
    if (++r->header_count > LLMRES_HTTP_MAX_HEADERS) return LLMRES_ERR_TOO_MANY_HEADERS;
    while (llmres__http_class[u[nl]] & LLMRES__TCHAR) nl++;
    if (nl == 0 || u[nl] != ':') return LLMRES_ERR_BAD_HTTP; /* obs-fold (RFC 9112 5.2), "name :" */
    for (v = nl + 1; u[v] == ' ' || u[v] == '\t'; v++) {}
    for (e = v; !(llmres__http_class[u[e]] & LLMRES__CTL); e++) {}
    if (e != n) return LLMRES_ERR_BAD_HTTP; /* a control character inside: bare CR, NUL */
    while (e > v && (u[e - 1] == ' ' || u[e - 1] == '\t')) e--;
    return r->state == LLMRES__H_TRAILER ? 0 : llmres__http_header(r, l, nl, l + v, e - v);
}

/* A chunk-size line: hex digits, white space, then only extensions (";..."). */
static int llmres__http_chunk_size(llmres_http_response_t *r, const char *l, size_t n) {
    const unsigned char *u = (const unsigned char *)l;
    uint32_t size = 0;
    size_t i;
    for (i = 0; llmres__http_class[u[i]] & LLMRES__HEX; i++) {
        if (size > 0x7FFFFFFu) return LLMRES_ERR_BAD_HTTP; /* chunks up to 2 GB */
        size = size * 16u + (uint32_t)(llmres__http_class[u[i]] >> 4);
    }
    if (i == 0) return LLMRES_ERR_BAD_HTTP;
    while (u[i] == ' ' || u[i] == '\t') i++;
    if (i < n && u[i] != ';') return LLMRES_ERR_BAD_HTTP;
    for (; i < n; i++)
        if (u[i] == '\r' || u[i] == 0) return LLMRES_ERR_BAD_HTTP; /* bare CR, NUL */
    r->remaining = size;
    r->state = size ? LLMRES__H_CHUNK_DATA : LLMRES__H_TRAILER;
    return 0;
}

/* One complete line (CR LF removed; l[n] is the CR or LF, where every scan stops). */
static int llmres__http_line(llmres_http_response_t *r, const char *l, size_t n) {
    switch (r->state) {
    case LLMRES__H_STATUS: return llmres__http_status(r, l, n);
    case LLMRES__H_HEADER:
    case LLMRES__H_TRAILER: return llmres__http_field(r, l, n);
    case LLMRES__H_CHUNK_SIZE: return llmres__http_chunk_size(r, l, n);
    case LLMRES__H_CHUNK_END:
        if (n != 0) return LLMRES_ERR_BAD_HTTP;
        r->state = LLMRES__H_CHUNK_SIZE;
        return 0;
    default: return LLMRES_ERR_BAD_HTTP;
    }
}

/* The next line to llmres__http_line: read where it lies when the input holds all of it,
   else gathered in r->line, its LF too, until it is whole. */
static int llmres__http_take_line(llmres_http_response_t *r, const uint8_t **at, const uint8_t *end) {
    const uint8_t *p = *at, *lf = (const uint8_t *)memchr(p, '\n', (size_t)(end - p));
    const char *l = (const char *)p;
    size_t n = (size_t)((lf ? lf : end) - p);
    if (n > (size_t)(LLMRES_HTTP_MAX_LINE - r->line_len)) return LLMRES_ERR_HEADER_TOO_LONG;
    if (!lf || r->line_len) {
        LLMRES_MEMCPY(r->line + r->line_len, p, lf ? n + 1 : n);
        r->line_len = (uint16_t)(r->line_len + n);
        if (!lf) { *at = end; return 0; }
        l = r->line;
        n = r->line_len;
        r->line_len = 0;
    }
    *at = lf + 1;
    if (n && l[n - 1] == '\r') n--;
    return llmres__http_line(r, l, n);
}

/* A chunk's CRLF end and the next size line in their usual form (up to 8 hex digits,
   CRLF), read from the input at once; 0 when they are not whole there or take another
   form, for llmres__http_take_line, which reads every form (and says what is wrong). */
static int llmres__http_chunk_fast(llmres_http_response_t *r, const uint8_t **at, const uint8_t *end) {
    const uint8_t *p = *at, *digits, *last;
    uint32_t size = 0;
    int ended = 0;
    if (r->state == LLMRES__H_CHUNK_END) {
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return 0;
        *at = p += 2;
        r->state = LLMRES__H_CHUNK_SIZE;
        ended = 1;
    }
    last = end - p > 8 ? p + 8 : end;
    for (digits = p; p < last && (llmres__http_class[*p] & LLMRES__HEX); p++)
        size = size * 16u + (uint32_t)(llmres__http_class[*p] >> 4);
    if (p == digits || end - p < 2 || p[0] != '\r' || p[1] != '\n' || size > 0x7FFFFFFFu ||
        p - digits >= LLMRES_HTTP_MAX_LINE)
        return ended;
    *at = p + 2;
    r->remaining = size;
    r->state = size ? LLMRES__H_CHUNK_DATA : LLMRES__H_TRAILER;
    return 1;
}

static int llmres__http_deliver(llmres_http_response_t *r, const uint8_t *p, size_t n) {
    if (r->on_body) {
        if (r->on_body(r->user, p, n) != 0) return LLMRES_ERR_ABORTED;
    } else if (r->body) {
        if (n > r->body_cap - r->body_len) return LLMRES_ERR_TOO_LARGE;
        LLMRES_MEMCPY(r->body + r->body_len, p, n);
    }
    r->body_len += n;
    return 0;
}

/* Body bytes: up to the length or the chunk's end, or all of them until the close. */
static int llmres__http_body(llmres_http_response_t *r, const uint8_t **at, const uint8_t *end) {
    size_t n = (size_t)(end - *at);
    int rc;
    if (r->state != LLMRES__H_UNTIL_CLOSE && n > r->remaining) n = r->remaining;
    if ((rc = llmres__http_deliver(r, *at, n)) != 0) return rc;
    *at += n;
    if (r->state != LLMRES__H_UNTIL_CLOSE && (r->remaining -= (uint32_t)n) == 0)
        r->state = r->state == LLMRES__H_BODY ? LLMRES__H_DONE : LLMRES__H_CHUNK_END;
    return 0;
}

LLMRES_API int llmres_http_parse(llmres_http_response_t *r, const void *data, size_t len, size_t *consumed) {
    const uint8_t *p = (const uint8_t *)data, *end;
    int rc = 0;
    if (!r || (!data && len)) return LLMRES_ERR_INVALID;
    if (r->state == LLMRES__H_ERROR) return r->error;
    end = len ? p + len : p;
    while (!rc && p < end && r->state != LLMRES__H_DONE) {
        if (r->state == LLMRES__H_BODY || r->state == LLMRES__H_CHUNK_DATA || r->state == LLMRES__H_UNTIL_CLOSE)
            rc = llmres__http_body(r, &p, end);
        else if ((r->state != LLMRES__H_CHUNK_END && r->state != LLMRES__H_CHUNK_SIZE) || r->line_len ||
                 !llmres__http_chunk_fast(r, &p, end))
            rc = llmres__http_take_line(r, &p, end);
    }
    if (consumed) *consumed = (size_t)(p - (const uint8_t *)data);
    if (rc) {
        r->error = rc;
        r->state = LLMRES__H_ERROR;
        return rc;
    }
    return r->state == LLMRES__H_DONE;
}

LLMRES_API int llmres_http_parse_eof(llmres_http_response_t *r) {
    if (!r) return LLMRES_ERR_INVALID;
    if (r->state == LLMRES__H_ERROR) return r->error;
    if (r->state == LLMRES__H_UNTIL_CLOSE) r->state = LLMRES__H_DONE;
    if (r->state == LLMRES__H_DONE) return 1;
    r->error = LLMRES_ERR_TRUNCATED;
    r->state = LLMRES__H_ERROR;
    return LLMRES_ERR_TRUNCATED;
}

LLMRES_API int llmres_http_keep_alive(const llmres_http_response_t *r) {
    return r && r->state == LLMRES__H_DONE && !(r->flags & LLMRES_HTTP_CLOSE);
}

/* Appends s[0..n) to the head being built; n == (size_t)-1: up to NUL. Checks for
   CR, LF and NUL, which would let a value inject headers. */
static int llmres__put(char *buf, size_t cap, size_t *at, const char *s, size_t n) {
    size_t i;
    if (n == (size_t)-1) n = strlen(s);
    for (i = 0; i < n; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == 0) return LLMRES_ERR_INVALID;
    if (n > cap - *at) return LLMRES_ERR_TOO_LARGE;
    LLMRES_MEMCPY(buf + *at, s, n);
    *at += n;
    return 0;
}

/* Decimal text of v into d (at least 11 bytes); returns its length. */
static size_t llmres__utoa(char *d, uint64_t v) {
    char t[24];
    size_t n = 0, i;
    do { t[n++] = (char)('0' + v % 10u); v /= 10u; } while (v);
    for (i = 0; i < n; i++) d[i] = t[n - 1 - i];
    return n;
}

LLMRES_API int llmres_http_write_head(const llmres_http_request_t *req, char *buf, size_t cap) {
    size_t at = 0, i;
    int rc = 0;
    char num[24];
    const char *m;
    if (!req || !buf || !req->method || !req->host || !req->path || (req->header_count && !req->headers) ||
        (!req->body && req->body_len) || req->path[0] != '/' || !req->method[0] || !req->host[0])
        return LLMRES_ERR_INVALID;
    for (m = req->method; *m; m++) if (!llmres__is_tchar((unsigned char)*m)) return LLMRES_ERR_INVALID;
    for (m = req->path; *m; m++) if ((unsigned char)*m <= 32 || *m == 127) return LLMRES_ERR_INVALID;
    for (m = req->host; *m; m++) if ((unsigned char)*m <= 32 || *m == '/' || *m == '@') return LLMRES_ERR_INVALID;
#define LLMRES__PUT(s, n) do { if ((rc = llmres__put(buf, cap, &at, (s), (n))) != 0) return rc; } while (0)
    LLMRES__PUT(req->method, (size_t)-1);
    LLMRES__PUT(" ", 1);
    LLMRES__PUT(req->path, (size_t)-1);
    LLMRES__PUT(" HTTP/1.1", 9);
    LLMRES__PUT("\r\nHost: ", 0); /* CR LF are ours: written below without the check */
    if (cap - at < 8) return LLMRES_ERR_TOO_LARGE;
    LLMRES_MEMCPY(buf + at, "\r\nHost: ", 8);
    at += 8;
    if (strchr(req->host, ':')) LLMRES__PUT("[", 1); /* an IPv6 literal */
    LLMRES__PUT(req->host, (size_t)-1);
    if (strchr(req->host, ':')) LLMRES__PUT("]", 1);
    if (req->port && req->port != (req->tls ? 443 : 80)) {
        LLMRES__PUT(":", 1);
        LLMRES__PUT(num, llmres__utoa(num, req->port));
    }
    for (i = 0; i < req->header_count; i++) {
        const llmres_http_header_t *h = &req->headers[i];
        if (!h->name || !h->value || !h->name[0]) return LLMRES_ERR_INVALID;
        for (m = h->name; *m; m++) if (!llmres__is_tchar((unsigned char)*m)) return LLMRES_ERR_INVALID;
        if (cap - at < 2) return LLMRES_ERR_TOO_LARGE;
        LLMRES_MEMCPY(buf + at, "\r\n", 2);
        at += 2;
        LLMRES__PUT(h->name, (size_t)-1);
        LLMRES__PUT(": ", 2);
        LLMRES__PUT(h->value, (size_t)-1);
    }
    if (req->body_len || !strcmp(req->method, "POST") || !strcmp(req->method, "PUT") || !strcmp(req->method, "PATCH")) {
        if (cap - at < 2) return LLMRES_ERR_TOO_LARGE;
        LLMRES_MEMCPY(buf + at, "\r\n", 2);
        at += 2;
        LLMRES__PUT("Content-Length: ", 16);
        LLMRES__PUT(num, llmres__utoa(num, req->body_len));
    }
#undef LLMRES__PUT
    if (cap - at < 4) return LLMRES_ERR_TOO_LARGE;
    LLMRES_MEMCPY(buf + at, "\r\n\r\n", 4);
    at += 4;
    return at > 0x7FFFFFFFu ? LLMRES_ERR_TOO_LARGE : (int)at;
}

LLMRES_API llmres_err_t llmres_http_client_init_sized(llmres_http_client_t *c, const llmres_port_t *port,
                                                      const llmres_transport_t *tls, size_t struct_size) {
    uint32_t i;
    if (c && struct_size != sizeof(*c)) return LLMRES_ERR_SIZE_MISMATCH;
    if (!c || !port || !port->now_ms || !port->tcp.open || !port->tcp.send || !port->tcp.recv || !port->tcp.close ||
        (tls && (!tls->open || !tls->send || !tls->recv || !tls->close)))
        return LLMRES_ERR_INVALID;
    LLMRES_MEMSET(c, 0, offsetof(llmres_http_client_t, head));
    c->port = port;
    c->tls = tls;
    c->idle_timeout_ms = 20000;
    for (i = 0; i < LLMRES_MAX_CONNECTIONS; i++) c->conn[i].id = -1;
    return LLMRES_OK;
}

static const llmres_transport_t *llmres__transport(const llmres_http_client_t *c, int tls) {
    return tls ? c->tls : &c->port->tcp;
}

static void llmres__conn_close(llmres_http_client_t *c, llmres_http_conn_t *k) {
    if (k->open) {
        const llmres_transport_t *t = llmres__transport(c, k->tls);
        t->close(t->ctx, k->id);
    }
    k->open = 0;
    k->id = -1;
}

LLMRES_API void llmres_http_client_close(llmres_http_client_t *c) {
    uint32_t i;
    if (!c) return;
    for (i = 0; i < LLMRES_MAX_CONNECTIONS; i++) llmres__conn_close(c, &c->conn[i]);
}

/* The pooled connection for host:port (open, idle, fresh enough), else a closed slot,
   else the least recently used one, closed. */
static llmres_http_conn_t *llmres__conn_pick(llmres_http_client_t *c, const char *host, uint16_t port, int tls,
                                            uint32_t now) {
    llmres_http_conn_t *spare = NULL, *oldest = NULL;
    uint32_t i;
    for (i = 0; i < LLMRES_MAX_CONNECTIONS; i++) {
        llmres_http_conn_t *k = &c->conn[i];
        if (k->open && now - k->last_used >= c->idle_timeout_ms) llmres__conn_close(c, k); /* likely dropped */
        if (k->open && k->port == port && k->tls == tls && !strcmp(k->host, host)) return k;
        if (!k->open) { if (!spare) spare = k; }
        else if (!oldest || (int32_t)(k->last_used - oldest->last_used) < 0) oldest = k;
    }
    if (!spare) { llmres__conn_close(c, oldest); spare = oldest; }
    return spare;
}

/* Milliseconds left before the deadline, 0 when it has passed. */
static uint32_t llmres__left(const llmres_port_t *port, uint32_t deadline) {
    int32_t left = (int32_t)(deadline - port->now_ms(port->ctx));
    return left > 0 ? (uint32_t)left : 0;
}

/* The deadline passed: TIMEOUT, or DNS when the connection still waits for its name
   (a resolver that does not answer is this device's failure, not the provider's). */
static int llmres__http_late(const llmres_http_client_t *c) {
    const llmres_transport_t *t = llmres__transport(c, c->x_tls);
    const llmres_http_conn_t *k = &c->conn[c->x_conn];
    if (!c->x_reused && !c->x_sent && k->open && t->resolving && t->resolving(t->ctx, k->id) > 0) return LLMRES_ERR_DNS;
    return LLMRES_ERR_TIMEOUT;
}

/* Sends what is left of the request (head, then body), waiting at most until `until`
   and never past the exchange's deadline: 0 all sent, 1 some left when the wait ran
   out, or the transport's error (also the connect's, on a connection still coming up). */
static int llmres__http_push(llmres_http_client_t *c, uint32_t until) {
    const llmres_transport_t *t = llmres__transport(c, c->x_tls);
    const llmres_http_conn_t *k = &c->conn[c->x_conn];
    size_t head = (size_t)c->x_head_len, total = head + c->x_body_len;
    while (c->x_sent < total) {
        uint32_t left = llmres__left(c->port, c->x_deadline), mine = llmres__left(c->port, until);
        const uint8_t *p = c->x_sent < head ? (const uint8_t *)c->head + c->x_sent
                                            : (const uint8_t *)c->x_body + (c->x_sent - head);
        size_t len = c->x_sent < head ? head - c->x_sent : total - c->x_sent;
        int n;
        if (!left) return llmres__http_late(c);
        n = t->send(t->ctx, k->id, p, len, mine < left ? mine : left);
        if (n < 0) return n;
        if ((size_t)n > len) return LLMRES_ERR_IO; /* a transport out of contract */
        c->x_sent += (size_t)n;
        if (n == 0 && !llmres__left(c->port, until)) return 1;
    }
    return 0;
}

/* Picks or opens the exchange's connection; the request goes out in llmres__http_push.
   A transport that connects in steps is only asked to start. */
static int llmres__http_send(llmres_http_client_t *c) {
    const llmres_transport_t *t = llmres__transport(c, c->x_tls);
    llmres_http_conn_t *k = llmres__conn_pick(c, c->x_host, c->x_port, c->x_tls, c->port->now_ms(c->port->ctx));
    int rc;
    c->x_conn = (uint8_t)(k - c->conn);
    c->x_reused = k->open;
    c->x_got = 0;
    if (c->x_reused && t->recv(t->ctx, k->id, c->rx, sizeof(c->rx), 0) != 0) {
        /* an idle connection has nothing to say: bytes mean it is out of step (left
           over from an earlier response), CLOSED or an error mean it is gone.
           Either way, replace it before sending anything. */
        llmres__conn_close(c, k);
        c->stale_retries++;
        c->x_reused = 0;
    }
    if (!c->x_reused) {
        uint32_t left = llmres__left(c->port, c->x_deadline);
        if (!left) return LLMRES_ERR_TIMEOUT;
        rc = t->open(t->ctx, c->x_host, c->x_port, t->flags & LLMRES_TRANSPORT_ASYNC_OPEN ? 0u : left);
        if (rc < 0) return rc;
        k->id = rc;
        k->open = 1;
        k->port = c->x_port;
        k->tls = c->x_tls;
        LLMRES_MEMCPY(k->host, c->x_host, strlen(c->x_host) + 1);
        c->connects++;
    } else {
        c->reuses++;
    }
    c->x_sent = 0;
    k->last_used = c->port->now_ms(c->port->ctx);
    return 0;
}

/* The exchange failed with rc: its connection is closed. Returns OK after sending the
   request again on a fresh connection when a kept-alive one turned out dead before any
   answer (once), else rc, and the exchange is over. */
static int llmres__http_failed(llmres_http_client_t *c, int rc) {
    for (;;) {
        llmres__conn_close(c, &c->conn[c->x_conn]); /* its state is unknown: never reuse it */
        if (!c->x_reused || c->x_got || c->x_resent || (rc != LLMRES_ERR_CLOSED && rc != LLMRES_ERR_IO)) {
            c->x_busy = 0;
            return rc;
        }
        c->stale_retries++;
        c->x_resent = 1;
        rc = llmres__http_send(c);
        if (rc == 0) return LLMRES_OK;
    }
}

LLMRES_API llmres_err_t llmres_http_begin(llmres_http_client_t *c, const llmres_http_request_t *req,
                                 llmres_http_response_t *resp, uint32_t timeout_ms) {
    int rc;
    if (!c || !c->port || !req || !resp || !req->host || c->x_busy) return LLMRES_ERR_INVALID;
    if (req->tls && !c->tls) return LLMRES_ERR_NO_TLS; /* never a plaintext fallback */
    if (strlen(req->host) >= LLMRES_MAX_HOST) return LLMRES_ERR_INVALID;
    c->x_head_len = llmres_http_write_head(req, c->head, sizeof(c->head));
    if (c->x_head_len < 0) return (llmres_err_t)c->x_head_len;
    c->x_host = req->host;
    c->x_port = req->port ? req->port : (uint16_t)(req->tls ? 443 : 80);
    c->x_tls = (uint8_t)(req->tls != 0);
    c->x_body = req->body;
    c->x_body_len = req->body ? req->body_len : 0;
    c->x_deadline = c->port->now_ms(c->port->ctx) + (timeout_ms > 0x7FFFFFFFu ? 0x7FFFFFFFu : timeout_ms);
    c->x_resent = 0;
    c->x_busy = 1;
    c->requests++;
    rc = llmres__http_send(c);
    if (rc == 0) { /* a blocking transport sends all now, as before; one in steps what goes at once */
        const llmres_transport_t *t = llmres__transport(c, c->x_tls);
        rc = llmres__http_push(c, t->flags & LLMRES_TRANSPORT_ASYNC_OPEN ? c->port->now_ms(c->port->ctx) : c->x_deadline);
        if (rc == 1) rc = 0;
    }
    return rc == 0 ? LLMRES_OK : (llmres_err_t)llmres__http_failed(c, rc);
}

LLMRES_API int llmres_http_poll(llmres_http_client_t *c, llmres_http_response_t *resp, uint32_t wait_ms) {
    uint32_t until;
    if (!c || !resp || !c->x_busy) return LLMRES_ERR_INVALID;
    until = c->port->now_ms(c->port->ctx) + (wait_ms > 0x7FFFFFFFu ? 0x7FFFFFFFu : wait_ms);
    for (;;) {
        const llmres_transport_t *t = llmres__transport(c, c->x_tls);
        llmres_http_conn_t *k = &c->conn[c->x_conn];
        uint32_t left = llmres__left(c->port, c->x_deadline), mine = llmres__left(c->port, until);
        size_t used = 0;
        int n, rc = 0;
        if (!left) {
            rc = llmres__http_late(c);
        } else if (c->x_sent < (size_t)c->x_head_len + c->x_body_len) { /* connecting, or sending */
            rc = llmres__http_push(c, until);
            if (rc == 1) return 0; /* the caller's time is up */
            if (rc == 0) continue;
        } else {
            n = t->recv(t->ctx, k->id, c->rx, sizeof(c->rx), mine < left ? mine : left);
            if (n == 0) {
                if (mine < left && !llmres__left(c->port, until)) return 0; /* nothing yet: come back */
                continue;
            }
            if (n == LLMRES_ERR_CLOSED) {
                rc = c->x_got ? llmres_http_parse_eof(resp) : LLMRES_ERR_CLOSED;
                if (rc > 0) rc = 0; /* a body that ran until the close: complete */
            } else if (n < 0 || (size_t)n > sizeof(c->rx)) {
                rc = n < 0 ? n : LLMRES_ERR_IO;
            } else {
                c->x_got += (size_t)n;
                rc = llmres_http_parse(resp, c->rx, (size_t)n, &used);
                if (rc == 0) {
                    if (!llmres__left(c->port, until)) return 0; /* more to come, but the caller's time is up */
                    continue;
                }
                if (rc == 1) {
                    if (used < (size_t)n) resp->flags |= LLMRES_HTTP_CLOSE; /* bytes after the end: out of step */
                    rc = 0;
                }
            }
            if (rc == 0) { /* complete */
                k->last_used = c->port->now_ms(c->port->ctx);
                if (!llmres_http_keep_alive(resp)) llmres__conn_close(c, k);
                c->x_busy = 0;
                return resp->status;
            }
        }
        rc = llmres__http_failed(c, rc);
        if (rc != LLMRES_OK) return rc;
    }
}

LLMRES_API void llmres_http_abort(llmres_http_client_t *c) {
    if (!c || !c->x_busy) return;
    llmres__conn_close(c, &c->conn[c->x_conn]);
    c->x_busy = 0;
}

LLMRES_API int llmres_http_exchange(llmres_http_client_t *c, const llmres_http_request_t *req,
                                    llmres_http_response_t *resp, uint32_t timeout_ms) {
    int rc = llmres_http_begin(c, req, resp, timeout_ms);
    while (rc == LLMRES_OK) rc = llmres_http_poll(c, resp, LLMRES_NEVER);
    return rc;
}
#endif /* LLMRES_NO_HTTP */

/* ---- LLM wire formats ---- */
#ifndef LLMRES_NO_LLM

LLMRES_API const char *llmres_class_name(int cls) {
    static const char *const names[LLMRES_CLASSES] = {"ok", "transient_network", "timeout", "rate_limit",
                                                      "overloaded", "server_error", "authentication", "quota",
                                                      "permanent", "unknown"};
    return cls >= 0 && cls < LLMRES_CLASSES ? names[cls] : "unknown";
}

/* The one table: which classes are retried, and which count against the breaker. A 429
   or a 401 says nothing about the provider's health; an overload or a reset does. */
LLMRES_API llmres_class_policy_t llmres_class_policy_get(int cls) {
    static const llmres_class_policy_t table[LLMRES_CLASSES] = {
        {0, LLMRES_OUTCOME_SUCCESS}, /* ok */
        {1, LLMRES_OUTCOME_FAILURE}, /* transient_network */
        {1, LLMRES_OUTCOME_FAILURE}, /* timeout */
        {1, LLMRES_OUTCOME_IGNORED}, /* rate_limit: our budget, not their health */
        {1, LLMRES_OUTCOME_FAILURE}, /* overloaded */
        {1, LLMRES_OUTCOME_FAILURE}, /* server_error */
        {0, LLMRES_OUTCOME_IGNORED}, /* authentication */
        {0, LLMRES_OUTCOME_IGNORED}, /* quota */
        {0, LLMRES_OUTCOME_IGNORED}, /* permanent */
        {0, LLMRES_OUTCOME_FAILURE}  /* unknown */
    };
    return table[cls >= 0 && cls < LLMRES_CLASSES ? cls : LLMRES_CLASS_UNKNOWN];
}

LLMRES_API int llmres_should_retry(int cls, const llmres_http_hints_t *hints) {
    if (hints && hints->should_retry >= 0) return hints->should_retry;
    return llmres_class_policy_get(cls).retry;
}

/* ---- JSON out ---- */

/* JSON's two-character escapes: the letter after the backslash, the character it stands for. */
static const char llmres__jesc_name[] = "n\"\\t/rbf", llmres__jesc_char[] = "\n\"\\\t/\r\b\f";

/* The length of the well-formed UTF-8 character at s[i] (a byte >= 0x80, i < n): no
   overlong forms, no surrogates, nothing past U+10FFFF. 0 when ill-formed, and *bad is the
   length of its maximal subpart (the bytes one U+FFFD replaces, as Unicode advises). */
static size_t llmres__utf8_len(const char *s, size_t i, size_t n, size_t *bad) {
    unsigned c = (unsigned char)s[i], lo = 0x80, hi = 0xBF;
    size_t k, len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    *bad = 1;
    if (c < 0xC2 || c > 0xF4) return 0;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F; /* U+D800..U+DFFF */
    else if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
    for (k = 1; k < len; k++, lo = 0x80, hi = 0xBF) {
        unsigned b = i + k < n ? (unsigned char)s[i + k] : 0;
        if (b < lo || b > hi) { *bad = k; return 0; }
    }
    return len;
}

/* The request being written: what does not fit sets rc, and nothing more is written. */
typedef struct llmres__jwriter {
    char *buf;
    size_t cap, at;
    int rc;
} llmres__jw_t;

static void llmres__jw(llmres__jw_t *w, const char *s, size_t n) {
    if (n > w->cap - w->at) w->rc = LLMRES_ERR_TOO_LARGE;
    if (w->rc) return;
    LLMRES_MEMCPY(w->buf + w->at, s, n);
    w->at += n;
}
#define LLMRES__JW(w, text) llmres__jw(w, text, sizeof(text) - 1)

/* A JSON string with its quotes: " \ and control characters escaped, valid UTF-8 as is,
   each ill-formed sequence (a cut character, a stray byte) as one U+FFFD, so that what a
   device sends is always JSON a strict server accepts. Copied in runs. */
static void llmres__jw_str(llmres__jw_t *w, const char *s) {
    static const char hex[] = "0123456789abcdef";
    LLMRES__JW(w, "\"");
    for (;;) {
        size_t run = 0, k = 0, bad = 1;
        unsigned char c;
        char esc[6] = {'\\', 'u', '0', '0', 0, 0};
        for (;; run += k) {
            c = (unsigned char)s[run];
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') k = 1;
            else if (c < 0x80 || (k = llmres__utf8_len(s, run, (size_t)-1, &bad)) == 0) break;
        }
        llmres__jw(w, s, run);
        s += run;
        if (!c) break;
        if (c >= 0x80) {
            LLMRES__JW(w, "\xEF\xBF\xBD");
            s += bad;
            continue;
        }
        for (k = 0; k < 8 && llmres__jesc_char[k] != (char)c; k++) {}
        esc[1] = k < 8 ? llmres__jesc_name[k] : 'u';
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        llmres__jw(w, esc, k < 8 ? 2 : 6);
        s++;
    }
    LLMRES__JW(w, "\"");
}

/* `,"key":` (no comma first in an object) */
static void llmres__jw_key(llmres__jw_t *w, const char *key) {
    if (!w->rc && w->buf[w->at - 1] != '{') LLMRES__JW(w, ",");
    llmres__jw_str(w, key);
    LLMRES__JW(w, ":");
}

/* "0.7" from 700, "1" from 1000, "1.25" from 1250: no float anywhere. */
static size_t llmres__milli(char *d, uint32_t v) {
    size_t n = llmres__utoa(d, v / 1000u);
    uint32_t frac = v % 1000u;
    if (frac) { /* three decimals, trailing zeros dropped */
        size_t m = 3;
        d[n++] = '.';
        d[n] = (char)('0' + frac / 100u);
        d[n + 1] = (char)('0' + frac / 10u % 10u);
        d[n + 2] = (char)('0' + frac % 10u);
        while (d[n + m - 1] == '0') m--; /* frac != 0: a digit stays */
        n += m;
    }
    return n;
}

/* `,"key":value`; milli: thousandths as "0.7". */
static void llmres__jw_num(llmres__jw_t *w, const char *key, uint32_t v, int milli) {
    char num[16];
    llmres__jw_key(w, key);
    llmres__jw(w, num, milli ? llmres__milli(num, v) : llmres__utoa(num, v));
}

/* One message of the conversation: {"role":...,"content":...} */
static void llmres__jw_message(llmres__jw_t *w, const char *role, const char *content) {
    if (!w->rc && w->buf[w->at - 1] != '[') LLMRES__JW(w, ",");
    LLMRES__JW(w, "{\"role\":");
    llmres__jw_str(w, role);
    LLMRES__JW(w, ",\"content\":");
    llmres__jw_str(w, content);
    LLMRES__JW(w, "}");
}

/* The sampling and the budget: Ollama's order (temperature first) in "options", else the
   budget first. */
static void llmres__jw_sampling(llmres__jw_t *w, const llmres_llm_request_t *r, uint32_t max_tokens, int options) {
    if (max_tokens && !options) llmres__jw_num(w, r->wire->max_tokens_key, max_tokens, 0);
    if (r->temperature_milli >= 0) llmres__jw_num(w, "temperature", (uint32_t)r->temperature_milli, 1);
    if (max_tokens && options) llmres__jw_num(w, r->wire->max_tokens_key, max_tokens, 0);
}

/* The row decides the shape: where the system prompt and the sampling go, and how a
   stream is asked for. */
LLMRES_API int llmres_llm_write_request(const llmres_llm_request_t *r, char *buf, size_t cap) {
    llmres__jw_t w;
    size_t i;
    uint32_t max_tokens, flags;
    if (!r || !buf || !r->wire || !r->model || !r->messages || !r->message_count || r->temperature_milli < -1 ||
        r->temperature_milli > 2000)
        return LLMRES_ERR_INVALID;
    for (i = 0; i < r->message_count; i++)
        if (!r->messages[i].role || !r->messages[i].content) return LLMRES_ERR_INVALID;
    flags = r->wire->flags;
    max_tokens = r->max_tokens ? r->max_tokens : r->wire->max_tokens_default;
    w.buf = buf;
    w.cap = cap;
    w.at = 0;
    w.rc = 0;
    LLMRES__JW(&w, "{\"model\":");
    llmres__jw_str(&w, r->model);
    if (flags & LLMRES_WIRE_SYSTEM_TOP) {
        if (max_tokens) llmres__jw_num(&w, r->wire->max_tokens_key, max_tokens, 0);
        max_tokens = 0; /* written */
        if (r->system) {
            llmres__jw_key(&w, "system");
            llmres__jw_str(&w, r->system);
        }
    }
    LLMRES__JW(&w, ",\"messages\":[");
    if (r->system && !(flags & LLMRES_WIRE_SYSTEM_TOP)) llmres__jw_message(&w, "system", r->system);
    for (i = 0; i < r->message_count; i++) llmres__jw_message(&w, r->messages[i].role, r->messages[i].content);
    LLMRES__JW(&w, "]");
    if (flags & LLMRES_WIRE_OPTIONS) {
        if (r->stream) LLMRES__JW(&w, ",\"stream\":true");
        else if (flags & LLMRES_WIRE_STREAM_FALSE) LLMRES__JW(&w, ",\"stream\":false");
        LLMRES__JW(&w, ",\"options\":{");
        llmres__jw_sampling(&w, r, max_tokens, 1);
        LLMRES__JW(&w, "}");
    } else {
        llmres__jw_sampling(&w, r, max_tokens, 0);
        if (r->stream) LLMRES__JW(&w, ",\"stream\":true");
        if (r->stream && (flags & LLMRES_WIRE_STREAM_USAGE)) /* usage in the last chunk, for the token bucket */
            LLMRES__JW(&w, ",\"stream_options\":{\"include_usage\":true}");
    }
    LLMRES__JW(&w, "}");
    return w.rc ? w.rc : w.at > 0x7FFFFFFFu ? LLMRES_ERR_TOO_LARGE : (int)w.at;
}

/* ---- JSON in: one pass, no DOM, no recursion ---- */

#define LLMRES__JPATHS 32 /* paths in one field list: a bit each in a 32-bit mask */

/* A row's field list as one document is read: a cursor per path on the segment of the
   depth it last matched, with that segment's length, so that each member is matched once,
   by length first, against only the paths that match above it, and no path is parsed but
   where it matches. */
typedef struct llmres__jpaths {
    const llmres_wire_field_t *f;
    uint32_t all;                   /* a bit per path */
    uint8_t at[LLMRES__JPATHS];     /* where its segment of depth depth[p] starts */
    uint8_t len[LLMRES__JPATHS];    /* and its length */
    uint8_t depth[LLMRES__JPATHS];
} llmres__jpaths_t;

typedef struct llmres__jlevel {
    uint32_t live;     /* paths that go on below this container's current member */
    uint32_t done;     /* paths that end at it: its value is theirs */
    uint32_t index;    /* arrays: the current element */
    uint8_t array;
} llmres__jlevel_t;

typedef struct llmres__jvisit {
    const llmres_wire_t *wire;
    llmres_llm_result_t *out;
    llmres_llm_stream_t *stream; /* reading one event of a stream, else NULL */
    int rc;                      /* TOO_LARGE: the text did not fit (the walk goes on) */
    size_t from, to;             /* this document's text in out->text */
    llmres__jpaths_t paths;
} llmres__jvisit_t;

/* The length of the path segment at s: up to a dot or the end. */
static size_t llmres__jseg(const char *s) {
    size_t k = 0;
    while (s[k] && s[k] != '.') k++;
    return k;
}

/* INVALID for a list of more than LLMRES__JPATHS paths. Segments start and end within
   255 bytes of their path's start, or never match. */
static int llmres__jpaths_init(llmres__jpaths_t *c, const llmres_wire_field_t *f) {
    unsigned p;
    c->f = f;
    c->all = 0;
    for (p = 0; f && f[p].path; p++) {
        size_t k = llmres__jseg(f[p].path);
        if (p == LLMRES__JPATHS) return LLMRES_ERR_INVALID;
        c->all |= (uint32_t)(k <= 255) << p;
        c->at[p] = c->depth[p] = 0;
        c->len[p] = (uint8_t)k;
    }
    return 0;
}

/* Moves path p's cursor back up to its segment of depth d: the one before, each time. */
static void llmres__jback(llmres__jpaths_t *c, unsigned p, unsigned d) {
    const char *path = c->f[p].path;
    size_t j = c->at[p];
    for (; c->depth[p] > d; c->depth[p]--) {
        size_t dot = j - 1;
        for (j = dot; j && path[j - 1] != '.'; j--) {}
        c->len[p] = (uint8_t)(dot - j);
    }
    c->at[p] = (uint8_t)j;
}

/* Which paths of m go on below (l->live) or end at (l->done) depth d's member: key[0..kn)
   of an object, or (key NULL) element l->index of an array, which "*" or its number
   matches. By length first; an empty segment never matches. */
static void llmres__jmatch(llmres__jpaths_t *c, llmres__jlevel_t *l, uint32_t m, unsigned d, const char *key, size_t kn) {
    unsigned p;
    l->live = l->done = 0;
    for (p = 0; m; p++, m >>= 1) {
        const char *seg;
        size_t n, k = 0, next;
        if (!(m & 1u) || c->depth[p] < d) continue;
        if (c->depth[p] > d) llmres__jback(c, p, d);
        if ((n = c->len[p]) == 0 || (key && n != kn)) continue;
        seg = c->f[p].path + c->at[p];
        if (key) {
            while (k < n && seg[k] == key[k]) k++;
            if (k < n) continue;
        } else if (!(n == 1 && *seg == '*') && llmres_parse_uint(seg, n) != l->index) {
            continue;
        }
        next = c->at[p] + n + 1;
        if (!seg[n]) {
            l->done |= 1u << p;
        } else if (next <= 255 && (n = llmres__jseg(seg + n + 1)) <= 255 - next) {
            c->at[p] = (uint8_t)next;
            c->len[p] = (uint8_t)n;
            c->depth[p] = (uint8_t)(d + 1);
            l->live |= 1u << p;
        }
    }
}

/* Past the bytes a JSON string holds as they are (printable ASCII but " and \), a word
   at a time: no byte waits for the test of the one before. */
static size_t llmres__jskip(const char *s, size_t i, size_t n) {
    const size_t ones = (size_t)-1 / 255u, high = ones * 0x80u;
    for (; n - i >= sizeof(size_t); i += sizeof(size_t)) {
        size_t w, q, b;
        LLMRES_MEMCPY(&w, s + i, sizeof(w));
        q = w ^ (ones * 0x22u); /* a zero byte where a quote was */
        b = w ^ (ones * 0x5Cu); /* ...a backslash */
        if ((b = (w | ((w - ones * 0x20u) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high) != 0) {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__ARM_FEATURE_CLZ))
            /* the lowest flag is the first such byte: a borrow only flags bytes above a true one */
            return i + (size_t)(sizeof(b) > 4 ? __builtin_ctzll((unsigned long long)b) : __builtin_ctz((unsigned)b)) / 8u;
#else
            break;
#endif
        }
    }
    while (i < n && (unsigned char)(s[i] - 0x20) < 0x60u && s[i] != '"' && s[i] != '\\') i++;
    return i;
}

/* Appends src[0..k) to dst[*len..cap); what does not fit is cut and the rest of the string
   dropped (*dst NULL, *rc TOO_LARGE). */
static void llmres__jput(char **dst, size_t cap, size_t *len, const char *src, size_t k, int *rc) {
    if (!*dst) return;
    if (k > cap - *len) {
        k = cap - *len;
        *rc = LLMRES_ERR_TOO_LARGE;
    }
    LLMRES_MEMCPY(*dst + *len, src, k);
    *len += k;
    if (*rc) *dst = NULL;
}

static uint32_t llmres__hex4(const char *s) {
    uint32_t v = 0, d;
    int i;
    for (i = 0; i < 4; i++) {
        d = (uint32_t)((unsigned char)s[i] - '0');
        if (d > 9 && (d = (uint32_t)(((unsigned char)s[i] | 0x20) - 'a') + 10u) - 10u > 5u) return LLMRES_UNKNOWN;
        v = v * 16u + d;
    }
    return v;
}

/* The escape at s[*i] ('\\'): its code point (a lone surrogate is U+FFFD), *i past it;
   LLMRES_UNKNOWN when it is not one of JSON's. */
static uint32_t llmres__jescape(const char *s, size_t n, size_t *i) {
    size_t at = *i;
    uint32_t cp, lo;
    int k;
    if (n - at < 2) return LLMRES_UNKNOWN;
    for (k = 0; s[at + 1] != 'u'; k++) {
        if (k == 8) return LLMRES_UNKNOWN;
        if (s[at + 1] == llmres__jesc_name[k]) { *i = at + 2; return (unsigned char)llmres__jesc_char[k]; }
    }
    if (n - at < 6 || (cp = llmres__hex4(s + at + 2)) == LLMRES_UNKNOWN) return LLMRES_UNKNOWN;
    *i = at + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF && n - at >= 12 && s[at + 6] == '\\' && s[at + 7] == 'u' &&
        (lo = llmres__hex4(s + at + 8)) >= 0xDC00 && lo <= 0xDFFF) {
        *i = at + 12;
        return 0x10000u + ((cp - 0xD800u) << 10) + (lo - 0xDC00u);
    }
    return cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFDu : cp;
}

/* The UTF-8 of code point cp in u: its length. */
static size_t llmres__utf8(char *u, uint32_t cp) {
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, k;
    static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (k = n - 1; k > 0; k--, cp >>= 6) u[k] = (char)(0x80 | (cp & 0x3F));
    u[0] = (char)(lead[n] | cp);
    return n;
}

/* llmres__jstring past its first run of plain bytes, which end at s[i]. */
static int llmres__jstring_rest(const char *s, size_t n, size_t *pos, size_t i, char *dst, size_t cap, size_t *len) {
    size_t run = *pos, bad;
    int rc = 0;
    for (;; i = llmres__jskip(s, i, n)) {
        char u[4];
        uint32_t cp;
        if (i >= n) return LLMRES_ERR_BAD_BODY;
        if ((unsigned char)s[i] >= 0x80) { /* a multi-byte character stays in the run */
            size_t k = llmres__utf8_len(s, i, n, &bad);
            if (!k) return LLMRES_ERR_BAD_BODY;
            i += k;
            continue;
        }
        llmres__jput(&dst, cap, len, s + run, i - run, &rc);
        if (s[i] == '"') break;
        if (s[i] != '\\' || (cp = llmres__jescape(s, n, &i)) == LLMRES_UNKNOWN) return LLMRES_ERR_BAD_BODY;
        llmres__jput(&dst, cap, len, u, llmres__utf8(u, cp), &rc);
        run = i;
    }
    *pos = i + 1;
    return rc;
}

/* Reads the string whose opening quote is s[*pos - 1], validating it whole: every escape,
   no control character, well-formed UTF-8 (else BAD_BODY). *pos ends past its closing
   quote. With dst (cap bytes), its text is unescaped onto dst[*len..), in runs; TOO_LARGE
   when it does not fit (what fits is kept, the string is still validated to its end). */
static int llmres__jstring(const char *s, size_t n, size_t *pos, char *dst, size_t cap, size_t *len) {
    size_t i = llmres__jskip(s, *pos, n);
    if (dst || i >= n || s[i] != '"') return llmres__jstring_rest(s, n, pos, i, dst, cap, len);
    *pos = i + 1; /* the common case: plain bytes, nothing to copy */
    return 0;
}

/* ---- the providers: one row each ---- */
#define LLMRES__ERRORS {"error.type", LLMRES_FIELD_ERROR_TYPE}, {"error.code", LLMRES_FIELD_ERROR_CODE}, \
    {"error.message", LLMRES_FIELD_ERROR_MESSAGE}
static const llmres_wire_field_t llmres__openai_answer[] = {
    {"choices.0.message.content", LLMRES_FIELD_TEXT}, {"choices.0.finish_reason", LLMRES_FIELD_FINISH},
    {"usage.prompt_tokens", LLMRES_FIELD_INPUT_TOKENS}, {"usage.completion_tokens", LLMRES_FIELD_OUTPUT_TOKENS},
    {"error", LLMRES_FIELD_ERROR}, LLMRES__ERRORS, {NULL, 0}};
static const llmres_wire_field_t llmres__openai_event[] = {
    {"choices.0.delta.content", LLMRES_FIELD_TEXT}, {"choices.0.finish_reason", LLMRES_FIELD_FINISH},
    {"usage.prompt_tokens", LLMRES_FIELD_INPUT_TOKENS}, {"usage.completion_tokens", LLMRES_FIELD_OUTPUT_TOKENS},
    {"error", LLMRES_FIELD_ERROR}, LLMRES__ERRORS, {NULL, 0}};
static const llmres_wire_field_t llmres__anthropic_answer[] = {
    {"content.*.text", LLMRES_FIELD_TEXT}, /* only text blocks have "text" */
    {"stop_reason", LLMRES_FIELD_FINISH}, {"usage.input_tokens", LLMRES_FIELD_INPUT_TOKENS},
    {"usage.output_tokens", LLMRES_FIELD_OUTPUT_TOKENS}, LLMRES__ERRORS, {NULL, 0}};
static const llmres_wire_field_t llmres__anthropic_event[] = {
    {"type", LLMRES_FIELD_EVENT_TYPE}, {"delta.text", LLMRES_FIELD_TEXT}, /* text_delta; other deltas have none */
    {"delta.stop_reason", LLMRES_FIELD_FINISH}, {"message.usage.input_tokens", LLMRES_FIELD_INPUT_TOKENS},
    {"usage.output_tokens", LLMRES_FIELD_OUTPUT_TOKENS}, LLMRES__ERRORS, {NULL, 0}};
static const llmres_wire_field_t llmres__ollama_answer[] = {
    {"message.content", LLMRES_FIELD_TEXT}, {"done_reason", LLMRES_FIELD_FINISH},
    {"prompt_eval_count", LLMRES_FIELD_INPUT_TOKENS}, {"eval_count", LLMRES_FIELD_OUTPUT_TOKENS},
    {"error", LLMRES_FIELD_ERROR}, LLMRES__ERRORS, {NULL, 0}};
static const llmres_wire_field_t llmres__ollama_event[] = {
    {"message.content", LLMRES_FIELD_TEXT}, {"done_reason", LLMRES_FIELD_FINISH}, {"done", LLMRES_FIELD_DONE},
    {"prompt_eval_count", LLMRES_FIELD_INPUT_TOKENS}, {"eval_count", LLMRES_FIELD_OUTPUT_TOKENS},
    {"error", LLMRES_FIELD_ERROR}, LLMRES__ERRORS, {NULL, 0}};
#undef LLMRES__ERRORS

/* name, path, auth header and prefix, version header and value, max-tokens key and
   default, flags, answer and event paths, the stream's end data, end type, error type */
static const llmres_wire_t llmres__wires[LLMRES_PROVIDER_COUNT] = {
    {"openai", "/v1/chat/completions", "Authorization", "Bearer ", NULL, NULL, "max_tokens", 0,
     LLMRES_WIRE_STREAM_USAGE, llmres__openai_answer, llmres__openai_event, "[DONE]", NULL, NULL},
    {"anthropic", "/v1/messages", "x-api-key", "", "anthropic-version", "2023-06-01", "max_tokens", 1024,
     LLMRES_WIRE_SYSTEM_TOP, llmres__anthropic_answer, llmres__anthropic_event, NULL, "message_stop", "error"},
    {"ollama", "/api/chat", "Authorization", "Bearer ", NULL, NULL, "num_predict", 0,
     LLMRES_WIRE_OPTIONS | LLMRES_WIRE_STREAM_FALSE | LLMRES_WIRE_NDJSON, llmres__ollama_answer, llmres__ollama_event,
     NULL, NULL, NULL},
    {"azure", "/openai/deployments/{model}/chat/completions?api-version=2024-10-21", "api-key", "", NULL, NULL,
     "max_tokens", 0, LLMRES_WIRE_STREAM_USAGE, llmres__openai_answer, llmres__openai_event, "[DONE]", NULL, NULL}};

LLMRES_API const llmres_wire_t *llmres_wire_get(int format) {
    return format >= 0 && format < LLMRES_PROVIDER_COUNT ? &llmres__wires[format] : NULL;
}

/* A JSON string equals a C string (raw compare: the words we look for have no escapes). */
static int llmres__jeq(const char *v, size_t n, const char *word) {
    return word && strlen(word) == n && !LLMRES_MEMCMP(v, word, n);
}

/* Where a string at field f is unescaped to as it is read: the text (from x->to), or a
   short field; NULL for none. */
static char *llmres__jdest(llmres__jvisit_t *x, const llmres_wire_field_t *f, size_t *cap, size_t *len) {
    llmres_llm_result_t *o = x->out;
    *len = 0;
    switch (f ? f->field : 255) {
    case LLMRES_FIELD_TEXT:
        *len = x->to;
        *cap = o->text_cap ? o->text_cap - 1 : 0;
        return o->text_cap ? o->text : o->finish; /* no room at all: 0 bytes written, any text TOO_LARGE */
    case LLMRES_FIELD_FINISH: *cap = sizeof(o->finish) - 1; return o->finish;
    case LLMRES_FIELD_ERROR: case LLMRES_FIELD_ERROR_MESSAGE: *cap = sizeof(o->error_message) - 1; return o->error_message;
    case LLMRES_FIELD_ERROR_TYPE: *cap = sizeof(o->error_type) - 1; return o->error_type;
    case LLMRES_FIELD_ERROR_CODE: *cap = sizeof(o->error_code) - 1; return o->error_code;
    default: *cap = 0; return NULL;
    }
}

/* A short field ends: a string read into it (len bytes; rc TOO_LARGE: cut on a character
   boundary), a number's raw digits, or empty for any other value. NUL-terminated. */
static void llmres__jshort(char *dst, size_t cap, size_t len, int rc, const char *v, size_t n, int kind) {
    if (kind == 'n') {
        len = n < cap ? n : cap;
        LLMRES_MEMCPY(dst, v, len);
    } else if (kind != 's') {
        len = 0;
    } else if (rc == LLMRES_ERR_TOO_LARGE) {
        size_t end = len;
        while (end && ((unsigned char)dst[end - 1] & 0xC0) == 0x80) end--; /* continuation bytes */
        if (end && (unsigned char)dst[end - 1] >= 0xC0) {                  /* their lead byte */
            unsigned char lead = (unsigned char)dst[end - 1];
            size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (len - (end - 1) < need) len = end - 1; /* the character did not fit whole */
        }
    }
    dst[len] = 0;
}

/* The text of an answer or of a stream's piece, already unescaped onto out->text up to
   len (rc: TOO_LARGE when it did not fit). */
static void llmres__visit_text(llmres__jvisit_t *x, size_t len, int rc, int kind) {
    llmres_llm_result_t *o = x->out;
    if (!x->stream) o->answered = 1; /* the shape of an answer, even with no text (tool calls) */
    if (kind != 's' || x->rc) return;
    if (rc) x->rc = rc;
    else x->to = len;
    if (o->text_cap) o->text[x->to] = 0;
}

/* One value of a response or of a stream's event at field f: v[0..n) raw; a string was
   unescaped to its field as it was read (len bytes, rc). */
static void llmres__llm_visit(llmres__jvisit_t *x, const llmres_wire_field_t *f, const char *v, size_t n, int kind, size_t len,
                              int rc) {
    llmres_llm_result_t *o = x->out;
    llmres_llm_stream_t *s = x->stream;
    size_t cap, at;
    char *dst;
    switch (f->field) {
    case LLMRES_FIELD_TEXT: llmres__visit_text(x, len, rc, kind); return;
    case LLMRES_FIELD_FINISH:
        if (!s) o->answered = 1;
        if (s && kind != 's') return;
        break;
    case LLMRES_FIELD_INPUT_TOKENS: if (kind == 'n') o->input_tokens = llmres_parse_uint(v, n); return;
    case LLMRES_FIELD_OUTPUT_TOKENS: if (kind == 'n') o->output_tokens = llmres_parse_uint(v, n); return;
    case LLMRES_FIELD_EVENT_TYPE:
        if (!s || kind != 's') return;
        if (llmres__jeq(v, n, x->wire->end_type)) s->done = 1;
        else if (llmres__jeq(v, n, x->wire->error_type)) s->failed = 1;
        return;
    case LLMRES_FIELD_DONE: if (s && kind == 't') s->done = 1; return;
    case LLMRES_FIELD_ERROR: if (kind == '0') return; /* "error": null is none */
    /* fall through */
    case LLMRES_FIELD_ERROR_MESSAGE: case LLMRES_FIELD_ERROR_TYPE: case LLMRES_FIELD_ERROR_CODE:
        if (s) s->failed = 1; /* in a stream, any error field is an error */
        break;
    default: return;
    }
    dst = llmres__jdest(x, f, &cap, &at);
    llmres__jshort(dst, cap, len, rc, v, n, kind);
}

static size_t llmres__jws(const char *s, size_t i, size_t n) {
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++;
    return i;
}

static size_t llmres__jdigits(const char *s, size_t i, size_t n) {
    while (i < n && llmres__is_digit((unsigned char)s[i])) i++;
    return i;
}

/* The end of the number at s[i] by RFC 8259's grammar (-?(0|[1-9][0-9]*)(.[0-9]+)?
   ([eE][+-]?[0-9]+)?), or i when there is none. */
static size_t llmres__jnumber(const char *s, size_t i, size_t n) {
    size_t k = i + (s[i] == '-'), d;
    if (k < n && s[k] == '0') k++;
    else if (k < n && s[k] >= '1' && s[k] <= '9') k = llmres__jdigits(s, k, n);
    else return i;
    if (k < n && s[k] == '.') {
        if ((d = llmres__jdigits(s, k + 1, n)) == k + 1) return i;
        k = d;
    }
    if (k < n && (s[k] | 0x20) == 'e') {
        k += 1u + (k + 1 < n && (s[k + 1] == '+' || s[k + 1] == '-'));
        if ((d = llmres__jdigits(s, k, n)) == k) return i;
        k = d;
    }
    return k;
}

/* A value that is no container, at s[*pos]: read whole, validated, given to field f. */
static int llmres__jscalar(const char *s, size_t n, size_t *pos, llmres__jvisit_t *x, const llmres_wire_field_t *f) {
    static const char *const word[3] = {"true", "false", "null"};
    size_t i = *pos, k = i + 1, len = 0, cap;
    int kind = 's', rc = 0, w;
    if (i >= n) return LLMRES_ERR_BAD_BODY;
    if (s[i] == '"') {
        char *dst = llmres__jdest(x, f, &cap, &len);
        if ((rc = llmres__jstring(s, n, &k, dst, cap, &len)) == LLMRES_ERR_BAD_BODY) return rc;
        i++; /* the raw string is s[i..k - 1) */
        k--;
    } else if ((k = llmres__jnumber(s, i, n)) > i) {
        kind = 'n';
    } else {
        for (w = 0; w < 3; w++) {
            k = i + 4u + (w == 1);
            if (k <= n && !LLMRES_MEMCMP(s + i, word[w], k - i)) break;
        }
        if (w == 3) return LLMRES_ERR_BAD_BODY;
        kind = "tf0"[w];
    }
    *pos = k + (kind == 's');
    if (f) llmres__llm_visit(x, f, s + i, k - i, kind, len, rc);
    return 0;
}

/* An object's member name and its colon at s[*pos] (d open containers): the paths that
   go on through it. */
static int llmres__jname(const char *s, size_t n, size_t *pos, llmres__jvisit_t *x, llmres__jlevel_t *lv, unsigned d) {
    size_t i = *pos, k = i + 1;
    if (i >= n || s[i] != '"' || llmres__jstring(s, n, &k, NULL, 0, NULL)) return LLMRES_ERR_BAD_BODY;
    llmres__jmatch(&x->paths, &lv[d - 1], d > 1 ? lv[d - 2].live : x->paths.all, d - 1, s + i + 1, k - i - 2);
    k = llmres__jws(s, k, n);
    if (k >= n || s[k] != ':') return LLMRES_ERR_BAD_BODY;
    *pos = k + 1;
    return 0;
}

/* Walks one whole JSON document, validating all of it (RFC 8259: grammar, escapes, UTF-8)
   and giving each value at a field's path to the visitor. LLMRES_ERR_BAD_BODY for
   anything that is not exactly one JSON value (truncated, garbage, too deep). */
static int llmres__json_walk(const char *s, size_t n, llmres__jvisit_t *x) {
    llmres__jlevel_t lv[LLMRES_JSON_MAX_DEPTH];
    unsigned d = 0; /* open containers */
    size_t i = 0;
    int rc, name = 0;
    for (;;) {
        i = llmres__jws(s, i, n);
        if (name) {
            if ((rc = llmres__jname(s, n, &i, x, lv, d)) != 0) return rc;
            name = 0;
            continue;
        }
        if (i < n && (s[i] == '{' || s[i] == '[')) {
            if (d == LLMRES_JSON_MAX_DEPTH) return LLMRES_ERR_BAD_BODY;
            lv[d].array = (uint8_t)(s[i] == '[');
            lv[d].index = 0;
            llmres__jmatch(&x->paths, &lv[d], lv[d].array ? d ? lv[d - 1].live : x->paths.all : 0, d, NULL, 0);
            i = llmres__jws(s, i + 1, n);
            if (i >= n || s[i] != (lv[d].array ? ']' : '}')) {
                name = !lv[d++].array;
                continue;
            }
            d++; /* empty: closed below */
        } else {
            const llmres_wire_field_t *f = NULL;
            uint32_t m = d ? lv[d - 1].done : 0, p;
            for (p = 0; m; p++, m >>= 1) /* the first path that ends here */
                if (m & 1u) { f = &x->paths.f[p]; break; }
            if ((rc = llmres__jscalar(s, n, &i, x, f)) != 0) return rc;
            i = llmres__jws(s, i, n);
        }
        for (;;) { /* after a value: a comma, or its container's end */
            if (!d) return i < n ? LLMRES_ERR_BAD_BODY : 0;
            if (i >= n) return LLMRES_ERR_BAD_BODY;
            if (s[i] == ',') break;
            if (s[i] != (lv[d - 1].array ? ']' : '}')) return LLMRES_ERR_BAD_BODY;
            i = llmres__jws(s, i + 1, n);
            d--;
        }
        i++;
        if (!lv[d - 1].array) name = 1;
        else {
            lv[d - 1].index++;
            llmres__jmatch(&x->paths, &lv[d - 1], d > 1 ? lv[d - 2].live : x->paths.all, d - 1, NULL, 0);
        }
    }
}

/* Reads one document (a response, or a stream's event) into x->out, then settles its
   text: counted, and given to on_text, only when the document is whole and valid. */
static int llmres__jread(llmres__jvisit_t *x, const char *s, size_t n) {
    llmres_llm_result_t *o = x->out;
    llmres_llm_stream_t *st = x->stream;
    int rc = llmres__jpaths_init(&x->paths, st ? x->wire->event : x->wire->answer);
    x->rc = 0;
    x->from = x->to = st && !st->keep_text ? 0 : o->text_len;
    if (!rc) rc = llmres__json_walk(s, n, x);
    if (!rc) rc = x->rc;
    if (o->text_cap) o->text[rc ? x->from : x->to] = 0;
    if (rc) return rc;
    o->text_len = st && !st->keep_text ? o->text_len + x->to : x->to;
    if (st && st->on_text && x->to > x->from) st->on_text(st->user, o->text + x->from, x->to - x->from);
    return 0;
}

LLMRES_API llmres_err_t llmres_llm_parse_response(const llmres_wire_t *wire, const void *body, size_t len, llmres_llm_result_t *out) {
    llmres__jvisit_t x;
    int rc;
    if (!out || !wire || (!body && len) || (!out->text && out->text_cap)) return LLMRES_ERR_INVALID;
    out->text_len = 0;
    out->answered = 0;
    out->finish[0] = out->error_type[0] = out->error_code[0] = out->error_message[0] = 0;
    out->input_tokens = out->output_tokens = LLMRES_UNKNOWN;
    x.wire = wire;
    x.out = out;
    x.stream = NULL;
    rc = llmres__jread(&x, (const char *)body, len);
    if (rc == LLMRES_ERR_BAD_BODY) { /* never an answer; what an error said may still class it */
        out->answered = 0;
        out->finish[0] = 0;
        out->input_tokens = out->output_tokens = LLMRES_UNKNOWN;
    }
    return (llmres_err_t)rc;
}

/* ---- streams: server-sent events, NDJSON ---- */
enum { LLMRES__SSE_FIELD = 0, LLMRES__SSE_DATA_START, LLMRES__SSE_DATA, LLMRES__SSE_SKIP };

LLMRES_API llmres_err_t llmres_llm_stream_init(llmres_llm_stream_t *s, const llmres_wire_t *wire, char *event_buf, size_t event_cap,
                                      llmres_llm_result_t *out) {
    llmres__jpaths_t paths;
    if (!s || !wire || !event_buf || !event_cap || !out || (!out->text && out->text_cap) || llmres__jpaths_init(&paths, wire->event))
        return LLMRES_ERR_INVALID;
    LLMRES_MEMSET(s, 0, sizeof(*s));
    s->out = out;
    s->wire = wire;
    s->event = event_buf;
    s->event_cap = event_cap;
    s->keep_text = 1;
    out->text_len = 0;
    out->answered = 0;
    if (out->text_cap) out->text[0] = 0;
    out->finish[0] = out->error_type[0] = out->error_code[0] = out->error_message[0] = 0;
    out->input_tokens = out->output_tokens = LLMRES_UNKNOWN;
    return LLMRES_OK;
}

/* A whole event's data is in: read it. */
static void llmres__stream_event(llmres_llm_stream_t *s) {
    llmres__jvisit_t x;
    int rc;
    s->events++;
    if (!s->event_len) {
        /* an event with empty data: nothing to read (the SSE spec delivers it as such) */
    } else if (llmres__jeq(s->event, s->event_len, s->wire->done_data)) {
        s->done = 1;
    } else {
        x.wire = s->wire;
        x.out = s->out;
        x.stream = s;
        if ((rc = llmres__jread(&x, s->event, s->event_len)) != 0) s->error = rc;
    }
    s->event_len = 0;
    s->has_data = 0;
}

static void llmres__stream_put(llmres_llm_stream_t *s, char c) {
    if (s->event_len >= s->event_cap) s->error = LLMRES_ERR_TOO_LARGE; /* an event larger than its buffer */
    else s->event[s->event_len++] = c;
}

/* A line ended: for SSE a blank line ends an event; for NDJSON each line is one. */
static void llmres__stream_line(llmres_llm_stream_t *s) {
    if (s->wire->flags & LLMRES_WIRE_NDJSON) {
        if (s->event_len) llmres__stream_event(s);
        return;
    }
    if (s->state == LLMRES__SSE_FIELD) {
        if (!s->field_len) {
            if (s->has_data) llmres__stream_event(s);
        } else if (s->field_len == 4 && !LLMRES_MEMCMP(s->field, "data", 4)) { /* "data" alone: an empty line of data */
            if (s->has_data) llmres__stream_put(s, '\n');
            s->has_data = 1;
        }
    }
    s->state = LLMRES__SSE_FIELD;
    s->field_len = 0;
}

LLMRES_API int llmres_llm_stream_feed(llmres_llm_stream_t *s, const void *data, size_t len) {
    const char *d = (const char *)data;
    size_t i;
    if (!s || (!d && len)) return LLMRES_ERR_INVALID;
    for (i = 0; i < len && !s->error; i++) {
        char c = d[i];
        if (s->bom < 3) { /* a UTF-8 byte order mark may open the stream: not data */
            static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
            if (c == bom[s->bom] && (s->bom || (!s->events && !s->event_len && !s->field_len && !s->has_data))) {
                s->bom++;
                continue;
            }
            if (s->bom) { s->error = LLMRES_ERR_BAD_BODY; break; } /* half a mark */
            s->bom = 3;
        }
        if (s->wire->flags & LLMRES_WIRE_NDJSON) { /* NDJSON: a line ends at LF; CR is JSON whitespace */
            if (c == '\n') llmres__stream_line(s);
            else llmres__stream_put(s, c);
            continue;
        }
        if (c == '\n' && s->cr) { s->cr = 0; continue; } /* the CR of a CRLF ended the line */
        s->cr = c == '\r';
        if (c == '\r' || c == '\n') { llmres__stream_line(s); continue; }
        switch (s->state) {
        case LLMRES__SSE_FIELD:
            if (c != ':') {
                if (s->field_len < sizeof(s->field)) s->field[s->field_len] = c;
                if (s->field_len < 255) s->field_len++;
            } else if (s->field_len == 4 && !LLMRES_MEMCMP(s->field, "data", 4)) {
                if (s->has_data) llmres__stream_put(s, '\n'); /* lines of one event's data join with LF */
                s->has_data = 1;
                s->state = LLMRES__SSE_DATA_START;
            } else {
                s->state = LLMRES__SSE_SKIP; /* a comment, event:, id:, retry: */
            }
            break;
        case LLMRES__SSE_DATA_START:
            s->state = LLMRES__SSE_DATA;
            if (c != ' ') llmres__stream_put(s, c); /* one space after the colon is not data */
            break;
        case LLMRES__SSE_DATA: llmres__stream_put(s, c); break;
        default: break;
        }
    }
    return s->error ? s->error : s->done;
}

LLMRES_API llmres_err_t llmres_llm_stream_end(llmres_llm_stream_t *s) {
    if (!s) return LLMRES_ERR_INVALID;
    if (!s->error && (s->wire->flags & LLMRES_WIRE_NDJSON) && s->event_len) llmres__stream_event(s); /* no final LF */
    if (s->error) return (llmres_err_t)s->error;
    if (s->failed && !s->out->error_type[0] && !s->out->error_code[0] && !s->out->error_message[0])
        LLMRES_MEMCPY(s->out->error_type, "error", 6); /* an error that said nothing is still one */
    if (s->done && !s->failed) s->out->answered = 1;
    return s->done || s->failed ? LLMRES_OK : LLMRES_ERR_TRUNCATED;
}

/* Case-insensitive search for the lower-case word w in the string s. */
static int llmres__contains(const char *s, const char *w) {
    size_t n = strlen(w), len = strlen(s), i;
    for (i = 0; i + n <= len; i++)
        if (llmres__ieq(s + i, n, w)) return 1;
    return 0;
}

LLMRES_API int llmres_classify(int st, const llmres_http_hints_t *hints, const llmres_llm_result_t *r) {
    const char *type = r ? r->error_type : "", *code = r ? r->error_code : "", *msg = r ? r->error_message : "";
    (void)hints; /* x-should-retry steers the retry, not the class: llmres_should_retry */
    if (st < 0) {
        switch (st) {
        case LLMRES_ERR_TIMEOUT: case LLMRES_ERR_FIRST_BYTE: case LLMRES_ERR_FIRST_TOKEN:
        case LLMRES_ERR_STREAM_IDLE:
            return LLMRES_CLASS_TIMEOUT;
        case LLMRES_ERR_CERT: case LLMRES_ERR_NO_TLS: case LLMRES_ERR_INVALID:
        case LLMRES_ERR_TOO_LARGE: case LLMRES_ERR_ABORTED:
            return LLMRES_CLASS_PERMANENT; /* the same again would fail the same way */
        case LLMRES_ERR_BAD_HTTP: case LLMRES_ERR_BAD_BODY: case LLMRES_ERR_HEADER_TOO_LONG:
        case LLMRES_ERR_TOO_MANY_HEADERS:
            return LLMRES_CLASS_SERVER_ERROR; /* the server sent garbage */
        default:
            return LLMRES_CLASS_TRANSIENT_NETWORK; /* IO, CLOSED, CONNECT, DNS, TLS, TRUNCATED */
        }
    }
    if (st >= 200 && st < 300) {
        if (!type[0] && !code[0] && !msg[0]) return LLMRES_CLASS_OK;
        /* an error inside a 200 (a stream that failed once begun): as if it were the status;
           a numeric code (some gateways send the HTTP status there) is taken as it is */
        uint32_t num = llmres_parse_uint(code, strlen(code));
        st = num >= 400 && num <= 599 ? (int)num
           : !strcmp(type, "rate_limit_error") || !strcmp(code, "rate_limit_exceeded") ? 429
           : !strcmp(type, "authentication_error") ? 401 : !strcmp(type, "permission_error") ? 403
           : !strcmp(type, "not_found_error") ? 404 : !strcmp(type, "request_too_large") ? 413
           : !strcmp(type, "invalid_request_error") ? 400 : 500;
    }
    if (!strcmp(type, "insufficient_quota") || !strcmp(code, "insufficient_quota") || !strcmp(type, "billing_error") ||
        st == 402)
        return LLMRES_CLASS_QUOTA;
    if (st == 429) return LLMRES_CLASS_RATE_LIMIT;
    if (st == 401 || st == 403) return LLMRES_CLASS_AUTHENTICATION;
    if (st == 408) return LLMRES_CLASS_TIMEOUT;
    if (st == 529 || !strcmp(type, "overloaded_error") ||
        (st >= 500 && (llmres__contains(msg, "overloaded") || llmres__contains(msg, "server busy"))))
        return LLMRES_CLASS_OVERLOADED;
    if (st >= 500 && st <= 599) return LLMRES_CLASS_SERVER_ERROR;
    if (st >= 400 && st <= 499) return LLMRES_CLASS_PERMANENT;
    return LLMRES_CLASS_UNKNOWN;
}

#endif /* LLMRES_NO_LLM */

/* ---- the client ---- */
#ifndef LLMRES_NO_CLIENT

/* ---- configuration ---- */

/* One table: the key, where it lives, its range; rates are thousandths. */
typedef struct llmres__cfgkey {
    const char *name;
    size_t offset;
    uint32_t min, max;
    uint8_t milli;
} llmres__cfgkey_t;

#define LLMRES__CK(n, f, lo, hi, m) {n, offsetof(llmres_config_t, f), lo, hi, m}
static const llmres__cfgkey_t llmres__cfgkeys[] = {
    LLMRES__CK("LLM_MAX_CONCURRENT_REQUESTS", max_concurrent, 1, 1000, 0),
    LLMRES__CK("LLM_REQUESTS_PER_SECOND", rps_milli, 0, 1000000000u, 1),
    LLMRES__CK("LLM_BURST", burst, 0, 1000000, 0),
    LLMRES__CK("LLM_TOKENS_PER_MINUTE", tokens_per_minute, 0, 0xFFFFFFFEu, 0),
    LLMRES__CK("LLM_MAX_QUEUE_SIZE", max_queue, 1, 65534, 0),
    LLMRES__CK("LLM_CIRCUIT_BREAKER_MAX_FAILURES", breaker_failures, 1, 100000, 0),
    LLMRES__CK("LLM_CIRCUIT_BREAKER_TIMEOUT_MS", breaker_timeout_ms, 1, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_MAX_RETRIES", max_retries, 0, 1000, 0),
    LLMRES__CK("LLM_BACKOFF_BASE_MS", backoff_base_ms, 1, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_BACKOFF_MAX_MS", backoff_max_ms, 1, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_RETRY_AFTER_MAX_MS", retry_after_max_ms, 1, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_TIMEOUT_MS", timeout_ms, 1, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_ATTEMPT_TIMEOUT_MS", attempt_timeout_ms, 1, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_FIRST_BYTE_TIMEOUT_MS", first_byte_timeout_ms, 0, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_FIRST_TOKEN_TIMEOUT_MS", first_token_timeout_ms, 0, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_STREAM_IDLE_TIMEOUT_MS", stream_idle_timeout_ms, 0, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_CACHE", cache, 0, 2, 0),
    LLMRES__CK("LLM_CACHE_TTL_MS", cache_ttl_ms, 0, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_SHED_WAIT_MS", shed_wait_ms, 0, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_RETRY_BUDGET_PCT", retry_budget_pct, 0, 100, 0),
    LLMRES__CK("LLM_RETRY_BUDGET_BURST", retry_budget_burst, 0, 1000, 0),
    LLMRES__CK("LLM_BREAKER_JITTER_PCT", breaker_jitter_pct, 0, 100, 0),
    LLMRES__CK("LLM_OVERLOAD_WINDOW_MS", overload_window_ms, 1000, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_OVERLOAD_WARN_PCT", overload_warn_pct, 1, 100, 0),
    LLMRES__CK("LLM_OVERLOAD_CRITICAL_PCT", overload_critical_pct, 1, 100, 0),
    LLMRES__CK("LLM_OVERLOAD_RECOVER_MS", overload_recover_ms, 1, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_THROTTLE_K", throttle_k_milli, 0, 100000, 1),
    LLMRES__CK("LLM_JITTER_SEED", jitter_seed, 0, 0xFFFFFFFEu, 0),
    LLMRES__CK("LLM_STATS_SLOT_MS", stats_slot_ms, 1000, 0x1FFFFFFu, 0),
    LLMRES__CK("LLM_STATS_LOG_MS", stats_log_ms, 0, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_PRICE_INPUT_PER_MTOK", price_in_milli, 0, 1000000000u, 1),
    LLMRES__CK("LLM_PRICE_OUTPUT_PER_MTOK", price_out_milli, 0, 1000000000u, 1),
    LLMRES__CK("LLM_HEALTH_MIN_CALLS", health_min_calls, 0, 1000000, 0),
    LLMRES__CK("LLM_HEALTH_SUCCESS_PCT", health_success_pct, 0, 100, 0),
    LLMRES__CK("LLM_HEALTH_FAILURE_PCT", health_failure_pct, 1, 100, 0),
    LLMRES__CK("LLM_HEALTH_DENIAL_PCT", health_denial_pct, 1, 100, 0),
    LLMRES__CK("LLM_HEALTH_LATENCY_MS", health_latency_ms, 1, 0x7FFFFFFFu, 0),
    LLMRES__CK("LLM_ISSUE_FLAP_OPENS", issue_flap_opens, 1, 1000000, 0),
    LLMRES__CK("LLM_ISSUE_CACHE_HIT_PCT", issue_cache_hit_pct, 0, 100, 0),
};
#undef LLMRES__CK
#define LLMRES__CFGKEYS (sizeof(llmres__cfgkeys) / sizeof(llmres__cfgkeys[0]))

LLMRES_API const char *llmres_config_key(int i) {
    return i >= 0 && (size_t)i < LLMRES__CFGKEYS ? llmres__cfgkeys[i].name : NULL;
}

LLMRES_API void llmres_config_defaults(llmres_config_t *c) {
    if (!c) return;
    LLMRES_MEMSET(c, 0, sizeof(*c));
    c->max_concurrent = 4;
    c->rps_milli = 2000;
    c->max_queue = 32;
    c->breaker_failures = 5;
    c->breaker_timeout_ms = 5000;
    c->max_retries = 4;
    c->backoff_base_ms = 500;
    c->backoff_max_ms = 20000;
    c->retry_after_max_ms = 60000;
    c->timeout_ms = 60000;
    c->attempt_timeout_ms = 30000;
    c->stream_idle_timeout_ms = 10000;
    c->cache = LLMRES_CACHE_OFF; /* caching is asked for, never a side effect */
    c->cache_ttl_ms = 300000;
    c->shed_wait_ms = 2000;
    c->retry_budget_pct = 10;
    c->retry_budget_burst = 2;
    c->breaker_jitter_pct = 50;
    c->overload_window_ms = 600000;
    c->overload_warn_pct = 10;
    c->overload_critical_pct = 50;
    c->overload_recover_ms = 10000;
    c->throttle_k_milli = 1200;
    c->stats_slot_ms = 60000;
    c->stats_log_ms = 60000;
    c->health_min_calls = 10;
    c->health_success_pct = 95;
    c->health_failure_pct = 20;
    c->health_denial_pct = 10;
    c->health_latency_ms = 10000;
    c->issue_flap_opens = 3;
    c->issue_cache_hit_pct = 10;
}

/* Copies a message into err, cut to fit. */
static void llmres__say(char *err, size_t cap, const char *a, const char *b, size_t blen, const char *c) {
    size_t at = 0;
    const char *parts[3];
    size_t lens[3], i;
    if (!err || !cap) return;
    parts[0] = a; lens[0] = strlen(a);
    parts[1] = b; lens[1] = blen;
    parts[2] = c; lens[2] = strlen(c);
    for (i = 0; i < 3; i++) {
        size_t n = lens[i] < cap - 1 - at ? lens[i] : cap - 1 - at;
        LLMRES_MEMCPY(err + at, parts[i], n);
        at += n;
    }
    err[at] = 0;
}

static void llmres__say4(char *err, size_t cap, const char *a, const char *b, const char *c, const char *d) {
    char tmp[160];
    llmres__say(tmp, sizeof(tmp), a, b, strlen(b), "");
    llmres__say(err, cap, tmp, c, strlen(c), d);
}

/* "12", or with milli "1.5" and "0.001" (at most three decimals) as thousandths, into
   *out. 0 or INVALID. */
static int llmres__cfgnum(const char *v, size_t n, int milli, uint32_t *out) {
    size_t dot = 0, i, decimals, lead = 0;
    uint64_t whole, frac = 0;
    while (dot < n && v[dot] != '.') dot++;
    decimals = dot < n ? n - dot - 1 : 0;
    if (dot == 0 || (dot < n && (!milli || decimals == 0 || decimals > 3))) return LLMRES_ERR_INVALID;
    while (lead + 1u < dot && v[lead] == '0') lead++; /* "000000151239680" is 151239680: only value digits count */
    whole = llmres_parse_uint(v + lead, dot - lead);
    if (whole == LLMRES_UNKNOWN) return LLMRES_ERR_INVALID;
    for (i = dot + 1; i < n; i++) {
        if (!llmres__is_digit((unsigned char)v[i])) return LLMRES_ERR_INVALID;
        frac = frac * 10u + (uint64_t)(v[i] - '0');
    }
    for (i = decimals; i < 3; i++) frac *= 10u; /* to thousandths */
    if (milli) whole = whole * 1000u + frac;
    if (whole > 0xFFFFFFFEull) return LLMRES_ERR_INVALID;
    *out = (uint32_t)whole;
    return 0;
}

LLMRES_API llmres_err_t llmres_config_set(llmres_config_t *c, const char *key, const char *value, char *err, size_t err_cap) {
    size_t i, n;
    uint32_t v = 0;
    if (!c || !key || !value) { llmres__say(err, err_cap, "config: NULL argument", "", 0, ""); return LLMRES_ERR_INVALID; }
    n = strlen(value);
    for (i = 0; i < LLMRES__CFGKEYS; i++) {
        const llmres__cfgkey_t *k = &llmres__cfgkeys[i];
        if (strcmp(k->name, key) != 0) continue;
        if (!strcmp(k->name, "LLM_CACHE")) {
            if (llmres__ieq(value, n, "off")) v = LLMRES_CACHE_OFF;
            else if (llmres__ieq(value, n, "deterministic")) v = LLMRES_CACHE_DETERMINISTIC;
            else if (llmres__ieq(value, n, "all")) v = LLMRES_CACHE_ALL;
            else { llmres__say4(err, err_cap, key, ": want off, deterministic or all, not '", value, "'"); return LLMRES_ERR_INVALID; }
        } else if (llmres__cfgnum(value, n, k->milli, &v) != 0) {
            llmres__say4(err, err_cap, key, k->milli ? ": not a number like 1.5: '" : ": not a whole number: '", value, "'");
            return LLMRES_ERR_INVALID;
        } else if (v < k->min || v > k->max) {
            llmres__say4(err, err_cap, key, ": out of range: '", value, "'");
            return LLMRES_ERR_INVALID;
        }
        LLMRES_MEMCPY((char *)c + k->offset, &v, sizeof(v));
        return LLMRES_OK;
    }
    llmres__say(err, err_cap, "unknown key '", key, strlen(key), "'");
    return LLMRES_ERR_INVALID;
}

LLMRES_API llmres_err_t llmres_config_preset(llmres_config_t *c, const char *name, char *err, size_t err_cap) {
    if (!c || !name) return LLMRES_ERR_INVALID;
    if (!strcmp(name, "heavy_load")) {
        c->max_concurrent = 2; c->rps_milli = 1000; c->max_queue = 30; c->breaker_failures = 3;
    } else if (!strcmp(name, "light_load")) {
        c->max_concurrent = 5; c->rps_milli = 3000; c->max_queue = 100; c->breaker_failures = 8;
    } else if (!strcmp(name, "unstable_provider")) {
        c->max_concurrent = 1; c->rps_milli = 500; c->breaker_failures = 2; c->breaker_timeout_ms = 10000;
    } else {
        llmres__say(err, err_cap, "unknown preset '", name, strlen(name), "' (heavy_load, light_load, unstable_provider)");
        return LLMRES_ERR_INVALID;
    }
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_config_parse(llmres_config_t *c, const char *text, size_t len, char *err, size_t err_cap) {
    size_t at = 0;
    uint32_t line = 0;
    if (!c || (!text && len)) return LLMRES_ERR_INVALID;
    while (at < len) {
        char key[48], value[48], where[16];
        size_t end = at, a, b, eq, klen, vlen;
        int rc;
        while (end < len && text[end] != '\n') end++;
        line++;
        a = at;
        b = end;
        at = end + 1;
        while (a < b && (text[a] == ' ' || text[a] == '\t')) a++;
        while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r')) b--;
        if (a == b || text[a] == '#') continue;
        for (eq = a; eq < b && text[eq] != '='; eq++) {}
        where[llmres__utoa(where, line)] = 0;
        if (memchr(text + a, 0, b - a)) { /* a NUL would cut the key or the value short */
            llmres__say(err, err_cap, "line ", where, strlen(where), ": NUL byte in the line");
            return LLMRES_ERR_INVALID;
        }
        if (eq == b) { llmres__say(err, err_cap, "line ", where, strlen(where), ": want KEY=VALUE"); return LLMRES_ERR_INVALID; }
        klen = eq;
        while (klen > a && (text[klen - 1] == ' ' || text[klen - 1] == '\t')) klen--;
        klen -= a;
        eq++;
        while (eq < b && (text[eq] == ' ' || text[eq] == '\t')) eq++;
        vlen = b - eq;
        if (klen >= sizeof(key) || vlen >= sizeof(value)) {
            llmres__say(err, err_cap, "line ", where, strlen(where), ": key or value too long");
            return LLMRES_ERR_INVALID;
        }
        LLMRES_MEMCPY(key, text + a, klen);
        key[klen] = 0;
        LLMRES_MEMCPY(value, text + eq, vlen);
        value[vlen] = 0;
        rc = llmres_config_set(c, key, value, err, err_cap);
        if (rc) {
            if (err && err_cap) { /* prefix the line */
                char tmp[200];
                llmres__say(tmp, sizeof(tmp), "line ", where, strlen(where), ": ");
                llmres__say(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), err, "", 0, "");
                llmres__say(err, err_cap, tmp, "", 0, "");
            }
            return (llmres_err_t)rc;
        }
    }
    return LLMRES_OK;
}
enum { LLMRES__CALL_START = 0, LLMRES__CALL_ADMIT, LLMRES__CALL_BACKOFF, LLMRES__CALL_RECV, LLMRES__CALL_FOLLOW };
#define LLMRES__CALL_AGAIN 2 /* llmres__call_finish: another attempt at once */
#define LLMRES__CALL_FOLLOWING 4 /* llmres__call_start: an identical call in flight will answer */

/* A provider's row: its own, or the built-in one of its format. */
static const llmres_wire_t *llmres__wire_of(const llmres_provider_t *p) {
    return p->wire ? p->wire : llmres_wire_get(p->format);
}

/* The request target into buf: the provider's path or its row's, "{model}" replaced by
   the model (Azure's deployment). Returns the length it needs; writes only when it fits
   with its NUL. */
static size_t llmres__target(const llmres_provider_t *p, char *buf, size_t cap) {
    const char *path = p->path ? p->path : llmres__wire_of(p)->path, *hole = strstr(path, "{model}");
    size_t head = hole ? (size_t)(hole - path) : strlen(path), model = hole ? strlen(p->model) : 0;
    size_t tail = hole ? strlen(hole + 7) : 0, n = head + model + tail;
    if (n < cap) {
        LLMRES_MEMCPY(buf, path, head);
        if (hole) {
            LLMRES_MEMCPY(buf + head, p->model, model);
            LLMRES_MEMCPY(buf + head + model, hole + 7, tail);
        }
        buf[n] = 0;
    }
    return n;
}

/* FNV-1a over bytes, continuing from h (2166136261 to start). */
static uint32_t llmres__fnv(uint32_t h, const void *p, size_t n) {
    const uint8_t *s = (const uint8_t *)p;
    while (n--) h = (h ^ *s++) * 16777619u;
    return h;
}

/* The seed of every random draw of this client: the port's entropy, LLM_JITTER_SEED and
   the first key; without entropy also the clock at init and where the client lives, so
   that devices running the same firmware do not draw the same jitter and retry in step. */
static uint32_t llmres__device_seed(const llmres_port_t *port, const llmres_config_t *cfg, const llmres_provider_t *p,
                                    uint32_t now, const void *self) {
    uint32_t e = 0, words[4];
    const char *key = p->api_key ? p->api_key : "";
    int have = port->entropy && port->entropy(port->ctx, &e, sizeof(e)) == 0;
    if (!have && !cfg->jitter_seed && port->log)
        port->log(port->ctx, LLMRES_LOG_WARN, "llmres: no entropy and no LLM_JITTER_SEED: identical devices may retry in step");
    words[0] = e; words[1] = cfg->jitter_seed;
    words[2] = have ? 0 : now; words[3] = have ? 0 : (uint32_t)(size_t)self; /* entropy: replayable */
    e = llmres__fnv(llmres__fnv(2166136261u, words, sizeof(words)), key, strlen(key));
    return e ? e : 0x9E3779B9u;
}

static void llmres__lock(const llmres_client_t *c) { if (c->port->lock) c->port->lock(c->port->ctx); }
static void llmres__unlock(const llmres_client_t *c) { if (c->port->unlock) c->port->unlock(c->port->ctx); }

LLMRES_API llmres_err_t llmres_client_init_sized(llmres_client_t *c, const llmres_port_t *port, const llmres_transport_t *tls,
                                                 const llmres_config_t *cfg, const llmres_provider_t *providers,
                                                 uint32_t count, size_t struct_size) {
    llmres_breaker_config_t bc;
    llmres_overload_config_t oc;
    uint32_t i, now;
    if (c && struct_size != sizeof(*c)) return LLMRES_ERR_SIZE_MISMATCH;
    if (!c || !port || !port->now_ms || !port->sleep_ms || !providers || count == 0 || count > LLMRES_MAX_PROVIDERS)
        return LLMRES_ERR_INVALID;
    for (i = 0; i < count; i++) {
        const llmres_provider_t *p = &providers[i];
        const llmres_wire_t *wire = llmres__wire_of(p);
        if (!p->host || !p->model || !wire || !wire->path || !wire->auth_header || !wire->auth_prefix ||
            !wire->max_tokens_key || !wire->answer || !wire->event || (wire->version_header && !wire->version) ||
            (p->tls && !tls) || strlen(p->host) >= LLMRES_MAX_HOST)
            return LLMRES_ERR_INVALID;
        if ((p->api_key && strlen(p->api_key) > LLMRES_MAX_API_KEY) || strlen(wire->auth_prefix) > LLMRES__AUTH_PREFIX_MAX ||
            llmres__target(p, NULL, 0) >= LLMRES_MAX_PATH)
            return LLMRES_ERR_TOO_LARGE; /* never cut: a cut key is a 401 that is never retried */
    }
    LLMRES_MEMSET(c, 0, offsetof(llmres_client_t, cache));
    c->port = port;
    c->tls = tls;
    if (cfg) c->cfg = *cfg; else llmres_config_defaults(&c->cfg);
    if (!c->cfg.max_concurrent || !c->cfg.timeout_ms || !c->cfg.attempt_timeout_ms || !c->cfg.backoff_base_ms ||
        c->cfg.backoff_base_ms > c->cfg.backoff_max_ms || c->cfg.retry_budget_pct > 100 || c->cfg.breaker_jitter_pct > 100 ||
        c->cfg.retry_budget_burst > 1000)
        return LLMRES_ERR_INVALID;
    if (!c->cfg.shed_wait_ms) c->cfg.shed_wait_ms = 2000;
    now = port->now_ms(port->ctx);
    c->seed = llmres__device_seed(port, &c->cfg, providers, now, c);
    LLMRES_MEMSET(&bc, 0, sizeof(bc));
    bc.failure_threshold = c->cfg.breaker_failures ? c->cfg.breaker_failures : 5u;
    bc.open_ms = c->cfg.breaker_timeout_ms ? c->cfg.breaker_timeout_ms : 5000u;
    /* a probe that fails doubles the open period once at most: a fleet's devices then
       find the provider back within two open periods of its return */
    bc.max_open_ms = bc.open_ms > 0x7FFFFFFFu / 2u ? 0x7FFFFFFFu : bc.open_ms * 2u;
    bc.jitter_pct = c->cfg.breaker_jitter_pct;
    LLMRES_MEMSET(&oc, 0, sizeof(oc));
    oc.window_ms = c->cfg.overload_window_ms;
    oc.warn_pct = c->cfg.overload_warn_pct;
    oc.critical_pct = c->cfg.overload_critical_pct;
    oc.recover_ms = c->cfg.overload_recover_ms;
    oc.k_milli = c->cfg.throttle_k_milli ? c->cfg.throttle_k_milli : LLMRES_NEVER;
    for (i = 0; i < count; i++) {
        c->provider[i] = providers[i];
        bc.seed = llmres_xorshift32(&c->seed);
        if (llmres_breaker_init(&c->breaker[i], &bc) != LLMRES_OK || llmres_overload_init(&c->overload[i], &oc, now) != LLMRES_OK)
            return LLMRES_ERR_INVALID;
    }
    c->providers = count;
    c->retry_budget = c->cfg.retry_budget_burst * 1000u;
    if (c->cfg.rps_milli) {
        uint32_t burst = c->cfg.burst ? c->cfg.burst : (c->cfg.rps_milli + 999u) / 1000u;
        /* thousandths per second: rps_milli tokens per 1,000,000 ms, exactly */
        llmres_bucket_init(&c->rps, now, burst ? burst : 1u, c->cfg.rps_milli, 1000000u);
    }
    if (c->cfg.tokens_per_minute)
        llmres_bucket_init(&c->tpm, now, c->cfg.tokens_per_minute, c->cfg.tokens_per_minute, 60000u);
    if (llmres_cache_init(&c->cache, 0) != LLMRES_OK) return LLMRES_ERR_INVALID; /* a call may ask for it */
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_worker_init_sized(llmres_worker_t *w, llmres_client_t *c, const llmres_transport_t *tls,
                                                 size_t struct_size) {
    if (w && struct_size != sizeof(*w)) return LLMRES_ERR_SIZE_MISMATCH;
    if (!w || !c) return LLMRES_ERR_INVALID;
    return llmres_http_client_init(&w->http, c->port, tls ? tls : c->tls);
}

LLMRES_API void llmres_worker_close(llmres_worker_t *w) {
    if (w) llmres_http_client_close(&w->http);
}

/* Stars over every API key of the chain in s, whole or cut at the end of s (8
   characters of one at least): a server that echoes the key back must not get it into
   a log or onto a screen. */
static void llmres__mask_keys(const llmres_client_t *c, char *s) {
    uint32_t p;
    for (p = 0; p < c->providers; p++) {
        const char *key = c->provider[p].api_key;
        size_t kl = key ? strlen(key) : 0, i, n = strlen(s);
        if (kl < 4) continue;
        for (i = 0; i < n; i++) {
            size_t m = n - i < kl ? n - i : kl;
            if ((m == kl || m >= 8) && !LLMRES_MEMCMP(s + i, key, m)) {
                LLMRES_MEMSET(s + i, '*', m);
                i += m - 1;
            }
        }
    }
}

/* The body of a streamed call: a 2xx is a stream, anything else one error JSON. */
static int llmres__worker_body(void *user, const uint8_t *data, size_t len) {
    llmres_worker_t *w = (llmres_worker_t *)user;
    if (w->resp.status >= 200 && w->resp.status <= 299) {
        int over = w->stream.done || w->stream.failed, rc = llmres_llm_stream_feed(&w->stream, data, len);
        if (!over && (w->stream.done || w->stream.failed)) w->stream_end_at = w->http.port->now_ms(w->http.port->ctx);
        return rc < 0;
    }
    if (len > sizeof(w->body) - w->error_len) len = sizeof(w->body) - w->error_len; /* only read for its error */
    LLMRES_MEMCPY(w->body + w->error_len, data, len);
    w->error_len += len;
    return 0;
}

/* A streamed exchange's outcome as a status: a stream cut short is TRUNCATED, one the
   reader refused (not SSE or JSON) is BAD_BODY, our text buffer too small is TOO_LARGE. */
static int llmres__stream_status(llmres_worker_t *w, int status, int *parse) {
    llmres_llm_stream_t *s = &w->stream;
    if (s->error) { *parse = s->error; return s->error == LLMRES_ERR_TOO_LARGE ? LLMRES_ERR_TOO_LARGE : LLMRES_ERR_BAD_BODY; }
    if (s->done || s->failed) { /* the stream said its piece: what the transport did after does not matter */
        *parse = llmres_llm_stream_end(s);
        return w->resp.status;
    }
    if (status < 200 || status > 299) return status;
    *parse = llmres_llm_stream_end(s);
    return *parse == LLMRES_ERR_TRUNCATED ? LLMRES_ERR_TRUNCATED : status;
}

LLMRES_API void llmres_call_init(llmres_call_t *call, const char *prompt, char *text, size_t text_cap) {
    if (!call) return;
    LLMRES_MEMSET(call, 0, sizeof(*call));
    call->prompt = prompt;
    call->temperature_milli = -1;
    call->text = text;
    call->text_cap = text_cap;
}

/* The call's messages: its conversation, or its prompt as one user message in *one. */
static const llmres_llm_message_t *llmres__call_messages(const llmres_call_t *call, llmres_llm_message_t *one, size_t *count) {
    if (call->messages) { *count = call->message_count; return call->messages; }
    one->role = "user";
    one->content = call->prompt;
    *count = call->prompt ? 1u : 0u;
    return one;
}

/* The request JSON for provider p into w->json; its length or an error. */
static int llmres__call_json(const llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call, int p) {
    llmres_llm_request_t r;
    llmres_llm_message_t one;
    LLMRES_MEMSET(&r, 0, sizeof(r));
    r.wire = llmres__wire_of(&c->provider[p]);
    r.model = c->provider[p].model;
    r.system = call->system;
    r.messages = llmres__call_messages(call, &one, &r.message_count);
    r.max_tokens = call->max_tokens;
    r.temperature_milli = call->temperature_milli;
    r.stream = call->on_text != NULL;
    return llmres_llm_write_request(&r, w->json, sizeof(w->json));
}

/* Prompt characters / 4 (a common rule of thumb) plus the answer budget, at most max. */
static uint32_t llmres__estimate_tokens(const llmres_call_t *call, uint32_t max) {
    llmres_llm_message_t one;
    size_t chars = call->system ? strlen(call->system) : 0, i, count;
    const llmres_llm_message_t *m = llmres__call_messages(call, &one, &count);
    uint32_t est;
    for (i = 0; i < count; i++) chars += strlen(m[i].content);
    est = (uint32_t)(chars / 4u + 1u) + (call->max_tokens ? call->max_tokens : 256u);
    return est < max ? est : max;
}

/* ---- statistics ---- */
#ifndef LLMRES_NO_STATS

static uint32_t llmres__hist_index(uint32_t v) {
    uint32_t msb = 0, octave;
    if (v < (1u << LLMRES_HIST_SUB_BITS)) return v;
#if defined(__GNUC__) || defined(__clang__)
    msb = 31u - (uint32_t)__builtin_clz(v); /* one instruction where the core has it */
#else
    for (msb = LLMRES_HIST_SUB_BITS; msb < 31 && (v >> (msb + 1)); msb++) {} /* at most 26 turns */
#endif
    octave = msb - LLMRES_HIST_SUB_BITS + 1u;
    if (octave > LLMRES_HIST_OCTAVES) return LLMRES_HIST_BUCKETS - 1u; /* beyond the range: the top bucket */
    return (octave << LLMRES_HIST_SUB_BITS) + ((v >> (msb - LLMRES_HIST_SUB_BITS)) & ((1u << LLMRES_HIST_SUB_BITS) - 1u));
}

/* The middle of bucket i (its value when it is exact). */
static uint32_t llmres__hist_value(uint32_t i) {
    uint32_t octave = i >> LLMRES_HIST_SUB_BITS, sub = i & ((1u << LLMRES_HIST_SUB_BITS) - 1u), lo, width;
    if (!octave) return sub;
    lo = ((1u << LLMRES_HIST_SUB_BITS) + sub) << (octave - 1u);
    width = 1u << (octave - 1u);
    return lo + (width - 1u) / 2u;
}

LLMRES_API void llmres_hist_add(llmres_hist_t *h, uint32_t ms) {
    if (!h) return;
    h->bucket[llmres__hist_index(ms)]++;
    h->count++;
    h->sum += ms;
    if (ms > h->max) h->max = ms;
}

LLMRES_API uint32_t llmres_hist_percentile(const llmres_hist_t *h, uint32_t permille) {
    uint64_t rank, seen = 0;
    uint32_t i;
    if (!h || !h->count) return 0;
    rank = ((uint64_t)h->count * (permille > 1000 ? 1000u : permille) + 999u) / 1000u; /* the sample's rank, 1-based */
    if (!rank) rank = 1;
    for (i = 0; i < LLMRES_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) { /* the top bucket holds everything beyond the range: its max is all we know */
            uint32_t v = llmres__hist_value(i);
            return v < h->max && i < LLMRES_HIST_BUCKETS - 1u ? v : h->max;
        }
    }
    return h->max;
}

LLMRES_API void llmres_hist_merge(llmres_hist_t *into, const llmres_hist_t *from) {
    uint32_t i;
    if (!into || !from) return;
    for (i = 0; i < LLMRES_HIST_BUCKETS; i++) into->bucket[i] += from->bucket[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->max > into->max) into->max = from->max;
}

LLMRES_API llmres_err_t llmres_client_stats_sized(llmres_client_t *c, llmres_stats_t *s, size_t struct_size) {
    uint32_t now;
    if (s && struct_size != sizeof(*s)) return LLMRES_ERR_SIZE_MISMATCH;
    if (!c || !c->port) return LLMRES_ERR_INVALID;
    now = c->port->now_ms(c->port->ctx);
    llmres__lock(c);
    if (s) {
        LLMRES_MEMSET(s, 0, sizeof(*s));
        s->providers = c->providers;
        s->slot_ms = c->cfg.stats_slot_ms ? c->cfg.stats_slot_ms : 60000u;
        s->half_ms = s->slot_ms * LLMRES_STATS_SLOTS / 2u;
        s->slot_at = s->recent_at = s->started = s->last_log = now;
    }
    c->stats = s;
    llmres__unlock(c);
    return LLMRES_OK;
}

/* The uint32_t counters of llmres_counts_t, calls to reached_ok, laid out back to back. */
#define LLMRES__COUNTS_U32 (4u + LLMRES_CLASSES + LLMRES_REJECT_CAUSES + 10u)
typedef char llmres__check_counts[offsetof(llmres_counts_t, reached_ok) == (LLMRES__COUNTS_U32 - 1u) * 4u ? 1 : -1];

/* Adds the counts of `from` into `into`. */
static void llmres__counts_add(llmres_counts_t *into, const llmres_counts_t *from) {
    const uint32_t *a = &from->calls;
    uint32_t *b = &into->calls, i;
    for (i = 0; i < LLMRES__COUNTS_U32; i++) b[i] += a[i];
    into->latency_ms += from->latency_ms;
    into->tokens_in += from->tokens_in;
    into->tokens_out += from->tokens_out;
    into->bytes_out += from->bytes_out;
    into->bytes_in += from->bytes_in;
}

/* Moves the recent window on to now (lock held): slots that ended leave it, oldest first,
   into the lifetime; the recent histograms swap halves every half window, the older half
   into the lifetime's. So a call is counted once, in the current slot and half. */
static void llmres__stats_slide(llmres_stats_t *s, uint32_t now) {
    uint32_t n = 0, p, half = s->half_ms;
    if ((int32_t)(now - s->slot_at) < 0) now = s->slot_at; /* a clock read before another thread slid: no going back */
    if ((int32_t)(now - s->recent_at) < 0) now = s->recent_at;
    if (now - s->slot_at < s->slot_ms && now - s->recent_at < half) return; /* the common case */
    while (now - s->slot_at >= s->slot_ms && n++ < LLMRES_STATS_SLOTS) {
        s->head = (s->head + 1u) % LLMRES_STATS_SLOTS;
        for (p = 0; p < s->providers; p++) {
            llmres__counts_add(&s->life[p], &s->slot[p][s->head]);
            LLMRES_MEMSET(&s->slot[p][s->head], 0, sizeof(llmres_counts_t));
        }
        s->slot_at += s->slot_ms;
    }
    if (now - s->slot_at >= s->slot_ms) s->slot_at = now; /* a silence longer than the window */
    for (n = 0; now - s->recent_at >= half && n < 2u; n++) { /* the older half leaves: twice after a long silence */
        s->recent_cur ^= 1u;
        for (p = 0; p < s->providers; p++) {
            llmres_hist_merge(&s->latency[p], &s->recent[p][s->recent_cur]);
            LLMRES_MEMSET(&s->recent[p][s->recent_cur], 0, sizeof(llmres_hist_t));
        }
        s->recent_at += half;
    }
    if (now - s->recent_at >= half) s->recent_at = now;
}

/* Counts a finished call for its provider in the current slot (lock held). A call
   refused before reaching the provider counts under its cause. */
static void llmres__stats_call(llmres_client_t *c, const llmres_call_state_t *st, const llmres_result_t *res, uint32_t now) {
    llmres_stats_t *s = c->stats;
    uint32_t p = (uint32_t)(res->provider >= 0 ? res->provider : st->provider);
    llmres_counts_t *x;
    if (p >= s->providers) p = 0;
    llmres__stats_slide(s, now);
    x = &s->slot[p][s->head];
    x->calls++;
    if (res->error == LLMRES_OK) x->successes++;
    else x->errors[res->cls >= 0 && res->cls < LLMRES_CLASSES ? res->cls : LLMRES_CLASS_UNKNOWN]++;
    if (res->input_tokens != LLMRES_UNKNOWN) x->tokens_in += res->input_tokens;
    if (res->output_tokens != LLMRES_UNKNOWN) x->tokens_out += res->output_tokens;
    if (res->attempts) {
        x->reached++;
        x->reached_ok += res->error == LLMRES_OK;
        x->latency_ms += res->elapsed_ms;
        llmres_hist_add(&s->recent[p][s->recent_cur], res->elapsed_ms);
    } else if (!res->cached && res->error != LLMRES_OK) {
        if (res->error == LLMRES_ERR_LIMITED || res->error == LLMRES_ERR_OPEN) x->rejected[st->why]++;
        else if (res->error == LLMRES_ERR_TIMEOUT) x->rejected[LLMRES_REJECT_DEADLINE]++;
    }
}

/* Counts an attempt's end for its provider (lock held): bytes, and a breaker that opened.
   Into the current slot without sliding: the call's end, soon, slides; counted once
   either way. */
static void llmres__stats_attempt(llmres_client_t *c, uint32_t p, uint32_t sent, uint32_t got, uint32_t opened) {
    llmres_counts_t *x = &c->stats->slot[p][c->stats->head];
    x->attempts++;
    x->bytes_out += sent;
    x->bytes_in += got;
    x->breaker_opens += opened;
}

#ifndef LLMRES_NO_DISPATCH
/* A request the dispatcher ended without a call (lock held): counted as a call of the
   chain's first provider, refused for `cause`, class overloaded (timeout for a deadline). */
static void llmres__stats_unserved(llmres_client_t *c, int cause, uint32_t now) {
    llmres_counts_t *x;
    llmres__stats_slide(c->stats, now);
    x = &c->stats->slot[0][c->stats->head];
    x->calls++;
    x->errors[cause == LLMRES_REJECT_DEADLINE ? LLMRES_CLASS_TIMEOUT : LLMRES_CLASS_OVERLOADED]++;
    x->rejected[cause]++;
}
#endif

/* One counter of provider p's current slot moved by one (lock held): retries, fallbacks,
   cache hits and misses, refused retries (by offset in llmres_counts_t). */
static void llmres__stats_bump(llmres_client_t *c, uint32_t p, size_t field, uint32_t now) {
    llmres_stats_t *s = c->stats;
    if (!s || p >= s->providers) return;
    llmres__stats_slide(s, now);
    ++*(uint32_t *)(void *)((char *)&s->slot[p][s->head] + field);
}

/* Takes the lock and returns the attached statistics, or releases it and returns NULL
   (none attached, or detached meanwhile by another thread). */
static llmres_stats_t *llmres__stats_locked(llmres_client_t *c) {
    llmres__lock(c);
    if (c->stats) return c->stats;
    llmres__unlock(c);
    return NULL;
}

/* Provider p's lifetime (lock held): what left the window and what is in it. */
/* The recent window of provider p summed over its slots (lock held, slid to now); its
   latency in lat when lat is not NULL. */
static void llmres__stats_recent(const llmres_stats_t *s, uint32_t p, llmres_counts_t *sum, llmres_hist_t *lat) {
    uint32_t k;
    LLMRES_MEMSET(sum, 0, sizeof(*sum));
    for (k = 0; k < LLMRES_STATS_SLOTS; k++) llmres__counts_add(sum, &s->slot[p][k]);
    if (lat) {
        *lat = s->recent[p][0];
        llmres_hist_merge(lat, &s->recent[p][1]);
    }
}

static void llmres__stats_whole(const llmres_stats_t *s, uint32_t p, llmres_counts_t *out, llmres_hist_t *latency) {
    llmres__stats_recent(s, p, out, latency);
    llmres__counts_add(out, &s->life[p]);
    if (latency) llmres_hist_merge(latency, &s->latency[p]);
}

LLMRES_API llmres_err_t llmres_stats_lifetime(llmres_client_t *c, int provider, llmres_counts_t *out, llmres_hist_t *latency) {
    llmres_stats_t *s;
    if (!c || !out || provider < 0 || (uint32_t)provider >= c->providers || !(s = llmres__stats_locked(c)))
        return LLMRES_ERR_INVALID;
    llmres__stats_slide(s, c->port->now_ms(c->port->ctx));
    llmres__stats_whole(s, (uint32_t)provider, out, latency);
    llmres__unlock(c);
    return LLMRES_OK;
}
#endif /* LLMRES_NO_STATS */

#ifndef LLMRES_NO_STATS
/* ---- health, issues, export ---- */


static uint32_t llmres__pct(uint32_t part, uint32_t whole) {
    return whole ? (uint32_t)((uint64_t)part * 100u / whole) : 0;
}
static uint32_t llmres__rejected(const llmres_counts_t *n) {
    uint32_t k, r = 0;
    for (k = 0; k < LLMRES_REJECT_CAUSES; k++) r += n->rejected[k];
    return r;
}

/* The rates the health rule and the issues judge by, from one window's counts: each is
   judged only with cfg.health_min_calls calls behind it (flags in `judged`). */
typedef struct llmres__rates {
    uint32_t success, failure, denial, mean_ms, p95_ms;
    uint8_t judged_calls, judged_sent;
} llmres__rates_t;

static void llmres__rates_of(const llmres_config_t *f, const llmres_counts_t *n, const llmres_hist_t *lat, llmres__rates_t *r) {
    uint32_t min = f->health_min_calls ? f->health_min_calls : 1u;
    r->judged_calls = n->calls >= min;
    r->judged_sent = n->reached >= min;
    r->success = llmres__pct(n->successes, n->calls);
    r->failure = llmres__pct(n->reached - n->reached_ok, n->reached);
    r->denial = llmres__pct(llmres__rejected(n), n->calls);
    r->mean_ms = n->reached ? (uint32_t)(n->latency_ms / n->reached) : 0;
    r->p95_ms = llmres_hist_percentile(lat, 950);
}

/* Provider p's verdict and score from its recent window, breaker and overload state (lock
   held). The rule is README's table. */
static int llmres__health_of(const llmres_client_t *c, uint32_t p, const llmres_counts_t *n, const llmres_hist_t *lat,
                             uint32_t *score) {
    const llmres_config_t *f = &c->cfg;
    llmres__rates_t r;
    uint32_t pen = 0, v = LLMRES_HEALTHY, b = c->breaker[p].state, o = c->overload[p].state;
    llmres__rates_of(f, n, lat, &r);
#define LLMRES__WORSE(x) do { if ((x) > v) v = (x); } while (0)
    if (r.judged_calls && r.success < f->health_success_pct) { pen += f->health_success_pct - r.success; LLMRES__WORSE(LLMRES_DEGRADED); }
    if (r.judged_sent && r.failure >= f->health_failure_pct) { pen += 30; LLMRES__WORSE(LLMRES_CRITICAL); }
    if (r.judged_calls && r.denial >= f->health_denial_pct) { pen += 10; LLMRES__WORSE(LLMRES_DEGRADED); }
    if (r.mean_ms >= f->health_latency_ms || r.p95_ms >= f->health_latency_ms) { pen += 15; LLMRES__WORSE(LLMRES_DEGRADED); }
    if (b == LLMRES_BREAKER_HALF_OPEN) { pen += 20; LLMRES__WORSE(LLMRES_DEGRADED); }
    if (b == LLMRES_BREAKER_OPEN || b == LLMRES_BREAKER_FORCED_OPEN) { pen += 40; LLMRES__WORSE(LLMRES_CRITICAL); }
    if (o == LLMRES_OVERLOAD_WARNING || o == LLMRES_OVERLOAD_RECOVERING) { pen += 10; LLMRES__WORSE(LLMRES_DEGRADED); }
    if (o == LLMRES_OVERLOAD_CRITICAL) { pen += 30; LLMRES__WORSE(LLMRES_CRITICAL); }
#undef LLMRES__WORSE
    *score = pen >= 100 ? 0 : 100 - pen;
    return (int)v;
}

LLMRES_API const char *llmres_health_name(int verdict) {
    static const char *const names[3] = {"healthy", "degraded", "critical"};
    return verdict >= LLMRES_HEALTHY && verdict <= LLMRES_CRITICAL ? names[verdict] : "unknown";
}

LLMRES_API int llmres_health(llmres_client_t *c, int provider, uint32_t *score) {
    llmres_stats_t *s;
    uint32_t p, sc, first_sc = 0, healthy_sc = 0;
    int v, first = LLMRES_CRITICAL, healthy_other = 0;
    if (!c || provider < -1 || provider >= (int)c->providers || !(s = llmres__stats_locked(c))) return LLMRES_ERR_INVALID;
    llmres__stats_slide(s, c->port->now_ms(c->port->ctx));
    for (p = 0; p < c->providers; p++) {
        if (provider >= 0 && p != (uint32_t)provider) continue;
        llmres__stats_recent(s, p, &s->scratch_counts, &s->scratch);
        v = llmres__health_of(c, p, &s->scratch_counts, &s->scratch, &sc);
        if (p == (provider >= 0 ? (uint32_t)provider : 0u)) { first = v; first_sc = sc; }
        else if (v == LLMRES_HEALTHY && sc >= healthy_sc) { healthy_other = 1; healthy_sc = sc; }
    }
    llmres__unlock(c);
    /* the chain: as its first provider, but a healthy fallback carries it, degraded */
    if (first != LLMRES_HEALTHY && healthy_other) {
        first = LLMRES_DEGRADED;
        first_sc = (first_sc + healthy_sc) / 2u;
    }
    if (score) *score = first_sc;
    return first;
}

static const char *const llmres__issue_text[LLMRES_ISSUE_TYPES][2] = {
    {"denials", "calls refused locally: raise the limits (LLM_REQUESTS_PER_SECOND, LLM_TOKENS_PER_MINUTE) or lower the request rate"},
    {"failures", "the provider fails: check its status; the breaker and the chain's next provider carry calls meanwhile"},
    {"slow", "answers are slow: stream them, ask for fewer tokens, or use a faster model"},
    {"breaker_open", "the breaker is open: degrade gracefully to a backup provider (a local model) until it closes"},
    {"breaker_flapping", "the breaker keeps opening: raise LLM_CIRCUIT_BREAKER_MAX_FAILURES or LLM_CIRCUIT_BREAKER_TIMEOUT_MS"},
    {"retry_budget", "retries were refused by the budget: the provider fails more than retrying can help; lower the request rate"},
    {"throttled", "the provider is overloaded and the throttle holds calls back: lower the request rate or spread requests out"},
    {"quota", "the account's quota is spent: add credits or raise the plan"},
    {"authentication", "the provider refuses the key: check the API key and its permissions"},
    {"fallback", "calls move to the next provider of the chain: the first one is failing or holding calls back"},
    {"cache_ineffective", "the cache rarely answers: raise LLM_CACHE_TTL_MS or LLMRES_CACHE_ARENA_BYTES, or turn it off"},
};

LLMRES_API const char *llmres_issue_name(int type) {
    return type >= 0 && type < LLMRES_ISSUE_TYPES ? llmres__issue_text[type][0] : "unknown";
}

/* Appends one issue if there is room (it is counted anyway). */
static void llmres__issue(llmres_issue_t *out, int max, int *n, uint32_t p, int type, int severity, uint32_t value) {
    if (*n < max) {
        out[*n].provider = (int)p;
        out[*n].type = type;
        out[*n].severity = severity;
        out[*n].value = value;
        out[*n].recommendation = llmres__issue_text[type][1];
    }
    (*n)++;
}

/* Provider p's issues from its recent window (lock held): the same rates and gates as
   the health rule. */
static void llmres__issues_of(const llmres_client_t *c, uint32_t p, const llmres_counts_t *n, const llmres_hist_t *lat,
                              llmres_issue_t *out, int max, int *count) {
    const llmres_config_t *f = &c->cfg;
    uint32_t lookups = n->cache_hits + n->cache_misses;
    llmres__rates_t r;
    llmres__rates_of(f, n, lat, &r);
    if (r.judged_calls && r.denial >= f->health_denial_pct)
        llmres__issue(out, max, count, p, LLMRES_ISSUE_DENIALS, LLMRES_DEGRADED, r.denial);
    if (r.judged_sent && r.failure >= f->health_failure_pct)
        llmres__issue(out, max, count, p, LLMRES_ISSUE_FAILURES, LLMRES_CRITICAL, r.failure);
    if (r.mean_ms >= f->health_latency_ms || r.p95_ms >= f->health_latency_ms)
        llmres__issue(out, max, count, p, LLMRES_ISSUE_SLOW, LLMRES_DEGRADED, r.mean_ms > r.p95_ms ? r.mean_ms : r.p95_ms);
    if (c->breaker[p].state == LLMRES_BREAKER_OPEN || c->breaker[p].state == LLMRES_BREAKER_FORCED_OPEN)
        llmres__issue(out, max, count, p, LLMRES_ISSUE_BREAKER_OPEN, LLMRES_CRITICAL, 1);
    if (n->breaker_opens >= f->issue_flap_opens)
        llmres__issue(out, max, count, p, LLMRES_ISSUE_BREAKER_FLAPPING, LLMRES_DEGRADED, n->breaker_opens);
    if (n->budget_denied) llmres__issue(out, max, count, p, LLMRES_ISSUE_RETRY_BUDGET, LLMRES_DEGRADED, n->budget_denied);
    if (n->rejected[LLMRES_REJECT_THROTTLE] || c->overload[p].state == LLMRES_OVERLOAD_CRITICAL)
        llmres__issue(out, max, count, p, LLMRES_ISSUE_THROTTLED, LLMRES_DEGRADED, n->rejected[LLMRES_REJECT_THROTTLE]);
    if (n->errors[LLMRES_CLASS_QUOTA]) llmres__issue(out, max, count, p, LLMRES_ISSUE_QUOTA, LLMRES_CRITICAL, n->errors[LLMRES_CLASS_QUOTA]);
    if (n->errors[LLMRES_CLASS_AUTHENTICATION])
        llmres__issue(out, max, count, p, LLMRES_ISSUE_AUTHENTICATION, LLMRES_CRITICAL, n->errors[LLMRES_CLASS_AUTHENTICATION]);
    if (n->fallbacks) llmres__issue(out, max, count, p, LLMRES_ISSUE_FALLBACK, LLMRES_DEGRADED, n->fallbacks);
    if (c->cfg.cache != LLMRES_CACHE_OFF && lookups >= 20 && llmres__pct(n->cache_hits, lookups) < f->issue_cache_hit_pct)
        llmres__issue(out, max, count, p, LLMRES_ISSUE_CACHE_INEFFECTIVE, LLMRES_DEGRADED, llmres__pct(n->cache_hits, lookups));
}

LLMRES_API llmres_err_t llmres_stats_reset(llmres_client_t *c) {
    llmres_stats_t *s;
    if (!c || !(s = llmres__stats_locked(c))) return LLMRES_ERR_INVALID;
    llmres__unlock(c);
    return llmres_client_stats_sized(c, s, sizeof(*s));
}

/* " host: N calls, S % ok, p50 A ms, p95 B ms, breaker X, overload Y" (lock held). */
static void llmres__summary_of(llmres_client_t *c, uint32_t p, char *line, size_t cap) {
    llmres_counts_t *n = &c->stats->scratch_counts;
    char num[4][12], part[96];
    uint32_t v[4], k;
    llmres__stats_recent(c->stats, p, n, &c->stats->scratch);
    v[0] = n->calls;
    v[1] = llmres__pct(n->successes, n->calls);
    v[2] = llmres_hist_percentile(&c->stats->scratch, 500);
    v[3] = llmres_hist_percentile(&c->stats->scratch, 950);
    for (k = 0; k < 4; k++) num[k][llmres__utoa(num[k], v[k])] = 0;
    llmres__say4(part, sizeof(part), "; ", c->provider[p].host, ": ", num[0]);
    llmres__say4(line + strlen(line), cap - strlen(line), part, " calls, ", num[1], " % ok, p50 ");
    llmres__say4(line + strlen(line), cap - strlen(line), num[2], " ms, p95 ", num[3], " ms, breaker ");
    llmres__say4(line + strlen(line), cap - strlen(line), llmres_breaker_state_name((int)c->breaker[p].state), ", overload ",
                 llmres_overload_state_name((int)c->overload[p].state), "");
}

LLMRES_API int llmres_stats_tick(llmres_client_t *c) {
    char line[400], num[12];
    llmres_stats_t *s;
    uint32_t now, p, score = 0;
    int v;
    if (!c || !c->port->log || !c->cfg.stats_log_ms || !(s = llmres__stats_locked(c))) return 0;
    now = c->port->now_ms(c->port->ctx);
    if (now - s->last_log < c->cfg.stats_log_ms) { llmres__unlock(c); return 0; }
    s->last_log = now;
    llmres__unlock(c);
    v = llmres_health(c, -1, &score);
    num[llmres__utoa(num, score)] = 0;
    llmres__say4(line, sizeof(line), "llmres: ", llmres_health_name(v), " ", num);
    if (!(s = llmres__stats_locked(c))) return 0;
    llmres__stats_slide(s, c->port->now_ms(c->port->ctx));
    for (p = 0; p < c->providers; p++) llmres__summary_of(c, p, line, sizeof(line));
    llmres__unlock(c);
    c->port->log(c->port->ctx, LLMRES_LOG_INFO, line);
    return 1;
}

LLMRES_API int llmres_issues(llmres_client_t *c, llmres_issue_t *out, int max) {
    llmres_stats_t *s;
    uint32_t p;
    int count = 0;
    if (!c || (!out && max) || max < 0 || !(s = llmres__stats_locked(c))) return LLMRES_ERR_INVALID;
    llmres__stats_slide(s, c->port->now_ms(c->port->ctx));
    for (p = 0; p < c->providers; p++) {
        llmres__stats_recent(s, p, &s->scratch_counts, &s->scratch);
        llmres__issues_of(c, p, &s->scratch_counts, &s->scratch, out, max, &count);
    }
    llmres__unlock(c);
    return count;
}

#ifndef LLMRES_NO_STATS_EXPORT
/* An export's output: writes what fits, counts everything, so a short buffer is told
   how much it needs and nothing cut is ever handed back. */
typedef struct llmres__out { char *buf; size_t cap, at; } llmres__out_t;

static void llmres__emit(llmres__out_t *o, const char *s) {
    size_t n = strlen(s);
    if (o->at + n < o->cap) LLMRES_MEMCPY(o->buf + o->at, s, n);
    o->at += n;
}
static void llmres__emit_u64(llmres__out_t *o, uint64_t v) {
    char d[24];
    d[llmres__utoa(d, v)] = 0;
    llmres__emit(o, d);
}
/* A JSON string or a Prometheus label value: quotes, backslashes and controls escaped. */
static void llmres__emit_quoted(llmres__out_t *o, const char *s) {
    char e[3] = {'\\', 0, 0}, one[2] = {0, 0};
    llmres__emit(o, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') { e[1] = *s; llmres__emit(o, e); }
        else if ((unsigned char)*s < 0x20) { e[1] = 'n'; llmres__emit(o, e); } /* no control gets through raw */
        else { one[0] = *s; llmres__emit(o, one); }
    }
    llmres__emit(o, "\"");
}
/* "key":v, after a comma unless it comes first in its object */
static void llmres__emit_kv_at(llmres__out_t *o, int first, const char *key, uint64_t v) {
    llmres__emit(o, first ? "\"" : ",\"");
    llmres__emit(o, key);
    llmres__emit(o, "\":");
    llmres__emit_u64(o, v);
}
#define llmres__emit_kv(o, key, v) llmres__emit_kv_at((o), 0, (key), (v))

static void llmres__json_hist(llmres__out_t *o, const char *key, const llmres_hist_t *h) {
    llmres__emit(o, ",\"");
    llmres__emit(o, key);
    llmres__emit(o, "\":{\"count\":");
    llmres__emit_u64(o, h->count);
    llmres__emit_kv(o, "mean", h->count ? h->sum / h->count : 0);
    llmres__emit_kv(o, "p50", llmres_hist_percentile(h, 500));
    llmres__emit_kv(o, "p95", llmres_hist_percentile(h, 950));
    llmres__emit_kv(o, "p99", llmres_hist_percentile(h, 990));
    llmres__emit_kv(o, "max", h->max);
    llmres__emit(o, "}");
}

static const char *const llmres__reject_names[LLMRES_REJECT_CAUSES] = {
    "bucket", "throttle", "provider_wait", "breaker_open", "queue_full", "displaced", "deadline"};

/* The counters every export writes: the JSON key, and with "_total" the Prometheus
   counter, its HELP line, where it is in llmres_counts_t and whether it is 64-bit. */
typedef struct llmres__field { const char *name, *help; uint16_t offset; uint8_t wide; } llmres__field_t;
#define LLMRES__F(name, field, wide, help) {name, help, (uint16_t)offsetof(llmres_counts_t, field), wide}
static const llmres__field_t llmres__fields[] = {
    LLMRES__F("calls", calls, 0, "Calls that ended, by the provider that answered or was tried last."),
    LLMRES__F("successes", successes, 0, "Calls answered."),
    LLMRES__F("attempts", attempts, 0, "Requests that reached the provider."),
    LLMRES__F("retries", retries, 0, "Attempts after the first of a call."),
    LLMRES__F("cache_hits", cache_hits, 0, "Calls answered from the cache."),
    LLMRES__F("cache_misses", cache_misses, 0, "Cacheable calls the cache could not answer."),
    LLMRES__F("fallbacks", fallbacks, 0, "Calls moved on to the next provider of the chain."),
    LLMRES__F("retry_budget_refused", budget_denied, 0, "Retries the retry budget refused."),
    LLMRES__F("breaker_opens", breaker_opens, 0, "Times the provider's breaker opened."),
    LLMRES__F("first_byte_timeouts", first_byte_timeouts, 0, "Attempts with no first byte within the first-byte timeout."),
    LLMRES__F("first_token_timeouts", first_token_timeouts, 0, "Streamed attempts with no text within the first-token timeout."),
    LLMRES__F("stream_idle_timeouts", stream_idle_timeouts, 0, "Streams that went quiet for the idle timeout."),
    LLMRES__F("tokens_in", tokens_in, 1, "Input tokens, as the provider reported them."),
    LLMRES__F("tokens_out", tokens_out, 1, "Output tokens, as the provider reported them."),
    LLMRES__F("bytes_out", bytes_out, 1, "Request bytes sent."),
    LLMRES__F("bytes_in", bytes_in, 1, "Response bytes received.")};
#undef LLMRES__F
#define LLMRES__FIELDS (sizeof(llmres__fields) / sizeof(llmres__fields[0]))

static uint64_t llmres__field_value(const llmres_counts_t *n, const llmres__field_t *f) {
    const char *at = (const char *)n + f->offset;
    return f->wide ? *(const uint64_t *)(const void *)at : *(const uint32_t *)(const void *)at;
}

static void llmres__json_counts(const llmres_client_t *c, llmres__out_t *o, const char *key, const llmres_counts_t *n) {
    uint32_t k;
    llmres__emit(o, ",\"");
    llmres__emit(o, key);
    llmres__emit(o, "\":{");
    for (k = 0; k < LLMRES__FIELDS; k++) llmres__emit_kv_at(o, k == 0, llmres__fields[k].name, llmres__field_value(n, &llmres__fields[k]));
    llmres__emit(o, ",\"errors\":{");
    for (k = 1; k < LLMRES_CLASSES; k++) llmres__emit_kv_at(o, k == 1, llmres_class_name((int)k), n->errors[k]);
    llmres__emit(o, "},\"rejected\":{");
    for (k = 0; k < LLMRES_REJECT_CAUSES; k++) llmres__emit_kv_at(o, k == 0, llmres__reject_names[k], n->rejected[k]);
    llmres__emit(o, "}");
    llmres__emit_kv(o, "cost_micro", (n->tokens_in * c->cfg.price_in_milli + n->tokens_out * c->cfg.price_out_milli) / 1000u);
    llmres__emit(o, "}");
}


/* One provider's object (lock held). */
static void llmres__json_provider(llmres_client_t *c, llmres__out_t *o, uint32_t p, uint32_t now) {
    llmres_stats_t *s = c->stats;
    llmres_counts_t n;
    uint32_t score, k, in_state = now - c->overload[p].since;
    int v;
    llmres__stats_recent(s, p, &n, &s->scratch);
    v = llmres__health_of(c, p, &n, &s->scratch, &score);
    llmres__emit(o, p ? ",{\"host\":" : "{\"host\":");
    llmres__emit_quoted(o, c->provider[p].host);
    llmres__emit(o, ",\"model\":");
    llmres__emit_quoted(o, c->provider[p].model);
    llmres__emit(o, ",\"health\":");
    llmres__emit_quoted(o, llmres_health_name(v));
    llmres__emit_kv(o, "score", score);
    llmres__emit(o, ",\"breaker\":");
    llmres__emit_quoted(o, llmres_breaker_state_name((int)c->breaker[p].state));
    llmres__emit(o, ",\"overload\":");
    llmres__emit_quoted(o, llmres_overload_state_name((int)c->overload[p].state));
    llmres__emit(o, ",\"breaker_transitions\":{"); /* entries into each state, since init */
    for (k = 0; k < LLMRES_BREAKER_STATES; k++)
        llmres__emit_kv_at(o, k == 0, llmres_breaker_state_name((int)k), c->breaker[p].transitions[k]);
    llmres__emit(o, "}");
    llmres__emit(o, ",\"overload_ms\":{");
    for (k = 0; k < LLMRES_OVERLOAD_STATES; k++)
        llmres__emit_kv_at(o, k == 0, llmres_overload_state_name((int)k),
                          (uint64_t)c->overload[p].time_in[k] + (k == c->overload[p].state ? in_state : 0));
    llmres__emit(o, "}");
    llmres__json_counts(c, o, "recent", &n);
    llmres__json_hist(o, "recent_latency_ms", &s->scratch);
    llmres__stats_whole(s, p, &n, &s->scratch);
    llmres__json_counts(c, o, "lifetime", &n);
    llmres__json_hist(o, "latency_ms", &s->scratch);
    llmres__json_hist(o, "first_byte_ms", &s->first_byte[p]);
    llmres__emit(o, "}");
}

LLMRES_API int llmres_stats_json(llmres_client_t *c, char *buf, size_t cap, size_t *needed) {
    llmres__out_t o;
    llmres_issue_t is[16];
    llmres_stats_t *s;
    uint32_t p, score = 0, now;
    int n, k, v;
    if (!c || (!buf && cap)) return LLMRES_ERR_INVALID;
    v = llmres_health(c, -1, &score);
    n = llmres_issues(c, is, 16);
    if (v < 0 || n < 0) return LLMRES_ERR_INVALID; /* no statistics */
    o.buf = buf; o.cap = cap; o.at = 0;
    if (!(s = llmres__stats_locked(c))) return LLMRES_ERR_INVALID;
    now = c->port->now_ms(c->port->ctx);
    llmres__stats_slide(s, now);
    llmres__emit(&o, "{\"version\":\"" LLMRES_VERSION_STRING "\"");
    llmres__emit_kv(&o, "uptime_ms", now - s->started);
    llmres__emit_kv(&o, "window_ms", (uint64_t)s->slot_ms * LLMRES_STATS_SLOTS);
    llmres__emit_kv(&o, "issues_total", (uint64_t)n);
    llmres__emit(&o, ",\"health\":");
    llmres__emit_quoted(&o, llmres_health_name(v));
    llmres__emit_kv(&o, "score", score);
    llmres__emit(&o, ",\"providers\":[");
    for (p = 0; p < c->providers; p++) llmres__json_provider(c, &o, p, now);
    llmres__emit(&o, "],\"issues\":[");
    for (k = 0; k < n && k < 16; k++) {
        llmres__emit(&o, k ? ",{\"provider\":" : "{\"provider\":");
        llmres__emit_u64(&o, (uint64_t)is[k].provider);
        llmres__emit(&o, ",\"type\":");
        llmres__emit_quoted(&o, llmres_issue_name(is[k].type));
        llmres__emit(&o, ",\"severity\":");
        llmres__emit_quoted(&o, llmres_health_name(is[k].severity));
        llmres__emit_kv(&o, "value", is[k].value);
        llmres__emit(&o, ",\"recommendation\":");
        llmres__emit_quoted(&o, is[k].recommendation);
        llmres__emit(&o, "}");
    }
    llmres__emit(&o, "]}");
    llmres__unlock(c);
    if (needed) *needed = o.at + 1;
    if (o.at >= cap) {
        if (cap) buf[0] = 0; /* never a cut document */
        return LLMRES_ERR_TOO_LARGE;
    }
    buf[o.at] = 0;
    return (int)o.at;
}
#endif /* LLMRES_NO_STATS_EXPORT */
#endif

#if !defined(LLMRES_NO_STATS) && !defined(LLMRES_NO_STATS_EXPORT)
/* ---- the Prometheus text exposition format ---- */

/* The last value bucket i holds. */
static uint32_t llmres__hist_last(uint32_t i) {
    uint32_t octave = i >> LLMRES_HIST_SUB_BITS, sub = i & ((1u << LLMRES_HIST_SUB_BITS) - 1u);
    if (!octave) return sub;
    return (((1u << LLMRES_HIST_SUB_BITS) + sub + 1u) << (octave - 1u)) - 1u;
}

/* A duration in ms as seconds with three decimals, no float. */
static void llmres__emit_seconds(llmres__out_t *o, uint64_t ms) {
    char frac[5];
    llmres__emit_u64(o, ms / 1000u);
    frac[0] = '.';
    frac[1] = (char)('0' + ms / 100u % 10u);
    frac[2] = (char)('0' + ms / 10u % 10u);
    frac[3] = (char)('0' + ms % 10u);
    frac[4] = 0;
    llmres__emit(o, frac);
}

/* # HELP and # TYPE of a family. */
static void llmres__prom_family(llmres__out_t *o, const char *name, const char *type, const char *help) {
    llmres__emit(o, "# HELP llmres_");
    llmres__emit(o, name);
    llmres__emit(o, " ");
    llmres__emit(o, help);
    llmres__emit(o, "\n# TYPE llmres_");
    llmres__emit(o, name);
    llmres__emit(o, " ");
    llmres__emit(o, type);
    llmres__emit(o, "\n");
}

/* llmres_NAME{provider="host"[,KEY="VALUE"]} V */
static void llmres__prom_sample(llmres__out_t *o, const char *name, const char *host, const char *key, const char *value,
                                uint64_t v) {
    llmres__emit(o, "llmres_");
    llmres__emit(o, name);
    llmres__emit(o, "{provider=");
    llmres__emit_quoted(o, host);
    if (key && value) {
        llmres__emit(o, ",");
        llmres__emit(o, key);
        llmres__emit(o, "=");
        llmres__emit_quoted(o, value);
    }
    llmres__emit(o, "} ");
    llmres__emit_u64(o, v);
    llmres__emit(o, "\n");
}

/* One counter family over every provider, the field at `offset` of its lifetime counts. */
/* One counter family over every provider: field f of each lifetime, as f's name "_total". */
static void llmres__prom_counter(const llmres_client_t *c, const llmres_counts_t *life, llmres__out_t *o, const llmres__field_t *f) {
    char name[48];
    uint32_t p;
    llmres__say(name, sizeof(name), f->name, "_total", 6, "");
    llmres__prom_family(o, name, "counter", f->help);
    for (p = 0; p < c->providers; p++) llmres__prom_sample(o, name, c->provider[p].host, NULL, NULL, llmres__field_value(&life[p], f));
}

/* A histogram family in seconds: cumulative buckets at fixed bounds, _sum and _count. */
static void llmres__prom_hist(llmres_client_t *c, llmres__out_t *o, const char *name, const char *help, int first_byte) {
    static const uint32_t le_ms[] = {10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};
    uint32_t p, k, i;
    char bname[48];
    llmres__prom_family(o, name, "histogram", help);
    llmres__say(bname, sizeof(bname), name, "_bucket", 7, "");
    for (p = 0; p < c->providers; p++) {
        const llmres_hist_t *h = &c->stats->first_byte[p];
        uint64_t below = 0;
        if (!first_byte) { /* the lifetime: what left the window and both halves in it */
            c->stats->scratch = c->stats->latency[p];
            llmres_hist_merge(&c->stats->scratch, &c->stats->recent[p][0]);
            llmres_hist_merge(&c->stats->scratch, &c->stats->recent[p][1]);
            h = &c->stats->scratch;
        }
        for (k = 0, i = 0; k < sizeof(le_ms) / sizeof(le_ms[0]); k++) {
            char le[16];
            llmres__out_t l;
            /* a bucket counts below a bound when all of it is (its last value is under or at it) */
            while (i < LLMRES_HIST_BUCKETS - 1u && llmres__hist_last(i) <= le_ms[k]) below += h->bucket[i++];
            l.buf = le; l.cap = sizeof(le); l.at = 0;
            llmres__emit_seconds(&l, le_ms[k]);
            le[l.at] = 0;
            llmres__prom_sample(o, bname, c->provider[p].host, "le", le, below);
        }
        llmres__prom_sample(o, bname, c->provider[p].host, "le", "+Inf", h->count);
        llmres__emit(o, "llmres_");
        llmres__emit(o, name);
        llmres__emit(o, "_sum{provider=");
        llmres__emit_quoted(o, c->provider[p].host);
        llmres__emit(o, "} ");
        llmres__emit_seconds(o, h->sum);
        llmres__emit(o, "\n");
        llmres__say(bname, sizeof(bname), name, "_count", 6, "");
        llmres__prom_sample(o, bname, c->provider[p].host, NULL, NULL, h->count);
        llmres__say(bname, sizeof(bname), name, "_bucket", 7, "");
    }
}

LLMRES_API int llmres_stats_prometheus(llmres_client_t *c, char *buf, size_t cap, size_t *needed) {
    llmres_counts_t life[LLMRES_MAX_PROVIDERS];
    llmres__out_t o;
    uint32_t p, k, score, now;
    if (!c || (!buf && cap) || !llmres__stats_locked(c)) return LLMRES_ERR_INVALID;
    o.buf = buf; o.cap = cap; o.at = 0;
    now = c->port->now_ms(c->port->ctx);
    llmres__stats_slide(c->stats, now);
    for (p = 0; p < c->providers; p++) llmres__stats_whole(c->stats, p, &life[p], NULL);
    for (k = 0; k < LLMRES__FIELDS; k++) llmres__prom_counter(c, life, &o, &llmres__fields[k]);
    llmres__prom_family(&o, "errors_total", "counter", "Calls that ended in error, by class.");
    for (p = 0; p < c->providers; p++)
        for (k = 1; k < LLMRES_CLASSES; k++)
            llmres__prom_sample(&o, "errors_total", c->provider[p].host, "class", llmres_class_name((int)k), life[p].errors[k]);
    llmres__prom_family(&o, "rejected_total", "counter", "Calls ended without reaching the provider, by cause.");
    for (p = 0; p < c->providers; p++)
        for (k = 0; k < LLMRES_REJECT_CAUSES; k++)
            llmres__prom_sample(&o, "rejected_total", c->provider[p].host, "cause", llmres__reject_names[k], life[p].rejected[k]);
    llmres__prom_family(&o, "cost_micro_units_total", "counter", "Estimated cost from the configured prices, in millionths.");
    for (p = 0; p < c->providers; p++)
        llmres__prom_sample(&o, "cost_micro_units_total", c->provider[p].host, NULL, NULL,
                            (life[p].tokens_in * c->cfg.price_in_milli + life[p].tokens_out * c->cfg.price_out_milli) / 1000u);
    llmres__prom_family(&o, "health_score", "gauge", "Health, 0 to 100, from the recent window, breaker and overload state.");
    for (p = 0; p < c->providers; p++) {
        llmres__stats_recent(c->stats, p, &c->stats->scratch_counts, &c->stats->scratch);
        llmres__health_of(c, p, &c->stats->scratch_counts, &c->stats->scratch, &score);
        llmres__prom_sample(&o, "health_score", c->provider[p].host, NULL, NULL, score);
    }
    llmres__prom_family(&o, "breaker_state", "gauge", "The breaker: 0 closed, 1 open, 2 half-open, 3 forced open, 4 forced closed.");
    for (p = 0; p < c->providers; p++) llmres__prom_sample(&o, "breaker_state", c->provider[p].host, NULL, NULL, c->breaker[p].state);
    llmres__prom_family(&o, "overload_state", "gauge", "The overload detector: 0 normal, 1 warning, 2 critical, 3 recovering.");
    for (p = 0; p < c->providers; p++) llmres__prom_sample(&o, "overload_state", c->provider[p].host, NULL, NULL, c->overload[p].state);
    llmres__prom_hist(c, &o, "latency_seconds", "Whole calls that reached the provider, arrival to end.", 0);
    llmres__prom_hist(c, &o, "first_byte_seconds", "Attempts: from sending to the first response byte.", 1);
    llmres__unlock(c);
    if (needed) *needed = o.at + 1;
    if (o.at >= cap) {
        if (cap) buf[0] = 0; /* never a cut exposition */
        return LLMRES_ERR_TOO_LARGE;
    }
    buf[o.at] = 0;
    return (int)o.at;
}
#endif

#ifndef LLMRES_NO_STATS
#define LLMRES__STAT(c, p, field, now) llmres__stats_bump((c), (p), offsetof(llmres_counts_t, field), (now))
#define LLMRES__WHY(cause) (uint8_t)(cause)
#else
#define LLMRES__STAT(c, p, field, now) ((void)(p), (void)(now))
#define LLMRES__WHY(cause) 0
#endif

/* ---- coalescing: identical cacheable calls in flight share one attempt ---- */

static int llmres__same_text(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

/* Whether two calls ask exactly the same (so one answer, cached, serves both). */
static int llmres__same_call(const llmres_call_t *a, const llmres_call_t *b) {
    llmres_llm_message_t oa, ob;
    size_t na, nb, i;
    const llmres_llm_message_t *ma = llmres__call_messages(a, &oa, &na), *mb = llmres__call_messages(b, &ob, &nb);
    if (na != nb || a->max_tokens != b->max_tokens || a->temperature_milli != b->temperature_milli ||
        (a->on_text != NULL) != (b->on_text != NULL) || !llmres__same_text(a->system, b->system))
        return 0;
    for (i = 0; i < na; i++)
        if (!llmres__same_text(ma[i].role, mb[i].role) || !llmres__same_text(ma[i].content, mb[i].content)) return 0;
    return 1;
}

/* A cacheable call that missed the cache (lock held): follows an identical call in
   flight, or leads one (when a slot is free). A slot past the deadline of all who used it
   is free whatever its counts say (a call dropped without llmres_call_abort); a leader past
   its own deadline is not followed. Returns 1 when it follows. */
static int llmres__shared_join(llmres_client_t *c, const llmres_call_t *call, llmres_call_state_t *st, uint32_t now) {
    uint32_t k, free_slot = LLMRES_MAX_COALESCE;
    for (k = 0; k < LLMRES_MAX_COALESCE; k++) {
        llmres_shared_call_t *s = &c->shared[k];
        if (s->busy && llmres__reached(now, s->deadline)) s->busy = 0;
        if (s->busy && !s->done && !llmres__reached(now, s->lead_deadline) && llmres__same_call(s->leader, call)) {
            s->followers++;
            if (llmres__reached(st->deadline, s->deadline)) s->deadline = st->deadline;
            st->follow = (uint8_t)(k + 1u);
            st->follow_gen = s->gen;
            c->coalesced++;
            return 1;
        }
        if (!s->busy && free_slot == LLMRES_MAX_COALESCE) free_slot = k;
    }
    if (free_slot < LLMRES_MAX_COALESCE) {
        llmres_shared_call_t *s = &c->shared[free_slot];
        LLMRES_MEMSET(s, 0, sizeof(*s));
        s->busy = 1;
        s->leader = call;
        s->gen = ++c->shared_gen;
        s->lead_deadline = s->deadline = st->deadline;
        st->lead = (uint8_t)(free_slot + 1u);
    }
    return 0;
}

/* The leader's call ended (lock held): its outcome is told to the followers. */
static void llmres__shared_publish(llmres_client_t *c, llmres_call_state_t *st, int error, int cls, int status,
                                   uint32_t retry_in) {
    llmres_shared_call_t *s = &c->shared[st->lead - 1u];
    s->leader = NULL;
    s->done = 1;
    s->error = error;
    s->cls = cls;
    s->status = status;
    s->retry_in = retry_in;
    s->why = st->why;
    if (!s->followers) s->busy = 0;
    st->lead = 0;
}

/* A follower stops following (lock held); the last one frees the slot. A slot taken
   over by another leader meanwhile (gen) is not touched. */
static void llmres__shared_leave(llmres_client_t *c, llmres_call_state_t *st) {
    llmres_shared_call_t *s = &c->shared[st->follow - 1u];
    st->follow = 0;
    if (s->gen != st->follow_gen || !s->busy) return;
    if (s->followers) s->followers--;
    if (!s->followers && s->done) s->busy = 0;
}

static int llmres__call_done(llmres_client_t *c, llmres_call_state_t *st, llmres_result_t *res, int error, int cls) {
    uint32_t now = c->port->now_ms(c->port->ctx);
    res->error = (llmres_err_t)error;
    res->cls = cls;
    res->elapsed_ms = now - st->started;
    llmres__lock(c);
#ifndef LLMRES_NO_STATS
    if (c->stats) llmres__stats_call(c, st, res, now);
#endif
    if (st->lead) llmres__shared_publish(c, st, error, cls, res->status, res->retry_in_ms);
    if (st->follow) llmres__shared_leave(c, st);
    c->by_class[cls >= 0 && cls < LLMRES_CLASSES ? cls : LLMRES_CLASS_UNKNOWN]++;
    if (error == LLMRES_OK) c->successes++;
    llmres__unlock(c);
    return LLMRES_CALL_DONE;
}

/* A fresh backoff for the call's current provider, seeded from the client. */
static void llmres__call_backoff(llmres_client_t *c, llmres_call_state_t *st) {
    llmres_backoff_config_t bc;
    LLMRES_MEMSET(&bc, 0, sizeof(bc));
    bc.base_ms = c->cfg.backoff_base_ms;
    bc.cap_ms = c->cfg.backoff_max_ms;
    bc.hint_max_ms = c->cfg.retry_after_max_ms;
    llmres__lock(c);
    bc.seed = llmres_xorshift32(&c->seed);
    llmres__unlock(c);
    llmres_backoff_init(&st->backoff, &bc);
    st->retries = 0;
}

/* Moves the call to the next provider of the chain; 0 when there is none. */
static int llmres__call_fallback(llmres_client_t *c, llmres_call_state_t *st) {
    if ((uint32_t)st->provider + 1u >= c->providers) return 0;
    llmres__lock(c);
    c->fallbacks++;
    LLMRES__STAT(c, (uint32_t)st->provider, fallbacks, c->port->now_ms(c->port->ctx));
    llmres__unlock(c);
    st->provider++;
    st->judged = 0; /* its own throttle judges */
    llmres__call_backoff(c, st);
    return 1;
}

/* Waits are reported, never slept here; a wait past the deadline ends the call. */
static int llmres__call_wait(llmres_client_t *c, llmres_call_state_t *st, llmres_result_t *res, uint32_t now,
                             uint32_t ms, uint32_t *wait_ms) {
    uint32_t left = llmres__reached(now, st->deadline) ? 0 : st->deadline - now;
    if (ms >= left) return llmres__call_done(c, st, res, LLMRES_ERR_TIMEOUT, LLMRES_CLASS_TIMEOUT); /* never past it */
    *wait_ms = ms ? ms : 1u;
    return LLMRES_CALL_WAIT;
}

/* A failure of this device, not of the provider: no connection slot left, no name, no
   route. Nothing reached the provider: not an attempt, and not held against it. */
static int llmres__local_failure(int status) {
    return status == LLMRES_ERR_NO_SLOT || status == LLMRES_ERR_DNS || status == LLMRES_ERR_LINK_DOWN;
}

/* ceil(a * b / c), at most a: the share b/c of a wait a. */
static uint32_t llmres__share(uint32_t a, uint32_t b, uint32_t c) {
    uint64_t v = ((uint64_t)a * b + c - 1u) / c;
    return v < a ? (uint32_t)v : a;
}

/* What an answer says about when this provider may be sent to next, for every call of
   the client (lock held): a refusal's retry-after (a 429's, a 529's, a 503's); an
   exhausted rate limit paced from remaining and reset (one request's share of the reset,
   not the whole of it). A refusal without retry-after sets no wait: the detector and the
   throttle answer it (a pause per 529 only made the device's calls queue behind it). */
static void llmres__call_defer(llmres_client_t *c, const llmres_call_state_t *st, const llmres_http_hints_t *h, int cls,
                               uint32_t now) {
    uint32_t wait = 0, w;
    if (cls != LLMRES_CLASS_OK && h->retry_after_ms != LLMRES_UNKNOWN) wait = h->retry_after_ms;
    if (h->requests.remaining == 0 && h->requests.reset_ms != LLMRES_UNKNOWN) {
        w = h->requests.limit && h->requests.limit != LLMRES_UNKNOWN ? llmres__share(h->requests.reset_ms, 1, h->requests.limit)
                                                                       : h->requests.reset_ms;
        if (w > wait) wait = w;
    }
    if (h->tokens.remaining == 0 && h->tokens.reset_ms != LLMRES_UNKNOWN) {
        uint32_t need = st->tokens_charged ? st->tokens_charged : 1u;
        w = h->tokens.limit && h->tokens.limit != LLMRES_UNKNOWN ? llmres__share(h->tokens.reset_ms, need, h->tokens.limit)
                                                                   : h->tokens.reset_ms;
        if (w > wait) wait = w;
    }
    /* one header must not keep a device off a provider for days: past retry_after_max_ms
       the call gives up (llmres__call_decide), and the others look again after it */
    if (wait > c->cfg.retry_after_max_ms) wait = c->cfg.retry_after_max_ms;
    if (wait) llmres_overload_defer(&c->overload[st->provider], now, now + (wait > 0x7FFFFFFFu ? 0x7FFFFFFFu : wait));
}

/* Records an attempt's end (lock taken here): the breaker, the overload detector, the
   counters, the provider's shared wait, the token estimate against the usage. */
static void llmres__call_record(llmres_client_t *c, const llmres_worker_t *w, const llmres_call_state_t *st, int status,
                                int cls, uint32_t now, uint32_t latency) {
    int local = llmres__local_failure(status);
    uint32_t opens;
    llmres__lock(c);
    opens = c->breaker[st->provider].transitions[LLMRES_BREAKER_OPEN];
    c->in_flight--;
    if (status == 429) c->status_429++;
    if (status == 529) c->status_529++;
    llmres_breaker_record(&c->breaker[st->provider], now, local ? (int)LLMRES_OUTCOME_IGNORED : llmres_class_policy_get(cls).outcome,
                          latency);
    if (!local) {
        c->attempts++;
        c->attempts_by_class[cls]++;
        /* a bare 503 or a reset is an outage, the breaker's business; these say "too much" */
        llmres_overload_record(&c->overload[st->provider], now,
                               cls == LLMRES_CLASS_OVERLOADED || cls == LLMRES_CLASS_RATE_LIMIT || cls == LLMRES_CLASS_TIMEOUT);
#ifndef LLMRES_NO_STATS
        if (c->stats)
            llmres__stats_attempt(c, (uint32_t)st->provider, (uint32_t)w->http.x_head_len + (uint32_t)w->http.x_body_len,
                                  (uint32_t)w->http.x_got, c->breaker[st->provider].transitions[LLMRES_BREAKER_OPEN] - opens);
#else
        (void)opens;
#endif
    }
    if (status > 0) llmres__call_defer(c, st, &w->resp.hints, cls, now);
    if (st->tokens_charged && cls == LLMRES_CLASS_OK && w->lr.input_tokens != LLMRES_UNKNOWN &&
        w->lr.output_tokens != LLMRES_UNKNOWN) {
        /* reconcile the estimate with the usage the provider reported */
        uint32_t used = w->lr.input_tokens + w->lr.output_tokens;
        if (used < st->tokens_charged) {
            llmres_bucket_refund(&c->tpm, now, st->tokens_charged - used);
        } else if (used > st->tokens_charged) { /* take the rest, as far as there is any */
            uint32_t extra = used - st->tokens_charged, have = llmres_bucket_available(&c->tpm, now);
            llmres_bucket_take(&c->tpm, now, extra < have ? extra : have);
        }
    } else if (st->tokens_charged && status <= 0) {
        llmres_bucket_refund(&c->tpm, now, st->tokens_charged); /* never reached the provider */
    }
    llmres__unlock(c);
}

/* Takes one retry from the client's retry budget (lock taken here): 1, or 0 when it is
   spent (counted). A budget of 0 % is no budget. */
static int llmres__retry_budget_take(llmres_client_t *c, uint32_t p) {
    int ok = 1;
    llmres__lock(c);
    if (c->cfg.retry_budget_pct) {
        if (c->retry_budget >= 1000u) c->retry_budget -= 1000u;
        else { ok = 0; c->budget_denied++; LLMRES__STAT(c, p, budget_denied, c->port->now_ms(c->port->ctx)); }
    }
    llmres__unlock(c);
    return ok;
}

/* After a failed attempt: retry after a backoff (WAIT), fall back to the next provider
   at once (AGAIN), or end the call (DONE). A failure of this device (no slot, no name, no
   route) retries without touching the retry budget; no slot retries without a backoff. */
static int llmres__call_decide(llmres_client_t *c, llmres_call_state_t *st, llmres_result_t *res,
                               const llmres_http_hints_t *h, int error, int cls, uint32_t now, uint32_t *wait_ms) {
    uint32_t hint, left = llmres__reached(now, st->deadline) ? 0 : st->deadline - now;
    int32_t delay;
    if (error == LLMRES_ERR_NO_SLOT) { /* a slot frees when another exchange ends */
        if (left <= LLMRES_POLL_MS) return llmres__call_done(c, st, res, error, cls);
        st->wake = now + LLMRES_POLL_MS;
        st->phase = LLMRES__CALL_BACKOFF;
        *wait_ms = LLMRES_POLL_MS;
        return LLMRES_CALL_WAIT;
    }
    if (!llmres_should_retry(cls, h)) {
        /* a key or a quota belongs to one provider: another may still answer */
        if ((cls == LLMRES_CLASS_AUTHENTICATION || cls == LLMRES_CLASS_QUOTA) && llmres__call_fallback(c, st)) return LLMRES__CALL_AGAIN;
        return llmres__call_done(c, st, res, error, cls);
    }
    hint = h && h->retry_after_ms != LLMRES_UNKNOWN ? h->retry_after_ms : 0;
    delay = st->retries < c->cfg.max_retries ? llmres_backoff_next(&st->backoff, hint, left) : LLMRES_ERR_GIVE_UP;
    /* past the deadline, the server wants longer than we may wait, or no retry left; a
       retry needs some time left to be worth sending */
    if (delay < 0 || (uint32_t)delay >= left || (!llmres__local_failure(error) && !llmres__retry_budget_take(c, (uint32_t)st->provider))) {
        if (llmres__call_fallback(c, st)) return LLMRES__CALL_AGAIN;
        return llmres__call_done(c, st, res, error, cls);
    }
    st->retries++;
    llmres__lock(c);
    c->retries++;
    LLMRES__STAT(c, (uint32_t)st->provider, retries, now);
    llmres__unlock(c);
    st->wake = now + (uint32_t)delay;
    st->phase = LLMRES__CALL_BACKOFF;
    *wait_ms = delay ? (uint32_t)delay : 1u;
    return LLMRES_CALL_WAIT;
}

/* An attempt's end (status: the exchange's result): classify, record, and decide: the
   result (DONE), a backoff (WAIT), or another attempt at once (AGAIN). */
static int llmres__call_finish(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call,
                               llmres_call_state_t *st, llmres_result_t *res, int status, uint32_t *wait_ms) {
    const llmres_provider_t *p = &c->provider[st->provider];
    int parse = LLMRES_OK, cls, error;
    uint32_t now, latency;
    now = c->port->now_ms(c->port->ctx);
    latency = now - st->t0;
    if (call->on_text) {
        st->streamed = w->lr.text_len > 0;
        status = llmres__stream_status(w, status, &parse);
        if (status > 0 && (status < 200 || status > 299))
            parse = llmres_llm_parse_response(llmres__wire_of(p), w->body, w->error_len, &w->lr);
    } else if (status > 0) {
        parse = llmres_llm_parse_response(llmres__wire_of(p), w->body, w->resp.body_len, &w->lr);
    }
    cls = llmres_classify(status, status > 0 ? &w->resp.hints : NULL, &w->lr);
    error = status < 0 ? status : cls == LLMRES_CLASS_OK ? LLMRES_OK : LLMRES_ERR_PROVIDER;
    if (cls == LLMRES_CLASS_OK && parse == LLMRES_ERR_TOO_LARGE) { /* our buffer */
        cls = LLMRES_CLASS_PERMANENT;
        error = LLMRES_ERR_TOO_LARGE;
    } else if (cls == LLMRES_CLASS_OK && (parse != LLMRES_OK || !w->lr.answered)) {
        cls = LLMRES_CLASS_SERVER_ERROR; /* not JSON, or JSON that is no answer */
        error = LLMRES_ERR_BAD_BODY;
    }
    if (!llmres__local_failure(status)) res->attempts++;
    res->provider = st->provider;
    res->status = status;
    res->input_tokens = w->lr.input_tokens;
    res->output_tokens = w->lr.output_tokens;
    res->text_len = cls == LLMRES_CLASS_OK ? w->lr.text_len : 0;
    LLMRES_MEMCPY(res->message, w->lr.error_message, sizeof(res->message) < sizeof(w->lr.error_message) ? sizeof(res->message) : sizeof(w->lr.error_message));
    res->message[sizeof(res->message) - 1] = 0;
    llmres__mask_keys(c, res->message);
    res->cls = cls;

    llmres__call_record(c, w, st, status, cls, now, latency);
    if (cls == LLMRES_CLASS_OK) {
        if (st->cacheable) {
            int kn = llmres__call_json(c, w, call, 0);
            if (kn > 0) {
                llmres__lock(c);
                llmres_cache_put(&c->cache, now, w->json, (uint32_t)kn, call->text, (uint32_t)w->lr.text_len, c->cfg.cache_ttl_ms);
                llmres__unlock(c);
            }
        }
        llmres__lock(c);
        c->answered_by[st->provider]++;
        llmres__unlock(c);
        return llmres__call_done(c, st, res, LLMRES_OK, cls);
    }

    return llmres__call_decide(c, st, res, status > 0 ? &w->resp.hints : NULL, error, cls, now, wait_ms);
}

/* Whether the call's answer may come from and go to the cache: the call says, else the
   config's policy. */
static int llmres__call_cacheable(const llmres_client_t *c, const llmres_call_t *call) {
    if (call->cache != LLMRES_CALL_CACHE_CONFIG) return call->cache == LLMRES_CALL_CACHE_YES;
    return c->cfg.cache == LLMRES_CACHE_ALL || (c->cfg.cache == LLMRES_CACHE_DETERMINISTIC && call->temperature_milli == 0);
}

/* The answer from the cache (lock taken here): DONE, or 0 on a miss, after which, with
   `join`, the call leads or follows an identical call in flight (llmres__shared_join). */
static int llmres__call_cached(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call, llmres_call_state_t *st,
                               llmres_result_t *res, uint32_t now, int join) {
    int n = llmres__call_json(c, w, call, 0), hit = LLMRES_ERR_NOT_FOUND; /* the key: the first provider's request */
    uint32_t len = 0;
    if (n <= 0) return 0;
    llmres__lock(c);
    hit = llmres_cache_get(&c->cache, now, w->json, (uint32_t)n, call->text, (uint32_t)(call->text_cap - 1), &len);
    if (hit == LLMRES_OK) c->cache_hits++;
    else if (join) llmres__shared_join(c, call, st, now);
    if (hit == LLMRES_OK) LLMRES__STAT(c, 0, cache_hits, now); /* a follower's answer too */
    else if (join) LLMRES__STAT(c, 0, cache_misses, now);
    llmres__unlock(c);
    if (hit != LLMRES_OK) return 0;
    call->text[len] = 0;
    res->text_len = len;
    res->cached = 1;
    if (call->on_text && len) call->on_text(call->user, call->text, len);
    return llmres__call_done(c, st, res, LLMRES_OK, LLMRES_CLASS_OK);
}

/* The call's first step: its clock, its checks, the cache, coalescing. DONE when that
   answers it (a hit, or a bad call), FOLLOWING when an identical call in flight will,
   else 0. */
static int llmres__call_start(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call, llmres_call_state_t *st,
                              llmres_result_t *res, uint32_t now) {
    llmres_llm_message_t one;
    size_t i, count;
    const llmres_llm_message_t *m = llmres__call_messages(call, &one, &count);
    LLMRES_MEMSET(res, 0, sizeof(*res));
    res->provider = -1;
    res->input_tokens = res->output_tokens = LLMRES_UNKNOWN;
    if (!st->preset) { /* the dispatcher counts from submission */
        st->started = now;
        st->deadline = now + (call->timeout_ms ? call->timeout_ms : c->cfg.timeout_ms);
    }
    st->provider = 0;
    llmres__lock(c);
    c->calls++;
    if (c->retry_budget < c->cfg.retry_budget_burst * 1000u) { /* each call earns a share of a retry */
        c->retry_budget += c->cfg.retry_budget_pct * 10u;
        if (c->retry_budget > c->cfg.retry_budget_burst * 1000u) c->retry_budget = c->cfg.retry_budget_burst * 1000u;
    }
    llmres__unlock(c);
    llmres__call_backoff(c, st);
    if (!count || !call->text || !call->text_cap || call->timeout_ms > 0x7FFFFFFFu || call->cache > LLMRES_CALL_CACHE_YES)
        return llmres__call_done(c, st, res, LLMRES_ERR_INVALID, LLMRES_CLASS_PERMANENT);
    for (i = 0; i < count; i++)
        if (!m[i].role || !m[i].content) return llmres__call_done(c, st, res, LLMRES_ERR_INVALID, LLMRES_CLASS_PERMANENT);
    st->cacheable = (uint8_t)llmres__call_cacheable(c, call);
    if (!st->cacheable) return 0;
    if (llmres__call_cached(c, w, call, st, res, now, 1) == LLMRES_CALL_DONE) return LLMRES_CALL_DONE;
    return st->follow ? LLMRES__CALL_FOLLOWING : 0;
}

/* A follower, once its leader's call has ended: the answer from the cache, the leader's
   error, or (the leader ran out of time or text buffer, was cancelled, or its answer did
   not fit the cache) an attempt of its own (AGAIN). WAIT while the leader runs. */
static int llmres__call_follow(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call, llmres_call_state_t *st,
                               llmres_result_t *res, uint32_t now, uint32_t *wait_ms) {
    const llmres_shared_call_t *s;
    int error = LLMRES_ERR_CANCELLED, cls = LLMRES_CLASS_UNKNOWN, mine;
    llmres__lock(c);
    s = &c->shared[st->follow ? st->follow - 1u : 0];
    mine = st->follow && s->gen == st->follow_gen;
    if (mine && !s->done && !llmres__reached(now, s->lead_deadline)) {
        llmres__unlock(c);
        if (llmres__reached(now, st->deadline)) return llmres__call_done(c, st, res, LLMRES_ERR_TIMEOUT, LLMRES_CLASS_TIMEOUT);
        *wait_ms = st->deadline - now < LLMRES_POLL_MS ? st->deadline - now : LLMRES_POLL_MS;
        return LLMRES_CALL_WAIT;
    }
    if (mine && s->done) { /* else the leader is gone: as if it was cancelled */
        error = s->error;
        cls = s->cls;
        res->status = s->status;
        res->retry_in_ms = s->retry_in;
        st->why = s->why;
    }
    if (st->follow) llmres__shared_leave(c, st);
    if (error == LLMRES_ERR_LIMITED || error == LLMRES_ERR_OPEN) c->shed++;
    llmres__unlock(c);
    if (error == LLMRES_OK && llmres__call_cached(c, w, call, st, res, now, 0) == LLMRES_CALL_DONE) return LLMRES_CALL_DONE;
    st->phase = LLMRES__CALL_ADMIT;
    if (error == LLMRES_OK || error == LLMRES_ERR_TIMEOUT || error == LLMRES_ERR_TOO_LARGE || error == LLMRES_ERR_CANCELLED)
        return LLMRES__CALL_AGAIN; /* the leader's own limits: not this call's */
    return llmres__call_done(c, st, res, error, cls); /* the provider's answer, or the way to it: shared */
}

/* Sends the attempt's request (w->json, n bytes) as the provider's row says: target,
   key header, version header. Returns llmres_http_begin's result. */
static int llmres__attempt_begin(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call,
                                 llmres_call_state_t *st, size_t n) {
    const llmres_provider_t *p = &c->provider[st->provider];
    const llmres_wire_t *wire = llmres__wire_of(p);
    llmres_http_header_t hdr[3];
    llmres_http_request_t req;
    size_t nh = 0;
    uint32_t left;
    hdr[nh].name = "Content-Type"; hdr[nh++].value = "application/json";
    if (p->api_key) { /* its length was checked at init: it fits whole */
        size_t pl = strlen(wire->auth_prefix), kl = strlen(p->api_key);
        LLMRES_MEMCPY(w->auth, wire->auth_prefix, pl);
        LLMRES_MEMCPY(w->auth + pl, p->api_key, kl + 1);
        hdr[nh].name = wire->auth_header; hdr[nh++].value = w->auth;
    }
    if (wire->version_header) { hdr[nh].name = wire->version_header; hdr[nh++].value = wire->version; }
    llmres__target(p, w->path, sizeof(w->path));
    LLMRES_MEMSET(&req, 0, sizeof(req));
    req.method = "POST";
    req.host = p->host;
    req.port = p->port;
    req.tls = p->tls;
    req.path = w->path;
    req.headers = hdr;
    req.header_count = nh;
    req.body = w->json;
    req.body_len = n;
    LLMRES_MEMSET(&w->lr, 0, sizeof(w->lr));
    w->lr.text = call->text;
    w->lr.text_cap = call->text_cap;
    w->lr.input_tokens = w->lr.output_tokens = LLMRES_UNKNOWN;
    if (call->on_text) {
        if (st->streamed) call->on_text(call->user, NULL, 0); /* what the last attempt streamed is void */
        st->streamed = 0;
        llmres_llm_stream_init(&w->stream, wire, (char *)w->body, sizeof(w->body), &w->lr);
        w->stream.on_text = call->on_text;
        w->stream.user = call->user;
        w->error_len = 0;
        llmres_http_response_init(&w->resp, NULL, 0, llmres__worker_body, w, 0);
    } else {
        llmres_http_response_init(&w->resp, w->body, sizeof(w->body), NULL, NULL, 0);
    }
    st->t0 = c->port->now_ms(c->port->ctx);
    left = llmres__reached(st->t0, st->deadline) ? 1u : st->deadline - st->t0;
    return llmres_http_begin(&w->http, &req, &w->resp, left < c->cfg.attempt_timeout_ms ? left : c->cfg.attempt_timeout_ms);
}

#define LLMRES__CALL_ADMITTED 3 /* llmres__call_admit: a slot and the tokens are taken: send */

/* HTTP sent the request again on a fresh connection after a kept-alive one died without
   an answer: the provider may have seen (and may bill) both, so the second is an attempt
   and a retry too, and takes from the retry budget what is there. */
static void llmres__call_count_resend(llmres_client_t *c, const llmres_worker_t *w, llmres_call_state_t *st,
                                      llmres_result_t *res) {
    if (!w->http.x_resent || st->resent) return;
    st->resent = 1;
    res->attempts++;
    llmres__lock(c);
    c->attempts++;
    c->retries++;
    c->resends++;
    c->retry_budget = c->retry_budget >= 1000u ? c->retry_budget - 1000u : 0;
    LLMRES__STAT(c, (uint32_t)st->provider, attempts, c->port->now_ms(c->port->ctx));
    LLMRES__STAT(c, (uint32_t)st->provider, retries, c->port->now_ms(c->port->ctx));
    llmres__unlock(c);
}

/* The answer is on its way: read what came, waiting at most st->io_wait_ms. WAIT, or
   the attempt's end as llmres__call_finish decides. */
/* The attempt's own clocks, past the request: LLMRES_ERR_FIRST_BYTE, _FIRST_TOKEN or
   _STREAM_IDLE when one ran out, else 0 with *next the time left on the nearest. */
static int llmres__call_late(const llmres_client_t *c, const llmres_worker_t *w, const llmres_call_t *call,
                             llmres_call_state_t *st, uint32_t now, uint32_t *next) {
    const llmres_config_t *cfg = &c->cfg;
    uint32_t limit[3] = {0, 0, 0}, since[3], i;
    static const int why[3] = {LLMRES_ERR_FIRST_BYTE, LLMRES_ERR_FIRST_TOKEN, LLMRES_ERR_STREAM_IDLE};
    *next = LLMRES_NEVER;
    if (!st->sent) {
        if (w->http.x_sent < (size_t)w->http.x_head_len + w->http.x_body_len) return 0; /* still connecting or sending */
        st->sent = 1;
        st->sent_at = st->byte_at = now;
    }
    if (!w->http.x_got) limit[0] = cfg->first_byte_timeout_ms;
    if (call->on_text && !w->lr.text_len && !w->stream.done) limit[1] = cfg->first_token_timeout_ms;
    if (call->on_text && w->http.x_got && !w->stream.done && !w->stream.failed) limit[2] = cfg->stream_idle_timeout_ms;
    since[0] = since[1] = now - st->sent_at;
    since[2] = now - st->byte_at;
    for (i = 0; i < 3; i++) {
        if (!limit[i]) continue;
        if (since[i] >= limit[i]) return why[i];
        if (limit[i] - since[i] < *next) *next = limit[i] - since[i];
    }
    return 0;
}

/* An attempt ended by one of its own clocks: counted apart, then as any timeout. */
static int llmres__call_too_late(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call,
                                 llmres_call_state_t *st, llmres_result_t *res, int late, uint32_t *wait_ms) {
    uint32_t now = c->port->now_ms(c->port->ctx);
    llmres_http_abort(&w->http);
    llmres__lock(c);
    if (late == LLMRES_ERR_FIRST_BYTE) {
        c->first_byte_timeouts++;
        LLMRES__STAT(c, (uint32_t)st->provider, first_byte_timeouts, now);
    } else if (late == LLMRES_ERR_FIRST_TOKEN) {
        c->first_token_timeouts++;
        LLMRES__STAT(c, (uint32_t)st->provider, first_token_timeouts, now);
    } else {
        c->stream_idle_timeouts++;
        LLMRES__STAT(c, (uint32_t)st->provider, stream_idle_timeouts, now);
    }
    llmres__unlock(c);
    st->phase = LLMRES__CALL_ADMIT;
    return llmres__call_finish(c, w, call, st, res, late, wait_ms);
}

static int llmres__call_receive(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call,
                                llmres_call_state_t *st, llmres_result_t *res, uint32_t *wait_ms) {
    size_t got = w->http.x_got;
    uint32_t io = st->io_wait_ms, linger = 0, now, left, next;
    int over = call->on_text && (w->stream.done || w->stream.failed), status; /* the stream said its last */
    int late = llmres__call_late(c, w, call, st, c->port->now_ms(c->port->ctx), &next);
    if (late) return llmres__call_too_late(c, w, call, st, res, late, wait_ms);
    if (io > next) io = next; /* wake for the nearest of the attempt's own clocks */
    if (over) { /* its body's end should follow at once: not long */
        uint32_t since = c->port->now_ms(c->port->ctx) - w->stream_end_at;
        linger = since < LLMRES_STREAM_LINGER_MS ? LLMRES_STREAM_LINGER_MS - since : 0;
        if (io > linger) io = linger;
    }
    status = !over || linger ? llmres_http_poll(&w->http, &w->resp, io) : 0;
    if (status == 0 && llmres__reached(c->port->now_ms(c->port->ctx), w->http.x_deadline))
        status = llmres_http_poll(&w->http, &w->resp, 0); /* its deadline came in that wait: end it now, not a step late */
    llmres__call_count_resend(c, w, st, res);
#ifndef LLMRES_NO_STATS
    if (c->stats && call->on_text && !st->first_byte && w->http.x_got) { /* a stream's first byte, once per attempt */
        st->first_byte = 1;
        llmres__lock(c);
        if (c->stats) llmres_hist_add(&c->stats->first_byte[st->provider], c->port->now_ms(c->port->ctx) - st->t0);
        llmres__unlock(c);
    }
#endif
    if (status == 0 && over && (!linger || c->port->now_ms(c->port->ctx) - w->stream_end_at >= LLMRES_STREAM_LINGER_MS)) {
        llmres_http_abort(&w->http); /* a server that keeps the body open after the stream's end */
        status = w->resp.status;
    }
    if (status != 0) {
        st->phase = LLMRES__CALL_ADMIT;
        return llmres__call_finish(c, w, call, st, res, status, wait_ms);
    }
    now = c->port->now_ms(c->port->ctx);
    if (w->http.x_got != got) st->byte_at = now;
    if ((late = llmres__call_late(c, w, call, st, now, &next)) != 0) return llmres__call_too_late(c, w, call, st, res, late, wait_ms);
    left = llmres__reached(now, st->deadline) ? 1u : st->deadline - now;
    if (left > next) left = next ? next : 1u;
    /* more is coming, or the step already waited in the transport: look again at once */
    *wait_ms = w->http.x_got != got || io >= LLMRES_POLL_MS ? 1u : left < LLMRES_POLL_MS ? left : LLMRES_POLL_MS;
    return LLMRES_CALL_WAIT;
}

#define LLMRES__LOOK_MS 100 /* behind a half-open breaker's probe: look again this often */

/* The call cannot be sent for ms (a shared wait, breakers): it ends at once with `error`
   (LIMITED or OPEN), class overloaded and the wait in retry_in_ms, rather than park until
   its deadline: the firmware can sleep or queue it elsewhere. */
static int llmres__call_shed(llmres_client_t *c, llmres_call_state_t *st, llmres_result_t *res, int error, uint32_t ms) {
    llmres__lock(c);
    c->shed++;
    llmres__unlock(c);
    res->retry_in_ms = ms ? ms : 1u;
    return llmres__call_done(c, st, res, error, res->attempts ? res->cls : LLMRES_CLASS_OVERLOADED);
}

/* Whether the call may wait ms more: all its waits so far and this one within
   shed_wait_ms, and before its deadline. */
static int llmres__call_may_wait(const llmres_client_t *c, const llmres_call_state_t *st, uint32_t now, uint32_t ms) {
    uint32_t left = llmres__reached(now, st->deadline) ? 0 : st->deadline - now;
    return ms < left && ms <= c->cfg.shed_wait_ms && st->parked + ms <= c->cfg.shed_wait_ms;
}

/* The provider will take the call in ms: it waits when it may, else it is shed. */
static int llmres__call_hold(llmres_client_t *c, llmres_call_state_t *st, llmres_result_t *res, uint32_t now, uint32_t ms,
                             int error, uint32_t *wait_ms) {
    if (!llmres__call_may_wait(c, st, now, ms)) return llmres__call_shed(c, st, res, error, ms);
    st->parked += ms;
    st->wake = now + ms;
    st->phase = LLMRES__CALL_BACKOFF;
    *wait_ms = ms ? ms : 1u;
    return LLMRES_CALL_WAIT;
}

/* How long until provider k could be sent to (lock held): the longer of its shared wait
   and its breaker's; behind a probe in flight, LLMRES__LOOK_MS (the probe may close it
   any moment). *why: LIMITED when the shared wait is the longer, else OPEN. */
static uint32_t llmres__provider_wait(const llmres_client_t *c, uint32_t k, uint32_t now, int *why) {
    uint32_t shared = llmres_overload_wait_ms(&c->overload[k], now), open = llmres_breaker_retry_in(&c->breaker[k], now);
    if (open > LLMRES__LOOK_MS && c->breaker[k].state == LLMRES_BREAKER_HALF_OPEN) open = LLMRES__LOOK_MS;
    *why = shared >= open ? LLMRES_ERR_LIMITED : LLMRES_ERR_OPEN;
    return shared > open ? shared : open;
}

/* No provider of the chain takes the call now: it waits for the one that will first, when
   that is soon, skipping those whose throttle refused it. Behind a probe in flight it
   looks again every LLMRES__LOOK_MS, so that the probe's success is seen at once, not an
   open period later. */
static int llmres__call_wait_breaker(llmres_client_t *c, llmres_call_state_t *st, llmres_result_t *res, uint32_t now,
                                     uint32_t *wait_ms) {
    uint32_t best = LLMRES_NEVER, k;
    int who = -1, why = LLMRES_ERR_OPEN, w;
    llmres__lock(c);
    for (k = 0; k < c->providers; k++) {
        uint32_t r;
        if ((st->refused >> k) & 1u) continue;
        r = llmres__provider_wait(c, k, now, &w);
        if (r < best) { best = r; who = (int)k; why = w; }
    }
    llmres__unlock(c);
    st->why = LLMRES__WHY(LLMRES_REJECT_THROTTLE);
    if ((who < 0 || best == LLMRES_NEVER) && st->refused) /* a throttle said no: its odds change soonest */
        return llmres__call_shed(c, st, res, LLMRES_ERR_LIMITED, c->cfg.backoff_base_ms * 2u);
    st->why = why == LLMRES_ERR_LIMITED ? LLMRES__WHY(LLMRES_REJECT_WAIT) : LLMRES__WHY(LLMRES_REJECT_BREAKER);
    if (who < 0) return llmres__call_shed(c, st, res, LLMRES_ERR_OPEN, LLMRES_NEVER);
    if (who != st->provider) { /* another provider: its own throttle and backoff */
        st->provider = who;
        st->judged = 0;
        llmres__call_backoff(c, st);
    }
    return llmres__call_hold(c, st, res, now, best ? best : 1u, why, wait_ms); /* 1 ms at least: the loop is bounded */
}

/* Gives back what admission took when a later gate refuses (lock held). */
static void llmres__admit_undo(llmres_client_t *c, uint32_t now, uint32_t estimate) {
    if (c->cfg.rps_milli) llmres_bucket_refund(&c->rps, now, 1);
    if (estimate) llmres_bucket_refund(&c->tpm, now, estimate);
}

/* Admission, in order: the deadline, the adaptive throttle (once per attempt), the
   provider's shared wait, the concurrency limit, the request and token buckets, the
   provider's breaker.
   ADMITTED (slot and tokens taken), AGAIN (moved to the next provider), WAIT or DONE. */
static int llmres__call_admit(llmres_client_t *c, const llmres_call_t *call, llmres_call_state_t *st,
                              llmres_result_t *res, uint32_t now, uint32_t *wait_ms) {
    llmres_overload_t *o = &c->overload[st->provider];
    uint32_t estimate = 0, ms, shared, hint;
    int slot = 0;
    if (llmres__reached(now, st->deadline)) return llmres__call_done(c, st, res, LLMRES_ERR_TIMEOUT, LLMRES_CLASS_TIMEOUT);
    llmres__lock(c);
    if (!st->judged) {
        /* the throttle judges each attempt once, retries too, before it waits for anything,
           so that a refusal comes at once; the wait told is a jittered backoff step */
        if (llmres_overload_admit(o, now, llmres_xorshift32(&c->seed)) != LLMRES_OK) {
            c->throttled++;
            hint = c->cfg.backoff_base_ms + llmres_xorshift32(&c->seed) % c->cfg.backoff_base_ms;
            llmres__unlock(c);
            res->provider = st->provider;
            st->refused |= 1u << st->provider;
            st->why = LLMRES__WHY(LLMRES_REJECT_THROTTLE);
            if (llmres__call_fallback(c, st)) return LLMRES__CALL_AGAIN;
            return llmres__call_shed(c, st, res, LLMRES_ERR_LIMITED, hint);
        }
        st->judged = 1;
    }
    shared = ms = llmres_overload_wait_ms(o, now);
    if (!ms) {
        if (c->in_flight >= c->cfg.max_concurrent) {
            slot = 1; /* a slot frees when an attempt ends */
        } else if (c->cfg.rps_milli && llmres_bucket_take(&c->rps, now, 1) != LLMRES_OK) {
            ms = llmres_bucket_wait_ms(&c->rps, now, 1);
        } else if (c->cfg.tokens_per_minute &&
                   llmres_bucket_take(&c->tpm, now, estimate = llmres__estimate_tokens(call, c->cfg.tokens_per_minute)) != LLMRES_OK) {
            ms = llmres_bucket_wait_ms(&c->tpm, now, estimate);
            llmres__admit_undo(c, now, 0);
        }
    }
    if (slot || ms) {
        llmres__unlock(c);
        res->provider = st->provider;
        if (slot) return llmres__call_wait(c, st, res, now, LLMRES_POLL_MS, wait_ms);
        /* the provider holds us longer than we may wait: the next one of the chain may not */
        if (shared && !llmres__call_may_wait(c, st, now, ms) && llmres__call_fallback(c, st)) return LLMRES__CALL_AGAIN;
        st->why = shared ? LLMRES__WHY(LLMRES_REJECT_WAIT) : LLMRES__WHY(LLMRES_REJECT_BUCKET);
        return llmres__call_hold(c, st, res, now, ms, LLMRES_ERR_LIMITED, wait_ms);
    }
    if (llmres_breaker_allow(&c->breaker[st->provider], now) != LLMRES_OK) {
        llmres__admit_undo(c, now, estimate);
        llmres__unlock(c);
        res->provider = st->provider;
        if (llmres__call_fallback(c, st)) return LLMRES__CALL_AGAIN;
        return llmres__call_wait_breaker(c, st, res, now, wait_ms);
    }
    c->in_flight++;
    llmres__unlock(c);
    st->tokens_charged = estimate;
    return LLMRES__CALL_ADMITTED;
}

/* One admitted attempt: its JSON and its request, never past the call's deadline. AGAIN
   with the phase at RECV when it is on its way, else the attempt's end. */
static int llmres__call_attempt(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call,
                                llmres_call_state_t *st, llmres_result_t *res, uint32_t now, uint32_t *wait_ms) {
    int n = llmres__call_json(c, w, call, st->provider), status;
    if (n < 0) {
        llmres__lock(c);
        c->in_flight--;
        llmres_breaker_record(&c->breaker[st->provider], now, LLMRES_OUTCOME_IGNORED, 0);
        llmres__unlock(c);
        return llmres__call_done(c, st, res, n, LLMRES_CLASS_PERMANENT);
    }
    st->resent = st->first_byte = st->sent = 0;
    st->judged = 0; /* the next attempt is judged again */
    status = llmres__attempt_begin(c, w, call, st, (size_t)n);
    llmres__call_count_resend(c, w, st, res);
    if (status == LLMRES_OK) {
        st->phase = LLMRES__CALL_RECV;
        return LLMRES__CALL_AGAIN;
    }
    return llmres__call_finish(c, w, call, st, res, status, wait_ms);
}

/* Tells the port's log of each provider's breaker and overload transitions since the
   last time, from outside the lock (a log may write to a UART). */
static void llmres__tell_states(llmres_client_t *c) {
    int from[2][LLMRES_MAX_PROVIDERS], to[2][LLMRES_MAX_PROVIDERS];
    uint32_t k, j;
    if (!c->port->log) return;
    llmres__lock(c);
    for (k = 0; k < c->providers; k++) {
        from[0][k] = c->told[k];
        from[1][k] = c->told_breaker[k];
        c->told[k] = (uint8_t)(to[0][k] = (int)c->overload[k].state);
        c->told_breaker[k] = (uint8_t)(to[1][k] = (int)c->breaker[k].state);
    }
    llmres__unlock(c);
    for (k = 0; k < c->providers; k++)
        for (j = 0; j < 2; j++) {
            char msg[160], head[96];
            const char *a = j ? llmres_breaker_state_name(from[j][k]) : llmres_overload_state_name(from[j][k]);
            const char *b = j ? llmres_breaker_state_name(to[j][k]) : llmres_overload_state_name(to[j][k]);
            int bad = j ? to[j][k] == LLMRES_BREAKER_OPEN || to[j][k] == LLMRES_BREAKER_FORCED_OPEN
                        : to[j][k] == LLMRES_OVERLOAD_CRITICAL;
            if (from[j][k] == to[j][k]) continue;
            llmres__say4(head, sizeof(head), "llmres: ", c->provider[k].host, j ? ": breaker " : ": overload ", a);
            llmres__say4(msg, sizeof(msg), head, " -> ", b, "");
            c->port->log(c->port->ctx, bad ? LLMRES_LOG_WARN : LLMRES_LOG_INFO, msg);
        }
}

LLMRES_API int llmres_call_step(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call,
                                llmres_call_state_t *st, llmres_result_t *res, uint32_t *wait_ms) {
    uint32_t now;
    int rc;
    if (!c || !w || !call || !st || !res || !wait_ms) return LLMRES_ERR_INVALID;
    llmres__tell_states(c);
    *wait_ms = 0;
    now = c->port->now_ms(c->port->ctx);
    if (st->phase == LLMRES__CALL_START) {
        rc = llmres__call_start(c, w, call, st, res, now);
        if (rc == LLMRES_CALL_DONE) return LLMRES_CALL_DONE;
        st->phase = rc == LLMRES__CALL_FOLLOWING ? LLMRES__CALL_FOLLOW : LLMRES__CALL_ADMIT;
    }
    if (st->phase == LLMRES__CALL_FOLLOW) {
        rc = llmres__call_follow(c, w, call, st, res, now, wait_ms);
        if (rc != LLMRES__CALL_AGAIN) return rc;
    }
    if (st->phase == LLMRES__CALL_BACKOFF) {
        if (!llmres__reached(now, st->wake)) return llmres__call_wait(c, st, res, now, st->wake - now, wait_ms);
        st->phase = LLMRES__CALL_ADMIT;
    }
    for (;;) { /* each turn ends an attempt, starts one, or moves down the chain: bounded */
        if (st->phase == LLMRES__CALL_RECV) {
            rc = llmres__call_receive(c, w, call, st, res, wait_ms);
        } else {
            rc = llmres__call_admit(c, call, st, res, now, wait_ms);
            if (rc == LLMRES__CALL_ADMITTED) rc = llmres__call_attempt(c, w, call, st, res, now, wait_ms);
        }
        if (rc != LLMRES__CALL_AGAIN) return rc;
        now = c->port->now_ms(c->port->ctx);
    }
}

LLMRES_API void llmres_call_abort(llmres_client_t *c, llmres_worker_t *w, llmres_call_state_t *st) {
    if (!c || !w || !st) return;
    if (st->lead || st->follow) { /* its followers go on their own; its leader goes on without it */
        llmres__lock(c);
        if (st->lead) llmres__shared_publish(c, st, LLMRES_ERR_CANCELLED, LLMRES_CLASS_UNKNOWN, 0, 0);
        if (st->follow) llmres__shared_leave(c, st);
        llmres__unlock(c);
        if (st->phase == LLMRES__CALL_FOLLOW) st->phase = LLMRES__CALL_ADMIT; /* a step after this goes on alone */
    }
    if (st->phase != LLMRES__CALL_RECV) return;
    llmres_http_abort(&w->http);
    llmres__lock(c);
    c->in_flight--;
    c->attempts++; /* it went out */
    LLMRES__STAT(c, (uint32_t)st->provider, attempts, c->port->now_ms(c->port->ctx));
    llmres_breaker_record(&c->breaker[st->provider], c->port->now_ms(c->port->ctx), LLMRES_OUTCOME_IGNORED, 0);
    llmres__unlock(c);
    st->phase = LLMRES__CALL_ADMIT;
}

LLMRES_API llmres_err_t llmres_client_breaker(llmres_client_t *c, int provider, int action) {
    uint32_t p, now;
    if (!c || provider < -1 || provider >= (int)c->providers || action < LLMRES_CONTROL_RESET ||
        action > LLMRES_CONTROL_FORCE_CLOSED)
        return LLMRES_ERR_INVALID;
    now = c->port->now_ms(c->port->ctx);
    llmres__lock(c);
    for (p = 0; p < c->providers; p++) {
        if (provider >= 0 && p != (uint32_t)provider) continue;
        if (action == LLMRES_CONTROL_RESET) llmres_breaker_reset(&c->breaker[p], now);
        else if (action == LLMRES_CONTROL_FORCE_OPEN) llmres_breaker_force_open(&c->breaker[p], now);
        else llmres_breaker_force_closed(&c->breaker[p], now);
    }
    llmres__unlock(c);
    return LLMRES_OK;
}

/* ---- state that survives deep sleep ---- */

#define LLMRES__SNAP_MAGIC 0x524D4C4Cu /* "LLMR", little-endian */
#define LLMRES__SNAP_VERSION 1u

/* A little-endian writer and reader over a byte buffer; the reader stops at the end. */
typedef struct llmres__bytes { uint8_t *w; const uint8_t *r; size_t at, len; } llmres__bytes_t;

static void llmres__put32(llmres__bytes_t *b, uint32_t v) {
    uint32_t k;
    for (k = 0; k < 4; k++) b->w[b->at++] = (uint8_t)(v >> (8u * k));
}
static uint32_t llmres__get32(llmres__bytes_t *b) {
    uint32_t v = 0, k;
    if (b->len - b->at < 4) { b->at = b->len + 1; return 0; } /* past the end: the caller sees at > len */
    for (k = 0; k < 4; k++) v |= (uint32_t)b->r[b->at++] << (8u * k);
    return v;
}

/* The chain's identity: its hosts and models. */
static uint32_t llmres__chain_id(const llmres_client_t *c) {
    uint32_t h = 2166136261u, p;
    for (p = 0; p < c->providers; p++) {
        h = llmres__fnv(h, c->provider[p].host, strlen(c->provider[p].host) + 1);
        h = llmres__fnv(h, c->provider[p].model, strlen(c->provider[p].model) + 1);
    }
    return h;
}

/* What is left of a wait that began at `from` and lasts `len`, at now (0: over). */
static uint32_t llmres__left_of(uint32_t from, uint32_t len, uint32_t now) {
    uint32_t since = now - from;
    return since < len ? len - since : 0;
}

LLMRES_API int llmres_client_snapshot(llmres_client_t *c, void *buf, size_t cap, size_t *needed) {
    llmres__bytes_t b;
    uint32_t p, now, size;
    if (!c || (!buf && cap)) return LLMRES_ERR_INVALID;
    size = 24u + c->providers * 44u;
    if (needed) *needed = size;
    if (cap < size) return LLMRES_ERR_TOO_LARGE;
    b.w = (uint8_t *)buf; b.at = 0;
    now = c->port->now_ms(c->port->ctx);
    llmres__lock(c);
    llmres__put32(&b, LLMRES__SNAP_MAGIC);
    llmres__put32(&b, LLMRES__SNAP_VERSION | c->providers << 8);
    llmres__put32(&b, llmres__chain_id(c));
    llmres__put32(&b, c->retry_budget);
    llmres__put32(&b, c->cfg.rps_milli ? llmres_bucket_available(&c->rps, now) : 0);
    for (p = 0; p < c->providers; p++) {
        const llmres_breaker_t *k = &c->breaker[p];
        const llmres_overload_t *o = &c->overload[p];
        llmres__put32(&b, k->state | o->state << 8);
        llmres__put32(&b, k->open_period);
        llmres__put32(&b, k->open_for);
        llmres__put32(&b, k->state == LLMRES_BREAKER_OPEN ? llmres__left_of(k->opened_at, k->open_for, now) : 0);
        llmres__put32(&b, llmres_overload_wait_ms(o, now));
        llmres__put32(&b, o->requests);
        llmres__put32(&b, o->answers);
        llmres__put32(&b, o->signals);
        llmres__put32(&b, o->run);
        llmres__put32(&b, c->cfg.tokens_per_minute && !p ? llmres_bucket_available(&c->tpm, now) : 0);
        llmres__put32(&b, o->throttled);
    }
    llmres__unlock(c);
    llmres__put32(&b, llmres__fnv(2166136261u, buf, b.at));
    return (int)b.at;
}

/* A bucket holding `tokens` at the snapshot, refilled for the sleep (none if unknown). */
static void llmres__restore_bucket(llmres_bucket_t *b, uint32_t now, uint32_t tokens, uint32_t slept) {
    uint32_t have = llmres_bucket_available(b, now);
    if (tokens < have) llmres_bucket_take(b, now, have - tokens); /* only ever fewer than a fresh one */
    b->last = now - (slept == LLMRES_UNKNOWN || slept > 0x7FFFFFFFu ? 0 : slept);
    llmres__bucket_refill(b, now);
}

/* Provider p's part of a snapshot into the client (lock held), `slept` ms later. */
static void llmres__restore_provider(llmres_client_t *c, uint32_t p, llmres__bytes_t *b, uint32_t now, uint32_t slept) {
    llmres_breaker_t *k = &c->breaker[p];
    llmres_overload_t *o = &c->overload[p];
    uint32_t states = llmres__get32(b), period = llmres__get32(b), open_for = llmres__get32(b), left = llmres__get32(b);
    uint32_t wait = llmres__get32(b);
    if ((states & 0xFFu) == LLMRES_BREAKER_OPEN || (states & 0xFFu) == LLMRES_BREAKER_HALF_OPEN) {
        /* open, with what is left after the sleep; a probe that was out is lost: open again
           for the rest of nothing, so the next call probes */
        k->state = LLMRES_BREAKER_OPEN;
        k->open_period = period;
        k->open_for = open_for;
        left = left > slept ? left - slept : 0;
        k->opened_at = now - (open_for - (left < open_for ? left : open_for));
    } else if ((states & 0xFFu) == LLMRES_BREAKER_FORCED_OPEN || (states & 0xFFu) == LLMRES_BREAKER_FORCED_CLOSED) {
        k->state = states & 0xFFu; /* an operator's word stands */
    }
    if (wait > slept) llmres_overload_defer(o, now, now + (wait - slept));
    o->state = (states >> 8) & 0xFFu;
    if (o->state >= LLMRES_OVERLOAD_STATES) o->state = LLMRES_OVERLOAD_NORMAL;
    o->since = now;
    /* the window's sums into its newest slot: they leave it as a whole, a window later */
    o->slot_requests[o->head] = o->requests = llmres__get32(b);
    o->slot_answers[o->head] = o->answers = llmres__get32(b);
    o->slot_signals[o->head] = o->signals = llmres__get32(b);
    o->run = llmres__get32(b);
    if (o->signals) o->last_signal = now;
    if (!p && c->cfg.tokens_per_minute) llmres__restore_bucket(&c->tpm, now, llmres__get32(b), slept);
    else (void)llmres__get32(b);
    o->throttled = llmres__get32(b);
}

LLMRES_API llmres_err_t llmres_client_restore(llmres_client_t *c, const void *buf, size_t len, uint32_t slept_ms) {
    llmres__bytes_t b;
    uint32_t p, now, sum, budget, rps, slept = slept_ms == LLMRES_UNKNOWN ? 0 : slept_ms;
    if (!c || !buf) return LLMRES_ERR_INVALID;
    if (len != 24u + c->providers * 44u) return LLMRES_ERR_BAD_SNAPSHOT;
    b.r = (const uint8_t *)buf; b.len = len; b.at = len - 4u;
    sum = llmres__get32(&b);
    b.at = 0;
    if (llmres__fnv(2166136261u, buf, len - 4u) != sum || llmres__get32(&b) != LLMRES__SNAP_MAGIC ||
        llmres__get32(&b) != (LLMRES__SNAP_VERSION | c->providers << 8) || llmres__get32(&b) != llmres__chain_id(c))
        return LLMRES_ERR_BAD_SNAPSHOT;
    budget = llmres__get32(&b);
    rps = llmres__get32(&b);
    now = c->port->now_ms(c->port->ctx);
    llmres__lock(c);
    c->retry_budget = budget < c->cfg.retry_budget_burst * 1000u ? budget : c->cfg.retry_budget_burst * 1000u;
    if (c->cfg.rps_milli) llmres__restore_bucket(&c->rps, now, rps, slept_ms == LLMRES_UNKNOWN ? LLMRES_UNKNOWN : slept);
    for (p = 0; p < c->providers; p++) llmres__restore_provider(c, p, &b, now, slept);
    llmres__unlock(c);
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_client_overload_clear(llmres_client_t *c, int provider) {
    uint32_t p, now;
    if (!c || provider < -1 || provider >= (int)c->providers) return LLMRES_ERR_INVALID;
    now = c->port->now_ms(c->port->ctx);
    llmres__lock(c);
    for (p = 0; p < c->providers; p++)
        if (provider < 0 || p == (uint32_t)provider) llmres_overload_clear(&c->overload[p], now);
    llmres__unlock(c);
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_call(llmres_client_t *c, llmres_worker_t *w, const llmres_call_t *call, llmres_result_t *res) {
    llmres_call_state_t st;
    uint32_t wait = 0;
    int rc;
    if (!c || !w || !call || !res) return LLMRES_ERR_INVALID;
    LLMRES_MEMSET(&st, 0, sizeof(st));
    st.io_wait_ms = 1000; /* a blocking call waits for its answer in the transport, a second at a time */
    while ((rc = llmres_call_step(c, w, call, &st, res, &wait)) == LLMRES_CALL_WAIT) c->port->sleep_ms(c->port->ctx, wait);
    return rc < 0 ? (llmres_err_t)rc : res->error;
}

/* ---- the dispatcher ---- */
#ifndef LLMRES_NO_DISPATCH
LLMRES_API llmres_err_t llmres_dispatch_init_sized(llmres_dispatch_t *d, llmres_client_t *c, llmres_worker_t *const *workers,
                                                   uint32_t count, size_t struct_size) {
    uint32_t i, cap;
    if (d && struct_size != sizeof(*d)) return LLMRES_ERR_SIZE_MISMATCH;
    if (!d || !c || !c->port || !workers || !count || count > LLMRES_DISPATCH_SLOTS) return LLMRES_ERR_INVALID;
    for (i = 0; i < count; i++) {
        uint32_t k;
        if (!workers[i]) return LLMRES_ERR_INVALID;
        for (k = 0; k < i; k++)
            if (workers[k] == workers[i]) return LLMRES_ERR_INVALID; /* a worker is one slot's */
    }
    LLMRES_MEMSET(d, 0, sizeof(*d));
    d->client = c;
    for (i = 0; i < count; i++) d->worker[i] = workers[i];
    d->slots = count;
    cap = c->cfg.max_queue && c->cfg.max_queue < LLMRES_MAX_QUEUE ? c->cfg.max_queue : LLMRES_MAX_QUEUE;
    return llmres_queue_init(&d->queue, cap);
}

/* Puts a job whose result is final on the list of ended jobs (lock held). */
static void llmres__job_end(llmres_dispatch_t *d, llmres_job_t *job) {
    job->state = LLMRES_JOB_ENDED;
    job->next = NULL;
    if (d->ended_tail) d->ended_tail->next = job; else d->ended = job;
    d->ended_tail = job;
}

/* Ends a job that no attempt was made for (lock held): expired, displaced, cancelled. */
static void llmres__job_unserved(llmres_dispatch_t *d, llmres_job_t *job, uint32_t now, int error) {
    llmres_result_t *r = &job->result;
    LLMRES_MEMSET(r, 0, sizeof(*r));
    r->error = (llmres_err_t)error;
    r->cls = error == LLMRES_ERR_TIMEOUT ? LLMRES_CLASS_TIMEOUT
           : error == LLMRES_ERR_DISPLACED ? LLMRES_CLASS_OVERLOADED : LLMRES_CLASS_UNKNOWN;
    r->provider = -1;
    r->input_tokens = r->output_tokens = LLMRES_UNKNOWN;
    r->elapsed_ms = now - job->st.started;
    if (job->call.text && job->call.text_cap) job->call.text[0] = 0;
#ifndef LLMRES_NO_STATS
    if (d->client->stats && error != LLMRES_ERR_CANCELLED) /* counted under the chain's first provider */
        llmres__stats_unserved(d->client, error == LLMRES_ERR_TIMEOUT ? LLMRES_REJECT_DEADLINE
                                        : error == LLMRES_ERR_DISPLACED ? LLMRES_REJECT_DISPLACED
                                        : error == LLMRES_ERR_OPEN ? LLMRES_REJECT_BREAKER : LLMRES_REJECT_WAIT, now);
#endif
    if (error == LLMRES_ERR_TIMEOUT) d->expired++;
    else if (error == LLMRES_ERR_DISPLACED) d->displaced++;
    else if (error == LLMRES_ERR_CANCELLED) d->cancelled++;
    else { r->cls = LLMRES_CLASS_OVERLOADED; d->shed++; } /* LIMITED, OPEN: see llmres__client_wait */
    llmres__job_end(d, job);
}

/* How long until the client may send to some provider of its chain (lock held); *error
   says what holds it (LIMITED: a provider's wait, OPEN: breakers). */
static uint32_t llmres__client_wait(const llmres_client_t *c, uint32_t now, int *error) {
    uint32_t best = LLMRES_NEVER, k;
    int why;
    *error = LLMRES_ERR_OPEN;
    for (k = 0; k < c->providers; k++) {
        uint32_t w = llmres__provider_wait(c, k, now, &why);
        if (w < best) { best = w; *error = why; }
    }
    return best;
}

LLMRES_API llmres_err_t llmres_dispatch_submit(llmres_dispatch_t *d, llmres_job_t *job) {
    const llmres_client_t *c;
    llmres_qitem_t it, back;
    uint32_t now, wait;
    int rc, why;
    if (!d || !d->client || !job) return LLMRES_ERR_INVALID;
    c = d->client;
    llmres__lock(c);
    now = c->port->now_ms(c->port->ctx);
    if (d->closed || (job->state != LLMRES_JOB_IDLE && job->state != LLMRES_JOB_DONE) ||
        job->call.timeout_ms > 0x7FFFFFFFu) {
        rc = d->closed ? LLMRES_ERR_SHUT_DOWN : LLMRES_ERR_INVALID; /* already taken: one job, one result */
        llmres__unlock(c);
        return (llmres_err_t)rc;
    }
    LLMRES_MEMSET(&job->st, 0, sizeof(job->st));
    job->st.preset = 1;
    job->st.started = now;
    job->st.deadline = now + (job->call.timeout_ms ? job->call.timeout_ms : c->cfg.timeout_ms);
    job->cancel = 0;
    wait = llmres__client_wait(c, now, &why);
    if (wait && (wait > c->cfg.shed_wait_ms || wait >= job->st.deadline - now)) { /* it could not be served in time */
        job->state = LLMRES_JOB_QUEUED;
        d->submitted++;
        llmres__job_unserved(d, job, now, why);
        job->result.retry_in_ms = wait;
        llmres__unlock(c);
        if (d->wake_fn) d->wake_fn(d->wake_user);
        return LLMRES_OK;
    }
    LLMRES_MEMSET(&it, 0, sizeof(it));
    it.user = job;
    it.deadline = job->st.deadline;
    it.has_deadline = 1;
    it.priority = job->priority;
    rc = llmres_queue_push(&d->queue, now, &it, &back);
    if (rc < 0) {
        d->refused++;
#ifndef LLMRES_NO_STATS
        if (c->stats && rc == LLMRES_ERR_FULL) llmres__stats_unserved(d->client, LLMRES_REJECT_QUEUE_FULL, now);
#endif
        llmres__unlock(c);
        return (llmres_err_t)rc;
    }
    job->state = LLMRES_JOB_QUEUED;
    d->submitted++;
    if (rc == 1) llmres__job_unserved(d, (llmres_job_t *)back.user, now, back.status);
    llmres__unlock(c);
    if (d->wake_fn) d->wake_fn(d->wake_user);
    return LLMRES_OK;
}

LLMRES_API llmres_err_t llmres_dispatch_cancel(llmres_dispatch_t *d, llmres_job_t *job) {
    const llmres_client_t *c;
    llmres_qitem_t it;
    int rc = LLMRES_ERR_NOT_FOUND;
    if (!d || !d->client || !job) return LLMRES_ERR_INVALID;
    c = d->client;
    llmres__lock(c);
    if (job->state == LLMRES_JOB_QUEUED && llmres_queue_cancel(&d->queue, job, &it) == LLMRES_OK) {
        llmres__job_unserved(d, job, c->port->now_ms(c->port->ctx), LLMRES_ERR_CANCELLED);
        rc = LLMRES_OK;
    } else if (job->state == LLMRES_JOB_RUNNING) {
        job->cancel = 1; /* its slot ends it between steps, never inside I/O */
        rc = LLMRES_OK;
    }
    llmres__unlock(c);
    if (rc == LLMRES_OK && d->wake_fn) d->wake_fn(d->wake_user);
    return (llmres_err_t)rc;
}

/* Ends slot s's job with ERR_CANCELLED, between its steps (even while its answer is on
   its way: the exchange is closed). */
static void llmres__dispatch_abandon(llmres_dispatch_t *d, uint32_t s) {
    llmres_client_t *c = d->client;
    llmres_job_t *job = d->running[s];
    uint32_t now = c->port->now_ms(c->port->ctx);
    int started = job->st.phase != LLMRES__CALL_START;
    llmres_call_abort(c, d->worker[s], &job->st); /* an answer on its way is not waited for */
    if (started) llmres__call_done(c, &job->st, &job->result, LLMRES_ERR_CANCELLED, LLMRES_CLASS_UNKNOWN);
    llmres__lock(c);
    d->running[s] = NULL;
    if (started) { d->cancelled++; llmres__job_end(d, job); }
    else llmres__job_unserved(d, job, now, LLMRES_ERR_CANCELLED);
    llmres__unlock(c);
}

/* Feeds slot s: starts the next queued job when it is free, steps its call when its wait
   is over. Its next wake-up is d->wake[s] (absolute), when it has a job. */
static void llmres__dispatch_slot(llmres_dispatch_t *d, uint32_t s) {
    llmres_client_t *c = d->client;
    for (;;) { /* each turn ends a job or returns: bounded by the queue */
        llmres_job_t *job = d->running[s];
        uint32_t now, wait = 0;
        int rc, cancel;
        if (!job) {
            llmres_qitem_t it;
            llmres__lock(c);
            now = c->port->now_ms(c->port->ctx); /* read under the lock: nothing expired is started */
            while ((rc = llmres_queue_pop(&d->queue, now, &it)) == LLMRES_ERR_TIMEOUT)
                llmres__job_unserved(d, (llmres_job_t *)it.user, now, LLMRES_ERR_TIMEOUT);
            if (rc == LLMRES_OK) {
                job = (llmres_job_t *)it.user;
                job->state = LLMRES_JOB_RUNNING;
                d->running[s] = job;
                d->wake[s] = now;
            }
            llmres__unlock(c);
            if (!job) return;
        }
        llmres__lock(c);
        cancel = job->cancel;
        llmres__unlock(c);
        if (cancel) {
            llmres__dispatch_abandon(d, s);
            continue;
        }
        now = c->port->now_ms(c->port->ctx);
        if (!llmres__reached(now, d->wake[s])) return;
        rc = llmres_call_step(c, d->worker[s], &job->call, &job->st, &job->result, &wait);
        if (rc == LLMRES_CALL_WAIT) {
            /* from before the step: waking early costs a step that waits again, late a deadline */
            d->wake[s] = now + wait;
            return;
        }
        if (rc < 0) job->result.error = (llmres_err_t)rc; /* cannot happen with a job's own call, kept honest */
        llmres__lock(c);
        d->running[s] = NULL;
        d->completed++;
        llmres__job_end(d, job);
        llmres__unlock(c);
    }
}

/* Runs on_done of every ended job, in this thread, unlocked, until none is left (an
   on_done may end more: a cancel, a displacing submit). */
static void llmres__dispatch_notify(llmres_dispatch_t *d) {
    const llmres_client_t *c = d->client;
    llmres_job_t *job;
    for (;;) {
        llmres__lock(c);
        job = d->ended;
        d->ended = d->ended_tail = NULL;
        llmres__unlock(c);
        if (!job) return;
        while (job) {
            llmres_job_t *next = job->next;
            void (*on_done)(llmres_job_t *, void *) = job->on_done;
            void *user = job->user;
            llmres__lock(c);
            job->state = LLMRES_JOB_DONE; /* the caller's again: on_done may submit it anew */
            llmres__unlock(c);
            if (on_done) on_done(job, user);
            job = next;
        }
    }
}

/* Steps slots [first, last): ends expired queued jobs, feeds the slots, notifies. */
static int llmres__dispatch(llmres_dispatch_t *d, uint32_t first, uint32_t last, uint32_t *wait_ms) {
    const llmres_client_t *c = d->client;
    llmres_qitem_t it;
    uint32_t s, wait = LLMRES_NEVER, now, lv, i;
    int pending;
    llmres__lock(c);
    now = c->port->now_ms(c->port->ctx);
    while (llmres_queue_expire(&d->queue, now, &it))
        llmres__job_unserved(d, (llmres_job_t *)it.user, now, LLMRES_ERR_TIMEOUT);
    llmres__unlock(c);
    for (s = first; s < last; s++) llmres__dispatch_slot(d, s);
    llmres__dispatch_notify(d);
    llmres__lock(c);
    now = c->port->now_ms(c->port->ctx); /* after the I/O and the callbacks */
    pending = (int)llmres_queue_count(&d->queue);
    for (s = 0; s < d->slots; s++) {
        pending += d->running[s] != NULL;
        if (s < first || s >= last) continue;
        if (d->running[s]) {
            uint32_t w = llmres__reached(now, d->wake[s]) ? 0 : d->wake[s] - now;
            if (w < wait) wait = w;
        } else if (d->queue.count) {
            wait = 0; /* a job came while this slot was free (from an on_done) */
        }
    }
    for (lv = 0; lv < LLMRES_QUEUE_LEVELS; lv++) /* the next queued deadline ends a job too */
        for (i = d->queue.head[lv]; i != LLMRES__NIL; i = d->queue.next[i]) {
            uint32_t dl = d->queue.item[i].deadline, w = llmres__reached(now, dl) ? 0 : dl - now;
            if (w < wait) wait = w;
        }
    if (d->ended) { /* ended by another thread since the callbacks ran: tell it next step */
        pending++;
        wait = 0;
    }
    llmres__unlock(c);
    *wait_ms = wait;
    return pending;
}

LLMRES_API int llmres_dispatch_step(llmres_dispatch_t *d, uint32_t *wait_ms) {
    if (!d || !d->client || !wait_ms) return LLMRES_ERR_INVALID;
    return llmres__dispatch(d, 0, d->slots, wait_ms);
}

LLMRES_API int llmres_dispatch_step_slot(llmres_dispatch_t *d, uint32_t slot, uint32_t *wait_ms) {
    if (!d || !d->client || !wait_ms || slot >= d->slots) return LLMRES_ERR_INVALID;
    return llmres__dispatch(d, slot, slot + 1u, wait_ms);
}

LLMRES_API void llmres_dispatch_run(llmres_dispatch_t *d) {
    uint32_t wait = 0;
    if (!d || !d->client) return;
    while (llmres_dispatch_step(d, &wait) > 0)
        if (wait) d->client->port->sleep_ms(d->client->port->ctx, wait == LLMRES_NEVER ? 1u : wait);
}

LLMRES_API void llmres_dispatch_shutdown(llmres_dispatch_t *d) {
    const llmres_client_t *c;
    llmres_qitem_t it;
    uint32_t s, now;
    if (!d || !d->client) return;
    c = d->client;
    llmres__lock(c);
    d->closed = 1; /* no submit is taken from now on, so this ends */
    now = c->port->now_ms(c->port->ctx);
    while (llmres_queue_drain(&d->queue, &it) == LLMRES_OK)
        llmres__job_unserved(d, (llmres_job_t *)it.user, now, LLMRES_ERR_CANCELLED);
    llmres__unlock(c);
    for (s = 0; s < d->slots; s++)
        if (d->running[s]) llmres__dispatch_abandon(d, s);
    llmres__dispatch_notify(d);
}
#endif /* LLMRES_NO_DISPATCH */
#endif /* LLMRES_NO_CLIENT */

#endif /* LLMRES__IMPLEMENTED */
#endif /* LLMRES_IMPLEMENTATION */

/*
LICENSE: MIT. Copyright (c) 2026 the llmres authors.
Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
*/
