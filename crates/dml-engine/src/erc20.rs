//! ERC-20 calls the way OpenZeppelin's `SafeERC20` makes them: the calldata
//! of `transfer` and `transferFrom`, and the verdict on what the token
//! answered. Pure: the engine makes the call through its host
//! ([`Storage::call_contract`](crate::Storage::call_contract)) and asks
//! [`verdict`] what it came to.
//!
//! ```
//! use dml_engine::{erc20, ExternalCallResult};
//! use dml_primitives::{Address, SolValue};
//!
//! let data = erc20::transfer_from_calldata(Address::repeat_byte(1), Address::repeat_byte(2), 5u64.try_into().unwrap());
//! assert_eq!(data.len(), 4 + 3 * 32);
//! let answered_true = ExternalCallResult::returned(true.abi_encode(), 30_000);
//! assert_eq!(erc20::verdict(&answered_true, || true), erc20::Verdict::Succeeded);
//! let answered_false = ExternalCallResult::returned(false.abi_encode(), 30_000);
//! assert_eq!(erc20::verdict(&answered_false, || true), erc20::Verdict::Failed);
//! ```

use alloc::vec::Vec;
use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use dml_primitives::IERC20;

use crate::ExternalCallResult;

/// `transfer(to, value)`, with its selector.
pub fn transfer_calldata(to: Address, value: U256) -> Vec<u8> {
    IERC20::transferCall { to, value }.abi_encode()
}

/// `transferFrom(from, to, value)`, with its selector.
pub fn transfer_from_calldata(from: Address, to: Address, value: U256) -> Vec<u8> {
    IERC20::transferFromCall { from, to, value }.abi_encode()
}

/// What an ERC-20 call came to, by `SafeERC20`'s rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The token returned `true`, or returned nothing and has code.
    Succeeded,
    /// The token reverted (or ran out of gas): revert with its revert data.
    Reverted,
    /// The token returned something other than `true` (`false`, say), or the
    /// address has no code: revert with `SafeERC20FailedOperation(token)`.
    Failed,
}

/// `SafeERC20`'s verdict on a call's `result`; `has_code` (asked only when
/// the call returned nothing) says whether the token address holds code.
pub fn verdict(result: &ExternalCallResult, has_code: impl FnOnce() -> bool) -> Verdict {
    if !result.success {
        Verdict::Reverted
    } else if accepted(&result.output, has_code) {
        Verdict::Succeeded
    } else {
        Verdict::Failed
    }
}

/// Whether the return data of a call that returned is a success by
/// `SafeERC20`'s rules: `true`, or nothing from an address with code
/// (`has_code` is asked only then).
pub fn accepted(output: &[u8], has_code: impl FnOnce() -> bool) -> bool {
    returned_true(output) || (output.is_empty() && has_code())
}

/// Whether return data starts with the word 1 (`true`), as `SafeERC20` reads it.
pub fn returned_true(output: &[u8]) -> bool {
    output.first_chunk::<32>().is_some_and(|word| U256::from_be_bytes(*word) == U256::from(1u8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    #[test]
    fn calldata_is_the_erc20_abi() {
        let (from, to) = (Address::repeat_byte(0xaa), Address::repeat_byte(0xbb));
        let data = transfer_from_calldata(from, to, U256::from(7u8));
        assert_eq!(data[..4], hex!("23b872dd"));
        assert_eq!(data[4 + 12..36], from.0);
        assert_eq!(data[36 + 12..68], to.0);
        assert_eq!(U256::from_be_slice(&data[68..]), U256::from(7u8));
        assert_eq!(transfer_calldata(to, U256::from(7u8))[..4], hex!("a9059cbb"));
    }

    #[test]
    fn safe_erc20_accepts_true_or_nothing_from_code_only() {
        let word = |n: u8| U256::from(n).to_be_bytes::<32>().to_vec();
        let ok = |output: Vec<u8>| ExternalCallResult::returned(output, 0);
        assert_eq!(verdict(&ok(word(1)), || false), Verdict::Succeeded);
        assert_eq!(verdict(&ok([word(1), word(9)].concat()), || true), Verdict::Succeeded);
        assert_eq!(verdict(&ok(Vec::new()), || true), Verdict::Succeeded);
        assert_eq!(verdict(&ok(Vec::new()), || false), Verdict::Failed, "no code");
        assert_eq!(verdict(&ok(word(0)), || true), Verdict::Failed, "false");
        assert_eq!(verdict(&ok(word(2)), || true), Verdict::Failed, "not exactly true");
        assert_eq!(verdict(&ok(alloc::vec![1]), || true), Verdict::Failed, "short");
        let reverted = ExternalCallResult::reverted(word(1), 0);
        assert_eq!(verdict(&reverted, || true), Verdict::Reverted);
    }
}
