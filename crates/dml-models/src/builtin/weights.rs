//! Locating and reading the built-in models' weight files.

use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};

use super::BuiltinError;

/// The environment variable that overrides where weights are read from.
pub const WEIGHTS_DIR_ENV: &str = "DML_WEIGHTS_DIR";

/// The weights directory: `$DML_WEIGHTS_DIR`, else `$HOME/.cache/dml/weights`
/// (where `scripts/fetch-weights.sh` puts them).
pub fn default_weights_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(WEIGHTS_DIR_ENV) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".cache/dml/weights")
}

/// Reads a whole weight file, turning "not there" into [`BuiltinError::WeightsMissing`].
pub(crate) fn read_weight_file(path: &Path) -> Result<Vec<u8>, BuiltinError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            BuiltinError::WeightsMissing { path: path.to_path_buf() }
        } else {
            BuiltinError::WeightsUnreadable { path: path.to_path_buf(), reason: source.to_string() }
        }
    })
}

/// Typed access to the F32 tensors of one safetensors file.
pub(crate) struct TensorFile<'a> {
    path: &'a Path,
    tensors: SafeTensors<'a>,
}

impl<'a> TensorFile<'a> {
    /// Parses safetensors `bytes` read from `path`.
    pub(crate) fn parse(path: &'a Path, bytes: &'a [u8]) -> Result<Self, BuiltinError> {
        let tensors = SafeTensors::deserialize(bytes).map_err(|e| BuiltinError::WeightsInvalid {
            path: path.to_path_buf(),
            reason: format!("not a safetensors file: {e}"),
        })?;
        Ok(TensorFile { path, tensors })
    }

    /// The F32 tensor `name`, checked to have `shape`, as a flat row-major vector.
    pub(crate) fn f32_tensor(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, BuiltinError> {
        let invalid = |reason: String| BuiltinError::WeightsInvalid { path: self.path.to_path_buf(), reason };
        let view = self.tensors.tensor(name).map_err(|_| invalid(format!("tensor `{name}` is missing")))?;
        if view.dtype() != Dtype::F32 {
            return Err(invalid(format!("tensor `{name}` is {:?}, expected F32", view.dtype())));
        }
        if view.shape() != shape {
            return Err(invalid(format!("tensor `{name}` has shape {:?}, expected {shape:?}", view.shape())));
        }
        Ok(view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }
}
