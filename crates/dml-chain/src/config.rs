//! The node's configuration: where it listens and stores, how it mines, and
//! the genesis (dev accounts, balances, engine parameters), loadable from a
//! TOML or JSON file.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::{Address, U256};
use dml_engine::Parameters;
use dml_governance::GovernorParams;
use serde::{Deserialize, Serialize};

use crate::ChainError;

/// The standard test mnemonic whose first ten keys hardhat and anvil fund.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// How the node runs.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Where JSON-RPC (HTTP and WebSocket) listens; port 0 picks a free port.
    pub rpc_address: SocketAddr,
    /// Where blocks and state persist; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// Mine on this interval instead of on every transaction.
    pub block_time: Option<Duration>,
    /// The chain's genesis (used only when the data directory is new).
    pub genesis: GenesisConfig,
    /// Largest JSON-RPC request body accepted, in bytes.
    pub max_request_bytes: usize,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            rpc_address: SocketAddr::from(([127, 0, 0, 1], 8545)),
            data_dir: None,
            block_time: None,
            genesis: GenesisConfig::default(),
            max_request_bytes: 4 * 1024 * 1024,
        }
    }
}

/// One extra genesis allocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// The funded account.
    pub address: Address,
    /// Wei.
    #[serde(default)]
    pub wei: U256,
    /// DML base units (1e18 = 1 DML).
    #[serde(default)]
    pub dml: U256,
}

/// The genesis of a new chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Genesis block timestamp (Unix seconds); absent: the time the chain is created.
    pub timestamp: Option<u64>,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Base fee of the first block, in wei.
    pub initial_base_fee: u64,
    /// Mnemonic of the funded dev accounts.
    pub mnemonic: String,
    /// How many dev accounts (`m/44'/60'/0'/0/i`) to fund.
    pub dev_accounts: u32,
    /// ETH per dev account (whole ether).
    pub dev_account_eth: u64,
    /// DML per dev account (whole DML), allocated by the engine's genesis.
    pub dev_account_dml: u64,
    /// Further allocations.
    pub allocations: Vec<Allocation>,
    /// The engine's roles and parameters.
    pub engine: EngineConfig,
    /// The Governor's and the timelock's settings (the whitepaper's by default).
    pub governance: GovernorParams,
    /// Models registered at genesis with their reward rates.
    pub models: Vec<GenesisModel>,
    /// The DML/WETH pool and its LP staking (Uniswap V2 and `LiquidityStaking`).
    pub liquidity: LiquidityConfig,
    /// The example contracts that request inference (off unless enabled).
    pub examples: ExamplesConfig,
}

/// A model registered at genesis (as `registerModel` by `addr`) and given its
/// reward rate, so rewards need no later governance call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisModel {
    /// Fee recipient and registrant; absent: the first dev account.
    #[serde(default)]
    pub addr: Option<Address>,
    /// Fee per task, in DML base units.
    #[serde(default)]
    pub fee: U256,
    /// Reward rate (1e18 = the full reward).
    #[serde(default)]
    pub rate: U256,
    /// The model's template, as JSON text.
    pub template: String,
}

impl Default for GenesisConfig {
    fn default() -> Self {
        Self {
            chain_id: dml_primitives::DEV_CHAIN_ID,
            timestamp: None,
            gas_limit: 30_000_000,
            initial_base_fee: 1_000_000_000,
            mnemonic: DEV_MNEMONIC.into(),
            dev_accounts: 10,
            dev_account_eth: 10_000,
            dev_account_dml: 1_000,
            allocations: Vec::new(),
            engine: EngineConfig::default(),
            governance: GovernorParams::default(),
            models: Vec::new(),
            liquidity: LiquidityConfig::default(),
            examples: ExamplesConfig::default(),
        }
    }
}

/// The example contracts that request inference (whitepaper appendix A),
/// deployed at genesis when `enabled` (see [`crate::examples`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExamplesConfig {
    /// Whether the genesis deploys them.
    pub enabled: bool,
    /// The model the NFT collection mints with: a model id (0x…) or the
    /// name in a genesis model's template; absent: the first genesis model.
    pub nft_model: Option<String>,
    /// The gateway prefix of the NFTs' `external_url` (ending in `/ipfs/`).
    pub gateway_base: String,
    /// The gas each example's callback gets.
    pub callback_gas_limit: u64,
    /// The task fee of each NFT mint and chain step, in DML base units.
    pub task_fee: U256,
    /// The callback fee of each NFT mint and chain step, in DML base units.
    pub callback_fee: U256,
}

impl Default for ExamplesConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            nft_model: None,
            gateway_base: "http://127.0.0.1:8080/ipfs/".into(),
            callback_gas_limit: 200_000,
            task_fee: U256::ZERO,
            // A hundredth of a DML to whoever delivers: enough to show the
            // fee moving, small beside the dev accounts' 1,000 DML.
            callback_fee: U256::from(10_000_000_000_000_000u64),
        }
    }
}

/// The liquidity the genesis seeds the DML/WETH Uniswap V2 pair with (the
/// contracts themselves are always deployed; see [`crate::liquidity`]). Both
/// seeds zero: the pair is created empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiquidityConfig {
    /// DML (whole DML) minted to the genesis deployer and added to the pair.
    pub seed_dml: u64,
    /// ETH (whole ether) given to the genesis deployer and added to the pair as WETH.
    pub seed_eth: u64,
    /// Receives the seed's LP tokens; absent: the first dev account, or the
    /// governance timelock without dev accounts.
    pub lp_recipient: Option<Address>,
}

impl Default for LiquidityConfig {
    fn default() -> Self {
        // 0.001 ETH per DML. A tenth of the dev accounts' DML, so the supply
        // (which quorum and slash are fractions of) grows by 10 %.
        Self { seed_dml: 1_000, seed_eth: 1, lp_recipient: None }
    }
}

impl LiquidityConfig {
    /// Whether the genesis adds liquidity to the pair.
    pub fn seeds(&self) -> bool {
        self.seed_dml != 0 || self.seed_eth != 0
    }

    /// The seed in base units: (DML, wei).
    pub fn seed_base_units(&self) -> (U256, U256) {
        let ether = U256::from(10u64).pow(U256::from(18));
        (U256::from(self.seed_dml) * dml_primitives::ONE_DML, U256::from(self.seed_eth) * ether)
    }

    fn validate(&self) -> Result<(), ChainError> {
        if (self.seed_dml == 0) != (self.seed_eth == 0) {
            return Err(ChainError::Config(format!(
                "liquidity: seed_dml ({}) and seed_eth ({}) must both be zero (no seed) or both positive",
                self.seed_dml, self.seed_eth
            )));
        }
        if self.lp_recipient == Some(Address::ZERO) {
            return Err(ChainError::Config(
                "liquidity: lp_recipient must not be the zero address (the LP tokens would be burnt)".into(),
            ));
        }
        Ok(())
    }
}

/// The engine's roles and parameters at genesis. Absent, the owner and the
/// treasury are the governance timelock, and the pause guardian is the first
/// dev account (none without dev accounts). Naming an owner hands the
/// protocol to that key instead of to governance: for private test networks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Owner of every setter; absent: the governance timelock.
    pub owner: Option<Address>,
    /// May pause the engine (only the owner unpauses); absent: the first dev account.
    pub pauser: Option<Address>,
    /// Receives accrued fees and treasury rewards; absent: the governance timelock.
    pub treasury: Option<Address>,
    /// Receives liquidity rewards (`withdrawLiquidityRewards`); absent: the
    /// genesis `LiquidityStaking` contract; zero: held by the engine.
    pub liquidity_pool: Option<Address>,
    /// Start of the emission curve; absent: the genesis timestamp.
    pub start_time: Option<u64>,
    /// Minimum validator stake as a fraction of supply (1e18 = 100 %).
    pub validator_minimum_percentage: u64,
    /// Slash per losing vote as a fraction of supply.
    pub slash_amount_percentage: u64,
    /// Treasury share of task fees.
    pub solution_fee_percentage: u64,
    /// Treasury share of retracted fees.
    pub retraction_fee_percentage: u64,
    /// Treasury share of minted rewards.
    pub treasury_reward_percentage: u64,
    /// Liquidity share of minted rewards.
    pub liquidity_reward_percentage: u64,
    /// Seconds before a solution can be claimed.
    pub min_claim_solution_time: u64,
    /// Seconds before an unsolved task can be retracted.
    pub min_retraction_wait_time: u64,
    /// Seconds a contestation vote stays open.
    pub min_contestation_vote_period_time: u64,
    /// Slack on a voter's stake age.
    pub max_contestation_validator_stake_since: u64,
    /// Seconds before a validator withdrawal unlocks.
    pub exit_validator_min_unlock_time: u64,
    /// Cap on counted delegation as a multiple of a solver's own stake (1e18 = 1×).
    pub delegation_cap_ratio: u64,
    /// Highest commission a solver may set (1e18 = 100 %).
    pub max_delegation_commission: u64,
    /// Seconds between commission changes, and before a raise applies.
    pub delegation_commission_cooldown: u64,
    /// Seconds before undelegated stake can be withdrawn (more than the
    /// claim window plus the vote period).
    pub delegation_unbonding_time: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        let p = Parameters::default();
        Self {
            owner: None,
            pauser: None,
            treasury: None,
            liquidity_pool: None,
            start_time: None,
            validator_minimum_percentage: p.validator_minimum_percentage,
            slash_amount_percentage: p.slash_amount_percentage,
            solution_fee_percentage: p.solution_fee_percentage,
            retraction_fee_percentage: p.retraction_fee_percentage,
            treasury_reward_percentage: p.treasury_reward_percentage,
            liquidity_reward_percentage: p.liquidity_reward_percentage,
            min_claim_solution_time: p.min_claim_solution_time,
            min_retraction_wait_time: p.min_retraction_wait_time,
            min_contestation_vote_period_time: p.min_contestation_vote_period_time,
            max_contestation_validator_stake_since: p.max_contestation_validator_stake_since,
            exit_validator_min_unlock_time: p.exit_validator_min_unlock_time,
            delegation_cap_ratio: p.delegation_cap_ratio,
            max_delegation_commission: p.max_delegation_commission,
            delegation_commission_cooldown: p.delegation_commission_cooldown,
            delegation_unbonding_time: p.delegation_unbonding_time,
        }
    }
}

impl EngineConfig {
    /// The engine parameters this configuration sets.
    pub fn parameters(&self) -> Parameters {
        Parameters {
            validator_minimum_percentage: self.validator_minimum_percentage,
            slash_amount_percentage: self.slash_amount_percentage,
            solution_fee_percentage: self.solution_fee_percentage,
            retraction_fee_percentage: self.retraction_fee_percentage,
            treasury_reward_percentage: self.treasury_reward_percentage,
            liquidity_reward_percentage: self.liquidity_reward_percentage,
            min_claim_solution_time: self.min_claim_solution_time,
            min_retraction_wait_time: self.min_retraction_wait_time,
            min_contestation_vote_period_time: self.min_contestation_vote_period_time,
            max_contestation_validator_stake_since: self.max_contestation_validator_stake_since,
            exit_validator_min_unlock_time: self.exit_validator_min_unlock_time,
            delegation_cap_ratio: self.delegation_cap_ratio,
            max_delegation_commission: self.max_delegation_commission,
            delegation_commission_cooldown: self.delegation_commission_cooldown,
            delegation_unbonding_time: self.delegation_unbonding_time,
        }
    }
}

impl GenesisConfig {
    /// Reads a genesis file: TOML, or JSON when the name ends in `.json`.
    pub fn load(path: &std::path::Path) -> Result<Self, ChainError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| ChainError::Config(format!("cannot read {}: {error}", path.display())))?;
        let is_json = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        let config: Self = if is_json {
            serde_json::from_str(&text).map_err(|error| ChainError::Config(format!("{}: {error}", path.display())))?
        } else {
            toml::from_str(&text).map_err(|error| ChainError::Config(format!("{}: {error}", path.display())))?
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the values a chain cannot start with.
    pub fn validate(&self) -> Result<(), ChainError> {
        if self.chain_id == 0 {
            return Err(ChainError::Config("chain_id must be non-zero".into()));
        }
        if self.gas_limit < 21_000 {
            return Err(ChainError::Config("gas_limit must be at least 21000".into()));
        }
        if self.dev_accounts > 1000 {
            return Err(ChainError::Config("dev_accounts must be at most 1000".into()));
        }
        self.governance.validate().map_err(|error| ChainError::Config(format!("governance: {error}")))?;
        self.liquidity.validate()?;
        let gas = self.examples.callback_gas_limit;
        if self.examples.enabled && !(1..=dml_primitives::MAX_CALLBACK_GAS).contains(&gas) {
            return Err(ChainError::Config(format!(
                "examples: callback_gas_limit ({gas}) must be 1 to {}",
                dml_primitives::MAX_CALLBACK_GAS
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_keep_other_defaults() {
        let config: GenesisConfig =
            toml::from_str("dev_account_dml = 5\n[engine]\nmin_claim_solution_time = 10\n").unwrap();
        assert_eq!(config.dev_account_dml, 5);
        assert_eq!(config.engine.min_claim_solution_time, 10);
        assert_eq!(config.chain_id, 31337);
        assert_eq!(config.engine.min_retraction_wait_time, Parameters::default().min_retraction_wait_time);
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<GenesisConfig>("chainid = 5\n").is_err());
    }
}
