//! Numeric kernels with a fixed, documented evaluation order.
//!
//! Every function here computes each output element with the same sequence of
//! IEEE-754 single-precision operations on every machine:
//!
//! * a dense layer's output `y[m][n]` is `(((0 + x[m][0]·w[0][n]) + x[m][1]·w[1][n]) + …) + bias[n]`,
//!   summed strictly in increasing `k`, one rounding per multiply and per add
//!   (never a fused multiply-add: Rust does not contract `a * b + c`, and no
//!   `mul_add` is used);
//! * vector units only compute many such independent sums side by side (one
//!   output column per lane), so SSE2, AVX2 or a scalar loop give identical bits;
//! * work is split between threads by output columns: each output element is
//!   computed by exactly one thread, with the same code, so the thread count
//!   does not change any bit;
//! * transcendental functions come from the pure-Rust `libm` crate, never the
//!   platform's math library.

use rayon::prelude::*;

/// Rows of the input handled together by the tile kernel.
const TILE_ROWS: usize = 6;
/// Output columns in one packed weight panel (two AVX2 registers, four SSE ones).
pub(crate) const PANEL_COLUMNS: usize = 16;
/// Below this many multiply-adds a dense layer runs on the calling thread.
const PARALLEL_MIN_MACS: usize = 1 << 16;

/// Activation applied to a dense layer's outputs after the bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Activation {
    /// `y` unchanged.
    Identity,
    /// `0.5·y·(1 + erf(y/√2))`, the exact GELU of BERT.
    Gelu,
}

/// A dense layer `y = x·W + b`, with `W` packed into column panels for the tile kernel.
#[derive(Clone, Debug)]
pub(crate) struct Linear {
    in_features: usize,
    out_features: usize,
    /// `panel_count × in_features × PANEL_COLUMNS`, zero-padded past `out_features`.
    panels: Vec<f32>,
    bias: Vec<f32>,
}

impl Linear {
    /// Builds a layer from a weight matrix laid out `[in][out]` (Keras' kernel layout).
    pub(crate) fn from_in_out(weight: &[f32], in_features: usize, out_features: usize, bias: Vec<f32>) -> Self {
        assert_eq!(weight.len(), in_features * out_features);
        assert_eq!(bias.len(), out_features);
        Self::pack(in_features, out_features, bias, |k, n| weight[k * out_features + n])
    }

    /// Builds a layer from a weight matrix laid out `[out][in]` (PyTorch's `nn.Linear` layout).
    pub(crate) fn from_out_in(weight: &[f32], in_features: usize, out_features: usize, bias: Vec<f32>) -> Self {
        assert_eq!(weight.len(), in_features * out_features);
        assert_eq!(bias.len(), out_features);
        Self::pack(in_features, out_features, bias, |k, n| weight[n * in_features + k])
    }

    fn pack(in_features: usize, out_features: usize, bias: Vec<f32>, weight_at: impl Fn(usize, usize) -> f32) -> Self {
        let panel_count = out_features.div_ceil(PANEL_COLUMNS);
        let mut panels = vec![0.0f32; panel_count * in_features * PANEL_COLUMNS];
        for panel in 0..panel_count {
            for k in 0..in_features {
                for lane in 0..PANEL_COLUMNS {
                    let n = panel * PANEL_COLUMNS + lane;
                    if n < out_features {
                        panels[(panel * in_features + k) * PANEL_COLUMNS + lane] = weight_at(k, n);
                    }
                }
            }
        }
        Linear { in_features, out_features, panels, bias }
    }

    fn panel_count(&self) -> usize {
        self.out_features.div_ceil(PANEL_COLUMNS)
    }

    fn panel(&self, index: usize) -> &[f32] {
        let len = self.in_features * PANEL_COLUMNS;
        &self.panels[index * len..(index + 1) * len]
    }

    /// Computes `rows` output rows from `input` (`rows × in_features`, row-major),
    /// using the current rayon pool when the layer is large enough.
    pub(crate) fn forward(&self, input: &[f32], rows: usize, activation: Activation, parallel: bool) -> Vec<f32> {
        assert_eq!(input.len(), rows * self.in_features);
        let mut output = vec![0.0f32; rows * self.out_features];
        let panel_count = self.panel_count();
        let macs = rows * self.in_features * self.out_features;
        let threads = rayon::current_num_threads();
        if !parallel || threads <= 1 || panel_count < 2 || macs < PARALLEL_MIN_MACS {
            let block = self.compute_panels(input, rows, 0..panel_count, activation);
            self.scatter(&mut output, rows, 0, &block, panel_count);
            return output;
        }
        // Contiguous panel ranges, one per thread; which thread computes a panel
        // never changes how it is computed.
        let per_thread = panel_count.div_ceil(threads);
        let blocks: Vec<(usize, Vec<f32>)> = (0..panel_count)
            .step_by(per_thread)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let end = (start + per_thread).min(panel_count);
                (start, self.compute_panels(input, rows, start..end, activation))
            })
            .collect();
        for (start, block) in blocks {
            let count = block.len() / (rows * PANEL_COLUMNS);
            self.scatter(&mut output, rows, start, &block, count);
        }
        output
    }

    /// Copies a block of `count` computed panels (`rows × count × PANEL_COLUMNS`)
    /// into the output's columns.
    fn scatter(&self, output: &mut [f32], rows: usize, first_panel: usize, block: &[f32], count: usize) {
        let first_column = first_panel * PANEL_COLUMNS;
        let width = count * PANEL_COLUMNS;
        let valid = width.min(self.out_features - first_column);
        for r in 0..rows {
            let src = &block[r * width..r * width + valid];
            let dst_start = r * self.out_features + first_column;
            output[dst_start..dst_start + valid].copy_from_slice(src);
        }
    }

    /// Computes panels `range` for all rows into a `rows × (range.len()·PANEL_COLUMNS)` block.
    fn compute_panels(
        &self,
        input: &[f32],
        rows: usize,
        range: std::ops::Range<usize>,
        activation: Activation,
    ) -> Vec<f32> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked above). The function only
                // widens vector registers; its arithmetic is the same lane by lane.
                return unsafe { self.compute_panels_avx2(input, rows, range, activation) };
            }
        }
        self.compute_panels_portable(input, rows, range, activation)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn compute_panels_avx2(
        &self,
        input: &[f32],
        rows: usize,
        range: std::ops::Range<usize>,
        activation: Activation,
    ) -> Vec<f32> {
        self.compute_panels_inline(input, rows, range, activation)
    }

    fn compute_panels_portable(
        &self,
        input: &[f32],
        rows: usize,
        range: std::ops::Range<usize>,
        activation: Activation,
    ) -> Vec<f32> {
        self.compute_panels_inline(input, rows, range, activation)
    }

    #[inline(always)]
    fn compute_panels_inline(
        &self,
        input: &[f32],
        rows: usize,
        range: std::ops::Range<usize>,
        activation: Activation,
    ) -> Vec<f32> {
        let k_len = self.in_features;
        let width = range.len() * PANEL_COLUMNS;
        // Each tile of up to TILE_ROWS input rows, transposed to k-major order
        // (`x[k][r]`), so the kernel streams both operands without index checks.
        let mut packed = vec![0.0f32; rows * k_len];
        for tile_start in (0..rows).step_by(TILE_ROWS) {
            let tile_rows = (rows - tile_start).min(TILE_ROWS);
            let dst = &mut packed[tile_start * k_len..(tile_start + tile_rows) * k_len];
            for r in 0..tile_rows {
                let src = &input[(tile_start + r) * k_len..(tile_start + r + 1) * k_len];
                for (k, &v) in src.iter().enumerate() {
                    dst[k * tile_rows + r] = v;
                }
            }
        }
        let mut block = vec![0.0f32; rows * width];
        for (local, panel_index) in range.enumerate() {
            let panel = self.panel(panel_index);
            let column = panel_index * PANEL_COLUMNS;
            let mut bias = [0.0f32; PANEL_COLUMNS];
            for (lane, b) in bias.iter_mut().enumerate() {
                if column + lane < self.out_features {
                    *b = self.bias[column + lane];
                }
            }
            for tile_start in (0..rows).step_by(TILE_ROWS) {
                let tile_rows = (rows - tile_start).min(TILE_ROWS);
                let x = &packed[tile_start * k_len..(tile_start + tile_rows) * k_len];
                let out_at = |r: usize| (tile_start + r) * width + local * PANEL_COLUMNS;
                macro_rules! run_tile {
                    ($r:literal) => {{
                        let acc = tile::<$r>(x, panel);
                        for (r, acc_row) in acc.iter().enumerate() {
                            let dst = &mut block[out_at(r)..out_at(r) + PANEL_COLUMNS];
                            for lane in 0..PANEL_COLUMNS {
                                dst[lane] = activate(acc_row[lane] + bias[lane], activation);
                            }
                        }
                    }};
                }
                match tile_rows {
                    6 => run_tile!(6),
                    5 => run_tile!(5),
                    4 => run_tile!(4),
                    3 => run_tile!(3),
                    2 => run_tile!(2),
                    _ => run_tile!(1),
                }
            }
        }
        block
    }
}

/// `R` input rows given k-major (`x[k][r]`, `k_len × R`) times one packed panel
/// (`k_len × PANEL_COLUMNS`), each column summed in increasing `k` from zero.
#[inline(always)]
fn tile<const R: usize>(x_k_major: &[f32], panel: &[f32]) -> [[f32; PANEL_COLUMNS]; R] {
    let mut acc = [[0.0f32; PANEL_COLUMNS]; R];
    for (x, w) in x_k_major.chunks_exact(R).zip(panel.chunks_exact(PANEL_COLUMNS)) {
        for r in 0..R {
            let xv = x[r];
            for lane in 0..PANEL_COLUMNS {
                acc[r][lane] += xv * w[lane];
            }
        }
    }
    acc
}

#[inline(always)]
fn activate(value: f32, activation: Activation) -> f32 {
    match activation {
        Activation::Identity => value,
        Activation::Gelu => gelu(value),
    }
}

/// Exact (erf-based) GELU: `0.5·x·(1 + erf(x/√2))`.
pub(crate) fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// Logistic sigmoid `1 / (1 + e^(−x))`.
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + libm::expf(-x))
}

/// Sum of a slice in increasing index order.
pub(crate) fn sequential_sum(values: &[f32]) -> f32 {
    values.iter().fold(0.0f32, |acc, v| acc + v)
}

/// Dot product summed in increasing index order.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).fold(0.0f32, |acc, (x, y)| acc + x * y)
}

/// In-place softmax: subtract the maximum, `expf`, divide by the sequential sum.
pub(crate) fn softmax_in_place(values: &mut [f32]) {
    let max = values.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    for v in values.iter_mut() {
        *v = libm::expf(*v - max);
    }
    let sum = sequential_sum(values);
    for v in values.iter_mut() {
        *v /= sum;
    }
}

/// In-place layer normalization of one row (biased variance, as PyTorch).
pub(crate) fn layer_norm_in_place(row: &mut [f32], gamma: &[f32], beta: &[f32], epsilon: f32) {
    let n = row.len() as f32;
    let mean = sequential_sum(row) / n;
    let variance = row.iter().fold(0.0f32, |acc, &v| acc + (v - mean) * (v - mean)) / n;
    let inv_std = 1.0 / (variance + epsilon).sqrt();
    for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
        *v = (*v - mean) * inv_std * g + b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[f32], w_in_out: &[f32], bias: &[f32], rows: usize, k: usize, n: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; rows * n];
        for r in 0..rows {
            for c in 0..n {
                let mut acc = 0.0f32;
                for i in 0..k {
                    acc += x[r * k + i] * w_in_out[i * n + c];
                }
                out[r * n + c] = acc + bias[c];
            }
        }
        out
    }

    fn pseudo_random(len: usize, salt: u32) -> Vec<f32> {
        (0..len as u32)
            .map(|i| {
                let h = i.wrapping_mul(2654435761).wrapping_add(salt.wrapping_mul(40503)) >> 8;
                (h % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn dense_layer_matches_the_naive_sequential_sum_bit_for_bit() {
        for &(rows, k, n) in &[(1, 7, 5), (13, 40, 33), (7, 128, 465), (6, 16, 16)] {
            let x = pseudo_random(rows * k, 1);
            let w = pseudo_random(k * n, 2);
            let b = pseudo_random(n, 3);
            let expected = naive(&x, &w, &b, rows, k, n);
            let layer = Linear::from_in_out(&w, k, n, b.clone());
            for parallel in [false, true] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
                let got = pool.install(|| layer.forward(&x, rows, Activation::Identity, parallel));
                let same = got.iter().zip(&expected).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "rows={rows} k={k} n={n} parallel={parallel}");
            }
            // [out][in] packing gives the same layer.
            let mut w_out_in = vec![0.0f32; k * n];
            for i in 0..k {
                for c in 0..n {
                    w_out_in[c * k + i] = w[i * n + c];
                }
            }
            let transposed = Linear::from_out_in(&w_out_in, k, n, b);
            let got = transposed.forward(&x, rows, Activation::Identity, false);
            assert!(got.iter().zip(&expected).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn portable_and_vector_paths_agree_bit_for_bit() {
        let (rows, k, n) = (11, 384, 100);
        let x = pseudo_random(rows * k, 4);
        let w = pseudo_random(k * n, 5);
        let layer = Linear::from_in_out(&w, k, n, pseudo_random(n, 6));
        let portable = layer.compute_panels_portable(&x, rows, 0..layer.panel_count(), Activation::Gelu);
        let dispatched = layer.compute_panels(&x, rows, 0..layer.panel_count(), Activation::Gelu);
        assert_eq!(
            portable.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            dispatched.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn softmax_sums_to_one_and_gelu_is_exact_at_known_points() {
        let mut v = vec![1.0f32, 2.0, 3.0];
        softmax_in_place(&mut v);
        assert!((sequential_sum(&v) - 1.0).abs() < 1e-6);
        assert!(v[2] > v[1] && v[1] > v[0]);
        assert_eq!(gelu(0.0), 0.0);
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-7);
    }
}
