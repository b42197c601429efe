"""Redis calls application code makes, through redis-py (whichever version runs this),
against the stack's Redis at REDIS_URL, and against AUTH_PORT, a second Redis that
requires AUTH_PASSWORD. Prints one line per check; exits 1 on the first failure. Used by
tests/integration/test_db_clients.sh."""
import sys, threading, time
import redis

url, auth_port, auth_password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
VERSION = redis.__version__


from conformance import check, raises  # noqa: E402 - after the client import


r = redis.Redis.from_url(url, decode_responses=True, socket_timeout=10)
other = redis.Redis.from_url(url, decode_responses=True, socket_timeout=10)
host = r.connection_pool.connection_kwargs["host"]
check("ping", r.ping() is True)
server = r.info("server")["redis_version"]
print(f"server redis {server}")
r.flushdb()

# strings, TTL and expiry
check("set/get", r.set("s:name", "ünïcode") is True and r.get("s:name") == "ünïcode")
check("set nx refused when present", r.set("s:name", "x", nx=True) is None and r.get("s:name") == "ünïcode")
r.set("s:ttl", "v", ex=100)
check("ttl", 98 <= r.ttl("s:ttl") <= 100, r.ttl("s:ttl"))
check("persist", r.persist("s:ttl") is True and r.ttl("s:ttl") == -1)
check("ttl of a missing key", r.ttl("s:missing") == -2)
r.set("s:short", "v", px=200)
check("pttl", 0 < r.pttl("s:short") <= 200, r.pttl("s:short"))
time.sleep(0.4)
check("expired key gone", r.get("s:short") is None and r.exists("s:short") == 0)
r.setex("s:setex", 1, "v")
r.expire("s:name", 50)
check("expire", 48 <= r.ttl("s:name") <= 50)
check("mset/mget", r.mset({"s:a": "1", "s:b": "2"}) and r.mget("s:a", "s:b", "s:none") == ["1", "2", None])
check("getset via set get=True", r.set("s:a", "10", get=True) == "1" and r.get("s:a") == "10")
check("append/strlen", r.append("s:b", "xy") == 3 and r.strlen("s:b") == 3)

# counters
check("incr from nothing", r.incr("c:n") == 1)
check("incrby", r.incrby("c:n", 41) == 42)
check("decr", r.decr("c:n") == 41)
check("incrbyfloat", abs(r.incrbyfloat("c:f", 2.5) - 2.5) < 1e-9)
ok, detail = raises(lambda: r.incr("s:name"), redis.ResponseError, "not an integer")
check("incr of a non-integer refused", ok, detail)

# hashes
check("hset mapping", r.hset("h:user", mapping={"name": "ada", "age": "36", "lang": "en"}) == 3)
check("hgetall", r.hgetall("h:user") == {"name": "ada", "age": "36", "lang": "en"}, r.hgetall("h:user"))
check("hget/hmget", r.hget("h:user", "name") == "ada" and r.hmget("h:user", ["age", "nope"]) == ["36", None])
check("hincrby", r.hincrby("h:user", "age", 1) == 37)
check("hexists/hdel/hlen", r.hexists("h:user", "lang") and r.hdel("h:user", "lang") == 1 and r.hlen("h:user") == 2)
check("hsetnx", r.hsetnx("h:user", "name", "bob") == 0 and r.hget("h:user", "name") == "ada")

# lists, with blocking pops
check("rpush/lpush", r.rpush("l:q", "b", "c") == 2 and r.lpush("l:q", "a") == 3)
check("lrange", r.lrange("l:q", 0, -1) == ["a", "b", "c"])
check("lpop/rpop", r.lpop("l:q") == "a" and r.rpop("l:q") == "c" and r.llen("l:q") == 1)
check("blpop of a ready item", r.blpop(["l:empty", "l:q"], timeout=1) == ("l:q", "b"))
t0 = time.monotonic()
got = r.blpop(["l:empty"], timeout=1)
waited = time.monotonic() - t0
check("blpop times out with None", got is None and 0.8 <= waited < 5, f"{got!r} after {waited:.2f}s")
threading.Timer(0.3, lambda: other.rpush("l:later", "woken")).start()
t0 = time.monotonic()
got = r.blpop(["l:later"], timeout=5)
check("blpop woken by another client's push", got == ("l:later", "woken") and time.monotonic() - t0 < 4, got)
r.rpush("l:trim", *range(10))
r.ltrim("l:trim", 0, 2)
check("ltrim/lindex", r.lrange("l:trim", 0, -1) == ["0", "1", "2"] and r.lindex("l:trim", -1) == "2")
check("lmove", r.lmove("l:trim", "l:dst", "LEFT", "RIGHT") == "0" and r.lrange("l:dst", 0, -1) == ["0"])

# sets
check("sadd", r.sadd("set:a", "x", "y", "z") == 3 and r.sadd("set:a", "x") == 0)
r.sadd("set:b", "y", "z", "w")
check("smembers", r.smembers("set:a") == {"x", "y", "z"})
check("sismember/scard", r.sismember("set:a", "y") and not r.sismember("set:a", "w") and r.scard("set:b") == 3)
check("sinter/sunion/sdiff", r.sinter("set:a", "set:b") == {"y", "z"}
      and r.sunion("set:a", "set:b") == {"x", "y", "z", "w"} and r.sdiff("set:a", "set:b") == {"x"})
check("srem", r.srem("set:a", "x", "nope") == 1 and r.scard("set:a") == 2)

# sorted sets
check("zadd", r.zadd("z:board", {"ann": 10, "bob": 25.5, "cat": 40, "dan": 70}) == 4)
check("zrangebyscore", r.zrangebyscore("z:board", 20, 50) == ["bob", "cat"])
check("zrangebyscore withscores, exclusive, limit",
      r.zrangebyscore("z:board", "(10", "+inf", start=0, num=2, withscores=True) == [("bob", 25.5), ("cat", 40.0)],
      r.zrangebyscore("z:board", "(10", "+inf", start=0, num=2, withscores=True))
check("zrevrangebyscore", r.zrevrangebyscore("z:board", "+inf", 40) == ["dan", "cat"])
check("zincrby/zscore", r.zincrby("z:board", 5, "ann") == 15.0 and r.zscore("z:board", "ann") == 15.0)
check("zrank/zrevrank", r.zrank("z:board", "ann") == 0 and r.zrevrank("z:board", "ann") == 3)
check("zcount/zcard", r.zcount("z:board", 15, 40) == 3 and r.zcard("z:board") == 4)
check("zrem/zremrangebyscore", r.zrem("z:board", "dan") == 1 and r.zremrangebyscore("z:board", 0, 20) == 1
      and r.zrange("z:board", 0, -1) == ["bob", "cat"])

# pipelines and transactions
p = r.pipeline(transaction=False)
p.set("p:a", 1).incr("p:a").get("p:a").lrange("l:none", 0, -1)
check("pipeline without transaction", p.execute() == [True, 2, "2", []])
with r.pipeline() as p:
    p.multi()
    p.set("t:x", "1")
    p.incrby("t:x", 9)
    p.hset("t:h", "k", "v")
    check("MULTI/EXEC", p.execute() == [True, 10, 1])
r.set("t:balance", 100)
with r.pipeline() as p:
    p.watch("t:balance")
    seen = int(p.get("t:balance"))
    other.set("t:balance", 500)  # another client writes between WATCH and EXEC
    p.multi()
    p.set("t:balance", seen - 30)
    ok, detail = raises(p.execute, redis.WatchError)
check("WATCH conflict raises WatchError", ok, detail)
check("WATCH conflict discarded the transaction", r.get("t:balance") == "500", r.get("t:balance"))
tries = []


def debit(pipe):
    tries.append(1)
    value = int(pipe.get("t:balance"))
    if len(tries) == 1:
        other.incr("t:balance")  # first attempt loses the race
    pipe.multi()
    pipe.set("t:balance", value - 30)


r.transaction(debit, "t:balance")
check("transaction() retries after a conflict", len(tries) == 2 and r.get("t:balance") == "471",
      f"{len(tries)} tries, balance {r.get('t:balance')}")
with r.pipeline() as p:
    p.multi()
    p.set("t:y", "a")
    p.lpush("t:y", "b")  # WRONGTYPE at EXEC time: the SET still applies
    try:
        res = p.execute(raise_on_error=False)
        check("EXEC with a failing command", res[0] is True and isinstance(res[1], redis.ResponseError), res)
    except redis.ResponseError as e:
        check("EXEC with a failing command", False, e)
check("EXEC applied the other commands", r.get("t:y") == "a")

# pub/sub
ps = other.pubsub()
ps.subscribe("news")
ps.psubscribe("log.*")


def next_message(kinds, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = ps.get_message(timeout=0.2)
        if m and m["type"] in kinds:
            return m
    return None


check("subscribe confirmed", next_message({"subscribe"}) is not None)
check("psubscribe confirmed", next_message({"psubscribe"}) is not None)
check("publish reaches a subscriber", r.publish("news", "hello") == 1)
m = next_message({"message"})
check("message received", m is not None and m["channel"] == "news" and m["data"] == "hello", m)
r.publish("log.error", "disk")
m = next_message({"pmessage"})
check("pattern message received", m is not None and m["pattern"] == "log.*" and m["channel"] == "log.error"
      and m["data"] == "disk", m)
check("pubsub numsub", r.pubsub_numsub("news") == [("news", 1)], r.pubsub_numsub("news"))
ps.unsubscribe("news")
next_message({"unsubscribe"})
check("publish after unsubscribe reaches nobody", r.publish("news", "again") == 0)
ps.close()

# Lua
check("EVAL", r.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, "lua:n", 5) == 5)
check("EVAL returns tables", r.eval("return {KEYS[1], ARGV[1], 3}", 1, "k", "a") == ["k", "a", 3])
src = "local v = redis.call('GET', KEYS[1]) or '0'; return tonumber(v) * tonumber(ARGV[1])"
sha = r.script_load(src)
check("SCRIPT LOAD/EXISTS", len(sha) == 40 and r.script_exists(sha) == [True])
check("EVALSHA", r.evalsha(sha, 1, "lua:n", 3) == 15)
script = r.register_script(src)
r.script_flush()
check("SCRIPT FLUSH", r.script_exists(sha) == [False])
ok, detail = raises(lambda: r.evalsha(sha, 1, "lua:n", 3), redis.exceptions.NoScriptError)
check("EVALSHA of an unknown script raises NoScriptError", ok, detail)
check("Script object reloads after NOSCRIPT", script(keys=["lua:n"], args=[4]) == 20)
ok, detail = raises(lambda: r.eval("return redis.call('NOPE')", 0), redis.ResponseError)
check("a failing script raises ResponseError", ok, detail)

# SCAN
with r.pipeline(transaction=False) as p:
    for i in range(300):
        p.set(f"scan:{i}", i)
    p.execute()
seen = set(r.scan_iter(match="scan:*", count=50))
check("SCAN iterates every key once", seen == {f"scan:{i}" for i in range(300)}, len(seen))
cursor, batch = r.scan(0, match="scan:*", count=10)
check("SCAN returns a cursor", isinstance(cursor, int) and cursor != 0 and len(batch) < 300, (cursor, len(batch)))
check("SCAN with TYPE", set(r.scan_iter(match="h:*", _type="hash")) == {"h:user"})
r.hset("h:wide", mapping={f"f{i}": i for i in range(200)})
check("HSCAN", len(dict(r.hscan_iter("h:wide", match="f1*"))) == 111)
check("SSCAN/ZSCAN", set(r.sscan_iter("set:b")) == {"y", "z", "w"}
      and dict(r.zscan_iter("z:board")) == {"bob": 25.5, "cat": 40.0})

# streams and consumer groups
ids = [r.xadd("st:jobs", {"job": str(i), "kind": "embed"}) for i in range(5)]
check("XADD ids increase", ids == sorted(ids) and all("-" in i for i in ids), ids)
check("XLEN/XRANGE", r.xlen("st:jobs") == 5 and [e[0] for e in r.xrange("st:jobs")] == ids)
check("XGROUP CREATE", r.xgroup_create("st:jobs", "workers", id="0") is True)
ok, detail = raises(lambda: r.xgroup_create("st:jobs", "workers", id="0"), redis.ResponseError, "BUSYGROUP")
check("XGROUP CREATE twice raises BUSYGROUP", ok, detail)
got = r.xreadgroup("workers", "w1", {"st:jobs": ">"}, count=3)
check("XREADGROUP new entries", len(got) == 1 and got[0][0] == "st:jobs"
      and [e[0] for e in got[0][1]] == ids[:3] and got[0][1][0][1] == {"job": "0", "kind": "embed"}, got)
got2 = r.xreadgroup("workers", "w2", {"st:jobs": ">"}, count=10)
check("XREADGROUP another consumer gets the rest", [e[0] for e in got2[0][1]] == ids[3:], got2)
pending = r.xpending("st:jobs", "workers")
check("XPENDING", pending["pending"] == 5 and {c["name"]: c["pending"] for c in pending["consumers"]} == {"w1": 3, "w2": 2},
      pending)
check("XACK", r.xack("st:jobs", "workers", *ids[:3]) == 3 and r.xpending("st:jobs", "workers")["pending"] == 2)
again = r.xreadgroup("workers", "w1", {"st:jobs": "0"})
check("XREADGROUP history has nothing pending for w1 after XACK", again[0][1] == [], again)
t0 = time.monotonic()
got = r.xreadgroup("workers", "w1", {"st:jobs": ">"}, count=1, block=300)
check("XREADGROUP BLOCK times out", not got and time.monotonic() - t0 >= 0.25, got)
claimed = r.xautoclaim("st:jobs", "workers", "w1", min_idle_time=0, start_id="0-0")
check("XAUTOCLAIM moves pending entries", [e[0] for e in claimed[1]] == ids[3:], claimed)
check("XTRIM", r.xtrim("st:jobs", maxlen=2, approximate=False) == 3 and r.xlen("st:jobs") == 2)

# logical databases
db3 = redis.Redis(host=host, port=r.connection_pool.connection_kwargs["port"], db=3, decode_responses=True)
db3.flushdb()
db3.set("only-here", "3")
check("SELECT isolates keys", db3.get("only-here") == "3" and r.get("only-here") is None)
check("DBSIZE per database", db3.dbsize() == 1 and r.dbsize() > 300)
db3_url = redis.Redis.from_url(url.rsplit("/", 1)[0] + "/3", decode_responses=True)
check("database number in the URL", db3_url.get("only-here") == "3")
check("MOVE between databases", r.set("mv", "x") and r.move("mv", 3) and db3.get("mv") == "x" and r.get("mv") is None)
db3.flushdb()
check("FLUSHDB touches one database", db3.dbsize() == 0 and r.get("s:a") == "10")

# client names
check("CLIENT SETNAME/GETNAME", r.client_setname("conformance-main") is True and r.client_getname() == "conformance-main")
named = redis.Redis.from_url(url, decode_responses=True, client_name="conformance-named")
named.ping()
names = {c["name"] for c in r.client_list()}
check("CLIENT LIST shows the names", {"conformance-main", "conformance-named"} <= names, names)
check("CLIENT ID", isinstance(r.client_id(), int))

# type errors
r.set("wt:str", "x")
ok, detail = raises(lambda: r.lpush("wt:str", "a"), redis.ResponseError, "WRONGTYPE")
check("LPUSH on a string raises WRONGTYPE", ok, detail)
ok, detail = raises(lambda: r.hget("l:trim", "f"), redis.ResponseError, "WRONGTYPE")
check("HGET on a list raises WRONGTYPE", ok, detail)
check("TYPE", r.type("wt:str") == "string" and r.type("l:trim") == "list" and r.type("z:board") == "zset"
      and r.type("st:jobs") == "stream" and r.type("nothing") == "none")
ok, detail = raises(lambda: r.execute_command("NOSUCHCOMMAND"), redis.ResponseError, "unknown command")
check("unknown command raises ResponseError", ok, detail)

# a server that requires a password
def auth_client(password):
    return redis.Redis(host=host, port=auth_port, password=password, decode_responses=True,
                       socket_timeout=10, retry_on_timeout=False)


ok, detail = raises(lambda: auth_client(None).ping(), redis.AuthenticationError, "required")
check("no password raises AuthenticationError (NOAUTH)", ok, detail)
# redis-py before 4.4 raises WRONGPASS as a plain ResponseError (redis/redis-py#2325).
old = tuple(int(x) for x in VERSION.split(".")[:2]) < (4, 4)
ok, detail = raises(lambda: auth_client("wrong-password").ping(),
                    redis.ResponseError if old else redis.AuthenticationError, "WRONGPASS" if old else "")
check("a wrong password is refused" + (" (WRONGPASS)" if old else " with AuthenticationError"), ok, detail)
good = auth_client(auth_password)
check("the right password works", good.ping() is True and good.set("auth:k", "v") and good.get("auth:k") == "v")
by_url = redis.Redis.from_url(f"redis://:{auth_password}@{host}:{auth_port}/1", decode_responses=True)
check("password in the URL", by_url.ping() is True and by_url.get("auth:k") is None)
by_user = redis.Redis(host=host, port=auth_port, username="default", password=auth_password)
check("AUTH default user (ACL form)", by_user.ping() is True)
check("ACL WHOAMI", good.acl_whoami() == "default")

print(f"PASS redis-py {VERSION}")
