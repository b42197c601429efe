// A fresh, seeded, isolated slice of the stack for every test: its own database, Redis
// database, buckets and Qdrant collections. Plain HTTP to $BIODEV_LEASES_URL (from
// `eval "$(biodev env)"` or `biodev run`) with Node's fetch. The TTL gives the lease back
// should the test run die before its afterEach.
//
//   const { useLease } = require("./lease");
//   const lease = useLease();          // in a describe block or at the top of a file
//   test("...", () => { lease.env.DATABASE_URL ... });
function useLease({ ttl = 600 } = {}) {
  const url = process.env.BIODEV_LEASES_URL;
  if (!url) throw new Error("BIODEV_LEASES_URL is not set: run `eval \"$(biodev env)\"` or `biodev run -- ...`");
  const lease = { id: null, env: null };
  beforeEach(async () => {
    const res = await fetch(`${url}?ttl=${ttl}`, { method: "POST" });
    const body = await res.json();
    if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(body)}`);
    Object.assign(lease, body);
  });
  afterEach(async () => {
    if (!lease.id) return;
    const res = await fetch(`${url}/${lease.id}`, { method: "DELETE" });
    if (res.status !== 204) throw new Error(`DELETE ${url}/${lease.id}: ${res.status} ${await res.text()}`);
    lease.id = lease.env = null;
  });
  return lease;
}

module.exports = { useLease };
