// The s3rver image's SigV4 front (images/s3rver/sigv4.js) against the examples in AWS's
// S3 documentation ("Signature Calculations for the Authorization Header", "Query
// Parameters" and "Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks"), and the ways a request must be refused.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const sigv4 = require(path.join(__dirname, '../../images/s3rver/sigv4.js'));

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const secretFor = key => (key === AKID ? SECRET : undefined);
const NOW = Date.UTC(2013, 4, 24, 0, 5, 0);
const EMPTY = sigv4.EMPTY_SHA256;

const auth = (signed, signature, date = '20130524') =>
  `AWS4-HMAC-SHA256 Credential=${AKID}/${date}/us-east-1/s3/aws4_request,SignedHeaders=${signed},Signature=${signature}`;

function getObject(signature = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41', extra = []) {
  return {
    method: 'GET',
    url: '/test.txt',
    rawHeaders: ['Host', 'examplebucket.s3.amazonaws.com', 'Range', 'bytes=0-9',
      'x-amz-content-sha256', EMPTY, 'x-amz-date', '20130524T000000Z',
      'Authorization', auth('host;range;x-amz-content-sha256;x-amz-date', signature), ...extra],
  };
}

function failure(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof sigv4.S3Failure, String(e));
    return e;
  }
  assert.fail('expected the request to be refused');
}

test('GET Object: the documented signature is accepted', () => {
  const v = sigv4.verify(getObject(), secretFor, NOW);
  assert.strictEqual(v.accessKey, AKID);
  assert.strictEqual(v.payload, EMPTY);
  assert.strictEqual(v.scope, '20130524/us-east-1/s3/aws4_request');
});

test('PUT Object: Date signed, $ in the key, a body hash', () => {
  const v = sigv4.verify({
    method: 'PUT',
    url: '/test$file.text',
    rawHeaders: ['Host', 'examplebucket.s3.amazonaws.com', 'Date', 'Fri, 24 May 2013 00:00:00 GMT',
      'x-amz-date', '20130524T000000Z', 'x-amz-storage-class', 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256', '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
      'Authorization', auth('date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
        '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd')],
  }, secretFor, NOW);
  assert.strictEqual(v.payload, sigv4.sha256('Welcome to Amazon S3.'));
});

test('GET Bucket lifecycle and List Objects: the query is canonicalized', () => {
  const req = (url, signature) => ({
    method: 'GET', url,
    rawHeaders: ['Host', 'examplebucket.s3.amazonaws.com', 'x-amz-date', '20130524T000000Z',
      'x-amz-content-sha256', EMPTY,
      'Authorization', auth('host;x-amz-content-sha256;x-amz-date', signature)],
  });
  sigv4.verify(req('/?lifecycle', 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'), secretFor, NOW);
  sigv4.verify(req('/?max-keys=2&prefix=J', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'), secretFor, NOW);
  // The same query in another order signs the same.
  sigv4.verify(req('/?prefix=J&max-keys=2', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'), secretFor, NOW);
});

const PRESIGNED = '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
  '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
const presigned = url => ({ method: 'GET', url, rawHeaders: ['Host', 'examplebucket.s3.amazonaws.com'] });

test('presigned GET: accepted until it expires, then AccessDenied', () => {
  assert.strictEqual(sigv4.verify(presigned(PRESIGNED), secretFor, NOW).payload, 'UNSIGNED-PAYLOAD');
  const e = failure(() => sigv4.verify(presigned(PRESIGNED), secretFor, NOW + 86401 * 1000));
  assert.deepStrictEqual([e.status, e.code, e.message], [403, 'AccessDenied', 'Request has expired']);
  const week = failure(() => sigv4.verify(presigned(PRESIGNED.replace('86400', '604801')), secretFor, NOW));
  assert.deepStrictEqual([week.status, week.code], [400, 'AuthorizationQueryParametersError']);
  const changed = failure(() => sigv4.verify(presigned(PRESIGNED.replace('/test.txt', '/other.txt')), secretFor, NOW));
  assert.strictEqual(changed.code, 'SignatureDoesNotMatch');
});

test('a wrong secret key: 403 SignatureDoesNotMatch with what S3 shows', () => {
  const e = failure(() => sigv4.verify(getObject(), () => 'not-the-secret', NOW));
  assert.deepStrictEqual([e.status, e.code], [403, 'SignatureDoesNotMatch']);
  assert.strictEqual(e.detail.AWSAccessKeyId, AKID);
  assert.match(e.detail.StringToSign, /^AWS4-HMAC-SHA256\n20130524T000000Z\n20130524\/us-east-1\/s3\/aws4_request\n7344ae5b/);
  assert.match(e.detail.CanonicalRequest, /^GET\n\/test.txt\n\nhost:examplebucket/);
  const xml = sigv4.errorXml(e, 'ID');
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>SignatureDoesNotMatch<\/Code>/);
  assert.match(xml, /<RequestId>ID<\/RequestId><\/Error>$/);
});

test('an unknown access key: 403 InvalidAccessKeyId', () => {
  const e = failure(() => sigv4.verify(getObject(), () => undefined, NOW));
  assert.deepStrictEqual([e.status, e.code, e.detail.AWSAccessKeyId], [403, 'InvalidAccessKeyId', AKID]);
});

test('clock skew over 15 minutes: 403 RequestTimeTooSkewed', () => {
  sigv4.verify(getObject(), secretFor, Date.UTC(2013, 4, 24, 0, 14, 59));
  const e = failure(() => sigv4.verify(getObject(), secretFor, Date.UTC(2013, 4, 24, 0, 15, 1)));
  assert.deepStrictEqual([e.status, e.code], [403, 'RequestTimeTooSkewed']);
});

test('an x-amz header that was not signed: 403 AccessDenied', () => {
  const e = failure(() => sigv4.verify(getObject(undefined, ['x-amz-meta-extra', '1']), secretFor, NOW));
  assert.deepStrictEqual([e.status, e.code, e.detail.HeadersNotSigned], [403, 'AccessDenied', 'x-amz-meta-extra']);
});

test('malformed authorization: missing parts, another date, service or region', () => {
  const base = getObject();
  const withAuth = value => ({ ...base, rawHeaders: base.rawHeaders.slice(0, -2).concat('Authorization', value) });
  assert.strictEqual(failure(() => sigv4.verify(withAuth('AWS4-HMAC-SHA256 Credential=x'), secretFor, NOW)).code,
    'AuthorizationHeaderMalformed');
  const date = failure(() => sigv4.verify(withAuth(auth('host', 'ab', '20130525')), secretFor, NOW));
  assert.match(date.message, /Invalid credential date "20130525"/);
  const svc = failure(() => sigv4.verify(withAuth(auth('host', 'ab').replace('/s3/', '/iam/')), secretFor, NOW));
  assert.match(svc.message, /incorrect service "iam"/);
  const region = failure(() => sigv4.verify(base, secretFor, NOW, { region: 'eu-west-1' }));
  assert.deepStrictEqual([region.status, region.detail.Region], [400, 'eu-west-1']);
  const noHash = { ...base, rawHeaders: base.rawHeaders.filter((h, i, a) => h !== 'x-amz-content-sha256' && a[i - 1] !== 'x-amz-content-sha256') };
  assert.strictEqual(failure(() => sigv4.verify(noHash, secretFor, NOW)).code, 'InvalidRequest');
});

test('not SigV4: anonymous and SigV2 are left to the caller', () => {
  assert.strictEqual(sigv4.verify({ method: 'GET', url: '/b/k', rawHeaders: ['Host', 'x'] }, secretFor, NOW), null);
  assert.strictEqual(sigv4.verify({ method: 'GET', url: '/b/k', rawHeaders: ['Authorization', 'AWS a:b'] }, secretFor, NOW), null);
});

test('canonical URI and query: decoded once, encoded the SigV4 way', () => {
  assert.strictEqual(sigv4.canonicalUri('/b/a%20b+c!'), '/b/a%20b%2Bc%21');
  assert.strictEqual(sigv4.canonicalUri(''), '/');
  assert.strictEqual(sigv4.canonicalQuery(sigv4.parseQuery('b=2&a=x+y&a=%2F&uploads')), 'a=%2F&a=x%20y&b=2&uploads=');
});

// "Transferring Payload in Multiple Chunks": 66560 bytes of 'a' in chunks of 64 KiB and 1 KiB.
function chunkedExample() {
  const verified = sigv4.verify({
    method: 'PUT',
    url: '/examplebucket/chunkObject.txt',
    rawHeaders: ['Host', 's3.amazonaws.com', 'x-amz-date', '20130524T000000Z',
      'x-amz-storage-class', 'REDUCED_REDUNDANCY', 'x-amz-content-sha256', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'Content-Encoding', 'aws-chunked', 'x-amz-decoded-content-length', '66560', 'Content-Length', '66824',
      'Authorization', auth('content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class',
        '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9')],
  }, secretFor, NOW);
  const body = Buffer.concat([
    Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
    Buffer.alloc(65536, 'a'), Buffer.from('\r\n'),
    Buffer.from('400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
    Buffer.alloc(1024, 'a'), Buffer.from('\r\n'),
    Buffer.from('0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
  ]);
  return { verified, body };
}

test('aws-chunked: every chunk signature checked, framing removed, fed in any pieces', () => {
  const { verified, body } = chunkedExample();
  assert.strictEqual(body.length, 66824);
  for (const step of [1, 7, 4096, body.length]) {
    const d = new sigv4.ChunkDecoder(verified, 66560);
    const out = [];
    for (let i = 0; i < body.length; i += step) out.push(...d.feed(body.subarray(i, i + step)));
    d.finish();
    const data = Buffer.concat(out);
    assert.strictEqual(data.length, 66560);
    assert.ok(data.every(b => b === 97));
  }
});

test('aws-chunked: a changed byte, a cut body or a wrong length is refused', () => {
  const { verified, body } = chunkedExample();
  const tampered = Buffer.from(body);
  tampered[200] = 98;
  const e = failure(() => new sigv4.ChunkDecoder(verified, 66560).feed(tampered));
  assert.deepStrictEqual([e.status, e.code], [403, 'SignatureDoesNotMatch']);
  const cut = new sigv4.ChunkDecoder(verified, 66560);
  cut.feed(body.subarray(0, 70000 - 5000));
  assert.strictEqual(failure(() => cut.finish()).code, 'IncompleteBody');
  const wrong = new sigv4.ChunkDecoder(verified, 66561);
  wrong.feed(body);
  assert.strictEqual(failure(() => wrong.finish()).code, 'IncompleteBody');
});

test('STREAMING-UNSIGNED-PAYLOAD-TRAILER: chunks and trailer removed', () => {
  const d = new sigv4.ChunkDecoder({ payload: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }, 11);
  const out = d.feed(Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n'));
  d.finish();
  assert.strictEqual(Buffer.concat(out).toString(), 'hello world');
});
