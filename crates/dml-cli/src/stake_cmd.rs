//! `dml stake`: delegated stake (whitepaper §5, way 3). A DML holder
//! deposits to a registered solver's pool; the pool's stake counts toward
//! the solver's (up to the engine's cap ratio of its own stake), and every
//! claim of the solver credits the pool its share of the earnings after the
//! solver's commission. Undelegated stake unbonds for the engine's
//! `delegationUnbondingTime` (still slashable: it outlasts a claim window
//! and a vote) before `withdraw` pays it out. Rewards are paid by `claim`,
//! and also with every delegation or undelegation.
//!
//! The pools an account has delegated to are found from its
//! `StakeDelegated` logs, the solvers from the `ValidatorDeposit` logs, both
//! from the configured first block (`--from-block`). Solvers set their
//! terms with `commission` and `accept` (a `dml solver` does it at start-up
//! from its `commission` and `accept_delegations` settings).
//!
//! With `--json` each command prints one object; DML amounts (and pool
//! shares, which have 18 decimals like DML and are worth 1 DML each at par)
//! are exact decimal strings, commissions decimal percentages
//! (`"12.5"`), times Unix seconds:
//!
//! | command | object |
//! | --- | --- |
//! | `delegate` | `delegator`, `solver`, `amount`, `shares`, `stake` (the position after), `rewards_paid`, `transaction` |
//! | `undelegate` | `delegator`, `solver`, `index`, `amount`, `unlock_time`, `stake` (left), `rewards_paid`, `transaction` |
//! | `withdraw` | `delegator`, `to`, `withdrawn`: [{`solver`, `amount`, `transaction`}], `total` |
//! | `claim` | `delegator`, `claimed`: [{`solver`, `amount`, `transaction`}], `total` |
//! | `status` | `address`, `now`, `pools`: [{`solver`, `stake`, `shares`, `pending_rewards`, `unbonding`, `withdrawable`, `requests`: [{`index`, `amount`, `unlock_time`, `withdrawable`, `seconds_left`}]}] |
//! | `pools` | `from_block`, `to_block`, `pools`: [{`solver`, `commission_percent`, `next_commission_percent` and `next_commission_time` (null: none scheduled), `own_stake`, `delegated_stake`, `counted_stake`, `unbonding_stake`, `accepts_delegations`, `earned`: {`commission`, `pool`, `claims`}}] |
//! | `commission` | `solver`, `commission_percent`, `effective_time`, `scheduled`, `transaction` |
//! | `accept` | `solver`, `accepts_delegations`, `transaction` |

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, Log};
use alloy_sol_types::SolEvent;
use anyhow::{anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use dml_primitives::{IDmlToken, IEngine};
use dml_solver::Commission;
use serde_json::{json, Value};

use crate::client::{amount_arg, block_on, format_amount, print_json, receipt_event, Client, ClientArgs};
use crate::gov_format::{relative, when};

/// Delegated stake: delegate to a solver's pool, undelegate, withdraw, claim rewards; pools and positions.
#[derive(Debug, Subcommand)]
pub enum StakeCommand {
    /// Deposit AMOUNT DML of the signer's to SOLVER's pool (pays the rewards pending there first).
    Delegate(DelegateArgs),
    /// Start unbonding AMOUNT (or `all`) of the signer's stake in SOLVER's pool; withdraw it once unlocked.
    Undelegate(UndelegateArgs),
    /// Pay out every unlocked unbonding request: from --solver's pool, or from every pool.
    Withdraw(WithdrawArgs),
    /// Pay the rewards pending for the signer: from SOLVER's pool, or from every pool.
    Claim(ClaimArgs),
    /// Show an account's positions: stake, shares, pending rewards and unbonding requests per pool.
    Status(StatusArgs),
    /// List every solver's pool: commission, own, delegated and counted stake, recent earnings.
    Pools(PoolsArgs),
    /// As a solver: set the commission kept from claims before the pool is paid (a raise waits out the cooldown).
    Commission(CommissionArgs),
    /// As a solver: open (`on`) or close (`off`) the pool to new delegations.
    Accept(AcceptArgs),
}

/// An amount of DML, or `all` of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountOrAll {
    /// The whole position.
    All,
    /// Exactly this much (base units).
    Exact(U256),
}

/// clap value parser for `AMOUNT|all`.
fn amount_or_all(text: &str) -> Result<AmountOrAll, String> {
    if text.eq_ignore_ascii_case("all") {
        return Ok(AmountOrAll::All);
    }
    amount_arg(text).map(AmountOrAll::Exact)
}

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Take new delegations.
    On,
    /// Refuse new delegations (existing ones stay).
    Off,
}

/// `dml stake delegate`.
#[derive(Debug, Args)]
pub struct DelegateArgs {
    /// The solver whose pool receives the stake.
    pub solver: Address,
    /// DML to delegate, as an exact decimal like 1.5 (at least 0.001).
    #[arg(value_parser = amount_arg, allow_negative_numbers = true)]
    pub amount: U256,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml stake undelegate`.
#[derive(Debug, Args)]
pub struct UndelegateArgs {
    /// The solver whose pool the stake leaves.
    pub solver: Address,
    /// DML to undelegate, or `all`.
    #[arg(value_parser = amount_or_all, allow_negative_numbers = true, value_name = "AMOUNT|all")]
    pub amount: AmountOrAll,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml stake withdraw`.
#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// Only this solver's pool (default: every pool with unlocked requests).
    #[arg(long, value_name = "ADDRESS")]
    pub solver: Option<Address>,
    /// Pay to this address (default: the signer).
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<Address>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml stake claim`.
#[derive(Debug, Args)]
pub struct ClaimArgs {
    /// Only this solver's pool (default: every pool with rewards pending).
    pub solver: Option<Address>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml stake status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The delegator (default: the signer).
    pub address: Option<Address>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml stake pools`.
#[derive(Debug, Args)]
pub struct PoolsArgs {
    /// Sum each pool's earnings over this many latest blocks.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub blocks: u64,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml stake commission`.
#[derive(Debug, Args)]
pub struct CommissionArgs {
    /// The commission, a percentage like 5% or 12.5 (at most the engine's maximum).
    #[arg(value_name = "PCT")]
    pub commission: Commission,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml stake accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// `on` to take new delegations, `off` to refuse them.
    #[arg(value_enum)]
    pub switch: Switch,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Runs a `dml stake` subcommand.
pub fn run(command: StakeCommand) -> anyhow::Result<()> {
    let client_args = match &command {
        StakeCommand::Delegate(args) => &args.client,
        StakeCommand::Undelegate(args) => &args.client,
        StakeCommand::Withdraw(args) => &args.client,
        StakeCommand::Claim(args) => &args.client,
        StakeCommand::Status(args) => &args.client,
        StakeCommand::Pools(args) => &args.client,
        StakeCommand::Commission(args) => &args.client,
        StakeCommand::Accept(args) => &args.client,
    };
    if client_args.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        match command {
            StakeCommand::Delegate(args) => delegate(args).await,
            StakeCommand::Undelegate(args) => undelegate(args).await,
            StakeCommand::Withdraw(args) => withdraw(args).await,
            StakeCommand::Claim(args) => claim(args).await,
            StakeCommand::Status(args) => status(args).await,
            StakeCommand::Pools(args) => pools(args).await,
            StakeCommand::Commission(args) => commission(args).await,
            StakeCommand::Accept(args) => accept(args).await,
        }
    })
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

/// The time a transaction sent now would see (the engine's views run at it):
/// the token's ERC-6372 clock, which counts in seconds.
async fn chain_now(client: &Client) -> anyhow::Result<u64> {
    let clock = client.view(client.token, IDmlToken::clockCall {}).await?;
    Ok(clock.to::<u64>())
}

/// A commission from the engine as a percentage (`"12.5"`); the raw value
/// should the engine ever report one above 100 %.
pub(crate) fn percent(wad: U256) -> String {
    Commission::from_wad(wad).map_or_else(|| format!("{wad} (1e18 = 100%)"), |c| c.percent())
}

/// Whether `address` ever staked as a validator (the engine's "registered").
async fn is_solver(client: &Client, address: Address) -> anyhow::Result<bool> {
    Ok(!client.engine_view(IEngine::validatorsCall { addr: address }).await?.addr.is_zero())
}

/// Distinct addresses in first-seen order.
fn distinct(addresses: impl IntoIterator<Item = Address>) -> Vec<Address> {
    let mut seen = Vec::new();
    for address in addresses {
        if !seen.contains(&address) {
            seen.push(address);
        }
    }
    seen
}

/// The solvers `delegator` ever delegated to, from its `StakeDelegated` logs.
async fn pools_of(client: &Client, delegator: Address) -> anyhow::Result<Vec<Address>> {
    let filter = Filter::new().event_signature(IEngine::StakeDelegated::SIGNATURE_HASH).topic1(delegator.into_word());
    let logs = client.engine_logs(filter).await?;
    Ok(distinct(
        logs.iter().filter_map(|log| IEngine::StakeDelegated::decode_log_data(log.data()).ok()).map(|e| e.solver),
    ))
}

/// One unbonding request.
struct Request {
    index: U256,
    amount: U256,
    unlock_time: u64,
    /// Unlocked, and so is every older one (a withdrawal stops at the oldest locked request).
    withdrawable: bool,
}

/// A delegator's position in one pool.
struct Position {
    solver: Address,
    stake: U256,
    shares: U256,
    pending: U256,
    unbonding: U256,
    withdrawable: U256,
    requests: Vec<Request>,
}

impl Position {
    fn is_empty(&self) -> bool {
        self.shares.is_zero() && self.pending.is_zero() && self.requests.is_empty()
    }

    /// The oldest request still locked.
    fn next_unlock(&self) -> Option<&Request> {
        self.requests.iter().find(|r| !r.withdrawable)
    }
}

async fn position(client: &Client, delegator: Address, solver: Address, now: u64) -> anyhow::Result<Position> {
    let d = client.engine_view(IEngine::delegationCall { delegator, solver }).await?;
    let mut requests = Vec::new();
    let mut all_unlocked = true;
    let mut index = d.firstRequest;
    while index < d.endRequest {
        let r = client.engine_view(IEngine::delegationUnbondingRequestCall { delegator, solver, index }).await?;
        let unlock_time = r.unlockTime.saturating_to::<u64>();
        all_unlocked &= unlock_time <= now;
        requests.push(Request { index, amount: r.amount, unlock_time, withdrawable: all_unlocked });
        index += U256::from(1u8);
    }
    Ok(Position {
        solver,
        stake: d.stake,
        shares: d.shares,
        pending: d.pendingRewards,
        unbonding: d.unbonding,
        withdrawable: d.withdrawable,
        requests,
    })
}

/// Every non-empty position of `delegator`.
async fn positions(client: &Client, delegator: Address, now: u64) -> anyhow::Result<Vec<Position>> {
    let mut found = Vec::new();
    for solver in pools_of(client, delegator).await? {
        let position = position(client, delegator, solver, now).await?;
        if !position.is_empty() {
            found.push(position);
        }
    }
    Ok(found)
}

/// The block timestamp of a log (from the node when the log lacks it).
async fn log_time(client: &Client, log: &Log) -> anyhow::Result<u64> {
    if let Some(time) = log.block_timestamp {
        return Ok(time);
    }
    let number = log.block_number.ok_or_else(|| anyhow!("a log without a block number"))?;
    let block = client
        .provider()
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await
        .map_err(|error| anyhow!("eth_getBlockByNumber {number} failed: {error}"))?
        .ok_or_else(|| anyhow!("the node has no block {number}"))?;
    Ok(block.header.timestamp)
}

// ---------------------------------------------------------------------------
// Delegator commands
// ---------------------------------------------------------------------------

async fn delegate(args: DelegateArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let me = client.sender()?;
    let solver = args.solver;
    if !is_solver(&client, solver).await? {
        bail!("delegate refused: {solver} is not a solver (it never staked; `dml stake pools` lists the solvers)");
    }
    if !client.engine_view(IEngine::delegationPoolCall { solver }).await?.acceptsDelegations {
        bail!("delegate refused: solver {solver} does not accept delegations");
    }
    let call = IEngine::delegateStakeCall { solver_: solver, amount_: args.amount };
    let receipt = client.send_engine(call, "delegate").await?;
    let event: IEngine::StakeDelegated = receipt_event(&receipt, client.engine)
        .ok_or_else(|| anyhow!("the delegation succeeded but no StakeDelegated was emitted"))?;
    let paid =
        receipt_event::<IEngine::DelegationRewardsPaid>(&receipt, client.engine).map_or(U256::ZERO, |e| e.amount);
    let after = client.engine_view(IEngine::delegationCall { delegator: me, solver }).await?;
    if client.json {
        return print_json(&json!({
            "delegator": me,
            "solver": solver,
            "amount": format_amount(event.amount),
            "shares": format_amount(event.shares),
            "stake": format_amount(after.stake),
            "rewards_paid": format_amount(paid),
            "transaction": receipt.transaction_hash,
        }));
    }
    println!(
        "delegated {} DML to {solver} (your stake there: {} DML) in transaction {}",
        format_amount(event.amount),
        format_amount(after.stake),
        receipt.transaction_hash
    );
    if !paid.is_zero() {
        println!("paid {} DML of rewards pending in that pool", format_amount(paid));
    }
    Ok(())
}

async fn undelegate(args: UndelegateArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let me = client.sender()?;
    let solver = args.solver;
    let delegated = client.engine_view(IEngine::delegationCall { delegator: me, solver }).await?.stake;
    let amount = match args.amount {
        AmountOrAll::All if delegated.is_zero() => {
            bail!("undelegate refused: {me} has nothing delegated to {solver}")
        }
        // The largest amount: the engine takes all of it, whatever it is
        // worth when the transaction runs (another delegator leaving first
        // can change that by a wei).
        AmountOrAll::All => U256::MAX,
        AmountOrAll::Exact(amount) if amount > delegated => bail!(
            "undelegate refused: amount exceeds delegated stake: {} DML asked, {} DML delegated to {solver}",
            format_amount(amount),
            format_amount(delegated)
        ),
        AmountOrAll::Exact(amount) => amount,
    };
    let receipt =
        client.send_engine(IEngine::undelegateStakeCall { solver_: solver, amount_: amount }, "undelegate").await?;
    let event: IEngine::StakeUndelegated = receipt_event(&receipt, client.engine)
        .ok_or_else(|| anyhow!("the undelegation succeeded but no StakeUndelegated was emitted"))?;
    let paid =
        receipt_event::<IEngine::DelegationRewardsPaid>(&receipt, client.engine).map_or(U256::ZERO, |e| e.amount);
    let left = client.engine_view(IEngine::delegationCall { delegator: me, solver }).await?.stake;
    let unlock = event.unlockTime.saturating_to::<u64>();
    if client.json {
        return print_json(&json!({
            "delegator": me,
            "solver": solver,
            "index": event.index.to_string(),
            "amount": format_amount(event.amount),
            "unlock_time": unlock,
            "stake": format_amount(left),
            "rewards_paid": format_amount(paid),
            "transaction": receipt.transaction_hash,
        }));
    }
    let now = chain_now(&client).await?;
    println!(
        "unbonding {} DML from {solver} (request {}); withdrawable {} with `dml stake withdraw`; transaction {}",
        format_amount(event.amount),
        event.index,
        when(unlock, now),
        receipt.transaction_hash
    );
    if !paid.is_zero() {
        println!("paid {} DML of rewards pending in that pool", format_amount(paid));
    }
    Ok(())
}

async fn withdraw(args: WithdrawArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let me = client.sender()?;
    let to = args.to.unwrap_or(me);
    let now = chain_now(&client).await?;
    let candidates = match args.solver {
        Some(solver) => vec![position(&client, me, solver, now).await?],
        None => positions(&client, me, now).await?,
    };
    let ready: Vec<&Position> =
        candidates.iter().filter(|p| p.requests.first().is_some_and(|r| r.withdrawable)).collect();
    if ready.is_empty() {
        let pool = match args.solver {
            Some(solver) => format!(" in {solver}'s pool"),
            None => String::new(),
        };
        let next = candidates.iter().filter_map(Position::next_unlock).min_by_key(|r| r.unlock_time);
        match next {
            None => bail!("withdraw refused: no unbonding requests{pool} (start one with `dml stake undelegate`)"),
            Some(request) => bail!(
                "withdraw refused: unbonding not finished{pool}: the next request ({} DML) unlocks {}",
                format_amount(request.amount),
                when(request.unlock_time, now)
            ),
        }
    }
    let mut withdrawn = Vec::new();
    let mut total = U256::ZERO;
    for position in ready {
        let call = IEngine::withdrawDelegationCall { solver_: position.solver, to_: to };
        let receipt = client.send_engine(call, "withdraw").await?;
        let event: IEngine::DelegationWithdrawn = receipt_event(&receipt, client.engine)
            .ok_or_else(|| anyhow!("the withdrawal succeeded but no DelegationWithdrawn was emitted"))?;
        total += event.amount;
        withdrawn.push((position.solver, event.amount, receipt.transaction_hash));
    }
    if client.json {
        let items: Vec<Value> = withdrawn
            .iter()
            .map(
                |(solver, amount, tx)| json!({ "solver": solver, "amount": format_amount(*amount), "transaction": tx }),
            )
            .collect();
        return print_json(&json!({ "delegator": me, "to": to, "withdrawn": items, "total": format_amount(total) }));
    }
    for (solver, amount, tx) in &withdrawn {
        println!("withdrew {} DML from {solver}'s pool to {to} in transaction {tx}", format_amount(*amount));
    }
    Ok(())
}

async fn claim(args: ClaimArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let me = client.sender()?;
    let now = chain_now(&client).await?;
    let candidates = match args.solver {
        Some(solver) => vec![position(&client, me, solver, now).await?],
        None => positions(&client, me, now).await?,
    };
    let mut claimed = Vec::new();
    let mut total = U256::ZERO;
    for position in candidates.iter().filter(|p| !p.pending.is_zero()) {
        let call = IEngine::claimDelegationRewardsCall { solver_: position.solver };
        let receipt = client.send_engine(call, "claim").await?;
        let paid =
            receipt_event::<IEngine::DelegationRewardsPaid>(&receipt, client.engine).map_or(U256::ZERO, |e| e.amount);
        total += paid;
        claimed.push((position.solver, paid, receipt.transaction_hash));
    }
    if client.json {
        let items: Vec<Value> = claimed
            .iter()
            .map(
                |(solver, amount, tx)| json!({ "solver": solver, "amount": format_amount(*amount), "transaction": tx }),
            )
            .collect();
        return print_json(&json!({ "delegator": me, "claimed": items, "total": format_amount(total) }));
    }
    if claimed.is_empty() {
        match args.solver {
            Some(solver) => println!("no rewards pending for {me} in {solver}'s pool"),
            None => println!("no rewards pending for {me}"),
        }
    }
    for (solver, amount, tx) in &claimed {
        println!("claimed {} DML of rewards from {solver}'s pool in transaction {tx}", format_amount(*amount));
    }
    Ok(())
}

async fn status(args: StatusArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let address = client.address_or_sender(args.address)?;
    let now = chain_now(&client).await?;
    let found = positions(&client, address, now).await?;
    if client.json {
        let pools: Vec<Value> = found
            .iter()
            .map(|p| {
                let requests: Vec<Value> = p
                    .requests
                    .iter()
                    .map(|r| {
                        json!({
                            "index": r.index.to_string(),
                            "amount": format_amount(r.amount),
                            "unlock_time": r.unlock_time,
                            "withdrawable": r.withdrawable,
                            "seconds_left": r.unlock_time.saturating_sub(now),
                        })
                    })
                    .collect();
                json!({
                    "solver": p.solver,
                    "stake": format_amount(p.stake),
                    "shares": format_amount(p.shares),
                    "pending_rewards": format_amount(p.pending),
                    "unbonding": format_amount(p.unbonding),
                    "withdrawable": format_amount(p.withdrawable),
                    "requests": requests,
                })
            })
            .collect();
        return print_json(&json!({ "address": address, "now": now, "pools": pools }));
    }
    if found.is_empty() {
        println!("{address} has no delegated stake (`dml stake pools` lists the solvers to delegate to)");
        return Ok(());
    }
    println!("delegator {address}");
    for p in &found {
        println!();
        println!("pool {}", p.solver);
        println!("  stake            {} DML ({} shares)", format_amount(p.stake), format_amount(p.shares));
        println!("  pending rewards  {} DML", format_amount(p.pending));
        if !p.requests.is_empty() {
            println!(
                "  unbonding        {} DML ({} DML withdrawable)",
                format_amount(p.unbonding),
                format_amount(p.withdrawable)
            );
        }
        for r in &p.requests {
            let state = if r.withdrawable {
                "withdrawable".to_string()
            } else {
                format!("unlocks {}", when(r.unlock_time, now))
            };
            println!("  request {:<8} {} DML, {state}", r.index, format_amount(r.amount));
        }
    }
    Ok(())
}

/// One pool's earnings in the block range `pools` sums over.
#[derive(Default)]
struct Earned {
    commission: U256,
    pool: U256,
    claims: u64,
}

async fn pools(args: PoolsArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let now = chain_now(&client).await?;
    let deposits = client.engine_logs(Filter::new().event_signature(IEngine::ValidatorDeposit::SIGNATURE_HASH)).await?;
    let solvers = distinct(
        deposits
            .iter()
            .filter_map(|log| IEngine::ValidatorDeposit::decode_log_data(log.data()).ok())
            .map(|e| e.validator),
    );
    let (head, _) = client.head().await?;
    let from = head.saturating_sub(args.blocks.saturating_sub(1)).max(client.settings.from_block);
    let rewards = client
        .engine_logs_between(Filter::new().event_signature(IEngine::DelegationRewards::SIGNATURE_HASH), from, head)
        .await?;
    let mut earned: BTreeMap<Address, Earned> = BTreeMap::new();
    for event in rewards.iter().filter_map(|log| IEngine::DelegationRewards::decode_log_data(log.data()).ok()) {
        let entry = earned.entry(event.solver).or_default();
        entry.commission += event.commission;
        entry.pool += event.pool;
        entry.claims += 1;
    }
    let mut rows = Vec::new();
    for solver in solvers {
        let pool = client.engine_view(IEngine::delegationPoolCall { solver }).await?;
        let stake = client.engine_view(IEngine::solverStakeCall { solver }).await?;
        rows.push((solver, pool, stake));
    }
    if client.json {
        let items: Vec<Value> = rows
            .iter()
            .map(|(solver, pool, stake)| {
                let scheduled = !pool.nextCommissionTime.is_zero();
                let e = earned.get(solver);
                json!({
                    "solver": solver,
                    "commission_percent": percent(pool.commission),
                    "next_commission_percent": scheduled.then(|| percent(pool.nextCommission)),
                    "next_commission_time": scheduled.then(|| pool.nextCommissionTime.saturating_to::<u64>()),
                    "own_stake": format_amount(stake.own),
                    "delegated_stake": format_amount(stake.delegated),
                    "counted_stake": format_amount(stake.counted),
                    "unbonding_stake": format_amount(pool.unbondingStake),
                    "accepts_delegations": pool.acceptsDelegations,
                    "earned": {
                        "commission": format_amount(e.map_or(U256::ZERO, |e| e.commission)),
                        "pool": format_amount(e.map_or(U256::ZERO, |e| e.pool)),
                        "claims": e.map_or(0, |e| e.claims),
                    },
                })
            })
            .collect();
        return print_json(&json!({ "from_block": from, "to_block": head, "pools": items }));
    }
    if rows.is_empty() {
        println!("no solvers yet (a solver is an address that staked with `dml validator deposit`)");
        return Ok(());
    }
    println!(
        "{:<42}  {:>10}  {:>12}  {:>12}  {:>12}  {:>7}  earned in blocks {from}..={head} (to pool)",
        "solver", "commission", "own stake", "delegated", "counted", "accepts"
    );
    for (solver, pool, stake) in &rows {
        let e = earned.get(solver);
        let (commission, to_pool) = e.map_or((U256::ZERO, U256::ZERO), |e| (e.commission, e.pool));
        println!(
            "{:<42}  {:>10}  {:>12}  {:>12}  {:>12}  {:>7}  {} DML ({} DML)",
            solver.to_string(),
            format!("{}%", percent(pool.commission)),
            format_amount(stake.own),
            format_amount(stake.delegated),
            format_amount(stake.counted),
            if pool.acceptsDelegations { "yes" } else { "no" },
            format_amount(commission + to_pool),
            format_amount(to_pool),
        );
        if !pool.nextCommissionTime.is_zero() {
            let at = pool.nextCommissionTime.saturating_to::<u64>();
            println!("    commission becomes {}% {}", percent(pool.nextCommission), when(at, now));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Solver commands
// ---------------------------------------------------------------------------

async fn commission(args: CommissionArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let me = client.sender()?;
    if !is_solver(&client, me).await? {
        bail!("commission refused: {me} is not a solver (stake first with `dml validator deposit`)");
    }
    let maximum = client.engine_view(IEngine::maxDelegationCommissionCall {}).await?;
    if args.commission.wad() > maximum {
        let maximum = Commission::from_wad(maximum).map_or_else(|| maximum.to_string(), |m| m.to_string());
        bail!("commission refused: commission above the maximum: {} asked, at most {maximum}", args.commission);
    }
    let call = IEngine::setDelegationCommissionCall { commission_: args.commission.wad() };
    let receipt = match client.send_engine(call, "commission").await {
        Ok(receipt) => receipt,
        Err(error) if error.to_string().contains("commission changed within the cooldown") => {
            bail!("{error}{}", cooldown_context(&client, me).await.unwrap_or_default())
        }
        Err(error) => return Err(error),
    };
    let event: IEngine::DelegationCommissionChanged = receipt_event(&receipt, client.engine)
        .ok_or_else(|| anyhow!("the commission was set but no DelegationCommissionChanged was emitted"))?;
    let effective = event.effectiveTime.saturating_to::<u64>();
    let mined_at = match receipt.block_number {
        Some(number) => client
            .provider()
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .ok()
            .flatten()
            .map_or(effective, |block| block.header.timestamp),
        None => effective,
    };
    let scheduled = effective > mined_at;
    if client.json {
        return print_json(&json!({
            "solver": me,
            "commission_percent": args.commission.percent(),
            "effective_time": effective,
            "scheduled": scheduled,
            "transaction": receipt.transaction_hash,
        }));
    }
    if scheduled {
        println!(
            "commission becomes {} {} (a raise waits out the cooldown, so delegators can leave first); transaction {}",
            args.commission,
            when(effective, mined_at),
            receipt.transaction_hash
        );
    } else {
        println!("commission is now {} in transaction {}", args.commission, receipt.transaction_hash);
    }
    Ok(())
}

/// When `solver` last changed its commission and when it may again, from
/// its last `DelegationCommissionChanged` log (`None` when unknown).
async fn cooldown_context(client: &Client, solver: Address) -> Option<String> {
    let filter =
        Filter::new().event_signature(IEngine::DelegationCommissionChanged::SIGNATURE_HASH).topic1(solver.into_word());
    let logs = client.engine_logs(filter).await.ok()?;
    let changed = log_time(client, logs.last()?).await.ok()?;
    let cooldown = client.engine_view(IEngine::delegationCommissionCooldownCall {}).await.ok()?.saturating_to::<u64>();
    let now = chain_now(client).await.ok()?;
    Some(format!(
        " (the last change was {}; the next is allowed {})",
        relative(changed, now),
        when(changed.saturating_add(cooldown), now)
    ))
}

async fn accept(args: AcceptArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let me = client.sender()?;
    if !is_solver(&client, me).await? {
        bail!("accept refused: {me} is not a solver (stake first with `dml validator deposit`)");
    }
    let on = args.switch == Switch::On;
    let receipt = client.send_engine(IEngine::setAcceptDelegationsCall { accept_: on }, "accept").await?;
    if client.json {
        return print_json(&json!({
            "solver": me,
            "accepts_delegations": on,
            "transaction": receipt.transaction_hash,
        }));
    }
    let what = if on { "takes new delegations" } else { "refuses new delegations (existing ones stay)" };
    println!("the pool of {me} {what}; transaction {}", receipt.transaction_hash);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_or_all_parse() {
        assert_eq!(amount_or_all("all"), Ok(AmountOrAll::All));
        assert_eq!(amount_or_all("ALL"), Ok(AmountOrAll::All));
        assert_eq!(amount_or_all("1.5"), Ok(AmountOrAll::Exact(U256::from(1_500_000_000_000_000_000u128))));
        assert!(amount_or_all("most").unwrap_err().contains("not a decimal"));
    }

    #[test]
    fn addresses_are_listed_once_in_first_seen_order() {
        let (a, b, c) = (Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3));
        assert_eq!(distinct([b, a, b, c, a]), [b, a, c]);
    }
}
