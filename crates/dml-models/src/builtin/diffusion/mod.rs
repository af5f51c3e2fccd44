//! `fashion-diffusion`: DML's own text-to-image model, bit-identical on every machine.
//!
//! A small UNet ([`unet`]) trained on Fashion-MNIST to denoise 28×28 grayscale
//! images, conditioned on the all-MiniLM-L6-v2 embedding of the prompt (the
//! built-in [`MiniLm`]), sampled with deterministic DDIM and classifier-free
//! guidance ([`sampler`]) from noise drawn from the task's seed. Any prompt is
//! embedded, so free text outside the training captions gets the nearest
//! concept. The output is a PNG ([`encode_png`]), optionally scaled up by an
//! integer factor with pixel replication.
//!
//! Weights: `fashion-diffusion/unet.safetensors` in the weights folder (the
//! repository keeps them under `crates/dml-models/weights/`, and
//! `scripts/fetch-weights.sh` copies them), with MiniLM's from
//! `all-MiniLM-L6-v2/`. The judge of the quality test, [`FashionClassifier`],
//! sits beside them.

pub mod classifier;
pub mod layers;
pub mod sampler;
pub mod unet;

use std::path::Path;

pub use classifier::{FashionClassifier, CLASS_NAMES, CLASS_PROMPTS};
use layers::FeatureMap;
use unet::{UNet, SIDE, TEXT_DIM};

use super::minilm::{self, MiniLm};
use super::weights::{read_weight_file, TensorFile};
use super::BuiltinError;

/// Name of the model, as used in templates and on the command line.
pub const NAME: &str = "fashion-diffusion";
/// The denoiser's weight file.
pub const UNET_FILE: &str = "unet.safetensors";
/// Most DDIM steps a task may ask for.
pub const MAX_STEPS: u64 = 100;
/// Largest guidance scale.
pub const MAX_GUIDANCE: f64 = 15.0;
/// Largest integer upscaling factor (28 px × 8 = 224 px).
pub const MAX_SCALE: u64 = 8;
/// Longest prompt, in characters.
pub const MAX_PROMPT_CHARS: usize = 1000;
/// Side of the generated image before upscaling.
pub const IMAGE_SIDE: usize = SIDE;

/// What to draw: the model's inputs after hydration.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageRequest<'a> {
    /// The text to draw.
    pub prompt: &'a str,
    /// DDIM steps, `1..=MAX_STEPS`.
    pub steps: u64,
    /// Classifier-free guidance scale, `0..=MAX_GUIDANCE`.
    pub guidance: f64,
    /// Integer upscaling factor of the PNG, `1..=MAX_SCALE`.
    pub scale: u64,
    /// The task's seed.
    pub seed: u64,
}

impl ImageRequest<'_> {
    /// Refuses values outside the model's ranges (the template refuses them first).
    pub fn check(&self) -> Result<(), BuiltinError> {
        let bad = |m: String| Err(BuiltinError::Input(m));
        if self.prompt.trim().is_empty() {
            return bad("`prompt` must contain a non-space character".into());
        }
        let chars = self.prompt.chars().count();
        if chars > MAX_PROMPT_CHARS {
            return bad(format!("`prompt` has {chars} characters, more than {MAX_PROMPT_CHARS}"));
        }
        if !(1..=MAX_STEPS).contains(&self.steps) {
            return bad(format!("`steps` {} outside 1..={MAX_STEPS}", self.steps));
        }
        if !(0.0..=MAX_GUIDANCE).contains(&self.guidance) {
            return bad(format!("`guidance` {} outside 0..={MAX_GUIDANCE}", self.guidance));
        }
        if !(1..=MAX_SCALE).contains(&self.scale) {
            return bad(format!("`scale` {} outside 1..={MAX_SCALE}", self.scale));
        }
        Ok(())
    }
}

/// The loaded text-to-image model: the prompt encoder and the denoiser.
pub struct FashionDiffusion {
    text_encoder: MiniLm,
    unet: UNet,
}

impl FashionDiffusion {
    /// Loads the denoiser from `weights_dir/fashion-diffusion` and the prompt
    /// encoder from `weights_dir/all-MiniLM-L6-v2`.
    pub fn load(weights_dir: &Path) -> Result<Self, BuiltinError> {
        let text_encoder = MiniLm::load(&weights_dir.join(minilm::NAME))?;
        let path = weights_dir.join(NAME).join(UNET_FILE);
        let bytes = read_weight_file(&path)?;
        let unet = UNet::load(&TensorFile::parse(&path, &bytes)?)?;
        Ok(FashionDiffusion { text_encoder, unet })
    }

    /// The denoiser.
    pub fn unet(&self) -> &UNet {
        &self.unet
    }

    /// The prompt's embedding, as the denoiser is conditioned on it.
    pub fn embed_prompt(&self, prompt: &str) -> Result<Vec<f32>, BuiltinError> {
        Ok(self.text_encoder.embed_batch(&[prompt])?.remove(0))
    }

    /// Draws `request` (checked) as a 28×28 grayscale image, row-major, on the
    /// current rayon pool.
    pub fn generate(&self, request: &ImageRequest<'_>) -> Result<Vec<u8>, BuiltinError> {
        request.check()?;
        let text = self.embed_prompt(request.prompt)?;
        Ok(self.generate_from_embedding(&text, request.steps as usize, request.guidance as f32, request.seed))
    }

    /// Draws from a prompt embedding: DDIM from the seed's noise with `steps`
    /// steps and guidance `guidance` (see [`sampler`]).
    pub fn generate_from_embedding(&self, text: &[f32], steps: usize, guidance: f32, seed: u64) -> Vec<u8> {
        assert_eq!(text.len(), TEXT_DIM, "prompt embedding width");
        let nothing = vec![0.0f32; TEXT_DIM];
        let mut x = sampler::gaussian_noise(seed, SIDE * SIDE);
        for step in sampler::ddim_steps(steps) {
            let image = FeatureMap::new(SIDE, SIDE, 1, x.clone());
            let predict = |prompt: &[f32]| self.unet.predict_noise(&image, step.t, prompt, true).data;
            let noise = if guidance == 1.0 {
                predict(text)
            } else if guidance == 0.0 {
                predict(&nothing)
            } else {
                let (conditioned, unconditioned) = rayon::join(|| predict(text), || predict(&nothing));
                sampler::guide(&conditioned, &unconditioned, guidance)
            };
            step.apply(&mut x, &noise);
        }
        x.iter().map(|&v| to_pixel(v)).collect()
    }
}

/// `[-1, 1]` to a byte: `round((v + 1)·127.5)`, clamped to `0..=255`.
fn to_pixel(v: f32) -> u8 {
    ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8
}

/// A square grayscale image scaled up `scale` times by pixel replication.
pub fn upscale(pixels: &[u8], side: usize, scale: usize) -> Vec<u8> {
    assert_eq!(pixels.len(), side * side, "square image");
    let big = side * scale;
    let mut out = Vec::with_capacity(big * big);
    for y in 0..big {
        for x in 0..big {
            out.push(pixels[(y / scale) * side + x / scale]);
        }
    }
    out
}

/// Encodes 8-bit grayscale pixels (row-major) as a PNG with fixed settings:
/// the pinned `png` crate, no ancillary chunks, the Sub filter on every row
/// and its `Balanced` compression, so the same pixels always give the same bytes.
pub fn encode_png(pixels: &[u8], width: usize, height: usize) -> Vec<u8> {
    assert_eq!(pixels.len(), width * height, "pixel count");
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    encoder.set_filter(png::Filter::Sub);
    let mut writer = encoder.write_header().expect("writing a PNG header to memory cannot fail");
    writer.write_image_data(pixels).expect("the pixel count matches the header");
    writer.finish().expect("finishing a PNG in memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_and_is_stable() {
        let pixels: Vec<u8> = (0..28 * 28).map(|i| (i * 7 % 256) as u8).collect();
        let big = upscale(&pixels, 28, 3);
        let bytes = encode_png(&big, 84, 84);
        assert_eq!(bytes, encode_png(&big, 84, 84));
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height, info.color_type), (84, 84, png::ColorType::Grayscale));
        assert_eq!(&buf[..info.buffer_size()], &big[..]);
        assert_eq!(big[84 + 2], pixels[0]);
        assert_eq!(big[3 * 84 + 3], pixels[28 + 1]);
    }

    #[test]
    fn pixels_round_and_clamp() {
        assert_eq!(
            [to_pixel(-1.0), to_pixel(1.0), to_pixel(0.0), to_pixel(-3.0), to_pixel(2.0)],
            [0, 255, 128, 0, 255]
        );
    }

    #[test]
    fn requests_outside_the_ranges_are_refused() {
        let ok = ImageRequest { prompt: "a sneaker", steps: 10, guidance: 3.0, scale: 2, seed: 1 };
        assert!(ok.check().is_ok());
        let long = "x".repeat(MAX_PROMPT_CHARS + 1);
        for bad in [
            ImageRequest { prompt: " ", ..ok.clone() },
            ImageRequest { prompt: &long, ..ok.clone() },
            ImageRequest { steps: 0, ..ok.clone() },
            ImageRequest { steps: MAX_STEPS + 1, ..ok.clone() },
            ImageRequest { guidance: -0.5, ..ok.clone() },
            ImageRequest { guidance: f64::NAN, ..ok.clone() },
            ImageRequest { scale: 0, ..ok.clone() },
            ImageRequest { scale: 9, ..ok.clone() },
        ] {
            assert!(matches!(bad.check(), Err(BuiltinError::Input(_))), "{bad:?} was accepted");
        }
    }
}
