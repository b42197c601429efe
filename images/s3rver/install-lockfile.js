// Installs the tree pinned by package-lock.json (v2/v3) into a directory, the way
// `npm ci --omit=dev --ignore-scripts` would, with nothing but node itself: Debian's
// npm drags in ~370 packages, which costs minutes per image build.
//
// Usage: node install-lockfile.js <dir containing package-lock.json>
// Every tarball is checked against the lockfile's sha512 integrity before it is
// unpacked at the exact path the lockfile names (node_modules/a/node_modules/b).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const path = require('path');
const zlib = require('zlib');

function download(url, redirects = 5) {
  return new Promise((resolve, reject) => {
    https
      .get(url, (res) => {
        if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location && redirects > 0) {
          res.resume();
          resolve(download(new URL(res.headers.location, url).toString(), redirects - 1));
          return;
        }
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
          return;
        }
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

// Lockfiles written with omit-lockfile-registry-resolved carry no URL: use the
// registry's layout, <name>/-/<basename>-<version>.tgz.
function registryUrl(key, version) {
  const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`;
}

function checkIntegrity(name, data, integrity) {
  const [algo, expected] = integrity.split(' ')[0].split(/-(.*)/s);
  const actual = crypto.createHash(algo).update(data).digest('base64');
  if (actual !== expected) throw new Error(`${name}: ${algo} mismatch`);
}

function field(header, offset, length) {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

// Writes the regular files of a (gunzipped) tar under `dest`, dropping the first
// path component ("package/"). Handles ustar prefixes, pax and GNU long names.
function untar(tar, dest) {
  let offset = 0;
  let longName = null;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName || (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = null;
    if (type !== '0' && type !== '7') continue;  // directories are made on demand
    const rel = name.split('/').slice(1).join('/');
    const target = path.join(dest, rel);
    if (!rel || !target.startsWith(dest + path.sep)) throw new Error(`bad path in tarball: ${name}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const mode = parseInt(field(header, 100, 8).trim() || '644', 8) & 0o111 ? 0o755 : 0o644;
    fs.writeFileSync(target, body, { mode });
  }
}

async function main() {
  const root = path.resolve(process.argv[2] || '.');
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const entries = Object.entries(lock.packages || {}).filter(
    ([key, meta]) => key && !meta.dev && !meta.link,
  );
  // A few downloads at a time: fast, and polite to the registry.
  let next = 0;
  async function worker() {
    while (next < entries.length) {
      const [key, meta] = entries[next++];
      const data = await download(meta.resolved || registryUrl(key, meta.version));
      checkIntegrity(key, data, meta.integrity);
      untar(zlib.gunzipSync(data), path.join(root, key));
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  console.log(`installed ${entries.length} packages into ${root}`);
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
