//! The emission curve against the whitepaper's numbers and an independent
//! high-precision reference (2^x by repeated square roots at 1e60 scale).

use dml_engine::{call, CallContext, Contract, Genesis, MemoryStorage};
use dml_primitives::{alloy_primitives::U512, Address, IEngine, SolCall, MAX_SUPPLY, ONE_DML, U256};
use proptest::prelude::*;

const YEAR: u64 = 365 * 24 * 3600;

struct Curve {
    storage: MemoryStorage,
    genesis: Genesis,
}

impl Curve {
    /// A deployment without genesis allocation: the emission cap is the full 1,000,000 DML.
    fn new() -> Self {
        let mut storage = MemoryStorage::new();
        let genesis = Genesis::new(Address::repeat_byte(1));
        dml_engine::genesis(&mut storage, &genesis).unwrap();
        Self { storage, genesis }
    }

    fn view<C: SolCall<Return = U256>>(&mut self, c: C) -> U256 {
        let ctx = CallContext::new(Address::ZERO, self.genesis.contracts, 1, 1);
        let out = call(&mut self.storage, &ctx, Contract::Engine, &c.abi_encode()).unwrap();
        C::abi_decode_returns(&out.output).unwrap()
    }

    fn target(&mut self, t: u64) -> U256 {
        self.view(IEngine::targetTsCall { t: U256::from(t) })
    }

    fn diff_mul(&mut self, t: u64, emitted: U256) -> U256 {
        self.view(IEngine::diffMulCall { t: U256::from(t), ts: emitted })
    }
}

trait IntegerSqrt {
    fn isqrt_ref(self) -> Self;
}

impl IntegerSqrt for U512 {
    /// Floor square root by Newton's method.
    fn isqrt_ref(self) -> Self {
        if self.is_zero() {
            return self;
        }
        let mut x = U512::from(1u8) << (self.bit_len() / 2 + 1);
        loop {
            let y = (x + self / x) >> 1;
            if y >= x {
                return x;
            }
            x = y;
        }
    }
}

fn big(v: U256) -> U512 {
    U512::from(v)
}

fn scale() -> U512 {
    U512::from(10u8).pow(U512::from(60u8))
}

/// 2^(−num/den) at 1e60 scale, by the binary expansion of the fraction and
/// 2^(2^−i) obtained from repeated integer square roots.
fn reference_exp2_neg(num: U512, den: U512) -> U512 {
    let s = scale();
    let whole = num / den;
    let mut remainder = num % den;
    let mut root = (U512::from(2u8) * s * s).isqrt_ref(); // 2^(1/2)
    let mut product = s; // 2^f at scale s
    for _ in 0..120 {
        remainder *= U512::from(2u8);
        if remainder >= den {
            remainder -= den;
            product = product * root / s;
        }
        root = (root * s).isqrt_ref();
    }
    (s * s / product) >> whole.to::<usize>()
}

fn assert_close(actual: U256, reference: U512, reference_scale: U512, what: &str) {
    // reference is the exact value times reference_scale; compare actual (1e18 units) to it.
    let actual = big(actual) * reference_scale;
    let diff = if actual > reference { actual - reference } else { reference - actual };
    assert!(
        diff * U512::from(1_000_000_000u64) <= reference,
        "{what}: relative error above 1e-9 (actual {actual}, reference {reference})"
    );
}

fn reference_target(t: u64) -> U512 {
    let cap = big(MAX_SUPPLY);
    cap * scale() - cap * reference_exp2_neg(U512::from(t), U512::from(YEAR))
}

#[test]
fn target_supply_follows_the_whitepaper() {
    let mut curve = Curve::new();
    let dml = |v: u64| U256::from(v) * ONE_DML;
    assert_eq!(curve.target(0), U256::ZERO);
    let one = curve.target(YEAR);
    let two = curve.target(2 * YEAR);
    let seven = curve.target(7 * YEAR);
    assert!(one.abs_diff(dml(500_000)) < ONE_DML / U256::from(1_000_000u64), "one year: {one}");
    assert!(two.abs_diff(dml(750_000)) < ONE_DML / U256::from(1_000_000u64), "two years: {two}");
    assert!(seven >= dml(990_000), "seven years: {seven}");
    assert!(curve.target(200 * YEAR) <= MAX_SUPPLY);
    for t in [1, 3600, 86_400, YEAR / 3, YEAR, 2 * YEAR + 17, 7 * YEAR, 30 * YEAR] {
        assert_close(curve.target(t), reference_target(t), scale(), &format!("target({t})"));
    }
}

#[test]
fn ten_percent_over_target_cuts_the_multiplier_1024_fold() {
    let mut curve = Curve::new();
    let t = YEAR;
    let target = curve.target(t);
    let at_target = curve.diff_mul(t, target);
    let over = curve.diff_mul(t, target * U256::from(11u8) / U256::from(10u8));
    // Exactly on target the multiplier is 1; 10% over it is 2^-10.
    let e42 = U512::from(10u8).pow(U512::from(42u8));
    assert_close(at_target, scale(), e42, "diffMul at target");
    assert_close(over, scale() / U512::from(1024u16), e42, "diffMul 10% over target");
    let ratio = at_target.to::<u128>() as f64 / over.to::<u128>() as f64;
    assert!((ratio - 1024.0).abs() < 1e-6, "ratio {ratio}");
    // The reward carries the same factor, times the remaining-supply factor.
    let reward_at = curve.view(IEngine::rewardCall { t: U256::from(t), ts: target });
    let expected_reward = (MAX_SUPPLY - target) * ONE_DML * at_target / MAX_SUPPLY / ONE_DML;
    assert_eq!(reward_at, expected_reward);
}

#[test]
fn multiplier_is_capped_below_the_inflection_and_zero_far_above() {
    let mut curve = Curve::new();
    let t = 2 * YEAR;
    let target = curve.target(t);
    let hundred = U256::from(100u8) * ONE_DML;
    assert_eq!(curve.diff_mul(t, target / U256::from(2u8)), hundred);
    assert_eq!(curve.diff_mul(t, target * U256::from(93u8) / U256::from(100u8)), hundred);
    assert_eq!(curve.diff_mul(t, target * U256::from(121u8) / U256::from(100u8)), U256::ZERO);
    assert_eq!(curve.diff_mul(t, target * U256::from(2u8)), U256::ZERO);
    // Continuity at the inflection: just above it the multiplier is ~100.
    let just_above = target * U256::from(9_336u16) / U256::from(10_000u16);
    let value = curve.diff_mul(t, just_above);
    assert!(value <= hundred && value > U256::from(99u8) * ONE_DML, "{value}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn multiplier_matches_the_reference(t in 3600u64..(20 * YEAR), d_millis in 934u64..1199) {
        let mut curve = Curve::new();
        let target = curve.target(t);
        let emitted = target * U256::from(d_millis) / U256::from(1000u16);
        // Emission can never pass the cap (the engine clamps such inputs).
        prop_assume!(!emitted.is_zero() && emitted <= MAX_SUPPLY);
        let value = curve.diff_mul(t, emitted);
        // Reference from the same d the engine computes (1e18 fixed point).
        let wad = U512::from(10u8).pow(U512::from(18u8));
        let d = big(emitted) * wad / big(target);
        let hundred = U512::from(100u8) * wad;
        let expected = if d * U512::from(100u8) >= hundred {
            reference_exp2_neg(d * U512::from(100u8) - hundred, wad)
        } else {
            let s = scale();
            s * s / reference_exp2_neg(hundred - d * U512::from(100u8), wad)
        };
        // expected is at 1e60 scale; value at 1e18: compare value·1e42 with expected.
        assert_close(value, expected, U512::from(10u8).pow(U512::from(42u8)), "diffMul");
    }

    #[test]
    fn rewards_never_exceed_the_remaining_cap(t in 0u64..(50 * YEAR), emitted_dml in 0u64..1_000_000) {
        let mut curve = Curve::new();
        let emitted = U256::from(emitted_dml) * ONE_DML;
        let reward = curve.view(IEngine::rewardCall { t: U256::from(t), ts: emitted });
        prop_assert!(reward <= U256::from(100u8) * ONE_DML);
        prop_assert!(emitted + reward <= MAX_SUPPLY, "reward {} at emitted {}", reward, emitted);
    }
}

#[test]
fn reference_power_of_two_is_sane() {
    let s = scale();
    let wad = U512::from(10u8).pow(U512::from(18u8));
    assert_eq!(reference_exp2_neg(U512::from(10u8) * wad, wad), s / U512::from(1024u16));
    let half = reference_exp2_neg(wad / U512::from(2u8), wad);
    // 1/sqrt(2) = 0.70710678118654752440084436210484903928...
    let expected =
        U512::from(707_106_781_186_547_524_400_844_362_104_849_039u128) * U512::from(10u8).pow(U512::from(24u8));
    let diff = if half > expected { half - expected } else { expected - half };
    assert!(diff < U512::from(10u8).pow(U512::from(25u8)), "{half}");
}

#[test]
fn the_first_reward_is_one_dml() {
    let mut curve = Curve::new();
    assert_eq!(curve.view(IEngine::getRewardCall {}), ONE_DML);
}
