// Preloaded with `node --require`: the parts of MinIO's contract a stand-in for it
// needs, so a compose file written for minio/minio works unchanged.
// - Credentials: MINIO_ROOT_USER / MINIO_ROOT_PASSWORD (or the older MINIO_ACCESS_KEY /
//   MINIO_SECRET_KEY) become the only key pair, in place of s3rver's S3RVER/S3RVER.
//   s3rver refuses an unknown access key (InvalidAccessKeyId) and checks SigV2
//   signatures; sigv4-verify.js checks SigV4 ones.
// - Health: GET/HEAD /minio/health/live, /ready and /cluster answer 200, as MinIO's do,
//   instead of being read as bucket "minio".
'use strict';

const http = require('http');

const user = process.env.MINIO_ROOT_USER || process.env.MINIO_ACCESS_KEY;
const secret = process.env.MINIO_ROOT_PASSWORD || process.env.MINIO_SECRET_KEY || '';
if (user) {
  // The module s3rver itself loads (same resolved path, so the same registry).
  const AWSAccount = require('/opt/s3rver/node_modules/s3rver/lib/models/account');
  AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(user, secret);
}

const HEALTH = new Set(['/minio/health/live', '/minio/health/ready', '/minio/health/cluster']);
const createServer = http.createServer;
http.createServer = function (...args) {
  const server = createServer.apply(this, args);
  const emit = server.emit;
  server.emit = function (event, req, res, ...rest) {
    if (event === 'request' && (req.method === 'GET' || req.method === 'HEAD') &&
        HEALTH.has(req.url.split('?')[0])) {
      res.writeHead(200, { 'Content-Length': '0' });
      res.end();
      return true;
    }
    return emit.call(this, event, req, res, ...rest);
  };
  return server;
};
