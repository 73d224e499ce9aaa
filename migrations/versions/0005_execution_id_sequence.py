"""Generated execution ids distinct by construction: a sequence behind the six hex digits.

``autopr_new_execution_id()`` made ``exec-YYYYMMDD-HHMMSS-`` plus six random hex
digits: 24 random bits a second, so 2,000 executions inserted within one second
collided about 1 time in 9 (and ``uq_execution_id`` failed the whole insert).  The
format stays exactly the documented one, but the six digits are now a bijective
scramble of ``nextval('autopr_execution_id_seq') mod 2**24`` (the immutable
``autopr_execution_id_suffix``): they still look random, two calls share them only
when 16.7M ids were drawn in between, and never within one second.  The scramble,
its Python twin and the measured figures live in ``models/execution_ids.py``.

The function is the console's own object on every database (revision 0001 creates
it even beside the engine's tables, where ``execution_id`` has no default or the
engine's own): it is replaced everywhere, and no table is touched.  The sequence is
usable by PUBLIC, like the function, so a role that may insert executions may still
take the default.  The downgrade restores the function of revisions 0001-0004 and
drops the scramble and the sequence.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of models.execution_ids as of this revision.
SEQUENCE = "CREATE SEQUENCE IF NOT EXISTS autopr_execution_id_seq"
SEQUENCE_GRANT = "GRANT USAGE ON SEQUENCE autopr_execution_id_seq TO PUBLIC"
SUFFIX_FUNCTION = """
CREATE OR REPLACE FUNCTION autopr_execution_id_suffix(n bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  x bigint := ((n & 16777215) * 10368889) & 16777215;
BEGIN
  x := ((x # (x >> 12)) * 8776651) & 16777215;
  RETURN lpad(to_hex(x # (x >> 11)), 6, '0');
END
$$
"""
NEW_EXECUTION_ID_FUNCTION = """
CREATE OR REPLACE FUNCTION autopr_new_execution_id() RETURNS varchar
LANGUAGE sql VOLATILE
RETURN 'exec-' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS')
    || '-' || autopr_execution_id_suffix(nextval('autopr_execution_id_seq'))
"""

# The function as revisions 0001-0004 left it (six random hex digits).
PREVIOUS_EXECUTION_ID_FUNCTION = """
CREATE OR REPLACE FUNCTION autopr_new_execution_id() RETURNS varchar
LANGUAGE sql VOLATILE AS $$
  SELECT 'exec-' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS')
      || '-' || substr(md5(random()::text || clock_timestamp()::text), 1, 6)
$$
"""


def upgrade() -> None:
    op.execute(SEQUENCE)
    op.execute(SEQUENCE_GRANT)
    op.execute(SUFFIX_FUNCTION)
    op.execute(NEW_EXECUTION_ID_FUNCTION)


def downgrade() -> None:
    # First the function, which holds the scramble and the sequence by reference.
    op.execute(PREVIOUS_EXECUTION_ID_FUNCTION)
    op.execute("DROP FUNCTION IF EXISTS autopr_execution_id_suffix(bigint)")
    op.execute("DROP SEQUENCE IF EXISTS autopr_execution_id_seq")
