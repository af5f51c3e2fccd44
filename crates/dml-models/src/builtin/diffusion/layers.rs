//! Convolutional building blocks over channels-last feature maps, in the
//! fixed evaluation order of [`super::super::kernels`].
//!
//! * A convolution is a dense layer over the image patches: the patch of output
//!   pixel `(y, x)` lists input channel by channel, and within a channel the
//!   kernel rows top to bottom and columns left to right (PyTorch's
//!   `[out][in][ky][kx]` weight order), with zeros where the kernel hangs over
//!   the border. Each output is therefore `bias + Σ patch·weight`, summed in that
//!   order by [`Linear`].
//! * Group normalization sums a group's values pixel by pixel (row-major), the
//!   group's channels in increasing order within a pixel, in one `f32`
//!   accumulator; the variance is the biased mean of squared deviations, summed
//!   the same way.
//! * SiLU is `x · (1 / (1 + e^(−x)))` with `libm::expf`.

use super::super::kernels::{self, Activation, Linear};
use super::super::weights::TensorFile;
use super::super::BuiltinError;

/// A feature map: `height × width` pixels of `channels` values, stored
/// channels-last (`data[(y·width + x)·channels + c]`).
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureMap {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Values per pixel.
    pub channels: usize,
    /// `height · width · channels` values.
    pub data: Vec<f32>,
}

impl FeatureMap {
    /// A map from its values; panics if the length does not match.
    pub fn new(height: usize, width: usize, channels: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), height * width * channels, "feature map size");
        FeatureMap { height, width, channels, data }
    }

    fn pixels(&self) -> usize {
        self.height * self.width
    }

    /// The channels of `self` followed by those of `other`, pixel by pixel.
    pub(crate) fn concat_channels(&self, other: &FeatureMap) -> FeatureMap {
        assert_eq!((self.height, self.width), (other.height, other.width), "concatenated maps differ in size");
        let channels = self.channels + other.channels;
        let mut data = Vec::with_capacity(self.pixels() * channels);
        for (a, b) in self.data.chunks_exact(self.channels).zip(other.data.chunks_exact(other.channels)) {
            data.extend_from_slice(a);
            data.extend_from_slice(b);
        }
        FeatureMap::new(self.height, self.width, channels, data)
    }

    /// Nearest-neighbour upsampling by two in each direction.
    pub(crate) fn upsample2(&self) -> FeatureMap {
        let (h, w, c) = (self.height * 2, self.width * 2, self.channels);
        let mut data = Vec::with_capacity(h * w * c);
        for y in 0..h {
            for x in 0..w {
                let src = ((y / 2) * self.width + x / 2) * c;
                data.extend_from_slice(&self.data[src..src + c]);
            }
        }
        FeatureMap::new(h, w, c, data)
    }

    /// Applies SiLU to every value.
    pub(crate) fn silu_in_place(&mut self) {
        for v in &mut self.data {
            *v = silu(*v);
        }
    }

    /// Adds `other` value by value.
    pub(crate) fn add_in_place(&mut self, other: &FeatureMap) {
        assert_eq!(self.data.len(), other.data.len(), "added maps differ in size");
        for (a, b) in self.data.iter_mut().zip(&other.data) {
            *a += b;
        }
    }
}

/// SiLU (swish): `x · σ(x)`.
pub(crate) fn silu(x: f32) -> f32 {
    x * kernels::sigmoid(x)
}

/// A 2-D convolution with square kernel `size` (1 or 3), `stride` 1 or 2 and
/// padding `size / 2`, as PyTorch's `nn.Conv2d(in, out, size, stride, size // 2)`.
pub(crate) struct Conv2d {
    size: usize,
    stride: usize,
    in_channels: usize,
    out_channels: usize,
    dense: Linear,
}

impl Conv2d {
    /// Loads `{prefix}.weight` (`[out][in][size][size]`) and `{prefix}.bias`.
    pub(crate) fn load(
        file: &TensorFile<'_>,
        prefix: &str,
        in_channels: usize,
        out_channels: usize,
        size: usize,
        stride: usize,
    ) -> Result<Self, BuiltinError> {
        let weight = file.f32_tensor(&format!("{prefix}.weight"), &[out_channels, in_channels, size, size])?;
        let bias = file.f32_tensor(&format!("{prefix}.bias"), &[out_channels])?;
        let patch = in_channels * size * size;
        Ok(Conv2d {
            size,
            stride,
            in_channels,
            out_channels,
            dense: Linear::from_out_in(&weight, patch, out_channels, bias),
        })
    }

    /// Output channels.
    pub(crate) fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// Convolves `input`; `parallel` lets the dense kernel use the current rayon pool.
    pub(crate) fn forward(&self, input: &FeatureMap, parallel: bool) -> FeatureMap {
        assert_eq!(input.channels, self.in_channels, "convolution input channels");
        let pad = self.size / 2;
        let out_h = (input.height + 2 * pad - self.size) / self.stride + 1;
        let out_w = (input.width + 2 * pad - self.size) / self.stride + 1;
        let rows = out_h * out_w;
        if self.size == 1 && self.stride == 1 {
            let data = self.dense.forward(&input.data, rows, Activation::Identity, parallel);
            return FeatureMap::new(out_h, out_w, self.out_channels, data);
        }
        let taps = self.size * self.size;
        let patch = self.in_channels * taps;
        let mut patches = vec![0.0f32; rows * patch];
        for oy in 0..out_h {
            for ox in 0..out_w {
                let row = &mut patches[(oy * out_w + ox) * patch..(oy * out_w + ox + 1) * patch];
                for ky in 0..self.size {
                    let iy = (oy * self.stride + ky) as isize - pad as isize;
                    if iy < 0 || iy >= input.height as isize {
                        continue;
                    }
                    for kx in 0..self.size {
                        let ix = (ox * self.stride + kx) as isize - pad as isize;
                        if ix < 0 || ix >= input.width as isize {
                            continue;
                        }
                        let src = (iy as usize * input.width + ix as usize) * input.channels;
                        let pixel = &input.data[src..src + input.channels];
                        let tap = ky * self.size + kx;
                        for (c, &v) in pixel.iter().enumerate() {
                            row[c * taps + tap] = v;
                        }
                    }
                }
            }
        }
        let data = self.dense.forward(&patches, rows, Activation::Identity, parallel);
        FeatureMap::new(out_h, out_w, self.out_channels, data)
    }
}

/// Group normalization with a per-channel scale and shift, as PyTorch's
/// `nn.GroupNorm(groups, channels, eps)`.
pub(crate) struct GroupNorm {
    groups: usize,
    epsilon: f32,
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl GroupNorm {
    /// Loads `{prefix}.weight` and `{prefix}.bias`, each `[channels]`.
    pub(crate) fn load(
        file: &TensorFile<'_>,
        prefix: &str,
        groups: usize,
        channels: usize,
        epsilon: f32,
    ) -> Result<Self, BuiltinError> {
        Ok(GroupNorm {
            groups,
            epsilon,
            gamma: file.f32_tensor(&format!("{prefix}.weight"), &[channels])?,
            beta: file.f32_tensor(&format!("{prefix}.bias"), &[channels])?,
        })
    }

    /// The normalized map.
    pub(crate) fn forward(&self, input: &FeatureMap) -> FeatureMap {
        let channels = input.channels;
        assert_eq!(channels, self.gamma.len(), "group norm channels");
        let per_group = channels / self.groups;
        let count = (input.pixels() * per_group) as f32;
        let mut out = input.clone();
        for g in 0..self.groups {
            let range = g * per_group..(g + 1) * per_group;
            let mut sum = 0.0f32;
            for pixel in input.data.chunks_exact(channels) {
                for &v in &pixel[range.clone()] {
                    sum += v;
                }
            }
            let mean = sum / count;
            let mut squares = 0.0f32;
            for pixel in input.data.chunks_exact(channels) {
                for &v in &pixel[range.clone()] {
                    squares += (v - mean) * (v - mean);
                }
            }
            let inv_std = 1.0 / (squares / count + self.epsilon).sqrt();
            for pixel in out.data.chunks_exact_mut(channels) {
                for c in range.clone() {
                    pixel[c] = (pixel[c] - mean) * inv_std * self.gamma[c] + self.beta[c];
                }
            }
        }
        out
    }
}

/// A dense layer loaded from PyTorch's `nn.Linear` (`{prefix}.weight` `[out][in]`, `{prefix}.bias`).
pub(crate) fn load_linear(
    file: &TensorFile<'_>,
    prefix: &str,
    inputs: usize,
    outputs: usize,
) -> Result<Linear, BuiltinError> {
    let weight = file.f32_tensor(&format!("{prefix}.weight"), &[outputs, inputs])?;
    let bias = file.f32_tensor(&format!("{prefix}.bias"), &[outputs])?;
    Ok(Linear::from_out_in(&weight, inputs, outputs, bias))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct convolution, in the documented order, for comparison.
    fn naive_conv(
        input: &FeatureMap,
        weight: &[f32],
        bias: &[f32],
        out_c: usize,
        size: usize,
        stride: usize,
    ) -> FeatureMap {
        let pad = size / 2;
        let out_h = (input.height + 2 * pad - size) / stride + 1;
        let out_w = (input.width + 2 * pad - size) / stride + 1;
        let mut data = vec![0.0f32; out_h * out_w * out_c];
        for oy in 0..out_h {
            for ox in 0..out_w {
                for o in 0..out_c {
                    let mut acc = 0.0f32;
                    for c in 0..input.channels {
                        for ky in 0..size {
                            for kx in 0..size {
                                let iy = (oy * stride + ky) as isize - pad as isize;
                                let ix = (ox * stride + kx) as isize - pad as isize;
                                let inside =
                                    iy >= 0 && ix >= 0 && (iy as usize) < input.height && (ix as usize) < input.width;
                                let v = if inside {
                                    input.data[(iy as usize * input.width + ix as usize) * input.channels + c]
                                } else {
                                    0.0
                                };
                                acc += v * weight[((o * input.channels + c) * size + ky) * size + kx];
                            }
                        }
                    }
                    data[(oy * out_w + ox) * out_c + o] = acc + bias[o];
                }
            }
        }
        FeatureMap::new(out_h, out_w, out_c, data)
    }

    fn values(len: usize, salt: u32) -> Vec<f32> {
        (0..len as u32)
            .map(|i| ((i.wrapping_mul(2654435761) ^ salt.wrapping_mul(97)) % 1999) as f32 / 999.5 - 1.0)
            .collect()
    }

    #[test]
    fn convolution_equals_the_direct_sum_bit_for_bit() {
        for &(h, w, cin, cout, size, stride) in &[(7, 7, 3, 5, 3, 1), (8, 6, 4, 17, 3, 2), (5, 5, 6, 4, 1, 1)] {
            let input = FeatureMap::new(h, w, cin, values(h * w * cin, 1));
            let weight = values(cout * cin * size * size, 2);
            let bias = values(cout, 3);
            let patch = cin * size * size;
            let conv = Conv2d {
                size,
                stride,
                in_channels: cin,
                out_channels: cout,
                dense: Linear::from_out_in(&weight, patch, cout, bias.clone()),
            };
            let expected = naive_conv(&input, &weight, &bias, cout, size, stride);
            for parallel in [false, true] {
                let got = conv.forward(&input, parallel);
                assert_eq!((got.height, got.width, got.channels), (expected.height, expected.width, cout));
                assert!(got.data.iter().zip(&expected.data).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }

    #[test]
    fn group_norm_centres_and_scales_each_group() {
        let input = FeatureMap::new(3, 3, 4, values(36, 9));
        let norm = GroupNorm { groups: 2, epsilon: 1e-5, gamma: vec![1.0; 4], beta: vec![0.0; 4] };
        let out = norm.forward(&input);
        for g in 0..2 {
            let group: Vec<f32> = out.data.chunks_exact(4).flat_map(|p| p[g * 2..g * 2 + 2].to_vec()).collect();
            let mean = group.iter().sum::<f32>() / group.len() as f32;
            let var = group.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / group.len() as f32;
            assert!(mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-3, "group {g}: mean {mean} var {var}");
        }
    }

    #[test]
    fn upsampling_and_concatenation_move_values_where_expected() {
        let a = FeatureMap::new(1, 2, 1, vec![1.0, 2.0]);
        assert_eq!(a.upsample2().data, vec![1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
        let b = FeatureMap::new(1, 2, 2, vec![3.0, 4.0, 5.0, 6.0]);
        assert_eq!(a.concat_channels(&b).data, vec![1.0, 3.0, 4.0, 2.0, 5.0, 6.0]);
        assert_eq!(silu(0.0), 0.0);
        assert!((silu(1.0) - 0.731_058_6).abs() < 1e-6);
    }
}
