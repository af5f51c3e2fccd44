// Compiles the governance and staking contracts with the pinned solc-js
// (package-lock.json), copies Uniswap V2's published builds out of their npm
// packages, and writes one artifact per contract: `node build.mjs <out-dir>`.
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
    { name: "LiquidityStaking", source: "contracts/LiquidityStaking.sol" },
    // Test fixture: stands in for the engine's liquidity payout on a bare EVM.
    { name: "RewardSource", source: "contracts/test/RewardSource.sol" },
    // Test fixtures of the engine's calls into EVM code (dml-chain's tests/engine_calls.rs): ERC-20s that
    // answer `true`, `false` or nothing, or call back into the engine, and the same donation in Solidity.
    { name: "TestERC20", source: "contracts/test/TestERC20.sol" },
    { name: "NonStandardToken", source: "contracts/test/NonStandardToken.sol" },
    { name: "ReentrantToken", source: "contracts/test/ReentrantToken.sol" },
    { name: "DonationReference", source: "contracts/test/DonationReference.sol" },
    // Contracts that request inference (whitepaper appendix A.1, A.2, A.4): examples built on the engine's
    // callbacks, and the callback fixture of the engine's own tests.
    { name: "DmlImageNFT", source: "contracts/requesters/DmlImageNFT.sol" },
    { name: "DmlCompetition", source: "contracts/requesters/DmlCompetition.sol" },
    { name: "DmlTaskChain", source: "contracts/requesters/DmlTaskChain.sol" },
    { name: "TestTaskReceiver", source: "contracts/test/TestTaskReceiver.sol" },
    // Test fixture: stands in for the engine's task callbacks on a bare EVM (tests/requesters_flow.rs).
    { name: "MockDmlEngine", source: "contracts/test/MockDmlEngine.sol" },
];

// Uniswap V2 as published: the `build/*.json` of the npm packages pinned in
// package.json, copied byte for byte (ABI and bytecode), never recompiled, so
// the pair's init-code hash is the one every Uniswap V2 deployment and
// Router02 know. The core build (solc 0.5.16) records its compiler and
// settings in its metadata; the periphery build (Router02, WETH9) carries no
// metadata, and its sources pin `pragma solidity =0.6.6`.
const NPM_BUILDS = [
    { name: "UniswapV2Factory", package: "@uniswap/v2-core", file: "build/UniswapV2Factory.json" },
    { name: "UniswapV2Pair", package: "@uniswap/v2-core", file: "build/UniswapV2Pair.json" },
    {
        name: "UniswapV2Router02",
        package: "@uniswap/v2-periphery",
        file: "build/UniswapV2Router02.json",
        pragmaOf: "contracts/UniswapV2Router02.sol",
    },
    { name: "WETH9", package: "@uniswap/v2-periphery", file: "build/WETH9.json", pragmaOf: "contracts/test/WETH9.sol" },
];

// keccak256 of UniswapV2Pair's creation code, compiled into UniswapV2Library.pairFor (Router02).
const PAIR_INIT_CODE_HASH = "96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f";

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

function readJson(path) {
    return JSON.parse(readFileSync(path, "utf8"));
}

// The exact versions package.json pins (npm ci has checked node_modules against the lockfile's integrity).
function pinnedVersion(packageName) {
    const pinned = readJson(join(crateDir, "package.json")).dependencies[packageName];
    const installed = readJson(join(nodeModules, packageName, "package.json")).version;
    if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/.test(pinned ?? "")) {
        throw new Error(`${packageName} must be pinned to an exact version in package.json (found ${pinned})`);
    }
    if (installed !== pinned) {
        throw new Error(`node_modules has ${packageName} ${installed}, package.json pins ${pinned}; run npm ci`);
    }
    return pinned;
}

function compilerOf(build, entry) {
    if (typeof build.metadata === "string") {
        const metadata = JSON.parse(build.metadata);
        const { compilationTarget: _target, ...settings } = metadata.settings;
        return { compiler: { name: "solc", version: metadata.compiler.version }, settings };
    }
    const source = readFileSync(join(nodeModules, entry.package, entry.pragmaOf), "utf8");
    const exact = /pragma solidity =(\d+\.\d+\.\d+);/.exec(source);
    if (!exact) throw new Error(`${entry.name}: ${entry.pragmaOf} has no exact pragma and the build no metadata`);
    return { compiler: { name: "solc", version: exact[1] }, settings: null };
}

function copyNpmBuild(entry) {
    const version = pinnedVersion(entry.package);
    const build = readJson(join(nodeModules, entry.package, entry.file));
    const bytecode = build.evm.bytecode.object;
    const deployedBytecode = build.evm.deployedBytecode.object;
    if (!/^[0-9a-f]+$/.test(bytecode) || !/^[0-9a-f]+$/.test(deployedBytecode)) {
        throw new Error(`${entry.name}: ${entry.package}/${entry.file} has no plain hex bytecode`);
    }
    if (build.bytecode !== undefined && build.bytecode.replace(/^0x/, "") !== bytecode) {
        throw new Error(`${entry.name}: the build's two copies of the bytecode differ`);
    }
    const { compiler, settings } = compilerOf(build, entry);
    return {
        artifact: {
            contractName: entry.name,
            sourceName: `${entry.package}@${version}/${entry.file}`,
            compiler,
            settings,
            origin: { package: entry.package, version, file: entry.file },
            abi: build.abi,
            bytecode: `0x${bytecode}`,
            deployedBytecode: `0x${deployedBytecode}`,
        },
        creationBytes: bytecode.length / 2,
        deployedBytes: deployedBytecode.length / 2,
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
const copied = {};
for (const entry of NPM_BUILDS) {
    const { artifact, creationBytes, deployedBytes } = copyNpmBuild(entry);
    copied[entry.name] = artifact;
    writeFileSync(join(outDir, `${entry.name}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
    console.log(
        `copied ${entry.name} from ${artifact.sourceName}: deployed ${deployedBytes} bytes, creation ${creationBytes} bytes`,
    );
}
// Router02 computes pair addresses with the pair's init-code hash; it must be
// this very build's (tests/uniswap.rs recomputes keccak256 of the bytecode).
if (!copied.UniswapV2Router02.deployedBytecode.includes(PAIR_INIT_CODE_HASH)) {
    throw new Error(`UniswapV2Router02 does not have the pair init-code hash ${PAIR_INIT_CODE_HASH} compiled in`);
}
