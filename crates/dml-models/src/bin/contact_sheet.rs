//! `dml-models-contact-sheet --out sheet.png [--seeds N] [--steps S] [--guidance G]
//! [--scale K] [--threads T] [--weights DIR] [--prompt TEXT]...`: draws every
//! prompt (by default one per Fashion-MNIST class) with seeds `0..N`, one row
//! per prompt, into one PNG a person can look at, and prints how the judge
//! (the classifier of the quality test) labels each picture.

use std::path::PathBuf;

use anyhow::{bail, Context};
use dml_models::builtin::diffusion::{self, FashionClassifier, CLASS_NAMES, CLASS_PROMPTS, IMAGE_SIDE, NAME};
use dml_models::builtin::{default_weights_dir, BuiltinModel};
use rayon::prelude::*;

const USAGE: &str = "usage: dml-models-contact-sheet --out SHEET.png [--seeds N] [--steps S] [--guidance G] \
                     [--scale K] [--threads T] [--weights DIR] [--prompt TEXT]...";
/// Gap between pictures, in output pixels.
const GAP: usize = 2;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut out, mut seeds, mut steps, mut guidance, mut scale, mut threads) = (None, 8u64, 25usize, 4.0f32, 2, 2);
    let mut weights = default_weights_dir();
    let mut prompts: Vec<String> = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--seeds" => seeds = value("--seeds")?.parse()?,
            "--steps" => steps = value("--steps")?.parse()?,
            "--guidance" => guidance = value("--guidance")?.parse()?,
            "--scale" => scale = value("--scale")?.parse()?,
            "--threads" => threads = value("--threads")?.parse()?,
            "--weights" => weights = PathBuf::from(value("--weights")?),
            "--prompt" => prompts.push(value("--prompt")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unexpected argument `{other}`\n{USAGE}"),
        }
    }
    let out = out.context(USAGE)?;
    if !(1..=diffusion::MAX_STEPS as usize).contains(&steps) || scale == 0 || seeds == 0 {
        bail!("--steps must be 1..={}, --scale and --seeds at least 1", diffusion::MAX_STEPS);
    }
    if prompts.is_empty() {
        prompts = CLASS_PROMPTS.iter().map(|p| p.to_string()).collect();
    }
    let model = BuiltinModel::load(NAME, &weights, threads)?;
    let diffusion = model.as_diffusion().expect("loaded by name");
    let judge = FashionClassifier::load(&weights.join(NAME))?;

    let cell = IMAGE_SIDE * scale + GAP;
    let (width, height) = (seeds as usize * cell + GAP, prompts.len() * cell + GAP);
    let mut sheet = vec![40u8; width * height];
    let mut agreed = 0;
    for (row, prompt) in prompts.iter().enumerate() {
        let text = diffusion.embed_prompt(prompt)?;
        let images: Vec<Vec<u8>> = model.install(|| {
            (0..seeds)
                .into_par_iter()
                .map(|seed| diffusion.generate_from_embedding(&text, steps, guidance, seed))
                .collect()
        });
        let labels: Vec<usize> = images.iter().map(|image| judge.classify(image)).collect();
        if row < CLASS_PROMPTS.len() && prompt == CLASS_PROMPTS[row] {
            agreed += labels.iter().filter(|&&l| l == row).count();
        }
        let names: Vec<&str> = labels.iter().map(|&l| CLASS_NAMES[l]).collect();
        println!("{prompt:>24}: {}", names.join(", "));
        for (column, image) in images.iter().enumerate() {
            let big = diffusion::upscale(image, IMAGE_SIDE, scale);
            let side = IMAGE_SIDE * scale;
            for y in 0..side {
                let start = (row * cell + GAP + y) * width + column * cell + GAP;
                sheet[start..start + side].copy_from_slice(&big[y * side..(y + 1) * side]);
            }
        }
    }
    if prompts.iter().zip(CLASS_PROMPTS).all(|(p, c)| p == c) && prompts.len() == CLASS_PROMPTS.len() {
        let total = prompts.len() * seeds as usize;
        println!("judged as the prompted class: {agreed}/{total}");
    }
    std::fs::write(&out, diffusion::encode_png(&sheet, width, height))
        .with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {} ({width}×{height})", out.display());
    Ok(())
}
