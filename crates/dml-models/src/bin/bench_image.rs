//! `dml-models-bench-image [--images N] [--reference-python PY] [--weights DIR]`:
//! seconds per `fashion-diffusion` image at 10, 25 and 50 DDIM steps (guidance
//! 4, so two network passes a step) with 1 and 2 threads, and, given a python
//! with torch and safetensors, the same sampler in PyTorch eager on the CPU
//! measured in the same run (`training/fashion_diffusion/reference.py bench`).
//! Prints a Markdown table; the ratio is PyTorch's seconds over ours (above 1:
//! we are faster).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use dml_models::builtin::diffusion::NAME;
use dml_models::builtin::{default_weights_dir, BuiltinModel};

const USAGE: &str = "usage: dml-models-bench-image [--images N] [--reference-python PY] [--weights DIR]";
const STEPS: [usize; 3] = [10, 25, 50];
const THREADS: [usize; 2] = [1, 2];
const GUIDANCE: f32 = 4.0;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut images, mut reference, mut weights) = (3u64, None::<PathBuf>, default_weights_dir());
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--images" => images = value("--images")?.parse()?,
            "--reference-python" => reference = Some(PathBuf::from(value("--reference-python")?)),
            "--weights" => weights = PathBuf::from(value("--weights")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unexpected argument `{other}`\n{USAGE}"),
        }
    }
    if images == 0 {
        bail!("--images must be at least 1");
    }
    let mut ours = Vec::new();
    for threads in THREADS {
        let model = BuiltinModel::load(NAME, &weights, threads)?;
        let diffusion = model.as_diffusion().expect("loaded by name");
        let text = diffusion.embed_prompt("a pair of ankle boots")?;
        for steps in STEPS {
            eprintln!("measuring {steps} steps on {threads} thread(s)…");
            let start = Instant::now();
            model.install(|| {
                for seed in 0..images {
                    std::hint::black_box(diffusion.generate_from_embedding(&text, steps, GUIDANCE, seed));
                }
            });
            ours.push((steps, threads, start.elapsed().as_secs_f64() / images as f64));
        }
    }
    let torch: Option<serde_json::Value> = match &reference {
        None => None,
        Some(python) => {
            eprintln!("measuring the PyTorch reference…");
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/training/fashion_diffusion/reference.py").to_string();
            let join = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
            let output = Command::new(python)
                .arg(&script)
                .arg("bench")
                .arg(weights.join(NAME))
                .args([join(&STEPS), join(&THREADS), images.to_string()])
                .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/training/fashion_diffusion"))
                .output()
                .context("running the PyTorch reference")?;
            if !output.status.success() {
                bail!("the PyTorch reference failed: {}", String::from_utf8_lossy(&output.stderr));
            }
            Some(serde_json::from_slice(&output.stdout).context("the reference's JSON")?)
        }
    };
    println!("fashion-diffusion, guidance {GUIDANCE} (two UNet passes a step), {images} image(s) each");
    println!();
    println!("| steps | threads | DML s/image | PyTorch eager s/image | ratio (PyTorch / DML) |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for (steps, threads, seconds) in ours {
        let reference = torch.as_ref().and_then(|t| t[format!("{steps}/{threads}")].as_f64());
        let (torch_cell, ratio_cell) = match reference {
            Some(r) => (format!("{r:.3}"), format!("{:.2}×", r / seconds)),
            None => ("not measured".into(), "–".into()),
        };
        println!("| {steps} | {threads} | {seconds:.3} | {torch_cell} | {ratio_cell} |");
    }
    Ok(())
}
