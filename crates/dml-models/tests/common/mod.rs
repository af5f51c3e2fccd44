//! Helpers shared by the integration tests: where the weights and the Python
//! venv live, and the rule for a missing one (fail under `CI=true`, skip with a
//! notice otherwise).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dml_models::builtin::default_weights_dir;

/// True when running under CI, where missing set-up is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Reports missing set-up: panics under CI, prints a notice and returns `None` otherwise.
pub fn missing<T>(what: &str) -> Option<T> {
    let message = format!("{what}: run `bash scripts/setup/models.sh` first");
    if in_ci() {
        panic!("{message}");
    }
    eprintln!("SKIPPED (not in CI): {message}");
    None
}

/// The weights directory if every built-in model's files are there.
pub fn weights_dir() -> Option<PathBuf> {
    let dir = default_weights_dir();
    let needed = [
        "all-MiniLM-L6-v2/model.safetensors",
        "all-MiniLM-L6-v2/tokenizer.json",
        "textgenrnn/textgenrnn.safetensors",
        "textgenrnn/textgenrnn_vocab.json",
        "textgenrnn/textgenrnn_weights.hdf5",
        "fashion-diffusion/unet.safetensors",
        "fashion-diffusion/classifier.safetensors",
    ];
    if needed.iter().all(|f| dir.join(f).is_file()) {
        Some(dir)
    } else {
        missing(&format!("model weights not found in {}", dir.display()))
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// The venv made by `scripts/setup/models.sh`, if it exists.
pub fn models_venv() -> Option<PathBuf> {
    let venv = match std::env::var_os("DML_MODELS_VENV") {
        Some(v) => PathBuf::from(v),
        None => {
            let cache =
                std::env::var_os("DML_CACHE").map(PathBuf::from).unwrap_or_else(|| repo_root().join("../.ci-cache"));
            cache.join("venv-models")
        }
    };
    if venv.join("bin/python").is_file() {
        Some(venv)
    } else {
        missing(&format!("python venv not found at {}", venv.display()))
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
