// The official Qdrant JS client (@qdrant/js-client-rest, pinned in package.json) against
// a Qdrant REST endpoint: each check calls the client and compares the answer with what
// Qdrant 1.x returns. Run by tests/integration/test_qdrant_js_client.sh:
//
//   node conformance.mjs URL SNAPSHOTS_DIR
//
// URL is the server as this process reaches it; SNAPSHOTS_DIR is the server's snapshot
// folder as the server sees it (for a file:// recovery). Prints "ok NAME" or
// "FAIL NAME: why" per check, then "PASS @qdrant/js-client-rest VERSION (N checks)" or
// exits 1.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { QdrantClient } from '@qdrant/js-client-rest';

const [url, snapshotsDir] = process.argv.slice(2);
if (!url || !snapshotsDir) {
  console.error('usage: node conformance.mjs URL SNAPSHOTS_DIR');
  process.exit(2);
}
const { version } = JSON.parse(
  readFileSync(new URL('./node_modules/@qdrant/js-client-rest/package.json', import.meta.url), 'utf8'),
);
const client = new QdrantClient({ url, timeout: 20000 });

const UUID = '550e8400-e29b-41d4-a716-446655440000';
const POINTS = [
  { id: 1, vector: [1, 0, 0, 0], payload: { city: 'Berlin', n: 1, tags: ['a'] } },
  { id: 2, vector: [0.9, 0.1, 0, 0], payload: { city: 'Berlin', n: 2 } },
  { id: 3, vector: [0, 1, 0, 0], payload: { city: 'London', n: 3, tags: ['a', 'b'] } },
  { id: 4, vector: [0, 0.9, 0.1, 0], payload: { city: 'London', n: 4 } },
  { id: 5, vector: [0, 0, 1, 0], payload: { city: 'Paris', n: 5 } },
  { id: UUID, vector: [0, 0, 0, 1], payload: { city: 'Paris', n: 6, meta: { level: 'x' } } },
];
const berlin = { must: [{ key: 'city', match: { value: 'Berlin' } }] };

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok ${name}`);
  } catch (e) {
    failed += 1;
    const answer = e && e.data ? `\n  answer: ${JSON.stringify(e.data)}` : '';
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}${answer}`);
  }
}

const ids = (points) => points.map((p) => p.id);
const payload = async (collection, id) =>
  (await client.retrieve(collection, { ids: [id], with_payload: true }))[0].payload;

// A refused call: the client throws its ApiError with Qdrant's status and error body.
async function refused(promise, status, pattern) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.status, status, `status of ${e.message}`);
    assert.match(e.data.status.error, pattern);
    return true;
  });
}

await check('createCollection, getCollection, collectionExists, getCollections', async () => {
  assert.equal(await client.createCollection('docs', { vectors: { size: 4, distance: 'Cosine' } }), true);
  const info = await client.getCollection('docs');
  assert.equal(info.status, 'green');
  assert.deepEqual(info.config.params.vectors, { size: 4, distance: 'Cosine' });
  assert.deepEqual(await client.collectionExists('docs'), { exists: true });
  assert.deepEqual(await client.collectionExists('nope'), { exists: false });
  assert.ok((await client.getCollections()).collections.some((c) => c.name === 'docs'));
});

await check('upsert (points and batch, wait=false acknowledged), count', async () => {
  const done = await client.upsert('docs', { wait: true, points: POINTS });
  assert.equal(done.status, 'completed');
  assert.equal(typeof done.operation_id, 'number');
  const acked = await client.upsert('docs', {
    wait: false,
    batch: { ids: [7], vectors: [[0.5, 0.5, 0.5, 0.5]], payloads: [{ city: 'Rome', n: 7 }] },
  });
  assert.equal(acked.status, 'acknowledged');
  assert.deepEqual(await client.count('docs', { exact: true }), { count: 7 });
  assert.deepEqual(await client.count('docs', { filter: berlin }), { count: 2 });
});

await check('search with filter', async () => {
  const hits = await client.search('docs', { vector: [1, 0, 0, 0], filter: berlin, limit: 5 });
  assert.deepEqual(ids(hits), [1, 2]);
  assert.ok(Math.abs(hits[0].score - 1) < 1e-6, `score ${hits[0].score}`);
  assert.ok(hits[1].score < hits[0].score);
  assert.equal(hits[0].payload.city, 'Berlin');
  const ranged = await client.search('docs', {
    vector: [0, 1, 0, 0],
    filter: { must: [{ key: 'n', range: { gte: 3, lt: 7 } }], must_not: [{ key: 'city', match: { value: 'Paris' } }] },
    with_payload: false,
  });
  assert.deepEqual(ids(ranged), [3, 4]);
  assert.equal(ranged[0].payload, null);
  const tagged = await client.search('docs', {
    vector: [1, 0, 0, 0],
    filter: { should: [{ key: 'tags', match: { any: ['b'] } }, { has_id: [UUID] }] },
  });
  assert.deepEqual(ids(tagged).sort(), [3, UUID].sort());
});

await check('query: vector, nearest, point id, recommend', async () => {
  const byVector = await client.query('docs', { query: [0, 0, 1, 0], limit: 2 });
  assert.equal(byVector.points[0].id, 5);
  const nearest = await client.query('docs', { query: { nearest: [0, 0, 0, 1] }, limit: 1, with_payload: true });
  assert.equal(nearest.points[0].id, UUID);
  assert.deepEqual(nearest.points[0].payload.meta, { level: 'x' });
  const byId = await client.query('docs', { query: 3, limit: 1 });
  assert.deepEqual(ids(byId.points), [4]);  // the nearest to 3, 3 itself left out
  const reco = await client.query('docs', { query: { recommend: { positive: [1] } }, limit: 1 });
  assert.deepEqual(ids(reco.points), [2]);
});

await check('scroll pages, retrieve with vectors', async () => {
  const first = await client.scroll('docs', { limit: 4, with_payload: true });
  assert.deepEqual(ids(first.points), [1, 2, 3, 4]);
  assert.equal(first.next_page_offset, 5);
  const rest = await client.scroll('docs', { limit: 4, offset: first.next_page_offset });
  assert.deepEqual(ids(rest.points), [5, 7, UUID]);
  assert.equal(rest.next_page_offset, null);
  const filtered = await client.scroll('docs', { filter: berlin, with_payload: ['n'] });
  assert.deepEqual(filtered.points.map((p) => p.payload), [{ n: 1 }, { n: 2 }]);
  const got = await client.retrieve('docs', { ids: [2, UUID, 99], with_vector: true });
  assert.deepEqual(ids(got), [2, UUID]);
  assert.equal(got[1].vector.length, 4);
  assert.ok(Math.abs(got[1].vector[3] - 1) < 1e-6);
});

await check('createPayloadIndex, deletePayloadIndex', async () => {
  const made = await client.createPayloadIndex('docs', { field_name: 'city', field_schema: 'keyword', wait: true });
  assert.equal(made.status, 'completed');
  await client.createPayloadIndex('docs', { field_name: 'n', field_schema: { type: 'integer' } });
  const schema = (await client.getCollection('docs')).payload_schema;
  assert.deepEqual(schema.city, { data_type: 'keyword', points: 7 });
  assert.equal(schema.n.data_type, 'integer');
  assert.equal((await client.deletePayloadIndex('docs', 'n')).status, 'completed');
  assert.deepEqual(Object.keys((await client.getCollection('docs')).payload_schema), ['city']);
});

await check('setPayload, overwritePayload, deletePayload, clearPayload', async () => {
  assert.equal((await client.setPayload('docs', { payload: { lang: 'de' }, points: [1] })).status, 'completed');
  assert.deepEqual(await payload('docs', 1), { city: 'Berlin', n: 1, tags: ['a'], lang: 'de' });
  await client.setPayload('docs', { payload: { seen: true }, filter: berlin });
  assert.equal((await payload('docs', 2)).seen, true);
  await client.setPayload('docs', { payload: { level: 'y', extra: 1 }, points: [UUID], key: 'meta' });
  assert.deepEqual((await payload('docs', UUID)).meta, { level: 'y', extra: 1 });
  await client.overwritePayload('docs', { payload: { only: 1 }, points: [3] });
  assert.deepEqual(await payload('docs', 3), { only: 1 });
  await client.deletePayload('docs', { keys: ['lang', 'seen'], filter: berlin });
  assert.deepEqual(await payload('docs', 1), { city: 'Berlin', n: 1, tags: ['a'] });
  assert.deepEqual(await payload('docs', 2), { city: 'Berlin', n: 2 });
  await client.clearPayload('docs', { points: [7] });
  assert.deepEqual(await payload('docs', 7), {});
  await refused(client.setPayload('docs', { payload: { a: 1 }, points: [1, 404] }), 404, /No point with id 404/);
});

await check('recommend: positive and negative ids and vectors', async () => {
  const hits = await client.recommend('docs', { positive: [1], limit: 3 });
  assert.deepEqual(ids(hits).slice(0, 1), [2]);
  assert.ok(!ids(hits).includes(1), 'an example is not recommended');
  const away = await client.recommend('docs', { positive: [[0, 0, 1, 0]], negative: [5], strategy: 'average_vector', limit: 1 });
  assert.deepEqual(ids(away), [7]);  // 2 * (0,0,1,0) - (0,0,1,0) = (0,0,1,0), 5 left out: 7 is next
  const filtered = await client.recommend('docs', { positive: [3], negative: [1], filter: { must: [{ key: 'n', range: { gte: 4 } }] } });
  assert.equal(filtered[0].id, 4);
  const batch = await client.recommendBatch('docs', { searches: [{ positive: [1], limit: 1 }, { positive: [3], limit: 1 }] });
  assert.deepEqual(batch.map(ids), [[2], [4]]);
});

await check('discoverPoints, discoverBatchPoints', async () => {
  // Ranked by the context pair (closer to 3 than to 5 counts +1), then by the target.
  const hits = await client.discoverPoints('docs', { target: [1, 0, 0, 0], context: [{ positive: 3, negative: 5 }], limit: 2 });
  assert.deepEqual(ids(hits), [2, 4]);
  assert.ok(hits[0].score > 1 && hits[1].score > 1, `scores ${hits.map((h) => h.score)}`);
  const batch = await client.discoverBatchPoints('docs', { searches: [{ target: 1, limit: 1 }] });
  assert.deepEqual(batch.map(ids), [[2]]);
});

await check('searchBatch, queryBatch', async () => {
  const searches = await client.searchBatch('docs', {
    searches: [
      { vector: [1, 0, 0, 0], limit: 1 },
      { vector: [0, 0, 0, 1], limit: 2, filter: { must: [{ key: 'city', match: { value: 'Paris' } }] }, with_payload: true },
    ],
  });
  assert.equal(searches.length, 2);
  assert.deepEqual(ids(searches[0]), [1]);
  assert.deepEqual(ids(searches[1]), [UUID, 5]);
  assert.equal(searches[1][1].payload.city, 'Paris');
  const queries = await client.queryBatch('docs', { searches: [{ query: [0, 1, 0, 0], limit: 2 }, { query: { nearest: 5 }, limit: 1 }] });
  assert.deepEqual(queries.map((r) => ids(r.points)), [[3, 4], [7]]);
});

await check('searchPointGroups, recommendPointGroups', async () => {
  const found = await client.searchPointGroups('docs', { vector: [1, 0.2, 0, 0], group_by: 'city', group_size: 2, limit: 2 });
  assert.deepEqual(found.groups.map((g) => g.id), ['Berlin', 'London']);
  assert.deepEqual(ids(found.groups[0].hits), [2, 1]);
  assert.deepEqual(ids(found.groups[1].hits), [4]);  // 3's city was overwritten away
  // Nearest to 5 (left out): 7 (no city since clearPayload), then London's 4, then ties.
  const reco = await client.recommendPointGroups('docs', { positive: [5], group_by: 'city', group_size: 1, limit: 3 });
  assert.equal(reco.groups[0].id, 'London');
  assert.deepEqual(ids(reco.groups[0].hits), [4]);
  assert.deepEqual(reco.groups.map((g) => g.id).sort(), ['Berlin', 'London', 'Paris']);
  assert.ok(reco.groups.every((g) => g.hits.length === 1 && g.hits[0].id !== 5));
});

await check('batchUpdate: upsert, set/overwrite/delete/clear payload, vectors, delete', async () => {
  const results = await client.batchUpdate('docs', {
    operations: [
      { upsert: { points: [{ id: 8, vector: [0, 0, 0.5, 0.5], payload: { city: 'Oslo' } }] } },
      { set_payload: { payload: { batch: true }, points: [8, 1] } },
      { overwrite_payload: { payload: { city: 'Madrid' }, points: [7] } },
      { delete_payload: { keys: ['tags'], points: [1] } },
      { clear_payload: { points: [3] } },
      { update_vectors: { points: [{ id: 2, vector: [0, 0, 0, 1] }] } },
      { delete_vectors: { points: [4], vector: [''] } },
      { delete: { points: [5] } },
    ],
  });
  assert.equal(results.length, 8);
  assert.ok(results.every((r) => r.status === 'completed'));
  assert.deepEqual(await payload('docs', 8), { city: 'Oslo', batch: true });
  assert.deepEqual(await payload('docs', 1), { city: 'Berlin', n: 1, batch: true });
  assert.deepEqual(await payload('docs', 7), { city: 'Madrid' });
  assert.deepEqual(await payload('docs', 3), {});
  assert.equal((await client.search('docs', { vector: [0, 0, 0, 1], limit: 1, filter: { must: [{ has_id: [2] }] } }))[0].score > 0.99, true);
  assert.ok(!ids(await client.search('docs', { vector: [0, 1, 0, 0], limit: 10 })).includes(4), 'a point without its vector is not searched');
  assert.deepEqual(await client.count('docs'), { count: 7 });
});

await check('delete by filter and by ids', async () => {
  const done = await client.delete('docs', { wait: true, filter: { must: [{ key: 'city', match: { any: ['Oslo', 'Madrid'] } }] } });
  assert.equal(done.status, 'completed');
  assert.deepEqual(await client.count('docs'), { count: 5 });
  await client.delete('docs', { points: [4] });
  assert.deepEqual(ids((await client.scroll('docs', {})).points), [1, 2, 3, UUID]);
});

await check('updateCollection', async () => {
  assert.equal(await client.updateCollection('docs', { optimizers_config: { indexing_threshold: 10000 }, params: { replication_factor: 1 } }), true);
  assert.equal(await client.updateCollection('docs', { hnsw_config: { m: 32 } }), true);
});

await check('updateCollectionAliases, getAliases, getCollectionAliases, the alias as the collection', async () => {
  assert.equal(await client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'docs', alias_name: 'docs-live' } }] }), true);
  assert.deepEqual((await client.getAliases()).aliases, [{ alias_name: 'docs-live', collection_name: 'docs' }]);
  assert.deepEqual((await client.getCollectionAliases('docs')).aliases, [{ alias_name: 'docs-live', collection_name: 'docs' }]);
  assert.deepEqual(ids(await client.search('docs-live', { vector: [1, 0, 0, 0], limit: 1 })), [1]);
  await client.upsert('docs-live', { points: [{ id: 9, vector: [0, 1, 1, 0] }] });
  assert.deepEqual(await client.count('docs'), { count: 5 });
  await client.updateCollectionAliases({
    actions: [
      { rename_alias: { old_alias_name: 'docs-live', new_alias_name: 'docs-prod' } },
      { create_alias: { collection_name: 'docs', alias_name: 'docs-old' } },
      { delete_alias: { alias_name: 'docs-old' } },
    ],
  });
  assert.deepEqual((await client.getAliases()).aliases.map((a) => a.alias_name), ['docs-prod']);
  await refused(client.getCollection('docs-live'), 404, /doesn't exist/);
  await refused(client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'none', alias_name: 'x' } }] }), 404, /none/);
});

await check('createSnapshot, listSnapshots, recoverSnapshot (URL and file://), deleteSnapshot', async () => {
  const snapshot = await client.createSnapshot('docs');
  assert.match(snapshot.name, /^docs-.*\.snapshot$/);
  assert.match(snapshot.checksum, /^[0-9a-f]{64}$/);
  assert.ok(snapshot.size > 0);
  const listed = await client.listSnapshots('docs');
  assert.deepEqual(listed.map((s) => s.name), [snapshot.name]);
  const location = `${url}/collections/docs/snapshots/${encodeURIComponent(snapshot.name)}`;
  assert.equal(await client.recoverSnapshot('restored', { location, checksum: snapshot.checksum }), true);
  const restored = await client.getCollection('restored');
  assert.equal(restored.points_count, 5);
  assert.equal(restored.payload_schema.city.data_type, 'keyword');
  assert.deepEqual(ids(await client.search('restored', { vector: [1, 0, 0, 0], limit: 1 })), [1]);
  await client.delete('docs', { points: [1, 2] });
  const file = `file://${snapshotsDir}/docs/${snapshot.name}`;
  assert.equal(await client.recoverSnapshot('docs-prod', { location: file, priority: 'snapshot' }), true);
  assert.deepEqual(await client.count('docs'), { count: 5 });
  await refused(client.recoverSnapshot('restored', { location, checksum: '0'.repeat(64) }), 400, /checksum mismatch/);
  assert.equal(await client.deleteSnapshot('docs', snapshot.name), true);
  assert.deepEqual(await client.listSnapshots('docs'), []);
  await refused(client.deleteSnapshot('docs', snapshot.name), 404, /not found/);
});

await check('errors: missing collection 404, wrong vector dimension 400, bad filter 400', async () => {
  await refused(client.getCollection('missing'), 404, /Collection `missing` doesn't exist!/);
  await refused(client.search('missing', { vector: [1, 0, 0, 0] }), 404, /doesn't exist/);
  await refused(client.upsert('missing', { points: POINTS }), 404, /doesn't exist/);
  await refused(client.upsert('docs', { points: [{ id: 10, vector: [1, 0] }] }), 400, /Vector dimension error: expected dim: 4, got 2/);
  await refused(client.search('docs', { vector: [1, 0, 0] }), 400, /expected dim: 4, got 3/);
  await refused(client.createCollection('docs', { vectors: { size: 4, distance: 'Cosine' } }), 409, /already exists/);
  await refused(client.count('docs', { filter: { must: [{ geo_radius: {} }] } }), 400, /unsupported filter condition|Format error/);
});

await check('deleteCollection', async () => {
  assert.equal(await client.deleteCollection('restored'), true);
  assert.equal(await client.deleteCollection('docs'), true);
  assert.deepEqual((await client.getAliases()).aliases, []);
  assert.equal(await client.deleteCollection('docs'), false);
});

if (failed > 0) {
  console.log(`FAILED @qdrant/js-client-rest ${version}: ${failed} of ${passed + failed} checks`);
  process.exit(1);
}
console.log(`PASS @qdrant/js-client-rest ${version} (${passed} checks)`);
