/* Size macros for a device with 16 KB of RAM (the Cortex-M0 images of tests/emu/run.sh),
   given through LLMRES_CONFIG_FILE so every file agrees: a worker whose request JSON fits
   in 512 bytes and whose answer in 1 KB, 512-byte HTTP buffers, header lines up to 256
   bytes, a 1 KB cache of 8 entries, coarser latency histograms (3 sub-bits, to 8 s), and
   the simulated provider with two 1 KB connections. LLMRES_MAX_API_KEY and
   LLMRES_MAX_CONNECTIONS keep their defaults: the client tests index them. With these
   a client is 2800 bytes and a worker 3996 on Cortex-M0 (10416 and 16540 by default). */
#define LLMRES_CLIENT_JSON_BYTES 512
#define LLMRES_CLIENT_BODY_BYTES 1024
#define LLMRES_HTTP_HEAD_BYTES 512
#define LLMRES_HTTP_RX_BYTES 512
#define LLMRES_HTTP_MAX_LINE 256
#define LLMRES_CACHE_ARENA_BYTES 1024
#define LLMRES_MAX_CACHE_ENTRIES 8
#define LLMRES_HIST_OCTAVES 8
#define LLMRES_HIST_SUB_BITS 3
#ifndef LLMRES_SIM_CONNECTIONS
#define LLMRES_SIM_CONNECTIONS 2
#endif
#define LLMRES_SIM_IO_BYTES 1024
