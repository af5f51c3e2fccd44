//! Division of 256-bit words in little code.
//!
//! `ruint`'s division is fast, but it compiles to about 15 KB of WebAssembly,
//! a large part of what an Arbitrum Stylus program may hold (24 KB after
//! compression). So on wasm the engine divides with a shift-and-subtract long
//! division instead: at most 256 steps, exact, and the same quotient and
//! remainder as `/` and `%` (the tests compare them, and the Stylus
//! equivalence tests compare the wasm engine with the native one). Native
//! builds keep `ruint`'s, about four times faster on a claim.

use alloy_primitives::U256;

/// `(numerator / divisor, numerator % divisor)`.
///
/// # Panics
///
/// If `divisor` is zero, as `/` does.
pub(crate) fn div_rem(numerator: U256, divisor: U256) -> (U256, U256) {
    if cfg!(target_arch = "wasm32") {
        long_div_rem(numerator, divisor)
    } else {
        (numerator / divisor, numerator % divisor)
    }
}

/// [`div_rem`] by long division, in little code.
#[inline(never)]
fn long_div_rem(numerator: U256, divisor: U256) -> (U256, U256) {
    assert!(!divisor.is_zero(), "division by zero");
    let mut quotient = U256::ZERO;
    let mut remainder = numerator;
    if numerator < divisor {
        return (quotient, remainder);
    }
    // Align the divisor's top bit with the numerator's, then subtract it
    // wherever it fits, one bit position at a time.
    let shift = divisor.leading_zeros() - numerator.leading_zeros();
    let mut shifted = divisor << shift;
    let mut bit = shift + 1;
    while bit > 0 {
        bit -= 1;
        if remainder >= shifted {
            remainder -= shifted;
            quotient.set_bit(bit, true);
        }
        shifted >>= 1;
    }
    (quotient, remainder)
}

/// `numerator / divisor`, rounded down.
pub(crate) fn div(numerator: U256, divisor: U256) -> U256 {
    div_rem(numerator, divisor).0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A word of `bits` significant bits (1..=256) from four random limbs.
    fn word() -> impl Strategy<Value = U256> {
        (any::<[u64; 4]>(), 1usize..=256).prop_map(|(limbs, bits)| U256::from_limbs(limbs) >> (256 - bits))
    }

    proptest! {
        #[test]
        fn agrees_with_ruint(numerator in word(), divisor in word()) {
            prop_assume!(!divisor.is_zero());
            prop_assert_eq!(long_div_rem(numerator, divisor), (numerator / divisor, numerator % divisor));
        }
    }

    #[test]
    fn agrees_with_ruint_on_edges() {
        let one = U256::from(1u8);
        let edges =
            [U256::ZERO, one, U256::from(2u8), U256::from(u64::MAX), U256::MAX >> 1, U256::MAX - one, U256::MAX];
        for numerator in edges {
            for divisor in edges.into_iter().filter(|d| !d.is_zero()) {
                assert_eq!(
                    long_div_rem(numerator, divisor),
                    (numerator / divisor, numerator % divisor),
                    "{numerator} / {divisor}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "division by zero")]
    fn zero_divisor_panics() {
        long_div_rem(U256::from(1u8), U256::ZERO);
    }
}
