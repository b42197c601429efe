# Two tests writing the same row and key: each sees only its own, on top of the seeds.
import psycopg
import pytest
import redis


@pytest.mark.parametrize("run", [1, 2])
def test_isolated_and_seeded(lease, run):
    with psycopg.connect(lease["DATABASE_URL"]) as db:
        seeded = db.execute("SELECT count(*) FROM samples WHERE external_id = 'S-0001'").fetchone()[0]
        assert seeded == 1
        db.execute("INSERT INTO samples (external_id, organism) VALUES ('T-1', 'E. coli')")
        assert db.execute("SELECT count(*) FROM samples WHERE external_id = 'T-1'").fetchone()[0] == 1
    r = redis.Redis.from_url(lease["REDIS_URL"])
    assert r.get("counter") is None
    assert r.incr("counter") == 1
