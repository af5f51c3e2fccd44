//! One task as the solver sees it, from the `TaskSubmitted` log to its end.
//!
//! A job moves `Queued → Solved → Committed → Settling → Done`, or ends early
//! as `Skipped`. While one of its transactions is in flight the job records it
//! in [`Job::in_flight`] and takes no other step; the transaction's receipt
//! (see [`crate::outbox`]) moves it on. Every field is persisted, so a solver
//! killed at any point resumes where it was.

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};

/// What a transaction sent for a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `signalCommitment` (or `bulkSignalCommitment`).
    Commit,
    /// `submitSolution` (or `bulkSubmitSolution`).
    Reveal,
    /// `claimSolution` (or `bulkClaimSolution`).
    Claim,
    /// `submitContestation`.
    Contest,
    /// `voteOnContestation`.
    Vote,
    /// `contestationVoteFinish`.
    Finish,
    /// `validatorDeposit`: not tied to a job.
    Stake,
    /// `setDelegationCommission` or `setAcceptDelegations`: not tied to a job.
    DelegationTerms,
}

impl Action {
    /// A short lowercase name, for logs and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Action::Commit => "commit",
            Action::Reveal => "reveal",
            Action::Claim => "claim",
            Action::Contest => "contest",
            Action::Vote => "vote",
            Action::Finish => "finish",
            Action::Stake => "stake",
            Action::DelegationTerms => "delegation_terms",
        }
    }
}

/// How a job ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "end")]
pub enum Ending {
    /// The solution was paid (claimed, or a contestation against it failed);
    /// `ours` when this solver was paid.
    Paid {
        /// Whether this solver's solution was the paid one.
        ours: bool,
    },
    /// A contestation succeeded; the owner was refunded.
    Refunded,
    /// The owner retracted the task.
    Retracted,
}

/// Where a job stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum Phase {
    /// Waiting for the model to run.
    Queued,
    /// Not taken, with why (unsupported input, unprofitable, …). A skipped
    /// task's later events are still followed if the solver can verify them.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Output computed and pinned; the commitment is next.
    Solved,
    /// The commitment is on chain in `block`; the reveal is next.
    Committed {
        /// Block of the commitment.
        block: u64,
    },
    /// A solution is on chain (ours or another's): claim, verify, contest,
    /// vote or finish as the chain's state calls for.
    Settling,
    /// Over.
    Done(Ending),
}

/// A transaction in flight for a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// What it does.
    pub action: Action,
    /// Its hash.
    pub hash: B256,
    /// Its nonce.
    pub nonce: u64,
}

/// One task the solver follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Task id.
    pub task: B256,
    /// Model id.
    pub model: B256,
    /// Fee paid by the owner.
    pub fee: U256,
    /// Who submitted it.
    pub sender: Address,
    /// The transaction that submitted it (the input is in its calldata).
    pub submitted_in: B256,
    /// Block of that transaction.
    pub block: u64,
    /// The CID of this solver's output (CIDv0 bytes), once computed.
    pub output_cid: Option<Bytes>,
    /// Where the job stands.
    pub phase: Phase,
    /// The transaction in flight, if any.
    pub in_flight: Option<InFlight>,
    /// Failed attempts at the current step (model runs, reverted estimates).
    pub attempts: u32,
    /// Not before this Unix time (ms) is the current step retried.
    pub retry_at_ms: u64,
    /// The last error, for `dml solver` status and logs.
    pub last_error: Option<String>,
    /// Whether this solver's reveal was mined: the solution is ours, and its
    /// slash is escrowed from our stake until the task ends.
    #[serde(default)]
    pub revealed: bool,
}

impl Job {
    /// A new job for a task seen in a `TaskSubmitted` log.
    pub fn new(task: B256, model: B256, fee: U256, sender: Address, submitted_in: B256, block: u64) -> Job {
        Job {
            task,
            model,
            fee,
            sender,
            submitted_in,
            block,
            output_cid: None,
            phase: Phase::Queued,
            in_flight: None,
            attempts: 0,
            retry_at_ms: 0,
            last_error: None,
            revealed: false,
        }
    }

    /// Whether the job has ended (nothing more to do or follow).
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done(_))
    }

    /// Whether the job still has steps to take (not ended, not skipped).
    pub fn is_open(&self) -> bool {
        !matches!(self.phase, Phase::Done(_) | Phase::Skipped { .. })
    }

    /// Records a failed attempt and when to try again: exponential backoff
    /// from 250 ms, capped at 30 s.
    pub fn failed_attempt(&mut self, now_ms: u64, error: impl Into<String>) {
        self.attempts = self.attempts.saturating_add(1);
        let backoff = 250u64.saturating_mul(1 << self.attempts.min(7)).min(30_000);
        self.retry_at_ms = now_ms + backoff;
        self.last_error = Some(error.into());
    }

    /// Starts a new step: clears the attempt counter.
    pub fn advance(&mut self, phase: Phase) {
        self.phase = phase;
        self.attempts = 0;
        self.retry_at_ms = 0;
    }

    /// Whether the job may act now.
    pub fn ready(&self, now_ms: u64) -> bool {
        self.in_flight.is_none() && now_ms >= self.retry_at_ms && self.is_open()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let mut job = Job::new(B256::ZERO, B256::ZERO, U256::ZERO, Address::ZERO, B256::ZERO, 1);
        job.failed_attempt(1_000, "x");
        assert_eq!(job.retry_at_ms, 1_500);
        assert!(!job.ready(1_499) && job.ready(1_500));
        for _ in 0..20 {
            job.failed_attempt(1_000, "x");
        }
        assert_eq!(job.retry_at_ms, 31_000);
        job.advance(Phase::Solved);
        assert_eq!((job.attempts, job.retry_at_ms), (0, 0));
    }

    #[test]
    fn round_trips_through_json() {
        let mut job = Job::new(B256::repeat_byte(1), B256::repeat_byte(2), U256::from(5), Address::ZERO, B256::ZERO, 9);
        job.phase = Phase::Done(Ending::Paid { ours: true });
        job.in_flight = Some(InFlight { action: Action::Claim, hash: B256::repeat_byte(3), nonce: 4 });
        let back: Job = serde_json::from_slice(&serde_json::to_vec(&job).unwrap()).unwrap();
        assert_eq!(back, job);
    }
}
