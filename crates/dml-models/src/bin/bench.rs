//! `dml-models-bench`: latency and throughput of the built-in models, next to
//! their reference Python implementations measured in the same run.
//!
//! ```text
//! cargo run --release -p dml-models --bin dml-models-bench -- [--rounds N] [--threads N]
//!     [--best-of N]               # repeat each embedding measurement, keep the fastest
//!     [--minilm-only]             # skip textgenrnn
//!     [--reference-python PATH]   # a python with torch + sentence-transformers
//!     [--numpy-python PATH]       # a python with numpy + h5py (default: the models venv)
//! ```
//!
//! Embeddings: sentences/s at batch 1 and batch 32 on 2 threads. Text:
//! characters/s of greedy generation. A reference that cannot run here is
//! reported as such, never invented. On a machine shared with other work,
//! `--best-of` gives steadier figures for our side (the reference's are
//! always one measurement of `--rounds` rounds).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use dml_models::builtin::{default_weights_dir, BuiltinModel};
use serde_json::Value;

const SENTENCES: [&str; 32] = [
    "A decentralized network runs AI models.",
    "The quick brown fox jumps over the lazy dog.",
    "Solvers commit to the hash of the output before revealing it.",
    "Validators stake tokens and vote on contested solutions.",
    "The weather in Lisbon is sunny with a light breeze from the west.",
    "How many moons does Jupiter have?",
    "Deterministic inference lets independent machines agree on results.",
    "Please send the quarterly report to the finance team by Friday.",
    "A cat sat on the windowsill watching the rain.",
    "Emission halves on a fixed schedule, like a mining reward.",
    "Large language models can summarize long documents quickly.",
    "The museum opens at nine and closes at five on weekdays.",
    "Reproducibility is the foundation of verifiable computation.",
    "She bought fresh bread, cheese and olives at the market.",
    "Governance proposals need a quorum of four percent to pass.",
    "The train to Berlin was delayed by twenty minutes.",
    "Content identifiers address data by the hash of its bytes.",
    "Children played football in the park until sunset.",
    "An honest majority of stake keeps the network secure.",
    "The recipe calls for two cups of flour and one egg.",
    "Embeddings map sentences to points in a vector space.",
    "Our flight was rescheduled because of the storm.",
    "Task fees are held in escrow until the solution is claimed.",
    "He practiced the piano for an hour every evening.",
    "Slashing punishes validators who vote for a wrong answer.",
    "The library has a large collection of rare maps.",
    "Inference requests are paid for in the network's token.",
    "A gentle melody drifted from the open window.",
    "Cosine similarity compares the direction of two vectors.",
    "The committee will announce its decision next week.",
    "Each model is registered with a template and a fee.",
    "Mountains were covered in snow after the first winter storm.",
];

struct Options {
    rounds: usize,
    best_of: usize,
    minilm_only: bool,
    threads: usize,
    text_length: usize,
    weights: PathBuf,
    reference_python: Option<PathBuf>,
    numpy_python: Option<PathBuf>,
}

fn parse_options() -> anyhow::Result<Options> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cache = std::env::var_os("DML_CACHE").map(PathBuf::from).unwrap_or_else(|| root.join("../.ci-cache"));
    let default_numpy = cache.join("venv-models/bin/python");
    let mut options = Options {
        rounds: 3,
        best_of: 1,
        minilm_only: false,
        threads: 2,
        text_length: 200,
        weights: default_weights_dir(),
        reference_python: std::env::var_os("DML_BENCH_REFERENCE_PYTHON").map(PathBuf::from),
        numpy_python: default_numpy.is_file().then_some(default_numpy),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--rounds" => options.rounds = value()?.parse()?,
            "--best-of" => options.best_of = value()?.parse::<usize>()?.max(1),
            "--minilm-only" => options.minilm_only = true,
            "--threads" => options.threads = value()?.parse()?,
            "--text-length" => options.text_length = value()?.parse()?,
            "--weights" => options.weights = PathBuf::from(value()?),
            "--reference-python" => options.reference_python = Some(PathBuf::from(value()?)),
            "--numpy-python" => options.numpy_python = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                println!("usage: dml-models-bench [--rounds N] [--best-of N] [--minilm-only] [--threads N] [--text-length N] [--weights DIR] [--reference-python PY] [--numpy-python PY]");
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(options)
}

/// Runs a reference script; its last stdout line is a JSON object.
fn run_reference(python: &Path, args: &[&str], stdin: Option<&str>) -> anyhow::Result<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_reference.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", python.display()))?;
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().expect("piped").write_all(input.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        anyhow::bail!("reference failed: {}", String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or(""));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    Ok(serde_json::from_str(stdout.lines().last().unwrap_or("{}"))?)
}

/// CPU time this process's threads have run so far, from Linux's per-thread
/// scheduler statistics (`/proc/self/task/*/schedstat`, nanoseconds); `None`
/// where that is not available.
fn cpu_seconds() -> Option<f64> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total as f64 * 1e-9)
}

struct Row {
    workload: String,
    ours: f64,
    unit: &'static str,
    reference: Option<f64>,
    reference_name: String,
}

fn main() -> anyhow::Result<()> {
    let options = parse_options()?;
    let mut rows = Vec::new();

    // --- all-MiniLM-L6-v2 ---
    let minilm_model = BuiltinModel::load("all-MiniLM-L6-v2", &options.weights, options.threads)?;
    let minilm = minilm_model.as_minilm().expect("MiniLM");
    minilm_model.install(|| minilm.embed_batch(&SENTENCES[..4]))?;
    let sentences = (options.rounds * SENTENCES.len()) as f64;
    let (mut batch1, mut batch32) = (0.0f64, 0.0f64);
    let (mut cpu1, mut cpu32) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..options.best_of {
        let (start, cpu_start) = (Instant::now(), cpu_seconds());
        for _ in 0..options.rounds {
            for sentence in SENTENCES {
                minilm_model.install(|| minilm.embed_batch(&[sentence]))?;
            }
        }
        batch1 = batch1.max(sentences / start.elapsed().as_secs_f64());
        cpu1 = cpu1.min(cpu_seconds().zip(cpu_start).map_or(f64::NAN, |(end, start)| (end - start) / sentences));
        let (start, cpu_start) = (Instant::now(), cpu_seconds());
        for _ in 0..options.rounds {
            minilm_model.install(|| minilm.embed_batch(&SENTENCES))?;
        }
        batch32 = batch32.max(sentences / start.elapsed().as_secs_f64());
        cpu32 = cpu32.min(cpu_seconds().zip(cpu_start).map_or(f64::NAN, |(end, start)| (end - start) / sentences));
    }
    drop(minilm_model);

    let (st_batch1, st_batch32, st_name) = match &options.reference_python {
        Some(python) => {
            let sentences = serde_json::to_string(&SENTENCES)?;
            let model_dir = options.weights.join("all-MiniLM-L6-v2");
            match run_reference(
                python,
                &["minilm", &model_dir.to_string_lossy(), &options.rounds.to_string()],
                Some(&sentences),
            ) {
                Ok(v) => (
                    v["batch1_sentences_per_s"].as_f64(),
                    v["batch32_sentences_per_s"].as_f64(),
                    "sentence-transformers, CPU PyTorch, 2 threads (measured now)".to_string(),
                ),
                Err(e) => (None, None, format!("sentence-transformers not runnable: {e}")),
            }
        }
        None => (
            Some(50.0),
            Some(216.0),
            "sentence-transformers figures given in issue 5 (not measured: pass --reference-python)".to_string(),
        ),
    };
    rows.push(Row {
        workload: format!("all-MiniLM-L6-v2 embed, batch 1, {} threads", options.threads),
        ours: batch1,
        unit: "sentences/s",
        reference: st_batch1,
        reference_name: st_name.clone(),
    });
    rows.push(Row {
        workload: format!("all-MiniLM-L6-v2 embed, batch 32, {} threads", options.threads),
        ours: batch32,
        unit: "sentences/s",
        reference: st_batch32,
        reference_name: st_name,
    });

    // --- textgenrnn ---
    if !options.minilm_only {
        let textgen_model = BuiltinModel::load("textgenrnn", &options.weights, options.threads)?;
        let textgen = textgen_model.as_textgenrnn().expect("textgenrnn");
        let prompt = "The network";
        let start = Instant::now();
        let text = textgen_model.install(|| textgen.generate(prompt, 0.0, options.text_length, 0));
        let generated = text.chars().count() - prompt.chars().count();
        let chars_per_s = generated as f64 / start.elapsed().as_secs_f64();
        let (numpy_rate, numpy_name) = match &options.numpy_python {
            Some(python) => {
                let weights = options.weights.join("textgenrnn/textgenrnn_weights.hdf5");
                let vocab = options.weights.join("textgenrnn/textgenrnn_vocab.json");
                match run_reference(
                    python,
                    &[
                        "textgenrnn",
                        &weights.to_string_lossy(),
                        &vocab.to_string_lossy(),
                        prompt,
                        &generated.to_string(),
                    ],
                    None,
                ) {
                    Ok(v) => (v["chars_per_s"].as_f64(), "numpy reference forward pass (measured now)".to_string()),
                    Err(e) => (None, format!("numpy reference not runnable: {e}")),
                }
            }
            None => (None, "numpy reference not found (run scripts/setup/models.sh)".to_string()),
        };
        rows.push(Row {
            workload: format!("textgenrnn greedy, {generated} chars"),
            ours: chars_per_s,
            unit: "chars/s",
            reference: numpy_rate,
            reference_name: numpy_name,
        });
    }

    println!("| workload | dml-models | reference | ratio (dml / reference) | reference is |");
    println!("| --- | ---: | ---: | ---: | --- |");
    for row in &rows {
        let (reference, ratio) = match row.reference {
            Some(r) => (format!("{r:.1} {}", row.unit), format!("{:.2}x", row.ours / r)),
            None => ("n/a".to_string(), "n/a".to_string()),
        };
        println!(
            "| {} | {:.1} {} | {} | {} | {} |",
            row.workload, row.ours, row.unit, reference, ratio, row.reference_name
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nmachine: {} CPUs, load average at the end of the run: {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    match rows.get(2) {
        Some(text) => println!(
            "latency: embed batch 1 {:.2} ms/sentence, textgenrnn {:.2} ms/char",
            1000.0 / rows[0].ours,
            1000.0 / text.ours
        ),
        None => println!("latency: embed batch 1 {:.2} ms/sentence", 1000.0 / rows[0].ours),
    }
    if cpu1.is_finite() && cpu32.is_finite() {
        println!(
            "CPU time (all threads, less sensitive to other load): embed batch 1 {:.2} ms/sentence, batch 32 {:.2} ms/sentence",
            1000.0 * cpu1,
            1000.0 * cpu32
        );
    }
    Ok(())
}
