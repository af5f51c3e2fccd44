//! The DML engine and token as Arbitrum Stylus contracts.
//!
//! This crate is a thin adapter: it forwards a contract call's ABI calldata to
//! the engine ([`dml_engine::call_facets`]) and maps the engine's [`Storage`](dml_engine::Storage)
//! and logs onto the Stylus host (`vm_hooks`), through stylus-sdk 0.10's raw
//! host access. It holds no protocol logic. Built for `wasm32-unknown-unknown`
//! with one program feature (see `scripts/stylus-build.sh`) it becomes one
//! deployable Stylus program; on the host it is an ordinary library whose
//! entry points ([`engine_entry`], [`facet_entry`], [`genesis_entry`],
//! [`router_entry`], [`token_entry`]) run over any [`Host`], such as
//! stylus-sdk's `TestVM`.
//!
//! The whole engine is about twice what one Stylus program may hold, so the
//! engine's address runs a small router ([`router_entry`]) that
//! delegate-calls one of eight facet programs ([`facet_entry`] built for one
//! [`facet`], at [`FACET_PROGRAMS`]) by the call's selector ([`route`]), or
//! for the one-time genesis the genesis program ([`genesis_entry`], at
//! [`GENESIS_PROGRAM`]). A delegate call runs the program on the router's
//! storage with the caller's `msg.sender`, so the engine behaves as one
//! contract.
//!
//! Two contracts, as on the dev chain. The engine and the token keep their
//! own addresses and their own account storage, slot for slot as
//! `dml-chain` lays them out, so `eth_getStorageAt`, logs and ABI are the
//! same on both hosts. A Stylus program may only write its own storage, so
//! when an engine call reads or writes token slots (every DML transfer and
//! mint, which also move votes) the
//! engine contract makes real calls to the token contract through a small
//! bridge ABI ([`IDmlTokenBridge`]) that only the engine may use: a static
//! `engineLoad(slot)` per token slot read, and after the engine call has
//! succeeded one `engineCommit` per run of token logs carrying the token slot
//! writes and the token's logs (`Transfer`, `DelegateVotesChanged`), so the
//! token emits them from its own address in the same order as on the dev
//! chain. The token's signed functions (`permit`, `delegateBySig`) recover
//! signers through the chain's `ecrecover` precompile, as Solidity does.
//!
//! Each program knows the others' addresses at compile time
//! ([`CONTRACTS`], [`FACET_PROGRAMS`] and [`GENESIS_PROGRAM`], from `DML_*_ADDRESS` settings, the
//! dev chain's addresses by default) and refuses to run at any other address.
//! Genesis is one call, [`IDmlStylusGenesis::dmlGenesisCall`] (roles,
//! parameters, allocations and models with their reward rates), which only
//! [`GENESIS_AUTHORITY`] may make, once.
//!
//! ```
//! use dml_stylus::{IDmlTokenBridge, CONTRACTS};
//! use dml_primitives::{IDmlToken, SolCall, SolInterface};
//! // The bridge's selectors never shadow an ERC-20 function.
//! assert!(!IDmlToken::IDmlTokenCalls::SELECTORS.contains(&IDmlTokenBridge::engineLoadCall::SELECTOR));
//! assert_ne!(CONTRACTS.engine, CONTRACTS.token);
//! ```
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

extern crate alloc;

mod addresses;
mod bridge;
#[cfg(not(target_arch = "wasm32"))]
mod export_abi;
mod host_storage;

use alloc::{string::ToString, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolError};
use dml_engine::{CallContext, CallError, Contract, Genesis, GenesisModel, Parameters};
pub use stylus_sdk::stylus_core::host::Host;

pub use addresses::{CONTRACTS, FACET_PROGRAMS, GENESIS_AUTHORITY, GENESIS_PROGRAM};
pub use dml_engine::facet;
#[cfg(not(target_arch = "wasm32"))]
pub use export_abi::solidity_interface;
use host_storage::{EngineStorage, HostStorage};

/// Return data of a call: `Ok` returns, `Err` reverts with that data.
pub type ArbResult = Result<Vec<u8>, Vec<u8>>;

/// Transient storage (EIP-1153) of the running contract, where the engine
/// keeps its reentrancy guard. Nitro's `vm_hooks` have it
/// (`transient_load_bytes32`, `transient_store_bytes32`); stylus-sdk 0.10's
/// [`Host`] does not, so the adapter's entry points take a host that also
/// implements this. The deployable programs' host (`stylus_sdk::host::VM`)
/// does, through the two hooks.
pub trait TransientStorage {
    /// `TLOAD`: a slot of the running contract's transient storage.
    fn transient_load_bytes32(&self, key: U256) -> B256;
    /// `TSTORE`: writes a slot of the running contract's transient storage.
    fn transient_store_bytes32(&self, key: U256, value: B256);
}

#[cfg(target_arch = "wasm32")]
mod transient_hooks {
    #[link(wasm_import_module = "vm_hooks")]
    unsafe extern "C" {
        pub(crate) fn transient_load_bytes32(key: *const u8, dest: *mut u8);
        pub(crate) fn transient_store_bytes32(key: *const u8, value: *const u8);
    }
}

#[cfg(target_arch = "wasm32")]
impl TransientStorage for stylus_sdk::host::VM {
    fn transient_load_bytes32(&self, key: U256) -> B256 {
        let key = B256::from(key);
        let mut value = B256::ZERO;
        // SAFETY: both pointers are to 32 valid bytes.
        unsafe { transient_hooks::transient_load_bytes32(key.as_ptr(), value.as_mut_ptr()) };
        value
    }

    fn transient_store_bytes32(&self, key: U256, value: B256) {
        let key = B256::from(key);
        // SAFETY: both pointers are to 32 valid bytes.
        unsafe { transient_hooks::transient_store_bytes32(key.as_ptr(), value.as_ptr()) };
    }
}

alloy_sol_types::sol! {
    /// The token contract's side door for the engine contract: the engine's
    /// calls read and write token slots (balances, supply, vote checkpoints)
    /// and the token emits the resulting `Transfer` and `DelegateVotesChanged`
    /// logs. Only the engine may call it.
    #[derive(Debug, PartialEq, Eq)]
    interface IDmlTokenBridge {
        /// Reads one slot of the token's storage.
        function engineLoad(uint256 slot) external view returns (uint256);
        /// Writes token slots, then emits logs (`topics[i]`, `data[i]`) from the token.
        function engineCommit(uint256[] calldata slots, uint256[] calldata values, bytes32[][] calldata topics, bytes[] calldata data) external;
        /// Writes one slot of the token's transient storage: the engine's
        /// reentrancy guard, set in the token too while the engine calls another contract.
        function engineTransientStore(uint256 slot, uint256 value) external;
    }

    /// The engine contract's one-time initialisation: writes the state
    /// `dml_engine::genesis` writes on the dev chain.
    #[derive(Debug, PartialEq, Eq)]
    interface IDmlStylusGenesis {
        /// A model registered at genesis, as `registerModel(addr, fee, template)`
        /// sent by `addr` registers it, then given its reward `rate` (1e18 = the full reward).
        struct GenesisModel {
            address addr;
            uint256 fee;
            uint256 rate;
            bytes template;
        }

        /// `parameters` in the order of `dml_engine::Parameters`'s fields;
        /// `models` registered in order, after the allocations.
        function dmlGenesis(
            address owner,
            address pauser,
            address treasury,
            address liquidityPool,
            uint64 startTime,
            address[] calldata holders,
            uint256[] calldata amounts,
            uint64[15] calldata parameters,
            GenesisModel[] calldata models
        ) external;
    }
}

/// Revert data `Error(reason)`, as a Solidity `require` gives it.
pub fn revert_data(reason: &str) -> Vec<u8> {
    alloy_sol_types::Revert { reason: reason.into() }.abi_encode()
}

fn call_context<H: Host + ?Sized>(host: &H) -> CallContext {
    CallContext {
        sender: host.msg_sender(),
        value: host.msg_value(),
        block_number: host.block_number(),
        timestamp: host.block_timestamp(),
        // Stylus meters ink itself; the engine's EVM-equivalent gas is not a limit here.
        gas_limit: u64::MAX,
        // A write in a static context fails in the host, which reverts the call.
        is_static: false,
        contracts: CONTRACTS,
        chain_id: host.chain_id(),
    }
}

fn selector(calldata: &[u8]) -> Option<[u8; 4]> {
    calldata.get(..4).map(|bytes| [bytes[0], bytes[1], bytes[2], bytes[3]])
}

fn check_address<H: Host + ?Sized>(host: &H, expected: Address) -> Result<(), Vec<u8>> {
    if host.contract_address() == expected {
        Ok(())
    } else {
        Err(revert_data("dml-stylus: contract built for another address"))
    }
}

fn is_genesis(calldata: &[u8]) -> bool {
    selector(calldata) == Some(IDmlStylusGenesis::dmlGenesisCall::SELECTOR)
}

/// One call to the engine with every facet and genesis in one program: the
/// engine's ABI plus [`IDmlStylusGenesis`]. Token slots and token logs go
/// through the token contract's [`IDmlTokenBridge`]. Too large to deploy as
/// one Stylus program, it is the whole engine for native hosts such as
/// stylus-sdk's `TestVM`.
pub fn engine_entry<H: Host + TransientStorage + ?Sized>(host: &H, calldata: &[u8]) -> ArbResult {
    if is_genesis(calldata) {
        return genesis_entry(host, calldata);
    }
    facet_entry::<{ facet::ALL }, H>(host, calldata)
}

/// One call to an engine facet program: the engine functions of the facets
/// in `FACETS` (a [`facet`] mask), running on the engine's storage: the
/// router delegate-calls it, so the host's contract address is the engine's.
pub fn facet_entry<const FACETS: u8, H: Host + TransientStorage + ?Sized>(host: &H, calldata: &[u8]) -> ArbResult {
    check_address(host, CONTRACTS.engine)?;
    run_engine::<FACETS, true, H>(host, calldata)
}

/// One call to the genesis program, which the router delegate-calls for
/// [`IDmlStylusGenesis`] and nothing else: it runs on the engine's storage.
pub fn genesis_entry<H: Host + TransientStorage + ?Sized>(host: &H, calldata: &[u8]) -> ArbResult {
    check_address(host, CONTRACTS.engine)?;
    if !is_genesis(calldata) {
        return Err(revert_data("dml-stylus: the genesis program runs only dmlGenesis"));
    }
    genesis(host, calldata)
}

/// Runs one call to the engine (`ENGINE`) or the token on the host's
/// storage: the return data, or the revert data of the engine's failure or of
/// a failed bridge call; logs are emitted only after the call has succeeded.
fn run_engine<const FACETS: u8, const ENGINE: bool, H: Host + TransientStorage + ?Sized>(
    host: &H,
    calldata: &[u8],
) -> ArbResult {
    let context = call_context(host);
    let own = if ENGINE { Contract::Engine } else { Contract::Token };
    let mut storage = HostStorage::<H, ENGINE>::new(host);
    let result = dml_engine::call_facets::<FACETS, _>(&mut storage, &context, own, calldata);
    storage.check()?;
    match result {
        Ok(outcome) => {
            storage.finish(&outcome.logs)?;
            Ok(outcome.output.to_vec())
        }
        Err(error) => Err(revert_of(&error)),
    }
}

/// The facet that serves a call to the engine address, by its selector:
/// `None` for calldata without a known engine function's selector
/// (`dmlGenesis` included: the genesis program serves it, see [`program_for`]).
pub fn route(calldata: &[u8]) -> Option<u8> {
    let selector = selector(calldata)?;
    Some(facet::of_selector(selector)).filter(|&facet| facet != 0)
}

/// The program the router delegate-calls for `calldata`: [`GENESIS_PROGRAM`]
/// for `dmlGenesis`, else the facet program of [`route`], the govern facet's
/// for calldata without a known selector.
pub fn program_for(calldata: &[u8]) -> Address {
    if is_genesis(calldata) {
        return GENESIS_PROGRAM;
    }
    let facet = route(calldata).unwrap_or(facet::GOVERN);
    FACET_PROGRAMS[facet.trailing_zeros() as usize]
}

/// One call to the engine's router program, the program deployed at the
/// engine's address: it delegate-calls the program that serves the selector
/// ([`program_for`]), which runs on the router's storage with the caller's
/// `msg.sender`, and returns or reverts with what that program gave.
/// Calldata without a known selector goes to the govern facet, so the
/// engine itself refuses it, with the engine's reason (a call with value is
/// "not payable" before its selector is looked at).
pub fn router_entry<H: Host + ?Sized>(host: &H, calldata: &[u8]) -> ArbResult {
    check_address(host, CONTRACTS.engine)?;
    // A delegate call to an address without code "succeeds" with no output,
    // so before the one-time genesis the router checks that every facet and
    // the genesis program are deployed where it was built to find them
    // (program code cannot go away).
    if is_genesis(calldata)
        && FACET_PROGRAMS.iter().chain([&GENESIS_PROGRAM]).any(|program| host.code_size(*program) == 0)
    {
        return Err(revert_data("dml-stylus: an engine program is missing at its built-in address"));
    }
    let program = program_for(calldata);
    let mut return_len = 0usize;
    // SAFETY: the pointers are valid for the lengths given; the router keeps
    // no storage of its own in the host's cache.
    let status = unsafe {
        host.delegate_call_contract(program.as_ptr(), calldata.as_ptr(), calldata.len(), u64::MAX, &mut return_len)
    };
    let data = host.read_return_data(0, Some(return_len));
    if status == 0 {
        Ok(data)
    } else {
        Err(data)
    }
}

/// One call to the token contract: the ERC-20 ABI, plus [`IDmlTokenBridge`]
/// for the engine contract.
pub fn token_entry<H: Host + TransientStorage + ?Sized>(host: &H, calldata: &[u8]) -> ArbResult {
    check_address(host, CONTRACTS.token)?;
    match selector(calldata) {
        Some(IDmlTokenBridge::engineLoadCall::SELECTOR) => {
            only_engine(host)?;
            let call = IDmlTokenBridge::engineLoadCall::abi_decode(calldata)
                .map_err(|_| revert_data("dml-stylus: invalid bridge calldata"))?;
            let value = U256::from_be_bytes(host.storage_load_bytes32(call.slot).0);
            Ok(IDmlTokenBridge::engineLoadCall::abi_encode_returns(&value))
        }
        Some(IDmlTokenBridge::engineTransientStoreCall::SELECTOR) => {
            only_engine(host)?;
            let call = IDmlTokenBridge::engineTransientStoreCall::abi_decode(calldata)
                .map_err(|_| revert_data("dml-stylus: invalid bridge calldata"))?;
            host.transient_store_bytes32(call.slot, B256::from(call.value));
            Ok(Vec::new())
        }
        Some(IDmlTokenBridge::engineCommitCall::SELECTOR) => {
            only_engine(host)?;
            let call = IDmlTokenBridge::engineCommitCall::abi_decode(calldata)
                .map_err(|_| revert_data("dml-stylus: invalid bridge calldata"))?;
            if call.slots.len() != call.values.len() || call.topics.len() != call.data.len() {
                return Err(revert_data("dml-stylus: invalid bridge calldata"));
            }
            for (slot, value) in call.slots.iter().zip(&call.values) {
                // SAFETY: the token holds no storage handles that could alias this slot.
                unsafe { host.storage_cache_bytes32(*slot, B256::from(*value)) };
            }
            for (topics, data) in call.topics.iter().zip(&call.data) {
                host.raw_log(topics, data).map_err(revert_data)?;
            }
            Ok(Vec::new())
        }
        // No engine facet: a token program carries no engine code.
        _ => run_engine::<0, false, H>(host, calldata),
    }
}

fn only_engine<H: Host + ?Sized>(host: &H) -> Result<(), Vec<u8>> {
    if host.msg_sender() == CONTRACTS.engine {
        Ok(())
    } else {
        Err(revert_data("dml-stylus: only the engine may use the token bridge"))
    }
}

fn revert_of(error: &CallError) -> Vec<u8> {
    error.revert_data().to_vec()
}

fn genesis<H: Host + TransientStorage + ?Sized>(host: &H, calldata: &[u8]) -> ArbResult {
    if host.msg_sender() != GENESIS_AUTHORITY {
        return Err(revert_data("dml-stylus: only the genesis authority may run genesis"));
    }
    if !host.msg_value().is_zero() {
        return Err(revert_data("function is not payable"));
    }
    let call = IDmlStylusGenesis::dmlGenesisCall::abi_decode(calldata)
        .map_err(|_| revert_data("dml-stylus: invalid genesis calldata"))?;
    if call.holders.len() != call.amounts.len() {
        return Err(revert_data("dml-stylus: holders and amounts differ in length"));
    }
    // The owner slot is never zero after genesis (genesis and transferOwnership refuse a zero owner).
    let owner_slot = U256::from(dml_engine::layout::engine::OWNER);
    if !host.storage_load_bytes32(owner_slot).is_zero() {
        return Err(revert_data("dml-stylus: genesis already ran"));
    }
    let config = Genesis {
        owner: call.owner,
        pauser: call.pauser,
        treasury: call.treasury,
        liquidity_pool: call.liquidityPool,
        start_time: call.startTime,
        timestamp: host.block_timestamp(),
        allocations: call.holders.into_iter().zip(call.amounts).collect(),
        models: call
            .models
            .into_iter()
            .map(|model| GenesisModel { addr: model.addr, fee: model.fee, rate: model.rate, template: model.template })
            .collect(),
        parameters: Parameters::from_array(call.parameters),
        contracts: CONTRACTS,
    };
    let mut storage = EngineStorage::new(host);
    let result = dml_engine::genesis(&mut storage, &config);
    storage.check()?;
    match result {
        Ok(logs) => {
            storage.finish(&logs)?;
            Ok(Vec::new())
        }
        Err(error) => Err(revert_data(&error.to_string())),
    }
}

/// The [`IDmlStylusGenesis::dmlGenesisCall`] that sets up `config`, as the
/// dev chain's genesis would (its `contracts` must be [`CONTRACTS`]).
pub fn genesis_calldata(config: &Genesis) -> Vec<u8> {
    IDmlStylusGenesis::dmlGenesisCall {
        owner: config.owner,
        pauser: config.pauser,
        treasury: config.treasury,
        liquidityPool: config.liquidity_pool,
        startTime: config.start_time,
        holders: config.allocations.iter().map(|(holder, _)| *holder).collect(),
        amounts: config.allocations.iter().map(|(_, amount)| *amount).collect(),
        parameters: config.parameters.to_array(),
        models: config
            .models
            .iter()
            .map(|model| IDmlStylusGenesis::GenesisModel {
                addr: model.addr,
                fee: model.fee,
                rate: model.rate,
                template: model.template.clone(),
            })
            .collect(),
    }
    .abi_encode()
}

/// The deployable program: `user_entrypoint`, exported only in a wasm32
/// build with exactly one of the contract features.
#[cfg(all(
    target_arch = "wasm32",
    any(
        feature = "engine-router",
        feature = "engine-govern",
        feature = "engine-tasks",
        feature = "engine-solve",
        feature = "engine-settle",
        feature = "engine-stake",
        feature = "engine-delegate",
        feature = "engine-finish",
        feature = "engine-callback",
        feature = "engine-genesis",
        feature = "token-contract"
    )
))]
mod program {
    const PROGRAMS: usize = cfg!(feature = "engine-router") as usize
        + cfg!(feature = "engine-govern") as usize
        + cfg!(feature = "engine-tasks") as usize
        + cfg!(feature = "engine-solve") as usize
        + cfg!(feature = "engine-settle") as usize
        + cfg!(feature = "engine-stake") as usize
        + cfg!(feature = "engine-delegate") as usize
        + cfg!(feature = "engine-finish") as usize
        + cfg!(feature = "engine-callback") as usize
        + cfg!(feature = "engine-genesis") as usize
        + cfg!(feature = "token-contract") as usize;
    const _: () = assert!(PROGRAMS == 1, "build one program at a time: one `engine-*` or `token-contract` feature");

    use alloc::vec::Vec;
    // The `entrypoint` macro calls host methods through the prelude's traits.
    use stylus_sdk::{host::VM, prelude::*};

    #[entrypoint]
    fn user_main(input: Vec<u8>, vm: VM) -> stylus_sdk::ArbResult {
        #[cfg(feature = "engine-router")]
        return crate::router_entry(&vm, &input);
        #[cfg(feature = "engine-govern")]
        return crate::facet_entry::<{ crate::facet::GOVERN }, _>(&vm, &input);
        #[cfg(feature = "engine-tasks")]
        return crate::facet_entry::<{ crate::facet::TASKS }, _>(&vm, &input);
        #[cfg(feature = "engine-solve")]
        return crate::facet_entry::<{ crate::facet::SOLVE }, _>(&vm, &input);
        #[cfg(feature = "engine-settle")]
        return crate::facet_entry::<{ crate::facet::SETTLE }, _>(&vm, &input);
        #[cfg(feature = "engine-stake")]
        return crate::facet_entry::<{ crate::facet::STAKE }, _>(&vm, &input);
        #[cfg(feature = "engine-delegate")]
        return crate::facet_entry::<{ crate::facet::DELEGATE }, _>(&vm, &input);
        #[cfg(feature = "engine-finish")]
        return crate::facet_entry::<{ crate::facet::FINISH }, _>(&vm, &input);
        #[cfg(feature = "engine-callback")]
        return crate::facet_entry::<{ crate::facet::CALLBACK }, _>(&vm, &input);
        #[cfg(feature = "engine-genesis")]
        return crate::genesis_entry(&vm, &input);
        #[cfg(feature = "token-contract")]
        return crate::token_entry(&vm, &input);
    }
}
