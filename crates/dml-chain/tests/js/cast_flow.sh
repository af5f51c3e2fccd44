#!/usr/bin/env bash
# Foundry's cast against the node ($DML_RPC_URL) with the node's own keys:
# `cast send --unlocked` (an ether transfer, a contract creation and a
# contract call: eth_sendTransaction), `cast call`, `cast logs`,
# `cast receipt`, `cast run` (replays the transaction with its trace) and
# `cast rpc` for anvil_ methods. Prints a final JSON line {"ok":true,...}.
# cast comes from node_modules/.bin (scripts/setup/chain.sh) unless $CAST
# names it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cast_bin="${CAST:-$here/node_modules/.bin/cast}"
: "${DML_RPC_URL:?set DML_RPC_URL to the HTTP URL of the node}"
export ETH_RPC_URL="$DML_RPC_URL"
# cast writes a signature cache under ~/.foundry: give it a home of its own
# for the run, removed at the end.
cast_home="$(mktemp -d)"
trap 'rm -rf "$cast_home"' EXIT
cast() { HOME="$cast_home" "$cast_bin" "$@"; }

step=start
fail() {
    echo "cast_flow: step '$step' failed: $*" >&2
    exit 1
}
trap 'echo "cast_flow: step $step failed (line $LINENO)" >&2' ERR
expect() { # expect NAME ACTUAL WANTED
    [ "$2" = "$3" ] || fail "$1: got '$2', wanted '$3'"
}
lower() { tr '[:upper:]' '[:lower:]'; }
# field JSON PATH: a field of cast's JSON output, PATH a JavaScript accessor
# (.status, [0].topics[1], .length); node reads it, so no jq is needed.
field() {
    node -e 'const value = new Function("v", "return v" + process.argv[2])(JSON.parse(process.argv[1]));
console.log(typeof value === "object" && value !== null ? JSON.stringify(value) : String(value))' "$1" "$2"
}

# Dev accounts 0 and 1 of the mnemonic `test ... junk` (anvil's and dml node's).
from=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266
to=0x70997970c51812dc3a010c7d01b50e0d17dc79c8

step=chain-id
expect chain-id "$(cast chain-id)" 31337

step=transfer
before=$(cast balance "$to")
transfer=$(cast send --unlocked --from "$from" "$to" --value 1ether --json)
expect "transfer status" "$(field "$transfer" ".status")" 0x1
expect "transfer from" "$(field "$transfer" .from | lower)" "$from"
after=$(cast balance "$to")
expect "recipient gained 1 ether" "$(node -p 'String(BigInt(process.argv[2]) - BigInt(process.argv[1]))' "$before" "$after")" 1000000000000000000

step=create
{ read -r bytecode; read -r runtime; } < <(node "$here/tool_contracts.mjs" Counter bytecode deployedBytecode)
created=$(cast send --unlocked --from "$from" --create "$bytecode" --json)
expect "create status" "$(field "$created" ".status")" 0x1
counter=$(field "$created" .contractAddress | lower)
[ "$counter" != null ] || fail "no contract address in $created"
[ "$(cast code "$counter")" = "$runtime" ] || fail "cast code differs from the runtime code"

step=contract-call
called=$(cast send --unlocked --from "$from" "$counter" "increment(uint256)" 5 --json)
expect "increment status" "$(field "$called" ".status")" 0x1
tx=$(field "$called" ".transactionHash")

step=cast-call
expect "count()" "$(cast call "$counter" "count()(uint256)")" 5

step=logs
logs=$(cast logs --from-block 0 --address "$counter" "Incremented(address indexed,uint256,uint256)" --json)
expect "one log" "$(field "$logs" ".length")" 1
expect "log transaction" "$(field "$logs" "[0].transactionHash")" "$tx"
expect "log topic 1 (by)" "$(field "$logs" "[0].topics[1]")" "0x000000000000000000000000${from#0x}"
decoded=$(cast abi-decode --input "f(uint256,uint256)" "$(field "$logs" "[0].data")" | tr '\n' ' ')
expect "log data (amount, count)" "$decoded" "5 5 "

step=receipt
receipt=$(cast receipt "$tx" --json)
expect "receipt status" "$(field "$receipt" ".status")" 0x1
expect "receipt to" "$(field "$receipt" .to | lower)" "$counter"
expect "receipt logs" "$(field "$receipt" ".logs.length")" 1
expect "cast receipt FIELD" "$(cast receipt "$tx" status)" true

step=run
# cast run replays the block up to the transaction on a local EVM fed with
# the node's state at the parent block, and prints the trace.
trace=$(cast run "$tx" 2>&1) || fail "cast run: $trace"
grep -q "Transaction successfully executed" <<<"$trace" || fail "cast run did not execute: $trace"
grep -qi "${counter#0x}" <<<"$(lower <<<"$trace")" || fail "the trace does not show the counter: $trace"
grep -q "emit" <<<"$trace" || fail "the trace does not show the event: $trace"

step=rpc
fresh=0x000000000000000000000000000000000000f00d
cast rpc anvil_setBalance "$fresh" 0x1bc16d674ec80000 >/dev/null # 2 ether
expect "anvil_setBalance" "$(cast balance "$fresh")" 2000000000000000000
height=$(cast block-number)
cast rpc anvil_mine 0x3 >/dev/null
expect "anvil_mine 3" "$(cast block-number)" $((height + 3))
info=$(cast rpc anvil_nodeInfo)
expect "anvil_nodeInfo chain id" "$(field "$info" ".environment.chainId")" 31337
expect "anvil_nodeInfo head" "$(($(field "$info" ".currentBlockNumber")))" $((height + 3))
cast rpc anvil_impersonateAccount "$fresh" >/dev/null
impersonated=$(cast send --unlocked --from "$fresh" "$to" --value 0.5ether --json)
expect "impersonated transfer" "$(field "$impersonated" ".status")" 0x1
cast rpc anvil_stopImpersonatingAccount "$fresh" >/dev/null

step=done
node -e 'console.log(JSON.stringify({ ok: true, counter: process.argv[1], tx: process.argv[2], nodeInfo: JSON.parse(process.argv[3]) }))' \
    "$counter" "$tx" "$info"
