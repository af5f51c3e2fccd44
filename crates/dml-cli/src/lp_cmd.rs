//! `dml lp`: liquidity on the DML/WETH Uniswap V2 pair and LP staking
//! (whitepaper §5, way 4): add DML and ETH to the pair, stake the LP tokens
//! in `LiquidityStaking`, claim the engine's liquidity rewards (its
//! `liquidityRewardPercentage` of every mint, shared among the stakers in
//! proportion to their stake at each pull), unstake, and see it all.
//!
//! The staking contract and Router02 come from the chain's
//! `dml_getContracts` (`liquidityStaking`, `router`), or `--staking` and
//! `--router`; the pair is `staking.stakingToken()` and WETH is
//! `router.WETH()`. Every refusal is reported with the contract's reason
//! (`dml_governance::decode_revert`: `InsufficientStake: …`, Router02's
//! `UniswapV2Router: …`), and what the unmodified Uniswap contracts would
//! refuse with a bare `ds-math-sub-underflow` (too few LP tokens) is checked
//! first and explained.
//!
//! Amounts are exact decimals with 18 decimals, for DML, ETH and LP tokens
//! alike. With `--json` each command prints one object (amounts as decimal
//! strings):
//!
//! | command | object |
//! | --- | --- |
//! | `add` | `provider`, `dml`, `eth` (what the pair took), `eth_refunded`, `lp_tokens` (received), `lp_balance` (after), `transaction` |
//! | `stake` | `account`, `staked` (this time), `total_staked` (the account's, after), `earned`, `transaction` |
//! | `unstake` | `account`, `unstaked`, `total_staked`, `earned`, `transaction` |
//! | `claim` | `account`, `paid`, `earned` (left, after), `transaction` |
//! | `status` | `pair`, `router`, `staking`, `reserves` {`dml`, `eth`}, `price` {`eth_per_dml`, `dml_per_eth`} (null while empty), `lp_supply`, `total_staked`, `engine_accrued` (liquidity rewards the engine has not paid yet), `undistributed`, `total_paid`, `account` (null without ADDR or signer): {`address`, `lp_balance`, `staked`, `earned`, `pool_share` {`dml`, `eth`} (what its LP tokens, held and staked, are worth)} |

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_sol_types::SolEvent;
use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use dml_governance::{ILiquidityStaking, IUniswapV2Pair, IUniswapV2Router02};
use dml_primitives::{IDmlToken, IEngine};
use serde_json::{json, Value};

use crate::client::{amount_arg, block_on, format_amount, parse_amount, print_json, Client, ClientArgs};

alloy_sol_types::sol! {
    /// The parts of the pair (and its LP token) that `dml-governance`'s
    /// bindings leave out.
    interface ILpToken {
        /// LP tokens moved (minted: from address zero).
        event Transfer(address indexed from, address indexed to, uint256 value);
        /// Liquidity was added: `amount0` of token0 and `amount1` of token1.
        event Mint(address indexed sender, uint256 amount0, uint256 amount1);
        /// What `spender` may move of `owner`'s LP tokens.
        function allowance(address owner, address spender) external view returns (uint256);
    }
}

/// 10¹⁸: the scale of amounts and of the slippage fraction.
const WAD: u128 = 1_000_000_000_000_000_000;

/// LP staking: add liquidity to the DML/WETH pair, stake the LP tokens, claim the engine's liquidity rewards.
#[derive(Debug, Subcommand)]
pub enum LpCommand {
    /// Add DML and ETH to the DML/WETH pair; prints the LP tokens received.
    ///
    /// Approves Router02 for the DML (when needed), then calls
    /// addLiquidityETH. The pair takes the two at its current price: all of
    /// one and as much of the other as that price asks; the ETH left over is
    /// refunded, the DML left over stays yours. The transaction reverts
    /// instead when the price moves by more than --slippage before it is
    /// mined, or when it is mined after --deadline.
    #[command(verbatim_doc_comment)]
    Add(AddArgs),
    /// Stake LP tokens (AMOUNT, or `all` held) to earn DML; approves the staking contract first when needed.
    Stake(StakeArgs),
    /// Withdraw staked LP tokens (AMOUNT, or `all` staked); the rewards earned stay claimable.
    Unstake(UnstakeArgs),
    /// Claim the DML rewards earned by the signer's stake.
    Claim(ClaimArgs),
    /// The pair's reserves and price, the pool's totals, and an account's LP tokens, stake and rewards.
    Status(StatusArgs),
}

/// Where the LP contracts are, for chains whose `dml_getContracts` does not say.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "LP contracts")]
pub struct LpContractArgs {
    /// The LiquidityStaking contract [default: `liquidityStaking` of dml_getContracts]
    #[arg(long, env = "DML_LP_STAKING", value_name = "ADDRESS")]
    pub staking: Option<Address>,
    /// The Uniswap V2 Router02 [default: `router` of dml_getContracts]
    #[arg(long, env = "DML_LP_ROUTER", value_name = "ADDRESS")]
    pub router: Option<Address>,
}

/// `dml lp add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// DML to add, as an exact decimal like 100 or 2.5.
    #[arg(value_parser = amount_arg, value_name = "DML")]
    pub dml: U256,
    /// ETH to add, as an exact decimal like 0.1.
    #[arg(value_parser = amount_arg, value_name = "ETH")]
    pub eth: U256,
    /// How far (in percent) the price may move before the transaction is mined.
    #[arg(long, default_value = "0.5", value_name = "PERCENT", value_parser = slippage_arg)]
    pub slippage: U256,
    /// Seconds (after the chain's latest block) within which the transaction must be mined.
    #[arg(long, default_value_t = 1200, value_name = "SECONDS")]
    pub deadline: u64,
    #[command(flatten)]
    pub contracts: LpContractArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml lp stake`.
#[derive(Debug, Args)]
pub struct StakeArgs {
    /// LP tokens to stake (exact decimal), or `all` held.
    #[arg(value_parser = lp_amount_arg, value_name = "AMOUNT|all")]
    pub amount: LpAmount,
    #[command(flatten)]
    pub contracts: LpContractArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml lp unstake`.
#[derive(Debug, Args)]
pub struct UnstakeArgs {
    /// LP tokens to withdraw (exact decimal), or `all` staked.
    #[arg(value_parser = lp_amount_arg, value_name = "AMOUNT|all")]
    pub amount: LpAmount,
    #[command(flatten)]
    pub contracts: LpContractArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml lp claim`.
#[derive(Debug, Args)]
pub struct ClaimArgs {
    #[command(flatten)]
    pub contracts: LpContractArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `dml lp status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The account to show (default: the signer; none: the pool only).
    pub address: Option<Address>,
    #[command(flatten)]
    pub contracts: LpContractArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// An amount of LP tokens, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpAmount {
    /// Everything held (stake) or staked (unstake).
    All,
    /// Base units.
    Units(U256),
}

fn lp_amount_arg(text: &str) -> Result<LpAmount, String> {
    if text.eq_ignore_ascii_case("all") {
        return Ok(LpAmount::All);
    }
    match parse_amount(text) {
        Ok(amount) if amount.is_zero() => Err("the amount must be positive (or `all`)".into()),
        Ok(amount) => Ok(LpAmount::Units(amount)),
        Err(error) => Err(format!("{error} (or `all`)")),
    }
}

/// A percentage from 0 to 100 as a fraction of 10¹⁸.
fn slippage_arg(text: &str) -> Result<U256, String> {
    let percent = parse_amount(text).map_err(|error| error.to_string())?;
    let hundred = U256::from(100u64) * U256::from(WAD);
    if percent > hundred {
        return Err(format!("a slippage of {text} % is over 100 %"));
    }
    Ok(percent / U256::from(100u64))
}

/// Runs a `dml lp` subcommand.
pub fn run(command: LpCommand) -> anyhow::Result<()> {
    let client_args = match &command {
        LpCommand::Add(args) => &args.client,
        LpCommand::Stake(args) => &args.client,
        LpCommand::Unstake(args) => &args.client,
        LpCommand::Claim(args) => &args.client,
        LpCommand::Status(args) => &args.client,
    };
    if client_args.print_config_if_asked()? {
        return Ok(());
    }
    block_on(async move {
        match command {
            LpCommand::Add(args) => add(args).await,
            LpCommand::Stake(args) => stake(args).await,
            LpCommand::Unstake(args) => unstake(args).await,
            LpCommand::Claim(args) => claim(args).await,
            LpCommand::Status(args) => status(args).await,
        }
    })
}

// ---------------------------------------------------------------------------
// The LP contracts as the commands see them
// ---------------------------------------------------------------------------

/// The LP contracts `dml_getContracts` names (other fields are ignored; a
/// chain without LP staking leaves them out or null).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChainLpContracts {
    #[serde(default)]
    router: Option<Address>,
    #[serde(default)]
    liquidity_staking: Option<Address>,
}

/// A client with the LP contracts found.
struct Lp {
    client: Client,
    staking: Address,
    router: Address,
    pair: Address,
    weth: Address,
}

impl Lp {
    async fn connect(client_args: &ClientArgs, contracts: &LpContractArgs) -> anyhow::Result<Lp> {
        let client = Client::connect(client_args).await?;
        let from_chain = if contracts.staking.is_some() && contracts.router.is_some() {
            ChainLpContracts::default()
        } else {
            client.provider().raw_request::<_, ChainLpContracts>("dml_getContracts".into(), ()).await.unwrap_or_else(
                |error| {
                    tracing::debug!(%error, "dml_getContracts unavailable");
                    ChainLpContracts::default()
                },
            )
        };
        let missing = |what: &str, flag: &str| {
            anyhow!(
                "this chain names no {what} (its dml_getContracts has none, or it has no LP staking): pass {flag} \
                 ADDRESS"
            )
        };
        let staking = contracts
            .staking
            .or(from_chain.liquidity_staking)
            .ok_or_else(|| missing("LiquidityStaking contract", "--staking"))?;
        let router =
            contracts.router.or(from_chain.router).ok_or_else(|| missing("Uniswap V2 Router02", "--router"))?;
        let pair = client
            .view(staking, ILiquidityStaking::stakingTokenCall {})
            .await
            .with_context(|| format!("{staking} does not answer as a LiquidityStaking contract"))?;
        let reward = client.view(staking, ILiquidityStaking::rewardTokenCall {}).await?;
        if reward != client.token {
            bail!("the staking contract {staking} pays {reward}, not the DML token {}", client.token);
        }
        let weth = client
            .view(router, IUniswapV2Router02::WETHCall {})
            .await
            .with_context(|| format!("{router} does not answer as a Uniswap V2 Router02"))?;
        let token0 = client.view(pair, IUniswapV2Pair::token0Call {}).await?;
        let token1 = client.view(pair, IUniswapV2Pair::token1Call {}).await?;
        if !((token0 == client.token && token1 == weth) || (token0 == weth && token1 == client.token)) {
            bail!("the staked token {pair} is not the DML/WETH pair of the router {router} (its tokens are {token0} and {token1})");
        }
        Ok(Lp { client, staking, router, pair, weth })
    }

    /// The pair's reserves as (DML, WETH).
    async fn reserves(&self) -> anyhow::Result<(U256, U256)> {
        let reserves = self.client.view(self.pair, IUniswapV2Pair::getReservesCall {}).await?;
        let (r0, r1) = (U256::from(reserves.reserve0), U256::from(reserves.reserve1));
        Ok(if self.client.token < self.weth { (r0, r1) } else { (r1, r0) })
    }

    async fn lp_balance(&self, owner: Address) -> anyhow::Result<U256> {
        self.client.view(self.pair, IUniswapV2Pair::balanceOfCall { owner }).await
    }

    async fn staked(&self, account: Address) -> anyhow::Result<U256> {
        self.client.view(self.staking, ILiquidityStaking::balanceOfCall { account }).await
    }

    async fn earned(&self, account: Address) -> anyhow::Result<U256> {
        self.client.view(self.staking, ILiquidityStaking::earnedCall { account }).await
    }

    /// The chain's latest timestamp plus `seconds`.
    async fn deadline(&self, seconds: u64) -> anyhow::Result<U256> {
        let (_, now) = self.client.head().await?;
        Ok(U256::from(now.saturating_add(seconds)))
    }
}

/// The first event `E` of `emitter` in a receipt that `accept` takes.
fn event_where<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address, accept: impl Fn(&E) -> bool) -> Option<E> {
    receipt.inner.logs().iter().find_map(|log| {
        if log.address() != emitter || log.topics().first() != Some(&E::SIGNATURE_HASH) {
            return None;
        }
        E::decode_log_data(log.data()).ok().filter(|event| accept(event))
    })
}

/// `amount × (1 − slippage)`, rounded down.
fn at_least(amount: U256, slippage: U256) -> U256 {
    amount * (U256::from(WAD) - slippage) / U256::from(WAD)
}

/// What addLiquidityETH takes of `desired` (DML, ETH) at `reserves`
/// (UniswapV2Router02._addLiquidity: all of one side, the other at the
/// pair's price; both when the pair is empty).
fn amounts_taken(desired: (U256, U256), reserves: (U256, U256)) -> (U256, U256) {
    let ((dml, eth), (dml_reserve, eth_reserve)) = (desired, reserves);
    if dml_reserve.is_zero() && eth_reserve.is_zero() {
        return (dml, eth);
    }
    let eth_optimal = dml * eth_reserve / dml_reserve;
    if eth_optimal <= eth {
        (dml, eth_optimal)
    } else {
        (eth * dml_reserve / eth_reserve, eth)
    }
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

async fn add(args: AddArgs) -> anyhow::Result<()> {
    if args.dml.is_zero() || args.eth.is_zero() {
        bail!("both amounts must be positive: liquidity is added as DML and ETH together");
    }
    let lp = Lp::connect(&args.client, &args.contracts).await?;
    let client = &lp.client;
    let provider = client.sender()?;
    let held = client.dml_balance(provider).await?;
    if held < args.dml {
        bail!("{provider} has {} DML; adding {} DML needs more", format_amount(held), format_amount(args.dml));
    }
    let reserves = lp.reserves().await?;
    let (dml_taken, eth_taken) = amounts_taken((args.dml, args.eth), reserves);
    if dml_taken.is_zero() || eth_taken.is_zero() {
        bail!(
            "at the pool's price ({} DML to {} ETH) adding {} DML and {} ETH puts nothing on one side: add more",
            format_amount(reserves.0),
            format_amount(reserves.1),
            format_amount(args.dml),
            format_amount(args.eth)
        );
    }
    let allowance = client.view(client.token, IDmlToken::allowanceCall { owner: provider, spender: lp.router }).await?;
    if allowance < args.dml {
        client
            .send(
                client.token,
                IDmlToken::approveCall { spender: lp.router, amount: args.dml },
                "approve (DML for the router)",
            )
            .await?;
    }
    let call = IUniswapV2Router02::addLiquidityETHCall {
        token: client.token,
        amountTokenDesired: args.dml,
        amountTokenMin: at_least(dml_taken, args.slippage),
        amountETHMin: at_least(eth_taken, args.slippage),
        to: provider,
        deadline: lp.deadline(args.deadline).await?,
    };
    let request = TransactionRequest::default()
        .with_to(lp.router)
        .with_value(args.eth)
        .with_input(Bytes::from(alloy_sol_types::SolCall::abi_encode(&call)));
    let receipt = client.send_request(request, "addLiquidityETH").await?;
    let minted: ILpToken::Transfer =
        event_where(&receipt, lp.pair, |t: &ILpToken::Transfer| t.from == Address::ZERO && t.to == provider)
            .ok_or_else(|| anyhow!("addLiquidityETH succeeded but the pair minted no LP tokens to {provider}"))?;
    // The pair's Mint says what it took: the router's return values are not in the receipt.
    let added: ILpToken::Mint = event_where(&receipt, lp.pair, |m: &ILpToken::Mint| m.sender == lp.router)
        .ok_or_else(|| anyhow!("addLiquidityETH succeeded but the pair emitted no Mint"))?;
    let (dml_added, eth_added) =
        if client.token < lp.weth { (added.amount0, added.amount1) } else { (added.amount1, added.amount0) };
    let balance = lp.lp_balance(provider).await?;
    let received = minted.value;
    if client.json {
        return print_json(&json!({
            "provider": provider,
            "dml": format_amount(dml_added),
            "eth": format_amount(eth_added),
            "eth_refunded": format_amount(args.eth.saturating_sub(eth_added)),
            "lp_tokens": format_amount(received),
            "lp_balance": format_amount(balance),
            "transaction": receipt.transaction_hash,
        }));
    }
    println!(
        "added {} DML and {} ETH to the DML/WETH pool {}; received {} LP tokens (transaction {})",
        format_amount(dml_added),
        format_amount(eth_added),
        lp.pair,
        format_amount(received),
        receipt.transaction_hash
    );
    if eth_added < args.eth {
        println!("the pool's price took less ETH: {} ETH was refunded", format_amount(args.eth - eth_added));
    }
    if dml_added < args.dml {
        println!("the pool's price took less DML: {} DML stays yours", format_amount(args.dml - dml_added));
    }
    println!("{provider} now holds {} LP tokens; stake them with `dml lp stake all`", format_amount(balance));
    Ok(())
}

async fn stake(args: StakeArgs) -> anyhow::Result<()> {
    let lp = Lp::connect(&args.client, &args.contracts).await?;
    let client = &lp.client;
    let account = client.sender()?;
    let held = lp.lp_balance(account).await?;
    let amount = match args.amount {
        LpAmount::All => held,
        LpAmount::Units(amount) => amount,
    };
    // The pair's own refusal would be a bare "ds-math-sub-underflow".
    if amount.is_zero() || held < amount {
        bail!(
            "{account} holds {} LP tokens of the DML/WETH pair {}; staking {} needs more (get some with `dml lp add DML ETH`)",
            format_amount(held),
            lp.pair,
            format_amount(amount)
        );
    }
    let allowance = client.view(lp.pair, ILpToken::allowanceCall { owner: account, spender: lp.staking }).await?;
    if allowance < amount {
        client
            .send(
                lp.pair,
                IUniswapV2Pair::approveCall { spender: lp.staking, value: amount },
                "approve (LP tokens for staking)",
            )
            .await?;
    }
    let receipt = client.send(lp.staking, ILiquidityStaking::stakeCall { amount }, "stake").await?;
    let staked: ILiquidityStaking::Staked = event_where(&receipt, lp.staking, |_: &ILiquidityStaking::Staked| true)
        .ok_or_else(|| anyhow!("stake succeeded but the staking contract emitted no Staked"))?;
    let total = lp.staked(account).await?;
    let earned = lp.earned(account).await?;
    if client.json {
        return print_json(&json!({
            "account": account,
            "staked": format_amount(staked.amount),
            "total_staked": format_amount(total),
            "earned": format_amount(earned),
            "transaction": receipt.transaction_hash,
        }));
    }
    println!(
        "{account} staked {} LP tokens (transaction {}); its stake is {} LP tokens, earned so far {} DML",
        format_amount(staked.amount),
        receipt.transaction_hash,
        format_amount(total),
        format_amount(earned)
    );
    Ok(())
}

async fn unstake(args: UnstakeArgs) -> anyhow::Result<()> {
    let lp = Lp::connect(&args.client, &args.contracts).await?;
    let client = &lp.client;
    let account = client.sender()?;
    let amount = match args.amount {
        LpAmount::All => {
            let staked = lp.staked(account).await?;
            if staked.is_zero() {
                bail!("{account} has no LP tokens staked in {}", lp.staking);
            }
            staked
        }
        LpAmount::Units(amount) => amount,
    };
    // More than staked: the contract's InsufficientStake says so.
    let receipt = client.send(lp.staking, ILiquidityStaking::withdrawCall { amount }, "withdraw").await?;
    let withdrawn: ILiquidityStaking::Withdrawn =
        event_where(&receipt, lp.staking, |_: &ILiquidityStaking::Withdrawn| true)
            .ok_or_else(|| anyhow!("withdraw succeeded but the staking contract emitted no Withdrawn"))?;
    let total = lp.staked(account).await?;
    let earned = lp.earned(account).await?;
    if client.json {
        return print_json(&json!({
            "account": account,
            "unstaked": format_amount(withdrawn.amount),
            "total_staked": format_amount(total),
            "earned": format_amount(earned),
            "transaction": receipt.transaction_hash,
        }));
    }
    println!(
        "{account} withdrew {} LP tokens (transaction {}); {} LP tokens stay staked",
        format_amount(withdrawn.amount),
        receipt.transaction_hash,
        format_amount(total)
    );
    if !earned.is_zero() {
        println!("{} DML earned stays claimable: `dml lp claim`", format_amount(earned));
    }
    Ok(())
}

async fn claim(args: ClaimArgs) -> anyhow::Result<()> {
    let lp = Lp::connect(&args.client, &args.contracts).await?;
    let client = &lp.client;
    let account = client.sender()?;
    let receipt = client.send(lp.staking, ILiquidityStaking::claimCall {}, "claim").await?;
    let paid = event_where(&receipt, lp.staking, |e: &ILiquidityStaking::RewardPaid| e.account == account)
        .map_or(U256::ZERO, |event| event.amount);
    let earned = lp.earned(account).await?;
    if client.json {
        return print_json(&json!({
            "account": account,
            "paid": format_amount(paid),
            "earned": format_amount(earned),
            "transaction": receipt.transaction_hash,
        }));
    }
    if paid.is_zero() {
        println!(
            "{account} had no whole DML base unit owed yet (transaction {}); rewards come with task claims on the engine",
            receipt.transaction_hash
        );
    } else {
        println!("paid {} DML to {account} (transaction {})", format_amount(paid), receipt.transaction_hash);
    }
    Ok(())
}

async fn status(args: StatusArgs) -> anyhow::Result<()> {
    let lp = Lp::connect(&args.client, &args.contracts).await?;
    let client = &lp.client;
    let account = match args.address {
        Some(address) => Some(address),
        None => client.sender().ok(),
    };
    let (dml_reserve, eth_reserve) = lp.reserves().await?;
    let supply = client.view(lp.pair, IUniswapV2Pair::totalSupplyCall {}).await?;
    let total_staked = client.view(lp.staking, ILiquidityStaking::totalStakedCall {}).await?;
    let undistributed = client.view(lp.staking, ILiquidityStaking::undistributedCall {}).await?;
    let total_paid = client.view(lp.staking, ILiquidityStaking::totalPaidCall {}).await?;
    let engine_accrued = client.engine_view(IEngine::accruedLiquidityRewardsCall {}).await?;
    let wad = U256::from(WAD);
    let price = (!dml_reserve.is_zero() && !eth_reserve.is_zero())
        .then(|| (eth_reserve * wad / dml_reserve, dml_reserve * wad / eth_reserve));
    let mut holder = None;
    if let Some(address) = account {
        let held = lp.lp_balance(address).await?;
        let staked = lp.staked(address).await?;
        let earned = lp.earned(address).await?;
        let owned = held + staked;
        let share = if supply.is_zero() {
            (U256::ZERO, U256::ZERO)
        } else {
            (owned * dml_reserve / supply, owned * eth_reserve / supply)
        };
        holder = Some((address, held, staked, earned, share));
    }
    if client.json {
        let account_json = holder.map(|(address, held, staked, earned, share)| {
            json!({
                "address": address,
                "lp_balance": format_amount(held),
                "staked": format_amount(staked),
                "earned": format_amount(earned),
                "pool_share": { "dml": format_amount(share.0), "eth": format_amount(share.1) },
            })
        });
        return print_json(&json!({
            "pair": lp.pair,
            "router": lp.router,
            "staking": lp.staking,
            "reserves": { "dml": format_amount(dml_reserve), "eth": format_amount(eth_reserve) },
            "price": price.map(|(eth_per_dml, dml_per_eth)| json!({
                "eth_per_dml": format_amount(eth_per_dml),
                "dml_per_eth": format_amount(dml_per_eth),
            })),
            "lp_supply": format_amount(supply),
            "total_staked": format_amount(total_staked),
            "engine_accrued": format_amount(engine_accrued),
            "undistributed": format_amount(undistributed),
            "total_paid": format_amount(total_paid),
            "account": account_json.unwrap_or(Value::Null),
        }));
    }
    println!("DML/WETH pair  {} (router {})", lp.pair, lp.router);
    println!("reserves       {} DML, {} ETH", format_amount(dml_reserve), format_amount(eth_reserve));
    match price {
        Some((eth_per_dml, dml_per_eth)) => {
            println!(
                "price          {} ETH per DML ({} DML per ETH)",
                format_amount(eth_per_dml),
                format_amount(dml_per_eth)
            )
        }
        None => println!("price          none yet: the pool is empty (`dml lp add DML ETH` sets it)"),
    }
    println!(
        "LP tokens      {} in all, {} staked in {}",
        format_amount(supply),
        format_amount(total_staked),
        lp.staking
    );
    println!(
        "rewards        {} DML paid to stakers; {} DML here to share; {} DML the engine holds for the next pull",
        format_amount(total_paid),
        format_amount(undistributed),
        format_amount(engine_accrued)
    );
    if let Some((address, held, staked, earned, share)) = holder {
        println!("account        {address}");
        println!("  LP tokens    {} held, {} staked", format_amount(held), format_amount(staked));
        println!("  earned       {} DML (`dml lp claim`)", format_amount(earned));
        println!("  pool share   {} DML and {} ETH", format_amount(share.0), format_amount(share.1));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        lp: LpCommand,
    }

    fn parse(args: &[&str]) -> Result<LpCommand, clap::Error> {
        Cli::try_parse_from(std::iter::once("lp").chain(args.iter().copied())).map(|cli| cli.lp)
    }

    fn units(text: &str) -> U256 {
        parse_amount(text).unwrap()
    }

    #[test]
    fn amounts_parse_as_decimals_or_all() {
        let LpCommand::Stake(stake) = parse(&["stake", "all"]).unwrap() else { panic!("not a stake") };
        assert_eq!(stake.amount, LpAmount::All);
        let LpCommand::Unstake(unstake) = parse(&["unstake", "0.25"]).unwrap() else { panic!("not an unstake") };
        assert_eq!(unstake.amount, LpAmount::Units(units("0.25")));
        let error = parse(&["stake", "0"]).unwrap_err().to_string();
        assert!(error.contains("must be positive"), "{error}");
        let error = parse(&["stake", "lots"]).unwrap_err().to_string();
        assert!(error.contains("not a decimal number") && error.contains("or `all`"), "{error}");
        let LpCommand::Add(add) = parse(&["add", "100", "0.1", "--slippage", "1"]).unwrap() else {
            panic!("not an add")
        };
        assert_eq!((add.dml, add.eth, add.slippage), (units("100"), units("0.1"), units("0.01")));
        assert_eq!(add.deadline, 1200);
        assert!(parse(&["add", "100"]).is_err(), "an add needs both amounts");
        let error = parse(&["add", "1", "1", "--slippage", "101"]).unwrap_err().to_string();
        assert!(error.contains("over 100 %"), "{error}");
    }

    #[test]
    fn add_takes_what_the_price_asks() {
        let reserves = (units("1000"), units("1"));
        assert_eq!(amounts_taken((units("100"), units("1")), reserves), (units("100"), units("0.1")));
        assert_eq!(amounts_taken((units("500"), units("0.2")), reserves), (units("200"), units("0.2")));
        assert_eq!(amounts_taken((units("5"), units("7")), (U256::ZERO, U256::ZERO)), (units("5"), units("7")));
        assert_eq!(at_least(units("100"), units("0.005")), units("99.5"));
        assert_eq!(at_least(units("100"), U256::ZERO), units("100"));
    }

    #[test]
    fn every_subcommand_has_help() {
        use clap::CommandFactory;
        let command = Cli::command();
        for sub in command.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no about", sub.get_name());
        }
        let add = command.find_subcommand("add").unwrap();
        assert!(add.get_long_about().unwrap().to_string().contains("refunded"));
    }
}
