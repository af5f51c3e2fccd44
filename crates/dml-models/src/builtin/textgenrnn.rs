//! `textgenrnn` character-level text generation, ported to deterministic Rust.
//!
//! The network of textgenrnn 2.0.0 (`textgenrnn/model.py`): a 465×100 character
//! embedding, two 128-unit LSTMs, the concatenation of the embedding and both
//! LSTM outputs (356 features per step), an attention-weighted average over the
//! 40 steps of a left-padded window, and a dense softmax over 465 characters.
//! The LSTM weights are the converted CuDNN weights written by
//! `scripts/convert_textgenrnn.py` (gate order i, f, c, o; one summed bias).
//!
//! Sampling is specified so every solver draws the same characters: the model's
//! probabilities `p` (f32 softmax), reweighted in f64 as
//! `w_i = exp(ln(p_i + 1e-7) / temperature)` with `libm`, `w_0 = 0` (index 0 is
//! padding, never a character), then the first index whose running sum of `w`
//! exceeds `u · Σw`, with `u` the next [`Xoshiro256StarStar`] uniform. Temperature
//! 0 is greedy decoding (the lowest index among equal maxima). Generation stops
//! after `max_length` characters or at the end-of-text token `<s>`.

use std::collections::HashMap;
use std::path::Path;

use super::kernels::{self, Activation, Linear};
use super::prng::Xoshiro256StarStar;
use super::weights::{read_weight_file, TensorFile};
use super::BuiltinError;

/// Name of the model, as used in templates and on the command line.
pub const NAME: &str = "textgenrnn";
/// Characters the network looks at to predict the next one.
pub const WINDOW: usize = 40;
/// Number of output classes (464 vocabulary entries plus padding index 0).
pub const CLASSES: usize = 465;

const EMBEDDING_DIM: usize = 100;
const UNITS: usize = 128;
const FEATURES: usize = EMBEDDING_DIM + 2 * UNITS;
const META_TOKEN: &str = "<s>";
/// Keras' `K.epsilon()`, used by textgenrnn's attention and its sampler.
const KERAS_EPSILON: f32 = 1e-7;

struct Lstm {
    /// `x·K + b` for all four gates, `in → 4·UNITS`.
    input: Linear,
    /// `h·R`, `UNITS → 4·UNITS`, zero bias.
    recurrent: Linear,
}

impl Lstm {
    /// Runs the layer over `steps` inputs from zero state; returns `steps × UNITS` outputs.
    fn forward(&self, inputs: &[f32], steps: usize) -> Vec<f32> {
        let projected = self.input.forward(inputs, steps, Activation::Identity, false);
        let mut h = vec![0.0f32; UNITS];
        let mut c = vec![0.0f32; UNITS];
        let mut outputs = Vec::with_capacity(steps * UNITS);
        for t in 0..steps {
            let recurrent = self.recurrent.forward(&h, 1, Activation::Identity, false);
            let z = &projected[t * 4 * UNITS..(t + 1) * 4 * UNITS];
            for u in 0..UNITS {
                let gate = |g: usize| z[g * UNITS + u] + recurrent[g * UNITS + u];
                let input_gate = kernels::sigmoid(gate(0));
                let forget_gate = kernels::sigmoid(gate(1));
                let candidate = libm::tanhf(gate(2));
                let output_gate = kernels::sigmoid(gate(3));
                c[u] = forget_gate * c[u] + input_gate * candidate;
                h[u] = output_gate * libm::tanhf(c[u]);
            }
            outputs.extend_from_slice(&h);
        }
        outputs
    }
}

/// The loaded text generator.
pub struct TextGenRnn {
    char_to_index: HashMap<String, u32>,
    index_to_char: Vec<String>,
    meta_index: u32,
    embedding: Vec<f32>,
    rnn_1: Lstm,
    rnn_2: Lstm,
    attention: Vec<f32>,
    output: Linear,
}

impl TextGenRnn {
    /// Loads `textgenrnn.safetensors` and `textgenrnn_vocab.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, BuiltinError> {
        let vocab_path = dir.join("textgenrnn_vocab.json");
        let vocab_bytes = read_weight_file(&vocab_path)?;
        let invalid_vocab = |reason: String| BuiltinError::WeightsInvalid { path: vocab_path.clone(), reason };
        let char_to_index: HashMap<String, u32> =
            serde_json::from_slice(&vocab_bytes).map_err(|e| invalid_vocab(e.to_string()))?;
        let mut index_to_char = vec![String::new(); CLASSES];
        for (ch, &index) in &char_to_index {
            let slot = index_to_char
                .get_mut(index as usize)
                .filter(|_| index != 0)
                .ok_or_else(|| invalid_vocab(format!("index {index} of {ch:?} out of range")))?;
            *slot = ch.clone();
        }
        let meta_index = *char_to_index.get(META_TOKEN).ok_or_else(|| invalid_vocab("no `<s>` token".into()))?;

        let weights_path = dir.join("textgenrnn.safetensors");
        let bytes = read_weight_file(&weights_path)?;
        let file = TensorFile::parse(&weights_path, &bytes)?;
        let lstm = |name: &str, inputs: usize| -> Result<Lstm, BuiltinError> {
            let kernel = file.f32_tensor(&format!("{name}.kernel"), &[inputs, 4 * UNITS])?;
            let recurrent = file.f32_tensor(&format!("{name}.recurrent_kernel"), &[UNITS, 4 * UNITS])?;
            let bias = file.f32_tensor(&format!("{name}.bias"), &[4 * UNITS])?;
            Ok(Lstm {
                input: Linear::from_in_out(&kernel, inputs, 4 * UNITS, bias),
                recurrent: Linear::from_in_out(&recurrent, UNITS, 4 * UNITS, vec![0.0; 4 * UNITS]),
            })
        };
        let output_kernel = file.f32_tensor("output.kernel", &[FEATURES, CLASSES])?;
        let output_bias = file.f32_tensor("output.bias", &[CLASSES])?;
        Ok(TextGenRnn {
            char_to_index,
            index_to_char,
            meta_index,
            embedding: file.f32_tensor("embedding", &[CLASSES, EMBEDDING_DIM])?,
            rnn_1: lstm("rnn_1", EMBEDDING_DIM)?,
            rnn_2: lstm("rnn_2", UNITS)?,
            attention: file.f32_tensor("attention.w", &[FEATURES])?,
            output: Linear::from_in_out(&output_kernel, FEATURES, CLASSES, output_bias),
        })
    }

    /// The output layer's logits (before softmax) for a window of token ids
    /// (left-padded with 0 to [`WINDOW`]).
    pub fn logits(&self, window: &[u32; WINDOW]) -> Vec<f32> {
        let mut embedded = Vec::with_capacity(WINDOW * EMBEDDING_DIM);
        for &id in window {
            let id = id as usize;
            embedded.extend_from_slice(&self.embedding[id * EMBEDDING_DIM..(id + 1) * EMBEDDING_DIM]);
        }
        let rnn_1 = self.rnn_1.forward(&embedded, WINDOW);
        let rnn_2 = self.rnn_2.forward(&rnn_1, WINDOW);
        let mut features = Vec::with_capacity(WINDOW * FEATURES);
        for t in 0..WINDOW {
            features.extend_from_slice(&embedded[t * EMBEDDING_DIM..(t + 1) * EMBEDDING_DIM]);
            features.extend_from_slice(&rnn_1[t * UNITS..(t + 1) * UNITS]);
            features.extend_from_slice(&rnn_2[t * UNITS..(t + 1) * UNITS]);
        }
        // AttentionWeightedAverage: softmax over steps (max trick), divided by sum + ε.
        let mut scores: Vec<f32> = features.chunks_exact(FEATURES).map(|f| kernels::dot(f, &self.attention)).collect();
        let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
        for s in scores.iter_mut() {
            *s = libm::expf(*s - max);
        }
        let denominator = kernels::sequential_sum(&scores) + KERAS_EPSILON;
        let mut pooled = vec![0.0f32; FEATURES];
        for (f, &s) in features.chunks_exact(FEATURES).zip(&scores) {
            let weight = s / denominator;
            for (acc, v) in pooled.iter_mut().zip(f) {
                *acc += v * weight;
            }
        }
        self.output.forward(&pooled, 1, Activation::Identity, false)
    }

    /// Token id of one vocabulary entry (a character or `<s>`); unknown ones map to 0, as in textgenrnn.
    pub fn token_id(&self, ch: &str) -> u32 {
        self.char_to_index.get(ch).copied().unwrap_or(0)
    }

    /// Generates up to `max_length` characters after `prompt`; returns prompt + generated text.
    pub fn generate(&self, prompt: &str, temperature: f64, max_length: usize, seed: u64) -> String {
        let mut rng = Xoshiro256StarStar::from_seed(seed);
        let mut tokens: Vec<u32> = std::iter::once(self.meta_index)
            .chain(prompt.chars().map(|c| self.token_id(c.encode_utf8(&mut [0; 4]))))
            .collect();
        let mut text = prompt.to_string();
        for _ in 0..max_length {
            let mut window = [0u32; WINDOW];
            let recent = &tokens[tokens.len().saturating_sub(WINDOW)..];
            window[WINDOW - recent.len()..].copy_from_slice(recent);
            let logits = self.logits(&window);
            let next = sample(&logits, temperature, &mut rng);
            if next == self.meta_index {
                break;
            }
            text.push_str(&self.index_to_char[next as usize]);
            tokens.push(next);
        }
        text
    }
}

/// Picks the next character index from `logits` (see the module doc for the rule).
fn sample(logits: &[f32], temperature: f64, rng: &mut Xoshiro256StarStar) -> u32 {
    if temperature == 0.0 {
        let mut best = 1;
        for (i, &v) in logits.iter().enumerate().skip(1) {
            if v > logits[best] {
                best = i;
            }
        }
        return best as u32;
    }
    let mut probabilities = logits.to_vec();
    kernels::softmax_in_place(&mut probabilities);
    let weights: Vec<f64> = probabilities
        .iter()
        .enumerate()
        .map(
            |(i, &p)| {
                if i == 0 {
                    0.0
                } else {
                    libm::exp(libm::log(f64::from(p) + f64::from(KERAS_EPSILON)) / temperature)
                }
            },
        )
        .collect();
    let total = weights.iter().fold(0.0f64, |a, w| a + w);
    let target = rng.next_f64() * total;
    let mut running = 0.0f64;
    let mut last_positive = 1;
    for (i, &w) in weights.iter().enumerate().skip(1) {
        if w > 0.0 {
            last_positive = i;
        }
        running += w;
        if running > target {
            return i as u32;
        }
    }
    last_positive as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_sampling_never_picks_padding_and_breaks_ties_low() {
        let mut rng = Xoshiro256StarStar::from_seed(1);
        assert_eq!(sample(&[9.0, 1.0, 3.0, 3.0], 0.0, &mut rng), 2);
    }

    #[test]
    fn sampling_is_seeded_and_follows_the_weights() {
        let logits = [0.0f32, 0.0, 5.0, 0.0];
        let mut counts = [0usize; 4];
        let mut rng = Xoshiro256StarStar::from_seed(7);
        for _ in 0..1000 {
            counts[sample(&logits, 1.0, &mut rng) as usize] += 1;
        }
        assert_eq!(counts[0], 0, "padding index is never sampled");
        assert!(counts[2] > 900, "dominant class wins most draws: {counts:?}");
        let draw = |seed| {
            let mut rng = Xoshiro256StarStar::from_seed(seed);
            (0..50).map(|_| sample(&[0.0, 1.0, 1.0, 1.0], 1.0, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }
}
