//! Tasks and their solutions: submission, retraction, commit and reveal,
//! claims and the fee and reward split.

use super::*;

impl<S: Storage> Exec<'_, '_, S> {
    pub(super) fn task_state(&mut self, id: B256) -> TaskState {
        TaskState::from_word(self.j.load(Contract::Engine, task_slot(id, task_word::STATE)))
    }

    pub(super) fn set_task_state(&mut self, id: B256, state: TaskState) {
        self.j.store(Contract::Engine, task_slot(id, task_word::STATE), state.to_word());
    }

    pub(super) fn commitment(&mut self, sender: Address, taskid: B256, cid: &Bytes) -> B256 {
        let encoded = (sender, taskid, cid.clone()).abi_encode_params();
        self.hash(&encoded)
    }

    /// A new task; `escrow` DML is debited from the sender with the fee, in
    /// one transfer (a callback's fee).
    pub(super) fn submit_task(
        &mut self,
        version: u8,
        owner: Address,
        model: B256,
        fee: U256,
        input: &Bytes,
        escrow: U256,
    ) -> Result<B256> {
        let model_head = self.j.load(Contract::Engine, model_slot(model, 0));
        if model_head.is_zero() {
            return Err("model does not exist");
        }
        if fee < get(model_head, field::MODEL_FEE) {
            return Err("lower fee than model fee");
        }
        if owner.is_zero() {
            return Err("owner is the zero address");
        }
        if input.len() > MAX_TASK_INPUT_BYTES {
            return Err("input too large");
        }
        let (digest, hashed) = cid::cid_v0_digest(input);
        self.j.charge(gas::sha256(hashed));
        let prevhash = b256(self.j.load(Contract::Engine, u(es::PREVHASH)));
        let cid = Bytes::from(cid::cid_v0_bytes(&digest));
        let id = self.hash(&(self.ctx.sender, prevhash, model, fee, cid).abi_encode_params());
        if self.task_state(id).status != TaskStatus::None {
            return Err("task already exists");
        }
        // Saturating: a sum past 2^256 is more than anyone holds, and the
        // transfer refuses it as such.
        let debit = fee.saturating_add(escrow);
        if !debit.is_zero() {
            self.transfer(self.ctx.sender, self.ctx.contracts.engine, debit)?;
        }
        self.j.store(Contract::Engine, task_slot(id, task_word::MODEL), word(model));
        self.j.store(Contract::Engine, task_slot(id, task_word::INPUT_CID), U256::from_be_bytes(digest));
        let owner_fee = set(address_to_word(owner), field::TASK_FEE, fee);
        self.j.store(Contract::Engine, task_slot(id, task_word::OWNER_FEE), owner_fee);
        let state = TaskState {
            solver: Address::ZERO,
            task_time: self.now(),
            solution_time: U256::ZERO,
            version: U256::from(version),
            status: TaskStatus::Open,
        };
        self.set_task_state(id, state);
        self.j.store(Contract::Engine, u(es::PREVHASH), word(id));
        self.emit(IEngine::TaskSubmitted { id, model, fee, sender: self.ctx.sender });
        Ok(id)
    }

    pub(super) fn retract_task(&mut self, id: B256) -> Result<()> {
        self.not_paused()?;
        let owner_fee = self.j.load(Contract::Engine, task_slot(id, task_word::OWNER_FEE));
        let state = self.task_state(id);
        if state.status == TaskStatus::None || word_to_address(owner_fee) != self.ctx.sender {
            return Err("not owner");
        }
        if state.status != TaskStatus::Open {
            return Err("has solution");
        }
        let wait = self.param(Param::MinRetractionWait);
        if self.now() - state.task_time <= wait {
            return Err("did not wait long enough");
        }
        let fee = get(owner_fee, field::TASK_FEE);
        let pct = self.param(Param::RetractionFee);
        let (refund, kept) = split(fee, pct);
        let accrued = self.ledger(field::ACCRUED_FEES);
        self.set_ledger(field::ACCRUED_FEES, accrued + kept);
        for word in [task_word::MODEL, task_word::INPUT_CID, task_word::OWNER_FEE, task_word::STATE] {
            self.j.store(Contract::Engine, task_slot(id, word), U256::ZERO);
        }
        if !refund.is_zero() {
            self.transfer(self.ctx.contracts.engine, self.ctx.sender, refund)?;
        }
        self.cancel_callback(id, self.ctx.sender)?;
        self.emit(IEngine::TaskRetracted { id });
        Ok(())
    }

    pub(super) fn signal_commitment(&mut self, commitment: B256) -> Result<()> {
        let slot = mapping_slot(commitment, u(es::COMMITMENTS));
        if !self.j.load(Contract::Engine, slot).is_zero() {
            return Err("commitment exists");
        }
        if self.ctx.block_number == 0 {
            return Err("block number is zero");
        }
        self.j.store(Contract::Engine, slot, u(self.ctx.block_number));
        self.emit(IEngine::SignalCommitment { addr: self.ctx.sender, commitment });
        Ok(())
    }

    pub(super) fn submit_solution(&mut self, id: B256, cid_bytes: &Bytes) -> Result<()> {
        let sender = self.ctx.sender;
        let mut state = self.task_state(id);
        match state.status {
            TaskStatus::None => return Err("task does not exist"),
            TaskStatus::Open => {}
            _ => return Err("solution already submitted"),
        }
        let Some(digest) = cid::parse_cid_v0(cid_bytes) else {
            return Err("cid must be a sha2-256 CIDv0 multihash");
        };
        let commitment = self.commitment(sender, id, cid_bytes);
        let commitment_slot = mapping_slot(commitment, u(es::COMMITMENTS));
        let committed_at = self.j.load(Contract::Engine, commitment_slot);
        if committed_at.is_zero() {
            return Err("non existent commitment");
        }
        if committed_at >= u(self.ctx.block_number) {
            return Err("commitment must be in past");
        }
        // The slash this solution risks is escrowed from the solver's stake
        // now, as a vote's is: a later withdrawal cannot take it, and a
        // contestation of this solution uses this amount for every voter.
        // Where the solver's own stake falls short (its delegated stake made
        // it eligible), the rest is owed by its pool should it lose.
        let mut validator = self.only_validator(sender)?;
        let slash = self.slash_amount();
        if !slash.is_zero() {
            let own_part = slash.min(validator.staked);
            validator.staked -= own_part;
            self.set_validator(sender, validator);
            let escrow = set(set(U256::ZERO, field::SLASH, slash), field::POOL_SHORTFALL, slash - own_part);
            self.j.store(Contract::Engine, contestation_slot(id, 1), escrow);
        }
        state.solver = sender;
        state.solution_time = self.now();
        state.status = TaskStatus::Solved;
        self.set_task_state(id, state);
        self.j.store(Contract::Engine, task_slot(id, task_word::SOLUTION_CID), U256::from_be_bytes(digest));
        // The commitment has served its purpose; clearing it earns a refund.
        self.j.store(Contract::Engine, commitment_slot, U256::ZERO);
        self.emit(IEngine::SolutionSubmitted { addr: sender, task: id });
        Ok(())
    }

    pub(super) fn claim_solution(&mut self, id: B256) -> Result<()> {
        let mut state = self.task_state(id);
        match state.status {
            TaskStatus::Solved => {}
            TaskStatus::Contested => return Err("has contestation"),
            TaskStatus::Claimed | TaskStatus::Refunded => return Err("already claimed"),
            TaskStatus::None | TaskStatus::Open => return Err("solution not found"),
        }
        let window = self.param(Param::MinClaimTime);
        if state.solution_time + window >= self.now() {
            return Err("not enough delay");
        }
        state.status = TaskStatus::Claimed;
        self.set_task_state(id, state);
        self.release_solution_slash(id, state.solver);
        self.emit(IEngine::SolutionClaimed { addr: state.solver, task: id });
        self.pay_solution(id, state.solver)?;
        self.deliver_callback(id)
    }

    /// Returns the slash escrowed by an uncontested solution to its solver.
    pub(super) fn release_solution_slash(&mut self, id: B256, solver: Address) {
        let slot = contestation_slot(id, 1);
        let escrow = self.j.load(Contract::Engine, slot);
        if escrow.is_zero() {
            return;
        }
        let mut validator = self.validator(solver);
        validator.staked += get(escrow, field::SLASH) - get(escrow, field::POOL_SHORTFALL);
        self.set_validator(solver, validator);
        self.j.store(Contract::Engine, slot, U256::ZERO);
    }

    /// Fee split and reward of a solved task (a claim, or a failed contestation).
    pub(super) fn pay_solution(&mut self, id: B256, solver: Address) -> Result<()> {
        let engine = self.ctx.contracts.engine;
        let model = b256(self.j.load(Contract::Engine, task_slot(id, task_word::MODEL)));
        let fee = get(self.j.load(Contract::Engine, task_slot(id, task_word::OWNER_FEE)), field::TASK_FEE);
        let model_head = self.j.load(Contract::Engine, model_slot(model, 0));
        let mut model_fee = get(model_head, field::MODEL_FEE);
        if model_fee > fee {
            model_fee = U256::ZERO;
        }
        let solution_fee_pct = self.param(Param::SolutionFee);
        let treasury_pct = self.param(Param::TreasuryReward);
        let liquidity_pct = self.param(Param::LiquidityReward);

        let (solver_fee, treasury_fee) = split(fee - model_fee, solution_fee_pct);

        let rate = self.j.load(Contract::Engine, model_slot(model, 1));
        let mut minted = U256::ZERO;
        if !rate.is_zero() {
            let cap = self.emission_cap();
            let emitted = self.ledger(field::TOTAL_EMITTED);
            let reward = self.current_reward();
            // A rate above 1e18 could outrun the cap; never mint past it.
            minted = div(reward.saturating_mul(rate), WAD).min(cap - emitted);
        }
        let (treasury_reward, liquidity_reward, solver_reward) = split_mint(minted, treasury_pct, liquidity_pct);

        let ledger = self.j.load(Contract::Engine, u(es::LEDGER));
        let mut updated = set(ledger, field::TOTAL_EMITTED, get(ledger, field::TOTAL_EMITTED) + minted);
        updated = set(updated, field::ACCRUED_FEES, get(ledger, field::ACCRUED_FEES) + treasury_fee + treasury_reward);
        updated = set(updated, field::ACCRUED_LIQUIDITY, get(ledger, field::ACCRUED_LIQUIDITY) + liquidity_reward);
        self.j.store(Contract::Engine, u(es::LEDGER), updated);

        if !model_fee.is_zero() {
            self.transfer(engine, word_to_address(model_head), model_fee)?;
        }
        // New DML is minted to the engine and paid out with the fee in one
        // transfer: one log and one balance update fewer than minting to the
        // solver separately.
        if !minted.is_zero() {
            self.mint(engine, minted)?;
            self.emit(IEngine::RewardsMinted {
                task: id,
                solver: solver_reward,
                treasury: treasury_reward,
                liquidity: liquidity_reward,
            });
        }
        // The solver's delegators get their part of its earnings; it stays
        // in the engine, in their pool's reward reserve.
        let earned = solver_fee + solver_reward;
        let to_pool = self.credit_pool(id, solver, earned)?;
        if !(earned - to_pool).is_zero() {
            self.transfer(engine, solver, earned - to_pool)?;
        }
        Ok(())
    }
}
