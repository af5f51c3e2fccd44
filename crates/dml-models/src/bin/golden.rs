//! `dml-models-golden FIXTURE [--threads N] [--weights DIR]`: runs every case of a
//! golden fixture (`tests/fixtures/golden.json`) through the built-in models and
//! prints `MODEL seed=S SHA256 ok|MISMATCH`; exits 1 on any mismatch.
//!
//! `scripts/check-native-determinism.sh` runs it from a portable build and from
//! a `-C target-cpu=native` build to show both give the pinned hashes.

use std::path::PathBuf;

use anyhow::{bail, Context};
use dml_models::builtin::{default_weights_dir, BuiltinModel};
use dml_models::template::builtin_template;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut fixture = None;
    let mut threads = 2usize;
    let mut weights = default_weights_dir();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().context("--threads needs a value")?.parse()?,
            "--weights" => weights = PathBuf::from(args.next().context("--weights needs a value")?),
            "-h" | "--help" => {
                println!("usage: dml-models-golden FIXTURE.json [--threads N] [--weights DIR]");
                return Ok(());
            }
            _ => fixture = Some(PathBuf::from(arg)),
        }
    }
    let fixture = fixture.context("usage: dml-models-golden FIXTURE.json [--threads N] [--weights DIR]")?;
    let doc: Value =
        serde_json::from_slice(&std::fs::read(&fixture).with_context(|| format!("reading {}", fixture.display()))?)?;
    let cases = doc["cases"].as_array().context("fixture has no `cases` array")?;
    let mut mismatches = 0;
    let mut loaded: Vec<BuiltinModel> = Vec::new();
    for case in cases {
        let name = case["model"].as_str().context("case without `model`")?;
        let seed = case["seed"].as_u64().context("case without `seed`")?;
        let expected = case["sha256"].as_str().unwrap_or("");
        if !loaded.iter().any(|m| m.name() == name) {
            loaded.push(BuiltinModel::load(name, &weights, threads)?);
        }
        let model = loaded.iter().find(|m| m.name() == name).expect("just loaded");
        let template = builtin_template(name).context("no template")?.template;
        let input = template.hydrate(case["input"].to_string().as_bytes(), seed)?;
        let bytes = model.run(&input)?;
        let hash: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        if hash == expected {
            println!("{name} seed={seed} {hash} ok");
        } else {
            mismatches += 1;
            println!("{name} seed={seed} {hash} MISMATCH (pinned {expected})");
        }
    }
    if mismatches > 0 {
        bail!("{mismatches} golden hash mismatches");
    }
    Ok(())
}
