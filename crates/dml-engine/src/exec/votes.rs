//! Votes in the DML token (ERC-5805 with an ERC-6372 timestamp clock), as
//! OpenZeppelin's `ERC20Votes` behaves: a holder's balance counts for the
//! account it delegates to, and for nobody until it delegates; every
//! transfer and mint moves votes between the two sides' delegates; votes and
//! the total supply are checkpointed per second, so the Governor can read
//! them as they were when a proposal's vote started.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolError;
use dml_primitives::IDmlToken;

use super::{get, set, u, Exec, Result};
use crate::{
    journal::{address_to_word, word_to_address},
    layout::{field, token as ts},
    storage::{address_slot, array_data_slot},
    Contract, Storage,
};

/// A checkpoint: from `key` (clock time) on, `value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Checkpoint {
    pub(super) key: u64,
    pub(super) value: U256,
}

/// Where a checkpoint list keeps checkpoint `index`: its word and bit offset.
fn checkpoint_location(list: U256, index: U256) -> (U256, usize) {
    let word = array_data_slot(list) + (index >> 1);
    let half = if index.bit(0) { field::CHECKPOINT } else { 0 };
    (word, half)
}

fn vote_list(delegate: Address) -> U256 {
    address_slot(delegate, u(ts::VOTE_CHECKPOINTS))
}

fn supply_list() -> U256 {
    u(ts::SUPPLY_CHECKPOINTS)
}

impl<S: Storage> Exec<'_, '_, S> {
    /// The ERC-6372 clock: the block's timestamp.
    pub(super) fn clock(&self) -> u64 {
        self.ctx.timestamp
    }

    /// Whom `holder` delegates to; the engine (whose balance is stake and
    /// escrow) never delegates.
    pub(super) fn delegatee(&mut self, holder: Address) -> Address {
        if holder == self.ctx.contracts.engine {
            return Address::ZERO;
        }
        let word = self.j.load(Contract::Token, Self::balance_slot(holder));
        word_to_address(get(word, field::DELEGATEE))
    }

    fn checkpoint_count(&mut self, list: U256) -> U256 {
        self.j.load(Contract::Token, list)
    }

    pub(super) fn checkpoint(&mut self, list: U256, index: U256) -> Checkpoint {
        let (slot, half) = checkpoint_location(list, index);
        let word = self.j.load(Contract::Token, slot);
        let packed = get(word, (half, field::CHECKPOINT));
        Checkpoint { key: get(packed, field::CHECKPOINT_KEY).to::<u64>(), value: get(packed, field::CHECKPOINT_VALUE) }
    }

    fn write_checkpoint(&mut self, list: U256, index: U256, checkpoint: Checkpoint) {
        let (slot, half) = checkpoint_location(list, index);
        let word = self.j.load(Contract::Token, slot);
        let packed =
            set(set(U256::ZERO, field::CHECKPOINT_KEY, u(checkpoint.key)), field::CHECKPOINT_VALUE, checkpoint.value);
        self.j.store(Contract::Token, slot, set(word, (half, field::CHECKPOINT), packed));
    }

    /// The list's latest value (zero when it has none).
    fn latest(&mut self, list: U256) -> U256 {
        let count = self.checkpoint_count(list);
        if count.is_zero() {
            return U256::ZERO;
        }
        self.checkpoint(list, count - u(1)).value
    }

    /// Records `value` as of now: overwrites the last checkpoint if it is
    /// from this second, else appends one. Returns (previous, new) value.
    fn push(&mut self, list: U256, add: bool, delta: U256) -> (U256, U256) {
        let now = self.clock();
        let count = self.checkpoint_count(list);
        let last = if count.is_zero() { None } else { Some(self.checkpoint(list, count - u(1))) };
        let previous = last.map_or(U256::ZERO, |c| c.value);
        // Votes never go below a delegator's balance, nor the supply below a
        // burn; the property tests hold the engine to it.
        let value = if add { previous + delta } else { previous.saturating_sub(delta) };
        match last {
            Some(c) if c.key == now => self.write_checkpoint(list, count - u(1), Checkpoint { key: now, value }),
            _ => {
                self.write_checkpoint(list, count, Checkpoint { key: now, value });
                self.j.store(Contract::Token, list, count + u(1));
            }
        }
        (previous, value)
    }

    /// The value of the last checkpoint at or before `timepoint` (zero if none).
    fn lookup(&mut self, list: U256, timepoint: u64) -> U256 {
        // Binary search for the first checkpoint after `timepoint`.
        let mut low = U256::ZERO;
        let mut high = self.checkpoint_count(list);
        while low < high {
            let mid = (low + high) >> 1;
            if self.checkpoint(list, mid).key > timepoint {
                high = mid;
            } else {
                low = mid + u(1);
            }
        }
        if low.is_zero() {
            U256::ZERO
        } else {
            self.checkpoint(list, low - u(1)).value
        }
    }

    /// Moves `amount` votes from one delegate to another (zero: nobody).
    pub(super) fn move_votes(&mut self, from: Address, to: Address, amount: U256) {
        if from == to || amount.is_zero() {
            return;
        }
        for (delegate, add) in [(from, false), (to, true)] {
            if !delegate.is_zero() {
                let (previous, new) = self.push(vote_list(delegate), add, amount);
                let event = IDmlToken::DelegateVotesChanged { delegate, previousVotes: previous, newVotes: new };
                self.j.emit_event(Contract::Token, &event);
            }
        }
    }

    /// Checkpoints the total supply grown by `amount` now.
    pub(super) fn grow_supply(&mut self, amount: U256) {
        self.push(supply_list(), true, amount);
    }

    /// A mint's votes: the supply grows now, and the recipient's delegate gains.
    pub(super) fn mint_votes(&mut self, to: Address, amount: U256) {
        self.grow_supply(amount);
        let delegate = self.delegatee(to);
        self.move_votes(Address::ZERO, delegate, amount);
    }

    /// `holder` delegates its votes to `delegatee` from now on.
    pub(super) fn delegate(&mut self, holder: Address, delegatee: Address) -> Result<()> {
        if holder == self.ctx.contracts.engine {
            return Err("the engine's stake does not vote");
        }
        let slot = Self::balance_slot(holder);
        let word = self.j.load(Contract::Token, slot);
        let previous = word_to_address(get(word, field::DELEGATEE));
        self.j.store(Contract::Token, slot, set(word, field::DELEGATEE, address_to_word(delegatee)));
        self.j.emit_event(
            Contract::Token,
            &IDmlToken::DelegateChanged { delegator: holder, fromDelegate: previous, toDelegate: delegatee },
        );
        let balance = get(word, field::BALANCE);
        self.move_votes(previous, delegatee, balance);
        Ok(())
    }

    /// A past look-up must be strictly before the current clock.
    fn past(&mut self, timepoint: U256) -> Result<u64> {
        let clock = self.clock();
        if timepoint >= u(clock) {
            return Err(self.custom(IDmlToken::ERC5805FutureLookup {
                timepoint,
                clock: alloy_primitives::aliases::U48::from(clock),
            }));
        }
        Ok(timepoint.to::<u64>())
    }

    /// `getVotes(account)`: the votes delegated to `account` now.
    pub(super) fn votes(&mut self, account: Address) -> U256 {
        self.latest(vote_list(account))
    }

    /// `getPastVotes(account, timepoint)`.
    pub(super) fn past_votes(&mut self, account: Address, timepoint: U256) -> Result<U256> {
        let t = self.past(timepoint)?;
        Ok(self.lookup(vote_list(account), t))
    }

    /// `getPastTotalSupply(timepoint)`.
    pub(super) fn past_total_supply(&mut self, timepoint: U256) -> Result<U256> {
        let t = self.past(timepoint)?;
        Ok(self.lookup(supply_list(), t))
    }

    /// `numCheckpoints(account)`.
    pub(super) fn checkpoint_count_of(&mut self, account: Address) -> u32 {
        u32::try_from(self.checkpoint_count(vote_list(account))).unwrap_or(u32::MAX)
    }

    /// `checkpoints(account, pos)`; past the end, Solidity's array index panic.
    pub(super) fn checkpoint_of(&mut self, account: Address, pos: u32) -> Result<dml_primitives::Checkpoint208> {
        let list = vote_list(account);
        if u(u64::from(pos)) >= self.checkpoint_count(list) {
            return Err(self.custom(alloy_sol_types::Panic { code: u(0x32) }));
        }
        let checkpoint = self.checkpoint(list, u(u64::from(pos)));
        Ok(dml_primitives::Checkpoint208 {
            _key: alloy_primitives::aliases::U48::from(checkpoint.key),
            _value: alloy_primitives::aliases::U208::from(checkpoint.value),
        })
    }

    /// Reverts with a custom error: the call fails with its encoding.
    pub(super) fn custom<E: SolError>(&mut self, error: E) -> super::Revert {
        self.custom_error = Some(error.abi_encode());
        super::CUSTOM_ERROR
    }
}
