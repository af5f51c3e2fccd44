// Builds the web app into OUTDIR (default ../dist): exactly index.html,
// app.js and app.css. One minified bundle, no source maps, no legal
// comments, so the same sources always give the same bytes.
//
//   node build.mjs [OUTDIR]

import * as esbuild from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, "..", "dist"));

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: "src/main.ts" },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2022"],
  platform: "browser",
  sourcemap: false,
  legalComments: "none",
  charset: "utf8",
  write: false,
  outdir: "out",
  logLevel: "warning",
  metafile: false,
});

const files = new Map();
for (const file of result.outputFiles) {
  files.set(path.basename(file.path), file.contents);
}
for (const name of ["app.js", "app.css"]) {
  if (!files.has(name)) throw new Error(`esbuild produced no ${name}`);
}
files.set("index.html", await readFile(path.join(here, "index.html")));

await mkdir(outdir, { recursive: true });
for (const name of ["index.html", "app.js", "app.css"]) {
  await writeFile(path.join(outdir, name), files.get(name));
}
const sizes = ["index.html", "app.js", "app.css"].map((n) => `${n} ${files.get(n).length} B`).join(", ");
console.log(`built ${outdir}: ${sizes}`);
