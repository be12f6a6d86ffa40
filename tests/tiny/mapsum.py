#!/usr/bin/env python3
"""mapsum.py MAP: bytes of code and read-only data (.text, .rodata, .data) that a GNU ld
map file puts in the image, by origin: mbedTLS, libc, the program (llmres and its test)."""
import re
import sys

totals = {}
pending = None
placed = False  # the input sections gc-sections kept are listed after this line
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("Linker script and memory map"):
        placed = True
    if not placed:
        continue
    m = re.match(r"^ (\.(?:text|rodata|data)\S*)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+))?\s*$", line)
    if m and m.group(2) is None:
        pending = m.group(1)          # the name was too long: the numbers follow on the next line
        continue
    if not m and pending:
        m2 = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)\s*$", line)
        pending = None
        if not m2:
            continue
        size, origin = int(m2.group(2), 16), m2.group(3)
    elif m:
        size, origin = int(m.group(3), 16), m.group(4)
    else:
        continue
    if "libmbedtls" in origin:
        key = "mbedTLS"
    elif re.search(r"libc\.a|crt|libsemihost|musl|libgcc", origin):
        key = "libc"
    else:
        key = "program"
    totals[key] = totals.get(key, 0) + size
print(", ".join("%s %d" % (k, totals.get(k, 0)) for k in ("mbedTLS", "program", "libc")))
