//! `dml-models-embed [--threads N] [--weights DIR] < texts.json > embeddings.json`:
//! embeds a JSON array of strings with the built-in `all-MiniLM-L6-v2` and
//! prints a JSON array of 384-number arrays, one per string, in order.
//!
//! The text-to-image model's training script uses it, so the network learns
//! from the exact embeddings it is given at inference time.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context};
use dml_models::builtin::{default_weights_dir, minilm, BuiltinModel};

const USAGE: &str = "usage: dml-models-embed [--threads N] [--weights DIR] < texts.json > embeddings.json";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut threads = 2usize;
    let mut weights = default_weights_dir();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().context("--threads needs a value")?.parse()?,
            "--weights" => weights = PathBuf::from(args.next().context("--weights needs a value")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unexpected argument `{other}`\n{USAGE}"),
        }
    }
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("reading standard input")?;
    let texts: Vec<String> = serde_json::from_str(&input).context("standard input must be a JSON array of strings")?;
    let model = BuiltinModel::load(minilm::NAME, &weights, threads)?;
    let minilm = model.as_minilm().expect("loaded by name");
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let embeddings = model.install(|| minilm.embed_batch(&refs))?;
    println!("{}", serde_json::to_string(&embeddings)?);
    Ok(())
}
