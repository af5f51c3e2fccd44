//! `dml validator`: stake DML as a validator (solvers must be staked to
//! submit solutions, contest and vote), withdraw it after the unlock time,
//! and show the stake.

use alloy_primitives::{Address, U256};
use anyhow::anyhow;
use clap::{Args, Subcommand};
use dml_primitives::IEngine;
use serde_json::json;

use crate::client::{amount_arg, block_on, format_amount, print_json, receipt_event, Client, ClientArgs};

/// Validator stake: deposit, withdraw, status.
#[derive(Debug, Subcommand)]
pub enum ValidatorCommand {
    /// Stake DML for a validator (default: yourself); anyone may top up anyone.
    Deposit(DepositArgs),
    /// Start a withdrawal of AMOUNT (unlocks after the exit time), or --cancel / --complete request COUNT.
    Withdraw(WithdrawArgs),
    /// Show a validator's stake, minimum, pending withdrawals and their unlock times.
    Status(StatusArgs),
}

/// `dml validator deposit`.
#[derive(Debug, Args)]
pub struct DepositArgs {
    /// DML to stake, as an exact decimal like 1.5.
    #[arg(value_parser = amount_arg, allow_negative_numbers = true)]
    pub amount: U256,
    /// The validator credited (default: the signer).
    #[arg(long, value_name = "ADDRESS")]
    pub validator: Option<Address>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml validator withdraw`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["amount", "cancel", "complete"])))]
pub struct WithdrawArgs {
    /// DML to start withdrawing.
    #[arg(value_parser = amount_arg, allow_negative_numbers = true)]
    pub amount: Option<U256>,
    /// Cancel pending withdrawal request COUNT (the stake stays).
    #[arg(long, value_name = "COUNT")]
    pub cancel: Option<u64>,
    /// Complete unlocked withdrawal request COUNT (the DML is paid out).
    #[arg(long, value_name = "COUNT")]
    pub complete: Option<u64>,
    /// With --complete: pay to this address (default: the signer).
    #[arg(long, value_name = "ADDRESS", requires = "complete")]
    pub to: Option<Address>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml validator status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Validator address (default: the signer).
    pub address: Option<Address>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Runs a `dml validator` subcommand.
pub fn run(command: ValidatorCommand) -> anyhow::Result<()> {
    let client_args = match &command {
        ValidatorCommand::Deposit(args) => &args.client,
        ValidatorCommand::Withdraw(args) => &args.client,
        ValidatorCommand::Status(args) => &args.client,
    };
    if client_args.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        match command {
            ValidatorCommand::Deposit(args) => deposit(args).await,
            ValidatorCommand::Withdraw(args) => withdraw(args).await,
            ValidatorCommand::Status(args) => status(args).await,
        }
    })
}

async fn deposit(args: DepositArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let validator = client.address_or_sender(args.validator)?;
    let call = IEngine::validatorDepositCall { validator_: validator, amount_: args.amount };
    let receipt = client.send_engine(call, "validatorDeposit").await?;
    let staked = client.engine_view(IEngine::validatorsCall { addr: validator }).await?.staked;
    if client.json {
        return print_json(&json!({
            "validator": validator,
            "deposited": format_amount(args.amount),
            "staked": format_amount(staked),
            "transaction": receipt.transaction_hash,
        }));
    }
    println!(
        "staked {} DML for {validator} (now {} DML) in transaction {}",
        format_amount(args.amount),
        format_amount(staked),
        receipt.transaction_hash
    );
    Ok(())
}

async fn withdraw(args: WithdrawArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let sender = client.sender()?;
    if let Some(amount) = args.amount {
        let receipt = client
            .send_engine(IEngine::initiateValidatorWithdrawCall { amount_: amount }, "initiateValidatorWithdraw")
            .await?;
        let event: IEngine::ValidatorWithdrawInitiated = receipt_event(&receipt, client.engine)
            .ok_or_else(|| anyhow!("the withdrawal started but no ValidatorWithdrawInitiated was emitted"))?;
        if client.json {
            return print_json(&json!({
                "count": event.count.to_string(),
                "amount": format_amount(event.amount),
                "unlock_time": event.unlockTime.to_string(),
                "transaction": receipt.transaction_hash,
            }));
        }
        println!(
            "withdrawal request {} of {} DML unlocks at time {}; then run `dml validator withdraw --complete {}`",
            event.count,
            format_amount(event.amount),
            event.unlockTime,
            event.count
        );
        return Ok(());
    }
    if let Some(count) = args.cancel {
        let call = IEngine::cancelValidatorWithdrawCall { count_: U256::from(count) };
        let receipt = client.send_engine(call, "cancelValidatorWithdraw").await?;
        if client.json {
            return print_json(&json!({ "cancelled": count, "transaction": receipt.transaction_hash }));
        }
        println!("cancelled withdrawal request {count} in transaction {}", receipt.transaction_hash);
        return Ok(());
    }
    let count = args.complete.expect("clap requires one action");
    let to = args.to.unwrap_or(sender);
    let call = IEngine::validatorWithdrawCall { count_: U256::from(count), to_: to };
    let receipt = client.send_engine(call, "validatorWithdraw").await?;
    let event: IEngine::ValidatorWithdraw = receipt_event(&receipt, client.engine)
        .ok_or_else(|| anyhow!("the withdrawal succeeded but no ValidatorWithdraw was emitted"))?;
    if client.json {
        return print_json(&json!({
            "completed": count,
            "amount": format_amount(event.amount),
            "to": to,
            "transaction": receipt.transaction_hash,
        }));
    }
    println!(
        "withdrew {} DML to {to} (request {count}) in transaction {}",
        format_amount(event.amount),
        receipt.transaction_hash
    );
    Ok(())
}

async fn status(args: StatusArgs) -> anyhow::Result<()> {
    let client = Client::connect(&args.client).await?;
    let address = client.address_or_sender(args.address)?;
    let validator = client.engine_view(IEngine::validatorsCall { addr: address }).await?;
    let pending = client.engine_view(IEngine::validatorWithdrawPendingAmountCall { addr: address }).await?;
    let minimum = client.engine_view(IEngine::getValidatorMinimumCall {}).await?;
    let slash = client.engine_view(IEngine::getSlashAmountCall {}).await?;
    let count = client.engine_view(IEngine::pendingValidatorWithdrawRequestsCountCall { addr: address }).await?;
    let (_, now) = client.head().await?;
    let mut requests = Vec::new();
    // Request numbers count up from 1; cancelled or completed ones read as zero.
    let last = count.saturating_to::<u64>();
    for number in 1..=last {
        let request = client
            .engine_view(IEngine::pendingValidatorWithdrawRequestsCall { addr: address, count: U256::from(number) })
            .await?;
        if request.unlockTime.is_zero() {
            continue;
        }
        requests.push((number, request.unlockTime, request.amount));
    }
    let free = validator.staked.saturating_sub(pending);
    // What the engine asks of a solver, a contester or a voter.
    let is_staked = !free.is_zero() && free >= minimum.max(slash);
    if client.json {
        let items: Vec<_> = requests
            .iter()
            .map(|(number, unlock, amount)| {
                json!({
                    "count": number,
                    "unlock_time": unlock.to_string(),
                    "amount": format_amount(*amount),
                    "unlocked": *unlock <= U256::from(now),
                })
            })
            .collect();
        return print_json(&json!({
            "address": address,
            "staked": format_amount(validator.staked),
            "since": validator.since.to_string(),
            "pending_withdrawals": format_amount(pending),
            "free_stake": format_amount(free),
            "minimum": format_amount(minimum),
            "slash_amount": format_amount(slash),
            "is_validator": is_staked,
            "requests": items,
        }));
    }
    println!("validator:    {address}");
    println!(
        "staked:       {} DML ({})",
        format_amount(validator.staked),
        if is_staked { "active" } else { "not active" }
    );
    println!("since:        {}", validator.since);
    println!("pending:      {} DML", format_amount(pending));
    println!("minimum:      {} DML", format_amount(minimum));
    println!("slash amount: {} DML", format_amount(slash));
    for (number, unlock, amount) in &requests {
        let state = if *unlock <= U256::from(now) { "unlocked" } else { "locked" };
        println!("request {number}: {} DML, unlocks at {unlock} ({state})", format_amount(*amount));
    }
    Ok(())
}
