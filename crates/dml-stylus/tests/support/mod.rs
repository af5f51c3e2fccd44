//! Two Stylus contracts on stylus-sdk's `TestVM`: one `TestVM` per contract
//! (its own storage, sender, block and logs), and a thin host wrapper that
//! routes the engine's calls to the token contract into the token's `TestVM`
//! and answers static calls to the `ecrecover` precompile (address 1) as the
//! EVM does. The wrapper exists because `TestVM` only mocks fixed call
//! results (and keeps one return-data buffer for all of them); every other
//! host function is `TestVM`'s own. Both run on the dev chain's chain id, as
//! the reference engine's `CallContext::new` does.
#![allow(dead_code)]

use std::{cell::RefCell, collections::BTreeMap, rc::Rc};

use alloy_primitives::{Address, B256, U256};
use dml_engine::{Contract, Log};
use dml_primitives::DEV_CHAIN_ID;
use dml_stylus::{engine_entry, token_entry, ArbResult, TransientStorage, CONTRACTS};
use stylus_sdk::{
    stylus_core::{
        AccountAccess, BlockAccess, CalldataAccess, ChainAccess, CryptographyAccess, Host, MemoryAccess, MessageAccess,
        MeteringAccess, RawLogAccess, StorageAccess, UnsafeCallAccess, UnsafeDeploymentAccess,
    },
    testing::TestVM,
};

/// A log as the chain records it: the emitting address, topics, data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainLog {
    /// Emitting contract.
    pub address: Address,
    /// Topics.
    pub topics: Vec<B256>,
    /// Data.
    pub data: Vec<u8>,
}

impl ChainLog {
    /// The chain's view of an engine log.
    pub fn of(log: &Log) -> Self {
        let address = match log.contract {
            Contract::Engine => CONTRACTS.engine,
            Contract::Token => CONTRACTS.token,
        };
        Self { address, topics: log.topics.clone(), data: log.data.to_vec() }
    }
}

struct Shared {
    engine: TestVM,
    token: TestVM,
    logs: RefCell<Vec<ChainLog>>,
    /// Both contracts' transient storage (`TestVM` has none), cleared after each transaction.
    transient: RefCell<BTreeMap<(Address, U256), B256>>,
}

/// The engine and token contracts, each on its own `TestVM`.
pub struct StylusWorld {
    shared: Rc<Shared>,
}

impl Default for StylusWorld {
    fn default() -> Self {
        Self::new()
    }
}

impl StylusWorld {
    /// Both contracts at their compiled-in addresses, storage empty.
    pub fn new() -> Self {
        let engine = TestVM::new();
        engine.set_contract_address(CONTRACTS.engine);
        engine.set_chain_id(DEV_CHAIN_ID);
        let token = TestVM::new();
        token.set_contract_address(CONTRACTS.token);
        token.set_chain_id(DEV_CHAIN_ID);
        let transient = RefCell::new(BTreeMap::new());
        Self { shared: Rc::new(Shared { engine, token, logs: RefCell::new(Vec::new()), transient }) }
    }

    /// The `TestVM` of one contract.
    pub fn vm(&self, contract: Contract) -> &TestVM {
        match contract {
            Contract::Engine => &self.shared.engine,
            Contract::Token => &self.shared.token,
        }
    }

    /// One transaction: `sender` calls `contract` with `calldata` in block
    /// `block_number` at `timestamp`. Asserts that a reverted call left both
    /// contracts' storage as it was: `TestVM` does not roll back, so the
    /// adapter must never write before it knows the call succeeds.
    pub fn call(
        &self,
        contract: Contract,
        sender: Address,
        calldata: &[u8],
        block_number: u64,
        timestamp: u64,
    ) -> (ArbResult, Vec<ChainLog>) {
        for vm in [&self.shared.engine, &self.shared.token] {
            vm.set_block_number(block_number);
            vm.set_block_timestamp(timestamp);
        }
        let before = (self.slots(Contract::Engine), self.slots(Contract::Token));
        let first_log = self.shared.logs.borrow().len();
        let result = run(&self.shared, contract, sender, calldata);
        self.shared.transient.borrow_mut().clear();
        let logs = self.shared.logs.borrow_mut().split_off(first_log);
        if result.is_err() {
            assert_eq!(
                before,
                (self.slots(Contract::Engine), self.slots(Contract::Token)),
                "a reverted call changed storage"
            );
            assert!(logs.is_empty(), "a reverted call emitted logs: {logs:?}");
        }
        (result, logs)
    }

    /// A host running as one contract (its `TestVM`, with calls routed as
    /// in [`StylusWorld::call`]), for calling an entry point directly.
    pub fn host(&self, contract: Contract) -> impl Host + TransientStorage {
        Routed { vm: self.vm(contract).clone(), shared: Rc::clone(&self.shared), return_data: Rc::default() }
    }

    /// Every non-zero slot of one contract.
    pub fn slots(&self, contract: Contract) -> BTreeMap<U256, U256> {
        self.vm(contract)
            .snapshot()
            .storage
            .into_iter()
            .filter(|(_, value)| !value.is_zero())
            .map(|(slot, value)| (slot, U256::from_be_bytes(value.0)))
            .collect()
    }

    /// One slot of one contract, read the way a client reads it.
    pub fn slot(&self, contract: Contract, slot: U256) -> U256 {
        U256::from_be_bytes(self.vm(contract).get_storage(slot).0)
    }
}

fn run(shared: &Rc<Shared>, contract: Contract, sender: Address, calldata: &[u8]) -> ArbResult {
    let vm = match contract {
        Contract::Engine => shared.engine.clone(),
        Contract::Token => shared.token.clone(),
    };
    let previous_sender = vm.msg_sender();
    vm.set_sender(sender);
    let host = Routed { vm: vm.clone(), shared: Rc::clone(shared), return_data: Rc::default() };
    let result = match contract {
        Contract::Engine => engine_entry(&host, calldata),
        Contract::Token => token_entry(&host, calldata),
    };
    vm.set_sender(previous_sender);
    result
}

/// `TestVM` with calls between the two contracts routed for real.
#[derive(Clone)]
struct Routed {
    vm: TestVM,
    shared: Rc<Shared>,
    return_data: Rc<RefCell<Vec<u8>>>,
}

/// The `ecrecover` precompile: (digest, v, r, s) as 32-byte words in, the
/// signer as a word out, or nothing for a `v` other than 27 or 28 or a
/// signature that recovers no key.
pub fn ecrecover_precompile(input: &[u8]) -> Vec<u8> {
    let mut words = [0u8; 128];
    let used = input.len().min(128);
    words[..used].copy_from_slice(&input[..used]);
    let v = U256::from_be_slice(&words[32..64]);
    if v != U256::from(27u8) && v != U256::from(28u8) {
        return Vec::new();
    }
    let word = |at: usize| B256::from_slice(&words[at..at + 32]);
    match dml_engine::ecrecover_k256(word(0), v.to::<u8>(), word(64), word(96)) {
        Some(signer) => signer.into_word().to_vec(),
        None => Vec::new(),
    }
}

impl Routed {
    fn route(&self, to: *const u8, data: *const u8, data_len: usize, outs_len: &mut usize) -> u8 {
        // SAFETY: the adapter passes a 20-byte address and a calldata buffer of `data_len` bytes.
        let (to, data) = unsafe {
            (Address::from_slice(std::slice::from_raw_parts(to, 20)), std::slice::from_raw_parts(data, data_len))
        };
        if to == Address::with_last_byte(1) {
            let output = ecrecover_precompile(data);
            *outs_len = output.len();
            *self.return_data.borrow_mut() = output;
            return 0;
        }
        let target = if to == CONTRACTS.token {
            Contract::Token
        } else if to == CONTRACTS.engine {
            Contract::Engine
        } else {
            panic!("call to an unknown contract {to}")
        };
        let result = run(&self.shared, target, self.vm.contract_address(), data);
        let (status, bytes) = match result {
            Ok(bytes) => (0, bytes),
            Err(bytes) => (1, bytes),
        };
        *outs_len = bytes.len();
        *self.return_data.borrow_mut() = bytes;
        status
    }
}

impl Host for Routed {}

impl TransientStorage for Routed {
    fn transient_load_bytes32(&self, key: U256) -> B256 {
        let own = self.vm.contract_address();
        self.shared.transient.borrow().get(&(own, key)).copied().unwrap_or_default()
    }

    fn transient_store_bytes32(&self, key: U256, value: B256) {
        let own = self.vm.contract_address();
        self.shared.transient.borrow_mut().insert((own, key), value);
    }
}

impl CryptographyAccess for Routed {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        self.vm.native_keccak256(input)
    }
}

impl CalldataAccess for Routed {
    fn read_args(&self, len: usize) -> Vec<u8> {
        self.vm.read_args(len)
    }
    fn read_return_data(&self, offset: usize, size: Option<usize>) -> Vec<u8> {
        let data = self.return_data.borrow();
        let start = offset.min(data.len());
        let end = size.map_or(data.len(), |size| (start + size).min(data.len()));
        data[start..end].to_vec()
    }
    fn return_data_size(&self) -> usize {
        self.return_data.borrow().len()
    }
    fn write_result(&self, data: &[u8]) {
        self.vm.write_result(data)
    }
}

unsafe impl UnsafeDeploymentAccess for Routed {
    unsafe fn create1(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        contract: *mut u8,
        revert_len: *mut usize,
    ) {
        self.vm.create1(code, code_len, endowment, contract, revert_len)
    }
    unsafe fn create2(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        salt: *const u8,
        contract: *mut u8,
        revert_len: *mut usize,
    ) {
        self.vm.create2(code, code_len, endowment, salt, contract, revert_len)
    }
}

impl StorageAccess for Routed {
    fn storage_load_bytes32(&self, key: U256) -> B256 {
        self.vm.storage_load_bytes32(key)
    }
    unsafe fn storage_cache_bytes32(&self, key: U256, value: B256) {
        self.vm.storage_cache_bytes32(key, value)
    }
    fn flush_cache(&self, clear: bool) {
        self.vm.flush_cache(clear)
    }
}

unsafe impl UnsafeCallAccess for Routed {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        value: *const u8,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        assert!(B256::from_slice(std::slice::from_raw_parts(value, 32)).is_zero(), "the adapter sends no value");
        self.route(to, data, data_len, outs_len)
    }
    unsafe fn delegate_call_contract(
        &self,
        _to: *const u8,
        _data: *const u8,
        _data_len: usize,
        _gas: u64,
        _outs_len: &mut usize,
    ) -> u8 {
        panic!("the adapter never delegatecalls")
    }
    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let before = self.shared.token.snapshot().storage;
        let status = self.route(to, data, data_len, outs_len);
        assert_eq!(before, self.shared.token.snapshot().storage, "a static call wrote storage");
        status
    }
}

impl BlockAccess for Routed {
    fn block_basefee(&self) -> U256 {
        self.vm.block_basefee()
    }
    fn block_coinbase(&self) -> Address {
        self.vm.block_coinbase()
    }
    fn block_number(&self) -> u64 {
        self.vm.block_number()
    }
    fn block_timestamp(&self) -> u64 {
        self.vm.block_timestamp()
    }
    fn block_gas_limit(&self) -> u64 {
        self.vm.block_gas_limit()
    }
}

impl ChainAccess for Routed {
    fn chain_id(&self) -> u64 {
        self.vm.chain_id()
    }
}

impl AccountAccess for Routed {
    fn balance(&self, account: Address) -> U256 {
        self.vm.balance(account)
    }
    fn contract_address(&self) -> Address {
        self.vm.contract_address()
    }
    fn code(&self, account: Address) -> Vec<u8> {
        self.vm.code(account)
    }
    fn code_size(&self, account: Address) -> usize {
        self.vm.code_size(account)
    }
    fn code_hash(&self, account: Address) -> B256 {
        self.vm.code_hash(account)
    }
}

impl MemoryAccess for Routed {
    fn pay_for_memory_grow(&self, pages: u16) {
        self.vm.pay_for_memory_grow(pages)
    }
}

impl MessageAccess for Routed {
    fn msg_sender(&self) -> Address {
        self.vm.msg_sender()
    }
    fn msg_reentrant(&self) -> bool {
        self.vm.msg_reentrant()
    }
    fn msg_value(&self) -> U256 {
        self.vm.msg_value()
    }
    fn tx_origin(&self) -> Address {
        self.vm.tx_origin()
    }
}

impl MeteringAccess for Routed {
    fn evm_gas_left(&self) -> u64 {
        self.vm.evm_gas_left()
    }
    fn evm_ink_left(&self) -> u64 {
        self.vm.evm_ink_left()
    }
    fn tx_gas_price(&self) -> U256 {
        self.vm.tx_gas_price()
    }
    fn tx_ink_price(&self) -> u32 {
        self.vm.tx_ink_price()
    }
}

impl RawLogAccess for Routed {
    fn emit_log(&self, input: &[u8], num_topics: usize) {
        let (topics, data) = input.split_at(num_topics * 32);
        let topics: Vec<B256> = topics.chunks(32).map(B256::from_slice).collect();
        self.raw_log(&topics, data).expect("at most four topics");
    }
    fn raw_log(&self, topics: &[B256], data: &[u8]) -> Result<(), &'static str> {
        self.vm.raw_log(topics, data)?;
        let address = self.vm.contract_address();
        self.shared.logs.borrow_mut().push(ChainLog { address, topics: topics.to_vec(), data: data.to_vec() });
        Ok(())
    }
}
