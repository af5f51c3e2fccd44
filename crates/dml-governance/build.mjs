// Compiles the governance contracts with the pinned solc-js (package-lock.json)
// and writes one artifact per contract: `node build.mjs <out-dir>`.
//
// Run through build-contracts.sh, which installs the pinned packages first.
// Everything here is offline and deterministic: the compiler is the
// WebAssembly build bundled in the `solc` package, source unit names are
// relative (no machine paths reach the metadata), and the JSON is written
// with a fixed key order, so the same inputs give the same bytes.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const crateDir = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(crateDir, "node_modules");

// EIP-170: the largest deployed code an account may hold (Arbitrum enforces it too).
const MAX_DEPLOYED_BYTES = 24_576;

// Arbitrum supports cancun; the dev chain runs a later fork, which runs cancun code.
const EVM_VERSION = "cancun";

// solc's default, for every contract. The Governor with all its extensions is
// the one nearest the EIP-170 limit: 20,315 deployed bytes at 200 runs (19,907
// at 1, 21,565 at 1,000, 23,223 at 10,000); 200 leaves some 4 KB of room for
// later OpenZeppelin releases, with the legacy pipeline (no viaIR needed).
const OPTIMIZER_RUNS = 200;

// What is built: each contract compiles on its own (its own standard JSON
// input), so one contract's artifact never depends on another's sources.
const CONTRACTS = [
    { name: "DMLGovernor", source: "contracts/DMLGovernor.sol" },
    { name: "TimelockController", source: "@openzeppelin/contracts/governance/TimelockController.sol" },
    { name: "RefVotesToken", source: "contracts/reference/RefVotesToken.sol" },
];

function readSource(unitName) {
    if (unitName.startsWith("@openzeppelin/")) {
        return readFileSync(join(nodeModules, unitName), "utf8");
    }
    if (unitName.startsWith("contracts/")) {
        return readFileSync(join(crateDir, unitName), "utf8");
    }
    throw new Error(`unexpected import ${unitName}: only contracts/ and @openzeppelin/ are allowed`);
}

function findImports(unitName) {
    try {
        return { contents: readSource(unitName) };
    } catch (error) {
        return { error: String(error.message ?? error) };
    }
}

function settingsFor(contract) {
    return {
        evmVersion: EVM_VERSION,
        optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
        viaIR: false,
        metadata: { bytecodeHash: "ipfs" },
        outputSelection: {
            [contract.source]: { [contract.name]: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
        },
    };
}

function compile(contract) {
    const settings = settingsFor(contract);
    const input = {
        language: "Solidity",
        sources: { [contract.source]: { content: readSource(contract.source) } },
        settings,
    };
    const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
    const errors = (output.errors ?? []).filter((e) => e.severity === "error");
    for (const diagnostic of output.errors ?? []) {
        process.stderr.write(`${diagnostic.formattedMessage ?? diagnostic.message}\n`);
    }
    if (errors.length > 0) {
        throw new Error(`${contract.name}: compilation failed with ${errors.length} error(s)`);
    }
    const compiled = output.contracts?.[contract.source]?.[contract.name];
    if (!compiled) {
        throw new Error(`${contract.name}: not found in ${contract.source}`);
    }
    const bytecode = compiled.evm.bytecode.object;
    const deployedBytecode = compiled.evm.deployedBytecode.object;
    if (/__\$/.test(bytecode)) {
        throw new Error(`${contract.name}: bytecode has unlinked library references`);
    }
    const deployedBytes = deployedBytecode.length / 2;
    if (deployedBytes > MAX_DEPLOYED_BYTES) {
        throw new Error(
            `${contract.name}: deployed bytecode is ${deployedBytes} bytes, over the EIP-170 limit of ${MAX_DEPLOYED_BYTES}`,
        );
    }
    const { outputSelection: _ignored, ...recordedSettings } = settings;
    return {
        artifact: {
            contractName: contract.name,
            sourceName: contract.source,
            compiler: { name: "solc-js", version: solc.version() },
            settings: recordedSettings,
            abi: compiled.abi,
            bytecode: `0x${bytecode}`,
            deployedBytecode: `0x${deployedBytecode}`,
        },
        creationBytes: bytecode.length / 2,
        deployedBytes,
    };
}

const outDir = resolve(process.argv[2] ?? join(crateDir, "artifacts"));
mkdirSync(outDir, { recursive: true });
console.log(`compiler: solc ${solc.version()}, evm ${EVM_VERSION}, optimizer runs ${OPTIMIZER_RUNS}`);
for (const contract of CONTRACTS) {
    const started = Date.now();
    const { artifact, creationBytes, deployedBytes } = compile(contract);
    const file = join(outDir, `${contract.name}.json`);
    writeFileSync(file, `${JSON.stringify(artifact, null, 2)}\n`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
        `compiled ${contract.name}: deployed ${deployedBytes} bytes ` +
            `(limit ${MAX_DEPLOYED_BYTES}), creation ${creationBytes} bytes, ${seconds} s`,
    );
}
