// Preloaded with `node --require`, after minio-contract.js: a front that checks every
// request's SigV4 signature before s3rver sees it, as S3 and MinIO do. s3rver itself
// checks only the access key of a SigV4 request, so a wrong secret key, a broken signer
// or a changed body would pass locally and fail in prod.
// - Header-signed and presigned requests; the payload hash (a hex body hash is checked
//   against the body, UNSIGNED-PAYLOAD is not); aws-chunked uploads (STREAMING-...),
//   each chunk's signature checked and the framing removed, which s3rver would otherwise
//   store as part of the object; clock skew (15 min) and presigned expiry.
// - Failures answer as S3 does: 403 SignatureDoesNotMatch / InvalidAccessKeyId /
//   RequestTimeTooSkewed / AccessDenied, 400 XAmzContentSHA256Mismatch / IncompleteBody /
//   AuthorizationHeaderMalformed, with S3's XML body.
// - A body that must be checked is held until it has arrived and been checked (up to
//   HOLD_LIMIT bytes), so a rejected upload leaves nothing behind. A larger one goes to
//   s3rver as it arrives and a failed check resets the connection.
// - Anonymous requests are refused (403 AccessDenied), as on a private bucket: the
//   stand-in has no bucket policies. Exceptions: MinIO's health endpoints and CORS
//   preflights. BIODEV_S3_ANONYMOUS=allow lets them through to s3rver.
'use strict';

const crypto = require('crypto');
const http = require('http');
const sigv4 = require('./sigv4');

const AWSAccount = require('/opt/s3rver/node_modules/s3rver/lib/models/account');

const HOLD_LIMIT = 512 * 1024 * 1024;
const REGION = process.env.MINIO_REGION || process.env.MINIO_SITE_REGION || process.env.MINIO_REGION_NAME || '';
const ALLOW_ANONYMOUS = process.env.BIODEV_S3_ANONYMOUS === 'allow';
const HEALTH = /^\/minio\/health\/(live|ready|cluster)$/;

function secretFor(accessKey) {
  const account = AWSAccount.registry.get(accessKey);
  return account ? account.accessKeys.get(accessKey) : undefined;
}

function reply(req, res, failure) {
  const id = crypto.randomBytes(8).toString('hex').toUpperCase();
  const body = req.method === 'HEAD' ? '' : sigv4.errorXml(failure, id);
  if (res.headersSent) return;
  res.writeHead(failure.status, {
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(body),
    'x-amz-request-id': id,
    ...(req.complete ? {} : { Connection: 'close' }),
  });
  res.end(body);
}

function anonymousAllowed(req) {
  if (ALLOW_ANONYMOUS || req.method === 'OPTIONS') return true;
  if (req.headers.authorization) return true;  // SigV2: s3rver checks it
  const q = req.url.indexOf('?');
  const query = q < 0 ? '' : req.url.slice(q + 1);
  if (/(^|&)(Signature|AWSAccessKeyId)=/.test(query)) return true;  // SigV2 presigned
  return HEALTH.test(q < 0 ? req.url : req.url.slice(0, q));
}

// How the body is checked, from the declared payload hash.
function bodyCheck(req, verified) {
  const payload = verified.payload;
  if (payload === 'UNSIGNED-PAYLOAD') return null;
  if (payload.startsWith('STREAMING-')) {
    // S3 requires the decoded length up front; s3rver is told it before a large body,
    // which goes on as it arrives, has been decoded.
    const declared = req.headers['x-amz-decoded-content-length'];
    if (!/^\d+$/.test(declared || '')) {
      throw new sigv4.S3Failure(411, 'MissingContentLength',
        'You must provide the Content-Length HTTP header (x-amz-decoded-content-length for an aws-chunked body).');
    }
    const decoder = new sigv4.ChunkDecoder(verified, Number(declared));
    return {
      feed: chunk => decoder.feed(chunk),
      finish: () => decoder.finish(),
      size: Number(declared),
      rewrite() {
        // What s3rver gets is the decoded object, as S3 stores it.
        req.headers['content-length'] = declared;
        req.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        delete req.headers['x-amz-decoded-content-length'];
        const encoding = (req.headers['content-encoding'] || '').split(',').map(s => s.trim())
          .filter(s => s && s !== 'aws-chunked');
        if (encoding.length) req.headers['content-encoding'] = encoding.join(', ');
        else delete req.headers['content-encoding'];
      },
    };
  }
  const hash = crypto.createHash('sha256');
  return {
    feed: chunk => {
      hash.update(chunk);
      return [chunk];
    },
    finish: () => {
      const actual = hash.digest('hex');
      if (actual !== payload) throw sigv4.hashMismatch(payload, actual);
    },
    size: Number(req.headers['content-length'] || 0),
    rewrite() {},
  };
}

// Runs `check` over the body as Node's parser pushes it into `req`. Held: nothing reaches
// s3rver until the whole body passed, then `pass()` replays it. Streamed: each checked
// piece goes on at once and a failure at the end destroys the connection.
function checkBody(req, res, check, pass) {
  const push = req.push;
  const held = check.size <= HOLD_LIMIT;
  const kept = [];
  let failed = false;
  req.push = function (chunk, encoding) {
    if (failed) return true;
    try {
      if (chunk === null) {
        check.finish();
        req.push = push;
        if (held) {
          check.rewrite();
          for (const piece of kept) push.call(req, piece);
          push.call(req, null);
          pass();
          return false;
        }
        return push.call(req, null);
      }
      const pieces = check.feed(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
      if (held) {
        kept.push(...pieces);
        return true;
      }
      let more = true;
      for (const piece of pieces) more = push.call(req, piece) && more;
      return more;
    } catch (failure) {
      failed = true;
      req.push = push;
      if (!(failure instanceof sigv4.S3Failure)) throw failure;
      if (held) reply(req, res, failure);
      else req.socket.destroy();
      return true;
    }
  };
  if (!held) {
    check.rewrite();
    pass();
  }
}

const createServer = http.createServer;
http.createServer = function (...args) {
  const server = createServer.apply(this, args);
  const emit = server.emit;
  server.emit = function (event, req, res, ...rest) {
    if (event !== 'request') return emit.call(this, event, req, res, ...rest);
    const pass = () => emit.call(this, event, req, res, ...rest);
    let verified;
    try {
      verified = sigv4.verify(req, secretFor, Date.now(), { region: REGION });
    } catch (failure) {
      if (!(failure instanceof sigv4.S3Failure)) throw failure;
      reply(req, res, failure);
      return true;
    }
    if (!verified) {
      if (anonymousAllowed(req)) return pass();
      reply(req, res, new sigv4.S3Failure(403, 'AccessDenied', 'Access Denied'));
      return true;
    }
    let check;
    try {
      check = bodyCheck(req, verified);
    } catch (failure) {
      if (!(failure instanceof sigv4.S3Failure)) throw failure;
      reply(req, res, failure);
      return true;
    }
    const empty = req.headers['content-length'] === '0' ||
                  (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined);
    if (!check || (empty && !verified.payload.startsWith('STREAMING-'))) {
      if (check && empty && verified.payload !== sigv4.EMPTY_SHA256) {
        reply(req, res, sigv4.hashMismatch(verified.payload, sigv4.EMPTY_SHA256));
        return true;
      }
      return pass();
    }
    checkBody(req, res, check, pass);
    return true;
  };
  return server;
};
