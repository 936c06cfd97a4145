// tuf-js as an independent TUF client for tests/independent_clients.rs.
// Reads a JSON list of cases on stdin, each {"root", "metadata_dir", "targets_dir",
// "target"}; for each runs tuf-js's Updater from an empty local state trusting `root`,
// over a fetcher that reads the two directories (no network), and downloads `target`.
// Prints one JSON list: {"ok": true, "sha256": HEX} of the bytes tuf-js accepted, or
// {"ok": false, "error": TEXT}.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Readable } = require('stream');
const { fileURLToPath, pathToFileURL } = require('url');
const { BaseFetcher, Updater } = require('tuf-js');
// Not re-exported by the package index; the Updater stops walking the root chain only on
// this error with status 404 or 403.
const { DownloadHTTPError } = require('tuf-js/dist/error');

class FileFetcher extends BaseFetcher {
  async fetch(url) {
    let data;
    try {
      data = fs.readFileSync(fileURLToPath(url));
    } catch (e) {
      if (e.code === 'ENOENT') throw new DownloadHTTPError(`no file for ${url}`, 404);
      throw e;
    }
    return Readable.from([data]);
  }
}

function dirUrl(dir) {
  return pathToFileURL(path.resolve(dir)).toString() + '/';
}

async function fetchOne(c) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tufjs-client-'));
  try {
    const metadataDir = path.join(work, 'metadata');
    const targetDir = path.join(work, 'targets');
    fs.mkdirSync(metadataDir);
    fs.mkdirSync(targetDir);
    fs.copyFileSync(c.root, path.join(metadataDir, 'root.json'));
    const updater = new Updater({
      metadataDir,
      metadataBaseUrl: dirUrl(c.metadata_dir),
      targetDir,
      targetBaseUrl: dirUrl(c.targets_dir),
      fetcher: new FileFetcher(),
    });
    await updater.refresh();
    const info = await updater.getTargetInfo(c.target);
    if (!info) return { ok: false, error: 'target not found' };
    const file = await updater.downloadTarget(info, path.join(targetDir, 'download'));
    const sha256 = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    return { ok: true, sha256 };
  } catch (e) {
    return { ok: false, error: `${e.name}: ${e.message}` };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = [];
  for (const c of cases) out.push(await fetchOne(c));
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`tuf-js client failed: ${e.message}\n`);
  process.exit(2);
});
