//! `dml model`: models registered on chain (register, list, show) and the
//! built-in models (list them, run one locally, off chain).
//!
//! A model on chain is `models(id)` (fee, addr, rate, template CID); its
//! template is the JSON whose CIDv0 the engine stores. The template bytes are
//! read from the `registerModel` transaction's calldata, or else fetched from
//! the gateway by CID; either way they must hash to the stored CID.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{Filter, Log};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use dml_content::{AddOptions, Cid, ContentClient};
use dml_models::builtin::{default_weights_dir, BuiltinModel};
use dml_models::template::{builtin_template, builtin_templates, ModelTemplate, OutputKind, Runner};
use dml_primitives::IEngine;
use serde_json::json;

use crate::client::{amount_arg, block_on, engine_cid, format_amount, print_json, receipt_event, Client, ClientArgs};

/// Models: register, list and show models on chain; list or run built-in models locally.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Pin a template in the content store and register it with the engine; prints the model id.
    Register(RegisterArgs),
    /// List the models registered on chain (id, name, fee, rate, addr, template CID); --builtin: the built-in templates.
    List(ListArgs),
    /// Show one registered model, by name or id, with its template.
    Show(ShowArgs),
    /// Run a built-in model locally and write its exact output bytes (the bytes a solver hashes and pins).
    Run(RunArgs),
}

/// Arguments of `dml model register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The template JSON file (checked locally before anything is sent).
    #[arg(long, value_name = "FILE")]
    pub template: PathBuf,
    /// Fee per task in DML, paid to --addr on each claim.
    #[arg(long, value_parser = amount_arg, default_value = "0")]
    pub fee: U256,
    /// Address that receives the model fee (default: the signer).
    #[arg(long, value_name = "ADDRESS")]
    pub addr: Option<Address>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Arguments of `dml model list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// List the built-in templates shipped with this binary instead (offline).
    #[arg(long)]
    pub builtin: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Arguments of `dml model show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Model name (from its template) or id (0x…).
    pub model: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Arguments of `dml model run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Model name (see `dml model list --builtin`).
    pub name: String,
    /// Task input JSON; defaults to the template's example input.
    #[arg(long)]
    pub input: Option<String>,
    /// Task seed (on chain: task id mod 0x1FFFFFFFFFFFF0).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the output to this file instead of stdout (needed for a file
    /// output such as a PNG when stdout is a terminal).
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
        ModelCommand::Register(args) => register(args),
        ModelCommand::List(args) if args.builtin => list(args.client.json),
        ModelCommand::List(args) => list_on_chain(args),
        ModelCommand::Show(args) => show(args),
        ModelCommand::Run(args) => run_model(args),
    }
}

// ---------------------------------------------------------------------------
// The on-chain model registry, as clients see it
// ---------------------------------------------------------------------------

/// A model registered with the engine.
#[derive(Debug, Clone)]
pub struct RegisteredModel {
    /// Model id.
    pub id: B256,
    /// Minimum task fee, paid to `addr` on claim.
    pub fee: U256,
    /// Receiver of the model fee.
    pub addr: Address,
    /// Reward multiplier (1e18 = full reward; 0 = no reward).
    pub rate: U256,
    /// CID of the template.
    pub template_cid: Cid,
    /// The template, when its bytes were found and hash to `template_cid`.
    pub template: Result<(ModelTemplate, Vec<u8>), String>,
}

impl RegisteredModel {
    /// The template's name, if the template is known.
    pub fn name(&self) -> Option<&str> {
        self.template.as_ref().ok().map(|(template, _)| template.name.as_str())
    }

    /// The template, or an error saying why it is unavailable.
    pub fn require_template(&self) -> anyhow::Result<&ModelTemplate> {
        self.template
            .as_ref()
            .map(|(template, _)| template)
            .map_err(|error| anyhow!("the template of model {} is unavailable: {error}", self.id))
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "name": self.name(),
            "fee": format_amount(self.fee),
            "addr": self.addr,
            "rate": format_amount(self.rate),
            "template_cid": self.template_cid.to_string(),
            "template_error": self.template.as_ref().err(),
        })
    }
}

/// Loads a model by id: `models(id)` and its template. `registered_in` is the
/// transaction that registered it, when known (its calldata holds the template).
pub async fn load_model(client: &Client, id: B256, registered_in: Option<B256>) -> anyhow::Result<RegisteredModel> {
    let model = client.engine_view(IEngine::modelsCall { model: id }).await?;
    if model.addr.is_zero() && model.cid.is_empty() {
        bail!("no model {id} is registered with the engine");
    }
    let template_cid = engine_cid(&model.cid)?;
    let mut template = Err("not found".to_owned());
    let transaction = match registered_in {
        Some(hash) => Some(hash),
        None => {
            let filter = Filter::new().event_signature(IEngine::ModelRegistered::SIGNATURE_HASH).topic1(id);
            client.engine_logs(filter).await?.first().and_then(|log| log.transaction_hash)
        }
    };
    if let Some(hash) = transaction {
        match template_from_calldata(client, hash, &template_cid).await {
            Ok(found) => template = Ok(found),
            Err(error) => tracing::debug!(%id, %error, "template not in the registering calldata"),
        }
    }
    if template.is_err() {
        template = match client.fetch_verified(&template_cid).await {
            Ok(bytes) => ModelTemplate::from_json(&bytes)
                .map(|parsed| (parsed, bytes))
                .map_err(|error| format!("template {template_cid} is not a valid template: {error}")),
            Err(error) => Err(format!("not in the registering transaction, and the gateway failed: {error:#}")),
        };
    }
    Ok(RegisteredModel { id, fee: model.fee, addr: model.addr, rate: model.rate, template_cid, template })
}

async fn template_from_calldata(
    client: &Client,
    hash: B256,
    expected: &Cid,
) -> anyhow::Result<(ModelTemplate, Vec<u8>)> {
    let transaction: serde_json::Value = client
        .provider()
        .raw_request("eth_getTransactionByHash".into(), (hash,))
        .await
        .map_err(|error| anyhow!("eth_getTransactionByHash {hash} failed: {error}"))?;
    let input: Bytes = serde_json::from_value(transaction["input"].clone())
        .map_err(|error| anyhow!("transaction {hash} has no input: {error}"))?;
    let call = IEngine::registerModelCall::abi_decode(&input)
        .map_err(|_| anyhow!("transaction {hash} is not a direct registerModel call"))?;
    let bytes = call.template_.to_vec();
    let actual = dml_content::cid_v0(&bytes);
    if actual != *expected {
        bail!("the template in transaction {hash} hashes to {actual}, not {expected}");
    }
    let template = ModelTemplate::from_json(&bytes).map_err(|error| anyhow!("{error}"))?;
    Ok((template, bytes))
}

/// Every model registered with the engine, oldest first.
pub async fn registered_models(client: &Client) -> anyhow::Result<Vec<RegisteredModel>> {
    let filter = Filter::new().event_signature(IEngine::ModelRegistered::SIGNATURE_HASH);
    let logs: Vec<Log> = client.engine_logs(filter).await?;
    let mut models = Vec::new();
    for log in logs {
        let Ok(event) = IEngine::ModelRegistered::decode_log_data(log.data()) else { continue };
        models.push(load_model(client, event.id, log.transaction_hash).await?);
    }
    Ok(models)
}

/// Finds a model by id (`0x…`, 32 bytes) or by its template's name. A name
/// that several models share is refused: pass the id.
pub async fn resolve_model(client: &Client, name_or_id: &str) -> anyhow::Result<RegisteredModel> {
    if let Ok(id) = name_or_id.parse::<B256>() {
        return load_model(client, id, None).await;
    }
    let matching: Vec<RegisteredModel> =
        registered_models(client).await?.into_iter().filter(|model| model.name() == Some(name_or_id)).collect();
    match matching.len() {
        0 => bail!("unknown model `{name_or_id}`: no model with that name is registered (see `dml model list`)"),
        1 => Ok(matching.into_iter().next().expect("one match")),
        _ => {
            let ids: Vec<String> = matching
                .iter()
                .map(|model| {
                    format!("{} (fee {} DML, rate {})", model.id, format_amount(model.fee), format_amount(model.rate))
                })
                .collect();
            bail!("model name `{name_or_id}` is registered {} times; pass one id:\n  {}", ids.len(), ids.join("\n  "))
        }
    }
}

/// The id `registerModel` gives: `keccak256(abi.encode(sender, addr, fee, cid))`.
pub fn model_id(sender: Address, addr: Address, fee: U256, template_cid: &Cid) -> B256 {
    keccak256((sender, addr, fee, Bytes::from(template_cid.to_bytes())).abi_encode_params())
}

fn register(args: RegisterArgs) -> anyhow::Result<()> {
    if args.client.print_config_if_asked()? {
        return Ok(());
    }
    let bytes = std::fs::read(&args.template)
        .with_context(|| format!("cannot read the template {}", args.template.display()))?;
    let template = ModelTemplate::from_json(&bytes)
        .with_context(|| format!("{} is not a valid model template", args.template.display()))?;
    let cid = dml_content::cid_v0(&bytes);
    block_on(async move {
        let client = Client::connect(&args.client).await?;
        let sender = client.sender()?;
        let addr = args.addr.unwrap_or(sender);
        // Pin first, so the gateway can serve the template by the CID the engine will store.
        let content = ContentClient::new(client.settings.api_url.clone());
        let pinned = content
            .add_bytes("template.json", bytes.clone(), &AddOptions::default())
            .await
            .with_context(|| format!("cannot pin the template at {}", client.settings.api_url))?;
        if pinned.cid != cid {
            bail!("the content API stored the template as {}, but its CIDv0 is {cid}", pinned.cid);
        }
        let id = model_id(sender, addr, args.fee, &cid);
        let existing = client.engine_view(IEngine::modelsCall { model: id }).await?;
        let transaction = if existing.cid.is_empty() {
            let call = IEngine::registerModelCall { addr_: addr, fee_: args.fee, template_: Bytes::from(bytes) };
            let receipt = client.send_engine(call, "registerModel").await?;
            let event: IEngine::ModelRegistered = receipt_event(&receipt, client.engine)
                .ok_or_else(|| anyhow!("registerModel succeeded but emitted no ModelRegistered"))?;
            if event.id != id {
                bail!("the engine registered id {}, expected {id}", event.id);
            }
            Some(receipt.transaction_hash)
        } else {
            None
        };
        if client.json {
            return print_json(&json!({
                "id": id,
                "name": template.name,
                "template_cid": cid.to_string(),
                "fee": format_amount(args.fee),
                "addr": addr,
                "transaction": transaction,
                "already_registered": transaction.is_none(),
            }));
        }
        println!("{id}");
        match transaction {
            Some(hash) => eprintln!("registered `{}` (template {cid}) in transaction {hash}", template.name),
            None => eprintln!("`{}` with this fee and addr was already registered by this account", template.name),
        }
        Ok(())
    })
}

fn list_on_chain(args: ListArgs) -> anyhow::Result<()> {
    if args.client.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        let client = Client::connect(&args.client).await?;
        let models = registered_models(&client).await?;
        if client.json {
            return print_json(&serde_json::Value::Array(models.iter().map(RegisteredModel::to_json).collect()));
        }
        if models.is_empty() {
            eprintln!("no models are registered (register one with `dml model register --template FILE`)");
        }
        for model in &models {
            println!("{}  {}", model.id, model.name().unwrap_or("<template unavailable>"));
            println!(
                "  fee {} DML  rate {}  addr {}  template {}",
                format_amount(model.fee),
                format_amount(model.rate),
                model.addr,
                model.template_cid
            );
        }
        Ok(())
    })
}

fn show(args: ShowArgs) -> anyhow::Result<()> {
    if args.client.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        let client = Client::connect(&args.client).await?;
        let model = resolve_model(&client, &args.model).await?;
        if client.json {
            let mut value = model.to_json();
            value["template"] = match &model.template {
                Ok((template, _)) => serde_json::to_value(template)?,
                Err(_) => serde_json::Value::Null,
            };
            return print_json(&value);
        }
        println!("id:        {}", model.id);
        println!("name:      {}", model.name().unwrap_or("<template unavailable>"));
        println!("fee:       {} DML (to {})", format_amount(model.fee), model.addr);
        println!("rate:      {}", format_amount(model.rate));
        println!("template:  {}", model.template_cid);
        match &model.template {
            Ok((template, _)) => {
                let runner = match &template.runner {
                    Runner::Builtin { model } => format!("builtin:{model}"),
                    Runner::Cog { image } => format!("cog:{image}"),
                };
                println!("runner:    {runner}");
                println!("output:    {:?} ({})", template.output.kind, template.output.media_type);
                println!("example:   {}", serde_json::Value::Object(template.example.clone()));
                println!("input:     {}", serde_json::to_string_pretty(&template.input)?);
            }
            Err(error) => println!("template unavailable: {error}"),
        }
        Ok(())
    })
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
    if args.out.is_none() && template.output.kind == OutputKind::File && std::io::stdout().is_terminal() {
        bail!(
            "`{}` writes {} bytes: pass --out FILE (or redirect stdout) rather than print them to the terminal",
            args.name,
            template.output.media_type
        );
    }
    let weights = args.weights_dir.unwrap_or_else(default_weights_dir);
    let model = BuiltinModel::load(&args.name, &weights, args.threads)?;
    let bytes = model.run(&input)?;
    match &args.out {
        Some(path) => std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?,
        None => {
            let mut stdout = crate::stdout();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    Ok(())
}
