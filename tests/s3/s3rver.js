#!/usr/bin/env node
// s3rver: starts the real third-party S3 server @20minutes/s3rver (pinned in
// package-lock.json; its package ships no bin/) for swish's object-store tests.
//
//   node tests/s3/s3rver.js --port 0 --dir D --bucket B --access-key K --secret S
//
// Prints "PORT <n>" once listening on 127.0.0.1.  Only the given key pair is
// accepted (s3rver's built-in S3RVER/S3RVER pair is revoked) and signatures
// are verified (allowMismatchedSignatures: false).
//
// Run node with --openssl-legacy-provider: s3rver 4.0.4 makes its
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17)
// has only in its legacy provider; without it every second page is a 500.
'use strict';

const crypto = require('crypto');
const S3rver = require('@20minutes/s3rver');
const AWSAccount = require('@20minutes/s3rver/lib/models/account');

const args = { port: '0', dir: null, bucket: null, 'access-key': null, secret: null };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const name = argv[i].replace(/^--/, '');
  if (!(name in args) || i + 1 >= argv.length) {
    console.error(`s3rver.js: bad argument ${argv[i]}`);
    process.exit(2);
  }
  args[name] = argv[i + 1];
}
for (const need of ['dir', 'bucket', 'access-key', 'secret']) {
  if (!args[need]) {
    console.error(`s3rver.js: --${need} is required`);
    process.exit(2);
  }
}

try {
  crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
} catch (err) {
  console.error('s3rver.js: DES is unavailable (s3rver needs it to paginate listings): ' +
    'run node --openssl-legacy-provider tests/s3/s3rver.js ...');
  process.exit(2);
}

AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(args['access-key'], args.secret);

new S3rver({
  address: '127.0.0.1',
  port: Number(args.port),
  directory: args.dir,
  configureBuckets: [{ name: args.bucket }],
  allowMismatchedSignatures: false,
  silent: true,
})
  .run()
  .then((addr) => console.log(`PORT ${addr.port}`))
  .catch((err) => {
    console.error(`s3rver.js: ${err.stack || err}`);
    process.exit(1);
  });
