//! The solver loop: settle sent transactions, scan new logs, run models, and
//! step every job by what the chain's state calls for.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_eth::Log;
use alloy_sol_types::{SolCall, SolEvent};
use dml_content::{AddOptions, Cid, ContentClient};
use dml_primitives::{task_seed, IEngine, WAD};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::chain::{ChainClient, Receipt};
use crate::config::SolverConfig;
use crate::job::{Action, Ending, InFlight, Job, Phase};
use crate::metrics::{ActionLabels, Metrics, SolverLabel};
use crate::runner::{forge, load_models, BuiltinCache, LoadedModel, RunError};
use crate::store::{Change, Outgoing, Store};
use crate::SolverError;

mod delegation;
pub(crate) use delegation::pool_events;
mod stake;

/// Logs are read in ranges of at most this many blocks.
const SCAN_RANGE: u64 = 1_000;
/// Attempts at a model run whose server is unavailable before the task is skipped.
const MAX_UNAVAILABLE_ATTEMPTS: u32 = 8;
/// Attempts at a failing model run before the task is skipped.
const MAX_FAILED_RUNS: u32 = 2;
/// Estimates that revert before a settling job stops trying that step.
const MAX_REVERTED_ESTIMATES: u32 = 12;
/// The engine's revert when free stake does not cover the minimum and the slash.
const STAKE_TOO_LOW: &str = "min staked too low";
/// Batch size for `contestationVoteFinish`.
const FINISH_BATCH: u32 = 64;
/// How long a task's input may take to come from the content store. A kubo
/// node looks for a CID nobody has for as long as it is asked to, and the
/// input is fetched on the solver's loop.
const INPUT_FETCH_TIMEOUT: Duration = Duration::from_secs(20);

/// Environment variable naming a point at which the solver kills itself with
/// SIGKILL (`after_run`, `after_commit_sent`, `after_commit`, `after_reveal`,
/// `before_claim`): crash tests of the persisted state.
pub const FAILPOINT_ENV: &str = "DML_SOLVER_FAILPOINT";

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Dies as `kill -9` would at the named point, if the environment asks to.
fn failpoint(name: &str) {
    if std::env::var(FAILPOINT_ENV).is_ok_and(|v| v == name) {
        warn!(failpoint = name, "failpoint reached: killing this process with SIGKILL");
        let _ = std::process::Command::new("kill").args(["-9", &std::process::id().to_string()]).status();
        std::thread::sleep(Duration::from_secs(60));
        std::process::abort();
    }
}

/// A running solver.
pub struct SolverHandle {
    address: Address,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<Result<(), SolverError>>,
}

impl SolverHandle {
    /// The solver's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Whether the loop has stopped (on its own, with an error).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops the loop after its current step and waits for it.
    pub async fn shutdown(self) -> Result<(), SolverError> {
        let _ = self.shutdown.send(true);
        self.task.await.map_err(|e| SolverError::Config(format!("solver task: {e}")))?
    }

    /// Waits for the loop to stop (it stops on its own only on an error).
    pub async fn wait(self) -> Result<(), SolverError> {
        self.task.await.map_err(|e| SolverError::Config(format!("solver task: {e}")))?
    }
}

/// Starts a solver: connects, loads the served models, opens its database
/// and runs the loop on the current tokio runtime.
pub async fn spawn(config: SolverConfig, metrics: Metrics, cache: BuiltinCache) -> Result<SolverHandle, SolverError> {
    config.validate()?;
    let signer = config.signer()?;
    let chain = ChainClient::connect(&config.rpc_url, signer, config.engine).await?;
    let content = ContentClient::new(config.api_url.clone());
    let models = load_models(&chain, &content, &config.models, &cache).await?;
    let store = Store::open(&config.data_dir.join("solver.redb"))?;
    let address = chain.address();
    let label = SolverLabel { solver: format!("{address:#x}") };
    let (shutdown, shutdown_rx) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    if let Some(ws_url) = config.ws_url.clone() {
        tokio::spawn(watch_heads(ws_url, wake.clone(), shutdown_rx.clone()));
    }
    let mut solver = Solver {
        config,
        chain,
        content,
        store,
        models,
        metrics,
        label,
        jobs: BTreeMap::new(),
        next_nonce: 0,
        run: None,
        wake,
        loops: 0,
        terms_sent: false,
        pool_changed: true,
        pool_failures: 0,
    };
    solver.recover().await?;
    let span = info_span!("solver", solver = %address);
    let task = tokio::spawn(solver.run_loop(shutdown_rx).instrument(span));
    Ok(SolverHandle { address, shutdown, task })
}

/// Wakes the loop on every new block (WebSocket `newHeads`); the loop polls
/// anyway, so a lost connection only costs latency.
async fn watch_heads(ws_url: String, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    use alloy_provider::{Provider, ProviderBuilder, WsConnect};
    use futures_util::StreamExt;
    loop {
        match ProviderBuilder::new().connect_ws(WsConnect::new(ws_url.clone())).await {
            Ok(provider) => match provider.subscribe_blocks().await {
                Ok(subscription) => {
                    let mut stream = subscription.into_stream();
                    loop {
                        tokio::select! {
                            head = stream.next() => match head {
                                Some(_) => wake.notify_one(),
                                None => break,
                            },
                            _ = shutdown.changed() => return,
                        }
                    }
                }
                Err(e) => debug!(error = %e, "newHeads subscription failed; polling"),
            },
            Err(e) => debug!(error = %e, "WebSocket connection failed; polling"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

struct RunOutcome {
    task: B256,
    result: Result<Vec<u8>, RunError>,
    elapsed: Duration,
}

struct Solver {
    config: SolverConfig,
    chain: ChainClient,
    content: ContentClient,
    store: Store,
    models: HashMap<B256, Arc<LoadedModel>>,
    metrics: Metrics,
    label: SolverLabel,
    /// Jobs not yet ended, mirrored from the store.
    jobs: BTreeMap<B256, Job>,
    next_nonce: u64,
    run: Option<JoinHandle<RunOutcome>>,
    wake: Arc<Notify>,
    loops: u64,
    /// Whether the configured delegation terms were sent (or refused).
    terms_sent: bool,
    /// Whether an event about this solver's pool arrived since its gauges were read.
    pool_changed: bool,
    /// Delegation steps failed in a row (only the first is logged as a warning).
    pool_failures: u32,
}

/// Chain values read once per step.
struct Windows {
    now: u64,
    head: u64,
    min_claim: u64,
    vote_period: u64,
}

impl Solver {
    /// Whether this solver checks others' work (a malicious one does not).
    fn verifies(&self) -> bool {
        self.config.policy.verify && !self.config.malicious
    }

    fn me(&self) -> Address {
        self.chain.address()
    }

    /// Loads the open jobs and picks the next nonce after a restart.
    async fn recover(&mut self) -> Result<(), SolverError> {
        for job in self.store.jobs()? {
            if job.is_open() || job.in_flight.is_some() {
                self.jobs.insert(job.task, job);
            }
        }
        let stored = self.store.next_nonce()?.unwrap_or(0);
        let pending = self.chain.pending_nonce().await?;
        self.next_nonce = stored.max(pending);
        let outbox = self.store.outbox()?;
        // Transactions recorded before a crash may never have reached the
        // node: send the same signed bytes again (a node that has them, or
        // mined them, ignores the copy; the hash cannot change).
        for outgoing in &outbox {
            if self.chain.receipt(outgoing.hash).await?.is_none() {
                if let Err(e) = self.chain.broadcast(&outgoing.raw).await {
                    warn!(hash = %outgoing.hash, error = %e, "rebroadcast after restart failed; will retry");
                }
            }
        }
        info!(
            open_jobs = self.jobs.len(),
            unsettled_transactions = outbox.len(),
            next_nonce = self.next_nonce,
            "solver state loaded"
        );
        Ok(())
    }

    async fn run_loop(mut self, mut shutdown: watch::Receiver<bool>) -> Result<(), SolverError> {
        let mut last_error_at = Instant::now() - Duration::from_secs(60);
        loop {
            if *shutdown.borrow() {
                info!("solver stopping");
                return Ok(());
            }
            if let Err(e) = self.tick().await {
                // A node or content store that is down must not end the
                // solver: log (at most every few seconds) and try again.
                if last_error_at.elapsed() > Duration::from_secs(5) {
                    warn!(error = %e, "solver step failed; retrying");
                    last_error_at = Instant::now();
                }
                if let SolverError::Store(_) = e {
                    return Err(e);
                }
            }
            // A finished model run, a new block (WebSocket) or the poll
            // interval wakes the loop.
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll_interval()) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    async fn tick(&mut self) -> Result<(), SolverError> {
        self.loops += 1;
        self.settle().await?;
        self.collect_run().await?;
        let head = self.chain.block_number().await?;
        self.scan(head).await?;
        if self.loops % 40 == 1 {
            self.ensure_stake().await?;
        }
        self.start_run().await?;
        self.step_jobs(head).await?;
        self.metrics.jobs_active.get_or_create(&self.label).set(self.jobs.len() as i64);
        self.delegation_step().await
    }

    fn persist(&mut self, jobs: &[Job]) -> Result<(), SolverError> {
        self.store.apply(Change { jobs, ..Change::default() })?;
        self.mirror(jobs);
        Ok(())
    }

    fn mirror(&mut self, jobs: &[Job]) {
        for job in jobs {
            if !job.is_open() && job.in_flight.is_none() {
                self.jobs.remove(&job.task);
            } else {
                self.jobs.insert(job.task, job.clone());
            }
        }
    }

    // ---- transactions ----

    /// Signs `call`, records it in the outbox with the jobs it moves (one
    /// atomic write), then broadcasts it. The estimate runs first, so a call
    /// that would revert is not sent.
    async fn send<C: SolCall>(&mut self, action: Action, jobs: &mut [Job], call: C) -> Result<B256, SolverError> {
        let calldata = call.abi_encode();
        let gas = self.chain.estimate(&calldata).await?;
        let nonce = self.next_nonce;
        let signed = self.chain.sign(calldata, nonce, gas).await?;
        let outgoing = Outgoing {
            nonce,
            hash: signed.hash,
            raw: signed.raw.clone(),
            action,
            tasks: jobs.iter().map(|j| j.task).collect(),
            sent_at_ms: now_ms(),
        };
        for job in jobs.iter_mut() {
            job.in_flight = Some(InFlight { action, hash: signed.hash, nonce });
        }
        self.store.apply(Change { jobs, next_nonce: Some(nonce + 1), sent: Some(&outgoing), ..Change::default() })?;
        self.mirror(jobs);
        self.next_nonce = nonce + 1;
        if action == Action::Claim {
            failpoint("before_claim");
        }
        if let Err(e) = self.chain.broadcast(&signed.raw).await {
            // Recorded already: `settle` rebroadcasts the same bytes.
            warn!(action = action.name(), hash = %signed.hash, error = %e, "broadcast failed; will retry");
        }
        self.metrics
            .transactions_sent
            .get_or_create(&ActionLabels { solver: self.label.solver.clone(), action: action.name().into() })
            .inc();
        for job in jobs.iter() {
            info!(task = %job.task, action = action.name(), hash = %signed.hash, nonce, "sent");
        }
        if action == Action::Commit {
            failpoint("after_commit_sent");
        }
        Ok(signed.hash)
    }

    /// Applies the receipts of sent transactions; rebroadcasts the dropped.
    async fn settle(&mut self) -> Result<(), SolverError> {
        for mut outgoing in self.store.outbox()? {
            match self.chain.receipt(outgoing.hash).await? {
                Some(receipt) => self.apply_receipt(&outgoing, receipt)?,
                None => {
                    if self.chain.mined_nonce().await? > outgoing.nonce {
                        // Its nonce is used: it was mined after the receipt
                        // was asked for (read the receipt once more), or the
                        // nonce went to another transaction signed by this
                        // key elsewhere and this one can never be mined.
                        match self.chain.receipt(outgoing.hash).await? {
                            Some(receipt) => self.apply_receipt(&outgoing, receipt)?,
                            None => self.drop_replaced(&outgoing).await?,
                        }
                        continue;
                    }
                    if now_ms().saturating_sub(outgoing.sent_at_ms) >= self.config.resend_after_ms
                        || outgoing.sent_at_ms == 0
                    {
                        info!(hash = %outgoing.hash, nonce = outgoing.nonce, "rebroadcasting a transaction not yet mined");
                        self.metrics.transactions_rebroadcast.get_or_create(&self.label).inc();
                        self.chain.broadcast(&outgoing.raw).await?;
                        outgoing.sent_at_ms = now_ms();
                        self.store.apply(Change { sent: Some(&outgoing), ..Change::default() })?;
                    } else {
                        // Not mined yet, and nothing newer can be either: wait.
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    async fn drop_replaced(&mut self, outgoing: &Outgoing) -> Result<(), SolverError> {
        warn!(hash = %outgoing.hash, nonce = outgoing.nonce, "nonce used by another transaction; dropping ours");
        let mut moved = Vec::new();
        for task in &outgoing.tasks {
            if let Some(mut job) = self.store.job(task)? {
                if job.in_flight.as_ref().map(|f| f.hash) == Some(outgoing.hash) {
                    job.in_flight = None;
                    job.failed_attempt(now_ms(), "transaction replaced");
                    moved.push(job);
                }
            }
        }
        self.next_nonce = self.next_nonce.max(self.chain.pending_nonce().await?);
        self.store.apply(Change {
            jobs: &moved,
            settled: Some(outgoing.nonce),
            next_nonce: Some(self.next_nonce),
            ..Change::default()
        })?;
        self.mirror(&moved);
        Ok(())
    }

    fn apply_receipt(&mut self, outgoing: &Outgoing, receipt: Receipt) -> Result<(), SolverError> {
        let action = outgoing.action;
        if !receipt.success {
            self.metrics
                .transactions_reverted
                .get_or_create(&ActionLabels { solver: self.label.solver.clone(), action: action.name().into() })
                .inc();
            warn!(action = action.name(), hash = %outgoing.hash, "transaction reverted");
        }
        let mut moved = Vec::new();
        for task in &outgoing.tasks {
            let Some(mut job) = self.store.job(task)? else { continue };
            if job.in_flight.as_ref().map(|f| f.hash) != Some(outgoing.hash) {
                continue;
            }
            job.in_flight = None;
            if !job.is_done() {
                match (action, receipt.success) {
                    (Action::Commit, true) => job.advance(Phase::Committed { block: receipt.block }),
                    (Action::Commit, false) => job.failed_attempt(now_ms(), "commitment reverted"),
                    (Action::Reveal, true) => {
                        job.revealed = true;
                        job.advance(Phase::Settling);
                    }
                    // Mined but reverted (the stake went to an earlier
                    // transaction, or another solver won): the committed step
                    // looks at the chain again and moves on if it was lost.
                    (Action::Reveal, false) => job.failed_attempt(now_ms(), "reveal reverted"),
                    (Action::Claim, true) => {
                        self.metrics.tasks_paid.get_or_create(&self.label).inc();
                        job.advance(Phase::Done(Ending::Paid { ours: true }));
                    }
                    (_, true) => job.advance(Phase::Settling),
                    (_, false) => job.failed_attempt(now_ms(), format!("{} reverted", action.name())),
                }
            }
            info!(task = %job.task, action = action.name(), success = receipt.success, block = receipt.block, "mined");
            moved.push(job);
        }
        self.store.apply(Change { jobs: &moved, settled: Some(outgoing.nonce), ..Change::default() })?;
        self.mirror(&moved);
        match action {
            Action::Commit => failpoint("after_commit"),
            Action::Reveal => failpoint("after_reveal"),
            _ => {}
        }
        Ok(())
    }

    // ---- logs ----

    async fn scan(&mut self, head: u64) -> Result<(), SolverError> {
        let mut from = self.store.cursor()?.map_or(0, |c| c + 1);
        while from <= head {
            let to = head.min(from + SCAN_RANGE - 1);
            let logs = self.chain.logs(from, to).await?;
            let mut changed: BTreeMap<B256, Job> = BTreeMap::new();
            for log in &logs {
                self.apply_log(log, &mut changed).await?;
            }
            let jobs: Vec<Job> = changed.into_values().collect();
            self.store.apply(Change { jobs: &jobs, cursor: Some(to), ..Change::default() })?;
            self.mirror(&jobs);
            from = to + 1;
        }
        Ok(())
    }

    async fn apply_log(&mut self, log: &Log, changed: &mut BTreeMap<B256, Job>) -> Result<(), SolverError> {
        let Some(topic) = log.topic0().copied() else { return Ok(()) };
        let existing = |task: &B256, changed: &BTreeMap<B256, Job>, jobs: &BTreeMap<B256, Job>| {
            changed.get(task).or_else(|| jobs.get(task)).cloned()
        };
        if topic == IEngine::TaskSubmitted::SIGNATURE_HASH {
            let event = IEngine::TaskSubmitted::decode_log_data(log.data())
                .map_err(|e| SolverError::Rpc(format!("bad TaskSubmitted log: {e}")))?;
            let Some(model) = self.models.get(&event.model) else { return Ok(()) };
            if existing(&event.id, changed, &self.jobs).is_some() || self.store.job(&event.id)?.is_some() {
                return Ok(());
            }
            let mut job = Job::new(
                event.id,
                event.model,
                event.fee,
                event.sender,
                log.transaction_hash.unwrap_or_default(),
                log.block_number.unwrap_or_default(),
            );
            self.metrics.tasks_seen.get_or_create(&self.label).inc();
            let queued = self.jobs.values().chain(changed.values()).filter(|j| j.phase == Phase::Queued).count();
            if queued >= self.config.policy.max_queue {
                self.skip(&mut job, format!("queue full ({queued} tasks waiting)"));
            } else if event.fee < model.fee {
                self.skip(&mut job, "fee below the model fee".into());
            }
            info!(task = %job.task, model = %job.model, fee = %job.fee, "task seen");
            changed.insert(job.task, job);
        } else if topic == IEngine::SolutionClaimed::SIGNATURE_HASH {
            let event = IEngine::SolutionClaimed::decode_log_data(log.data())
                .map_err(|e| SolverError::Rpc(format!("bad SolutionClaimed log: {e}")))?;
            if let Some(mut job) = existing(&event.task, changed, &self.jobs) {
                let ours = event.addr == self.me();
                if ours && !job.is_done() {
                    self.metrics.tasks_paid.get_or_create(&self.label).inc();
                }
                job.advance(Phase::Done(Ending::Paid { ours }));
                info!(task = %job.task, ours, "task paid");
                changed.insert(job.task, job);
            }
        } else if topic == IEngine::ContestationResolved::SIGNATURE_HASH {
            let event = IEngine::ContestationResolved::decode_log_data(log.data())
                .map_err(|e| SolverError::Rpc(format!("bad ContestationResolved log: {e}")))?;
            if let Some(mut job) = existing(&event.task, changed, &self.jobs) {
                let ending = if event.contestationWon {
                    Ending::Refunded
                } else {
                    let solution = self.chain.view(IEngine::solutionsCall { taskid: event.task }).await?;
                    let ours = solution.validator == self.me();
                    if ours {
                        self.metrics.tasks_paid.get_or_create(&self.label).inc();
                    }
                    Ending::Paid { ours }
                };
                info!(task = %job.task, ?ending, yeas = %event.yeas, nays = %event.nays, "contestation resolved");
                job.advance(Phase::Done(ending));
                changed.insert(job.task, job);
            }
        } else if topic == IEngine::TaskRetracted::SIGNATURE_HASH {
            let event = IEngine::TaskRetracted::decode_log_data(log.data())
                .map_err(|e| SolverError::Rpc(format!("bad TaskRetracted log: {e}")))?;
            if let Some(mut job) = existing(&event.id, changed, &self.jobs) {
                job.advance(Phase::Done(Ending::Retracted));
                changed.insert(job.task, job);
            }
        } else {
            self.note_pool_log(log);
        }
        // SolutionSubmitted and ContestationSubmitted only wake the loop: the
        // steps read the solution and contestation from the engine itself.
        Ok(())
    }

    fn skip(&self, job: &mut Job, reason: String) {
        warn!(task = %job.task, %reason, "task skipped");
        self.metrics.tasks_skipped.get_or_create(&self.label).inc();
        job.advance(Phase::Skipped { reason });
    }

    // ---- model runs ----

    /// Starts the oldest queued job's run if none is running.
    async fn start_run(&mut self) -> Result<(), SolverError> {
        if self.run.is_some() {
            return Ok(());
        }
        let now = now_ms();
        let Some(mut job) = self
            .jobs
            .values()
            .filter(|j| j.phase == Phase::Queued && j.ready(now))
            .min_by_key(|j| (j.block, j.task))
            .cloned()
        else {
            return Ok(());
        };
        let model = self.models[&job.model].clone();
        let input = match self.task_input(&job).await {
            Ok(input) => input,
            Err(reason) => {
                self.skip(&mut job, reason);
                return self.persist(&[job]);
            }
        };
        if let Some(reason) = self.unprofitable(&job, &model).await? {
            self.skip(&mut job, reason);
            return self.persist(&[job]);
        }
        let task = job.task;
        let seed = task_seed(task);
        let malicious = self.config.malicious;
        let wake = self.wake.clone();
        let span = info_span!("run", task = %task);
        self.run = Some(tokio::spawn(
            async move {
                let started = Instant::now();
                let result = if malicious { Ok(forge(task)) } else { model.run(&input, seed).await };
                let outcome = RunOutcome { task, result, elapsed: started.elapsed() };
                wake.notify_one();
                outcome
            }
            .instrument(span),
        ));
        Ok(())
    }

    /// The task's input bytes, checked against the CID the engine stored:
    /// from the submitting transaction's calldata when it holds them (a
    /// transaction to a contract that called the engine may carry other
    /// bytes, which the CID tells apart), else from the engine's `TaskInput`
    /// log in that transaction (a task submitted with a callback), else from
    /// the content store.
    /// Pins them so the gateway serves them by that CID.
    async fn task_input(&self, job: &Job) -> Result<Vec<u8>, String> {
        let record = self
            .chain
            .view(IEngine::tasksCall { taskid: job.task })
            .await
            .map_err(|e| format!("reading the task: {e}"))?;
        let cid = Cid::from_bytes(&record.cid).map_err(|e| format!("the task's CID: {e}"))?;
        let in_calldata = match self.chain.transaction_input(job.submitted_in).await {
            Ok(Some(calldata)) => decode_task_input(&calldata),
            _ => None,
        };
        let calldata_note = match &in_calldata {
            Some(bytes) if dml_content::cid_v0(bytes) == cid => return self.pin_input(job, bytes.clone()).await,
            Some(_) => "the transaction's input does not match the task's CID",
            None => "the input is not in the transaction",
        };
        if let Ok(Some(logged)) = self.chain.task_input_log(job.submitted_in, job.task).await {
            if dml_content::cid_v0(&logged) == cid {
                return self.pin_input(job, logged.to_vec()).await;
            }
        }
        match tokio::time::timeout(INPUT_FETCH_TIMEOUT, self.content.cat_verified(&cid)).await {
            Ok(Ok(bytes)) => self.pin_input(job, bytes).await,
            Ok(Err(e)) => Err(format!("{calldata_note}, and fetching {cid} failed: {e}")),
            Err(_) => Err(format!("{calldata_note}, and {cid} was not fetched within {INPUT_FETCH_TIMEOUT:?}")),
        }
    }

    /// Pins a task's input so the gateway serves it by its CID.
    async fn pin_input(&self, job: &Job, input: Vec<u8>) -> Result<Vec<u8>, String> {
        let options = AddOptions::default();
        if let Err(e) = self.content.add_bytes("input.json", input.clone(), &options).await {
            warn!(task = %job.task, error = %e, "could not pin the task input");
        }
        Ok(input)
    }

    /// Why the task does not pay enough, if it does not.
    async fn unprofitable(&self, job: &Job, model: &LoadedModel) -> Result<Option<String>, SolverError> {
        let callback = self.chain.view(IEngine::callbacksCall { taskid: job.task }).await?;
        let most_gas = self.config.policy.max_callback_gas;
        if !callback.callback.is_zero() && callback.gasLimit > most_gas {
            return Ok(Some(format!(
                "its callback asks for {} gas, more than the policy's max_callback_gas {most_gas}",
                callback.gasLimit
            )));
        }
        let min = self.config.policy.min_profit;
        if min.is_zero() {
            return Ok(None);
        }
        let fee_pct = self.chain.view(IEngine::solutionFeePercentageCall {}).await?;
        let treasury_pct = self.chain.view(IEngine::treasuryRewardPercentageCall {}).await?;
        let reward = self.chain.view(IEngine::getRewardCall {}).await?;
        let wad = U256::from(WAD);
        let fee_part = job.fee.saturating_sub(model.fee) * (wad - fee_pct.min(wad)) / wad;
        let reward_part = reward * model.rate / wad * (wad - treasury_pct.min(wad)) / wad;
        let expected = fee_part + reward_part + callback.fee;
        Ok((expected < min).then(|| format!("expected {expected} wei of DML, below the minimum {min}")))
    }

    /// Takes a finished run: pins the output and records its CID.
    async fn collect_run(&mut self) -> Result<(), SolverError> {
        if !self.run.as_ref().is_some_and(|h| h.is_finished()) {
            return Ok(());
        }
        let outcome = match self.run.take().expect("checked").await {
            Ok(outcome) => outcome,
            Err(e) => {
                warn!(error = %e, "model run task failed");
                return Ok(());
            }
        };
        let Some(mut job) = self.jobs.get(&outcome.task).cloned() else { return Ok(()) };
        if job.phase != Phase::Queued {
            return Ok(());
        }
        match outcome.result {
            Ok(output) => {
                let cid = dml_content::cid_v0(&output);
                let added = self.content.add_bytes("output", output, &AddOptions::default()).await;
                match added {
                    Ok(reply) if reply.cid == cid => {}
                    Ok(reply) => {
                        return Err(SolverError::Content(format!("content store says {} for output {cid}", reply.cid)))
                    }
                    Err(e) => {
                        // Without the pin nobody could fetch the output: retry the run later.
                        job.failed_attempt(now_ms(), format!("pinning the output: {e}"));
                        return self.persist(&[job]);
                    }
                }
                self.metrics.model_runs.get_or_create(&self.label).inc();
                self.metrics.model_run_seconds.get_or_create(&self.label).observe(outcome.elapsed.as_secs_f64());
                info!(task = %job.task, %cid, seconds = outcome.elapsed.as_secs_f64(), "model run done, output pinned");
                job.output_cid = Some(Bytes::from(cid.to_bytes()));
                job.last_error = None;
                job.advance(Phase::Solved);
                self.persist(&[job])?;
                failpoint("after_run");
            }
            Err(RunError::Input(reason)) => {
                self.skip(&mut job, format!("input rejected by the model: {reason}"));
                self.persist(&[job])?;
            }
            Err(RunError::Unavailable(reason)) => {
                if job.attempts + 1 >= MAX_UNAVAILABLE_ATTEMPTS {
                    self.skip(&mut job, format!("model server unavailable: {reason}"));
                } else {
                    warn!(task = %job.task, %reason, "model server unavailable; will retry");
                    job.failed_attempt(now_ms(), reason);
                }
                self.persist(&[job])?;
            }
            Err(RunError::Failed(reason)) => {
                if job.attempts + 1 >= MAX_FAILED_RUNS {
                    self.skip(&mut job, format!("model failed: {reason}"));
                } else {
                    job.failed_attempt(now_ms(), reason);
                }
                self.persist(&[job])?;
            }
        }
        Ok(())
    }

    // ---- stepping jobs ----

    async fn step_jobs(&mut self, head: u64) -> Result<(), SolverError> {
        let now = now_ms();
        let ready: Vec<Job> = self.jobs.values().filter(|j| j.ready(now)).cloned().collect();
        if ready.is_empty() {
            return Ok(());
        }
        // An idle dev chain mines no blocks, so its latest timestamp stands
        // still: the next block will carry at least the wall clock's time.
        let wall = now_ms() / 1000;
        let windows = Windows {
            now: self.chain.latest_timestamp().await?.max(wall),
            head,
            min_claim: self.chain.view(IEngine::minClaimSolutionTimeCall {}).await?.saturating_to(),
            vote_period: self.chain.view(IEngine::minContestationVotePeriodTimeCall {}).await?.saturating_to(),
        };
        let mut commits = Vec::new();
        let mut reveals = Vec::new();
        let mut early_reveals = Vec::new();
        let mut claims = Vec::new();
        for mut job in ready {
            match job.phase.clone() {
                Phase::Solved => {
                    let solution = self.chain.view(IEngine::solutionsCall { taskid: job.task }).await?;
                    if solution.validator.is_zero() {
                        commits.push(job);
                    } else {
                        job.advance(Phase::Settling);
                        self.persist(&[job])?;
                    }
                }
                Phase::Committed { block } => {
                    let solution = self.chain.view(IEngine::solutionsCall { taskid: job.task }).await?;
                    if solution.validator.is_zero() && windows.head > block {
                        reveals.push(job);
                    } else if solution.validator.is_zero() {
                        // The commitment is in the head block. A transaction
                        // sent now lands in a later one; nodes that simulate
                        // against the next block accept it at once (an idle
                        // dev chain mines no block otherwise).
                        early_reveals.push(job);
                    } else {
                        job.advance(Phase::Settling);
                        self.persist(&[job])?;
                    }
                }
                Phase::Settling => {
                    if let Some(claimable) = self.step_settling(job, &windows).await? {
                        claims.push(claimable);
                    }
                }
                _ => {}
            }
        }
        self.send_commits(commits).await?;
        let (reveals, early_reveals) = self.within_stake(reveals, early_reveals).await?;
        self.send_batches(Action::Reveal, reveals, false).await?;
        self.send_batches(Action::Reveal, early_reveals, true).await?;
        self.send_batches(Action::Claim, claims, false).await?;
        Ok(())
    }

    /// Keeps the reveals the stake can escrow a slash for (those committed
    /// earliest first), less one slash per reveal, contestation or vote of
    /// ours not yet mined; the rest wait a second for claims to free stake.
    async fn within_stake(
        &mut self,
        mut reveals: Vec<Job>,
        mut early: Vec<Job>,
    ) -> Result<(Vec<Job>, Vec<Job>), SolverError> {
        let wanted = reveals.len() + early.len();
        if wanted == 0 {
            self.metrics.reveals_waiting_for_stake.get_or_create(&self.label).set(0);
            return Ok((reveals, early));
        }
        reveals.sort_by_key(|job| match job.phase {
            Phase::Committed { block } => block,
            _ => u64::MAX,
        });
        let escrowing = |action| matches!(action, Action::Reveal | Action::Contest | Action::Vote);
        let in_flight =
            self.jobs.values().filter(|j| j.in_flight.as_ref().is_some_and(|f| escrowing(f.action))).count();
        let capacity = self.reveal_capacity().await?.map_or(usize::MAX, |c| c.saturating_sub(in_flight));
        self.metrics.reveals_waiting_for_stake.get_or_create(&self.label).set(wanted.saturating_sub(capacity) as i64);
        if capacity >= wanted {
            return Ok((reveals, early));
        }
        info!(capacity, wanted, "stake covers the slash of only some reveals; the rest wait for claims");
        let waiting: Vec<Job> = if capacity >= reveals.len() {
            early.split_off(capacity - reveals.len())
        } else {
            let mut waiting = reveals.split_off(capacity);
            waiting.append(&mut early);
            waiting
        };
        for job in waiting {
            self.defer(job.task, now_ms() + 1_000);
        }
        Ok((reveals, early))
    }

    async fn send_commits(&mut self, jobs: Vec<Job>) -> Result<(), SolverError> {
        for chunk in jobs.chunks(self.config.max_batch) {
            let mut pending = Vec::new();
            let mut commitments = Vec::new();
            let mut found = Vec::new();
            for job in chunk {
                let cid = job.output_cid.clone().expect("solved jobs have a CID");
                let commitment = self
                    .chain
                    .view(IEngine::generateCommitmentCall { sender_: self.me(), taskid_: job.task, cid_: cid })
                    .await?;
                // A retried commitment may be on chain already (one whose
                // receipt this solver never saw): then go on to the reveal
                // rather than send it again. A first send skips the lookup.
                let block = if job.attempts > 0 {
                    self.chain.view(IEngine::commitmentsCall { commitment }).await?
                } else {
                    U256::ZERO
                };
                if !block.is_zero() {
                    let mut job = job.clone();
                    info!(task = %job.task, block = %block, "commitment already on chain");
                    job.advance(Phase::Committed { block: block.saturating_to() });
                    found.push(job);
                    continue;
                }
                pending.push(job.clone());
                commitments.push(commitment);
            }
            if !found.is_empty() {
                self.persist(&found)?;
            }
            if pending.is_empty() {
                continue;
            }
            let mut chunk = pending;
            let result = if chunk.len() == 1 {
                self.send(Action::Commit, &mut chunk, IEngine::signalCommitmentCall { commitment_: commitments[0] })
                    .await
            } else {
                self.send(Action::Commit, &mut chunk, IEngine::bulkSignalCommitmentCall { commitments_: commitments })
                    .await
            };
            if let Err(e) = result {
                self.on_send_error(chunk, Action::Commit, e)?;
            }
        }
        Ok(())
    }

    /// Reveals or claims in bulk calls of up to `max_batch`; a batch whose
    /// estimate reverts is retried one task at a time, so one bad task cannot
    /// hold the others back.
    ///
    /// An `early` reveal whose estimate fails is left as it is, to be tried
    /// again once a later block exists.
    async fn send_batches(&mut self, action: Action, jobs: Vec<Job>, early: bool) -> Result<(), SolverError> {
        for chunk in jobs.chunks(self.config.max_batch) {
            let mut batch = chunk.to_vec();
            if batch.len() > 1 && self.send_one_call(action, &mut batch).await.is_ok() {
                continue;
            }
            for job in chunk {
                let mut single = vec![job.clone()];
                match self.send_one_call(action, &mut single).await {
                    Ok(_) => {}
                    Err(SolverError::Revert(reason)) if early => {
                        debug!(task = %job.task, %reason, "reveal must wait for a later block");
                    }
                    Err(e) => self.on_send_error(single, action, e)?,
                }
            }
        }
        Ok(())
    }

    async fn send_one_call(&mut self, action: Action, jobs: &mut [Job]) -> Result<B256, SolverError> {
        let tasks: Vec<B256> = jobs.iter().map(|j| j.task).collect();
        match (action, jobs.len()) {
            (Action::Reveal, 1) => {
                let cid = jobs[0].output_cid.clone().expect("solved");
                self.send(action, jobs, IEngine::submitSolutionCall { taskid_: tasks[0], cid_: cid }).await
            }
            (Action::Reveal, _) => {
                let cids = jobs.iter().map(|j| j.output_cid.clone().expect("solved")).collect();
                self.send(action, jobs, IEngine::bulkSubmitSolutionCall { taskids_: tasks, cids_: cids }).await
            }
            (Action::Claim, 1) => self.send(action, jobs, IEngine::claimSolutionCall { taskid_: tasks[0] }).await,
            (Action::Claim, _) => self.send(action, jobs, IEngine::bulkClaimSolutionCall { taskids_: tasks }).await,
            _ => unreachable!("only reveals and claims are batched"),
        }
    }

    /// A step that could not be sent: a revert backs the job off (a lost
    /// reveal race goes on to settling); anything else is the node's fault.
    fn on_send_error(&mut self, mut jobs: Vec<Job>, action: Action, error: SolverError) -> Result<(), SolverError> {
        let SolverError::Revert(reason) = &error else { return Err(error) };
        for job in &mut jobs {
            debug!(task = %job.task, action = action.name(), %reason, "not sent: it would revert");
            if action == Action::Reveal && reason.contains(STAKE_TOO_LOW) {
                // The stake moved since it was counted (a contestation's
                // escrow, a withdrawal): try the reveal again later.
                job.failed_attempt(now_ms(), format!("reveal: {reason}"));
            } else if action == Action::Reveal {
                job.advance(Phase::Settling);
            } else if job.attempts + 1 >= MAX_REVERTED_ESTIMATES && action == Action::Commit {
                self.skip(job, format!("commitment keeps reverting: {reason}"));
            } else {
                job.failed_attempt(now_ms(), format!("{}: {reason}", action.name()));
            }
        }
        self.persist(&jobs)
    }

    /// One settling job: returns it when it is ours and claimable; sends a
    /// contestation, a vote or a finish when the chain's state calls for one.
    async fn step_settling(&mut self, mut job: Job, w: &Windows) -> Result<Option<Job>, SolverError> {
        let me = self.me();
        let task = job.task;
        let solution = self.chain.view(IEngine::solutionsCall { taskid: task }).await?;
        if solution.validator.is_zero() || solution.claimed {
            return Ok(None); // the claim log ends the job
        }
        let contestation = self.chain.view(IEngine::contestationsCall { taskid: job.task }).await?;
        let ours_disagrees = job.output_cid.as_ref().is_some_and(|cid| *cid != solution.cid);
        let result = if contestation.validator.is_zero() {
            let claimable_at = solution.blocktime + w.min_claim;
            if solution.validator == me {
                if w.now >= claimable_at {
                    return Ok(Some(job));
                }
                // Nothing to do before the window closes but watch for a
                // contestation: look again in a second or at the window's end.
                self.defer(task, (claimable_at.saturating_mul(1000)).min(now_ms() + 1_000));
                return Ok(None);
            }
            if !(ours_disagrees && self.verifies()) || w.now >= claimable_at {
                self.defer(task, now_ms() + 1_000);
                return Ok(None);
            }
            self.metrics.mismatches.get_or_create(&self.label).inc();
            info!(task = %job.task, solver = %solution.validator, "solution differs from ours: contesting");
            self.send(
                Action::Contest,
                std::slice::from_mut(&mut job),
                IEngine::submitContestationCall { taskid_: task },
            )
            .await
        } else if w.now >= contestation.blocktime + w.vote_period {
            let involved = contestation.validator == me
                || solution.validator == me
                || self.chain.view(IEngine::contestationVotedCall { taskid: job.task, addr: me }).await?;
            if !involved {
                self.defer(task, now_ms() + 1_000);
                return Ok(None);
            }
            self.send(
                Action::Finish,
                std::slice::from_mut(&mut job),
                IEngine::contestationVoteFinishCall { taskid_: task, amnt_: FINISH_BATCH },
            )
            .await
        } else {
            if job.output_cid.is_none()
                || !self.verifies()
                || self.chain.view(IEngine::contestationVotedCall { taskid: job.task, addr: me }).await?
                || self.chain.view(IEngine::validatorCanVoteCall { addr_: me, taskid_: job.task }).await? != U256::ZERO
            {
                self.defer(task, now_ms() + 1_000);
                return Ok(None);
            }
            info!(task = %job.task, yea = ours_disagrees, "voting on a contestation");
            self.send(
                Action::Vote,
                std::slice::from_mut(&mut job),
                IEngine::voteOnContestationCall { taskid_: task, yea_: ours_disagrees },
            )
            .await
        };
        match result {
            Ok(_) => Ok(None),
            Err(SolverError::Revert(reason)) => {
                if job.attempts + 1 >= MAX_REVERTED_ESTIMATES {
                    debug!(task = %job.task, %reason, "step keeps reverting; waiting for the task's end");
                }
                job.failed_attempt(now_ms(), reason);
                self.persist(&[job])?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Skips a job's steps until `until_ms` (in memory only: a restart
    /// simply looks again at once).
    fn defer(&mut self, task: B256, until_ms: u64) {
        if let Some(job) = self.jobs.get_mut(&task) {
            job.retry_at_ms = job.retry_at_ms.max(until_ms);
        }
    }
}

/// The input bytes of a `submitTask`, `bulkSubmitTask` or `submitTaskWithCallback` calldata.
pub fn decode_task_input(calldata: &[u8]) -> Option<Vec<u8>> {
    if let Ok(call) = IEngine::submitTaskCall::abi_decode(calldata) {
        return Some(call.input_.to_vec());
    }
    if let Ok(call) = IEngine::bulkSubmitTaskCall::abi_decode(calldata) {
        return Some(call.input_.to_vec());
    }
    if let Ok(call) = IEngine::submitTaskWithCallbackCall::abi_decode(calldata) {
        return Some(call.input_.to_vec());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_input_comes_from_either_submit_call() {
        let single = IEngine::submitTaskCall {
            version_: 0,
            owner_: Address::ZERO,
            model_: B256::ZERO,
            fee_: U256::ZERO,
            input_: Bytes::from_static(b"{\"a\":1}"),
        }
        .abi_encode();
        assert_eq!(decode_task_input(&single).unwrap(), b"{\"a\":1}");
        let bulk = IEngine::bulkSubmitTaskCall {
            version_: 0,
            owner_: Address::ZERO,
            model_: B256::ZERO,
            fee_: U256::ZERO,
            input_: Bytes::from_static(b"{}"),
            n_: U256::from(3),
        }
        .abi_encode();
        assert_eq!(decode_task_input(&bulk).unwrap(), b"{}");
        let with_callback = IEngine::submitTaskWithCallbackCall {
            version_: 0,
            owner_: Address::ZERO,
            model_: B256::ZERO,
            fee_: U256::ZERO,
            input_: Bytes::from_static(b"{\"b\":2}"),
            callback_: Address::repeat_byte(7),
            callbackGasLimit_: 100_000,
            callbackFee_: U256::ZERO,
        }
        .abi_encode();
        assert_eq!(decode_task_input(&with_callback).unwrap(), b"{\"b\":2}");
        assert_eq!(decode_task_input(&[0xde, 0xad, 0xbe, 0xef]), None);
    }
}
