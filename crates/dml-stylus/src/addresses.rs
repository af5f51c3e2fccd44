//! The addresses compiled into both contracts.
//!
//! Each contract must know the other's address (the engine calls the token's
//! bridge; the token lets only the engine use it), and a Stylus program cannot
//! learn it from the chain without an extra storage slot that the dev chain
//! does not have. So they are build-time settings, read from the environment
//! of the build: `DML_ENGINE_ADDRESS`, `DML_TOKEN_ADDRESS` and
//! `DML_GENESIS_AUTHORITY` (0x-prefixed hex), defaulting to the dev chain's
//! contracts and its first dev account.

use alloy_primitives::Address;
use dml_engine::ContractAddresses;

/// Where the engine and the token are deployed.
pub const CONTRACTS: ContractAddresses = ContractAddresses {
    engine: parse(option_env!("DML_ENGINE_ADDRESS"), "00000000000000000000000000000000000d0e01"),
    token: parse(option_env!("DML_TOKEN_ADDRESS"), "00000000000000000000000000000000000d0e02"),
};

/// Where the engine's facet programs are deployed, in [`facet::EACH`]
/// order (govern, tasks, solve, settle, stake, delegate, finish, callback):
/// `DML_FACET_GOVERN_ADDRESS`, `DML_FACET_TASKS_ADDRESS`,
/// `DML_FACET_SOLVE_ADDRESS`, `DML_FACET_SETTLE_ADDRESS`,
/// `DML_FACET_STAKE_ADDRESS` (default `0x…0d0e11` to `0x…0d0e15`) and
/// `DML_FACET_DELEGATE_ADDRESS` (default `0x…0d0e17`: it came after the
/// genesis program's address was taken), `DML_FACET_FINISH_ADDRESS` and
/// `DML_FACET_CALLBACK_ADDRESS` (`0x…0d0e18`, `0x…0d0e19`). The router at [`CONTRACTS`]`.engine`
/// delegate-calls them.
///
/// [`facet::EACH`]: dml_engine::facet::EACH
pub const FACET_PROGRAMS: [Address; dml_engine::facet::EACH.len()] = [
    parse(option_env!("DML_FACET_GOVERN_ADDRESS"), "00000000000000000000000000000000000d0e11"),
    parse(option_env!("DML_FACET_TASKS_ADDRESS"), "00000000000000000000000000000000000d0e12"),
    parse(option_env!("DML_FACET_SOLVE_ADDRESS"), "00000000000000000000000000000000000d0e13"),
    parse(option_env!("DML_FACET_SETTLE_ADDRESS"), "00000000000000000000000000000000000d0e14"),
    parse(option_env!("DML_FACET_STAKE_ADDRESS"), "00000000000000000000000000000000000d0e15"),
    parse(option_env!("DML_FACET_DELEGATE_ADDRESS"), "00000000000000000000000000000000000d0e17"),
    parse(option_env!("DML_FACET_FINISH_ADDRESS"), "00000000000000000000000000000000000d0e18"),
    parse(option_env!("DML_FACET_CALLBACK_ADDRESS"), "00000000000000000000000000000000000d0e19"),
];

/// Where the engine's genesis program is deployed (`DML_GENESIS_PROGRAM_ADDRESS`,
/// default `0x…0d0e16`): the router delegate-calls it for
/// [`dmlGenesis`](crate::IDmlStylusGenesis::dmlGenesisCall) alone. Genesis
/// runs once, so its code (allocations, genesis models, the parameter
/// checks) lives in a program of its own rather than in a facet that every
/// later call pays to load.
pub const GENESIS_PROGRAM: Address =
    parse(option_env!("DML_GENESIS_PROGRAM_ADDRESS"), "00000000000000000000000000000000000d0e16");

/// The one account allowed to run genesis on the engine contract (the
/// deployer): the first dev account of the standard test mnemonic by default.
pub const GENESIS_AUTHORITY: Address =
    parse(option_env!("DML_GENESIS_AUTHORITY"), "f39fd6e51aad88f6f4ce6ab8827279cfffb92266");

/// Parses `0x`-prefixed (or bare) 40-digit hex at compile time; a malformed
/// setting stops the build.
const fn parse(setting: Option<&str>, default: &str) -> Address {
    let text = match setting {
        Some(text) => text.as_bytes(),
        None => default.as_bytes(),
    };
    let start = if text.len() >= 2 && text[0] == b'0' && (text[1] == b'x' || text[1] == b'X') { 2 } else { 0 };
    assert!(text.len() - start == 40, "a DML_*_ADDRESS setting must be 40 hex digits");
    let mut bytes = [0u8; 20];
    let mut i = 0;
    while i < 20 {
        bytes[i] = (nibble(text[start + 2 * i]) << 4) | nibble(text[start + 2 * i + 1]);
        i += 1;
    }
    Address::new(bytes)
}

const fn nibble(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => panic!("a DML_*_ADDRESS setting must be hex"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_dev_chain_addresses() {
        assert_eq!(CONTRACTS, ContractAddresses::default());
        assert_eq!(
            parse(Some("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), "00"),
            GENESIS_AUTHORITY,
            "mixed-case, 0x-prefixed settings parse"
        );
    }
}
