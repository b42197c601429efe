// AWS Signature Version 4 as S3 checks it, for the verifying front (sigv4-verify.js).
// Pure functions over a request's method, raw URL and raw headers: no I/O and no clock
// (the time is an argument), so tests/unit/sigv4_verify.test.js runs them against AWS's
// published S3 examples. Errors are S3's: { status, code, message, detail }.
'use strict';

const crypto = require('crypto');

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const sha256 = data => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

class S3Failure extends Error {
  constructor(status, code, message, detail = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

const denied = (code, message, detail) => new S3Failure(403, code, message, detail);
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const hashMismatch = (claimed, actual) =>
  new S3Failure(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.",
    { ClientComputedContentSHA256: claimed, S3ComputedContentSHA256: actual });
const malformedHeader = message =>
  new S3Failure(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; ' + message);
const malformedQuery = message => new S3Failure(400, 'AuthorizationQueryParametersError', message);

// RFC 3986 as SigV4 wants it: A-Z a-z 0-9 - _ . ~ kept, everything else %XX (upper case,
// UTF-8 bytes); '/' kept unless encodeSlash.
function uriEncode(s, encodeSlash) {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (c === '/' && !encodeSlash)) out += c;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function decode(s, plusIsSpace) {
  const text = plusIsSpace ? s.replace(/\+/g, ' ') : s;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;  // a stray '%': taken as written, as S3 does
  }
}

// The path as S3 canonicalizes it: decoded once, then encoded with '/' kept, so a client
// that encoded '!' or '(' and one that did not sign the same URI.
function canonicalUri(rawPath) {
  return uriEncode(decode(rawPath || '/', false), false) || '/';
}

// The query as pairs [name, value], decoded ('+' is a space, as in a form).
function parseQuery(rawQuery) {
  if (!rawQuery) return [];
  return rawQuery.split('&').filter(Boolean).map(part => {
    const eq = part.indexOf('=');
    return eq < 0 ? [decode(part, true), ''] : [decode(part.slice(0, eq), true), decode(part.slice(eq + 1), true)];
  });
}

function canonicalQuery(pairs) {
  return pairs
    .map(([k, v]) => [uriEncode(k, true), uriEncode(v, true)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => k + '=' + v)
    .join('&');
}

// Header values by lowercase name from Node's rawHeaders ([name, value, name, value...]):
// repeated names joined with ',' in the order sent, values trimmed, inner spaces collapsed.
function headerMap(rawHeaders) {
  const map = new Map();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = String(rawHeaders[i + 1]).trim().replace(/\s+/g, ' ');
    map.set(name, map.has(name) ? map.get(name) + ',' + value : value);
  }
  return map;
}

function canonicalRequest(method, uri, query, headers, signedNames, payloadHash) {
  const lines = signedNames.map(name => name + ':' + (headers.get(name) ?? ''));
  return [method, uri, query, lines.join('\n') + '\n', signedNames.join(';'), payloadHash].join('\n');
}

function signingKey(secret, date, region, service) {
  return hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
}

function stringToSign(amzDate, scope, canonical) {
  return ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
}

// "20130524T000000Z" for an RFC 1123 Date header value, or '' when it does not parse.
function basicIso(dateHeader) {
  const t = new Date(dateHeader);
  if (isNaN(t)) return '';
  return t.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
}

function parseBasicIso(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

const isoSeconds = ms => new Date(ms).toISOString().replace(/\.\d+/, '');

// "Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=a;b, Signature=hex"
function parseAuthorizationHeader(value) {
  const space = value.indexOf(' ');
  const fields = new Map();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!fields.get(name)) throw malformedHeader(`missing ${name}.`);
  }
  return {
    credential: fields.get('Credential'),
    signedHeaders: fields.get('SignedHeaders'),
    signature: fields.get('Signature'),
  };
}

// Checks a credential's scope: its date against the request's, its region (when the
// stand-in has one), service and terminator. Returns { accessKey, date, region, scope }.
function checkScope(credential, amzDate, options, malformed) {
  const parts = credential.split('/');
  if (parts.length !== 5) {
    throw malformed(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  const [accessKey, date, region, service, terminator] = parts;
  if (date !== amzDate.slice(0, 8)) {
    throw malformed(`Invalid credential date "${date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  if (options.region && region !== options.region) {
    const e = malformed(`the region '${region}' is wrong; expecting '${options.region}'`);
    e.detail = { Region: options.region };
    throw e;
  }
  if (service !== 's3') throw malformed(`incorrect service "${service}". This endpoint belongs to "s3".`);
  if (terminator !== 'aws4_request') throw malformed(`incorrect terminal "${terminator}". This endpoint uses "aws4_request".`);
  return { accessKey, date, region, scope: [date, region, service, terminator].join('/') };
}

const PAYLOAD_TOKENS = new Set([
  'UNSIGNED-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
]);

// Verifies a request's signature. `request` is { method, url, rawHeaders };
// `secretFor(accessKey)` answers the secret or undefined; `now` is milliseconds since the
// epoch. Returns null for a request that is not SigV4-signed (anonymous or SigV2: not
// this module's to judge), else { accessKey, secret, amzDate, scope, signature, payload }
// where payload is the declared x-amz-content-sha256 ("UNSIGNED-PAYLOAD" for presigned
// URLs). Throws S3Failure.
function verify(request, secretFor, now, options = {}) {
  const q = request.url.indexOf('?');
  const rawPath = q < 0 ? request.url : request.url.slice(0, q);
  const pairs = parseQuery(q < 0 ? '' : request.url.slice(q + 1));
  const headers = headerMap(request.rawHeaders);
  const authorization = headers.get('authorization') || '';
  const presigned = pairs.some(([k]) => k === 'X-Amz-Algorithm');
  const headerSigned = /^AWS4-HMAC-SHA256 /.test(authorization);
  if (presigned && authorization) {
    throw new S3Failure(400, 'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      { ArgumentName: 'Authorization', ArgumentValue: authorization });
  }
  if (!presigned && !headerSigned) return null;

  let amzDate, credential, signedHeaders, provided, payload, malformed;
  let query = pairs;
  if (headerSigned) {
    malformed = malformedHeader;
    ({ credential, signedHeaders, signature: provided } = parseAuthorizationHeader(authorization));
    amzDate = headers.get('x-amz-date') || basicIso(headers.get('date') || '');
    if (!amzDate || isNaN(parseBasicIso(amzDate))) {
      throw denied('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    }
    payload = headers.get('x-amz-content-sha256');
    if (payload === undefined) {
      throw new S3Failure(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    }
  } else {
    malformed = malformedQuery;
    const get = name => (pairs.find(([k]) => k === name) || [])[1];
    if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
      throw malformed('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    }
    for (const name of ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires']) {
      if (get(name) === undefined) {
        throw malformed('Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
      }
    }
    credential = get('X-Amz-Credential');
    signedHeaders = get('X-Amz-SignedHeaders');
    provided = get('X-Amz-Signature');
    amzDate = get('X-Amz-Date');
    if (isNaN(parseBasicIso(amzDate))) {
      throw malformed(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
    }
    const expires = get('X-Amz-Expires');
    if (!/^\d+$/.test(expires)) throw malformed('X-Amz-Expires should be a number');
    if (+expires > MAX_PRESIGN_SECONDS) {
      throw malformed('X-Amz-Expires must be less than a week (in seconds) that is; the given X-Amz-Expires must be less than 604800 seconds');
    }
    const start = parseBasicIso(amzDate);
    if (now > start + expires * 1000) {
      throw denied('AccessDenied', 'Request has expired',
        { 'X-Amz-Expires': expires, Expires: isoSeconds(start + expires * 1000), ServerTime: isoSeconds(now) });
    }
    if (start - now > MAX_SKEW_MS) throw denied('AccessDenied', 'Request is not valid yet');
    payload = headers.get('x-amz-content-sha256') || get('X-Amz-Content-Sha256') || 'UNSIGNED-PAYLOAD';
    query = pairs.filter(([k]) => k !== 'X-Amz-Signature');
  }

  if (!PAYLOAD_TOKENS.has(payload) && !/^[0-9a-f]{64}$/.test(payload)) {
    throw new S3Failure(400, 'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.',
      { ArgumentName: 'x-amz-content-sha256', ArgumentValue: payload });
  }
  const scope = checkScope(credential, amzDate, options, malformed);
  const secret = secretFor(scope.accessKey);
  if (secret === undefined) {
    throw denied('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: scope.accessKey });
  }
  if (headerSigned && Math.abs(now - parseBasicIso(amzDate)) > MAX_SKEW_MS) {
    throw denied('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.',
      { RequestTime: amzDate, ServerTime: isoSeconds(now), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS) });
  }
  const names = signedHeaders.split(';');
  if (!names.includes('host')) {
    throw malformed === malformedHeader
      ? malformedHeader('SignedHeaders must include host.')
      : malformed('X-Amz-SignedHeaders must include host.');
  }
  const unsigned = [...headers.keys()].filter(
    name => name.startsWith('x-amz-') && !names.includes(name) && !(presigned && name === 'x-amz-content-sha256'));
  if (unsigned.length) {
    throw denied('AccessDenied', 'There were headers present in the request which were not signed',
      { HeadersNotSigned: unsigned.join(', ') });
  }

  const canonical = canonicalRequest(request.method, canonicalUri(rawPath), canonicalQuery(query), headers,
    names, presigned ? 'UNSIGNED-PAYLOAD' : payload);
  const toSign = stringToSign(amzDate, scope.scope, canonical);
  const key = signingKey(secret, scope.date, scope.region, 's3');
  const expected = hmac(key, toSign).toString('hex');
  if (!timingSafeEqualHex(expected, provided)) {
    throw denied('SignatureDoesNotMatch', SIGNATURE_MISMATCH,
      {
        AWSAccessKeyId: scope.accessKey,
        StringToSign: toSign,
        SignatureProvided: provided,
        StringToSignBytes: hexBytes(toSign),
        CanonicalRequest: canonical,
        CanonicalRequestBytes: hexBytes(canonical),
      });
  }
  return { accessKey: scope.accessKey, key, amzDate, scope: scope.scope, signature: expected, payload };
}

function timingSafeEqualHex(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

const hexBytes = s => Buffer.from(s, 'utf8').toString('hex').match(/../g).join(' ');

const chunkMismatch = () => denied('SignatureDoesNotMatch', SIGNATURE_MISMATCH);
const incomplete = () =>
  new S3Failure(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header');

// Decodes an aws-chunked body ("<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n" ...,
// a last chunk of size 0, then trailing headers for the -TRAILER forms), checking every
// chunk's signature against the one before it (the seed signature is the request's) and
// the trailer's signature. feed() returns the data bytes decoded so far; finish() throws
// unless the body ended where it should, with `decodedLength` bytes when that is known.
class ChunkDecoder {
  constructor(verified, decodedLength) {
    this.signed = verified.payload.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    this.trailer = verified.payload.endsWith('-TRAILER');
    this.verified = verified;
    this.previous = verified.signature;
    this.decodedLength = decodedLength;
    this.total = 0;
    this.pending = Buffer.alloc(0);
    this.state = 'size';  // size, data, data-crlf, trailer, done
    this.remaining = 0;
    this.chunkSignature = '';
    this.chunkHash = null;
    this.trailerLines = [];
  }

  signChunk(dataHash) {
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', this.verified.amzDate, this.verified.scope, this.previous,
      EMPTY_SHA256, dataHash].join('\n');
    return hmac(this.verified.key, toSign).toString('hex');
  }

  line() {
    const end = this.pending.indexOf('\r\n');
    if (end < 0) {
      if (this.pending.length > 4096) throw incomplete();
      return null;
    }
    const text = this.pending.subarray(0, end).toString('latin1');
    this.pending = this.pending.subarray(end + 2);
    return text;
  }

  endChunk() {
    if (this.signed) {
      const expected = this.signChunk(this.chunkHash.digest('hex'));
      if (!timingSafeEqualHex(expected, this.chunkSignature)) throw chunkMismatch();
      this.previous = expected;
    }
  }

  feed(buf) {
    if (this.state === 'done') return [];
    this.pending = this.pending.length ? Buffer.concat([this.pending, buf]) : buf;
    const out = [];
    for (;;) {
      if (this.state === 'size') {
        const text = this.line();
        if (text === null) break;
        const [size, ...exts] = text.split(';');
        if (!/^[0-9a-fA-F]+$/.test(size)) throw incomplete();
        this.remaining = parseInt(size, 16);
        const sig = exts.find(e => e.startsWith('chunk-signature='));
        if (this.signed && !sig) throw chunkMismatch();
        this.chunkSignature = sig ? sig.slice('chunk-signature='.length) : '';
        this.chunkHash = crypto.createHash('sha256');
        if (this.remaining === 0) {
          this.endChunk();
          this.state = 'trailer';
        } else {
          this.state = 'data';
        }
      } else if (this.state === 'data') {
        if (!this.pending.length) break;
        const take = this.pending.subarray(0, this.remaining);
        this.pending = this.pending.subarray(take.length);
        this.remaining -= take.length;
        this.total += take.length;
        this.chunkHash.update(take);
        out.push(take);
        if (this.remaining === 0) this.state = 'data-crlf';
      } else if (this.state === 'data-crlf') {
        if (this.pending.length < 2) break;
        if (this.pending[0] !== 13 || this.pending[1] !== 10) throw incomplete();
        this.pending = this.pending.subarray(2);
        this.endChunk();
        this.state = 'size';
      } else if (this.state === 'trailer') {
        const text = this.line();
        if (text === null) break;
        if (text === '') {
          this.finishTrailer();
          this.state = 'done';
          break;
        }
        this.trailerLines.push(text);
      } else {
        break;
      }
    }
    return out;
  }

  finishTrailer() {
    if (!this.signed || !this.trailer) return;
    const sigLine = this.trailerLines.find(l => l.toLowerCase().startsWith('x-amz-trailer-signature:'));
    if (!sigLine) throw chunkMismatch();
    const canonical = this.trailerLines
      .filter(l => l !== sigLine)
      .map(l => {
        const colon = l.indexOf(':');
        return l.slice(0, colon).trim().toLowerCase() + ':' + l.slice(colon + 1).trim() + '\n';
      })
      .join('');
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', this.verified.amzDate, this.verified.scope, this.previous,
      sha256(canonical)].join('\n');
    const expected = hmac(this.verified.key, toSign).toString('hex');
    if (!timingSafeEqualHex(expected, sigLine.slice(sigLine.indexOf(':') + 1).trim())) throw chunkMismatch();
  }

  finish() {
    if (this.state !== 'done' && !(this.state === 'trailer' && !this.trailer && this.pending.length === 0 &&
                                   this.trailerLines.length === 0)) {
      throw incomplete();
    }
    if (this.decodedLength !== undefined && this.total !== this.decodedLength) throw incomplete();
  }
}

function errorXml(failure, requestId) {
  const esc = s => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
  const fields = { Code: failure.code, Message: failure.message, ...failure.detail, RequestId: requestId };
  return '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' +
    Object.entries(fields).map(([k, v]) => `<${k}>${esc(v)}</${k}>`).join('') + '</Error>';
}

module.exports = {
  EMPTY_SHA256,
  S3Failure,
  ChunkDecoder,
  canonicalQuery,
  canonicalUri,
  errorXml,
  hashMismatch,
  headerMap,
  parseQuery,
  sha256,
  signingKey,
  uriEncode,
  verify,
};
