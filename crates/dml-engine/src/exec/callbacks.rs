//! Callbacks: tasks whose requester, usually a contract, is called once the
//! task's solution is final (whitepaper appendix A: contracts that request
//! inference and act on the answer).
//!
//! - **When.** At the claim, or at the first settlement batch of a
//!   contestation the solution survived: never for a solution that may still
//!   be contested, and never for one that lost (its callback is cancelled).
//! - **Gas.** The callback gets exactly the gas its task named: a delivering
//!   transaction with too little gas left reverts ("not enough gas for the
//!   callback") instead of cutting the callback short, so no claimer can
//!   make a callback fail by sending less gas. What the callee does is its
//!   own affair: a revert or running out of its gas is recorded
//!   (`CallbackFailed`) and the claim, its payments and the contestation's
//!   go through.
//! - **Money.** The callback fee is DML escrowed with the task fee and paid
//!   to the sender of the transaction that delivers (who pays its gas),
//!   whether the callee succeeds or not; a retracted task or a lost
//!   contestation refunds it to the task's owner.
//! - **Retries.** A failed callback may be delivered again, with any gas,
//!   by the task's owner or the callback contract (`retryCallback`).
//! - **Reentrancy.** The callee runs under the engine's reentrancy guard: it
//!   may read the engine, but a state-changing call into the engine or the
//!   token reverts, so a callback that wants to submit the next task does it
//!   in a later call.

use dml_primitives::{IDmlTaskReceiver, MAX_CALLBACK_GAS, MAX_CALLBACK_REASON_BYTES};

use super::*;
use crate::layout::CallbackStatus;

fn callback_slot(id: B256, word: u64) -> U256 {
    mapping_slot(id, u(es::CALLBACKS)) + u(word)
}

impl<S: Storage> Exec<'_, '_, S> {
    /// `submitTaskWithCallback`: a task, its callback record, the callback
    /// fee escrowed, `CallbackRequested` and the input in `TaskInput`.
    pub(super) fn submit_task_with_callback(&mut self, c: &IEngine::submitTaskWithCallbackCall) -> Result<B256> {
        self.not_paused()?;
        let gas_limit = c.callbackGasLimit_;
        if gas_limit == 0 || gas_limit > MAX_CALLBACK_GAS {
            return Err("callback gas limit must be 1 to 5000000");
        }
        if self.j.code_size(c.callback_) == 0 {
            return Err("callback has no code");
        }
        let id = self.submit_task(c.version_, c.owner_, c.model_, c.fee_, &c.input_, c.callbackFee_)?;
        if !c.callbackFee_.is_zero() {
            self.j.store(Contract::Engine, callback_slot(id, 1), c.callbackFee_);
        }
        let head = set(address_to_word(c.callback_), field::CALLBACK_GAS, u(gas_limit));
        let head = set(head, field::CALLBACK_STATUS, u(CallbackStatus::Pending as u64));
        self.j.store(Contract::Engine, callback_slot(id, 0), head);
        self.emit(IEngine::CallbackRequested {
            task: id,
            callback: c.callback_,
            gasLimit: gas_limit,
            fee: c.callbackFee_,
        });
        self.emit(IEngine::TaskInput { task: id, input: c.input_.clone() });
        Ok(id)
    }

    /// The `callbacks(task)` view.
    pub(super) fn callback_view(&mut self, id: B256) -> Vec<u8> {
        let head = self.j.load(Contract::Engine, callback_slot(id, 0));
        let fee = self.j.load(Contract::Engine, callback_slot(id, 1));
        let gas_limit = get(head, field::CALLBACK_GAS).to::<u64>();
        // A uint8 is one ABI word, as a uint256 is.
        let status = get(head, field::CALLBACK_STATUS);
        (word_to_address(head), gas_limit, status, fee).abi_encode_params()
    }

    /// The task's solution is final: pays the callback fee to the sender and
    /// calls the callback, if the task has one. The caller's last step.
    pub(super) fn deliver_callback(&mut self, id: B256) -> Result<()> {
        let head = self.j.load(Contract::Engine, callback_slot(id, 0));
        if head.is_zero() {
            return Ok(());
        }
        let fee = self.j.load(Contract::Engine, callback_slot(id, 1));
        if !fee.is_zero() {
            self.j.store(Contract::Engine, callback_slot(id, 1), U256::ZERO);
            self.transfer(self.ctx.contracts.engine, self.ctx.sender, fee)?;
        }
        self.call_back(id, head, get(head, field::CALLBACK_GAS).to::<u64>())
    }

    /// The task will never have a final solution (retracted, or its solution
    /// lost a contestation): its callback fee goes back to `owner`.
    pub(super) fn cancel_callback(&mut self, id: B256, owner: Address) -> Result<()> {
        let head = self.j.load(Contract::Engine, callback_slot(id, 0));
        if head.is_zero() {
            return Ok(());
        }
        let fee = self.j.load(Contract::Engine, callback_slot(id, 1));
        if !fee.is_zero() {
            self.j.store(Contract::Engine, callback_slot(id, 1), U256::ZERO);
            self.transfer(self.ctx.contracts.engine, owner, fee)?;
        }
        let cancelled = set(head, field::CALLBACK_STATUS, u(CallbackStatus::Cancelled as u64));
        self.j.store(Contract::Engine, callback_slot(id, 0), cancelled);
        self.emit(IEngine::CallbackCancelled { task: id, callback: word_to_address(head) });
        Ok(())
    }

    /// `retryCallback(task, gas)`: a failed callback, delivered again by its
    /// task's owner or its contract, with `gas` (0: the task's own limit).
    pub(super) fn retry_callback(&mut self, id: B256, gas: u64) -> Result<()> {
        self.not_paused()?;
        let head = self.j.load(Contract::Engine, callback_slot(id, 0));
        let target = word_to_address(head);
        let owner = word_to_address(self.j.load(Contract::Engine, task_slot(id, task_word::OWNER_FEE)));
        // Where the callback stands is public (`callbacks`), so it is said
        // before who may retry: a retracted task has no owner left to check.
        match CallbackStatus::from_field(get(head, field::CALLBACK_STATUS)) {
            CallbackStatus::None => return Err("task has no callback"),
            CallbackStatus::Pending => return Err("solution is not final yet"),
            CallbackStatus::Delivered => return Err("callback already delivered"),
            CallbackStatus::Cancelled => return Err("callback cancelled: the task has no final solution"),
            CallbackStatus::Failed if self.ctx.sender != owner && self.ctx.sender != target => {
                return Err("only the task's owner or its callback may retry");
            }
            CallbackStatus::Failed => {}
        }
        let gas = if gas == 0 { get(head, field::CALLBACK_GAS).to::<u64>() } else { gas };
        if gas > MAX_CALLBACK_GAS {
            return Err("callback gas limit must be 1 to 5000000");
        }
        self.call_back(id, head, gas)
    }

    /// Calls `onTaskSolved(task, cid)` on the callback in `head` with exactly
    /// `gas`, then records what came of it.
    fn call_back(&mut self, id: B256, head: U256, gas: u64) -> Result<()> {
        let target = word_to_address(head);
        let digest = self.j.load(Contract::Engine, task_slot(id, task_word::SOLUTION_CID));
        let cid = Bytes::from(cid::cid_v0_bytes(&b256(digest).0));
        let calldata = IDmlTaskReceiver::onTaskSolvedCall { taskid: id, cid }.abi_encode();
        // EIP-150 would hand the callee only 63/64 of what is left: make
        // sure that is all of its limit, with room for the bookkeeping after.
        let left = self.gas_left();
        if left - left / 64 < gas + gas::AFTER_CALLBACK {
            return Err("not enough gas for the callback");
        }
        let result = self.call_contract(target, &calldata, gas)?;
        let status = if result.success { CallbackStatus::Delivered } else { CallbackStatus::Failed };
        let head = set(head, field::CALLBACK_STATUS, u(status as u64));
        self.j.store(Contract::Engine, callback_slot(id, 0), head);
        if result.success {
            self.emit(IEngine::CallbackDelivered { task: id, callback: target, gasUsed: u(result.gas_used) });
        } else {
            let reason = &result.output[..result.output.len().min(MAX_CALLBACK_REASON_BYTES)];
            self.emit(IEngine::CallbackFailed { task: id, callback: target, reason: Bytes::copy_from_slice(reason) });
        }
        Ok(())
    }
}
