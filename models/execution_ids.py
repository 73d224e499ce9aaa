"""Execution ids ``exec-YYYYMMDD-HHMMSS-xxxxxx`` (UTC), distinct by construction.

The six hex digits are not random: they are a bijective scramble of a counter
modulo 2**24 (multiply by an odd constant, xor-shift, again), so they look random
but two ids drawn fewer than 16.7M draws apart never share them, and two ids of one
second are never equal.  Six random digits (24 bits a second) collided about 1 time
in 9 at 2,000 ids in one second and ~74 times at 50,000.

On the server the counter is the sequence ``autopr_execution_id_seq`` (revision
0005), so column defaults, psql users and the console's retries draw from one
counter.  :func:`next_python_id` is the same scramble over a counter of this process,
for a database without the function.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime

SUFFIX_BITS = 24
SUFFIX_MASK = (1 << SUFFIX_BITS) - 1
# Odd multipliers (invertible modulo 2**24) and right shifts (xor-shift is invertible).
MULTIPLIER_1 = 0x9E3779
MULTIPLIER_2 = 0x85EBCB
SHIFT_1 = 12
SHIFT_2 = 11

SEQUENCE = "autopr_execution_id_seq"

# The current definitions (revision 0005 keeps its own frozen copy).  The sequence is
# usable by PUBLIC, as the function is: any role that may insert an execution may
# take the default.  The scramble is its own immutable function, so that
# autopr_new_execution_id() is one expression naming nextval once: PostgreSQL inlines
# it into the caller's statement (0.7-0.8x the random digits' 400,000-600,000 ids/s,
# benchmarks/bench_execution_ids.py; with nextval in a CTE, not inlinable, about a
# third of them; inserts run at the same rate).  Its body is parsed when it is
# created (RETURN), so it holds the sequence and the scramble by reference, not by
# names looked up in each caller's search_path, and neither can be dropped from under it.
EXECUTION_ID_SEQUENCE = f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}"
EXECUTION_ID_SEQUENCE_GRANT = f"GRANT USAGE ON SEQUENCE {SEQUENCE} TO PUBLIC"
EXECUTION_ID_SUFFIX_FUNCTION = f"""
CREATE OR REPLACE FUNCTION autopr_execution_id_suffix(n bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  x bigint := ((n & {SUFFIX_MASK}) * {MULTIPLIER_1}) & {SUFFIX_MASK};
BEGIN
  x := ((x # (x >> {SHIFT_1})) * {MULTIPLIER_2}) & {SUFFIX_MASK};
  RETURN lpad(to_hex(x # (x >> {SHIFT_2})), 6, '0');
END
$$
"""
NEW_EXECUTION_ID_FUNCTION = f"""
CREATE OR REPLACE FUNCTION autopr_new_execution_id() RETURNS varchar
LANGUAGE sql VOLATILE
RETURN 'exec-' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS')
    || '-' || autopr_execution_id_suffix(nextval('{SEQUENCE}'))
"""
EXECUTION_ID_DDL = (
    EXECUTION_ID_SEQUENCE,
    EXECUTION_ID_SEQUENCE_GRANT,
    EXECUTION_ID_SUFFIX_FUNCTION,
    NEW_EXECUTION_ID_FUNCTION,
)


def scramble(counter: int) -> int:
    """The 24-bit suffix of ``counter``: a bijection of ``counter mod 2**24`` (the number
    ``autopr_execution_id_suffix(counter)`` writes in hex)."""
    x = (counter & SUFFIX_MASK) * MULTIPLIER_1 & SUFFIX_MASK
    x ^= x >> SHIFT_1
    x = x * MULTIPLIER_2 & SUFFIX_MASK
    return x ^ (x >> SHIFT_2)


def format_id(when: datetime, counter: int) -> str:
    """``exec-YYYYMMDD-HHMMSS-`` of ``when`` (UTC) and the scrambled ``counter``."""
    return f"exec-{when.astimezone(UTC):%Y%m%d-%H%M%S}-{scramble(counter):06x}"


# Starts at a random point so that two consoles do not walk the same suffixes in step.
_counter = itertools.count(int.from_bytes(os.urandom(SUFFIX_BITS // 8), "big"))


def next_python_id() -> str:
    """An id made in this process: distinct from every other one it made within 2**24 draws
    (``next`` on an ``itertools.count`` is atomic under the GIL)."""
    return format_id(datetime.now(UTC), next(_counter))
