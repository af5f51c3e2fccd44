//! Decoding the logs the indexer stores: engine, token and governor events
//! become one row shape with the columns the read API filters on.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEventInterface;
use dml_primitives::{IDmlToken::IDmlTokenEvents, IEngine::IEngineEvents};
use serde_json::{json, Value};

// `sol!` gives each event a constructor taking every field; `ProposalCreated` has nine.
#[allow(clippy::too_many_arguments)]
mod governor_abi {
    alloy_sol_types::sol! {
        /// The events of OpenZeppelin 5's `Governor` that the explorer shows.
        #[derive(Debug)]
        interface IGovernorEvents {
            event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description);
            event ProposalQueued(uint256 proposalId, uint256 etaSeconds);
            event ProposalExecuted(uint256 proposalId);
            event ProposalCanceled(uint256 proposalId);
            event VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason);
            event VoteCastWithParams(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason, bytes params);
        }
    }
}
use governor_abi::IGovernorEvents;

/// Which contract a log came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The engine.
    Engine,
    /// The DML token.
    Token,
    /// The governor.
    Governor,
}

impl Source {
    /// The name stored in the `source` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Engine => "engine",
            Source::Token => "token",
            Source::Governor => "governor",
        }
    }
}

/// One decoded log, in the columns of the `events` table.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedEvent {
    /// The event's name (`TaskSubmitted`, `Transfer`, …); `Unknown` for a
    /// log whose signature the indexer does not know.
    pub name: String,
    /// The task it is about, if any.
    pub task: Option<B256>,
    /// The model it is about, if any.
    pub model: Option<B256>,
    /// The account that acted (sender, solver, voter, `from`).
    pub account: Option<Address>,
    /// A second account (validator, recipient, `to`, delegate).
    pub other: Option<Address>,
    /// The amount it moves or names, in wei.
    pub amount: Option<U256>,
    /// A governance proposal id, if any.
    pub proposal: Option<U256>,
    /// Every field, by name, as JSON (amounts as decimal strings).
    pub fields: Value,
}

impl DecodedEvent {
    fn named(name: &str, fields: Value) -> Self {
        DecodedEvent {
            name: name.into(),
            task: None,
            model: None,
            account: None,
            other: None,
            amount: None,
            proposal: None,
            fields,
        }
    }
    fn task(mut self, task: B256) -> Self {
        self.task = Some(task);
        self
    }
    fn model(mut self, model: B256) -> Self {
        self.model = Some(model);
        self
    }
    fn account(mut self, account: Address) -> Self {
        self.account = Some(account);
        self
    }
    fn other(mut self, other: Address) -> Self {
        self.other = Some(other);
        self
    }
    fn amount(mut self, amount: U256) -> Self {
        self.amount = Some(amount);
        self
    }
    fn proposal(mut self, proposal: U256) -> Self {
        self.proposal = Some(proposal);
        self
    }
}

/// A decimal string, the way the API writes every amount (JSON numbers lose
/// precision past 2^53).
fn dec(value: U256) -> Value {
    Value::String(value.to_string())
}

/// Decodes one log of `source`. A log that does not decode is kept as
/// `Unknown` with its raw topics and data, so nothing the chain said is lost.
pub fn decode(source: Source, topics: &[B256], data: &[u8]) -> DecodedEvent {
    let decoded = match source {
        Source::Engine => IEngineEvents::decode_raw_log(topics, data).ok().map(engine_event),
        Source::Token => IDmlTokenEvents::decode_raw_log(topics, data).ok().map(token_event),
        Source::Governor => {
            IGovernorEvents::IGovernorEventsEvents::decode_raw_log(topics, data).ok().map(governor_event)
        }
    };
    decoded.unwrap_or_else(|| {
        DecodedEvent::named(
            "Unknown",
            json!({ "topics": topics, "data": alloy_primitives::hex::encode_prefixed(data) }),
        )
    })
}

/// The variant's name as `sol!` spelled it (its `Debug` prefix).
fn variant_name(event: &impl std::fmt::Debug) -> String {
    let text = format!("{event:?}");
    text.split(['(', ' ', '{']).next().unwrap_or("Unknown").to_string()
}

fn engine_event(event: IEngineEvents) -> DecodedEvent {
    use IEngineEvents as E;
    let name = variant_name(&event);
    let base = |fields: Value| DecodedEvent::named(&name, fields);
    match event {
        E::ModelRegistered(e) => base(json!({ "id": e.id })).model(e.id),
        E::ValidatorDeposit(e) => base(json!({ "addr": e.addr, "validator": e.validator, "amount": dec(e.amount) }))
            .account(e.addr)
            .other(e.validator)
            .amount(e.amount),
        E::ValidatorWithdrawInitiated(e) => base(json!({
            "addr": e.addr, "count": dec(e.count), "unlockTime": dec(e.unlockTime), "amount": dec(e.amount)
        }))
        .account(e.addr)
        .amount(e.amount),
        E::ValidatorWithdrawCancelled(e) => base(json!({ "addr": e.addr, "count": dec(e.count) })).account(e.addr),
        E::ValidatorWithdraw(e) => {
            base(json!({ "addr": e.addr, "to": e.to, "count": dec(e.count), "amount": dec(e.amount) }))
                .account(e.addr)
                .other(e.to)
                .amount(e.amount)
        }
        E::TaskSubmitted(e) => base(json!({ "id": e.id, "model": e.model, "fee": dec(e.fee), "sender": e.sender }))
            .task(e.id)
            .model(e.model)
            .account(e.sender)
            .amount(e.fee),
        E::TaskRetracted(e) => base(json!({ "id": e.id })).task(e.id),
        E::SignalCommitment(e) => base(json!({ "addr": e.addr, "commitment": e.commitment })).account(e.addr),
        E::SolutionSubmitted(e) => base(json!({ "addr": e.addr, "task": e.task })).task(e.task).account(e.addr),
        E::SolutionClaimed(e) => base(json!({ "addr": e.addr, "task": e.task })).task(e.task).account(e.addr),
        E::ContestationSubmitted(e) => base(json!({ "addr": e.addr, "task": e.task })).task(e.task).account(e.addr),
        E::ContestationVote(e) => {
            base(json!({ "addr": e.addr, "task": e.task, "yea": e.yea })).task(e.task).account(e.addr)
        }
        E::ContestationVoteFinish(e) => {
            base(json!({ "id": e.id, "start_idx": e.start_idx, "end_idx": e.end_idx })).task(e.id)
        }
        E::SignalSupport(e) => {
            base(json!({ "addr": e.addr, "model": e.model, "supported": e.supported })).model(e.model).account(e.addr)
        }
        E::RewardsMinted(e) => base(json!({
            "task": e.task, "solver": dec(e.solver), "treasury": dec(e.treasury), "liquidity": dec(e.liquidity)
        }))
        .task(e.task)
        .amount(e.solver + e.treasury + e.liquidity),
        E::ContestationResolved(e) => base(json!({
            "task": e.task, "contestationWon": e.contestationWon, "yeas": dec(e.yeas), "nays": dec(e.nays)
        }))
        .task(e.task),
        E::StakeDelegated(e) => base(json!({
            "delegator": e.delegator, "solver": e.solver, "amount": dec(e.amount), "shares": dec(e.shares)
        }))
        .account(e.delegator)
        .other(e.solver)
        .amount(e.amount),
        E::StakeUndelegated(e) => base(json!({
            "delegator": e.delegator, "solver": e.solver, "index": dec(e.index),
            "amount": dec(e.amount), "unlockTime": dec(e.unlockTime)
        }))
        .account(e.delegator)
        .other(e.solver)
        .amount(e.amount),
        E::DelegationWithdrawn(e) => {
            base(json!({ "delegator": e.delegator, "solver": e.solver, "to": e.to, "amount": dec(e.amount) }))
                .account(e.delegator)
                .other(e.solver)
                .amount(e.amount)
        }
        E::DelegationRewards(e) => base(json!({
            "task": e.task, "solver": e.solver, "commission": dec(e.commission), "pool": dec(e.pool)
        }))
        .task(e.task)
        .account(e.solver)
        .amount(e.commission + e.pool),
        E::DelegationSlashed(e) => base(json!({
            "task": e.task, "solver": e.solver, "stake": dec(e.stake), "unbonding": dec(e.unbonding)
        }))
        .task(e.task)
        .account(e.solver)
        .amount(e.stake + e.unbonding),
        other => {
            // Parameter changes and the rest: every field through its ABI
            // encoding would lose names, so keep the debug form readable.
            let text = format!("{other:?}");
            base(json!({ "debug": text }))
        }
    }
}

fn token_event(event: IDmlTokenEvents) -> DecodedEvent {
    use IDmlTokenEvents as T;
    let name = variant_name(&event);
    let base = |fields: Value| DecodedEvent::named(&name, fields);
    match event {
        T::Transfer(e) => base(json!({ "from": e.from, "to": e.to, "value": dec(e.value) }))
            .account(e.from)
            .other(e.to)
            .amount(e.value),
        T::Approval(e) => base(json!({ "owner": e.owner, "spender": e.spender, "value": dec(e.value) }))
            .account(e.owner)
            .other(e.spender)
            .amount(e.value),
        T::DelegateChanged(e) => base(json!({
            "delegator": e.delegator, "fromDelegate": e.fromDelegate, "toDelegate": e.toDelegate
        }))
        .account(e.delegator)
        .other(e.toDelegate),
        T::DelegateVotesChanged(e) => base(json!({
            "delegate": e.delegate, "previousVotes": dec(e.previousVotes), "newVotes": dec(e.newVotes)
        }))
        .account(e.delegate)
        .amount(e.newVotes),
    }
}

fn governor_event(event: IGovernorEvents::IGovernorEventsEvents) -> DecodedEvent {
    use IGovernorEvents::IGovernorEventsEvents as G;
    let name = variant_name(&event);
    let base = |fields: Value| DecodedEvent::named(&name, fields);
    match event {
        G::ProposalCreated(e) => base(json!({
            "proposalId": dec(e.proposalId), "proposer": e.proposer, "targets": e.targets,
            "values": e.values.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
            "calldatas": e.calldatas, "voteStart": dec(e.voteStart), "voteEnd": dec(e.voteEnd),
            "description": e.description,
        }))
        .account(e.proposer)
        .proposal(e.proposalId),
        G::ProposalQueued(e) => {
            base(json!({ "proposalId": dec(e.proposalId), "etaSeconds": dec(e.etaSeconds) })).proposal(e.proposalId)
        }
        G::ProposalExecuted(e) => base(json!({ "proposalId": dec(e.proposalId) })).proposal(e.proposalId),
        G::ProposalCanceled(e) => base(json!({ "proposalId": dec(e.proposalId) })).proposal(e.proposalId),
        G::VoteCast(e) => base(json!({
            "voter": e.voter, "proposalId": dec(e.proposalId), "support": e.support,
            "weight": dec(e.weight), "reason": e.reason,
        }))
        .account(e.voter)
        .amount(e.weight)
        .proposal(e.proposalId),
        G::VoteCastWithParams(e) => base(json!({
            "voter": e.voter, "proposalId": dec(e.proposalId), "support": e.support,
            "weight": dec(e.weight), "reason": e.reason, "params": e.params,
        }))
        .account(e.voter)
        .amount(e.weight)
        .proposal(e.proposalId),
    }
}

/// The text form of a CID the engine stores as bytes: base58btc (a CIDv0
/// `Qm…` for the sha2-256 multihashes the engine writes), as `ipfs add` and
/// the gateway spell it.
pub fn cid_string(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}
