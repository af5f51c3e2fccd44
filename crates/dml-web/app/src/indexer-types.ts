// The JSON shapes of the indexer's read API (crates/dml-index/src/api.rs and
// queries.rs), for every page. Amounts are wei as decimal strings, ids and addresses
// lower-case hex, times unix seconds.

/** A page of a list, newest first; `next` goes into `?before=` for the next page (null at the end). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** One stored event, as `/api/v1/events`, `/api/v1/addresses/{a}/events` and a task's timeline give it. */
export interface IndexedEvent {
  blockNumber: number;
  logIndex: number;
  timestamp: number;
  txHash: string;
  /** `engine`, `token` or `governor`. */
  source: string;
  /** The event's name (`TaskSubmitted`, `Transfer`, …; `Unknown` when not decoded). */
  name: string;
  task: string | null;
  model: string | null;
  /** The account that acted (sender, solver, voter, `from`). */
  account: string | null;
  /** A second account (validator, recipient, `to`, delegate). */
  other: string | null;
  /** Wei, decimal. */
  amount: string | null;
  /** Governance proposal id, decimal. */
  proposal: string | null;
  /** Every field of the event by name (amounts as decimal strings). */
  fields: Record<string, unknown>;
}

/** The indexer's task statuses. */
export type TaskStatus =
  | "submitted"
  | "solved"
  | "contested"
  | "contestation-won"
  | "contestation-lost"
  | "claimed"
  | "retracted";

/** A task's state as the indexer computes it from its events. */
export interface TaskSummary {
  id: string;
  model: string | null;
  fee: string | null;
  owner: string | null;
  status: TaskStatus;
  solver: string | null;
  submittedBlock: number;
  submittedAt: number;
  solveSeconds: number | null;
}

/** `/api/v1/tasks/{id}`. */
export interface TaskDetail {
  task: TaskSummary;
  /** Oldest first. */
  timeline: IndexedEvent[];
}

/** `/api/v1/models` items and `/api/v1/models/{id}`. */
export interface ModelSummary {
  id: string;
  registeredBlock: number;
  tasks: number;
  solved: number;
  medianSolveSeconds: number | null;
  /** Wei paid by its tasks. */
  fees: string;
}

/** `/api/v1/solvers` items and `/api/v1/solvers/{address}` (which adds `staked` from the chain). */
export interface SolverSummary {
  address: string;
  deposited: string;
  tasksSolved: number;
  claimed: number;
  contestationsWon: number;
  contestationsLost: number;
  slashes: number;
  rewards: string;
  feesClaimed: string;
  delegated: string;
  staked?: string | null;
  stakedError?: string;
}

/** One vote in a contestation. */
export interface ContestationVote {
  voter: string;
  yea: boolean;
  block: number;
}

/** `/api/v1/contestations/{task}`. */
export interface ContestationSummary {
  task: string;
  contester: string | null;
  raisedBlock: number;
  raisedAt: number;
  solver: string | null;
  yeas: number;
  nays: number;
  votes: ContestationVote[];
  outcome: { contestationWon: boolean; block: number; at: number } | null;
}

/** `/api/v1/stats`. */
export interface NetworkStats {
  height: number;
  latestTimestamp: number;
  firstTimestamp: number | null;
  tasks: number;
  solutions: number;
  claims: number;
  contestations: number;
  retractions: number;
  models: number;
  tasksLast10Minutes: number;
  tasksPerMinute: number;
  emitted: string;
  emittedToSolvers: string;
  emittedToTreasury: string;
  emittedToLiquidity: string;
  rewardPerTask: string;
  totalDeposited: string;
}

/** One item of `/api/v1/emission`: DML minted so far after a rewarded task. */
export interface EmissionPoint {
  block: number;
  at: number;
  /** Cumulative wei. */
  emitted: string;
}

/** One item of `/api/v1/search`. */
export interface SearchHit {
  kind: "task" | "model" | "transaction" | "solver" | "address" | string;
  id: string;
  /** For a CID search: which CID of the task or model matched (`input`, `output`, `template`). */
  cid?: string;
}

/** One item of `/api/v1/proposals`. */
export interface IndexedProposal {
  id: string;
  proposer: string | null;
  description: string | null;
  voteStart: unknown;
  voteEnd: unknown;
  createdBlock: number;
  lastEvent: string | null;
  against: string;
  for: string;
  abstain: string;
  votes: { voter: string | null; support: number; weight: string | null; reason: unknown }[];
}
