// Compiles ToolContracts.sol with npm's solc: `contracts.Counter.abi`,
// `.bytecode` (creation code) and `.deployedBytecode` (runtime code).
// Run as a script it prints a contract's fields, one a line, for the shell
// tests: node tool_contracts.mjs Counter bytecode deployedBytecode
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

// solc-js takes seconds a compile; the scripts share one result, kept in
// node_modules/.cache under the hash of the compiler's version and its input.
const source = readFileSync(new URL("./ToolContracts.sol", import.meta.url), "utf8");
const input = JSON.stringify({
  language: "Solidity",
  sources: { "ToolContracts.sol": { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
});
const cacheDir = new URL("./node_modules/.cache/dml-tool-contracts/", import.meta.url);
const cacheFile = new URL(
  createHash("sha256").update(require("solc/package.json").version).update("\0").update(input).digest("hex") + ".json",
  cacheDir,
);

function cached() {
  try {
    return JSON.parse(readFileSync(cacheFile, "utf8"));
  } catch {
    return null;
  }
}

function store(contracts) {
  try {
    mkdirSync(cacheDir, { recursive: true });
    const partial = new URL(`${cacheFile.pathname}.${process.pid}.tmp`, cacheFile);
    writeFileSync(partial, JSON.stringify(contracts));
    renameSync(partial, cacheFile); // atomic: parallel scripts never read half a file
  } catch {
    // A cache that cannot be written only costs the next compile.
  }
}

function compile() {
  const solc = require("solc"); // loading the compiler alone takes a second or more
  const output = JSON.parse(solc.compile(input));
  const errors = (output.errors ?? []).filter((error) => error.severity === "error");
  if (errors.length > 0) {
    throw new Error(`solc: ${errors.map((error) => error.formattedMessage).join("\n")}`);
  }
  const contracts = {};
  for (const [name, contract] of Object.entries(output.contracts["ToolContracts.sol"])) {
    contracts[name] = {
      abi: contract.abi,
      bytecode: "0x" + contract.evm.bytecode.object,
      deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
    };
  }
  store(contracts);
  return contracts;
}

export const contracts = cached() ?? compile();

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, ...fields] = process.argv.slice(2);
  const contract = contracts[name];
  if (!contract || !fields.every((field) => field in contract)) {
    console.error(`usage: node tool_contracts.mjs <${Object.keys(contracts).join("|")}> [bytecode|deployedBytecode|abi]...`);
    process.exit(2);
  }
  for (const field of fields.length > 0 ? fields : ["bytecode"]) {
    const value = contract[field];
    console.log(typeof value === "string" ? value : JSON.stringify(value));
  }
}
