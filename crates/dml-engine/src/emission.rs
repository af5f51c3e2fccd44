//! The emission curve of whitepaper §2.1 and §5 in exact integer arithmetic.
//!
//! `target(t) = CAP × (1 − 2^(−t / 1 year))`, `d = emitted / target`,
//! `diffMul = 100` below `d = 0.9335…`, `0` once `100·(d−1) ≥ 20`, else
//! `2^(−100·(d−1))`; `reward = 1 DML × (CAP − emitted) / CAP × diffMul`.
//! Powers of two are computed at 1e36 scale (a Taylor series of `e^y`
//! truncated only below one unit in 1e36), so the 1e18 results are exact to
//! far better than the 1e-9 the protocol asks for, and every result is a
//! deterministic integer.

use alloy_primitives::U256;
use dml_primitives::{ONE_DML, WAD};

use crate::arith::{div, div_rem};

/// Seconds in the curve's year (365 days).
pub const YEAR_SECONDS: u64 = 365 * 24 * 60 * 60;
/// Below this ratio of emitted to target supply the multiplier is capped at 100.
pub const DIFF_MUL_FLOOR_RATIO: u64 = 933_561_438_102_252_700;
/// Above 100·(d−1) = 20 the multiplier is zero.
const DIFF_MUL_ZERO_EXPONENT: u128 = 20 * 1_000_000_000_000_000_000;

/// 1e36: the internal scale of the power-of-two routines.
fn scale() -> U256 {
    U256::from(10u8).pow(U256::from(36u8))
}

/// ln 2 × 1e36, rounded down.
fn ln2_scaled() -> U256 {
    U256::from(693_147_180_559_945_309_417_232_121_458_176_568u128)
}

/// `e^y` for `0 ≤ y < 1` given at 1e36 scale, returned at 1e36 scale.
fn exp_small(y: U256) -> U256 {
    let s = scale();
    let mut term = s;
    let mut sum = s;
    let mut k = 1u64;
    while !term.is_zero() {
        term = div(div(term * y, s), U256::from(k));
        sum += term;
        k += 1;
    }
    sum
}

/// `2^(num/den)` at 1e36 scale. The integer part of `num/den` must stay below
/// 130 so the result fits.
pub fn exp2_scaled(num: U256, den: U256) -> U256 {
    let (whole, fraction) = div_rem(num, den);
    let y = div(fraction * ln2_scaled(), den);
    exp_small(y) << whole.to::<usize>()
}

/// `2^(−num/den)` at 1e36 scale (zero once it drops below 1e-36).
pub fn exp2_neg_scaled(num: U256, den: U256) -> U256 {
    let (whole, fraction) = div_rem(num, den);
    if whole >= U256::from(256u16) {
        return U256::ZERO;
    }
    let y = div(fraction * ln2_scaled(), den);
    let s = scale();
    div(s * s, exp_small(y)) >> whole.to::<usize>()
}

/// Target emitted supply `t` seconds after start: `cap × (1 − 2^(−t/year))`.
pub fn target_supply(t: U256, cap: U256) -> U256 {
    let decayed = div(cap * exp2_neg_scaled(t, U256::from(YEAR_SECONDS)), scale());
    cap - decayed
}

/// The reward multiplier at 1e18 scale (100e18 = 100×) for `emitted` DML
/// emitted `t` seconds after start.
pub fn diff_mul(t: U256, emitted: U256, cap: U256) -> U256 {
    let target = target_supply(t, cap);
    if target.is_zero() {
        return if emitted.is_zero() { U256::from(100u8) * WAD } else { U256::ZERO };
    }
    // d at 1e18 scale; emitted ≤ cap < 2^80 so the product cannot overflow.
    let ratio = div(emitted * WAD, target);
    if ratio < U256::from(DIFF_MUL_FLOOR_RATIO) {
        return U256::from(100u8) * WAD;
    }
    let hundred_ratio = ratio * U256::from(100u8);
    let hundred = U256::from(100u8) * WAD;
    let to_wad = div(scale(), WAD);
    if hundred_ratio >= hundred {
        let exponent = hundred_ratio - hundred;
        if exponent >= U256::from(DIFF_MUL_ZERO_EXPONENT) {
            return U256::ZERO;
        }
        div(exp2_neg_scaled(exponent, WAD), to_wad)
    } else {
        let exponent = hundred - hundred_ratio;
        div(exp2_scaled(exponent, WAD), to_wad)
    }
}

/// The task reward for a claim `t` seconds after start with `emitted` DML
/// emitted so far; one DML while nothing has been emitted yet.
pub fn reward(t: U256, emitted: U256, cap: U256) -> U256 {
    if emitted >= cap {
        return U256::ZERO;
    }
    if emitted.is_zero() {
        return ONE_DML;
    }
    div(div((cap - emitted) * ONE_DML * diff_mul(t, emitted, cap), cap), WAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_two_at_integer_points_are_exact() {
        let s = scale();
        assert_eq!(exp2_scaled(U256::from(3u8), U256::from(1u8)), s * U256::from(8u8));
        assert_eq!(exp2_neg_scaled(U256::from(2u8), U256::from(1u8)), s / U256::from(4u8));
        assert_eq!(exp2_neg_scaled(U256::ZERO, U256::from(1u8)), s);
    }

    #[test]
    fn half_power_is_square_root_of_two() {
        let root2 = exp2_scaled(U256::from(1u8), U256::from(2u8));
        // √2 = 1.414213562373095048801688724209698078…
        let expected = U256::from(1_414_213_562_373_095_048_801_688_724_209_698_078u128);
        assert!(root2.abs_diff(expected) <= U256::from(100u8), "{root2}");
    }

    #[test]
    fn reward_is_one_dml_before_any_emission() {
        let cap = dml_primitives::MAX_SUPPLY;
        assert_eq!(reward(U256::from(1000u16), U256::ZERO, cap), ONE_DML);
        assert_eq!(reward(U256::from(1000u16), cap, cap), U256::ZERO);
    }
}
