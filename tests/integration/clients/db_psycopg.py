"""Postgres calls application code makes, through DRIVER (psycopg for Psycopg 3, or
psycopg2; whichever version runs this), against the stack's Postgres at DATABASE_URL
(postgresql://user:password@host:port/db), in a schema of its own. Prints one line per
check; exits 1 on the first failure. Used by tests/integration/test_db_clients.sh."""
import datetime as dt
import decimal
import io
import select
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

driver, url = sys.argv[1], sys.argv[2]
parts = urlsplit(url)
SCHEMA = f"conformance_{driver}"


from conformance import check, raises  # noqa: E402 - after the client import


def with_url(password=None, database=None):
    netloc = f"{parts.username}:{password if password is not None else parts.password}@{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, "/" + (database or parts.path.lstrip("/")), "", ""))


TABLE = """CREATE TABLE samples (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  external_id text NOT NULL UNIQUE,
  organism text,
  score double precision,
  meta jsonb,
  tags text[],
  counts int[],
  seen timestamptz,
  amount numeric(12, 2),
  raw bytea,
  ref uuid)"""
DOC = {"donor_age": 54, "rin": 8.1, "flags": [True, False, None], "nested": {"tissue": "liver", "note": "ünïcode ✓"}}
TAGS = ["a", "b c", 'quo"te', "back\\slash", None, ""]
BERLIN = dt.datetime(2024, 3, 31, 1, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Berlin"))
REF = uuid.UUID("12345678-1234-5678-1234-567812345678")
HOSTILE = "O'Brien\"; DROP TABLE samples; --"
COPY_ROWS = [("C-1", "tab\there", 1.5), ("C-2", "new\nline", None), ("C-3", "back\\slash", -2.0), ("C-4", None, 0.0)]


def run_psycopg():
    import psycopg
    from psycopg import errors, sql
    from psycopg.types.json import Jsonb

    version = psycopg.__version__
    conn = psycopg.connect(url, connect_timeout=10)
    check("connect with the DATABASE_URL form", conn.info.status == psycopg.pq.ConnStatus.OK
          and conn.info.dbname == parts.path.lstrip("/") and conn.info.user == parts.username)
    server = conn.execute("SHOW server_version").fetchone()[0]
    print(f"server postgres {server}")
    check("SHOW server_version", server.split(".")[0] == str(conn.info.server_version // 10000), server)
    kw = psycopg.connect(host=parts.hostname, port=parts.port, user=parts.username, password=parts.password,
                         dbname=parts.path.lstrip("/"), connect_timeout=10, application_name="conformance")
    check("connect with keywords, application_name",
          kw.execute("SELECT current_setting('application_name')").fetchone()[0] == "conformance")
    kw.close()

    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCHEMA)))
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(SCHEMA)))
    conn.execute(TABLE)
    conn.commit()
    check("CREATE TABLE", conn.execute("SELECT to_regclass('samples') IS NOT NULL").fetchone()[0])

    cur = conn.cursor()
    cur.execute("INSERT INTO samples (external_id, organism, score, meta, tags, counts, seen, amount, raw, ref)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                ("S-1", HOSTILE, 0.25, Jsonb(DOC), TAGS, [1, 2, 3], BERLIN, decimal.Decimal("1234.50"),
                 b"\x00\xffbytes", REF))
    first_id = cur.fetchone()[0]
    check("parametrized INSERT ... RETURNING", isinstance(first_id, int))
    cur.execute("SELECT organism, score, amount, raw, ref FROM samples WHERE id = %(id)s", {"id": first_id})
    row = cur.fetchone()
    check("parametrized SELECT (named), quotes kept literally",
          row == (HOSTILE, 0.25, decimal.Decimal("1234.50"), b"\x00\xffbytes", REF), row)
    cur.execute("SELECT count(*) FROM samples WHERE organism IS NULL AND %s::text IS NULL", (None,))
    check("None as NULL", cur.fetchone()[0] == 0)

    cur.executemany("INSERT INTO samples (external_id, organism, score) VALUES (%s, %s, %s)",
                    [(f"M-{i:03}", "Mus musculus", i / 10) for i in range(200)])
    check("executemany", cur.rowcount == 200 and conn.execute(
        "SELECT count(*), sum(score)::numeric(10,1) FROM samples WHERE external_id LIKE 'M-%'").fetchone()
        == (200, decimal.Decimal("1990.0")))
    conn.commit()

    with cur.copy("COPY samples (external_id, organism, score) FROM STDIN") as cp:
        for r in COPY_ROWS:
            cp.write_row(r)
    got = conn.execute("SELECT external_id, organism, score FROM samples WHERE external_id LIKE 'C-%'"
                       " ORDER BY 1").fetchall()
    check("COPY FROM STDIN (tabs, newlines, backslashes, NULL)", got == COPY_ROWS, got)
    with cur.copy("COPY (SELECT external_id, organism FROM samples WHERE external_id LIKE 'C-%' ORDER BY 1)"
                  " TO STDOUT") as cp:
        rows = list(cp.rows())
    check("COPY TO STDOUT rows", rows == [(r[0], r[1]) for r in COPY_ROWS], rows)
    data = b""
    with cur.copy("COPY (SELECT external_id, score FROM samples WHERE external_id LIKE 'C-%' ORDER BY 1)"
                  " TO STDOUT WITH (FORMAT csv, HEADER)") as cp:
        for chunk in cp:
            data += bytes(chunk)
    check("COPY TO STDOUT csv", data == b"external_id,score\nC-1,1.5\nC-2,\nC-3,-2\nC-4,0\n", data)
    conn.commit()

    count = lambda: conn.execute("SELECT count(*) FROM samples").fetchone()[0]  # noqa: E731
    before = count()
    conn.execute("INSERT INTO samples (external_id) VALUES ('R-1')")
    conn.rollback()
    check("rollback discards the insert", count() == before)
    with conn.transaction():
        conn.execute("INSERT INTO samples (external_id) VALUES ('R-2')")
        with conn.transaction():
            conn.execute("INSERT INTO samples (external_id) VALUES ('R-3')")
            raise psycopg.Rollback()
    check("conn.transaction() commits; Rollback undoes a nested block",
          conn.execute("SELECT array_agg(external_id ORDER BY 1) FROM samples WHERE external_id LIKE 'R-%'")
          .fetchone()[0] == ["R-2"])
    conn.commit()
    try:
        with conn.transaction():
            conn.execute("INSERT INTO samples (external_id) VALUES ('R-4')")
            raise RuntimeError("application error")
    except RuntimeError:
        pass
    check("an exception in conn.transaction() rolls back",
          conn.execute("SELECT count(*) FROM samples WHERE external_id = 'R-4'").fetchone()[0] == 0)
    conn.commit()
    ok, detail = raises(lambda: conn.execute("SELECT 1/0"), errors.DivisionByZero)
    check("DivisionByZero", ok, detail)
    ok, detail = raises(lambda: conn.execute("SELECT 1"), errors.InFailedSqlTransaction)
    check("InFailedSqlTransaction until rollback", ok, detail)
    conn.rollback()

    with conn.transaction():
        conn.execute("INSERT INTO samples (external_id) VALUES ('SP-1')")
        try:
            with conn.transaction():  # a savepoint
                conn.execute("INSERT INTO samples (external_id) VALUES ('SP-2')")
                conn.execute("INSERT INTO samples (external_id) VALUES ('SP-1')")
        except errors.UniqueViolation:
            pass
        conn.execute("INSERT INTO samples (external_id) VALUES ('SP-3')")
    got = conn.execute("SELECT array_agg(external_id ORDER BY 1) FROM samples WHERE external_id LIKE 'SP-%'")\
        .fetchone()[0]
    check("savepoint rolled back alone", got == ["SP-1", "SP-3"], got)
    conn.execute("INSERT INTO samples (external_id) VALUES ('SP-4')")
    conn.execute("SAVEPOINT before_five")
    conn.execute("INSERT INTO samples (external_id) VALUES ('SP-5')")
    conn.execute("ROLLBACK TO SAVEPOINT before_five")
    conn.execute("RELEASE SAVEPOINT before_five")
    conn.commit()
    got = conn.execute("SELECT array_agg(external_id ORDER BY 1) FROM samples WHERE external_id IN ('SP-4', 'SP-5')")\
        .fetchone()[0]
    check("SAVEPOINT / ROLLBACK TO SAVEPOINT in SQL", got == ["SP-4"], got)
    conn.commit()

    with conn.cursor(name="big_scan", scrollable=True) as ssc:
        ssc.itersize = 500
        ssc.execute("SELECT g, md5(g::text) FROM generate_series(1, 20000) g")
        open_cursors = conn.execute("SELECT name FROM pg_cursors WHERE name = 'big_scan'").fetchall()
        check("server-side cursor declared on the server", open_cursors == [("big_scan",)], open_cursors)
        head = ssc.fetchmany(10)
        check("server-side cursor fetchmany", [r[0] for r in head] == list(range(1, 11)))
        total = sum(r[0] for r in ssc)
        check("server-side cursor iterates the rest", total == sum(range(11, 20001)), total)
        ssc.scroll(0, mode="absolute")
        check("scrollable cursor scrolls back", ssc.fetchone()[0] == 1)
    conn.commit()

    listener = psycopg.connect(url, autocommit=True, connect_timeout=10)
    received = []
    listener.add_notify_handler(received.append)
    listener.execute("LISTEN jobs")
    conn.execute("SELECT pg_notify('jobs', 'discarded')")
    conn.rollback()
    conn.execute("NOTIFY jobs, 'payload one'")
    conn.execute("SELECT pg_notify('jobs', %s)", ("payload two",))
    conn.commit()
    deadline = time.monotonic() + 10
    while len(received) < 2 and time.monotonic() < deadline:
        listener.execute("SELECT 1")
        time.sleep(0.05)
    check("LISTEN/NOTIFY delivered after commit, not after rollback",
          [(n.channel, n.payload, n.pid) for n in received]
          == [("jobs", "payload one", conn.info.backend_pid), ("jobs", "payload two", conn.info.backend_pid)],
          received)
    gen_listener = psycopg.connect(url, autocommit=True, connect_timeout=10)
    gen_listener.execute("LISTEN other")
    got = []

    def wait_one():
        for n in gen_listener.notifies():
            got.append(n)
            break

    t = threading.Thread(target=wait_one, daemon=True)
    t.start()
    time.sleep(0.2)
    conn.execute("NOTIFY other, 'via the generator'")
    conn.commit()
    t.join(10)
    check("conn.notifies() generator", len(got) == 1 and got[0].payload == "via the generator", got)
    listener.close()

    got = conn.execute("SELECT meta, meta->'nested'->>'note', meta @> %s FROM samples WHERE external_id = 'S-1'",
                       (Jsonb({"nested": {"tissue": "liver"}}),)).fetchone()
    check("JSONB round trip, ->>, @>", got == (DOC, "ünïcode ✓", True), got)
    check("JSONB scalar and array", conn.execute("SELECT %s::jsonb, %s::jsonb",
                                                 (Jsonb([1, "two", None]), Jsonb("s"))).fetchone() == ([1, "two", None], "s"))

    got = conn.execute("SELECT tags, counts, array_length(tags, 1) FROM samples WHERE external_id = 'S-1'").fetchone()
    check("text[] and int[] round trip (quotes, backslash, NULL, empty)", got == (TAGS, [1, 2, 3], 6), got)
    got = conn.execute("SELECT count(*) FROM samples WHERE external_id = ANY(%s)", (["S-1", "M-001", "none"],)).fetchone()
    check("= ANY(%s) with a list", got == (2,), got)
    got = conn.execute("SELECT %s::int[], %s::text[]", ([[1, 2], [3, 4]], [])).fetchone()
    check("two-dimensional and empty arrays", got == ([[1, 2], [3, 4]], []), got)

    seen = conn.execute("SELECT seen FROM samples WHERE external_id = 'S-1'").fetchone()[0]
    check("timestamptz round trip (same instant, microseconds)", seen == BERLIN and seen.tzinfo is not None,
          f"{seen!r} vs {BERLIN!r}")
    conn.execute("SET TIME ZONE 'Asia/Tokyo'")
    seen = conn.execute("SELECT seen FROM samples WHERE external_id = 'S-1'").fetchone()[0]
    check("timestamptz in the session time zone", seen == BERLIN and seen.utcoffset() == dt.timedelta(hours=9),
          repr(seen))
    got = conn.execute("SELECT %s::date, %s::interval, now() - %s < interval '1 day'",
                       (dt.date(2024, 2, 29), dt.timedelta(days=1, seconds=5), dt.datetime.now(dt.timezone.utc)))\
        .fetchone()
    check("date, interval, aware now()", got == (dt.date(2024, 2, 29), dt.timedelta(days=1, seconds=5), True), got)
    conn.rollback()

    q = "SELECT external_id FROM samples WHERE score > %s ORDER BY score DESC LIMIT 1"
    conn.execute(q, (19.0,), prepare=True)
    got = conn.execute(q, (19.8,), prepare=True).fetchone()
    prepared = conn.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                            ("%score > $1%",)).fetchone()[0]
    check("prepared statement (prepare=True) on the server", got == ("M-199",) and prepared == 1, (got, prepared))
    conn.execute("PREPARE by_id (text) AS SELECT id FROM samples WHERE external_id = $1")
    check("PREPARE / EXECUTE", conn.execute("EXECUTE by_id ('S-1')").fetchone()[0] == first_id)
    conn.execute("DEALLOCATE by_id")
    conn.rollback()

    try:
        conn.execute("INSERT INTO samples (external_id) VALUES ('S-1')")
        check("unique violation", False, "a duplicate external_id was accepted")
    except errors.UniqueViolation as e:
        check("unique violation raises psycopg.errors.UniqueViolation",
              isinstance(e, psycopg.IntegrityError) and e.sqlstate == "23505"
              and e.diag.constraint_name == "samples_external_id_key", (e.sqlstate, e.diag.constraint_name))
    conn.rollback()
    ok, detail = raises(lambda: conn.execute("SELECT * FROM no_such_table"), errors.UndefinedTable)
    check("UndefinedTable", ok, detail)
    conn.rollback()
    ok, detail = raises(lambda: conn.execute("SELEC 1"), errors.SyntaxError)
    check("SyntaxError", ok, detail)
    conn.rollback()
    conn.execute("SET statement_timeout = '200ms'")
    ok, detail = raises(lambda: conn.execute("SELECT pg_sleep(5)"), errors.QueryCanceled)
    check("statement_timeout raises QueryCanceled", ok, detail)
    conn.rollback()

    ok, detail = raises(lambda: psycopg.connect(with_url(password="wrong-password"), connect_timeout=10),
                        psycopg.OperationalError, "password authentication failed")
    check("a wrong password is refused (OperationalError)", ok, detail)
    ok, detail = raises(lambda: psycopg.connect(with_url(database="no_such_db"), connect_timeout=10),
                        psycopg.OperationalError, 'database "no_such_db" does not exist')
    check("a missing database is refused (OperationalError)", ok, detail)

    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(SCHEMA)))
    conn.commit()
    conn.close()
    check("close", conn.closed)
    return version


def run_psycopg2():
    import psycopg2
    import psycopg2.errors
    import psycopg2.extensions
    import psycopg2.extras

    version = psycopg2.__version__.split()[0]
    conn = psycopg2.connect(url, connect_timeout=10)
    check("connect with the DATABASE_URL form", conn.status == psycopg2.extensions.STATUS_READY
          and conn.info.dbname == parts.path.lstrip("/") and conn.info.user == parts.username)
    cur = conn.cursor()
    cur.execute("SHOW server_version")
    server = cur.fetchone()[0]
    print(f"server postgres {server}")
    check("SHOW server_version", server.split(".")[0] == str(conn.server_version // 10000), server)
    kw = psycopg2.connect(host=parts.hostname, port=parts.port, user=parts.username, password=parts.password,
                          dbname=parts.path.lstrip("/"), connect_timeout=10, application_name="conformance")
    with kw.cursor() as c:
        c.execute("SELECT current_setting('application_name')")
        check("connect with keywords, application_name", c.fetchone()[0] == "conformance")
    kw.close()

    def one(q, params=None):
        cur.execute(q, params)
        return cur.fetchone()

    cur.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    cur.execute(f'CREATE SCHEMA "{SCHEMA}"')
    cur.execute(f'SET search_path TO "{SCHEMA}"')
    cur.execute(TABLE)
    conn.commit()
    check("CREATE TABLE", one("SELECT to_regclass('samples') IS NOT NULL")[0])

    first_id = one("INSERT INTO samples (external_id, organism, score, meta, tags, counts, seen, amount, raw, ref)"
                   " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::uuid) RETURNING id",
                   ("S-1", HOSTILE, 0.25, psycopg2.extras.Json(DOC), TAGS, [1, 2, 3], BERLIN,
                    decimal.Decimal("1234.50"), psycopg2.Binary(b"\x00\xffbytes"), str(REF)))[0]
    check("parametrized INSERT ... RETURNING", isinstance(first_id, int))
    row = one("SELECT organism, score, amount, raw, ref::text FROM samples WHERE id = %(id)s", {"id": first_id})
    row = (row[0], row[1], row[2], bytes(row[3]), uuid.UUID(row[4]))
    check("parametrized SELECT (named), quotes kept literally",
          row == (HOSTILE, 0.25, decimal.Decimal("1234.50"), b"\x00\xffbytes", REF), row)

    cur.executemany("INSERT INTO samples (external_id, organism, score) VALUES (%s, %s, %s)",
                    [(f"M-{i:03}", "Mus musculus", i / 10) for i in range(100)])
    psycopg2.extras.execute_values(cur, "INSERT INTO samples (external_id, organism, score) VALUES %s",
                                   [(f"M-{i:03}", "Mus musculus", i / 10) for i in range(100, 200)])
    check("executemany and execute_values",
          one("SELECT count(*), sum(score)::numeric(10,1) FROM samples WHERE external_id LIKE 'M-%'")
          == (200, decimal.Decimal("1990.0")))
    conn.commit()

    def copy_text(value):
        if value is None:
            return "\\N"
        return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    body = "".join("\t".join(copy_text(v) for v in r) + "\n" for r in COPY_ROWS)
    cur.copy_expert("COPY samples (external_id, organism, score) FROM STDIN", io.StringIO(body))
    cur.execute("SELECT external_id, organism, score FROM samples WHERE external_id LIKE 'C-%' ORDER BY 1")
    got = cur.fetchall()
    check("COPY FROM STDIN (tabs, newlines, backslashes, NULL)", got == COPY_ROWS, got)
    out = io.StringIO()
    cur.copy_expert("COPY (SELECT external_id, score FROM samples WHERE external_id LIKE 'C-%' ORDER BY 1)"
                    " TO STDOUT WITH (FORMAT csv, HEADER)", out)
    check("COPY TO STDOUT csv", out.getvalue() == "external_id,score\nC-1,1.5\nC-2,\nC-3,-2\nC-4,0\n", out.getvalue())
    out = io.StringIO()
    cur.copy_expert("COPY (SELECT external_id, organism FROM samples WHERE external_id LIKE 'C-%' ORDER BY 1)"
                    " TO STDOUT", out)
    check("COPY TO STDOUT text", out.getvalue() == "".join(f"{copy_text(a)}\t{copy_text(b)}\n" for a, b, _ in COPY_ROWS),
          out.getvalue())
    conn.commit()

    before = one("SELECT count(*) FROM samples")[0]
    cur.execute("INSERT INTO samples (external_id) VALUES ('R-1')")
    conn.rollback()
    check("rollback discards the insert", one("SELECT count(*) FROM samples")[0] == before)
    try:
        with conn:
            cur.execute("INSERT INTO samples (external_id) VALUES ('R-2')")
            raise RuntimeError("application error")
    except RuntimeError:
        pass
    with conn:
        cur.execute("INSERT INTO samples (external_id) VALUES ('R-3')")
    check("`with conn` commits, or rolls back on an exception",
          one("SELECT array_agg(external_id ORDER BY 1) FROM samples WHERE external_id LIKE 'R-%'")[0] == ["R-3"])
    ok, detail = raises(lambda: cur.execute("SELECT 1/0"), psycopg2.errors.DivisionByZero)
    check("DivisionByZero", ok, detail)
    ok, detail = raises(lambda: cur.execute("SELECT 1"), psycopg2.errors.InFailedSqlTransaction)
    check("InFailedSqlTransaction until rollback", ok, detail)
    conn.rollback()

    cur.execute("INSERT INTO samples (external_id) VALUES ('SP-1')")
    cur.execute("SAVEPOINT sp")
    cur.execute("INSERT INTO samples (external_id) VALUES ('SP-2')")
    ok, detail = raises(lambda: cur.execute("INSERT INTO samples (external_id) VALUES ('SP-1')"),
                        psycopg2.errors.UniqueViolation)
    check("unique violation inside a savepoint", ok, detail)
    cur.execute("ROLLBACK TO SAVEPOINT sp")
    cur.execute("INSERT INTO samples (external_id) VALUES ('SP-3')")
    conn.commit()
    got = one("SELECT array_agg(external_id ORDER BY 1) FROM samples WHERE external_id LIKE 'SP-%'")[0]
    check("savepoint rolled back alone", got == ["SP-1", "SP-3"], got)

    ssc = conn.cursor(name="big_scan", scrollable=True)
    ssc.itersize = 500
    ssc.execute("SELECT g, md5(g::text) FROM generate_series(1, 20000) g")
    check("server-side cursor declared on the server",
          one("SELECT name FROM pg_cursors WHERE name = 'big_scan'") == ("big_scan",))
    head = ssc.fetchmany(10)
    check("server-side cursor fetchmany", [r[0] for r in head] == list(range(1, 11)))
    total = sum(r[0] for r in ssc)
    check("server-side cursor iterates the rest", total == sum(range(11, 20001)), total)
    ssc.scroll(0, mode="absolute")
    check("scrollable cursor scrolls back", ssc.fetchone()[0] == 1)
    ssc.close()
    conn.commit()

    listener = psycopg2.connect(url, connect_timeout=10)
    listener.autocommit = True
    listener.cursor().execute("LISTEN jobs")
    cur.execute("SELECT pg_notify('jobs', 'discarded')")
    conn.rollback()
    cur.execute("NOTIFY jobs, 'payload one'")
    cur.execute("SELECT pg_notify('jobs', %s)", ("payload two",))
    conn.commit()
    deadline = time.monotonic() + 10
    while len(listener.notifies) < 2 and time.monotonic() < deadline:
        select.select([listener], [], [], 0.5)
        listener.poll()
    got = [(n.channel, n.payload, n.pid) for n in listener.notifies]
    check("LISTEN/NOTIFY (select + poll) delivered after commit, not after rollback",
          got == [("jobs", "payload one", conn.get_backend_pid()), ("jobs", "payload two", conn.get_backend_pid())], got)
    listener.close()

    got = one("SELECT meta, meta->'nested'->>'note', meta @> %s FROM samples WHERE external_id = 'S-1'",
              (psycopg2.extras.Json({"nested": {"tissue": "liver"}}),))
    check("JSONB round trip, ->>, @>", got == (DOC, "ünïcode ✓", True), got)
    got = one("SELECT %s::jsonb, %s::jsonb", (psycopg2.extras.Json([1, "two", None]), psycopg2.extras.Json("s")))
    check("JSONB scalar and array", got == ([1, "two", None], "s"), got)

    got = one("SELECT tags, counts, array_length(tags, 1) FROM samples WHERE external_id = 'S-1'")
    check("text[] and int[] round trip (quotes, backslash, NULL, empty)", got == (TAGS, [1, 2, 3], 6), got)
    got = one("SELECT count(*) FROM samples WHERE external_id = ANY(%s)", (["S-1", "M-001", "none"],))
    check("= ANY(%s) with a list", got == (2,), got)
    got = one("SELECT %s::int[], %s::text[]", ([[1, 2], [3, 4]], []))
    check("two-dimensional and empty arrays", got == ([[1, 2], [3, 4]], []), got)

    seen = one("SELECT seen FROM samples WHERE external_id = 'S-1'")[0]
    check("timestamptz round trip (same instant, microseconds)", seen == BERLIN and seen.tzinfo is not None,
          f"{seen!r} vs {BERLIN!r}")
    cur.execute("SET TIME ZONE 'Asia/Tokyo'")
    seen = one("SELECT seen FROM samples WHERE external_id = 'S-1'")[0]
    check("timestamptz in the session time zone", seen == BERLIN and seen.utcoffset() == dt.timedelta(hours=9),
          repr(seen))
    got = one("SELECT %s::date, %s::interval, now() - %s < interval '1 day'",
              (dt.date(2024, 2, 29), dt.timedelta(days=1, seconds=5), dt.datetime.now(dt.timezone.utc)))
    check("date, interval, aware now()", got == (dt.date(2024, 2, 29), dt.timedelta(days=1, seconds=5), True), got)
    conn.rollback()

    cur.execute("PREPARE by_score (float8) AS"
                " SELECT external_id FROM samples WHERE score > $1 ORDER BY score DESC LIMIT 1")
    got = one("EXECUTE by_score (%s)", (19.8,))
    prepared = one("SELECT count(*) FROM pg_prepared_statements WHERE name = 'by_score'")[0]
    check("PREPARE / EXECUTE with a parameter", got == ("M-199",) and prepared == 1, (got, prepared))
    cur.execute("DEALLOCATE by_score")
    conn.rollback()

    try:
        cur.execute("INSERT INTO samples (external_id) VALUES ('S-1')")
        check("unique violation", False, "a duplicate external_id was accepted")
    except psycopg2.errors.UniqueViolation as e:
        check("unique violation raises psycopg2.errors.UniqueViolation",
              isinstance(e, psycopg2.IntegrityError) and e.pgcode == "23505"
              and e.diag.constraint_name == "samples_external_id_key", (e.pgcode, e.diag.constraint_name))
    conn.rollback()
    ok, detail = raises(lambda: cur.execute("SELECT * FROM no_such_table"), psycopg2.errors.UndefinedTable)
    check("UndefinedTable", ok, detail)
    conn.rollback()
    cur.execute("SET statement_timeout = '200ms'")
    ok, detail = raises(lambda: cur.execute("SELECT pg_sleep(5)"), psycopg2.extensions.QueryCanceledError)
    check("statement_timeout raises QueryCanceledError", ok, detail)
    conn.rollback()

    ok, detail = raises(lambda: psycopg2.connect(with_url(password="wrong-password"), connect_timeout=10),
                        psycopg2.OperationalError, "password authentication failed")
    check("a wrong password is refused (OperationalError)", ok, detail)
    ok, detail = raises(lambda: psycopg2.connect(with_url(database="no_such_db"), connect_timeout=10),
                        psycopg2.OperationalError, 'database "no_such_db" does not exist')
    check("a missing database is refused (OperationalError)", ok, detail)

    cur.execute(f'DROP SCHEMA "{SCHEMA}" CASCADE')
    conn.commit()
    conn.close()
    check("close", conn.closed)
    return version


if driver == "psycopg":
    print(f"PASS psycopg {run_psycopg()}")
elif driver == "psycopg2":
    print(f"PASS psycopg2 {run_psycopg2()}")
else:
    print(f"FAIL unknown driver {driver!r} (psycopg or psycopg2)")
    sys.exit(2)
