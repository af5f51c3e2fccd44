//! The text-to-image model `fashion-diffusion`: the Rust port against PyTorch,
//! the judge against the real test set, the quality of what it draws, and
//! the template's refusals. Golden hashes are in `builtin_models.rs`.
//!
//! Needs the weights (`bash scripts/setup/models.sh`) and, for the judge's
//! accuracy, Debian's `dataset-fashion-mnist`; under `CI=true` a missing
//! set-up fails the tests, locally they are skipped with a notice.

mod common;

use std::io::Read;
use std::path::Path;

use dml_models::builtin::diffusion::layers::FeatureMap;
use dml_models::builtin::diffusion::{FashionClassifier, FashionDiffusion, CLASS_NAMES, CLASS_PROMPTS, NAME};
use dml_models::builtin::BuiltinModel;
use dml_models::template::{builtin_template, InputError};
use safetensors::SafeTensors;

/// Sampling settings of the quality test: the template's defaults but for fewer steps.
const QUALITY_STEPS: usize = 20;
const QUALITY_GUIDANCE: f32 = 4.0;
const QUALITY_SEEDS: u64 = 20;

fn f32s(tensors: &SafeTensors<'_>, name: &str) -> Vec<f32> {
    tensors.tensor(name).unwrap().data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

#[test]
fn the_rust_network_computes_what_pytorch_computes() {
    let Some(dir) = common::weights_dir() else { return };
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/diffusion_reference.safetensors"))
        .expect("reference fixture (training/fashion_diffusion/reference.py)");
    let reference = SafeTensors::deserialize(&bytes).unwrap();
    let images = f32s(&reference, "images");
    let texts = f32s(&reference, "texts");
    let noise = f32s(&reference, "noise");
    let logits = f32s(&reference, "logits");
    let pixels = reference.tensor("pixels").unwrap().data().to_vec();
    let timesteps: Vec<i64> = reference
        .tensor("timesteps")
        .unwrap()
        .data()
        .chunks_exact(8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let model = FashionDiffusion::load(&dir).unwrap();
    let judge = FashionClassifier::load(&dir.join(NAME)).unwrap();
    let side = 28 * 28;
    assert_eq!(timesteps.len(), 11);
    let mut worst = 0.0f32;
    for (case, &t) in timesteps.iter().enumerate() {
        let x = FeatureMap::new(28, 28, 1, images[case * side..(case + 1) * side].to_vec());
        let text = &texts[case * 384..(case + 1) * 384];
        let got = model.unet().predict_noise(&x, t as u32, text, false);
        for (a, b) in got.data.iter().zip(&noise[case * side..(case + 1) * side]) {
            worst = worst.max((a - b).abs());
        }
        let got = judge.logits(&pixels[case * side..(case + 1) * side]);
        for (a, b) in got.iter().zip(&logits[case * 10..(case + 1) * 10]) {
            assert!((a - b).abs() < 1e-3, "case {case}: classifier logit {a} vs PyTorch {b}");
        }
    }
    eprintln!("largest difference from PyTorch in the predicted noise: {worst:e}");
    assert!(worst < 1e-3, "predicted noise differs from PyTorch by up to {worst}");
}

/// Reads a gzipped IDX file of Debian's dataset-fashion-mnist.
fn read_idx(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    let mut data = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut data).ok()?;
    let dims = data[3] as usize;
    Some(data[4 + 4 * dims..].to_vec())
}

#[test]
fn the_judge_labels_the_real_test_set_at_least_88_percent_right() {
    let Some(dir) = common::weights_dir() else { return };
    let data = Path::new("/usr/share/datasets/fashion-mnist");
    let (Some(images), Some(labels)) =
        (read_idx(&data.join("t10k-images-idx3-ubyte.gz")), read_idx(&data.join("t10k-labels-idx1-ubyte.gz")))
    else {
        common::missing::<()>("Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)");
        return;
    };
    assert_eq!((images.len(), labels.len()), (10_000 * 784, 10_000));
    let judge = FashionClassifier::load(&dir.join(NAME)).unwrap();
    let correct =
        images.chunks_exact(784).zip(&labels).filter(|(image, &label)| judge.classify(image) == label as usize).count();
    let accuracy = correct as f64 / 10_000.0;
    eprintln!("judge accuracy on the 10,000 real test images: {accuracy:.4}");
    assert!(accuracy >= 0.88, "judge accuracy {accuracy} below 0.88");
}

#[test]
fn generated_images_show_what_the_prompt_names() {
    let Some(dir) = common::weights_dir() else { return };
    let model = BuiltinModel::load(NAME, &dir, 2).unwrap();
    let diffusion = model.as_diffusion().unwrap();
    let judge = FashionClassifier::load(&dir.join(NAME)).unwrap();
    let mut correct = 0;
    let mut per_class = Vec::new();
    for (class, prompt) in CLASS_PROMPTS.iter().enumerate() {
        let text = diffusion.embed_prompt(prompt).unwrap();
        let images: Vec<Vec<u8>> = model.install(|| {
            use rayon::prelude::*;
            (0..QUALITY_SEEDS)
                .into_par_iter()
                .map(|seed| diffusion.generate_from_embedding(&text, QUALITY_STEPS, QUALITY_GUIDANCE, 1000 + seed))
                .collect()
        });
        let hits = images.iter().filter(|image| judge.classify(image) == class).count();
        // Different seeds draw different pictures.
        for pair in images.windows(2) {
            assert_ne!(pair[0], pair[1], "two seeds gave the same image for {prompt:?}");
        }
        per_class.push(format!("{}: {hits}/{QUALITY_SEEDS}", CLASS_NAMES[class]));
        correct += hits;
    }
    let total = CLASS_PROMPTS.len() * QUALITY_SEEDS as usize;
    let share = correct as f64 / total as f64;
    eprintln!("judged as the prompted class: {correct}/{total} ({share:.3}); {}", per_class.join(", "));
    assert!(share >= 0.80, "only {correct} of {total} images show the prompted class: {}", per_class.join(", "));
}

#[test]
fn free_text_outside_the_captions_finds_the_nearest_concept() {
    let Some(dir) = common::weights_dir() else { return };
    let model = BuiltinModel::load(NAME, &dir, 2).unwrap();
    let diffusion = model.as_diffusion().unwrap();
    let judge = FashionClassifier::load(&dir.join(NAME)).unwrap();
    // Neither phrase is a training caption; each names one class in other words.
    for (prompt, class) in [("something to carry my laptop in", 8), ("denim you wear on your legs", 1)] {
        let text = diffusion.embed_prompt(prompt).unwrap();
        let hits = model.install(|| {
            (0..10)
                .filter(|&seed| judge.classify(&diffusion.generate_from_embedding(&text, 20, 4.0, seed)) == class)
                .count()
        });
        eprintln!("{prompt:?} drawn as {}: {hits}/10", CLASS_NAMES[class]);
        assert!(hits >= 6, "{prompt:?}: only {hits}/10 drawn as {}", CLASS_NAMES[class]);
    }
}

#[test]
fn the_template_refuses_bad_input_with_a_reason() {
    let template = builtin_template(NAME).unwrap().template;
    let ok = template.hydrate(br#"{"prompt":"a sneaker"}"#, 7).unwrap();
    assert_eq!(ok["steps"], 25);
    assert_eq!(ok["scale"], 4);
    assert_eq!(ok["seed"], 7);
    let long = format!(r#"{{"prompt":"{}"}}"#, "a".repeat(1001));
    let cases: [(&[u8], &str); 9] = [
        (br#"{"prompt":""}"#, "prompt"),
        (br#"{"prompt":"   "}"#, "prompt"),
        (br#"{}"#, "prompt"),
        (long.as_bytes(), "prompt"),
        (br#"{"prompt":"a bag","steps":0}"#, "steps"),
        (br#"{"prompt":"a bag","steps":101}"#, "steps"),
        (br#"{"prompt":"a bag","guidance":-1}"#, "guidance"),
        (br#"{"prompt":"a bag","guidance":15.5}"#, "guidance"),
        (br#"{"prompt":"a bag","scale":9}"#, "scale"),
    ];
    for (input, field) in cases {
        let error = template.hydrate(input, 7).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, InputError::Invalid(_)), "{}: {message}", String::from_utf8_lossy(input));
        assert!(
            message.contains(field),
            "{}: the reason does not name `{field}`: {message}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn the_output_is_a_png_of_the_asked_size() {
    let Some(dir) = common::weights_dir() else { return };
    let model = BuiltinModel::load(NAME, &dir, 2).unwrap();
    let template = builtin_template(NAME).unwrap().template;
    for scale in [1u32, 3] {
        let input =
            template.hydrate(format!(r#"{{"prompt":"a handbag","steps":4,"scale":{scale}}}"#).as_bytes(), 99).unwrap();
        let bytes = model.run(&input).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (28 * scale, 28 * scale));
        assert_eq!(info.color_type, png::ColorType::Grayscale);
    }
}
