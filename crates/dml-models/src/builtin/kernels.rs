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
//!   output column per lane), so SSE2, AVX2, AVX-512 or a scalar loop give
//!   identical bits (the instruction set is picked at run time, see `Isa`);
//! * work is split between threads by output columns (or, one level up, by whole
//!   rows or sentences): each output element is computed by exactly one thread,
//!   with the same code, so the thread count does not change any bit. How rows
//!   are grouped into register tiles does not matter either: a row's sums never
//!   involve another row;
//! * transcendental functions come from the pure-Rust `libm` crate, never the
//!   platform's math library. Where a vector unit evaluates `erff` or `expf` for
//!   eight inputs at once (the dense layer's GELU, `softmax_in_place`), each lane
//!   runs exactly the operations libm's scalar code runs for that input (the
//!   lane picks the branch libm would take); inputs outside the ranges the
//!   vector code covers go to libm itself.

use std::ops::Range;

use rayon::prelude::*;

/// Output columns in one packed weight panel (two AVX2 registers, four SSE ones).
pub(crate) const PANEL_COLUMNS: usize = 16;
/// Most input rows a register tile holds (a tile keeps `rows × 16` sums in
/// registers): 6 in AVX2's sixteen 256-bit registers, 12 in AVX-512's 512-bit ones.
const TILE_ROWS: usize = 6;
/// [`TILE_ROWS`] of the AVX-512 kernel.
#[cfg(target_arch = "x86_64")]
const AVX512_TILE_ROWS: usize = 12;
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

/// Instruction set a kernel runs with. Every choice gives the same bits; the
/// choice only changes speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    /// Plain Rust, vectorized by the compiler for the build's baseline (SSE2 on x86-64).
    Portable,
    /// 256-bit AVX2 registers (checked at run time).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX2, plus 512-bit AVX-512F registers for the dense layers' tile kernel
    /// (checked at run time).
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    /// The fastest instruction set this CPU supports.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    return Isa::Avx512;
                }
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// Most rows of a dense layer's register tile.
    fn tile_rows(self) -> usize {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => AVX512_TILE_ROWS,
            _ => TILE_ROWS,
        }
    }

    /// Every instruction set this CPU supports, for tests comparing them.
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Self> {
        let mut all = vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                all.push(Isa::Avx2);
                if std::arch::is_x86_feature_detected!("avx512f") {
                    all.push(Isa::Avx512);
                }
            }
        }
        all
    }
}

/// A dense layer `y = x·W + b`, with `W` packed into column panels for the tile kernel.
#[derive(Clone, Debug)]
pub(crate) struct Linear {
    in_features: usize,
    out_features: usize,
    /// `panel_count × in_features × PANEL_COLUMNS`, zero-padded past `out_features`.
    panels: Vec<f32>,
    /// `panel_count × PANEL_COLUMNS`, zero-padded past `out_features`.
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

    fn pack(
        in_features: usize,
        out_features: usize,
        mut bias: Vec<f32>,
        weight_at: impl Fn(usize, usize) -> f32,
    ) -> Self {
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
        bias.resize(panel_count * PANEL_COLUMNS, 0.0);
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
        let mut output = vec![0.0f32; rows * self.out_features];
        let mut packed = Vec::new();
        self.forward_into(input, rows, activation, parallel, &mut output, &mut packed);
        output
    }

    /// [`Linear::forward`] into a caller's buffer (`rows × out_features`), with
    /// `packed` as reusable scratch space for the rearranged input.
    pub(crate) fn forward_into(
        &self,
        input: &[f32],
        rows: usize,
        activation: Activation,
        parallel: bool,
        output: &mut [f32],
        packed: &mut Vec<f32>,
    ) {
        self.forward_with(Isa::detect(), input, rows, activation, parallel, output, packed);
    }

    #[allow(clippy::too_many_arguments)]
    fn forward_with(
        &self,
        isa: Isa,
        input: &[f32],
        rows: usize,
        activation: Activation,
        parallel: bool,
        output: &mut [f32],
        packed: &mut Vec<f32>,
    ) {
        assert_eq!(input.len(), rows * self.in_features);
        assert_eq!(output.len(), rows * self.out_features);
        pack_rows(input, rows, self.in_features, isa.tile_rows(), packed);
        let packed = &packed[..];
        let panel_count = self.panel_count();
        let macs = rows * self.in_features * self.out_features;
        let threads = rayon::current_num_threads();
        if !parallel || threads <= 1 || panel_count < 2 || macs < PARALLEL_MIN_MACS {
            self.compute_panels(isa, packed, rows, 0..panel_count, activation, output, self.out_features);
            return;
        }
        // Contiguous panel ranges, one per thread, each computed into its own
        // block and copied into place; which thread computes a panel never
        // changes how it is computed.
        let per_thread = panel_count.div_ceil(threads);
        let blocks: Vec<(usize, Vec<f32>)> = (0..panel_count)
            .step_by(per_thread)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let end = (start + per_thread).min(panel_count);
                let width = (end - start) * PANEL_COLUMNS;
                let mut block = vec![0.0f32; rows * width];
                self.compute_panels(isa, packed, rows, start..end, activation, &mut block, width);
                (start, block)
            })
            .collect();
        for (start, block) in blocks {
            let first_column = start * PANEL_COLUMNS;
            let width = block.len() / rows;
            let valid = width.min(self.out_features - first_column);
            for (dst, src) in output.chunks_exact_mut(self.out_features).zip(block.chunks_exact(width)) {
                dst[first_column..first_column + valid].copy_from_slice(&src[..valid]);
            }
        }
    }

    /// Computes panels `range` for all rows of `packed` (see [`pack_rows`]).
    /// Row `m`, column `c` of the result goes to `out[m·stride + c − range.start·16]`
    /// (`out` is `rows × stride`); columns past `out_features` get no sums, though
    /// the GELU pass covers the whole of `out`.
    #[allow(clippy::too_many_arguments)]
    fn compute_panels(
        &self,
        isa: Isa,
        packed: &[f32],
        rows: usize,
        range: Range<usize>,
        activation: Activation,
        out: &mut [f32],
        stride: usize,
    ) {
        assert_eq!(packed.len(), rows * self.in_features);
        match isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Isa::Avx2` is only chosen when the CPU supports AVX2.
            Isa::Avx2 => unsafe { self.compute_panels_avx2(packed, rows, range, activation, out, stride) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Isa::Avx512` is only chosen when the CPU supports AVX2 and AVX-512F.
            Isa::Avx512 => unsafe { self.compute_panels_avx512(packed, rows, range, activation, out, stride) },
            Isa::Portable => self.compute_panels_portable(packed, rows, range, activation, out, stride),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn compute_panels_avx2(
        &self,
        packed: &[f32],
        rows: usize,
        range: Range<usize>,
        activation: Activation,
        out: &mut [f32],
        stride: usize,
    ) {
        self.compute_panels_inline(Isa::Avx2, packed, rows, range, activation, out, stride)
    }

    /// The AVX2 loop around the AVX-512 tile kernel; the caller checks that the
    /// CPU has AVX2 and AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn compute_panels_avx512(
        &self,
        packed: &[f32],
        rows: usize,
        range: Range<usize>,
        activation: Activation,
        out: &mut [f32],
        stride: usize,
    ) {
        self.compute_panels_inline(Isa::Avx512, packed, rows, range, activation, out, stride)
    }

    fn compute_panels_portable(
        &self,
        packed: &[f32],
        rows: usize,
        range: Range<usize>,
        activation: Activation,
        out: &mut [f32],
        stride: usize,
    ) {
        self.compute_panels_inline(Isa::Portable, packed, rows, range, activation, out, stride)
    }

    /// The tile loop, compiled once per instruction set. Panels are the outer
    /// loop so a panel stays in cache while every row tile streams past it.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn compute_panels_inline(
        &self,
        isa: Isa,
        packed: &[f32],
        rows: usize,
        range: Range<usize>,
        activation: Activation,
        out: &mut [f32],
        stride: usize,
    ) {
        let k_len = self.in_features;
        for (local, panel_index) in range.enumerate() {
            let panel = self.panel(panel_index);
            let bias: &[f32; PANEL_COLUMNS] =
                self.bias[panel_index * PANEL_COLUMNS..][..PANEL_COLUMNS].try_into().expect("16 lanes");
            let valid = (self.out_features - panel_index * PANEL_COLUMNS).min(PANEL_COLUMNS);
            for (tile_start, tile_rows) in tiles(rows, isa.tile_rows()) {
                let x = &packed[tile_start * k_len..(tile_start + tile_rows) * k_len];
                macro_rules! run_tile {
                    ($r:literal) => {{
                        let acc = tile_with::<$r>(isa, x, panel);
                        for (r, acc_row) in acc.iter().enumerate() {
                            let at = (tile_start + r) * stride + local * PANEL_COLUMNS;
                            let dst = &mut out[at..at + valid];
                            if valid == PANEL_COLUMNS {
                                let dst: &mut [f32; PANEL_COLUMNS] = dst.try_into().expect("16 lanes");
                                for lane in 0..PANEL_COLUMNS {
                                    dst[lane] = acc_row[lane] + bias[lane];
                                }
                            } else {
                                for (lane, d) in dst.iter_mut().enumerate() {
                                    *d = acc_row[lane] + bias[lane];
                                }
                            }
                        }
                    }};
                }
                match tile_rows {
                    12 => run_tile!(12),
                    11 => run_tile!(11),
                    10 => run_tile!(10),
                    9 => run_tile!(9),
                    8 => run_tile!(8),
                    7 => run_tile!(7),
                    6 => run_tile!(6),
                    5 => run_tile!(5),
                    4 => run_tile!(4),
                    3 => run_tile!(3),
                    2 => run_tile!(2),
                    _ => run_tile!(1),
                }
            }
        }
        if activation == Activation::Gelu {
            // After every panel, so the vector GELU sees long runs of values.
            gelu_with(isa, &mut out[..rows * stride]);
        }
    }
}

/// Splits `rows` into `⌈rows / max⌉` consecutive tiles of near-equal height:
/// yields `(first_row, height)`.
fn tiles(rows: usize, max: usize) -> impl Iterator<Item = (usize, usize)> {
    let count = rows.div_ceil(max);
    let base = rows.checked_div(count).unwrap_or(0);
    let taller = rows - base * count;
    (0..count).map(move |t| (t * base + t.min(taller), base + usize::from(t < taller)))
}

/// Rearranges `input` (`rows × k_len`, row-major) into `packed`: each tile of
/// [`tiles`] k-major (`x[k][r]`), so the tile kernel reads both operands in order.
fn pack_rows(input: &[f32], rows: usize, k_len: usize, max_tile_rows: usize, packed: &mut Vec<f32>) {
    packed.clear();
    packed.resize(rows * k_len, 0.0);
    for (start, height) in tiles(rows, max_tile_rows) {
        let src = &input[start * k_len..(start + height) * k_len];
        let dst = &mut packed[start * k_len..(start + height) * k_len];
        for (k, column) in dst.chunks_exact_mut(height).enumerate() {
            for (r, v) in column.iter_mut().enumerate() {
                *v = src[r * k_len + k];
            }
        }
    }
}

/// [`tile`] with `isa`'s kernel: the AVX-512 one, or the generic one compiled
/// for the caller's instruction set (`R` is at most `isa.tile_rows()`).
#[inline(always)]
fn tile_with<const R: usize>(isa: Isa, x_k_major: &[f32], panel: &[f32]) -> [[f32; PANEL_COLUMNS]; R] {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 {
        // SAFETY: `Isa::Avx512` is only chosen when the CPU supports AVX-512F.
        return unsafe { avx512::tile::<R>(x_k_major, panel) };
    }
    assert!(R <= TILE_ROWS, "tile of {R} rows for {isa:?}");
    tile::<R>(x_k_major, panel)
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

/// Exact (erf-based) GELU: `0.5·x·(1 + erf(x/√2))`.
pub(crate) fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[inline(always)]
fn gelu_with(isa: Isa, values: &mut [f32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: both are only chosen when the CPU supports AVX2.
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::gelu_in_place(values) },
        Isa::Portable => values.iter_mut().for_each(|v| *v = gelu(*v)),
    }
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
    softmax_with(Isa::detect(), values);
}

#[inline(always)]
fn softmax_with(isa: Isa, values: &mut [f32]) {
    let max = values.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: both are only chosen when the CPU supports AVX2.
        Isa::Avx2 | Isa::Avx512 => unsafe { avx2::exp_shifted_in_place(values, max) },
        Isa::Portable => values.iter_mut().for_each(|v| *v = libm::expf(*v - max)),
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

/// [`layer_norm_in_place`] of every `width`-long row of `rows`. Four rows are
/// summed side by side (four independent chains, each still in increasing
/// index order), which hides the latency of the sequential additions.
pub(crate) fn layer_norm_rows(rows: &mut [f32], width: usize, gamma: &[f32], beta: &[f32], epsilon: f32) {
    assert_eq!(rows.len() % width.max(1), 0);
    assert!(gamma.len() == width && beta.len() == width);
    let n = width as f32;
    let mut blocks = rows.chunks_exact_mut(4 * width);
    for block in &mut blocks {
        let (r0, rest) = block.split_at_mut(width);
        let (r1, rest) = rest.split_at_mut(width);
        let (r2, r3) = rest.split_at_mut(width);
        let mut sums = [0.0f32; 4];
        for (((a, b), c), d) in r0.iter().zip(r1.iter()).zip(r2.iter()).zip(r3.iter()) {
            sums[0] += a;
            sums[1] += b;
            sums[2] += c;
            sums[3] += d;
        }
        let mean = sums.map(|s| s / n);
        let mut squares = [0.0f32; 4];
        for (((a, b), c), d) in r0.iter().zip(r1.iter()).zip(r2.iter()).zip(r3.iter()) {
            squares[0] += (a - mean[0]) * (a - mean[0]);
            squares[1] += (b - mean[1]) * (b - mean[1]);
            squares[2] += (c - mean[2]) * (c - mean[2]);
            squares[3] += (d - mean[3]) * (d - mean[3]);
        }
        for (i, row) in [r0, r1, r2, r3].into_iter().enumerate() {
            let variance = squares[i] / n;
            let inv_std = 1.0 / (variance + epsilon).sqrt();
            for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
                *v = (*v - mean[i]) * inv_std * g + b;
            }
        }
    }
    for row in blocks.into_remainder().chunks_exact_mut(width) {
        layer_norm_in_place(row, gamma, beta, epsilon);
    }
}

/// AVX2 versions of libm's `expf` and `erff`, lane for lane the same operations.
#[cfg(target_arch = "x86_64")]
// The constants are copied digit for digit from libm, so they parse to the same
// `f32`s, rather than shortened to what clippy considers enough digits.
#[allow(clippy::excessive_precision)]
mod avx2 {
    use std::arch::x86_64::*;

    // The constants of libm 0.2's `expf` (FreeBSD's e_expf.c), written as there.
    const LN2_HI: f32 = 6.9314575195e-01;
    const LN2_LO: f32 = 1.4286067653e-06;
    const INV_LN2: f32 = 1.4426950216e+00;
    const P1: f32 = 1.6666625440e-1;
    const P2: f32 = -2.7667332906e-3;

    // The constants of libm 0.2's `erff` (FreeBSD's s_erff.c), written as there.
    const ERX: f32 = 8.4506291151e-01;
    const EFX8: f32 = 1.0270333290e+00;
    const PP: [f32; 5] = [1.2837916613e-01, -3.2504209876e-01, -2.8481749818e-02, -5.7702702470e-03, -2.3763017452e-05];
    const QQ: [f32; 5] = [3.9791721106e-01, 6.5022252500e-02, 5.0813062117e-03, 1.3249473704e-04, -3.9602282413e-06];
    const PA: [f32; 7] = [
        -2.3621185683e-03,
        4.1485610604e-01,
        -3.7220788002e-01,
        3.1834661961e-01,
        -1.1089469492e-01,
        3.5478305072e-02,
        -2.1663755178e-03,
    ];
    const QA: [f32; 6] =
        [1.0642088205e-01, 5.4039794207e-01, 7.1828655899e-02, 1.2617121637e-01, 1.3637083583e-02, 1.1984500103e-02];
    const RA: [f32; 8] = [
        -9.8649440333e-03,
        -6.9385856390e-01,
        -1.0558626175e+01,
        -6.2375331879e+01,
        -1.6239666748e+02,
        -1.8460508728e+02,
        -8.1287437439e+01,
        -9.8143291473e+00,
    ];
    const SA: [f32; 8] = [
        1.9651271820e+01,
        1.3765776062e+02,
        4.3456588745e+02,
        6.4538726807e+02,
        4.2900814819e+02,
        1.0863500214e+02,
        6.5702495575e+00,
        -6.0424413532e-02,
    ];
    const RB: [f32; 7] = [
        -9.8649431020e-03,
        -7.9928326607e-01,
        -1.7757955551e+01,
        -1.6063638306e+02,
        -6.3756646729e+02,
        -1.0250950928e+03,
        -4.8351919556e+02,
    ];
    const SB: [f32; 7] = [
        3.0338060379e+01,
        3.2579251099e+02,
        1.5367296143e+03,
        3.1998581543e+03,
        2.5530502930e+03,
        4.7452853394e+02,
        -2.2440952301e+01,
    ];

    #[inline(always)]
    unsafe fn splat(v: f32) -> __m256 {
        _mm256_set1_ps(v)
    }

    #[inline(always)]
    unsafe fn splat_bits(v: u32) -> __m256i {
        _mm256_set1_epi32(v as i32)
    }

    /// Lanes where `bits < bound` (both below 2³¹, so a signed compare is exact).
    #[inline(always)]
    unsafe fn below(bits: __m256i, bound: u32) -> __m256 {
        _mm256_castsi256_ps(_mm256_cmpgt_epi32(splat_bits(bound), bits))
    }

    #[inline(always)]
    unsafe fn any(mask: __m256) -> bool {
        _mm256_movemask_ps(mask) != 0
    }

    #[inline(always)]
    unsafe fn all(mask: __m256) -> bool {
        _mm256_movemask_ps(mask) == 0xff
    }

    /// `a` where `mask` is set, else `b`.
    #[inline(always)]
    unsafe fn pick(a: f32, b: f32, mask: __m256) -> __m256 {
        _mm256_blendv_ps(splat(b), splat(a), mask)
    }

    /// `a + s·b`, as `a + (s * b)` is evaluated: one multiply, then one add.
    #[inline(always)]
    unsafe fn step(a: __m256, s: __m256, b: __m256) -> __m256 {
        _mm256_add_ps(a, _mm256_mul_ps(s, b))
    }

    /// `[f(0), f(1), …, f(N − 1)]` with `$e` standing for `f(i)`: one step of
    /// `N` independent evaluations written side by side, so the processor
    /// overlaps their latencies.
    macro_rules! each {
        ($i:ident => $e:expr) => {{
            let mut out = [core::mem::zeroed(); N];
            for $i in 0..N {
                out[$i] = $e;
            }
            out
        }};
    }

    /// libm's `expf` of `N × 8` lanes, valid (second value true) when every
    /// lane is below 87.33655 in magnitude, the range where libm reaches its
    /// common path (no overflow, underflow or NaN handling, and `scalbnf` is a
    /// single multiplication by `2^k`).
    #[inline(always)]
    unsafe fn expf_n<const N: usize>(x: [__m256; N]) -> ([__m256; N], bool) {
        let bits: [__m256i; N] = each!(i => _mm256_castps_si256(x[i]));
        let hx: [__m256i; N] = each!(i => _mm256_and_si256(bits[i], splat_bits(0x7fff_ffff)));
        let negative: [__m256i; N] = each!(i => _mm256_srai_epi32(bits[i], 31));
        let ok = hx.iter().all(|&h| all(below(h, 0x42ae_ac50)));
        // |x| > 1.5·ln2: k = (INV_LN2·x ± 0.5) truncated toward zero.
        let big: [__m256i; N] = each!(i => _mm256_cmpgt_epi32(hx[i], splat_bits(0x3f85_1592)));
        // |x| > 0.5·ln2: k = ±1 below the `big` range.
        let reduce: [__m256i; N] = each!(i => _mm256_cmpgt_epi32(hx[i], splat_bits(0x3eb1_7218)));
        // |x| <= 2⁻¹⁴: libm returns 1 + x.
        let tiny: [__m256; N] = each!(i => below(hx[i], 0x3900_0001));
        let half: [__m256; N] = each!(i => _mm256_blendv_ps(splat(0.5), splat(-0.5), _mm256_castsi256_ps(negative[i])));
        let k_big: [__m256i; N] =
            each!(i => _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(splat(INV_LN2), x[i]), half[i])));
        let k: [__m256i; N] = each!(i => _mm256_and_si256(
            reduce[i],
            _mm256_blendv_epi8(_mm256_or_si256(negative[i], splat_bits(1)), k_big[i], big[i]),
        ));
        // With k = 0 these give hi = x, lo = 0 and x unchanged, libm's k = 0 branch.
        let kf: [__m256; N] = each!(i => _mm256_cvtepi32_ps(k[i]));
        let hi: [__m256; N] = each!(i => _mm256_sub_ps(x[i], _mm256_mul_ps(kf[i], splat(LN2_HI))));
        let lo: [__m256; N] = each!(i => _mm256_mul_ps(kf[i], splat(LN2_LO)));
        let r: [__m256; N] = each!(i => _mm256_sub_ps(hi[i], lo[i]));
        let rr: [__m256; N] = each!(i => _mm256_mul_ps(r[i], r[i]));
        let c: [__m256; N] = each!(i => _mm256_sub_ps(r[i], _mm256_mul_ps(rr[i], step(splat(P1), rr[i], splat(P2)))));
        let q: [__m256; N] = each!(i => _mm256_div_ps(_mm256_mul_ps(r[i], c[i]), _mm256_sub_ps(splat(2.0), c[i])));
        let y: [__m256; N] = each!(i => _mm256_add_ps(splat(1.0), _mm256_add_ps(_mm256_sub_ps(q[i], lo[i]), hi[i])));
        // scalbnf(y, k) for -126 <= k <= 127 is y·2^k (and y·1 = y for k = 0).
        let scaled: [__m256; N] = each!(i => _mm256_mul_ps(
            y[i],
            _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k[i], splat_bits(127)), 23)),
        ));
        (each!(i => _mm256_blendv_ps(scaled[i], _mm256_add_ps(splat(1.0), x[i]), tiny[i])), ok)
    }

    /// `expf(v − shift)` of every value, in place.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn exp_shifted_in_place(values: &mut [f32], shift: f32) {
        let mut chunks = values.chunks_exact_mut(8);
        for chunk in &mut chunks {
            let x = _mm256_sub_ps(_mm256_loadu_ps(chunk.as_ptr()), splat(shift));
            let ([e], ok) = expf_n([x]);
            if ok {
                _mm256_storeu_ps(chunk.as_mut_ptr(), e);
            } else {
                chunk.iter_mut().for_each(|v| *v = libm::expf(*v - shift));
            }
        }
        chunks.into_remainder().iter_mut().for_each(|v| *v = libm::expf(*v - shift));
    }

    /// True when some lane of some vector of `masks` is set.
    #[inline(always)]
    unsafe fn any_of<const N: usize>(masks: &[__m256; N]) -> bool {
        masks.iter().any(|&m| any(m))
    }

    /// `erff` of `N × 8` lanes, valid (second value true) when every lane is
    /// finite (libm's two `expf` calls then stay in [`expf_n`]'s range).
    #[inline(always)]
    unsafe fn erff_n<const N: usize>(x: [__m256; N]) -> ([__m256; N], bool) {
        let bits: [__m256i; N] = each!(i => _mm256_castps_si256(x[i]));
        let sign: [__m256; N] = each!(i => _mm256_castsi256_ps(_mm256_and_si256(bits[i], splat_bits(0x8000_0000))));
        let ix: [__m256i; N] = each!(i => _mm256_and_si256(bits[i], splat_bits(0x7fff_ffff)));
        if !ix.iter().all(|&v| all(below(v, 0x7f80_0000))) {
            return (x, false);
        }
        let ax: [__m256; N] = each!(i => _mm256_castsi256_ps(ix[i]));
        let one = splat(1.0);
        // libm's branches by |x|: tiny (< 2⁻²⁸), small (< 0.84375), erfc1 (< 1.25),
        // erfc2 with RA/SA (< 1/0.35) or RB/SB (< 6), and 1 − 2⁻¹²⁰ beyond.
        let m_tiny: [__m256; N] = each!(i => below(ix[i], 0x3180_0000));
        let m_small: [__m256; N] = each!(i => below(ix[i], 0x3f58_0000));
        let m_erfc1: [__m256; N] = each!(i => below(ix[i], 0x3fa0_0000));
        let m_ra: [__m256; N] = each!(i => below(ix[i], 0x4036_db6d));
        let m_erfc2: [__m256; N] = each!(i => _mm256_andnot_ps(m_erfc1[i], below(ix[i], 0x40c0_0000)));

        // Lanes with |x| >= 0.84375: y, then erf = ±y.
        let mut y = [splat(1.0 - f32::from_bits(0x0380_0000)); N];
        if any_of(&m_erfc2) {
            // Other lanes get a harmless stand-in so nothing leaves expf_n's range.
            let x: [__m256; N] = each!(i => _mm256_blendv_ps(splat(2.0), ax[i], m_erfc2[i]));
            let s: [__m256; N] = each!(i => _mm256_div_ps(one, _mm256_mul_ps(x[i], x[i])));
            // RA/SA lanes and RB/SB lanes share one evaluation: the shorter RB/SB
            // polynomials start one step early from 0, and `c + s·0` is `c` exactly.
            let mut r: [__m256; N] = each!(i => pick(RA[7], 0.0, m_ra[i]));
            let mut big_s: [__m256; N] = each!(i => pick(SA[7], 0.0, m_ra[i]));
            for j in (0..7).rev() {
                r = each!(i => step(pick(RA[j], RB[j], m_ra[i]), s[i], r[i]));
                big_s = each!(i => step(pick(SA[j], SB[j], m_ra[i]), s[i], big_s[i]));
            }
            let big_s: [__m256; N] = each!(i => step(one, s[i], big_s[i]));
            let z: [__m256; N] =
                each!(i => _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(x[i]), splat_bits(0xffff_e000))));
            let (e1, ok1) =
                expf_n(each!(i => _mm256_sub_ps(_mm256_mul_ps(_mm256_xor_ps(z[i], splat(-0.0)), z[i]), splat(0.5625))));
            let (e2, ok2) = expf_n(each!(i => _mm256_add_ps(
                _mm256_mul_ps(_mm256_sub_ps(z[i], x[i]), _mm256_add_ps(z[i], x[i])),
                _mm256_div_ps(r[i], big_s[i]),
            )));
            if !(ok1 && ok2) {
                return (x, false);
            }
            y = each!(i => _mm256_blendv_ps(
                y[i],
                _mm256_sub_ps(one, _mm256_div_ps(_mm256_mul_ps(e1[i], e2[i]), x[i])),
                m_erfc2[i],
            ));
        }
        let m_erfc1_only: [__m256; N] = each!(i => _mm256_andnot_ps(m_small[i], m_erfc1[i]));
        if any_of(&m_erfc1_only) {
            let s: [__m256; N] = each!(i => _mm256_sub_ps(ax[i], one));
            let mut p = [splat(PA[6]); N];
            let mut q = [splat(QA[5]); N];
            for j in (0..6).rev() {
                p = each!(i => step(splat(PA[j]), s[i], p[i]));
                if j < 5 {
                    q = each!(i => step(splat(QA[j]), s[i], q[i]));
                }
            }
            let q: [__m256; N] = each!(i => step(one, s[i], q[i]));
            y = each!(i => _mm256_blendv_ps(
                y[i],
                _mm256_sub_ps(one, _mm256_sub_ps(splat(1.0 - ERX), _mm256_div_ps(p[i], q[i]))),
                m_erfc1_only[i],
            ));
        }
        let mut erf: [__m256; N] = each!(i => _mm256_xor_ps(y[i], sign[i]));
        let m_small_only: [__m256; N] = each!(i => _mm256_andnot_ps(m_tiny[i], m_small[i]));
        if any_of(&m_small_only) {
            let z: [__m256; N] = each!(i => _mm256_mul_ps(x[i], x[i]));
            let mut r = [splat(PP[4]); N];
            let mut s = [splat(QQ[4]); N];
            for j in (0..4).rev() {
                r = each!(i => step(splat(PP[j]), z[i], r[i]));
                s = each!(i => step(splat(QQ[j]), z[i], s[i]));
            }
            let s: [__m256; N] = each!(i => step(one, z[i], s[i]));
            erf = each!(i => _mm256_blendv_ps(
                erf[i],
                _mm256_add_ps(x[i], _mm256_mul_ps(x[i], _mm256_div_ps(r[i], s[i]))),
                m_small[i],
            ));
        }
        if any_of(&m_tiny) {
            erf = each!(i => _mm256_blendv_ps(
                erf[i],
                _mm256_mul_ps(
                    splat(0.125),
                    _mm256_add_ps(_mm256_mul_ps(splat(8.0), x[i]), _mm256_mul_ps(splat(EFX8), x[i])),
                ),
                m_tiny[i],
            ));
        }
        (erf, true)
    }

    /// [`super::gelu`] of `N × 8` values at `chunk`, in place.
    #[inline(always)]
    unsafe fn gelu_chunk<const N: usize>(chunk: &mut [f32]) {
        assert_eq!(chunk.len(), N * 8);
        let v: [__m256; N] = each!(i => _mm256_loadu_ps(chunk.as_ptr().add(8 * i)));
        let (erf, ok) = erff_n(each!(i => _mm256_mul_ps(v[i], splat(std::f32::consts::FRAC_1_SQRT_2))));
        if ok {
            for i in 0..N {
                let g = _mm256_mul_ps(_mm256_mul_ps(splat(0.5), v[i]), _mm256_add_ps(splat(1.0), erf[i]));
                _mm256_storeu_ps(chunk.as_mut_ptr().add(8 * i), g);
            }
        } else {
            chunk.iter_mut().for_each(|v| *v = super::gelu(*v));
        }
    }

    /// [`super::gelu`] of every value, in place: 32 at a time, then 8, then one.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn gelu_in_place(values: &mut [f32]) {
        let mut wide = values.chunks_exact_mut(32);
        for chunk in &mut wide {
            gelu_chunk::<4>(chunk);
        }
        let mut narrow = wide.into_remainder().chunks_exact_mut(8);
        for chunk in &mut narrow {
            gelu_chunk::<1>(chunk);
        }
        narrow.into_remainder().iter_mut().for_each(|v| *v = super::gelu(*v));
    }
}

/// The AVX-512 tile kernel, in inline assembly: the crate's minimum Rust
/// version predates the AVX-512 intrinsics. Each row's sixteen sums live in
/// one 512-bit register; each step multiplies the panel's sixteen weights by
/// the row's input broadcast from memory (`vmulps`, one rounding) and adds the
/// products to the sums (`vaddps`, one rounding): the same operations, in the
/// same order, as [`super::tile`].
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::PANEL_COLUMNS;

    /// Defines a kernel function for a given number of rows, each listed as
    /// `(r, 4·r)`: the sums of row `r` are kept in `zmm r`, its input is read at
    /// byte offset `4·r` of the step's inputs, the weights are in `zmm12` and
    /// each product in `zmm13`. Only `zmm0`–`zmm15` are used, the registers a
    /// build without AVX-512 can name as clobbered.
    macro_rules! tile_kernel {
        ($name:ident, $rows:literal, $(($acc:literal, $offset:literal)),+) => {
            /// Writes the tile's sums (its rows one after another, 16 each) to `out`.
            ///
            /// # Safety
            /// The CPU supports AVX-512F; `k_len > 0`; `x` holds `k_len ×` rows
            /// values, `w` `k_len × 16` and `out` rows `× 16`. (`vzeroupper` at
            /// the end clears the upper register halves for the SSE code after it.)
            unsafe fn $name(x: *const f32, w: *const f32, k_len: usize, out: *mut f32) {
                std::arch::asm!(
                    $(concat!("vxorps xmm", $acc, ", xmm", $acc, ", xmm", $acc),)+
                    "2:",
                    "vmovups zmm12, zmmword ptr [{w}]",
                    $(
                        concat!("vmulps zmm13, zmm12, dword ptr [{x} + ", $offset, "]{{1to16}}"),
                        concat!("vaddps zmm", $acc, ", zmm", $acc, ", zmm13"),
                    )+
                    "add {x}, {x_step}",
                    "add {w}, 64",
                    "dec {k}",
                    "jnz 2b",
                    $(concat!("vmovups zmmword ptr [{out} + ", $acc, " * 64], zmm", $acc),)+
                    "vzeroupper",
                    x = inout(reg) x => _,
                    w = inout(reg) w => _,
                    k = inout(reg) k_len => _,
                    x_step = in(reg) $rows * 4usize,
                    out = in(reg) out,
                    out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
                    out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
                    out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
                    out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
                    options(nostack),
                );
            }
        };
    }

    tile_kernel!(rows1, 1, (0, 0));
    tile_kernel!(rows2, 2, (0, 0), (1, 4));
    tile_kernel!(rows3, 3, (0, 0), (1, 4), (2, 8));
    tile_kernel!(rows4, 4, (0, 0), (1, 4), (2, 8), (3, 12));
    tile_kernel!(rows5, 5, (0, 0), (1, 4), (2, 8), (3, 12), (4, 16));
    tile_kernel!(rows6, 6, (0, 0), (1, 4), (2, 8), (3, 12), (4, 16), (5, 20));
    tile_kernel!(rows7, 7, (0, 0), (1, 4), (2, 8), (3, 12), (4, 16), (5, 20), (6, 24));
    tile_kernel!(rows8, 8, (0, 0), (1, 4), (2, 8), (3, 12), (4, 16), (5, 20), (6, 24), (7, 28));
    tile_kernel!(rows9, 9, (0, 0), (1, 4), (2, 8), (3, 12), (4, 16), (5, 20), (6, 24), (7, 28), (8, 32));
    tile_kernel!(rows10, 10, (0, 0), (1, 4), (2, 8), (3, 12), (4, 16), (5, 20), (6, 24), (7, 28), (8, 32), (9, 36));
    #[rustfmt::skip]
    tile_kernel!(rows11, 11, (0, 0), (1, 4), (2, 8), (3, 12), (4, 16), (5, 20), (6, 24), (7, 28), (8, 32), (9, 36), (10, 40));
    #[rustfmt::skip]
    tile_kernel!(rows12, 12, (0, 0), (1, 4), (2, 8), (3, 12), (4, 16), (5, 20), (6, 24), (7, 28), (8, 32), (9, 36), (10, 40), (11, 44));

    /// [`super::tile`] for `R` rows (1 to 12).
    ///
    /// # Safety
    /// The CPU supports AVX-512F.
    #[inline(always)]
    pub(super) unsafe fn tile<const R: usize>(x_k_major: &[f32], panel: &[f32]) -> [[f32; PANEL_COLUMNS]; R] {
        let k_len = panel.len() / PANEL_COLUMNS;
        assert!(x_k_major.len() == k_len * R && panel.len() == k_len * PANEL_COLUMNS);
        let mut acc = [[0.0f32; PANEL_COLUMNS]; R];
        if k_len == 0 {
            return acc;
        }
        let (x, w, out) = (x_k_major.as_ptr(), panel.as_ptr(), acc.as_mut_ptr().cast::<f32>());
        match R {
            1 => rows1(x, w, k_len, out),
            2 => rows2(x, w, k_len, out),
            3 => rows3(x, w, k_len, out),
            4 => rows4(x, w, k_len, out),
            5 => rows5(x, w, k_len, out),
            6 => rows6(x, w, k_len, out),
            7 => rows7(x, w, k_len, out),
            8 => rows8(x, w, k_len, out),
            9 => rows9(x, w, k_len, out),
            10 => rows10(x, w, k_len, out),
            11 => rows11(x, w, k_len, out),
            12 => rows12(x, w, k_len, out),
            _ => unreachable!("AVX-512 tiles hold at most 12 rows"),
        }
        acc
    }
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// Reproducible test values in [-1, 1].
    pub(crate) fn pseudo_random(len: usize, salt: u32) -> Vec<f32> {
        (0..len as u32)
            .map(|i| {
                let h = i.wrapping_mul(2654435761).wrapping_add(salt.wrapping_mul(40503)) >> 8;
                (h % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn bits(values: &[f32]) -> Vec<u32> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn dense_layer_matches_the_naive_sequential_sum_bit_for_bit() {
        for &(rows, k, n) in &[(1, 7, 5), (13, 40, 33), (7, 128, 465), (6, 16, 16), (29, 64, 48)] {
            let x = pseudo_random(rows * k, 1);
            let w = pseudo_random(k * n, 2);
            let b = pseudo_random(n, 3);
            let expected = naive(&x, &w, &b, rows, k, n);
            let layer = Linear::from_in_out(&w, k, n, b.clone());
            let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
            for isa in Isa::available() {
                for parallel in [false, true] {
                    let mut got = vec![f32::NAN; rows * n];
                    let mut packed = Vec::new();
                    pool.install(|| {
                        layer.forward_with(isa, &x, rows, Activation::Identity, parallel, &mut got, &mut packed)
                    });
                    assert_eq!(bits(&got), bits(&expected), "rows={rows} k={k} n={n} {isa:?} parallel={parallel}");
                }
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
            assert_eq!(bits(&got), bits(&expected));
        }
    }

    #[test]
    fn every_tile_height_matches_the_naive_sum() {
        let (k, n) = (19, 40);
        let w = pseudo_random(k * n, 12);
        let b = pseudo_random(n, 13);
        let layer = Linear::from_in_out(&w, k, n, b.clone());
        for rows in 1..=30 {
            let x = pseudo_random(rows * k, rows as u32);
            let expected = naive(&x, &w, &b, rows, k, n);
            for isa in Isa::available() {
                let mut got = vec![f32::NAN; rows * n];
                layer.forward_with(isa, &x, rows, Activation::Identity, false, &mut got, &mut Vec::new());
                assert_eq!(bits(&got), bits(&expected), "rows={rows} {isa:?}");
            }
        }
    }

    #[test]
    fn every_path_applies_the_scalar_gelu_bit_for_bit() {
        let (rows, k, n) = (11, 384, 100);
        let x = pseudo_random(rows * k, 4);
        let w = pseudo_random(k * n, 5);
        let b = pseudo_random(n, 6);
        let layer = Linear::from_in_out(&w, k, n, b.clone());
        let expected: Vec<f32> = naive(&x, &w, &b, rows, k, n).into_iter().map(gelu).collect();
        for isa in Isa::available() {
            let mut got = vec![0.0f32; rows * n];
            layer.forward_with(isa, &x, rows, Activation::Gelu, false, &mut got, &mut Vec::new());
            assert_eq!(bits(&got), bits(&expected), "{isa:?}");
        }
    }

    #[test]
    fn tiles_cover_the_rows_in_order() {
        for max in [TILE_ROWS, 12] {
            for rows in 0..80 {
                let tiles: Vec<_> = tiles(rows, max).collect();
                let mut next = 0;
                for &(start, height) in &tiles {
                    assert_eq!(start, next);
                    assert!((1..=max).contains(&height));
                    next += height;
                }
                assert_eq!(next, rows);
                assert_eq!(tiles.len(), rows.div_ceil(max));
                let (low, high) = tiles.iter().fold((usize::MAX, 0), |(l, h), t| (l.min(t.1), h.max(t.1)));
                assert!(tiles.is_empty() || high - low <= 1);
            }
        }
    }

    /// Inputs for the vector `erff`/`expf` checks: every 4099th bit pattern,
    /// every pattern near libm's branch boundaries, and a dense sweep of the
    /// values GELU and softmax usually see.
    fn special_inputs() -> Vec<f32> {
        let mut v: Vec<f32> = (0..=u32::MAX).step_by(4099).map(f32::from_bits).collect();
        let boundaries = [
            0x3180_0000u32,
            0x3f58_0000,
            0x3fa0_0000,
            0x4036_db6d,
            0x40c0_0000,
            0x7f80_0000,
            0x42ae_ac50,
            0x42b1_7218,
            0x42cf_f1b5,
            0x3f85_1592,
            0x3eb1_7218,
            0x3900_0000,
            0,
        ];
        for b in boundaries {
            for d in 0..64u32 {
                for sign in [0, 0x8000_0000] {
                    v.push(f32::from_bits(b.wrapping_add(d).wrapping_sub(32) | sign));
                }
            }
        }
        v.extend((-200_000..200_000).map(|i| i as f32 * 1e-4));
        v.extend([f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, f32::MIN_POSITIVE, -f32::MIN_POSITIVE]);
        v
    }

    #[test]
    fn vector_gelu_matches_libm_bit_for_bit() {
        let inputs = special_inputs();
        let expected: Vec<f32> = inputs.iter().map(|&v| gelu(v)).collect();
        for isa in Isa::available() {
            let mut got = inputs.clone();
            gelu_with(isa, &mut got);
            for ((x, g), e) in inputs.iter().zip(&got).zip(&expected) {
                assert!(
                    g.to_bits() == e.to_bits() || (g.is_nan() && e.is_nan()),
                    "{isa:?} gelu({x:e}): {g:e} vs {e:e}"
                );
            }
        }
    }

    #[test]
    fn vector_softmax_matches_libm_bit_for_bit() {
        let inputs = special_inputs();
        for isa in Isa::available() {
            // Whole rows of moderate scores, as attention produces them.
            for len in [1, 7, 8, 9, 16, 33, 256] {
                for salt in 0..4 {
                    let row: Vec<f32> = pseudo_random(len, salt).iter().map(|v| v * 30.0).collect();
                    let mut expected = row.clone();
                    let max = expected.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                    expected.iter_mut().for_each(|v| *v = libm::expf(*v - max));
                    let sum = sequential_sum(&expected);
                    expected.iter_mut().for_each(|v| *v /= sum);
                    let mut got = row;
                    softmax_with(isa, &mut got);
                    assert_eq!(bits(&got), bits(&expected), "{isa:?} len={len}");
                }
            }
            // The exponential itself over the special inputs.
            #[cfg(target_arch = "x86_64")]
            if isa != Isa::Portable {
                assert_vector_expf_is_libm(&inputs);
            }
        }
    }

    /// Every one of the 2³² inputs; slow, so run on demand:
    /// `cargo test --release -p dml-models exhaustive -- --ignored`.
    #[test]
    #[ignore]
    fn exhaustive_vector_gelu_and_expf_match_libm() {
        let isa = Isa::detect();
        if isa == Isa::Portable {
            return;
        }
        (0..1u32 << 16).into_par_iter().for_each(|high| {
            let inputs: Vec<f32> = (0..1u32 << 16).map(|low| f32::from_bits((high << 16) | low)).collect();
            let mut got = inputs.clone();
            gelu_with(isa, &mut got);
            for (x, g) in inputs.iter().zip(&got) {
                let e = gelu(*x);
                assert!(g.to_bits() == e.to_bits() || (g.is_nan() && e.is_nan()), "gelu({x:e}): {g:e} vs {e:e}");
            }
            #[cfg(target_arch = "x86_64")]
            assert_vector_expf_is_libm(&inputs);
        });
    }

    /// The vector `expf` gives libm's bits (or a NaN for a NaN) for every input.
    /// Call only where AVX2 is present.
    #[cfg(target_arch = "x86_64")]
    fn assert_vector_expf_is_libm(inputs: &[f32]) {
        let mut got = inputs.to_vec();
        // SAFETY: callers check for AVX2 first.
        unsafe { avx2::exp_shifted_in_place(&mut got, 0.0) };
        for (x, g) in inputs.iter().zip(&got) {
            let e = libm::expf(*x - 0.0);
            assert!(g.to_bits() == e.to_bits() || (g.is_nan() && e.is_nan()), "expf({x:e}): {g:e} vs {e:e}");
        }
    }

    #[test]
    fn row_block_layer_norm_matches_the_one_row_version() {
        let width = 384;
        let gamma = pseudo_random(width, 7);
        let beta = pseudo_random(width, 8);
        for rows in [1, 3, 4, 5, 9, 13] {
            let data: Vec<f32> = pseudo_random(rows * width, 9).iter().map(|v| v * 3.0 + 0.25).collect();
            let mut expected = data.clone();
            for row in expected.chunks_exact_mut(width) {
                layer_norm_in_place(row, &gamma, &beta, 1e-12);
            }
            let mut got = data;
            layer_norm_rows(&mut got, width, &gamma, &beta, 1e-12);
            assert_eq!(bits(&got), bits(&expected), "rows={rows}");
        }
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
