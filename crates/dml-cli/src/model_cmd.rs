//! `dml model`: list the built-in models and run one locally, off chain.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use dml_models::builtin::{default_weights_dir, BuiltinModel};
use dml_models::template::{builtin_template, builtin_templates, Runner};

/// Built-in models: list them, or run one locally.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// List the built-in models: name, runner, template CID and example input.
    List {
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a built-in model locally and write its exact output bytes (the bytes a solver hashes and pins).
    Run(RunArgs),
}

/// Arguments of `dml model run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Model name (see `dml model list`).
    pub name: String,
    /// Task input JSON; defaults to the template's example input.
    #[arg(long)]
    pub input: Option<String>,
    /// Task seed (on chain: task id mod 0x1FFFFFFFFFFFF0).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the output to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (the output does not depend on it).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Directory with the model weights (default: $DML_WEIGHTS_DIR or ~/.cache/dml/weights).
    #[arg(long)]
    pub weights_dir: Option<PathBuf>,
}

/// Runs a `dml model` subcommand.
pub fn run(command: ModelCommand) -> anyhow::Result<()> {
    match command {
        ModelCommand::List { json } => list(json),
        ModelCommand::Run(args) => run_model(args),
    }
}

fn list(json: bool) -> anyhow::Result<()> {
    let templates = builtin_templates();
    if json {
        let models: Vec<serde_json::Value> = templates
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.template.name,
                    "runner": t.template.runner,
                    "template_cid": t.cid(),
                    "output": t.template.output,
                    "example": t.template.example,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&models)?);
        return Ok(());
    }
    for t in &templates {
        let runner = match &t.template.runner {
            Runner::Builtin { model } => format!("builtin:{model}"),
            Runner::Cog { image } => format!("cog:{image}"),
        };
        println!("{}", t.template.name);
        println!("  runner:   {runner}");
        println!("  template: {}", t.cid());
        println!("  output:   {}", t.template.output.media_type);
        println!("  example:  {}", serde_json::Value::Object(t.template.example.clone()));
    }
    Ok(())
}

fn run_model(args: RunArgs) -> anyhow::Result<()> {
    let template = builtin_template(&args.name)
        .with_context(|| format!("no built-in model `{}` (see `dml model list`)", args.name))?
        .template;
    let input_json = match &args.input {
        Some(input) => input.clone(),
        None => serde_json::Value::Object(template.example.clone()).to_string(),
    };
    let input =
        template.hydrate(input_json.as_bytes(), args.seed).with_context(|| format!("input for `{}`", args.name))?;
    let weights = args.weights_dir.unwrap_or_else(default_weights_dir);
    let model = BuiltinModel::load(&args.name, &weights, args.threads)?;
    let bytes = model.run(&input)?;
    match &args.out {
        Some(path) => std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    Ok(())
}
