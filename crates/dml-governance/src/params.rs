//! The governance parameters a deployment starts with.

use alloy_primitives::U256;
use dml_primitives::ONE_DML;
use serde::{Deserialize, Serialize};

/// Largest value of a Solidity `uint48` (the Governor's voting delay).
const UINT48_MAX: u64 = (1 << 48) - 1;

/// The parameters of a new `DMLGovernor` and its timelock. Every one may later
/// be changed by a proposal.
///
/// The defaults are the whitepaper's (§ governance: Bravo-style voting, "an
/// initial quorum requirement of 4 %, a 1 day voting delay and 1 week voting
/// period") plus a two-day timelock and a proposal threshold of 1,000 DML. The
/// whitepaper names no threshold; 1,000 DML is 0.1 % of the 1,000,000 DML cap,
/// the fraction-of-a-percent range Bravo-style DAOs use: one committed holder,
/// or a few delegates pooling their votes, can propose, while a throwaway
/// account cannot flood voters with proposals. While emission is young the
/// circulating supply is below the cap, so the bar is higher at first;
/// governance may lower it (`setProposalThreshold`).
///
/// Deserialization accepts any subset of the fields (the rest keep their
/// defaults) and rejects unknown ones. `proposal_threshold` is a string of base
/// units, decimal or `0x` hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GovernorParams {
    /// Seconds from a proposal to its snapshot, when voting opens (a `uint48`).
    pub voting_delay: u64,
    /// Seconds voting stays open (a `uint32`, at least 1).
    pub voting_period: u64,
    /// Votes needed to propose, in token base units (18 decimals).
    pub proposal_threshold: U256,
    /// Percent of the supply at the snapshot that must vote for or abstain (0–100).
    pub quorum_percent: u64,
    /// Seconds a passed proposal waits in the timelock before it may run.
    pub timelock_delay: u64,
}

impl GovernorParams {
    /// One day.
    pub const DEFAULT_VOTING_DELAY: u64 = 86_400;
    /// One week.
    pub const DEFAULT_VOTING_PERIOD: u64 = 604_800;
    /// 4 %.
    pub const DEFAULT_QUORUM_PERCENT: u64 = 4;
    /// Two days.
    pub const DEFAULT_TIMELOCK_DELAY: u64 = 172_800;
    /// 1,000 DML in base units (0.1 % of the cap).
    pub const DEFAULT_PROPOSAL_THRESHOLD: U256 = ONE_DML.saturating_mul(U256::from_limbs([1_000, 0, 0, 0]));

    /// Checks that the contracts would accept these values and that they make
    /// sense: a voting period of at least one second, a quorum of at most
    /// 100 %, and delays and periods that fit the Governor's integer types.
    pub fn validate(&self) -> Result<(), GovernorParamsError> {
        if self.voting_period == 0 {
            return Err(GovernorParamsError::ZeroVotingPeriod);
        }
        if self.voting_period > u64::from(u32::MAX) {
            return Err(GovernorParamsError::VotingPeriodTooLong(self.voting_period));
        }
        if self.voting_delay > UINT48_MAX {
            return Err(GovernorParamsError::VotingDelayTooLong(self.voting_delay));
        }
        if self.quorum_percent > 100 {
            return Err(GovernorParamsError::QuorumOver100(self.quorum_percent));
        }
        Ok(())
    }
}

impl Default for GovernorParams {
    fn default() -> Self {
        Self {
            voting_delay: Self::DEFAULT_VOTING_DELAY,
            voting_period: Self::DEFAULT_VOTING_PERIOD,
            proposal_threshold: Self::DEFAULT_PROPOSAL_THRESHOLD,
            quorum_percent: Self::DEFAULT_QUORUM_PERCENT,
            timelock_delay: Self::DEFAULT_TIMELOCK_DELAY,
        }
    }
}

/// Why [`GovernorParams`] cannot configure a Governor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GovernorParamsError {
    /// A vote that closes as it opens; the Governor rejects it.
    #[error("voting_period must be at least 1 second")]
    ZeroVotingPeriod,
    /// The Governor stores the voting period as a `uint32`.
    #[error("voting_period of {0} s does not fit the Governor's uint32 (at most 4294967295 s, about 136 years)")]
    VotingPeriodTooLong(u64),
    /// The Governor stores the voting delay as a `uint48`.
    #[error("voting_delay of {0} s does not fit the Governor's uint48 (at most 281474976710655 s)")]
    VotingDelayTooLong(u64),
    /// The quorum is a share of the supply.
    #[error("quorum_percent of {0} is over 100")]
    QuorumOver100(u64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_whitepapers() {
        let params = GovernorParams::default();
        assert_eq!(params.voting_delay, 24 * 60 * 60);
        assert_eq!(params.voting_period, 7 * 24 * 60 * 60);
        assert_eq!(params.quorum_percent, 4);
        assert_eq!(params.timelock_delay, 2 * 24 * 60 * 60);
        assert_eq!(params.proposal_threshold, U256::from(1_000u64) * ONE_DML);
        assert_eq!(params.proposal_threshold * U256::from(1_000u64), dml_primitives::MAX_SUPPLY);
        assert_eq!(params.validate(), Ok(()));
    }

    #[test]
    fn validate_rejects_values_the_contracts_cannot_hold() {
        let base = GovernorParams::default();
        let check = |params: GovernorParams| params.validate();
        assert_eq!(check(GovernorParams { voting_period: 0, ..base }), Err(GovernorParamsError::ZeroVotingPeriod));
        assert_eq!(
            check(GovernorParams { voting_period: 1 << 32, ..base }),
            Err(GovernorParamsError::VotingPeriodTooLong(1 << 32))
        );
        assert_eq!(check(GovernorParams { voting_period: u64::from(u32::MAX), ..base }), Ok(()));
        assert_eq!(
            check(GovernorParams { voting_delay: 1 << 48, ..base }),
            Err(GovernorParamsError::VotingDelayTooLong(1 << 48))
        );
        assert_eq!(check(GovernorParams { voting_delay: 0, ..base }), Ok(()));
        assert_eq!(check(GovernorParams { quorum_percent: 101, ..base }), Err(GovernorParamsError::QuorumOver100(101)));
        assert_eq!(check(GovernorParams { quorum_percent: 100, ..base }), Ok(()));
    }

    #[test]
    fn deserializes_partial_configs_and_rejects_unknown_fields() {
        let params: GovernorParams =
            serde_json::from_str(r#"{"voting_period": 100, "proposal_threshold": "1000"}"#).unwrap();
        assert_eq!(params.voting_period, 100);
        assert_eq!(params.proposal_threshold, U256::from(1_000u64));
        assert_eq!(params.voting_delay, GovernorParams::DEFAULT_VOTING_DELAY);
        assert!(serde_json::from_str::<GovernorParams>(r#"{"quorum": 4}"#).is_err());
        let round_trip: GovernorParams =
            serde_json::from_str(&serde_json::to_string(&GovernorParams::default()).unwrap()).unwrap();
        assert_eq!(round_trip, GovernorParams::default());
    }
}
