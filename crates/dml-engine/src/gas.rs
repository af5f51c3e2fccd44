//! EVM gas prices for the work the engine does, so that a host can charge a
//! call what a Solidity contract doing the same storage work would pay.
//!
//! Storage follows EIP-2929 (access lists), EIP-2200 (net metering) and
//! EIP-3529 (reduced refunds); logs and hashing follow the yellow paper.

/// Cold SLOAD, and the surcharge of an SSTORE to a cold slot (EIP-2929).
pub const COLD_SLOAD: u64 = 2_100;
/// SLOAD of a warm slot; also the price of a no-op or dirty SSTORE.
pub const WARM_STORAGE_READ: u64 = 100;
/// SSTORE that turns a zero slot non-zero.
pub const SSTORE_SET: u64 = 20_000;
/// SSTORE that changes a non-zero slot (5000 less the cold surcharge).
pub const SSTORE_RESET: u64 = 2_900;
/// Refund for clearing a slot (EIP-3529).
pub const SSTORE_CLEARS_REFUND: i64 = 4_800;
/// First call into another contract within a transaction.
pub const COLD_ACCOUNT_ACCESS: u64 = 2_600;
/// Later calls into the same contract.
pub const WARM_ACCOUNT_ACCESS: u64 = 100;
/// LOG base price.
pub const LOG: u64 = 375;
/// LOG price per topic.
pub const LOG_TOPIC: u64 = 375;
/// LOG price per byte of data.
pub const LOG_DATA_BYTE: u64 = 8;
/// Gas a callback's delivery must keep beyond the callback's own: the call's
/// own price (a cold account, the guard's writes, the calldata), then the
/// status write and the `CallbackFailed` log with the longest reason after it
/// returns (about 10,100 in all), with room to spare. A host that meters the
/// engine itself (Stylus) checks the same reserve.
pub const AFTER_CALLBACK: u64 = 12_000;
/// KECCAK256 base price.
pub const KECCAK: u64 = 30;
/// KECCAK256 price per 32-byte word hashed.
pub const KECCAK_WORD: u64 = 6;
/// The `ecrecover` precompile's price plus the warm STATICCALL to it.
pub const ECRECOVER: u64 = 3_000 + WARM_ACCOUNT_ACCESS;
/// The SHA-256 precompile's base price plus the warm STATICCALL to it.
pub const SHA256: u64 = 60 + WARM_ACCOUNT_ACCESS;
/// SHA-256 price per 32-byte word hashed.
pub const SHA256_WORD: u64 = 12;
/// Copying calldata or memory, per 32-byte word.
pub const COPY_WORD: u64 = 3;
/// What a compiled Solidity function spends besides storage, logs and hashing:
/// selector dispatch, ABI decoding, checks and stack work. Estimated from
/// Arbius EngineV1's traces, where it comes to one to two thousand gas.
pub const CALL_OVERHEAD: u64 = 1_000;
/// The fixed-point exp2 and divisions of the emission curve (PRBMath's
/// `exp2` and `div` cost about this much on the EVM).
pub const EMISSION_MATH: u64 = 3_000;
/// A transaction's base cost.
pub const TX_BASE: u64 = 21_000;
/// Calldata price per zero byte.
pub const TX_DATA_ZERO: u64 = 4;
/// Calldata price per non-zero byte.
pub const TX_DATA_NONZERO: u64 = 16;
/// Largest share of gas used that refunds may repay (EIP-3529).
pub const MAX_REFUND_QUOTIENT: u64 = 5;

/// Price of hashing `len` bytes with KECCAK256.
pub fn keccak(len: usize) -> u64 {
    KECCAK + KECCAK_WORD * words(len)
}

/// Price of hashing `len` bytes with the SHA-256 precompile.
pub fn sha256(len: usize) -> u64 {
    SHA256 + SHA256_WORD * words(len) + COPY_WORD * words(len)
}

/// Number of 32-byte words needed for `len` bytes.
pub fn words(len: usize) -> u64 {
    len.div_ceil(32) as u64
}

/// Intrinsic gas of a transaction carrying `calldata` to an existing
/// contract: 21000 plus 4 per zero byte and 16 per non-zero byte. (The
/// EIP-7623 floor does not bind for the engine's calls, which do storage
/// work well above it.)
pub fn intrinsic(calldata: &[u8]) -> u64 {
    let zeros = calldata.iter().filter(|&&b| b == 0).count() as u64;
    let nonzeros = calldata.len() as u64 - zeros;
    TX_BASE + zeros * TX_DATA_ZERO + nonzeros * TX_DATA_NONZERO
}

/// What a whole transaction pays: intrinsic plus execution, less the
/// refund (capped at a fifth of the total, EIP-3529).
pub fn transaction_total(calldata: &[u8], execution: u64, refund: u64) -> u64 {
    let used = intrinsic(calldata) + execution;
    used - refund.min(used / MAX_REFUND_QUOTIENT)
}
