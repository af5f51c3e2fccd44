//! Built-in models against their references, golden hashes, and bad input.
//!
//! Needs the weights (`bash scripts/setup/models.sh`); under `CI=true` a missing
//! set-up fails the tests, locally they are skipped with a notice.

mod common;

use std::process::Command;

use dml_models::builtin::{BuiltinError, BuiltinModel};
use dml_models::template::builtin_template;
use serde_json::Value;

/// One pinned case of `tests/fixtures/golden.json`.
struct GoldenCase {
    model: String,
    input: Value,
    seed: u64,
    sha256: String,
}

fn golden_cases() -> Vec<GoldenCase> {
    let text = include_str!("fixtures/golden.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| GoldenCase {
            model: c["model"].as_str().unwrap().to_string(),
            input: c["input"].clone(),
            seed: c["seed"].as_u64().unwrap(),
            sha256: c["sha256"].as_str().unwrap().to_string(),
        })
        .collect()
}

fn run_case(model: &BuiltinModel, case: &GoldenCase) -> Vec<u8> {
    let template = builtin_template(&case.model).unwrap().template;
    let input = template.hydrate(case.input.to_string().as_bytes(), case.seed).unwrap();
    model.run(&input).unwrap()
}

#[test]
fn golden_output_hashes_match_with_one_and_two_threads() {
    let Some(dir) = common::weights_dir() else { return };
    let cases = golden_cases();
    assert!(cases.len() >= 4);
    for threads in [1, 2] {
        for name in dml_models::builtin::BUILTIN_MODEL_NAMES {
            let model = BuiltinModel::load(name, &dir, threads).unwrap();
            for case in cases.iter().filter(|c| c.model == name) {
                let bytes = run_case(&model, case);
                assert_eq!(
                    common::sha256_hex(&bytes),
                    case.sha256,
                    "{name} seed {} input {} with {threads} threads; output: {}",
                    case.seed,
                    case.input,
                    String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                );
            }
        }
    }
}

#[test]
fn golden_binary_agrees_with_the_pinned_hashes() {
    // The same check the native-vs-portable script runs, from the release-style binary.
    let Some(_dir) = common::weights_dir() else { return };
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/golden.json");
    let output =
        Command::new(env!("CARGO_BIN_EXE_dml-models-golden")).args([fixture, "--threads", "2"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "golden binary failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.lines().filter(|l| l.ends_with(" ok")).count(), golden_cases().len(), "{stdout}");
}

#[test]
fn embeddings_agree_with_sentence_transformers() {
    let Some(dir) = common::weights_dir() else { return };
    let model = BuiltinModel::load("all-MiniLM-L6-v2", &dir, 2).unwrap();
    let minilm = model.as_minilm().unwrap();
    let reference: Value = serde_json::from_str(include_str!("fixtures/minilm_reference.json")).unwrap();
    let sentences = reference["sentences"].as_array().unwrap();
    assert!(sentences.len() >= 5);
    let texts: Vec<&str> = sentences.iter().map(|s| s["text"].as_str().unwrap()).collect();
    let batch = model.install(|| minilm.embed_batch(&texts)).unwrap();
    for (sentence, embedding) in sentences.iter().zip(&batch) {
        let text = sentence["text"].as_str().unwrap();
        let ids: Vec<u32> =
            sentence["token_ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        assert_eq!(minilm.token_ids(text).unwrap(), ids, "token ids of {text:?}");
        let expected: Vec<f64> =
            sentence["embedding"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(embedding.len(), 384);
        let dot: f64 = embedding.iter().zip(&expected).map(|(a, b)| f64::from(*a) * b).sum();
        let norm_a: f64 = embedding.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
        let norm_b: f64 = expected.iter().map(|b| b * b).sum::<f64>().sqrt();
        let cosine = dot / (norm_a * norm_b);
        assert!(cosine >= 0.999, "cosine {cosine} for {text:?}");
        assert!((norm_a - 1.0).abs() < 1e-5, "unit length");
        let max_diff = embedding.iter().zip(&expected).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
        eprintln!("{text:?}: cosine {cosine:.9}, max |diff| {max_diff:.2e}");
    }
    // The issue's reference prefix for the first sentence, to 6 decimals.
    let first = [0.014607, -0.069184, 0.016367, 0.006550, 0.001430, -0.040798, -0.079705, 0.025820];
    for (got, want) in batch[0].iter().zip(first) {
        assert!((f64::from(*got) - want).abs() < 5e-6, "{got} vs {want}");
    }
    // Long text is truncated to 256 tokens ([CLS] … [SEP]), as sentence-transformers does.
    let long = "decentralized ".repeat(600);
    let ids = minilm.token_ids(&long).unwrap();
    assert_eq!((ids.len(), ids[0], ids[255]), (256, 101, 102));
    assert_eq!(model.install(|| minilm.embed_batch(&[&long])).unwrap()[0].len(), 384);

    // An embedding does not depend on its batch: same bits alone as in the batch.
    for (text, in_batch) in texts.iter().zip(&batch) {
        let alone = model.install(|| minilm.embed_batch(&[text])).unwrap();
        assert_eq!(
            alone[0].iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            in_batch.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn textgenrnn_agrees_with_the_numpy_reference() {
    let Some(dir) = common::weights_dir() else { return };
    let Some(venv) = common::models_venv() else { return };
    let model = BuiltinModel::load("textgenrnn", &dir, 1).unwrap();
    let generator = model.as_textgenrnn().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/textgenrnn_reference.py");
    for (prompt, length) in [("The network", 60usize), ("", 40), ("Ünïcödé ✨ and 🦀", 30)] {
        let output = Command::new(venv.join("bin/python"))
            .arg(script)
            .arg(dir.join("textgenrnn/textgenrnn_weights.hdf5"))
            .arg(dir.join("textgenrnn/textgenrnn_vocab.json"))
            .arg(prompt)
            .arg(length.to_string())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let reference: Value = serde_json::from_slice(&output.stdout).unwrap();
        let reference_text = reference["text"].as_str().unwrap();
        let rust_text = generator.generate(prompt, 0.0, length, 0);
        assert_eq!(rust_text, reference_text, "greedy decoding of {prompt:?}");
        assert!(rust_text.len() > prompt.len(), "generated something for {prompt:?}");

        // Logits of the first step agree closely.
        let reference_logits: Vec<f64> =
            reference["logits"][0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let mut window = [0u32; 40];
        let ids = generator_window(generator, prompt);
        window[40 - ids.len()..].copy_from_slice(&ids);
        let logits = generator.logits(&window);
        let max_diff = logits.iter().zip(&reference_logits).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
        eprintln!("{prompt:?}: max |logit diff| {max_diff:.2e}, text {rust_text:?}");
        assert!(max_diff < 1e-3, "max logit difference {max_diff} for {prompt:?}");
    }
}

/// Token ids of `<s>` + prompt, last 40.
fn generator_window(generator: &dml_models::builtin::TextGenRnn, prompt: &str) -> Vec<u32> {
    let mut ids = vec![generator.token_id("<s>")];
    ids.extend(prompt.chars().map(|c| generator.token_id(c.encode_utf8(&mut [0; 4]))));
    ids[ids.len().saturating_sub(40)..].to_vec()
}

#[test]
fn different_seeds_give_different_text_and_the_same_seed_the_same() {
    let Some(dir) = common::weights_dir() else { return };
    let model = BuiltinModel::load("textgenrnn", &dir, 2).unwrap();
    let template = builtin_template("textgenrnn").unwrap().template;
    let run = |seed| model.run(&template.hydrate(br#"{"prompt":"I","temperature":1.0}"#, seed).unwrap()).unwrap();
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn missing_or_corrupt_weights_are_clear_errors() {
    let empty = tempfile::tempdir().unwrap();
    for name in ["all-MiniLM-L6-v2", "textgenrnn"] {
        match BuiltinModel::load(name, empty.path(), 1) {
            Err(BuiltinError::WeightsMissing { path }) => {
                assert!(path.starts_with(empty.path()), "{}", path.display());
                let message = BuiltinError::WeightsMissing { path }.to_string();
                assert!(message.contains("fetch-weights.sh"), "{message}");
            }
            Err(other) => panic!("expected WeightsMissing, got {other}"),
            Ok(_) => panic!("loaded {name} from an empty directory"),
        }
    }
    // A truncated weights file next to a valid vocabulary.
    let Some(dir) = common::weights_dir() else { return };
    let broken = tempfile::tempdir().unwrap();
    let model_dir = broken.path().join("textgenrnn");
    std::fs::create_dir_all(&model_dir).unwrap();
    std::fs::copy(dir.join("textgenrnn/textgenrnn_vocab.json"), model_dir.join("textgenrnn_vocab.json")).unwrap();
    let weights = std::fs::read(dir.join("textgenrnn/textgenrnn.safetensors")).unwrap();
    std::fs::write(model_dir.join("textgenrnn.safetensors"), &weights[..weights.len() / 2]).unwrap();
    match BuiltinModel::load("textgenrnn", broken.path(), 1) {
        Err(BuiltinError::WeightsInvalid { path, reason }) => {
            assert!(path.ends_with("textgenrnn.safetensors"), "{reason}");
        }
        Err(other) => panic!("expected WeightsInvalid, got {other}"),
        Ok(_) => panic!("loaded truncated weights"),
    }
    // The MiniLM weights where textgenrnn's are expected: wrong tensor names.
    std::fs::copy(dir.join("all-MiniLM-L6-v2/model.safetensors"), model_dir.join("textgenrnn.safetensors")).unwrap();
    match BuiltinModel::load("textgenrnn", broken.path(), 1) {
        Err(BuiltinError::WeightsInvalid { reason, .. }) => assert!(reason.contains("missing"), "{reason}"),
        Err(other) => panic!("expected WeightsInvalid, got {other}"),
        Ok(_) => panic!("loaded the wrong weights"),
    }
    assert!(matches!(BuiltinModel::load("gpt-5", &dir, 1), Err(BuiltinError::UnknownModel(_))));
}
