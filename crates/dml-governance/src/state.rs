//! The named states of a Governor proposal and of a timelock operation, and
//! the `bytes32` bitmaps of them that OpenZeppelin's errors carry
//! (`bytes32(1 << uint8(state))` per expected state).

use std::fmt;

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

/// A proposal's state, as OpenZeppelin 5.x `IGovernor.ProposalState` (same order,
/// so `state as u8` is the value `state(uint256)` returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProposalState {
    /// Proposed; voting has not started (until the snapshot).
    Pending,
    /// Voting is open.
    Active,
    /// Canceled by its proposer (or its timelock operation was canceled).
    Canceled,
    /// Voting ended without quorum or with no more for than against votes.
    Defeated,
    /// Voting passed; the proposal may be queued.
    Succeeded,
    /// In the timelock, waiting for its eta or ready to run.
    Queued,
    /// Passed but never executed in time (unused by timelocked governors).
    Expired,
    /// Its calls ran.
    Executed,
}

impl ProposalState {
    /// Every state, in OpenZeppelin's order.
    pub const ALL: [ProposalState; 8] = [
        Self::Pending,
        Self::Active,
        Self::Canceled,
        Self::Defeated,
        Self::Succeeded,
        Self::Queued,
        Self::Expired,
        Self::Executed,
    ];

    /// The state a `uint8` from `state(uint256)` names; `None` past `Executed`.
    pub fn from_u8(value: u8) -> Option<Self> {
        Self::ALL.get(usize::from(value)).copied()
    }

    /// The state's name, as Solidity spells it ("Succeeded").
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Active => "Active",
            Self::Canceled => "Canceled",
            Self::Defeated => "Defeated",
            Self::Succeeded => "Succeeded",
            Self::Queued => "Queued",
            Self::Expired => "Expired",
            Self::Executed => "Executed",
        }
    }

    /// The state's bit in a `bytes32` state bitmap.
    pub fn bitmap(self) -> B256 {
        bit(self as u8)
    }

    /// The states whose bits are set in `bitmap`, in order; bits past
    /// `Executed` are ignored.
    pub fn from_bitmap(bitmap: B256) -> Vec<Self> {
        Self::ALL.into_iter().filter(|state| has_bit(bitmap, *state as u8)).collect()
    }
}

impl fmt::Display for ProposalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A timelock operation's state, as OpenZeppelin 5.x
/// `TimelockController.OperationState` (same order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationState {
    /// Never scheduled (or canceled).
    Unset,
    /// Scheduled; its eta has not come.
    Waiting,
    /// Scheduled and its eta has come: it may run.
    Ready,
    /// It ran.
    Done,
}

impl OperationState {
    /// Every state, in OpenZeppelin's order.
    pub const ALL: [OperationState; 4] = [Self::Unset, Self::Waiting, Self::Ready, Self::Done];

    /// The state a `uint8` from `getOperationState(bytes32)` names.
    pub fn from_u8(value: u8) -> Option<Self> {
        Self::ALL.get(usize::from(value)).copied()
    }

    /// The state's name, as Solidity spells it ("Ready").
    pub fn name(self) -> &'static str {
        match self {
            Self::Unset => "Unset",
            Self::Waiting => "Waiting",
            Self::Ready => "Ready",
            Self::Done => "Done",
        }
    }

    /// The state's bit in a `bytes32` state bitmap.
    pub fn bitmap(self) -> B256 {
        bit(self as u8)
    }

    /// The states whose bits are set in `bitmap`, in order.
    pub fn from_bitmap(bitmap: B256) -> Vec<Self> {
        Self::ALL.into_iter().filter(|state| has_bit(bitmap, *state as u8)).collect()
    }
}

impl fmt::Display for OperationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `bytes32(1 << index)`, for an index below 8.
fn bit(index: u8) -> B256 {
    B256::with_last_byte(1 << index)
}

fn has_bit(bitmap: B256, index: u8) -> bool {
    bitmap[31] & (1 << index) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposal_states_round_trip_through_u8_and_bitmaps() {
        for (index, state) in ProposalState::ALL.into_iter().enumerate() {
            assert_eq!(ProposalState::from_u8(index as u8), Some(state));
            assert_eq!(state as usize, index);
            assert_eq!(ProposalState::from_bitmap(state.bitmap()), vec![state]);
        }
        assert_eq!(ProposalState::from_u8(8), None);
        let both = B256::with_last_byte(ProposalState::Succeeded.bitmap()[31] | ProposalState::Queued.bitmap()[31]);
        assert_eq!(ProposalState::from_bitmap(both), vec![ProposalState::Succeeded, ProposalState::Queued]);
    }

    #[test]
    fn proposal_states_serialize_lowercase_and_display_capitalized() {
        assert_eq!(serde_json::to_string(&ProposalState::Succeeded).unwrap(), "\"succeeded\"");
        assert_eq!(serde_json::from_str::<ProposalState>("\"queued\"").unwrap(), ProposalState::Queued);
        assert_eq!(ProposalState::Active.to_string(), "Active");
    }

    #[test]
    fn operation_states_follow_openzeppelin_order() {
        assert_eq!(OperationState::from_u8(2), Some(OperationState::Ready));
        assert_eq!(OperationState::from_u8(4), None);
        assert_eq!(OperationState::Ready.bitmap(), B256::with_last_byte(4));
        assert_eq!(OperationState::Done.to_string(), "Done");
    }
}
