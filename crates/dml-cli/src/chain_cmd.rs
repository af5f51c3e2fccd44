//! `dml balance`, `dml transfer`, `dml contest` and `dml vote`: the account
//! and dispute commands that are one engine or token call each.

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use anyhow::anyhow;
use clap::Args;
use dml_primitives::{IDmlToken, IEngine};
use serde_json::json;

use crate::client::{amount_arg, block_on, format_amount, print_json, Client, ClientArgs};

/// `dml balance`.
#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// Account to show (default: the signer's address).
    pub address: Option<Address>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml transfer`.
#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Recipient address.
    pub to: Address,
    /// Amount in DML (or ether with --eth), as an exact decimal like 1.5 (at most 18 decimals).
    #[arg(value_parser = amount_arg, allow_negative_numbers = true)]
    pub amount: U256,
    /// Send ether instead of DML.
    #[arg(long)]
    pub eth: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml contest`.
#[derive(Debug, Args)]
pub struct ContestArgs {
    /// Task id whose solution you dispute (you must be a staked validator).
    pub task: B256,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml vote`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("side").required(true).args(["yea", "nay"])))]
pub struct VoteArgs {
    /// Task id of the contestation.
    pub task: B256,
    /// Vote for the contestation (the solution is wrong).
    #[arg(long)]
    pub yea: bool,
    /// Vote against the contestation (the solution is right).
    #[arg(long)]
    pub nay: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Runs `dml balance`.
pub fn run_balance(args: BalanceArgs) -> anyhow::Result<()> {
    if args.client.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        let client = Client::connect(&args.client).await?;
        let address = client.address_or_sender(args.address)?;
        let eth =
            client.provider().get_balance(address).await.map_err(|error| anyhow!("eth_getBalance failed: {error}"))?;
        let dml = client.dml_balance(address).await?;
        let validator = client.engine_view(IEngine::validatorsCall { addr: address }).await?;
        let pending = client.engine_view(IEngine::validatorWithdrawPendingAmountCall { addr: address }).await?;
        if client.json {
            return print_json(&json!({
                "address": address,
                "eth": format_amount(eth),
                "dml": format_amount(dml),
                "staked": format_amount(validator.staked),
                "pending_withdrawals": format_amount(pending),
            }));
        }
        println!("address:              {address}");
        println!("ETH:                  {}", format_amount(eth));
        println!("DML:                  {}", format_amount(dml));
        println!("staked DML:           {}", format_amount(validator.staked));
        println!("pending withdrawals:  {}", format_amount(pending));
        Ok(())
    })
}

/// Runs `dml transfer`.
pub fn run_transfer(args: TransferArgs) -> anyhow::Result<()> {
    if args.client.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        let client = Client::connect(&args.client).await?;
        let (receipt, unit) = if args.eth {
            let request = TransactionRequest::default().with_to(args.to).with_value(args.amount);
            (client.send_request(request, "ether transfer").await?, "ETH")
        } else {
            let call = IDmlToken::transferCall { to: args.to, amount: args.amount };
            (client.send(client.token, call, "DML transfer").await?, "DML")
        };
        if client.json {
            return print_json(&json!({
                "transaction": receipt.transaction_hash,
                "block": receipt.block_number,
                "to": args.to,
                "amount": format_amount(args.amount),
                "unit": unit,
            }));
        }
        println!(
            "sent {} {unit} to {} in transaction {}",
            format_amount(args.amount),
            args.to,
            receipt.transaction_hash
        );
        Ok(())
    })
}

/// Runs `dml contest`.
pub fn run_contest(args: ContestArgs) -> anyhow::Result<()> {
    if args.client.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        let client = Client::connect(&args.client).await?;
        let receipt =
            client.send_engine(IEngine::submitContestationCall { taskid_: args.task }, "contestation").await?;
        let contestation = client.engine_view(IEngine::contestationsCall { taskid: args.task }).await?;
        if client.json {
            return print_json(&json!({
                "task": args.task,
                "transaction": receipt.transaction_hash,
                "contester": contestation.validator,
                "slash_amount": format_amount(contestation.slashAmount),
            }));
        }
        println!(
            "contested task {} in transaction {} (slash escrow per vote: {} DML)",
            args.task,
            receipt.transaction_hash,
            format_amount(contestation.slashAmount)
        );
        Ok(())
    })
}

/// Runs `dml vote`.
pub fn run_vote(args: VoteArgs) -> anyhow::Result<()> {
    if args.client.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        let client = Client::connect(&args.client).await?;
        let voter = client.sender()?;
        // Explain ineligibility with the engine's own codes before sending.
        let code = client.engine_view(IEngine::validatorCanVoteCall { addr_: voter, taskid_: args.task }).await?;
        if let Some(reason) = vote_refusal(code) {
            anyhow::bail!("cannot vote on task {}: {reason}", args.task);
        }
        let call = IEngine::voteOnContestationCall { taskid_: args.task, yea_: args.yea };
        let receipt = client.send_engine(call, "vote").await?;
        let side = if args.yea { "yea" } else { "nay" };
        if client.json {
            return print_json(&json!({
                "task": args.task,
                "voter": voter,
                "yea": args.yea,
                "transaction": receipt.transaction_hash,
            }));
        }
        println!("voted {side} on task {} in transaction {}", args.task, receipt.transaction_hash);
        Ok(())
    })
}

/// The meaning of a non-zero `validatorCanVote` code (Arbius EngineV1's codes).
fn vote_refusal(code: U256) -> Option<&'static str> {
    match code.saturating_to::<u64>() {
        0 => None,
        1 => Some("there is no contestation for this task"),
        2 => Some("the voting period has ended"),
        3 => Some("this account has already voted"),
        4 => Some("this account is not a staked validator"),
        6 => Some("this account's stake is newer than the contestation"),
        _ => Some("the engine refuses this vote"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vote_codes_are_explained() {
        assert_eq!(vote_refusal(U256::ZERO), None);
        assert_eq!(vote_refusal(U256::from(3)), Some("this account has already voted"));
        assert!(vote_refusal(U256::from(99)).is_some());
    }
}
