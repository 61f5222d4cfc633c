// Upload a file with tus-js-client (a real tus 1.0 client), interrupting it
// once part-way and resuming: node scripts/tus-upload.cjs ENDPOINT TOKEN FILE
// METADATA_JSON [INTERRUPT_AT_FRACTION]. Prints the upload URL on success.
// Needs `npm install tus-js-client@4` (NODE_PATH pointing at its node_modules).
'use strict';
const tus = require('tus-js-client');
const fs = require('fs');

const [endpoint, token, file, metadata, interruptAt] = process.argv.slice(2);
const size = fs.statSync(file).size;
let interrupted = false;
const started = Date.now();

const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint,
  uploadSize: size,
  chunkSize: 256 * 1024 * 1024,
  metadata: JSON.parse(metadata),
  headers: { Authorization: `Bearer ${token}` },
  retryDelays: [0, 200, 1000],
  onProgress(sent, total) {
    if (interruptAt && !interrupted && sent > total * Number(interruptAt)) {
      interrupted = true;
      upload.abort().then(() => {
        console.error(`interrupted after ${sent} bytes; resuming`);
        upload.start();
      });
    }
  },
  onError(error) {
    console.error(`upload failed: ${error}`);
    process.exit(1);
  },
  onSuccess() {
    console.error(`uploaded ${size} bytes in ${(Date.now() - started) / 1000} s`);
    console.log(upload.url);
    process.exit(0);
  },
});
upload.start();
