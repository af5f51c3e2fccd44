// Turning every failure the app can meet into one sentence a person can act on.

import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  InsufficientFundsError,
  TimeoutError,
  UserRejectedRequestError,
} from "viem";

/** An error whose message is already a sentence meant for the user (a refused check, a bad input). */
export class UserError extends Error {
  constructor(sentence: string) {
    super(sentence);
    this.name = "UserError";
  }
}

/** Ends a text with a full stop unless it already ends a sentence. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "Something went wrong.";
  const first = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** The EIP-1193 / JSON-RPC error code somewhere in an error's cause chain, if any. */
function rpcCode(err: unknown): number | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "number") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Words for the custom errors people meet most; the error's name follows in parentheses. */
const CUSTOM_ERROR_WORDS: Record<string, string> = {
  GovernorAlreadyCastVote: "you have already voted on this proposal",
  GovernorUnexpectedProposalState: "the proposal is not in a state that allows this now",
  GovernorInsufficientProposerVotes: "you do not have enough votes to propose",
  TimelockUnexpectedOperationState: "the timelock is not ready for this yet (its delay may not be over)",
  ERC20InsufficientBalance: "the balance is too low",
  ERC20InsufficientAllowance: "the allowance is too low",
  InsufficientStake: "you have not staked that much",
  ZeroAmount: "the amount is zero",
  ERC5805FutureLookup: "that time is not in the past yet",
};

/** Formats a decoded custom error: "you have already voted on this proposal (GovernorAlreadyCastVote)", else "Name(arg, …)". */
function describeCustomError(name: string, args: readonly unknown[] | undefined): string {
  const words = CUSTOM_ERROR_WORDS[name];
  if (words) return `${words} (${name})`;
  if (!args || args.length === 0) return name;
  return `${name}(${args.map((a) => String(a)).join(", ")})`;
}

/** The revert reason in a viem error, in words, or undefined when it did not revert. */
export function revertReason(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    if (reverted.reason) return reverted.reason;
    if (reverted.data) return describeCustomError(reverted.data.errorName, reverted.data.args as readonly unknown[] | undefined);
    if (reverted.signature) return `an unknown error ${reverted.signature}`;
    return "no reason given";
  }
  const details = (err as BaseError).details ?? "";
  const match = /execution reverted(?::\s*(.*))?/i.exec(details) ?? /execution reverted(?::\s*(.*))?/i.exec(err.message);
  if (match) return match[1]?.trim() || "no reason given";
  return undefined;
}

/** Where the app talks to, so messages can name the service that failed. */
export interface Endpoints {
  rpcUrl: string;
}

/**
 * Says what went wrong in one sentence: the wallet's refusal ("The wallet rejected the signature."),
 * a contract's revert reason, an unreachable node, or the error's own message.
 */
export function describeError(err: unknown, endpoints?: Endpoints): string {
  if (err instanceof UserError) return err.message;
  const code = rpcCode(err);
  if (code === 4001 || (err instanceof BaseError && err.walk((e) => e instanceof UserRejectedRequestError))) {
    return "The wallet rejected the signature.";
  }
  if (code === 4100) return "The wallet has not authorised this page; connect it first.";
  if (code === 4902) return "The wallet does not know this chain.";
  if (code === -32002) return "The wallet is already showing a request; answer it there first.";
  if (err instanceof BaseError) {
    const reason = revertReason(err);
    if (reason !== undefined) return sentence(`The contract refused: ${reason}`);
    if (err.walk((e) => e instanceof InsufficientFundsError)) {
      return "Not enough ETH to pay for the transaction's gas.";
    }
    if (err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError)) {
      const url = endpoints?.rpcUrl ?? (err.walk((e) => e instanceof HttpRequestError) as HttpRequestError | null)?.url;
      return url ? `The node at ${url} does not answer.` : "The node does not answer.";
    }
    return sentence(err.shortMessage || err.message);
  }
  if (err instanceof TypeError && /fetch|network/i.test(err.message)) {
    return endpoints ? `The node at ${endpoints.rpcUrl} does not answer.` : "A server does not answer.";
  }
  if (err instanceof Error) return sentence(err.message);
  if (typeof err === "string") return sentence(err);
  if (err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string") {
    return sentence((err as { message: string }).message);
  }
  return "Something went wrong.";
}
