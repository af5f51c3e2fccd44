//! Contestations: submission, votes with escrowed slashes, and batched
//! settlement.

use super::*;

impl<S: Storage> Exec<'_, '_, S> {
    pub(super) fn voted(&mut self, id: B256, addr: Address) -> bool {
        let slot = address_slot(addr, mapping_slot(id, u(es::VOTED)));
        !self.j.load(Contract::Engine, slot).is_zero()
    }

    pub(super) fn voter(&mut self, id: B256, list: u64, index: U256) -> Result<Address> {
        let length_slot = mapping_slot(id, u(list));
        let length = self.j.load(Contract::Engine, length_slot);
        if index >= length {
            return Err("index out of bounds");
        }
        Ok(self.j.load_address(Contract::Engine, array_data_slot(length_slot) + index))
    }

    pub(super) fn voters(&mut self, id: B256, list: u64) -> U256 {
        self.j.load(Contract::Engine, mapping_slot(id, u(list)))
    }

    pub(super) fn push_voter(&mut self, id: B256, list: u64, addr: Address) {
        let length_slot = mapping_slot(id, u(list));
        let length = self.j.load(Contract::Engine, length_slot);
        self.j.store(Contract::Engine, array_data_slot(length_slot) + length, address_to_word(addr));
        self.j.store(Contract::Engine, length_slot, length + U256::from(1u8));
    }

    pub(super) fn submit_contestation(&mut self, id: B256) -> Result<()> {
        self.not_paused()?;
        let sender = self.ctx.sender;
        self.only_validator(sender)?;
        let mut state = self.task_state(id);
        match state.status {
            TaskStatus::Solved => {}
            TaskStatus::Contested => return Err("contestation already exists"),
            TaskStatus::Claimed | TaskStatus::Refunded => return Err("already claimed"),
            TaskStatus::None | TaskStatus::Open => return Err("solution does not exist"),
        }
        let window = self.param(Param::MinClaimTime);
        if self.now() >= state.solution_time + window {
            return Err("too late");
        }
        if state.solver == sender {
            return Err("cannot contest own solution");
        }
        // The slash was fixed (and the accused's escrowed) when the solution
        // was submitted; word 1 holds it. The contester's escrow is checked
        // here, before the first write (governance may have lowered the slash
        // since, so eligibility alone does not cover it).
        let slash = get(self.j.load(Contract::Engine, contestation_slot(id, 1)), field::SLASH);
        if self.validator(sender).free_stake() < slash {
            return Err("stake below slash amount");
        }
        let head = set(set(address_to_word(sender), field::CONTEST_TIME, self.now()), field::FINISH_INDEX, U256::ZERO);
        self.j.store(Contract::Engine, contestation_slot(id, 0), head);
        state.status = TaskStatus::Contested;
        self.set_task_state(id, state);
        self.emit(IEngine::ContestationSubmitted { addr: sender, task: id });
        self.vote(id, true, sender)?;
        // The accused votes against with the escrow its solution put up.
        self.record_vote(id, false, state.solver);
        Ok(())
    }

    /// Eligibility to vote: 0 if allowed, else the Arbius error code.
    pub(super) fn can_vote(&mut self, addr: Address, id: B256) -> u64 {
        let head = self.j.load(Contract::Engine, contestation_slot(id, 0));
        if word_to_address(head).is_zero() {
            return 0x01;
        }
        let contested_at = get(head, field::CONTEST_TIME);
        let period = self.param(Param::VotePeriod);
        // Voting closes when finishing opens, so no vote can land mid-settlement.
        if self.now() >= contested_at + period {
            return 0x02;
        }
        if self.voted(id, addr) {
            return 0x03;
        }
        let validator = self.validator(addr);
        if validator.since.is_zero() {
            return 0x04;
        }
        let slack = self.param(Param::StakeSinceSlack);
        if validator.since > contested_at + slack {
            return 0x06;
        }
        0
    }

    /// A vote that escrows the contestation's slash from the voter's free
    /// stake, so a loser cannot withdraw before settlement.
    pub(super) fn vote(&mut self, id: B256, yea: bool, addr: Address) -> Result<()> {
        let slash = get(self.j.load(Contract::Engine, contestation_slot(id, 1)), field::SLASH);
        let mut validator = self.validator(addr);
        if validator.free_stake() < slash {
            return Err("stake below slash amount");
        }
        validator.staked -= slash;
        self.set_validator(addr, validator);
        self.record_vote(id, yea, addr);
        Ok(())
    }

    /// Marks `addr` as having voted and adds it to the yeas or nays.
    pub(super) fn record_vote(&mut self, id: B256, yea: bool, addr: Address) {
        let voted_slot = address_slot(addr, mapping_slot(id, u(es::VOTED)));
        self.j.store(Contract::Engine, voted_slot, U256::from(1u8));
        self.push_voter(id, if yea { es::YEAS } else { es::NAYS }, addr);
        self.emit(IEngine::ContestationVote { addr, task: id, yea });
    }

    pub(super) fn contestation_vote_finish(&mut self, id: B256, amount: u32) -> Result<()> {
        self.not_paused()?;
        let head = self.j.load(Contract::Engine, contestation_slot(id, 0));
        if word_to_address(head).is_zero() {
            return Err("contestation doesn't exist");
        }
        let period = self.param(Param::VotePeriod);
        if self.now() < get(head, field::CONTEST_TIME) + period {
            return Err("voting period not ended");
        }
        if amount == 0 {
            return Err("amnt too small");
        }
        let yeas = self.voters(id, es::YEAS);
        let nays = self.voters(id, es::NAYS);
        let contestation_won = yeas > nays;
        let (winners, losers, list) = if contestation_won { (yeas, nays, es::YEAS) } else { (nays, yeas, es::NAYS) };
        let start = get(head, field::FINISH_INDEX);
        if start >= winners {
            return Err("contestation already finished");
        }
        let end = (start + u(amount as u64)).min(winners);
        let escrow_slot = contestation_slot(id, 1);
        let mut escrow = self.j.load(Contract::Engine, escrow_slot);
        let slash = get(escrow, field::SLASH);
        if contestation_won && start.is_zero() {
            // The accused's own stake escrowed what it could; its pool pays
            // the rest now, bonded and unbonding delegators pro rata. What
            // the pool cannot pay stays recorded, and the pot is that much
            // smaller in every batch.
            let shortfall = get(escrow, field::POOL_SHORTFALL);
            if !shortfall.is_zero() {
                let accused = self.task_state(id).solver;
                let taken = self.slash_pool(id, accused, shortfall);
                escrow = set(escrow, field::POOL_SHORTFALL, shortfall - taken);
                self.j.store(Contract::Engine, escrow_slot, escrow);
            }
        }
        let unpaid = if contestation_won { get(escrow, field::POOL_SHORTFALL) } else { U256::ZERO };

        // The losers' escrow: half (rounded up) to the first winner (the
        // contester or the accused), the rest shared by the other winners;
        // the indivisible remainder accrues to the treasury.
        let pot = losers * slash - unpaid;
        let to_first = if winners == U256::from(1u8) { pot } else { pot - (pot >> 1) };
        let others = winners - U256::from(1u8);
        let to_other = if others.is_zero() { U256::ZERO } else { div(pot - to_first, others) };

        let engine = self.ctx.contracts.engine;
        let mut index = start;
        while index < end {
            let addr = self.voter(id, list, index)?;
            let mut validator = self.validator(addr);
            // The accused (first of the nays) gets back what its own stake
            // escrowed; its pool's part was never taken.
            let returned =
                if !contestation_won && index.is_zero() { slash - get(escrow, field::POOL_SHORTFALL) } else { slash };
            validator.staked += returned;
            self.set_validator(addr, validator);
            let share = if index.is_zero() { to_first } else { to_other };
            if !share.is_zero() {
                self.transfer(engine, addr, share)?;
            }
            self.check_gas()?;
            index += U256::from(1u8);
        }

        if start.is_zero() {
            let dust = pot - to_first - to_other * others;
            let mut state = self.task_state(id);
            if contestation_won {
                let owner_fee = self.j.load(Contract::Engine, task_slot(id, task_word::OWNER_FEE));
                let fee = get(owner_fee, field::TASK_FEE);
                state.status = TaskStatus::Refunded;
                self.set_task_state(id, state);
                if !dust.is_zero() {
                    let accrued = self.ledger(field::ACCRUED_FEES);
                    self.set_ledger(field::ACCRUED_FEES, accrued + dust);
                }
                if !fee.is_zero() {
                    self.transfer(engine, word_to_address(owner_fee), fee)?;
                }
                self.cancel_callback(id, word_to_address(owner_fee))?;
            } else {
                state.status = TaskStatus::Claimed;
                self.set_task_state(id, state);
                if !dust.is_zero() {
                    let accrued = self.ledger(field::ACCRUED_FEES);
                    self.set_ledger(field::ACCRUED_FEES, accrued + dust);
                }
                self.pay_solution(id, state.solver)?;
            }
            self.emit(IEngine::ContestationResolved { task: id, contestationWon: contestation_won, yeas, nays });
        }

        let updated = set(head, field::FINISH_INDEX, end);
        self.j.store(Contract::Engine, contestation_slot(id, 0), updated);
        self.emit(IEngine::ContestationVoteFinish { id, start_idx: start.to::<u32>(), end_idx: end.to::<u32>() });
        if start.is_zero() && !contestation_won {
            // The solution stood: it is final now.
            self.deliver_callback(id)?;
        }
        Ok(())
    }
}
