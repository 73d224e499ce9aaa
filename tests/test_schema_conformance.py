"""The live catalog of a migrated database against the schema document.

The document (vendored as ``tests/spec/DATABASE_SCHEMA.md``) is parsed here:
tables and columns from each table's "Columns" list, indexes from its "Indexes"
list, CHECK / UNIQUE / FOREIGN KEY lines from its "Constraints" list, named
constraints from "Constraints & Validation" and the cascade list from
"Foreign Key Cascade".  The catalog is read from ``pg_catalog`` and
``information_schema``; nothing is taken from the models.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

SPEC = Path(__file__).parent / "spec" / "DATABASE_SCHEMA.md"
UPSTREAM_SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "DATABASE_SCHEMA.md"
# The console's own tables (besides Alembic's bookkeeping); nothing else may exist.
CONSOLE_TABLES = {"audit_log"}
ALEMBIC_TABLE = "autopr_console_version"

DOC_TYPES = {
    "UUID": ("uuid", None),
    "TEXT": ("text", None),
    "JSONB": ("jsonb", None),
    "TIMESTAMP WITH TIME ZONE": ("timestamp with time zone", None),
    "INTEGER": ("integer", None),
    "BOOLEAN": ("boolean", None),
}


# --------------------------------------------------------------------------- document
@dataclass
class DocColumn:
    name: str
    data_type: str
    length: int | None
    nullable: bool
    primary_key: bool = False
    unique: bool = False
    references: tuple[str, str] | None = None


@dataclass
class DocIndex:
    name: str
    columns: tuple[str, ...]
    method: str = "btree"
    predicate: str | None = None


@dataclass
class DocForeignKey:
    column: str
    ref_table: str
    ref_column: str
    cascade: bool


@dataclass
class DocTable:
    name: str
    columns: dict[str, DocColumn] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    uniques: set[tuple[str, ...]] = field(default_factory=set)
    indexes: dict[str, DocIndex] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    foreign_keys: dict[str, DocForeignKey] = field(default_factory=dict)


@dataclass
class Spec:
    tables: dict[str, DocTable]
    named_checks: dict[str, tuple[str, str]]  # name -> (table, expression)
    named_uniques: dict[str, tuple[str, tuple[str, ...]]]  # name -> (table, columns)
    cascades: set[tuple[str, str]]  # (table, column) with ON DELETE CASCADE


def _cols(raw: str) -> tuple[str, ...]:
    return tuple(c.strip(" `") for c in raw.strip(" `()").split(","))


def _section(doc: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## )", doc, re.M | re.S)
    assert match, f"section {heading!r} not found in the schema document"
    return match.group(1)


def _parse_column(line: str) -> DocColumn:
    m = re.match(r"- `(\w+)` \(((?:[^()]|\(\d+\))*)\)", line)
    assert m, f"unparsed column line: {line}"
    name, spec = m.group(1), m.group(2)
    parts = [p.strip() for p in spec.split(",")]
    type_text = parts[0]
    vm = re.fullmatch(r"VARCHAR\((\d+)\)", type_text)
    if vm:
        data_type, length = "character varying", int(vm.group(1))
    else:
        assert type_text in DOC_TYPES, f"unknown documented type {type_text!r} in {line}"
        data_type, length = DOC_TYPES[type_text]
    col = DocColumn(name, data_type, length, nullable="NULL" in parts[1:])
    for part in parts[1:]:
        if part == "PK":
            col.primary_key = True
        elif part == "UNIQUE":
            col.unique = True
        elif part.startswith("FK ->"):
            table, column = part.removeprefix("FK ->").strip().split(".")
            col.references = (table, column)
        else:
            assert part == "NULL", f"unknown column attribute {part!r} in {line}"
    return col


def _parse_table(name: str, body: str) -> DocTable:
    table = DocTable(name)
    block = None
    for line in body.splitlines():
        if line.startswith("**") and line.endswith(":**"):
            block = line.strip("*:")
            continue
        if not line.startswith("- "):
            if line.strip() and not line.startswith("```"):
                block = block if line.startswith(" ") else None
            continue
        item = line[2:]
        if block == "Columns":
            col = _parse_column(line)
            table.columns[col.name] = col
        elif block == "Indexes":
            kind, _, rest = item.partition(": ")
            if kind == "PRIMARY KEY":
                table.primary_key = _cols(rest)
            elif kind == "UNIQUE":
                table.uniques.add(_cols(rest))
            else:
                m = re.fullmatch(r"`(\w+)` on (`[^`]+`)(?: WHERE `([^`]+)`)?(?: \(.*\))?", rest)
                assert m, f"unparsed index line: {line}"
                method = "gin" if kind == "GIN INDEX" else "btree"
                assert kind in ("INDEX", "COMPOSITE INDEX", "GIN INDEX", "PARTIAL INDEX"), kind
                table.indexes[m.group(1)] = DocIndex(
                    m.group(1), _cols(m.group(2)), method, m.group(3)
                )
        elif block == "Constraints":
            kind, _, rest = item.partition(": ")
            if kind == "CHECK":
                table.checks.append(rest.strip("`"))
            elif kind == "UNIQUE":
                table.uniques.add(_cols(rest.split(" - ")[0]))
            elif kind == "FOREIGN KEY":
                m = re.fullmatch(r"`(\w+)` REFERENCES `(\w+)\((\w+)\)`( ON DELETE CASCADE)?", rest)
                assert m, f"unparsed foreign key line: {line}"
                table.foreign_keys[m.group(1)] = DocForeignKey(
                    m.group(1), m.group(2), m.group(3), bool(m.group(4))
                )
            else:
                raise AssertionError(f"unknown constraint line: {line}")
    return table


def parse_spec(doc: str) -> Spec:
    core = _section(doc, "Core Tables")
    tables: dict[str, DocTable] = {}
    for m in re.finditer(r"^### \d+\. (\w+)\n(.*?)(?=^### |\Z)", core, re.M | re.S):
        tables[m.group(1)] = _parse_table(m.group(1), m.group(2))

    validation = _section(doc, "Constraints & Validation")
    named_checks = {
        m.group(2): (m.group(1), " ".join(m.group(3).split()))
        for m in re.finditer(
            r"ALTER TABLE (\w+) ADD CONSTRAINT (\w+)\s+CHECK \((.*?)\);", validation, re.S
        )
    }
    named_uniques = {
        m.group(2): (m.group(1), _cols(m.group(3)))
        for m in re.finditer(
            r"ALTER TABLE (\w+) ADD CONSTRAINT (\w+)\s+UNIQUE \(([^)]*)\);", validation, re.S
        )
    }
    cascade_block = validation.split("### Foreign Key Cascade", 1)[1]
    cascades = {
        tuple(m.group(1).split("."))
        for m in re.finditer(r"^\s+- `(\w+\.\w+)`", cascade_block, re.M)
    }
    return Spec(tables, named_checks, named_uniques, cascades)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return parse_spec(SPEC.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- catalog
def normalize_check(expr: str) -> str:
    """A CHECK expression reduced to compare the document's text with pg_get_constraintdef."""
    expr = expr.strip()
    if expr.upper().startswith("CHECK"):
        expr = expr[5:]
    # col IN ('a', 'b')  and  (col)::text = ANY ((ARRAY['a'::character varying, ...])::text[])
    m = re.search(r"\(?(\w+)\)?(?:::\w+)?\s*(?:IN\s*\(|=\s*ANY\s*\(\(?ARRAY\[)(.*?)[\])]", expr)
    if m:
        values = sorted(re.findall(r"'([^']*)'", m.group(2)))
        return f"{m.group(1)} IN {values}"
    expr = re.sub(r"::[\w ]+(\[\])?", "", expr)
    return re.sub(r"[()\s]+", " ", expr).strip().lower()


def catalog_tables(conn: Connection) -> set[str]:
    """Tables of the schema; partitions count as part of their parent, not as tables."""
    rows = conn.execute(
        text(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind IN ('r', 'p') AND NOT relispartition"
        )
    )
    return {r[0] for r in rows}


def is_partitioned(conn: Connection, table: str) -> bool:
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = CAST(:t AS regclass)"),
        {"t": f"public.{table}"},
    ).scalar()
    return kind == "p"


def catalog_columns(conn: Connection, table: str) -> dict[str, tuple[str, int | None, bool]]:
    rows = conn.execute(
        text(
            "SELECT column_name, data_type, character_maximum_length, is_nullable "
            "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = :t"
        ),
        {"t": table},
    )
    return {r[0]: (r[1], r[2], r[3] == "YES") for r in rows}


@dataclass
class CatalogIndex:
    name: str
    columns: tuple[str, ...]
    method: str
    unique: bool
    predicate: str | None
    constraint: str | None  # the PK/UNIQUE constraint it backs


def catalog_indexes(conn: Connection, table: str) -> dict[str, CatalogIndex]:
    rows = conn.execute(
        text(
            """
            SELECT i.relname, am.amname, x.indisunique,
                   pg_get_expr(x.indpred, x.indrelid),
                   ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                         JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                         ORDER BY k.n),
                   c.conname
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_am am ON am.oid = i.relam
            LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype IN ('p', 'u')
            WHERE x.indrelid = CAST(:t AS regclass)
            """
        ),
        {"t": f"public.{table}"},
    )
    return {r[0]: CatalogIndex(r[0], tuple(r[4]), r[1], r[2], r[3], r[5]) for r in rows}


def catalog_constraints(conn: Connection, table: str) -> list[tuple[str, str, str]]:
    """(name, contype, definition) of the table's p/u/c/f constraints."""
    rows = conn.execute(
        text(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u', 'c', 'f')"
        ),
        {"t": f"public.{table}"},
    )
    return [(r[0], r[1], r[2]) for r in rows]


def catalog_foreign_keys(conn: Connection) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(table, column) -> (referenced table, referenced column, confdeltype)."""
    rows = conn.execute(
        text(
            """
            SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text,
                   ra.attname, c.confdeltype
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
              AND cardinality(c.conkey) = 1 AND c.conparentid = 0
              AND c.conrelid NOT IN (SELECT inhrelid FROM pg_inherits)
            """
        )
    )
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


@pytest.fixture(params=["plain", "partitioned"])
def conn(request: pytest.FixtureRequest, engine: Engine, db_url: str):
    """Both layouts of execution_logs: as migrated, and after ``logs partition``."""
    if request.param == "partitioned":
        from console.db.urls import libpq_conninfo, normalize_url
        from console.logstore.partition import Partitioner
        from tests.helpers.actions import dev_write_ctx

        Partitioner(libpq_conninfo(normalize_url(db_url)), months_ahead=2).run(dev_write_ctx())
    with engine.connect() as c:
        yield c


# --------------------------------------------------------------------------- the parser itself
def test_document_parses_into_the_seven_tables(spec: Spec) -> None:
    assert sorted(spec.tables) == sorted(
        [
            "workflows",
            "workflow_executions",
            "workflow_actions",
            "execution_logs",
            "integrations",
            "integration_events",
            "workflow_triggers",
        ]
    )
    assert len(spec.tables["integrations"].columns) == 10
    assert spec.tables["workflows"].indexes["idx_workflows_config"].method == "gin"
    queue = spec.tables["integration_events"].indexes["idx_integration_events_queue"]
    assert queue.columns == ("status", "created_at")
    assert queue.predicate == "status IN ('pending', 'processing')"
    assert len(spec.named_checks) == 4 and len(spec.named_uniques) == 4
    assert len(spec.cascades) == 5


def test_check_normalisation_tells_different_lists_apart() -> None:
    doc = "status IN ('active', 'inactive')"
    pg = "CHECK (((status)::text = ANY ((ARRAY['inactive'::character varying, 'active'::character varying])::text[])))"  # noqa: E501
    assert normalize_check(doc) == normalize_check(pg)
    assert normalize_check("status IN ('active')") != normalize_check(pg)
    assert normalize_check("order_index >= 0") == normalize_check("CHECK ((order_index >= 0))")
    assert normalize_check("order_index >= 0") != normalize_check("CHECK ((order_index > 0))")


def test_vendored_document_matches_the_shared_one() -> None:
    if not UPSTREAM_SPEC.exists():
        pytest.skip(f"{UPSTREAM_SPEC} is not beside this checkout")
    assert SPEC.read_bytes() == UPSTREAM_SPEC.read_bytes(), (
        f"tests/spec/DATABASE_SCHEMA.md differs from {UPSTREAM_SPEC}: copy it and re-run"
    )


# --------------------------------------------------------------------------- the catalog
def test_tables_are_exactly_the_documented_ones(conn: Connection, spec: Spec) -> None:
    extra = catalog_tables(conn) - set(spec.tables) - CONSOLE_TABLES - {ALEMBIC_TABLE}
    missing = set(spec.tables) - catalog_tables(conn)
    assert not missing, f"tables missing: {missing}"
    assert not extra, f"tables the document does not know: {extra}"


@pytest.mark.parametrize(
    "table",
    [
        "workflows",
        "workflow_executions",
        "workflow_actions",
        "execution_logs",
        "integrations",
        "integration_events",
        "workflow_triggers",
    ],
)
def test_table_conforms(conn: Connection, spec: Spec, table: str) -> None:
    doc = spec.tables[table]

    # Columns: names, types, lengths, nullability; nothing more, nothing less.
    live = catalog_columns(conn, table)
    assert set(live) == set(doc.columns), f"{table}: columns differ"
    for name, col in doc.columns.items():
        expected = (col.data_type, col.length, col.nullable)
        assert live[name] == expected, f"{table}.{name}: {live[name]} != documented {expected}"

    indexes = catalog_indexes(conn, table)
    constraints = catalog_constraints(conn, table)

    # Primary key.  Month-partitioned execution_logs keys on (id, created_at): PostgreSQL
    # requires the partition column in every unique key (README, "Month-partitioned logs").
    pkeys = [ix for ix in indexes.values() if ix.constraint and ix.name.endswith("_pkey")]
    expected_pk = doc.primary_key
    if table == "execution_logs" and is_partitioned(conn, table):
        expected_pk = (*doc.primary_key, "created_at")
    assert [ix.columns for ix in pkeys] == [expected_pk]
    assert doc.primary_key == tuple(c for c, dc in doc.columns.items() if dc.primary_key)

    # UNIQUE constraints: exactly the documented column sets, under the documented names.
    live_uniques = {c[0]: c[2] for c in constraints if c[1] == "u"}
    live_unique_cols = {
        ix.columns for ix in indexes.values() if ix.unique and ix.constraint in live_uniques
    }
    column_uniques = {(c,) for c, dc in doc.columns.items() if dc.unique}
    assert live_unique_cols == doc.uniques | column_uniques, f"{table}: UNIQUE sets differ"
    for name, (utable, ucols) in spec.named_uniques.items():
        if utable == table:
            assert name in live_uniques, f"{table}: UNIQUE {name} missing"
            assert indexes[name].columns == ucols

    # Indexes: every documented one, and no undocumented one besides PK/UNIQUE backing.
    plain = {n: ix for n, ix in indexes.items() if ix.constraint is None}
    assert set(plain) == set(doc.indexes), f"{table}: indexes differ"
    for name, dix in doc.indexes.items():
        ix = plain[name]
        assert ix.columns == dix.columns, f"{name}: columns {ix.columns}"
        assert ix.method == dix.method, f"{name}: method {ix.method}"
        assert not ix.unique
        if dix.predicate is None:
            assert ix.predicate is None, f"{name}: unexpected predicate {ix.predicate}"
        else:
            assert ix.predicate is not None, f"{name}: the partial predicate is missing"
            assert normalize_check(ix.predicate) == normalize_check(dix.predicate)

    # CHECK constraints: the documented expressions, exactly; named ones under their names.
    live_checks = {c[0]: normalize_check(c[2]) for c in constraints if c[1] == "c"}
    assert sorted(live_checks.values()) == sorted(normalize_check(e) for e in doc.checks)
    for name, (ctable, expr) in spec.named_checks.items():
        if ctable == table:
            assert live_checks.get(name) == normalize_check(expr), f"{table}: CHECK {name}"


def test_foreign_keys_and_cascades(conn: Connection, spec: Spec) -> None:
    documented: dict[tuple[str, str], tuple[str, str, str]] = {}
    for table in spec.tables.values():
        # Columns marked "FK ->" and the Constraints' FOREIGN KEY lines must agree.
        marked = {c.name: c.references for c in table.columns.values() if c.references}
        assert marked == {
            fk.column: (fk.ref_table, fk.ref_column) for fk in table.foreign_keys.values()
        }, f"{table.name}: the document's FK lists disagree"
        for fk in table.foreign_keys.values():
            assert fk.cascade == ((table.name, fk.column) in spec.cascades)
            rule = "c" if fk.cascade else "a"  # CASCADE / NO ACTION
            if (table.name, fk.column) == ("execution_logs", "action_id"):
                rule = "n"  # SET NULL, revision 0004: the documented cascade must complete
            documented[(table.name, fk.column)] = (fk.ref_table, fk.ref_column, rule)

    live = catalog_foreign_keys(conn)
    assert live == documented
    cascading = {k for k, v in live.items() if v[2] == "c"}
    assert cascading == spec.cascades
    assert live[("workflow_executions", "parent_execution_id")][2] == "a"
    assert live[("execution_logs", "action_id")][2] == "n"


# --------------------------------------------------------------------------- the cascades
def example_rows(doc: str) -> dict[str, dict]:
    """Each core table's **Example:** JSON object from the document."""
    core = _section(doc, "Core Tables")
    rows = {}
    for m in re.finditer(r"^### \d+\. (\w+)\n(.*?)(?=^### |\Z)", core, re.M | re.S):
        ex = re.search(r"\*\*Example:\*\*\n```json\n(.*?)\n```", m.group(2), re.S)
        assert ex, f"{m.group(1)}: no example"
        rows[m.group(1)] = json.loads(ex.group(1))
    return rows


def _insert(conn: Connection, table: str, row: dict) -> None:
    cols = list(row)
    values = ", ".join(
        f"CAST(:{c} AS jsonb)" if isinstance(row[c], dict | list) else f":{c}" for c in cols
    )
    params = {c: json.dumps(v) if isinstance(v, dict | list) else v for c, v in row.items()}
    conn.execute(text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({values})"), params)


def _load_examples(conn: Connection) -> dict[str, dict]:
    """The document's example rows, plus a retry chain and logs naming the action."""
    rows = example_rows(SPEC.read_text(encoding="utf-8"))
    order = (
        "workflows",
        "workflow_actions",
        "workflow_triggers",
        "workflow_executions",
        "execution_logs",
        "integrations",
        "integration_events",
    )
    for table in order:
        _insert(conn, table, rows[table])
    parent = rows["workflow_executions"]
    retry_of_retry = None
    for attempt in (1, 2):  # a chain of two retries, each naming the one before
        child = {
            **parent,
            "id": str(uuid.uuid4()),
            "execution_id": f"{parent['execution_id']}-r{attempt}",
            "retry_count": attempt,
            "parent_execution_id": retry_of_retry or parent["id"],
        }
        _insert(conn, "workflow_executions", child)
        log = {**rows["execution_logs"], "id": str(uuid.uuid4()), "execution_id": child["id"]}
        _insert(conn, "execution_logs", log)
        retry_of_retry = child["id"]
    return rows


def _count(conn: Connection, table: str) -> int:
    return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_deleting_the_documents_workflow_cascades_to_everything(conn: Connection) -> None:
    rows = _load_examples(conn)
    assert _count(conn, "execution_logs") == 3
    assert (
        conn.execute(
            text("SELECT count(*) FROM execution_logs WHERE action_id IS NOT NULL")
        ).scalar_one()
        == 3
    )
    conn.execute(text("DELETE FROM workflows WHERE id = :id"), {"id": rows["workflows"]["id"]})
    for table in ("workflow_executions", "workflow_actions", "workflow_triggers", "execution_logs"):
        assert _count(conn, table) == 0, f"{table} kept rows after the workflow was deleted"
    conn.execute(
        text("DELETE FROM integrations WHERE id = :id"), {"id": rows["integrations"]["id"]}
    )
    assert _count(conn, "integration_events") == 0
    conn.rollback()


def test_removing_an_action_keeps_its_log_lines(conn: Connection) -> None:
    rows = _load_examples(conn)
    conn.execute(
        text("DELETE FROM workflow_actions WHERE id = :id"), {"id": rows["workflow_actions"]["id"]}
    )
    left = conn.execute(text("SELECT action_id FROM execution_logs")).scalars().all()
    assert left == [None, None, None]  # the logs outlive the action, unlinked
    conn.rollback()


def test_no_plain_json_anywhere(conn: Connection) -> None:
    rows = conn.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('json', 'timestamp without time zone')"
        )
    ).all()
    assert rows == []
