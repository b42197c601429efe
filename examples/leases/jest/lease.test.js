// Two tests writing the same row and key: each sees only its own, on top of the seeds.
const { Client } = require("pg");
const { createClient } = require("redis");
const { useLease } = require("./lease");

const lease = useLease();

test.each([1, 2])("isolated and seeded (run %i)", async () => {
  const db = new Client({ connectionString: lease.env.DATABASE_URL });
  await db.connect();
  try {
    const seeded = await db.query("SELECT count(*)::int AS n FROM samples WHERE external_id = 'S-0001'");
    expect(seeded.rows[0].n).toBe(1);
    await db.query("INSERT INTO samples (external_id, organism) VALUES ('T-1', 'E. coli')");
    const mine = await db.query("SELECT count(*)::int AS n FROM samples WHERE external_id = 'T-1'");
    expect(mine.rows[0].n).toBe(1);
  } finally {
    await db.end();
  }
  const r = createClient({ url: lease.env.REDIS_URL });
  await r.connect();
  try {
    expect(await r.get("counter")).toBeNull();
    expect(await r.incr("counter")).toBe(1);
  } finally {
    await r.close();
  }
});
