#!/usr/bin/env python3
"""Check that the PostgreSQL schema equals the SQLite schema (issue 29).

Builds the SQLite schema by applying daemon/store/migrations/NNNN_*.sql in order to a temporary
file, reads the PostgreSQL schema of a database (the current schema of --conninfo, with the
baseline and any later postgres migrations applied) through `psql`, and compares: tables;
columns (name, order, nullability, type class integer/real/text/blob, literal defaults,
collation); primary keys; unique constraints and unique indexes (columns, collation, partial
predicate normalised loosely); other indexes (name, columns, predicate); foreign keys (columns,
referenced table and columns, ON DELETE); views (names and columns); triggers (table and name);
and the rows the migrations seed. Prints each difference and exits 1 on any, 0 when equivalent.

    python3 scripts/schema-compare.py --conninfo 'host=127.0.0.1 port=55432 dbname=s user=vigil'

python3 standard library and the psql client only. The PostgreSQL-only objects the baseline adds
on purpose are listed in PG_ONLY_INDEXES and KNOWN_DEFAULTS below, each with its reason.
"""

import argparse
import glob
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIGRATIONS = os.path.join(ROOT, "daemon", "store", "migrations")

# Unique indexes PostgreSQL has and SQLite has not: the readings' dedup key as a database
# constraint (docs/storage.md, "PostgreSQL"); SQLite relies on the single writer's look-up.
PG_ONLY_INDEXES = {
    ("reading_rows", "reading_rows_unique_seq"),
    ("reading_rows", "reading_rows_unique_time"),
    ("reading_rows", "reading_rows_unique_text"),
}
# Defaults written differently on purpose: (table, column) -> the PostgreSQL default expected.
KNOWN_DEFAULTS = {
    ("settings", "updated_at"): "to_char(statement_timestamp() AT TIME ZONE 'UTC', "
                                "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
}
# The runners' own version tables, not part of the migrations (ignored on both sides; add the
# PostgreSQL runner's with --ignore-table if it names its table otherwise).
RUNNER_TABLES = {"schema_migrations"}

PG_CATALOG_QUERY = r"""
WITH t AS (
  SELECT c.oid, c.relname, c.relkind FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p')
), coll AS (
  SELECT oid, collname FROM pg_collation WHERE collname NOT IN ('default', 'C', 'POSIX')
)
SELECT json_build_object(
  'relations', (SELECT json_agg(json_build_object(
      'name', t.relname, 'kind', t.relkind,
      'columns', (SELECT json_agg(json_build_object(
                     'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                     'notnull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid),
                     'collation', (SELECT collname FROM coll WHERE coll.oid = a.attcollation))
                   ORDER BY a.attnum)
                  FROM pg_attribute a
                  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                  WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped)))
    FROM t),
  'constraints', (SELECT json_agg(json_build_object(
      'table', cr.relname, 'name', c.conname, 'type', c.contype,
      'cols', (SELECT json_agg(a.attname ORDER BY k.ord)
               FROM unnest(c.conkey) WITH ORDINALITY AS k (attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
      'ref', fr.relname,
      'refcols', (SELECT json_agg(a.attname ORDER BY k.ord)
                  FROM unnest(c.confkey) WITH ORDINALITY AS k (attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum),
      'ondelete', c.confdeltype, 'index', ic.relname))
    FROM pg_constraint c JOIN pg_class cr ON cr.oid = c.conrelid
    LEFT JOIN pg_class fr ON fr.oid = c.confrelid
    LEFT JOIN pg_class ic ON ic.oid = c.conindid
    WHERE c.conrelid IN (SELECT oid FROM t) AND c.contype IN ('p', 'u', 'f')),
  'indexes', (SELECT json_agg(json_build_object(
      'table', tr.relname, 'name', ir.relname, 'unique', i.indisunique,
      'cols', (SELECT json_agg(pg_get_indexdef(i.indexrelid, k, true) ORDER BY k)
               FROM generate_series(1, i.indnkeyatts) AS k),
      'colls', (SELECT json_agg((SELECT collname FROM coll WHERE coll.oid = x.c) ORDER BY x.ord)
                FROM unnest(i.indcollation::oid[]) WITH ORDINALITY AS x (c, ord)),
      'pred', pg_get_expr(i.indpred, i.indrelid, true)))
    FROM pg_index i JOIN pg_class ir ON ir.oid = i.indexrelid
    JOIN pg_class tr ON tr.oid = i.indrelid
    WHERE i.indrelid IN (SELECT oid FROM t)),
  'triggers', (SELECT json_agg(json_build_object('table', r.relname, 'name', g.tgname))
    FROM pg_trigger g JOIN pg_class r ON r.oid = g.tgrelid
    WHERE NOT g.tgisinternal AND g.tgrelid IN (SELECT oid FROM t))
)
"""


def psql(conninfo, sql):
    out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        sys.exit(f"psql failed: {out.stderr.strip()}")
    return out.stdout


# ---- normalising


def norm_expr(e):
    """An index column, predicate or default as comparable text (loose: casts, parentheses,
    spacing and case dropped; IN lists and = ANY (ARRAY[...]) made alike)."""
    if e is None:
        return None
    s = e.strip()
    s = re.sub(r"=\s*ANY\s*\(\s*ARRAY\[(.*?)\]\s*\)", r" IN (\1)", s, flags=re.I | re.S)
    s = re.sub(r"::[a-z_]+( precision| varying)?(\[\])?", "", s, flags=re.I)
    s = re.sub(r"\bELSE NULL\b", "", s, flags=re.I)
    s = s.replace("!=", "<>")
    # Case and spacing dropped outside string literals only ('Pending' is not 'pending').
    parts = re.split(r"('(?:[^']|'')*')", s)
    return "".join(p if p.startswith("'") else re.sub(r"[()\s\"]", "", p).lower() for p in parts)


def type_class_sqlite(decl):
    d = (decl or "").upper()
    if "INT" in d:
        return "integer"
    if any(k in d for k in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if d == "" or "BLOB" in d:
        return "blob"
    if any(k in d for k in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric"


def type_class_pg(t):
    if t in ("bigint", "integer", "smallint"):
        return "integer"
    if t in ("double precision", "real") or t.startswith("numeric"):
        return "real"
    if t == "text" or t.startswith("character"):
        return "text"
    if t == "bytea":
        return "blob"
    return t


def split_top(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def index_sql_parts(sql):
    """(column texts, predicate) of a CREATE INDEX statement."""
    m = re.search(r"\bON\s+\"?\w+\"?\s*\(", sql, re.I)
    start = m.end()
    depth, i = 1, start
    while depth:
        depth += {"(": 1, ")": -1}.get(sql[i], 0)
        i += 1
    cols = split_top(sql[start:i - 1])
    rest = sql[i:]
    w = re.search(r"\bWHERE\b(.*)$", rest, re.I | re.S)
    return cols, (w.group(1).strip() if w else None)


# ---- the two schemas as one shape


def sqlite_schema():
    tmp = tempfile.NamedTemporaryFile(suffix=".db", delete=False)
    tmp.close()
    try:
        c = sqlite3.connect(tmp.name)
        c.execute("PRAGMA journal_mode=MEMORY")
        c.execute("PRAGMA synchronous=OFF")
        files = sorted(glob.glob(os.path.join(MIGRATIONS, "[0-9][0-9][0-9][0-9]_*.sql")))
        for f in files:
            with open(f, encoding="utf-8") as fh:
                c.executescript(fh.read())
        return read_sqlite(c), len(files)
    finally:
        os.unlink(tmp.name)


def read_sqlite(c):
    s = {"tables": {}, "views": {}, "triggers": set(), "seeds": {}}
    master = c.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    for typ, name, _, _ in master:
        if typ not in ("table", "view") or name.startswith("sqlite_"):
            continue
        if name in RUNNER_TABLES:
            continue
        info = c.execute(f'PRAGMA table_info("{name}")').fetchall()
        if typ == "view":
            s["views"][name] = [r[1] for r in info]
            continue
        pk = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
        t = {"columns": [], "pk": pk, "uniques": set(), "indexes": {}, "fks": set()}
        for _, col, decl, notnull, dflt, inpk in info:
            # A primary key column is NOT NULL on PostgreSQL; SQLite only enforces it for
            # INTEGER PRIMARY KEY and WITHOUT ROWID tables (a quirk, not a design choice).
            t["columns"].append({"name": col, "class": type_class_sqlite(decl),
                                 "notnull": bool(notnull or inpk), "default": dflt})
        colls = {}
        for _, iname, unique, origin, partial in c.execute(f'PRAGMA index_list("{name}")'):
            x = [r for r in c.execute(f'PRAGMA index_xinfo("{iname}")') if r[5]]
            coll = [None if (r[4] or "BINARY").upper() == "BINARY" else r[4].lower() for r in x]
            if origin == "pk":
                continue
            if origin == "u":
                t["uniques"].add(tuple(zip((r[2] for r in x), coll)))
                for r, k in zip(x, coll):
                    colls[r[2]] = k
                continue
            sql = next(m[3] for m in master if m[1] == iname)
            cols, pred = index_sql_parts(sql)
            t["indexes"][iname] = {"unique": bool(unique), "cols": [norm_expr(x) for x in cols],
                                   "colls": coll, "pred": norm_expr(pred)}
        for col in t["columns"]:
            col["collation"] = colls.get(col["name"])
        fks = {}
        for fid, _, ref, frm, to, _, ondel, _ in c.execute(f'PRAGMA foreign_key_list("{name}")'):
            fk = fks.setdefault(fid, {"ref": ref, "cols": [], "refcols": [], "ondelete": ondel})
            fk["cols"].append(frm)
            fk["refcols"].append(to)
        for fk in fks.values():
            t["fks"].add((tuple(fk["cols"]), fk["ref"], tuple(fk["refcols"]),
                          fk["ondelete"].upper()))
        s["tables"][name] = t
        rows = c.execute(f'SELECT * FROM "{name}"').fetchall()
        if rows:
            names = [r[1] for r in info]
            s["seeds"][name] = [dict(zip(names, r)) for r in rows]
    for typ, name, tbl, _ in master:
        if typ == "trigger":
            s["triggers"].add((tbl, name))
    return s


ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def pg_schema(conninfo):
    cat = json.loads(psql(conninfo, PG_CATALOG_QUERY))
    s = {"tables": {}, "views": {}, "triggers": set(), "seeds": {}}
    for r in cat["relations"] or []:
        if r["name"] in RUNNER_TABLES:
            continue
        if r["kind"] == "v":
            s["views"][r["name"]] = [col["name"] for col in r["columns"]]
            continue
        t = {"columns": [], "pk": [], "uniques": set(), "indexes": {}, "fks": set(),
             "pgtypes": {}}
        for col in r["columns"]:
            t["columns"].append({"name": col["name"], "class": type_class_pg(col["type"]),
                                 "notnull": col["notnull"], "default": col["default"],
                                 "collation": col["collation"]})
            t["pgtypes"][col["name"]] = col["type"]
        s["tables"][r["name"]] = t
    constraint_indexes = set()
    for con in cat["constraints"] or []:
        if con["table"] in RUNNER_TABLES:
            continue
        t = s["tables"][con["table"]]
        if con["type"] == "p":
            t["pk"] = con["cols"]
            constraint_indexes.add(con["index"])
        elif con["type"] == "u":
            constraint_indexes.add(con["index"])
            t["uniques"].add(con["name"])  # resolved to columns with the index below
        else:
            t["fks"].add((tuple(con["cols"]), con["ref"], tuple(con["refcols"]),
                          ON_DELETE[con["ondelete"]]))
    for ix in cat["indexes"] or []:
        if ix["table"] in RUNNER_TABLES:
            continue
        t = s["tables"][ix["table"]]
        colls = ix["colls"] or []
        if ix["name"] in constraint_indexes:
            if ix["unique"] and t["pk"] != [norm_expr(x) for x in ix["cols"]]:
                t["uniques"].add(tuple(zip((norm_expr(x) for x in ix["cols"]), colls)))
            continue
        t["indexes"][ix["name"]] = {"unique": ix["unique"],
                                    "cols": [norm_expr(x) for x in ix["cols"]],
                                    "colls": colls, "pred": norm_expr(ix["pred"])}
    for t in s["tables"].values():
        t["uniques"] = {u for u in t["uniques"] if isinstance(u, tuple)}
    for g in cat["triggers"] or []:
        if g["table"] in RUNNER_TABLES:
            continue
        s["triggers"].add((g["table"], g["name"]))
    return s


def pg_seeds(conninfo, tables):
    if not tables:
        return {}
    parts = ", ".join(
        f"'{t}', (SELECT json_agg(x) FROM \"{t}\" x)" for t in tables)
    return json.loads(psql(conninfo, f"SELECT json_build_object({parts})"))


# ---- comparing


def compare(lite, pg, seeds_pg):
    diffs = []

    def d(msg):
        diffs.append(msg)

    for name in sorted(set(lite["tables"]) | set(pg["tables"])):
        if name not in pg["tables"]:
            d(f"table {name}: missing on PostgreSQL")
            continue
        if name not in lite["tables"]:
            d(f"table {name}: only on PostgreSQL")
            continue
        a, b = lite["tables"][name], pg["tables"][name]
        an = [c["name"] for c in a["columns"]]
        bn = [c["name"] for c in b["columns"]]
        if an != bn:
            d(f"table {name}: columns differ: SQLite {an} PostgreSQL {bn}")
        bcols = {c["name"]: c for c in b["columns"]}
        for ca in a["columns"]:
            cb = bcols.get(ca["name"])
            if cb is None:
                continue
            where = f"column {name}.{ca['name']}"
            if ca["class"] != cb["class"]:
                d(f"{where}: type class {ca['class']} on SQLite, {cb['class']} on PostgreSQL")
            elif ca["class"] == "integer" and b["pgtypes"][ca["name"]] != "bigint":
                d(f"{where}: {b['pgtypes'][ca['name']]} on PostgreSQL, BIGINT expected")
            if ca["notnull"] != cb["notnull"]:
                d(f"{where}: NOT NULL {ca['notnull']} on SQLite, {cb['notnull']} on PostgreSQL")
            if ca["collation"] != cb["collation"]:
                d(f"{where}: collation {ca['collation']} on SQLite, "
                  f"{cb['collation']} on PostgreSQL")
            want = KNOWN_DEFAULTS.get((name, ca["name"]))
            da = norm_expr(want) if want else norm_expr(ca["default"])
            if da != norm_expr(cb["default"]):
                d(f"{where}: default {ca['default']!r} on SQLite, {cb['default']!r} on PostgreSQL")
        if a["pk"] != b["pk"]:
            d(f"table {name}: primary key {a['pk']} on SQLite, {b['pk']} on PostgreSQL")
        for u in sorted(a["uniques"] - b["uniques"], key=str):
            d(f"table {name}: UNIQUE {u} missing on PostgreSQL")
        for u in sorted(b["uniques"] - a["uniques"], key=str):
            d(f"table {name}: UNIQUE {u} only on PostgreSQL")
        for ix in sorted(set(a["indexes"]) | set(b["indexes"])):
            if ix not in b["indexes"]:
                d(f"index {ix} on {name}: missing on PostgreSQL")
            elif ix not in a["indexes"]:
                if (name, ix) not in PG_ONLY_INDEXES:
                    d(f"index {ix} on {name}: only on PostgreSQL")
            elif a["indexes"][ix] != b["indexes"][ix]:
                d(f"index {ix} on {name}: SQLite {a['indexes'][ix]} PostgreSQL {b['indexes'][ix]}")
        for fk in sorted(a["fks"] - b["fks"], key=str):
            d(f"table {name}: foreign key {fk} missing on PostgreSQL")
        for fk in sorted(b["fks"] - a["fks"], key=str):
            d(f"table {name}: foreign key {fk} only on PostgreSQL")
    for v in sorted(set(lite["views"]) | set(pg["views"])):
        if lite["views"].get(v) != pg["views"].get(v):
            d(f"view {v}: SQLite {lite['views'].get(v)} PostgreSQL {pg['views'].get(v)}")
    for tg in sorted(lite["triggers"] - pg["triggers"]):
        d(f"trigger {tg[1]} on {tg[0]}: missing on PostgreSQL")
    for tg in sorted(pg["triggers"] - lite["triggers"]):
        d(f"trigger {tg[1]} on {tg[0]}: only on PostgreSQL")
    for t, rows in sorted(lite["seeds"].items()):
        got = sorted((seeds_pg.get(t) or []), key=lambda r: json.dumps(r, sort_keys=True))
        if got != sorted(rows, key=lambda r: json.dumps(r, sort_keys=True)):
            d(f"seed rows of {t}: {len(rows)} on SQLite, {len(got)} on PostgreSQL, or they differ")
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conninfo", required=True, help="libpq conninfo or URL of the database")
    ap.add_argument("--ignore-table", action="append", default=[], metavar="NAME",
                    help="a table of the migration runner to leave out (repeatable)")
    args = ap.parse_args()
    RUNNER_TABLES.update(args.ignore_table)
    lite, applied = sqlite_schema()
    pg = pg_schema(args.conninfo)
    seeds = pg_seeds(args.conninfo, sorted(t for t in lite["seeds"] if t in pg["tables"]))
    diffs = compare(lite, pg, seeds)
    for line in diffs:
        print(line)
    n = len(lite["tables"])
    if diffs:
        print(f"schema-compare: {len(diffs)} difference(s) ({applied} SQLite migrations)")
        return 1
    print(f"schema-compare: equivalent ({applied} SQLite migrations, {n} tables, "
          f"{len(lite['views'])} view(s), {len(lite['triggers'])} triggers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
