// The shapes of the indexer's answers this app reads (see README, "The indexer: `dml index`").

/** One stored event, as `/api/v1/tasks/{id}` and the feeds list them. */
export interface IndexedEvent {
  blockNumber: number;
  logIndex: number;
  timestamp: number;
  txHash: string;
  source: string;
  name: string;
  task: string | null;
  model: string | null;
  account: string | null;
  other: string | null;
  amount: string | null;
  proposal: string | null;
  fields: Record<string, unknown>;
}

/** `/api/v1/tasks/{id}`. */
export interface IndexedTask {
  task: { id: string; model: string | null; fee: string | null; owner: string | null; status: string; solver: string | null; submittedBlock: number; submittedAt: number; solveSeconds: number | null };
  timeline: IndexedEvent[];
}

/** One item of `/api/v1/models`. */
export interface IndexedModel {
  id: string;
  registeredBlock: number;
  tasks: number;
  solved: number;
  medianSolveSeconds: number | null;
  fees: string;
}

/** One item of `/api/v1/solvers`. */
export interface IndexedSolver {
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
}

/** `/api/v1/contestations/{task}` and the items of `/api/v1/contestations`. */
export interface IndexedContestation {
  task: string;
  contester: string | null;
  raisedBlock: number;
  raisedAt: number;
  solver: string | null;
  yeas: number;
  nays: number;
  votes: { voter: string | null; yea: boolean; block: number }[];
  outcome: { contestationWon: boolean; block: number; at: number } | null;
}

/** A page of a paginated list. */
export interface IndexedPage<T> {
  items: T[];
  next: string | null;
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
