//! `dml gov`: on-chain governance through the DML Governor (OpenZeppelin's
//! Governor with a timelock): delegate votes, propose, list and show
//! proposals, vote, queue and execute.
//!
//! Votes are the DML token's (ERC-5805, counted in seconds): a holder's DML
//! votes only once it is delegated (to someone, or to the holder itself), and
//! a proposal counts the votes delegated at its snapshot. A proposal that
//! passes is queued in the timelock, which owns the engine and the treasury,
//! and runs its calls once the timelock's delay is over.
//!
//! The governor comes from the chain's `dml_getContracts`, or `--governor`;
//! the timelock from `governor.timelock()`. Every refusal of the governor, the
//! timelock or the token is reported with `dml_governance::decode_revert`'s
//! sentence, which starts with the Solidity error's name.
//!
//! With `--json` each command prints one object. DML amounts are exact
//! decimal strings (`"1000"`, `"0.5"`), proposal ids decimal strings (`id`,
//! the form Tally shows) with their 32-byte hex (`id_hex`), times Unix
//! seconds, states lowercase (`pending`, `active`, `canceled`, `defeated`,
//! `succeeded`, `queued`, `expired`, `executed`):
//!
//! | command | object |
//! | --- | --- |
//! | `delegate` | `delegator`, `delegate`, `votes` (the delegate's, after), `transaction` |
//! | `votes` | `address`, `delegate` (null: none), `balance`, `votes`, `at`, `past_votes` (null without `--at`) |
//! | `propose` | `id`, `id_hex`, `proposer`, `snapshot`, `deadline`, `actions` (how many), `transaction` |
//! | `list` | `governor`, `proposals`: [{`id`, `id_hex`, `state`, `proposer`, `votes`, `snapshot`, `deadline`, `title`}] |
//! | `show` | `id`, `id_hex`, `state`, `proposer`, `votes`, `quorum` and `quorum_reached` (null until the snapshot), `snapshot`, `deadline`, `eta` (null until queued), `now`, `actions`: [{`target`, `target_name` (null: not a known contract), `value` (ETH), `calldata`, `signature` and `arguments` (null: not a known function)}], `description`, `description_hash` |
//! | `vote` | `id`, `voter`, `support` (`for`, `against`, `abstain`), `weight`, `reason`, `transaction` |
//! | `queue` | `id`, `eta`, `transaction` |
//! | `execute` | `id`, `transaction`, `block` |
//!
//! `votes` is always `{"for", "against", "abstain"}`.

use std::path::PathBuf;

use alloy_primitives::{keccak256, Address, Bytes, U256};
use alloy_rpc_types_eth::Filter;
use alloy_sol_types::SolEvent;
use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use dml_governance::{support, IGovernor, ProposalState};
use dml_primitives::IDmlToken;
use serde_json::{json, Value};

use crate::client::{block_on, format_amount, print_json, receipt_event, Client, ClientArgs};
use crate::gov_actions::{build_actions, decode_call, ActionSpecs, KnownContracts};
use crate::gov_format::{id_decimal, id_hex, proposal_id_arg, support_name, timepoint, title, when};

/// Governance: delegate votes, propose, list and show proposals, vote, queue, execute.
#[derive(Debug, Subcommand)]
pub enum GovCommand {
    /// Delegate the signer's votes to TO (default: the signer itself); prints the delegate and its votes.
    ///
    /// DML counts as votes only once delegated. Delegating to yourself is how a
    /// holder votes with its own DML; delegating to someone else lends them the
    /// votes (the DML stays yours). A proposal counts the votes delegated at
    /// its snapshot, so delegate before proposals are made.
    Delegate(DelegateArgs),
    /// Show an account's delegate and votes (now, or at a past time with --at).
    Votes(VotesArgs),
    /// Propose calls for the timelock to make; prints the proposal id, snapshot and deadline.
    ///
    /// Each action starts with --target and takes the --call, --args, --value
    /// or --calldata that follow it, up to the next --target. For example, to
    /// pay 5 DML from the treasury (the timelock) after collecting the fees
    /// the engine accrued for it:
    ///
    ///   dml gov propose --description 'Pay for the audit' \
    ///       --target engine --call 'withdrawAccruedFees()' \
    ///       --target token --call 'transfer(address,uint256)' \
    ///       --args 0xRECIPIENT,5ether
    ///
    /// The signer needs votes of at least the proposal threshold, delegated at
    /// least one second earlier (the governor counts them one second back).
    /// Voting opens after the snapshot (the voting delay from now) and closes
    /// at the deadline (the voting period after the snapshot).
    #[command(verbatim_doc_comment)]
    Propose(ProposeArgs),
    /// List every proposal: id, state, proposer, votes and the description's first line.
    List(ListArgs),
    /// Show a proposal: state, votes, quorum, times, each action decoded, the description.
    Show(ShowArgs),
    /// Vote on an active proposal: --for, --against or --abstain; prints the weight cast.
    ///
    /// The weight is the votes delegated to the signer at the proposal's
    /// snapshot. Quorum counts votes for and abstentions.
    Vote(VoteArgs),
    /// Queue a succeeded proposal in the timelock; prints when it may be executed.
    Queue(IdArgs),
    /// Execute a queued proposal whose timelock delay is over; prints the transaction.
    Execute(IdArgs),
}

/// `dml gov delegate`.
#[derive(Debug, Args)]
pub struct DelegateArgs {
    /// The delegate (default: the signer itself).
    pub to: Option<Address>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml gov votes`.
#[derive(Debug, Args)]
pub struct VotesArgs {
    /// The account (default: the signer).
    pub address: Option<Address>,
    /// Also show the votes the account had at this past time (Unix seconds; the token's clock).
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub at: Option<u64>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml gov propose`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("text").required(true).args(["description", "description_file"])))]
pub struct ProposeArgs {
    #[command(flatten)]
    pub actions: ActionSpecs,
    /// The proposal's description (its first line is its title; Markdown is customary).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Read the description from this file.
    #[arg(long, value_name = "PATH")]
    pub description_file: Option<PathBuf>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml gov list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml gov show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Proposal id, decimal or 0x hex.
    #[arg(value_parser = proposal_id_arg)]
    pub id: U256,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml gov vote`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("support").required(true).args(["for_", "against", "abstain"])))]
pub struct VoteArgs {
    /// Proposal id, decimal or 0x hex.
    #[arg(value_parser = proposal_id_arg)]
    pub id: U256,
    /// Vote for the proposal.
    #[arg(long = "for")]
    pub for_: bool,
    /// Vote against the proposal.
    #[arg(long)]
    pub against: bool,
    /// Abstain (counts toward quorum, for neither side).
    #[arg(long)]
    pub abstain: bool,
    /// A reason, recorded on chain with the vote (castVoteWithReason).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml gov queue` and `dml gov execute`.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// Proposal id, decimal or 0x hex.
    #[arg(value_parser = proposal_id_arg)]
    pub id: U256,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Runs a `dml gov` subcommand.
pub fn run(command: GovCommand) -> anyhow::Result<()> {
    let client_args = match &command {
        GovCommand::Delegate(args) => &args.client,
        GovCommand::Votes(args) => &args.client,
        GovCommand::Propose(args) => &args.client,
        GovCommand::List(args) => &args.client,
        GovCommand::Show(args) => &args.client,
        GovCommand::Vote(args) => &args.client,
        GovCommand::Queue(args) | GovCommand::Execute(args) => &args.client,
    };
    if client_args.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        match command {
            GovCommand::Delegate(args) => delegate(args).await,
            GovCommand::Votes(args) => votes(args).await,
            GovCommand::Propose(args) => propose(args).await,
            GovCommand::List(args) => list(args).await,
            GovCommand::Show(args) => show(args).await,
            GovCommand::Vote(args) => vote(args).await,
            GovCommand::Queue(args) => queue(args).await,
            GovCommand::Execute(args) => execute(args).await,
        }
    })
}

// ---------------------------------------------------------------------------
// The governor as the commands see it
// ---------------------------------------------------------------------------

/// A client with the governance contracts found.
struct Governance {
    client: Client,
    known: KnownContracts,
}

impl Governance {
    async fn connect(args: &ClientArgs) -> anyhow::Result<Governance> {
        let client = Client::connect(args).await?;
        let governor = client.governor.ok_or_else(|| {
            anyhow!(
                "no governor is known for the engine {} (a chain's dml_getContracts names one only for its own \
                 engine): pass --governor ADDRESS, set DML_GOVERNOR or set `governor` in the config file",
                client.engine
            )
        })?;
        let timelock = client
            .view(governor, IGovernor::timelockCall {})
            .await
            .with_context(|| format!("{governor} does not answer as a governor"))?;
        let known = KnownContracts { engine: client.engine, token: client.token, timelock, governor };
        Ok(Governance { client, known })
    }

    fn governor(&self) -> Address {
        self.known.governor
    }

    async fn view<C: alloy_sol_types::SolCall>(&self, call: C) -> anyhow::Result<C::Return> {
        self.client.view(self.governor(), call).await
    }

    /// The governor's clock (the token's): the time a transaction sent now would see.
    async fn now(&self) -> anyhow::Result<u64> {
        Ok(self.view(IGovernor::clockCall {}).await?.to::<u64>())
    }

    /// The proposal's snapshot; fails with the governor's own error name when
    /// no proposal has this id.
    async fn require_proposal(&self, id: U256) -> anyhow::Result<u64> {
        // `proposalSnapshot` is zero exactly for ids never proposed (`state` would revert).
        let snapshot = self.view(IGovernor::proposalSnapshotCall { proposalId: id }).await?;
        if snapshot.is_zero() {
            bail!(
                "GovernorNonexistentProposal: there is no proposal {} ({}) on the governor {}",
                id_decimal(id),
                id_hex(id),
                self.governor()
            );
        }
        timepoint(snapshot)
    }

    async fn proposal(&self, id: U256) -> anyhow::Result<Proposal> {
        let snapshot = self.require_proposal(id).await?;
        let raw_state = self.view(IGovernor::stateCall { proposalId: id }).await?;
        let state = ProposalState::from_u8(raw_state).ok_or_else(|| {
            anyhow!("the governor reports proposal state {raw_state}, which OpenZeppelin does not define")
        })?;
        let proposer = self.view(IGovernor::proposalProposerCall { proposalId: id }).await?;
        let deadline = timepoint(self.view(IGovernor::proposalDeadlineCall { proposalId: id }).await?)?;
        let eta = timepoint(self.view(IGovernor::proposalEtaCall { proposalId: id }).await?)?;
        let votes = self.view(IGovernor::proposalVotesCall { proposalId: id }).await?;
        Ok(Proposal {
            id,
            state,
            proposer,
            snapshot,
            deadline,
            eta: (eta != 0).then_some(eta),
            tally: Tally { for_votes: votes.forVotes, against: votes.againstVotes, abstain: votes.abstainVotes },
        })
    }

    /// Every `ProposalCreated` the governor emitted since the configured first block.
    async fn created_events(&self) -> anyhow::Result<Vec<IGovernor::ProposalCreated>> {
        let filter = Filter::new().event_signature(IGovernor::ProposalCreated::SIGNATURE_HASH);
        let logs = self.client.contract_logs(self.governor(), filter).await?;
        Ok(logs.iter().filter_map(|log| IGovernor::ProposalCreated::decode_log_data(log.data()).ok()).collect())
    }
}

/// A proposal's votes, in token base units.
struct Tally {
    for_votes: U256,
    against: U256,
    abstain: U256,
}

impl Tally {
    fn to_json(&self) -> Value {
        json!({
            "for": format_amount(self.for_votes),
            "against": format_amount(self.against),
            "abstain": format_amount(self.abstain),
        })
    }

    fn to_text(&self) -> String {
        format!(
            "for {} DML, against {} DML, abstain {} DML",
            format_amount(self.for_votes),
            format_amount(self.against),
            format_amount(self.abstain)
        )
    }
}

/// What the governor stores about a proposal.
struct Proposal {
    id: U256,
    state: ProposalState,
    proposer: Address,
    snapshot: u64,
    deadline: u64,
    eta: Option<u64>,
    tally: Tally,
}

// ---------------------------------------------------------------------------
// Votes
// ---------------------------------------------------------------------------

async fn delegate(args: DelegateArgs) -> anyhow::Result<()> {
    let gov = Governance::connect(&args.client).await?;
    let client = &gov.client;
    let delegator = client.sender()?;
    let delegatee = args.to.unwrap_or(delegator);
    let receipt = client.send(client.token, IDmlToken::delegateCall { delegatee }, "delegate").await?;
    let votes = client.view(client.token, IDmlToken::getVotesCall { account: delegatee }).await?;
    if client.json {
        return print_json(&json!({
            "delegator": delegator,
            "delegate": delegatee,
            "votes": format_amount(votes),
            "transaction": receipt.transaction_hash,
        }));
    }
    let whom = if delegatee == delegator { "itself".to_string() } else { delegatee.to_string() };
    println!("{delegator} now delegates its votes to {whom}");
    println!("{delegatee} has {} DML of votes (transaction {})", format_amount(votes), receipt.transaction_hash);
    Ok(())
}

async fn votes(args: VotesArgs) -> anyhow::Result<()> {
    let gov = Governance::connect(&args.client).await?;
    let client = &gov.client;
    let account = client.address_or_sender(args.address)?;
    let delegate = client.view(client.token, IDmlToken::delegatesCall { account }).await?;
    let balance = client.dml_balance(account).await?;
    let votes = client.view(client.token, IDmlToken::getVotesCall { account }).await?;
    let past = match args.at {
        Some(at) => {
            Some(client.view(client.token, IDmlToken::getPastVotesCall { account, timepoint: U256::from(at) }).await?)
        }
        None => None,
    };
    if client.json {
        return print_json(&json!({
            "address": account,
            "delegate": (!delegate.is_zero()).then_some(delegate),
            "balance": format_amount(balance),
            "votes": format_amount(votes),
            "at": args.at,
            "past_votes": past.map(format_amount),
        }));
    }
    println!("account    {account}");
    println!("balance    {} DML", format_amount(balance));
    if delegate.is_zero() {
        println!("delegate   none (its DML counts as votes only once delegated: `dml gov delegate`)");
    } else {
        println!("delegate   {delegate}{}", if delegate == account { " (itself)" } else { "" });
    }
    println!("votes      {} DML", format_amount(votes));
    if let (Some(at), Some(past)) = (args.at, past) {
        println!("votes at   {}: {} DML", when(at, gov.now().await?), format_amount(past));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Proposals
// ---------------------------------------------------------------------------

async fn propose(args: ProposeArgs) -> anyhow::Result<()> {
    let description = match (&args.description, &args.description_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the description file {}", path.display()))?,
        (None, None) => unreachable!("clap requires --description or --description-file"),
    };
    let gov = Governance::connect(&args.client).await?;
    let client = &gov.client;
    let proposer = client.sender()?;
    let actions = build_actions(&args.actions.0, &gov.known)?;
    let call = IGovernor::proposeCall {
        targets: actions.iter().map(|action| action.target).collect(),
        values: actions.iter().map(|action| action.value).collect(),
        calldatas: actions.iter().map(|action| action.calldata.clone()).collect(),
        description,
    };
    let receipt = client.send(gov.governor(), call, "propose").await?;
    let created: IGovernor::ProposalCreated = receipt_event(&receipt, gov.governor())
        .ok_or_else(|| anyhow!("propose succeeded but the governor emitted no ProposalCreated"))?;
    let id = created.proposalId;
    let snapshot = timepoint(created.voteStart)?;
    let deadline = timepoint(created.voteEnd)?;
    if client.json {
        return print_json(&json!({
            "id": id_decimal(id),
            "id_hex": id_hex(id),
            "proposer": proposer,
            "snapshot": snapshot,
            "deadline": deadline,
            "actions": actions.len(),
            "transaction": receipt.transaction_hash,
        }));
    }
    let now = gov.now().await?;
    println!("proposal  {}", id_decimal(id));
    println!("id (hex)  {}", id_hex(id));
    println!("snapshot  {}: votes count as delegated then; voting opens after it", when(snapshot, now));
    println!("deadline  {}", when(deadline, now));
    println!("proposed by {proposer} in transaction {}", receipt.transaction_hash);
    Ok(())
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let gov = Governance::connect(&args.client).await?;
    let count = gov.view(IGovernor::proposalCountCall {}).await?;
    let descriptions: Vec<(U256, String)> =
        gov.created_events().await?.into_iter().map(|event| (event.proposalId, event.description)).collect();
    let mut proposals = Vec::new();
    for index in 0..count.saturating_to::<u64>() {
        let details = gov.view(IGovernor::proposalDetailsAtCall { index: U256::from(index) }).await?;
        let proposal = gov.proposal(details.proposalId).await?;
        let description = descriptions.iter().find(|(id, _)| *id == proposal.id).map(|(_, text)| text.as_str());
        proposals.push((proposal, description.map(title).map(str::to_owned)));
    }
    if gov.client.json {
        let items: Vec<Value> = proposals
            .iter()
            .map(|(proposal, title)| {
                json!({
                    "id": id_decimal(proposal.id),
                    "id_hex": id_hex(proposal.id),
                    "state": proposal.state,
                    "proposer": proposal.proposer,
                    "votes": proposal.tally.to_json(),
                    "snapshot": proposal.snapshot,
                    "deadline": proposal.deadline,
                    "title": title,
                })
            })
            .collect();
        return print_json(&json!({ "governor": gov.governor(), "proposals": items }));
    }
    if proposals.is_empty() {
        eprintln!("no proposals yet (make one with `dml gov propose`)");
    }
    for (proposal, title) in &proposals {
        println!("{}", id_decimal(proposal.id));
        println!("  {:<9} {}  proposer {}", proposal.state.name(), proposal.tally.to_text(), proposal.proposer);
        println!("  {}", title.as_deref().unwrap_or("<description not found in the governor's logs>"));
    }
    Ok(())
}

async fn show(args: ShowArgs) -> anyhow::Result<()> {
    let gov = Governance::connect(&args.client).await?;
    let proposal = gov.proposal(args.id).await?;
    let details = gov.view(IGovernor::proposalDetailsCall { proposalId: args.id }).await?;
    let description = gov
        .created_events()
        .await?
        .into_iter()
        .find(|event| event.proposalId == args.id && keccak256(event.description.as_bytes()) == details.descriptionHash)
        .map(|event| event.description);
    let now = gov.now().await?;
    // The quorum is a share of the supply at the snapshot, so it is known only
    // once the snapshot is past (a proposal canceled while Pending never has one).
    let quorum = if proposal.snapshot < now {
        Some(gov.view(IGovernor::quorumCall { timepoint: U256::from(proposal.snapshot) }).await?)
    } else {
        None
    };
    let quorum_reached = quorum.map(|quorum| proposal.tally.for_votes + proposal.tally.abstain >= quorum);
    let actions: Vec<ShownAction> = details
        .targets
        .iter()
        .zip(&details.values)
        .zip(&details.calldatas)
        .map(|((target, value), calldata)| ShownAction::new(&gov.known, *target, *value, calldata))
        .collect();

    if gov.client.json {
        return print_json(&json!({
            "id": id_decimal(proposal.id),
            "id_hex": id_hex(proposal.id),
            "state": proposal.state,
            "proposer": proposal.proposer,
            "votes": proposal.tally.to_json(),
            "quorum": quorum.map(format_amount),
            "quorum_reached": quorum_reached,
            "snapshot": proposal.snapshot,
            "deadline": proposal.deadline,
            "eta": proposal.eta,
            "now": now,
            "actions": actions.iter().map(ShownAction::to_json).collect::<Vec<_>>(),
            "description": description,
            "description_hash": details.descriptionHash,
        }));
    }
    println!("proposal     {}", id_decimal(proposal.id));
    println!("id (hex)     {}", id_hex(proposal.id));
    println!("state        {}", proposal.state);
    println!("proposer     {}", proposal.proposer);
    println!("votes        {}", proposal.tally.to_text());
    match (quorum, quorum_reached) {
        (Some(quorum), Some(reached)) => println!(
            "quorum       {} DML of for + abstain ({})",
            format_amount(quorum),
            if reached { "reached" } else { "not reached" }
        ),
        _ => println!("quorum       fixed at the snapshot"),
    }
    println!("snapshot     {}", when(proposal.snapshot, now));
    println!("deadline     {}", when(proposal.deadline, now));
    if let Some(eta) = proposal.eta {
        println!("eta          {}", when(eta, now));
    }
    println!("actions      {}", actions.len());
    for (index, action) in actions.iter().enumerate() {
        action.print(index + 1);
    }
    println!("description");
    match &description {
        Some(text) => text.lines().for_each(|line| println!("{}", format!("  {line}").trim_end())),
        None => println!("  <not found in the governor's logs since block {}>", gov.client.settings.from_block),
    }
    Ok(())
}

/// One of a proposal's calls, decoded for `show`.
struct ShownAction {
    target: Address,
    target_name: Option<&'static str>,
    value: U256,
    calldata: Bytes,
    signature: Option<&'static str>,
    arguments: Option<Vec<String>>,
}

impl ShownAction {
    fn new(known: &KnownContracts, target: Address, value: U256, calldata: &Bytes) -> ShownAction {
        let contract = known.at(target);
        let decoded = decode_call(calldata, contract);
        ShownAction {
            target,
            target_name: contract.map(|c| c.name()),
            value,
            calldata: calldata.clone(),
            signature: decoded.signature,
            arguments: decoded.arguments,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "target": self.target,
            "target_name": self.target_name,
            "value": format_amount(self.value),
            "calldata": self.calldata,
            "signature": self.signature,
            "arguments": self.arguments,
        })
    }

    fn print(&self, number: usize) {
        let target = match self.target_name {
            Some(name) => format!("{name} ({})", self.target),
            None => self.target.to_string(),
        };
        let call = match (self.signature, &self.arguments) {
            (Some(signature), _) => signature.to_string(),
            (None, _) if self.calldata.is_empty() => "(no call)".to_string(),
            (None, _) => "unknown function".to_string(),
        };
        println!("  {number}. {target}: {call}");
        if let Some(arguments) = &self.arguments {
            if !arguments.is_empty() {
                println!("       arguments {}", arguments.join(", "));
            }
        }
        if self.arguments.is_none() && !self.calldata.is_empty() {
            println!("       calldata  {}", self.calldata);
        }
        if !self.value.is_zero() {
            println!("       value     {} ETH", format_amount(self.value));
        }
    }
}

// ---------------------------------------------------------------------------
// Voting and execution
// ---------------------------------------------------------------------------

async fn vote(args: VoteArgs) -> anyhow::Result<()> {
    let gov = Governance::connect(&args.client).await?;
    let client = &gov.client;
    let voter = client.sender()?;
    gov.require_proposal(args.id).await?;
    let support = if args.for_ {
        support::FOR
    } else if args.against {
        support::AGAINST
    } else {
        support::ABSTAIN
    };
    let receipt = match &args.reason {
        Some(reason) => {
            let call = IGovernor::castVoteWithReasonCall { proposalId: args.id, support, reason: reason.clone() };
            client.send(gov.governor(), call, "castVoteWithReason").await?
        }
        None => {
            client.send(gov.governor(), IGovernor::castVoteCall { proposalId: args.id, support }, "castVote").await?
        }
    };
    let cast: IGovernor::VoteCast = receipt_event(&receipt, gov.governor())
        .ok_or_else(|| anyhow!("the vote succeeded but the governor emitted no VoteCast"))?;
    if client.json {
        return print_json(&json!({
            "id": id_decimal(args.id),
            "voter": voter,
            "support": support_name(support),
            "weight": format_amount(cast.weight),
            "reason": args.reason,
            "transaction": receipt.transaction_hash,
        }));
    }
    println!(
        "{voter} voted {} proposal {} with {} DML of votes (transaction {})",
        support_name(support),
        id_decimal(args.id),
        format_amount(cast.weight),
        receipt.transaction_hash
    );
    if cast.weight.is_zero() {
        eprintln!(
            "note: the weight is the votes delegated to {voter} at the snapshot; delegate before proposals are made"
        );
    }
    Ok(())
}

async fn queue(args: IdArgs) -> anyhow::Result<()> {
    let gov = Governance::connect(&args.client).await?;
    gov.require_proposal(args.id).await?;
    let call = IGovernor::queue_1Call { proposalId: args.id };
    let receipt = gov.client.send(gov.governor(), call, "queue").await?;
    let queued: IGovernor::ProposalQueued = receipt_event(&receipt, gov.governor())
        .ok_or_else(|| anyhow!("queue succeeded but the governor emitted no ProposalQueued"))?;
    let eta = timepoint(queued.etaSeconds)?;
    if gov.client.json {
        return print_json(&json!({
            "id": id_decimal(args.id),
            "eta": eta,
            "transaction": receipt.transaction_hash,
        }));
    }
    println!(
        "queued proposal {} in the timelock {}; it may be executed from {} (transaction {})",
        id_decimal(args.id),
        gov.known.timelock,
        when(eta, gov.now().await?),
        receipt.transaction_hash
    );
    Ok(())
}

async fn execute(args: IdArgs) -> anyhow::Result<()> {
    let gov = Governance::connect(&args.client).await?;
    gov.require_proposal(args.id).await?;
    let call = IGovernor::execute_1Call { proposalId: args.id };
    let receipt = gov.client.send(gov.governor(), call, "execute").await?;
    if receipt_event::<IGovernor::ProposalExecuted>(&receipt, gov.governor()).is_none() {
        bail!("execute succeeded but the governor emitted no ProposalExecuted");
    }
    if gov.client.json {
        return print_json(&json!({
            "id": id_decimal(args.id),
            "transaction": receipt.transaction_hash,
            "block": receipt.block_number,
        }));
    }
    println!(
        "executed proposal {} in transaction {} (block {})",
        id_decimal(args.id),
        receipt.transaction_hash,
        receipt.block_number.map_or_else(|| "pending".to_string(), |block| block.to_string())
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        gov: GovCommand,
    }

    fn parse(args: &[&str]) -> Result<GovCommand, clap::Error> {
        Cli::try_parse_from(std::iter::once("gov").chain(args.iter().copied())).map(|cli| cli.gov)
    }

    #[test]
    fn commands_parse_ids_in_decimal_or_hex() {
        let GovCommand::Vote(vote) = parse(&["vote", "0x2a", "--for", "--reason", "why not"]).unwrap() else {
            panic!("not a vote")
        };
        assert_eq!(vote.id, U256::from(42u64));
        assert!(vote.for_ && !vote.against && !vote.abstain);
        let GovCommand::Queue(queue) = parse(&["queue", "42"]).unwrap() else { panic!("not a queue") };
        assert_eq!(queue.id, U256::from(42u64));
        assert!(parse(&["vote", "42"]).is_err(), "a vote needs a side");
        assert!(parse(&["vote", "42", "--for", "--against"]).is_err(), "one side only");
        assert!(parse(&["show", "forty-two"]).is_err());
    }

    #[test]
    fn propose_needs_one_description_and_an_action() {
        let ok = parse(&[
            "propose",
            "--target",
            "engine",
            "--call",
            "setPaused(bool)",
            "--args",
            "false",
            "--description",
            "x",
        ]);
        let GovCommand::Propose(propose) = ok.unwrap() else { panic!("not a proposal") };
        assert_eq!(propose.actions.0.len(), 1);
        assert!(parse(&["propose", "--target", "engine"]).is_err(), "no description");
        assert!(parse(&["propose", "--description", "x"]).is_err(), "no action");
        let both = ["propose", "--target", "engine", "--description", "x", "--description-file", "f"];
        assert!(parse(&both).is_err(), "two descriptions");
    }

    #[test]
    fn every_subcommand_has_help() {
        use clap::CommandFactory;
        let command = Cli::command();
        for sub in command.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no about", sub.get_name());
        }
        let propose = command.find_subcommand("propose").unwrap();
        let long = propose.get_long_about().unwrap().to_string();
        assert!(long.contains("--target engine --call 'withdrawAccruedFees()'"), "{long}");
    }
}
