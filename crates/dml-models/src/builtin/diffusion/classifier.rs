//! The judge of the text-to-image model: a small convolutional classifier of
//! 28×28 Fashion-MNIST images, trained on the real training set by
//! `training/fashion_diffusion/train.py` (its `Classifier`).
//!
//! `conv1` 1→32 (3×3), ReLU, 2×2 max-pool, `conv2` 32→64, ReLU, 2×2 max-pool,
//! flatten channel-major (PyTorch's order), `fc1` 3136→128, ReLU, `fc2` 128→10.
//! Pixels are read as `p / 127.5 − 1`.

use std::path::Path;

use super::super::kernels::{Activation, Linear};
use super::super::weights::{read_weight_file, TensorFile};
use super::super::BuiltinError;
use super::layers::{load_linear, Conv2d, FeatureMap};
use super::unet::SIDE;

/// The ten Fashion-MNIST classes, by label.
pub const CLASS_NAMES: [&str; 10] =
    ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];
/// One prompt per class, as a person would write it, in label order (the
/// quality test's and the contact sheet's prompts).
pub const CLASS_PROMPTS: [&str; 10] = [
    "a t-shirt",
    "a pair of trousers",
    "a pullover",
    "a dress",
    "a coat",
    "a sandal",
    "a shirt",
    "a sneaker",
    "a bag",
    "an ankle boot",
];
/// The classifier's weight file, beside the denoiser's.
pub const CLASSIFIER_FILE: &str = "classifier.safetensors";

/// The loaded classifier.
pub struct FashionClassifier {
    conv1: Conv2d,
    conv2: Conv2d,
    fc1: Linear,
    fc2: Linear,
}

impl FashionClassifier {
    /// Loads `classifier.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, BuiltinError> {
        let path = dir.join(CLASSIFIER_FILE);
        let bytes = read_weight_file(&path)?;
        let file = TensorFile::parse(&path, &bytes)?;
        Ok(FashionClassifier {
            conv1: Conv2d::load(&file, "conv1", 1, 32, 3, 1)?,
            conv2: Conv2d::load(&file, "conv2", 32, 64, 3, 1)?,
            fc1: load_linear(&file, "fc1", 64 * 7 * 7, 128)?,
            fc2: load_linear(&file, "fc2", 128, 10)?,
        })
    }

    /// The ten class scores (logits) of a 28×28 grayscale image, row-major.
    pub fn logits(&self, pixels: &[u8]) -> [f32; 10] {
        assert_eq!(pixels.len(), SIDE * SIDE, "the classifier takes 28×28 images");
        let x = FeatureMap::new(SIDE, SIDE, 1, pixels.iter().map(|&p| p as f32 / 127.5 - 1.0).collect());
        let h = relu_pool(self.conv1.forward(&x, false));
        let h = relu_pool(self.conv2.forward(&h, false));
        // Channel-major flattening, as PyTorch's `flatten(1)` of NCHW.
        let mut flat = vec![0.0f32; h.data.len()];
        for (pixel, values) in h.data.chunks_exact(h.channels).enumerate() {
            for (c, &v) in values.iter().enumerate() {
                flat[c * h.height * h.width + pixel] = v;
            }
        }
        let hidden: Vec<f32> =
            self.fc1.forward(&flat, 1, Activation::Identity, false).iter().map(|v| v.max(0.0)).collect();
        let out = self.fc2.forward(&hidden, 1, Activation::Identity, false);
        out.try_into().expect("ten outputs")
    }

    /// The most likely class of an image (the first on a tie).
    pub fn classify(&self, pixels: &[u8]) -> usize {
        let logits = self.logits(pixels);
        (0..10).fold(0, |best, c| if logits[c] > logits[best] { c } else { best })
    }
}

/// ReLU then 2×2 max-pooling with stride 2.
fn relu_pool(x: FeatureMap) -> FeatureMap {
    let (h, w, c) = (x.height / 2, x.width / 2, x.channels);
    let mut data = vec![0.0f32; h * w * c];
    for y in 0..h {
        for xx in 0..w {
            for ch in 0..c {
                let at = |dy: usize, dx: usize| x.data[((2 * y + dy) * x.width + 2 * xx + dx) * c + ch].max(0.0);
                data[(y * w + xx) * c + ch] = at(0, 0).max(at(0, 1)).max(at(1, 0)).max(at(1, 1));
            }
        }
    }
    FeatureMap::new(h, w, c, data)
}
