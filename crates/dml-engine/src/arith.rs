//! Division of 256-bit words in little code.
//!
//! `ruint`'s division is fast, but it compiles to about 15 KB of WebAssembly,
//! a large part of what an Arbitrum Stylus program may hold (24 KB after
//! compression). The engine divides only a few times per call, so it uses
//! this shift-and-subtract long division instead: at most 256 steps, exact,
//! and the same quotient and remainder as `/` and `%` (the tests compare them).

use alloy_primitives::U256;

/// `(numerator / divisor, numerator % divisor)`.
///
/// # Panics
///
/// If `divisor` is zero, as `/` does.
#[inline(never)]
pub(crate) fn div_rem(numerator: U256, divisor: U256) -> (U256, U256) {
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
    use super::*;

    fn word(limbs: [u64; 4], bits: usize) -> U256 {
        U256::from_limbs(limbs) >> (256 - bits)
    }

    #[test]
    fn agrees_with_ruint_on_edges_and_mixed_widths() {
        let edges = [
            U256::ZERO,
            U256::from(1u8),
            U256::from(2u8),
            U256::from(u64::MAX),
            U256::MAX,
            U256::MAX - U256::from(1u8),
        ];
        let mut values = edges.to_vec();
        // A fixed pseudo-random spread of widths (splitmix64).
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        for _ in 0..200 {
            let limbs = [next(), next(), next(), next()];
            let bits = 1 + (next() % 256) as usize;
            values.push(word(limbs, bits));
        }
        for &n in &values {
            for &d in &values {
                if d.is_zero() {
                    continue;
                }
                assert_eq!(div_rem(n, d), (n / d, n % d), "{n} / {d}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "division by zero")]
    fn zero_divisor_panics() {
        div_rem(U256::from(1u8), U256::ZERO);
    }
}
