//! Running the served models: the template from the CID the engine stores,
//! the input hydrated with the task's seed, then a built-in model or a Cog
//! server, giving the exact output bytes whose CID is committed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::{Address, Bytes, B256, U256};
use dml_content::{Cid, ContentClient};
use dml_models::builtin::{default_weights_dir, BuiltinModel};
use dml_models::cog::{CogClient, CogConfig, CogError};
use dml_models::template::{builtin_templates, ModelTemplate, Runner};
use dml_primitives::IEngine;

use crate::chain::ChainClient;
use crate::config::{RunnerConfig, ServedModel};
use crate::SolverError;

/// Built-in models already loaded, shared by the solvers of one process.
#[derive(Clone, Default)]
pub struct BuiltinCache {
    loaded: Arc<Mutex<HashMap<String, Arc<BuiltinModel>>>>,
}

impl BuiltinCache {
    /// The model `name`, loading it on first use.
    pub fn get(
        &self,
        name: &str,
        weights_dir: &std::path::Path,
        threads: usize,
    ) -> Result<Arc<BuiltinModel>, SolverError> {
        let mut loaded = self.loaded.lock().expect("builtin cache poisoned");
        if let Some(model) = loaded.get(name) {
            return Ok(model.clone());
        }
        let model = Arc::new(
            BuiltinModel::load(name, weights_dir, threads)
                .map_err(|e| SolverError::Config(format!("loading built-in model `{name}`: {e}")))?,
        );
        loaded.insert(name.to_string(), model.clone());
        Ok(model)
    }
}

/// Why a run gave no output.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The input is outside the model's schema (or not JSON): skip the task.
    #[error("{0}")]
    Input(String),
    /// The model server is down, busy or slow: try again later.
    #[error("{0}")]
    Unavailable(String),
    /// The model failed on this input.
    #[error("{0}")]
    Failed(String),
}

enum Exec {
    Builtin(Arc<BuiltinModel>),
    Cog(CogClient),
}

/// One served model, ready to run.
pub struct LoadedModel {
    /// The model's template.
    pub template: ModelTemplate,
    /// The fee per task that goes to the model's address.
    pub fee: U256,
    /// The model's address (receives the model fee).
    pub addr: Address,
    /// The reward rate (1e18 = full reward).
    pub rate: U256,
    exec: Exec,
}

impl LoadedModel {
    /// Hydrates `input` with `seed` and runs the model.
    pub async fn run(&self, input: &[u8], seed: u64) -> Result<Vec<u8>, RunError> {
        let hydrated = self.template.hydrate(input, seed).map_err(|e| RunError::Input(e.to_string()))?;
        match &self.exec {
            Exec::Builtin(model) => {
                let model = model.clone();
                tokio::task::spawn_blocking(move || model.run(&hydrated))
                    .await
                    .map_err(|e| RunError::Failed(format!("model thread: {e}")))?
                    .map_err(|e| RunError::Failed(e.to_string()))
            }
            Exec::Cog(client) => client.run(&hydrated, self.template.output.kind).await.map_err(|e| match e {
                CogError::InvalidInput(m) => RunError::Input(m),
                e @ (CogError::Unreachable { .. }
                | CogError::Unavailable { .. }
                | CogError::Timeout(_)
                | CogError::NotReady { .. }) => RunError::Unavailable(e.to_string()),
                e => RunError::Failed(e.to_string()),
            }),
        }
    }
}

/// Loads every served model: the engine's record, the template by its CID
/// (a shipped built-in template, or the content store), and the runner.
pub async fn load_models(
    chain: &ChainClient,
    content: &ContentClient,
    served: &[ServedModel],
    cache: &BuiltinCache,
) -> Result<HashMap<B256, Arc<LoadedModel>>, SolverError> {
    let mut models = HashMap::new();
    for model in served {
        let record = chain.view(IEngine::modelsCall { model: model.id }).await?;
        if record.cid.is_empty() {
            return Err(SolverError::Config(format!("model {} is not registered on this chain", model.id)));
        }
        let template = template_by_cid(content, &record.cid).await?;
        let exec = match (&model.runner, &template.runner) {
            (RunnerConfig::Builtin { weights_dir, threads }, Runner::Builtin { model: name }) => {
                let dir = weights_dir.clone().unwrap_or_else(default_weights_dir);
                let name = name.clone();
                let cache = cache.clone();
                let threads = *threads;
                let loaded = tokio::task::spawn_blocking(move || cache.get(&name, &dir, threads))
                    .await
                    .map_err(|e| SolverError::Config(e.to_string()))??;
                Exec::Builtin(loaded)
            }
            (RunnerConfig::Cog { url, timeout_secs }, Runner::Cog { .. }) => {
                let mut config = CogConfig::new(url.clone());
                config.prediction_timeout = Duration::from_secs(*timeout_secs);
                Exec::Cog(CogClient::new(config).map_err(|e| SolverError::Config(e.to_string()))?)
            }
            (configured, runner) => {
                return Err(SolverError::Config(format!(
                    "model {} ({}): its template's runner is {runner:?} but the config runs it as {configured:?}",
                    model.id, template.name
                )))
            }
        };
        tracing::info!(model = %model.id, name = %template.name, "serving model");
        models.insert(
            model.id,
            Arc::new(LoadedModel { template, fee: record.fee, addr: record.addr, rate: record.rate, exec }),
        );
    }
    Ok(models)
}

/// The template whose CID is `cid_bytes`: a shipped built-in template, or the
/// bytes from the content store (checked against the CID).
async fn template_by_cid(content: &ContentClient, cid_bytes: &Bytes) -> Result<ModelTemplate, SolverError> {
    let cid = Cid::from_bytes(cid_bytes).map_err(|e| SolverError::Config(format!("model template CID: {e}")))?;
    if let Some(builtin) = builtin_templates().into_iter().find(|t| t.cid() == cid.to_string()) {
        return Ok(builtin.template);
    }
    let bytes = content
        .cat_verified(&cid)
        .await
        .map_err(|e| SolverError::Config(format!("fetching model template {cid}: {e}")))?;
    ModelTemplate::from_json(&bytes).map_err(|e| SolverError::Config(format!("model template {cid}: {e}")))
}

/// A malicious solver's output (dev networks only): bytes made up without
/// running the model — the cheap attack that contestation exists to catch.
pub fn forge(task: B256) -> Vec<u8> {
    format!("forged output for task {task:#x}: the model was never run\n").into_bytes()
}
