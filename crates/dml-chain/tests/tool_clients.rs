//! Real Ethereum tools against `dml node`, and the same scripts against
//! Foundry's anvil, the node the anvil-style methods are modelled on (run
//! there, they prove the scripts themselves right):
//!
//! - `cast_flow.sh`: cast send --unlocked, call, logs, receipt, run, rpc;
//! - `ethers_flow.mjs`: ethers v6's JsonRpcSigner (eth_sendTransaction,
//!   personal_sign, eth_signTypedData_v4), a contract deploy and a
//!   `contract.on` listener over eth_newFilter/eth_getFilterChanges;
//! - `viem_test_actions.mjs`: viem's test client in anvil mode (state
//!   cheats, impersonation, mining modes, the txpool, snapshots, state
//!   dumps, filters, eth_getBlockReceipts, eth_createAccessList, eth_getProof);
//! - `solidity_suite.mjs`: contracts compiled with npm's solc, with time
//!   travel opening a time lock, and on dml node an escrow calling the engine;
//! - `rpc_shapes.mjs`: the result shapes of the remaining methods (fee
//!   filling, traces, txpool, counts by block, anvil_nodeInfo, CORS);
//! - `bad_input.mjs`: anvil's error codes for bad filter ids, unknown
//!   senders and state that is not a dump, the node serving after each.
//!
//! `scripts/setup/chain.sh` installs node's packages and the Foundry
//! binaries; without them the tests skip with a message, and under
//! `CI=true` they fail. Each script prints the JSON-RPC methods it used.

mod support;
mod tools;

use support::start_node;
use tools::{ready, run_script, Anvil};

async fn on_dml_node(script: &str) {
    if !ready(script, false) {
        return;
    }
    let node = start_node().await;
    run_script(script, "dml node", &node.http_url(), &node.ws_url()).await;
    node.shutdown().await;
}

async fn on_anvil(script: &str) {
    if !ready(script, true) {
        return;
    }
    let anvil = Anvil::start().await;
    run_script(script, "anvil", &anvil.http_url(), &anvil.ws_url()).await;
    anvil.stop().await;
}

/// One test per script on each node: `dml_node::NAME` and `anvil::NAME`.
macro_rules! tool_tests {
    ($($name:ident => $script:literal,)*) => {
        mod dml_node {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::on_dml_node($script).await;
                }
            )*
        }

        mod anvil {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::on_anvil($script).await;
                }
            )*
        }
    };
}

tool_tests! {
    cast_sends_calls_reads_logs_and_replays_a_transaction => "cast_flow.sh",
    ethers_signer_sends_signs_deploys_and_hears_an_event => "ethers_flow.mjs",
    viem_test_client_cheats_mines_snapshots_and_filters => "viem_test_actions.mjs",
    solidity_suite_with_time_travel_and_the_engine => "solidity_suite.mjs",
    raw_results_have_anvils_shapes => "rpc_shapes.mjs",
    bad_input_gets_anvils_errors_and_the_node_still_serves => "bad_input.mjs",
}
