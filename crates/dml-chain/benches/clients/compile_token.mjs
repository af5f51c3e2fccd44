// Recompiles BenchToken.sol into bench_token.json (needs the npm package solc
// 0.8.30 on the module path, e.g. NODE_PATH=../../tests/js/node_modules).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const solc = require("solc");
const source = readFileSync(new URL("./BenchToken.sol", import.meta.url), "utf8");
const input = {
  language: "Solidity",
  sources: { "BenchToken.sol": { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
for (const error of output.errors ?? []) {
  if (error.severity === "error") throw new Error(error.formattedMessage);
}
const contract = output.contracts["BenchToken.sol"].BenchToken;
const artifact = { compiler: solc.version(), abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
writeFileSync(new URL("./bench_token.json", import.meta.url), `${JSON.stringify(artifact, null, 1)}\n`);
console.log(`bench_token.json: ${contract.evm.bytecode.object.length / 2} bytes of init code (${artifact.compiler})`);
