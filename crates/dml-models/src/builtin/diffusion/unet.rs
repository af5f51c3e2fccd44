//! The denoising UNet, layer for layer as `training/fashion_diffusion/train.py`
//! defines it (the tensor names are PyTorch's `state_dict` keys).
//!
//! Input: a noisy 28×28 image, the integer timestep and the 384-number prompt
//! embedding (all zeros for the unconditioned pass of classifier-free
//! guidance). Output: the predicted noise, 28×28.
//!
//! ```text
//! emb = time2(silu(time1(features(t)))) + text2(silu(text1(text))),  e = silu(emb)
//! 28×28: conv_in 1→16, down0 (res 16→16) ─────────────────────────────┐ s0
//! 14×14: pool0 (stride-2 conv), down1 (res 16→32) ─────────────────┐  │ s1
//!  7×7:  pool1 (stride-2 conv), down2 (res 32→64) ──────────────┐  │  │ s2
//!  7×7:  mid1 (res), mid_attn (self-attention), mid2 (res)      │  │  │
//!  7×7:  up2 (res [h, s2] 128→64) ◄─────────────────────────────┘  │  │
//! 14×14: nearest ×2, unpool1 conv 64→32, up1 (res [h, s1] 64→32) ◄─┘  │
//! 28×28: nearest ×2, unpool0 conv 32→16, up0 (res [h, s0] 32→16) ◄────┘
//! out:   norm_out, silu, conv_out 16→1
//! ```
//!
//! A residual block is `conv2(silu(norm2(conv1(silu(norm1(x)))) · (1 + scale) + shift)) + skip(x)`
//! with `(scale, shift)` the two halves of `emb_layer(e)` and `skip` a 1×1
//! convolution when the channel count changes.

use super::super::kernels::{self, Activation, Linear};
use super::super::weights::TensorFile;
use super::super::BuiltinError;
use super::layers::{load_linear, silu, Conv2d, FeatureMap, GroupNorm};

/// Channels at 28×28, 14×14 and 7×7.
pub const CHANNELS: [usize; 3] = [16, 32, 64];
/// Width of the time-and-text embedding.
pub const EMBED: usize = 128;
/// Sinusoidal timestep features.
pub const TIME_FEATURES: usize = 64;
/// Width of the prompt embedding (all-MiniLM-L6-v2).
pub const TEXT_DIM: usize = 384;
/// Groups of every group normalization.
pub const GROUPS: usize = 8;
/// Group normalization's epsilon.
pub const NORM_EPSILON: f32 = 1e-5;
/// Image side.
pub const SIDE: usize = 28;
/// `ln 10000`, the base of the timestep frequencies.
const LN_10000: f32 = 9.210_340_5;

/// Sinusoidal features of timestep `t`: `sin(t·f_i)` for `i < 32`, then
/// `cos(t·f_i)`, with `f_i = exp(−ln(10000)·i / 32)`, all in `f32` with `libm`.
pub fn timestep_features(t: u32) -> Vec<f32> {
    let half = TIME_FEATURES / 2;
    let args: Vec<f32> = (0..half).map(|i| t as f32 * libm::expf((-LN_10000 * i as f32) / half as f32)).collect();
    args.iter().map(|&a| libm::sinf(a)).chain(args.iter().map(|&a| libm::cosf(a))).collect()
}

struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    emb: Linear,
    norm2: GroupNorm,
    conv2: Conv2d,
    skip: Option<Conv2d>,
}

impl ResBlock {
    fn load(file: &TensorFile<'_>, prefix: &str, cin: usize, cout: usize) -> Result<Self, BuiltinError> {
        let skip =
            if cin != cout { Some(Conv2d::load(file, &format!("{prefix}.skip"), cin, cout, 1, 1)?) } else { None };
        Ok(ResBlock {
            norm1: GroupNorm::load(file, &format!("{prefix}.norm1"), GROUPS, cin, NORM_EPSILON)?,
            conv1: Conv2d::load(file, &format!("{prefix}.conv1"), cin, cout, 3, 1)?,
            emb: load_linear(file, &format!("{prefix}.emb"), EMBED, 2 * cout)?,
            norm2: GroupNorm::load(file, &format!("{prefix}.norm2"), GROUPS, cout, NORM_EPSILON)?,
            conv2: Conv2d::load(file, &format!("{prefix}.conv2"), cout, cout, 3, 1)?,
            skip,
        })
    }

    fn forward(&self, x: &FeatureMap, e: &[f32], parallel: bool) -> FeatureMap {
        let mut h = self.norm1.forward(x);
        h.silu_in_place();
        let h = self.conv1.forward(&h, parallel);
        let cout = self.conv1.out_channels();
        let modulation = self.emb.forward(e, 1, Activation::Identity, false);
        let (scale, shift) = modulation.split_at(cout);
        let mut h = self.norm2.forward(&h);
        for pixel in h.data.chunks_exact_mut(cout) {
            for c in 0..cout {
                pixel[c] = silu(pixel[c] * (1.0 + scale[c]) + shift[c]);
            }
        }
        let mut out = self.conv2.forward(&h, parallel);
        match &self.skip {
            Some(skip) => out.add_in_place(&skip.forward(x, parallel)),
            None => out.add_in_place(x),
        }
        out
    }
}

/// Single-head self-attention over the pixels of a map, with a residual.
struct Attention {
    norm: GroupNorm,
    qkv: Linear,
    proj: Linear,
    channels: usize,
}

impl Attention {
    fn load(file: &TensorFile<'_>, prefix: &str, channels: usize) -> Result<Self, BuiltinError> {
        let conv_as_dense = |name: &str, outputs: usize| -> Result<Linear, BuiltinError> {
            let weight = file.f32_tensor(&format!("{prefix}.{name}.weight"), &[outputs, channels, 1, 1])?;
            let bias = file.f32_tensor(&format!("{prefix}.{name}.bias"), &[outputs])?;
            Ok(Linear::from_out_in(&weight, channels, outputs, bias))
        };
        Ok(Attention {
            norm: GroupNorm::load(file, &format!("{prefix}.norm"), GROUPS, channels, NORM_EPSILON)?,
            qkv: conv_as_dense("qkv", 3 * channels)?,
            proj: conv_as_dense("proj", channels)?,
            channels,
        })
    }

    /// `x + proj(softmax(q·kᵀ/√c)·v)`: scores are [`kernels::dot`]s divided by
    /// `√c`, softmax is [`kernels::softmax_in_place`], and each context value
    /// sums `p_j·v_j` in increasing `j`.
    fn forward(&self, x: &FeatureMap) -> FeatureMap {
        let c = self.channels;
        let tokens = x.height * x.width;
        let normed = self.norm.forward(x);
        let qkv = self.qkv.forward(&normed.data, tokens, Activation::Identity, false);
        let part = |token: usize, which: usize| &qkv[token * 3 * c + which * c..token * 3 * c + (which + 1) * c];
        let scale = (c as f32).sqrt();
        let mut context = vec![0.0f32; tokens * c];
        let mut scores = vec![0.0f32; tokens];
        for i in 0..tokens {
            for (j, score) in scores.iter_mut().enumerate() {
                *score = kernels::dot(part(i, 0), part(j, 1)) / scale;
            }
            kernels::softmax_in_place(&mut scores);
            let row = &mut context[i * c..(i + 1) * c];
            for (j, &p) in scores.iter().enumerate() {
                for (acc, v) in row.iter_mut().zip(part(j, 2)) {
                    *acc += p * v;
                }
            }
        }
        let projected = self.proj.forward(&context, tokens, Activation::Identity, false);
        let mut out = FeatureMap::new(x.height, x.width, c, projected);
        out.add_in_place(x);
        out
    }
}

/// The loaded denoiser.
pub struct UNet {
    time1: Linear,
    time2: Linear,
    text1: Linear,
    text2: Linear,
    conv_in: Conv2d,
    down0: ResBlock,
    pool0: Conv2d,
    down1: ResBlock,
    pool1: Conv2d,
    down2: ResBlock,
    mid1: ResBlock,
    mid_attn: Attention,
    mid2: ResBlock,
    up2: ResBlock,
    unpool1: Conv2d,
    up1: ResBlock,
    unpool0: Conv2d,
    up0: ResBlock,
    norm_out: GroupNorm,
    conv_out: Conv2d,
}

impl UNet {
    /// Loads every tensor from a parsed safetensors file.
    pub(crate) fn load(file: &TensorFile<'_>) -> Result<Self, BuiltinError> {
        let [c0, c1, c2] = CHANNELS;
        Ok(UNet {
            time1: load_linear(file, "time1", TIME_FEATURES, EMBED)?,
            time2: load_linear(file, "time2", EMBED, EMBED)?,
            text1: load_linear(file, "text1", TEXT_DIM, EMBED)?,
            text2: load_linear(file, "text2", EMBED, EMBED)?,
            conv_in: Conv2d::load(file, "conv_in", 1, c0, 3, 1)?,
            down0: ResBlock::load(file, "down0", c0, c0)?,
            pool0: Conv2d::load(file, "pool0", c0, c0, 3, 2)?,
            down1: ResBlock::load(file, "down1", c0, c1)?,
            pool1: Conv2d::load(file, "pool1", c1, c1, 3, 2)?,
            down2: ResBlock::load(file, "down2", c1, c2)?,
            mid1: ResBlock::load(file, "mid1", c2, c2)?,
            mid_attn: Attention::load(file, "mid_attn", c2)?,
            mid2: ResBlock::load(file, "mid2", c2, c2)?,
            up2: ResBlock::load(file, "up2", 2 * c2, c2)?,
            unpool1: Conv2d::load(file, "unpool1", c2, c1, 3, 1)?,
            up1: ResBlock::load(file, "up1", 2 * c1, c1)?,
            unpool0: Conv2d::load(file, "unpool0", c1, c0, 3, 1)?,
            up0: ResBlock::load(file, "up0", 2 * c0, c0)?,
            norm_out: GroupNorm::load(file, "norm_out", GROUPS, c0, NORM_EPSILON)?,
            conv_out: Conv2d::load(file, "conv_out", c0, 1, 3, 1)?,
        })
    }

    /// The conditioning vector `e = silu(time embedding + text embedding)`.
    pub fn conditioning(&self, t: u32, text: &[f32]) -> Vec<f32> {
        assert_eq!(text.len(), TEXT_DIM, "prompt embedding width");
        let time = self.time1.forward(&timestep_features(t), 1, Activation::Identity, false);
        let time =
            self.time2.forward(&time.iter().map(|&v| silu(v)).collect::<Vec<_>>(), 1, Activation::Identity, false);
        let words = self.text1.forward(text, 1, Activation::Identity, false);
        let words =
            self.text2.forward(&words.iter().map(|&v| silu(v)).collect::<Vec<_>>(), 1, Activation::Identity, false);
        time.iter().zip(&words).map(|(a, b)| silu(a + b)).collect()
    }

    /// The predicted noise for image `x` (28×28, one channel) at timestep `t`
    /// under prompt embedding `text`. `parallel` lets the convolutions use the
    /// current rayon pool; it never changes a bit of the result.
    pub fn predict_noise(&self, x: &FeatureMap, t: u32, text: &[f32], parallel: bool) -> FeatureMap {
        assert_eq!((x.height, x.width, x.channels), (SIDE, SIDE, 1), "denoiser input shape");
        let e = self.conditioning(t, text);
        let h = self.conv_in.forward(x, parallel);
        let s0 = self.down0.forward(&h, &e, parallel);
        let s1 = self.down1.forward(&self.pool0.forward(&s0, parallel), &e, parallel);
        let s2 = self.down2.forward(&self.pool1.forward(&s1, parallel), &e, parallel);
        let h = self.mid1.forward(&s2, &e, parallel);
        let h = self.mid_attn.forward(&h);
        let h = self.mid2.forward(&h, &e, parallel);
        let h = self.up2.forward(&h.concat_channels(&s2), &e, parallel);
        let h = self.unpool1.forward(&h.upsample2(), parallel);
        let h = self.up1.forward(&h.concat_channels(&s1), &e, parallel);
        let h = self.unpool0.forward(&h.upsample2(), parallel);
        let h = self.up0.forward(&h.concat_channels(&s0), &e, parallel);
        let mut h = self.norm_out.forward(&h);
        h.silu_in_place();
        self.conv_out.forward(&h, parallel)
    }
}
