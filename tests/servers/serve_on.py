#!/usr/bin/env python3
"""Runs one of the test servers of tests/servers (mock_llm.py, fault_server.py)
listening on $LLMRES_LISTEN_HOST instead of 127.0.0.1, always inside a network
namespace a test made: the host side of the TAP device of tests/lwip/run.sh, where
lwIP reaches it, or the far end of the bad link of tests/lossy/run.sh.  The servers
are unchanged: their shared plumbing reads its HOST when it listens, and this sets
it first.

    LLMRES_LISTEN_HOST=10.77.0.1 python3 tests/servers/serve_on.py mock_llm.py ARGS...
"""

import os
import runpy
import sys

SERVERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers")
sys.path.insert(0, SERVERS)
import llmres_testserver  # noqa: E402  (the folder must be on the path first)

llmres_testserver.HOST = os.environ["LLMRES_LISTEN_HOST"]
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(os.path.join(SERVERS, script), run_name="__main__")
