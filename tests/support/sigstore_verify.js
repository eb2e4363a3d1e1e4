// Verifies a slimbuild signature bundle with the Sigstore project's own
// verifier (@sigstore/bundle + @sigstore/verify), trusting exactly one
// public key and no transparency log or timestamp authority, then checks
// that the in-toto statement's subject is the expected image digest.
// usage: node sigstore_verify.js BUNDLE.json PUBLIC.pem sha256:DIGEST
// Exit 0 and "verified" when everything holds; non-zero with the reason.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [bundlePath, keyPath, digest] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath));
  const hint = crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  const keys = (h) => {
    if (h !== hint) throw new Error(`unknown key hint ${h}`);
    return { publicKey, validFor: () => true };
  };
  const trust = toTrustMaterial({ certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] }, keys);
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
  const statement = JSON.parse(Buffer.from(bundle.content.dsseEnvelope.payload).toString('utf8'));
  const names = (statement.subject || []).map((s) => 'sha256:' + ((s.digest || {}).sha256 || ''));
  if (!names.includes(digest)) throw new Error(`statement subject ${names.join(',')} is not ${digest}`);
  console.log('verified');
} catch (e) {
  console.error(`sigstore verify: ${e.message || e}`);
  process.exit(1);
}
