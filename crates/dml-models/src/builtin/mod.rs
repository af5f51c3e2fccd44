//! Built-in models: pure-Rust ports that give bit-identical output on every machine.
//!
//! See [`kernels`] for the evaluation-order rules that make the numbers
//! reproducible, [`prng`] for the sampling generator, and each model's module
//! for its network and canonical output bytes.

pub mod diffusion;
pub mod kernels;
pub mod minilm;
pub mod prng;
pub mod textgenrnn;
pub mod weights;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

pub use diffusion::FashionDiffusion;
pub use minilm::MiniLm;
pub use prng::Xoshiro256StarStar;
pub use textgenrnn::TextGenRnn;
pub use weights::{default_weights_dir, WEIGHTS_DIR_ENV};

/// Names of the built-in models, in listing order.
pub const BUILTIN_MODEL_NAMES: [&str; 3] = [minilm::NAME, textgenrnn::NAME, diffusion::NAME];

/// Why a built-in model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum BuiltinError {
    /// No built-in model has this name.
    #[error("unknown built-in model `{0}` (known: all-MiniLM-L6-v2, textgenrnn, fashion-diffusion)")]
    UnknownModel(String),
    /// A weight file is not on disk.
    #[error("weight file {path} is missing: run `bash scripts/fetch-weights.sh` (or set DML_WEIGHTS_DIR)")]
    WeightsMissing {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// A weight file exists but could not be read.
    #[error("cannot read weight file {path}: {reason}")]
    WeightsUnreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// A weight file has the wrong format, tensor names, types or shapes.
    #[error("weight file {path} is not what the model expects: {reason}")]
    WeightsInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The tokenizer rejected the text.
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    /// The (hydrated) input lacks a field or has the wrong type for this model.
    #[error("invalid input for built-in model: {0}")]
    Input(String),
    /// The worker thread pool could not be started.
    #[error("cannot start {threads} worker threads: {reason}")]
    ThreadPool {
        /// Requested thread count.
        threads: usize,
        /// Why it failed.
        reason: String,
    },
}

enum Network {
    MiniLm(Box<MiniLm>),
    TextGenRnn(Box<TextGenRnn>),
    Diffusion(Box<FashionDiffusion>),
}

/// A loaded built-in model with its own worker pool.
///
/// The output bytes do not depend on `threads`: every output number is computed
/// by one thread in a fixed order (see [`kernels`]).
pub struct BuiltinModel {
    name: &'static str,
    network: Network,
    pool: rayon::ThreadPool,
}

/// Canonical output of `all-MiniLM-L6-v2`: `{"embedding":[…]}`, compact, each
/// number the shortest decimal that reads back as the same `f32`.
#[derive(Serialize)]
struct EmbeddingOutput<'a> {
    embedding: &'a [f32],
}

impl BuiltinModel {
    /// Loads built-in model `name` from `weights_dir` (see [`default_weights_dir`]),
    /// to run on `threads` worker threads (at least 1).
    pub fn load(name: &str, weights_dir: &Path, threads: usize) -> Result<Self, BuiltinError> {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("dml-model-{i}"))
            .build()
            .map_err(|e| BuiltinError::ThreadPool { threads, reason: e.to_string() })?;
        let (name, network) = match name {
            minilm::NAME => (minilm::NAME, Network::MiniLm(Box::new(MiniLm::load(&weights_dir.join(minilm::NAME))?))),
            textgenrnn::NAME => (
                textgenrnn::NAME,
                Network::TextGenRnn(Box::new(TextGenRnn::load(&weights_dir.join(textgenrnn::NAME))?)),
            ),
            diffusion::NAME => (diffusion::NAME, Network::Diffusion(Box::new(FashionDiffusion::load(weights_dir)?))),
            other => return Err(BuiltinError::UnknownModel(other.to_string())),
        };
        tracing::debug!(model = name, threads, "loaded built-in model");
        Ok(BuiltinModel { name, network, pool })
    }

    /// The model's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The embedding network, if this is `all-MiniLM-L6-v2`.
    pub fn as_minilm(&self) -> Option<&MiniLm> {
        match &self.network {
            Network::MiniLm(m) => Some(m),
            _ => None,
        }
    }

    /// The text generator, if this is `textgenrnn`.
    pub fn as_textgenrnn(&self) -> Option<&TextGenRnn> {
        match &self.network {
            Network::TextGenRnn(m) => Some(m),
            _ => None,
        }
    }

    /// The text-to-image model, if this is `fashion-diffusion`.
    pub fn as_diffusion(&self) -> Option<&FashionDiffusion> {
        match &self.network {
            Network::Diffusion(m) => Some(m),
            _ => None,
        }
    }

    /// Runs `f` on this model's worker pool.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// Runs the model on a hydrated input (see [`crate::template::ModelTemplate::hydrate`])
    /// and returns its canonical output bytes — the bytes a solver hashes.
    pub fn run(&self, input: &Map<String, Value>) -> Result<Vec<u8>, BuiltinError> {
        let span = tracing::info_span!("builtin_run", model = self.name);
        let _guard = span.enter();
        match &self.network {
            Network::MiniLm(model) => {
                let text = string_field(input, "text")?;
                let embeddings = self.pool.install(|| model.embed_batch(&[text]))?;
                let output = EmbeddingOutput { embedding: &embeddings[0] };
                Ok(serde_json::to_vec(&output).expect("serializing f32s cannot fail"))
            }
            Network::TextGenRnn(model) => {
                let prompt = string_field(input, "prompt")?;
                let temperature = input
                    .get("temperature")
                    .and_then(Value::as_f64)
                    .ok_or_else(|| BuiltinError::Input("`temperature` must be a number".into()))?;
                let max_length = unsigned_field(input, "max_length")?;
                let seed = unsigned_field(input, "seed")?;
                if !(0.0..=100.0).contains(&temperature) {
                    return Err(BuiltinError::Input(format!("`temperature` {temperature} outside 0..=100")));
                }
                let text = self.pool.install(|| model.generate(prompt, temperature, max_length as usize, seed));
                Ok(text.into_bytes())
            }
            Network::Diffusion(model) => {
                let request = diffusion::ImageRequest {
                    prompt: string_field(input, "prompt")?,
                    steps: unsigned_field(input, "steps")?,
                    guidance: input
                        .get("guidance")
                        .and_then(Value::as_f64)
                        .ok_or_else(|| BuiltinError::Input("`guidance` must be a number".into()))?,
                    scale: unsigned_field(input, "scale")?,
                    seed: unsigned_field(input, "seed")?,
                };
                request.check()?;
                let pixels = self.pool.install(|| model.generate(&request))?;
                let scale = request.scale as usize;
                let side = diffusion::IMAGE_SIDE * scale;
                Ok(diffusion::encode_png(&diffusion::upscale(&pixels, diffusion::IMAGE_SIDE, scale), side, side))
            }
        }
    }
}

fn string_field<'a>(input: &'a Map<String, Value>, name: &str) -> Result<&'a str, BuiltinError> {
    input.get(name).and_then(Value::as_str).ok_or_else(|| BuiltinError::Input(format!("`{name}` must be a string")))
}

fn unsigned_field(input: &Map<String, Value>, name: &str) -> Result<u64, BuiltinError> {
    input
        .get(name)
        .and_then(Value::as_u64)
        .ok_or_else(|| BuiltinError::Input(format!("`{name}` must be a non-negative integer")))
}
