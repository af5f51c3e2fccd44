//! The read model: what the API shows, computed from the stored events.

use alloy_primitives::U256;
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{json, Value};

use crate::store::{sum_amounts, Store, StoreError, StoredEvent};

/// A page of items and the cursor for the next one (absent at the end).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// Items, newest first.
    pub items: Vec<T>,
    /// Pass as `before` to get the next page.
    pub next: Option<String>,
}

/// Where an event sits, as one sortable number (the API's page cursor).
pub fn position(event: &StoredEvent) -> u64 {
    event.block_number * 1_048_576 + event.log_index
}

fn page_of<T>(events: &[StoredEvent], items: Vec<T>, limit: u32) -> Page<T> {
    let next = (events.len() as u32 == limit).then(|| events.last().map(|e| position(e).to_string())).flatten();
    Page { items, next }
}

/// A task's state, from its events.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSummary {
    /// Task id.
    pub id: String,
    /// Model id.
    pub model: Option<String>,
    /// Fee in wei.
    pub fee: Option<String>,
    /// Who submitted it.
    pub owner: Option<String>,
    /// `submitted`, `solved`, `contested`, `claimed`, `retracted`,
    /// `contestation-won` (refunded) or `contestation-lost`.
    pub status: String,
    /// The solver, once solved.
    pub solver: Option<String>,
    /// Block and time of submission.
    pub submitted_block: u64,
    /// Seconds.
    pub submitted_at: u64,
    /// Seconds from submission to solution.
    pub solve_seconds: Option<u64>,
}

fn summarize(id: &str, timeline: &[StoredEvent]) -> TaskSummary {
    let mut summary = TaskSummary {
        id: id.to_string(),
        model: None,
        fee: None,
        owner: None,
        status: "submitted".into(),
        solver: None,
        submitted_block: 0,
        submitted_at: 0,
        solve_seconds: None,
    };
    for event in timeline {
        match event.name.as_str() {
            "TaskSubmitted" => {
                summary.model = event.model.clone();
                summary.fee = event.amount.clone();
                summary.owner = event.account.clone();
                summary.submitted_block = event.block_number;
                summary.submitted_at = event.timestamp;
            }
            "SolutionSubmitted" => {
                summary.status = "solved".into();
                summary.solver = event.account.clone();
                summary.solve_seconds = Some(event.timestamp.saturating_sub(summary.submitted_at));
            }
            "ContestationSubmitted" => summary.status = "contested".into(),
            "ContestationResolved" => {
                let won = event.fields["contestationWon"].as_bool().unwrap_or(false);
                summary.status = if won { "contestation-won" } else { "contestation-lost" }.into();
            }
            "SolutionClaimed" => summary.status = "claimed".into(),
            "TaskRetracted" => summary.status = "retracted".into(),
            _ => {}
        }
    }
    summary
}

/// A task's events, oldest first.
pub fn task_timeline(store: &Store, id: &str) -> Result<Vec<StoredEvent>, StoreError> {
    let mut events = store.events("e.task = ?1", &[&id], u64::MAX >> 1, u32::MAX)?;
    events.reverse();
    Ok(events)
}

/// Tasks, newest first; optionally of one model or one owner.
pub fn tasks(
    store: &Store,
    model: Option<&str>,
    owner: Option<&str>,
    before: u64,
    limit: u32,
) -> Result<Page<TaskSummary>, StoreError> {
    let submitted = match (model, owner) {
        (Some(m), _) => store.events("e.name = 'TaskSubmitted' AND e.model = ?1", &[&m], before, limit)?,
        (None, Some(o)) => store.events("e.name = 'TaskSubmitted' AND e.account = ?1", &[&o], before, limit)?,
        (None, None) => store.events("e.name = 'TaskSubmitted'", &[], before, limit)?,
    };
    let mut items = Vec::with_capacity(submitted.len());
    for event in &submitted {
        let id = event.task.clone().unwrap_or_default();
        items.push(summarize(&id, &task_timeline(store, &id)?));
    }
    Ok(page_of(&submitted, items, limit))
}

/// One task and its timeline; `None` when the index has never seen it.
pub fn task(store: &Store, id: &str) -> Result<Option<Value>, StoreError> {
    let timeline = task_timeline(store, id)?;
    if !timeline.iter().any(|e| e.name == "TaskSubmitted") {
        return Ok(None);
    }
    let summary = summarize(id, &timeline);
    Ok(Some(json!({ "task": summary, "timeline": timeline })))
}

/// A model's figures.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSummary {
    /// Model id.
    pub id: String,
    /// Block it was registered in.
    pub registered_block: u64,
    /// Tasks submitted for it.
    pub tasks: u64,
    /// Of which solved.
    pub solved: u64,
    /// Median seconds from submission to solution.
    pub median_solve_seconds: Option<u64>,
    /// Fees paid by its tasks, wei.
    pub fees: String,
}

fn median(mut values: Vec<u64>) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    // The lower median: an integer, and a time some task really took.
    Some(if values.len() % 2 == 1 { values[mid] } else { values[mid - 1] })
}

fn model_summary(store: &Store, id: &str, registered_block: u64) -> Result<ModelSummary, StoreError> {
    let conn = store.conn();
    let tasks: i64 =
        conn.query_row("SELECT COUNT(*) FROM events WHERE name = 'TaskSubmitted' AND model = ?1", [id], |r| r.get(0))?;
    let mut statement = conn.prepare_cached(
        "SELECT s_b.timestamp - t_b.timestamp
         FROM events t JOIN events s ON s.task = t.task AND s.name = 'SolutionSubmitted'
         JOIN blocks t_b ON t_b.number = t.block_number JOIN blocks s_b ON s_b.number = s.block_number
         WHERE t.name = 'TaskSubmitted' AND t.model = ?1",
    )?;
    let times = statement.query_map([id], |r| r.get::<_, i64>(0))?.collect::<Result<Vec<_>, _>>()?;
    let mut fees = conn.prepare_cached("SELECT amount FROM events WHERE name = 'TaskSubmitted' AND model = ?1")?;
    let amounts = fees.query_map([id], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(ModelSummary {
        id: id.to_string(),
        registered_block,
        tasks: tasks as u64,
        solved: times.len() as u64,
        median_solve_seconds: median(times.into_iter().map(|t| t.max(0) as u64).collect()),
        fees: sum_amounts(amounts.iter().map(String::as_str)).to_string(),
    })
}

/// Every registered model, newest first.
pub fn models(store: &Store) -> Result<Vec<ModelSummary>, StoreError> {
    let registered = store.events("e.name = 'ModelRegistered'", &[], u64::MAX >> 1, u32::MAX)?;
    registered.iter().map(|e| model_summary(store, e.model.as_deref().unwrap_or_default(), e.block_number)).collect()
}

/// One model, or `None`.
pub fn model(store: &Store, id: &str) -> Result<Option<ModelSummary>, StoreError> {
    let registered = store.events("e.name = 'ModelRegistered' AND e.model = ?1", &[&id], u64::MAX >> 1, 1)?;
    registered.first().map(|e| model_summary(store, id, e.block_number)).transpose()
}

/// A solver's (validator's) figures.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SolverSummary {
    /// Address.
    pub address: String,
    /// Deposited less withdrawn, wei. Slashes emit no amount in EngineV1's
    /// events (`slashes` counts them); the API adds `staked`, read from the
    /// chain.
    pub deposited: String,
    /// Solutions submitted.
    pub tasks_solved: u64,
    /// Solutions claimed.
    pub claimed: u64,
    /// Contestations this address raised that won, and that lost.
    pub contestations_won: u64,
    /// Raised and lost.
    pub contestations_lost: u64,
    /// Its solutions that a contestation overturned (each one slashed it).
    pub slashes: u64,
    /// New DML minted to it for its solutions, wei.
    pub rewards: String,
    /// Fees of the tasks it claimed (before the network's share), wei.
    pub fees_claimed: String,
    /// Delegated to it, less undelegated, wei.
    pub delegated: String,
}

fn count(store: &Store, sql: &str, address: &str) -> Result<u64, StoreError> {
    Ok(store.conn().query_row(sql, [address], |r| r.get::<_, i64>(0))? as u64)
}

fn amounts(store: &Store, sql: &str, address: &str) -> Result<U256, StoreError> {
    let mut statement = store.conn().prepare_cached(sql)?;
    let rows = statement.query_map([address], |r| r.get::<_, Option<String>>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(sum_amounts(rows.iter().flatten().map(String::as_str)))
}

/// The figures of one solver address.
pub fn solver(store: &Store, address: &str) -> Result<SolverSummary, StoreError> {
    let deposited =
        amounts(store, "SELECT amount FROM events WHERE name = 'ValidatorDeposit' AND other = ?1", address)?;
    let withdrawn =
        amounts(store, "SELECT amount FROM events WHERE name = 'ValidatorWithdraw' AND account = ?1", address)?;
    let delegated = amounts(store, "SELECT amount FROM events WHERE name = 'StakeDelegated' AND other = ?1", address)?;
    let undelegated =
        amounts(store, "SELECT amount FROM events WHERE name = 'StakeUndelegated' AND other = ?1", address)?;
    let rewards = {
        let mut statement = store.conn().prepare_cached(
            "SELECT r.fields FROM events r JOIN events s ON s.task = r.task AND s.name = 'SolutionClaimed'
             WHERE r.name = 'RewardsMinted' AND s.account = ?1",
        )?;
        let rows = statement.query_map([address], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        rows.iter()
            .filter_map(|f| serde_json::from_str::<Value>(f).ok())
            .filter_map(|f| f["solver"].as_str().and_then(|s| s.parse::<U256>().ok()))
            .fold(U256::ZERO, |a, b| a.saturating_add(b))
    };
    let resolved = |won: bool, role: &str| -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM events r JOIN events c ON c.task = r.task AND c.name = '{role}'
             WHERE r.name = 'ContestationResolved' AND json_extract(r.fields, '$.contestationWon') = {}
             AND c.account = ?1",
            if won { 1 } else { 0 }
        );
        count(store, &sql, address)
    };
    Ok(SolverSummary {
        address: address.to_string(),
        deposited: deposited.saturating_sub(withdrawn).to_string(),
        tasks_solved: count(
            store,
            "SELECT COUNT(*) FROM events WHERE name = 'SolutionSubmitted' AND account = ?1",
            address,
        )?,
        claimed: count(store, "SELECT COUNT(*) FROM events WHERE name = 'SolutionClaimed' AND account = ?1", address)?,
        contestations_won: resolved(true, "ContestationSubmitted")?,
        contestations_lost: resolved(false, "ContestationSubmitted")?,
        slashes: resolved(true, "SolutionSubmitted")?,
        rewards: rewards.to_string(),
        fees_claimed: amounts(
            store,
            "SELECT t.amount FROM events t JOIN events c ON c.task = t.task AND c.name = 'SolutionClaimed'
             WHERE t.name = 'TaskSubmitted' AND c.account = ?1",
            address,
        )?
        .to_string(),
        delegated: delegated.saturating_sub(undelegated).to_string(),
    })
}

/// Every address that staked or solved, most solutions first.
pub fn solvers(store: &Store) -> Result<Vec<SolverSummary>, StoreError> {
    let mut statement = store.conn().prepare(
        "SELECT DISTINCT address FROM (
             SELECT other AS address FROM events WHERE name = 'ValidatorDeposit'
             UNION SELECT account FROM events WHERE name = 'SolutionSubmitted')",
    )?;
    let addresses = statement.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    let mut all = addresses.iter().map(|a| solver(store, a)).collect::<Result<Vec<_>, _>>()?;
    all.sort_by(|a, b| b.tasks_solved.cmp(&a.tasks_solved).then(a.address.cmp(&b.address)));
    Ok(all)
}

/// Contestations, newest first, each with its votes and outcome.
pub fn contestations(store: &Store, before: u64, limit: u32) -> Result<Page<Value>, StoreError> {
    let raised = store.events("e.name = 'ContestationSubmitted'", &[], before, limit)?;
    let mut items = Vec::new();
    for event in &raised {
        let task = event.task.clone().unwrap_or_default();
        items.push(contestation_of(store, &task, event)?);
    }
    Ok(page_of(&raised, items, limit))
}

fn contestation_of(store: &Store, task: &str, raised: &StoredEvent) -> Result<Value, StoreError> {
    let timeline = task_timeline(store, task)?;
    let votes: Vec<&StoredEvent> = timeline.iter().filter(|e| e.name == "ContestationVote").collect();
    let outcome = timeline.iter().find(|e| e.name == "ContestationResolved");
    Ok(json!({
        "task": task,
        "contester": raised.account,
        "raisedBlock": raised.block_number,
        "raisedAt": raised.timestamp,
        "solver": timeline.iter().find(|e| e.name == "SolutionSubmitted").and_then(|e| e.account.clone()),
        "yeas": votes.iter().filter(|v| v.fields["yea"] == json!(true)).count(),
        "nays": votes.iter().filter(|v| v.fields["yea"] == json!(false)).count(),
        "votes": votes.iter().map(|v| json!({ "voter": v.account, "yea": v.fields["yea"], "block": v.block_number })).collect::<Vec<_>>(),
        "outcome": outcome.map(|o| json!({
            "contestationWon": o.fields["contestationWon"], "block": o.block_number, "at": o.timestamp
        })),
    }))
}

/// One task's contestation, or `None`.
pub fn contestation(store: &Store, task: &str) -> Result<Option<Value>, StoreError> {
    let raised = store.events("e.name = 'ContestationSubmitted' AND e.task = ?1", &[&task], u64::MAX >> 1, 1)?;
    raised.first().map(|r| contestation_of(store, task, r)).transpose()
}

/// Governance proposals, newest first, with their votes.
pub fn proposals(store: &Store) -> Result<Vec<Value>, StoreError> {
    let created = store.events("e.name = 'ProposalCreated'", &[], u64::MAX >> 1, u32::MAX)?;
    let mut items = Vec::new();
    for proposal in &created {
        let id = proposal.proposal.clone().unwrap_or_default();
        let mut events = store.events("e.proposal = ?1", &[&id], u64::MAX >> 1, u32::MAX)?;
        events.reverse();
        let mut tally = [U256::ZERO; 3];
        let mut votes = Vec::new();
        for vote in events.iter().filter(|e| e.name.starts_with("VoteCast")) {
            let support = vote.fields["support"].as_u64().unwrap_or(0).min(2) as usize;
            tally[support] =
                tally[support].saturating_add(vote.amount.as_deref().unwrap_or("0").parse().unwrap_or_default());
            votes.push(json!({ "voter": vote.account, "support": support, "weight": vote.amount, "reason": vote.fields["reason"] }));
        }
        let last = events
            .iter()
            .rev()
            .find(|e| matches!(e.name.as_str(), "ProposalQueued" | "ProposalExecuted" | "ProposalCanceled"));
        items.push(json!({
            "id": id,
            "proposer": proposal.account,
            "description": proposal.fields["description"],
            "voteStart": proposal.fields["voteStart"],
            "voteEnd": proposal.fields["voteEnd"],
            "createdBlock": proposal.block_number,
            "lastEvent": last.map(|e| e.name.clone()),
            "against": tally[0].to_string(), "for": tally[1].to_string(), "abstain": tally[2].to_string(),
            "votes": votes,
        }));
    }
    Ok(items)
}

/// Every event naming `address`, newest first.
pub fn address_events(store: &Store, address: &str, before: u64, limit: u32) -> Result<Page<StoredEvent>, StoreError> {
    let events = store.events("e.account = ?1 OR e.other = ?1", &[&address], before, limit)?;
    let items = events.clone();
    Ok(page_of(&events, items, limit))
}

/// The live feed: every event, newest first.
pub fn feed(store: &Store, before: u64, limit: u32) -> Result<Page<StoredEvent>, StoreError> {
    let events = store.events("1 = 1", &[], before, limit)?;
    let items = events.clone();
    Ok(page_of(&events, items, limit))
}

/// Network figures.
pub fn stats(store: &Store) -> Result<Value, StoreError> {
    let conn = store.conn();
    let by_name = |name: &str| -> Result<u64, StoreError> {
        Ok(conn.query_row("SELECT COUNT(*) FROM events WHERE name = ?1", [name], |r| r.get::<_, i64>(0))? as u64)
    };
    let head = store.head()?;
    let (height, now) = head.map(|b| (b.number, b.timestamp)).unwrap_or_default();
    let recent: i64 = conn.query_row(
        "SELECT COUNT(*) FROM events e JOIN blocks b ON b.number = e.block_number
         WHERE e.name = 'TaskSubmitted' AND b.timestamp > ?1",
        [now.saturating_sub(600) as i64],
        |r| r.get(0),
    )?;
    let minted_rows = {
        let mut statement = conn.prepare_cached("SELECT fields FROM events WHERE name = 'RewardsMinted'")?;
        let rows = statement.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        rows.iter().filter_map(|f| serde_json::from_str::<Value>(f).ok()).collect::<Vec<_>>()
    };
    let field_sum = |name: &str| {
        minted_rows
            .iter()
            .filter_map(|f| f[name].as_str().and_then(|s| s.parse::<U256>().ok()))
            .fold(U256::ZERO, |a, b| a.saturating_add(b))
    };
    let emitted = field_sum("solver").saturating_add(field_sum("treasury")).saturating_add(field_sum("liquidity"));
    let reward_per_task = if minted_rows.is_empty() { U256::ZERO } else { emitted / U256::from(minted_rows.len()) };
    let staked = {
        let mut deposits = conn.prepare_cached("SELECT amount FROM events WHERE name = 'ValidatorDeposit'")?;
        let d = deposits.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        let mut withdraws = conn.prepare_cached("SELECT amount FROM events WHERE name = 'ValidatorWithdraw'")?;
        let w = withdraws.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        sum_amounts(d.iter().map(String::as_str)).saturating_sub(sum_amounts(w.iter().map(String::as_str)))
    };
    let first_time: Option<i64> =
        conn.query_row("SELECT timestamp FROM blocks ORDER BY number LIMIT 1", [], |r| r.get(0)).optional()?;
    Ok(json!({
        "height": height,
        "latestTimestamp": now,
        "firstTimestamp": first_time,
        "tasks": by_name("TaskSubmitted")?,
        "solutions": by_name("SolutionSubmitted")?,
        "claims": by_name("SolutionClaimed")?,
        "contestations": by_name("ContestationSubmitted")?,
        "retractions": by_name("TaskRetracted")?,
        "models": by_name("ModelRegistered")?,
        "tasksLast10Minutes": recent,
        "tasksPerMinute": recent as f64 / 10.0,
        "emitted": emitted.to_string(),
        "emittedToSolvers": field_sum("solver").to_string(),
        "emittedToTreasury": field_sum("treasury").to_string(),
        "emittedToLiquidity": field_sum("liquidity").to_string(),
        "rewardPerTask": reward_per_task.to_string(),
        "totalDeposited": staked.to_string(),
    }))
}

/// Emission over time: cumulative DML minted after each rewarded task, with
/// the block time, for the emission chart (the target curve is the engine's
/// `targetTs` view, read by the page from the chain).
pub fn emission(store: &Store) -> Result<Vec<Value>, StoreError> {
    let minted = store.events_named(&["RewardsMinted"])?;
    let mut total = U256::ZERO;
    Ok(minted
        .iter()
        .map(|e| {
            total = total.saturating_add(e.amount.as_deref().unwrap_or("0").parse().unwrap_or_default());
            json!({ "block": e.block_number, "at": e.timestamp, "emitted": total.to_string() })
        })
        .collect())
}

/// What a search string names: a task, a model, a transaction, an address
/// (an account seen in any event) or a CID (in a solution's or task's fields).
pub fn search(store: &Store, query: &str) -> Result<Vec<Value>, StoreError> {
    let q = query.trim().to_lowercase();
    let mut hits = Vec::new();
    let exists =
        |sql: &str| -> Result<bool, StoreError> { Ok(store.conn().query_row(sql, [&q], |r| r.get::<_, i64>(0))? > 0) };
    if q.len() == 66 && q.starts_with("0x") {
        if exists("SELECT COUNT(*) FROM events WHERE name = 'TaskSubmitted' AND task = ?1")? {
            hits.push(json!({ "kind": "task", "id": q }));
        }
        if exists("SELECT COUNT(*) FROM events WHERE name = 'ModelRegistered' AND model = ?1")? {
            hits.push(json!({ "kind": "model", "id": q }));
        }
        if exists("SELECT COUNT(*) FROM events WHERE tx_hash = ?1")? {
            hits.push(json!({ "kind": "transaction", "id": q }));
        }
    } else if q.len() == 42 && q.starts_with("0x") {
        if exists("SELECT COUNT(*) FROM events WHERE (name = 'ValidatorDeposit' AND other = ?1) OR (name = 'SolutionSubmitted' AND account = ?1)")? {
            hits.push(json!({ "kind": "solver", "id": q }));
        }
        if exists("SELECT COUNT(*) FROM events WHERE account = ?1 OR other = ?1")? {
            hits.push(json!({ "kind": "address", "id": q }));
        }
    }
    // A CID: base58btc as `ipfs add` prints it (case matters here).
    let cid = query.trim();
    if cid.starts_with("Qm") && cid.len() == 46 {
        let mut statement = store.conn().prepare_cached(
            "SELECT name, task, model FROM events WHERE json_extract(fields, '$.cid') = ?1
             ORDER BY block_number, log_index",
        )?;
        let rows = statement.query_map([cid], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?))
        })?;
        for row in rows {
            let (name, task, model) = row?;
            let hit = match (name.as_str(), task, model) {
                ("TaskSubmitted", Some(task), _) => json!({ "kind": "task", "id": task, "cid": "input" }),
                ("SolutionSubmitted", Some(task), _) => json!({ "kind": "task", "id": task, "cid": "output" }),
                ("ModelRegistered", _, Some(model)) => json!({ "kind": "model", "id": model, "cid": "template" }),
                _ => continue,
            };
            if !hits.contains(&hit) {
                hits.push(hit);
            }
        }
    }
    Ok(hits)
}
