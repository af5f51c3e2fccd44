// Computes a file's root CID with the npm `ipfs-unixfs-importer` (the
// JavaScript UnixFS importer), for cross-checking dml-content.
//
// usage: node unixfs_import.mjs NPM_DIR SPECS_JSON
//   SPECS_JSON: an array of {"file": PATH} or {"generated": LENGTH}, each
//               with optional "cidVersion", "rawLeaves", "chunkSize", "maxLinks".
// prints:      one line {"cid": "...", "size": N} per spec, in order
//              (size = the file size the importer saw)
//
// "generated" content is the same deterministic stream the Rust tests make:
// 262,144-byte blocks of pattern byte j = (j * 7 + (j >> 8)) & 0xff, with the
// block index as a u64 little endian in the first 8 bytes.
import { createReadStream } from 'node:fs'
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const [npmDir, specText] = process.argv.slice(2)
const specs = JSON.parse(specText)
const load = (pkg, file) => import(pathToFileURL(path.join(npmDir, 'node_modules', pkg, file)).href)
const { importer } = await load('ipfs-unixfs-importer', 'dist/src/index.js')
const { fixedSize } = await load('ipfs-unixfs-importer', 'dist/src/chunker/index.js')
const { balanced } = await load('ipfs-unixfs-importer', 'dist/src/layout/index.js')
const { BlackHoleBlockstore } = await load('blockstore-core', 'dist/src/index.js')

const PATTERN_BLOCK = 262144
function * generated (length) {
  const base = new Uint8Array(PATTERN_BLOCK)
  for (let j = 0; j < PATTERN_BLOCK; j++) base[j] = (j * 7 + (j >> 8)) & 0xff
  let offset = 0
  let index = 0n
  while (offset < length) {
    const block = Uint8Array.from(base)
    new DataView(block.buffer).setBigUint64(0, index, true)
    const take = Math.min(PATTERN_BLOCK, length - offset)
    yield take === PATTERN_BLOCK ? block : block.subarray(0, take)
    offset += take
    index += 1n
  }
}

for (const spec of specs) {
  const content = spec.file !== undefined ? createReadStream(spec.file) : generated(spec.generated)
  const options = {
    cidVersion: spec.cidVersion ?? 0,
    rawLeaves: spec.rawLeaves ?? false,
    leafType: 'file',
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: spec.chunkSize ?? 262144 }),
    layout: balanced({ maxChildrenPerNode: spec.maxLinks ?? 174 })
  }
  let root
  for await (const entry of importer([{ content }], new BlackHoleBlockstore(), options)) root = entry
  process.stdout.write(JSON.stringify({ cid: root.cid.toString(), size: Number(root.unixfs?.fileSize() ?? root.size) }) + '\n')
}
