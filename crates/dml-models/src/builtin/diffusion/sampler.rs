//! The noise schedule, the seeded Gaussian noise and deterministic DDIM steps.
//!
//! * Schedule: `T = 1000` steps, `β_t = 1e−4 + (0.02 − 1e−4)·t/999` and
//!   `ᾱ_t = Π_{s≤t} (1 − β_s)`, multiplied in increasing `t` in `f64`. Every
//!   coefficient below is computed in `f64` (IEEE square roots are exact
//!   roundings) and rounded once to `f32`.
//! * Timesteps for `n` steps ("trailing" spacing): step `i` (from 0) denoises
//!   from `t_i = ⌊(n − i)·T / n⌋ − 1` to `t_{i+1}`, and the last step to the
//!   clean image (`ᾱ = 1`).
//! * Noise: the task's seed seeds [`Xoshiro256StarStar`]; each pair of
//!   standard normals is Box–Muller on two uniform draws `u₁, u₂` (in that
//!   order): `r = √(−2·ln(1 − u₁))`, `z₀ = r·cos(2πu₂)`, `z₁ = r·sin(2πu₂)`, in
//!   `f64` with `libm`, each rounded to `f32`. The 784 starting values fill the
//!   image row by row.
//! * A DDIM step (η = 0), value by value in `f32`:
//!   `x̂₀ = clamp((x − √(1−ᾱ_t)·ε) / √ᾱ_t, −1, 1)`, `ε̂ = (x − √ᾱ_t·x̂₀) / √(1−ᾱ_t)`,
//!   `x' = √ᾱ_prev·x̂₀ + √(1−ᾱ_prev)·ε̂`.
//! * Guidance `g`: `ε = ε_u + g·(ε_c − ε_u)`; `g = 1` runs only the prompted
//!   pass (`ε = ε_c`) and `g = 0` only the unprompted one.

use super::super::prng::Xoshiro256StarStar;

/// Diffusion steps of the training schedule.
pub const TIMESTEPS: usize = 1000;
const BETA_START: f64 = 1e-4;
const BETA_END: f64 = 0.02;

/// `ᾱ_t` for every training timestep.
pub fn alpha_bars() -> Vec<f64> {
    let mut product = 1.0f64;
    (0..TIMESTEPS)
        .map(|t| {
            let beta = BETA_START + (BETA_END - BETA_START) * t as f64 / (TIMESTEPS - 1) as f64;
            product *= 1.0 - beta;
            product
        })
        .collect()
}

/// One DDIM step's timestep and coefficients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DdimStep {
    /// The timestep the network is asked about.
    pub t: u32,
    sqrt_ab: f32,
    sqrt_one_minus_ab: f32,
    sqrt_ab_prev: f32,
    sqrt_one_minus_ab_prev: f32,
}

/// The `steps` DDIM steps from pure noise to the image (`1 ≤ steps ≤ 1000`).
pub fn ddim_steps(steps: usize) -> Vec<DdimStep> {
    assert!((1..=TIMESTEPS).contains(&steps), "DDIM steps must be 1..=1000");
    let ab = alpha_bars();
    let at = |i: usize| -> Option<usize> { ((steps - i) * TIMESTEPS / steps).checked_sub(1) };
    (0..steps)
        .map(|i| {
            let t = at(i).expect("i < steps gives t ≥ 0");
            let prev = if i + 1 < steps { at(i + 1).map(|p| ab[p]) } else { None }.unwrap_or(1.0);
            DdimStep {
                t: t as u32,
                sqrt_ab: ab[t].sqrt() as f32,
                sqrt_one_minus_ab: (1.0 - ab[t]).sqrt() as f32,
                sqrt_ab_prev: prev.sqrt() as f32,
                sqrt_one_minus_ab_prev: (1.0 - prev).sqrt() as f32,
            }
        })
        .collect()
}

impl DdimStep {
    /// Moves `x` one step towards the image, given the predicted noise.
    pub fn apply(&self, x: &mut [f32], noise: &[f32]) {
        assert_eq!(x.len(), noise.len());
        for (v, &e) in x.iter_mut().zip(noise) {
            let x0 = ((*v - self.sqrt_one_minus_ab * e) / self.sqrt_ab).clamp(-1.0, 1.0);
            let e = (*v - self.sqrt_ab * x0) / self.sqrt_one_minus_ab;
            *v = self.sqrt_ab_prev * x0 + self.sqrt_one_minus_ab_prev * e;
        }
    }
}

/// Combines the prompted and unprompted noise predictions with guidance `g`.
pub fn guide(conditioned: &[f32], unconditioned: &[f32], guidance: f32) -> Vec<f32> {
    conditioned.iter().zip(unconditioned).map(|(&c, &u)| u + guidance * (c - u)).collect()
}

/// `count` standard normal values drawn from `seed` (Box–Muller, see the module doc).
pub fn gaussian_noise(seed: u64, count: usize) -> Vec<f32> {
    let mut rng = Xoshiro256StarStar::from_seed(seed);
    let mut out = Vec::with_capacity(count + 1);
    while out.len() < count {
        let u1 = rng.next_f64();
        let u2 = rng.next_f64();
        let r = libm::sqrt(-2.0 * libm::log(1.0 - u1));
        let angle = 2.0 * std::f64::consts::PI * u2;
        out.push((r * libm::cos(angle)) as f32);
        out.push((r * libm::sin(angle)) as f32);
    }
    out.truncate(count);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_decreases_from_nearly_one_to_nearly_zero() {
        let ab = alpha_bars();
        assert!((ab[0] - 0.9999).abs() < 1e-12);
        assert!(ab.windows(2).all(|w| w[1] < w[0]));
        assert!(ab[TIMESTEPS - 1] < 1e-4 && ab[TIMESTEPS - 1] > 0.0);
    }

    #[test]
    fn trailing_timesteps_start_at_the_last_and_end_on_the_clean_image() {
        let steps = ddim_steps(4);
        assert_eq!(steps.iter().map(|s| s.t).collect::<Vec<_>>(), vec![999, 749, 499, 249]);
        let last = steps.last().unwrap();
        assert_eq!((last.sqrt_ab_prev, last.sqrt_one_minus_ab_prev), (1.0, 0.0));
        assert_eq!(ddim_steps(1)[0].t, 999);
        assert_eq!(ddim_steps(1000).last().unwrap().t, 0);
    }

    #[test]
    fn a_step_with_the_true_noise_recovers_the_image() {
        // x_t = √ᾱ·x0 + √(1−ᾱ)·ε; the last step with the exact ε gives x0 back.
        let step = *ddim_steps(1).last().unwrap();
        let x0 = [0.5f32, -0.25, 0.0];
        let eps = [1.0f32, -0.5, 0.3];
        let mut x: Vec<f32> = x0.iter().zip(&eps).map(|(a, e)| step.sqrt_ab * a + step.sqrt_one_minus_ab * e).collect();
        step.apply(&mut x, &eps);
        for (got, want) in x.iter().zip(&x0) {
            assert!((got - want).abs() < 2e-2, "{got} vs {want}");
        }
    }

    #[test]
    fn noise_is_seeded_standard_normal() {
        let a = gaussian_noise(7, 20_001);
        assert_eq!(a.len(), 20_001);
        assert_eq!(a, gaussian_noise(7, 20_001));
        assert_ne!(a[..784], gaussian_noise(8, 784)[..]);
        let mean = a.iter().map(|&v| v as f64).sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "mean {mean} var {var}");
    }

    #[test]
    fn guidance_interpolates_and_extrapolates() {
        assert_eq!(guide(&[2.0], &[1.0], 0.0), vec![1.0]);
        assert_eq!(guide(&[2.0], &[1.0], 3.0), vec![4.0]);
    }
}
