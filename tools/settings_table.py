#!/usr/bin/env python3
"""Rewrites the settings table in sessions/README.md from KEYS in
crates/gateway/src/fix/settings.rs, so the documentation lists every key
the parser accepts. Run from the repository root after changing KEYS."""
import re
import sys

SOURCE = "crates/gateway/src/fix/settings.rs"
README = "sessions/README.md"

src = open(SOURCE).read()
start = src.index("pub const KEYS")
block = src[start:src.index("];", start)]
pairs = re.findall(r'\(\s*"(\w+)",\s*"((?:[^"\\]|\\.)*)",?\s*\)', block)
rows = ["| `%s` | %s |" % (key, text.replace('\\"', '"')) for key, text in pairs]

lines = open(README).read().split("\n")
table = [i for i, line in enumerate(lines) if line.startswith("| `")]
if not table:
    sys.exit(f"{README}: no settings table rows (lines starting with '| `') to replace")
first, last = table[0], table[-1]
lines[first:last + 1] = rows
open(README, "w").write("\n".join(lines))
print(f"{README}: {len(rows)} settings")
