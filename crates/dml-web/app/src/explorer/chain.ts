// Reads of the engine's and the token's state, straight from the chain
// through ctx.client: what the chain says is the truth the pages show.

import { BaseError, ContractFunctionRevertedError, type Address, type Hex } from "viem";
import { engineAbi, tokenAbi } from "../abi";
import type { Ctx } from "../context";

/** `tasks(id)`: an owner of zero means no such task (never submitted, or retracted). */
export interface ChainTask {
  model: Hex;
  fee: bigint;
  owner: Address;
  blocktime: bigint;
  version: number;
  /** The input's CIDv0 as multihash bytes. */
  cid: Hex;
}

/** `solutions(id)`: a validator of zero means not solved. */
export interface ChainSolution {
  validator: Address;
  blocktime: bigint;
  claimed: boolean;
  /** The output's CIDv0 as multihash bytes ("0x" when unsolved). */
  cid: Hex;
}

/** `contestations(id)`: a validator (the contester) of zero means not contested. */
export interface ChainContestation {
  validator: Address;
  blocktime: bigint;
  finishStartIndex: number;
  slashAmount: bigint;
}

/** `models(id)`: an empty cid means no such model. */
export interface ChainModel {
  fee: bigint;
  addr: Address;
  rate: bigint;
  /** The template's CIDv0 as multihash bytes. */
  cid: Hex;
}

function engine(ctx: Ctx) {
  return { address: ctx.config.contracts.engine, abi: engineAbi } as const;
}

function token(ctx: Ctx) {
  return { address: ctx.config.contracts.token, abi: tokenAbi } as const;
}

/** Reads `tasks(id)`. */
export async function readTask(ctx: Ctx, id: Hex): Promise<ChainTask> {
  const [model, fee, owner, blocktime, version, cid] = await ctx.client.readContract({ ...engine(ctx), functionName: "tasks", args: [id] });
  return { model, fee, owner, blocktime, version, cid };
}

/** Reads `solutions(id)`. */
export async function readSolution(ctx: Ctx, id: Hex): Promise<ChainSolution> {
  const [validator, blocktime, claimed, cid] = await ctx.client.readContract({ ...engine(ctx), functionName: "solutions", args: [id] });
  return { validator, blocktime, claimed, cid };
}

/** Reads `contestations(id)`. */
export async function readContestation(ctx: Ctx, id: Hex): Promise<ChainContestation> {
  const [validator, blocktime, finishStartIndex, slashAmount] = await ctx.client.readContract({
    ...engine(ctx),
    functionName: "contestations",
    args: [id],
  });
  return { validator, blocktime, finishStartIndex, slashAmount };
}

/** Reads `models(id)`. */
export async function readModel(ctx: Ctx, id: Hex): Promise<ChainModel> {
  const [fee, addr, rate, cid] = await ctx.client.readContract({ ...engine(ctx), functionName: "models", args: [id] });
  return { fee, addr, rate, cid };
}

/** Reads `validators(addr).staked` and `.since`. */
export async function readValidator(ctx: Ctx, address: Address): Promise<{ staked: bigint; since: bigint }> {
  const [staked, since] = await ctx.client.readContract({ ...engine(ctx), functionName: "validators", args: [address] });
  return { staked, since };
}

/** Reads `solverStake(addr)`: own free stake, delegated stake, and what counts toward eligibility. */
export async function readSolverStake(ctx: Ctx, address: Address): Promise<{ own: bigint; delegated: bigint; counted: bigint }> {
  const [own, delegated, counted] = await ctx.client.readContract({ ...engine(ctx), functionName: "solverStake", args: [address] });
  return { own, delegated, counted };
}

/** Reads one of the engine's uint256 parameters (`minClaimSolutionTime`, `minContestationVotePeriodTime`, …). */
export async function readParam(
  ctx: Ctx,
  name: "minClaimSolutionTime" | "minContestationVotePeriodTime" | "minRetractionWaitTime" | "getReward" | "totalEmitted" | "emissionCap",
): Promise<bigint> {
  return ctx.client.readContract({ ...engine(ctx), functionName: name });
}

/** Reads `startBlockTime()`: the second the emission curve starts from. */
export async function readStartTime(ctx: Ctx): Promise<bigint> {
  return ctx.client.readContract({ ...engine(ctx), functionName: "startBlockTime" });
}

/** Reads `targetTs(t)`: the target emitted supply in wei `t` seconds after the start. */
export async function readTarget(ctx: Ctx, t: bigint): Promise<bigint> {
  return ctx.client.readContract({ ...engine(ctx), functionName: "targetTs", args: [t] });
}

/** Asks the engine for the CIDv0 bytes of `content` (`generateIPFSCID`), as `submitTask` computes it. */
export async function engineCidOf(ctx: Ctx, content: Hex): Promise<Hex> {
  return ctx.client.readContract({ ...engine(ctx), functionName: "generateIPFSCID", args: [content] });
}

/** True when the error is the contract reverting (as opposed to the node failing). */
function isRevert(err: unknown): boolean {
  return err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError) !== null;
}

/**
 * The voters of a contestation as the chain lists them (`contestationVoteYeas`
 * and `contestationVoteNays` by index, until the index is past the end).
 */
export async function readVoters(ctx: Ctx, id: Hex, most = 256): Promise<{ yeas: Address[]; nays: Address[] }> {
  const list = async (functionName: "contestationVoteYeas" | "contestationVoteNays") => {
    const out: Address[] = [];
    for (let i = 0n; i < BigInt(most); i++) {
      try {
        out.push(await ctx.client.readContract({ ...engine(ctx), functionName, args: [id, i] }));
      } catch (err) {
        if (isRevert(err)) break;
        throw err;
      }
    }
    return out;
  };
  const [yeas, nays] = await Promise.all([list("contestationVoteYeas"), list("contestationVoteNays")]);
  return { yeas, nays };
}

/** An account's DML balance, votes and delegate, from the token. */
export async function readAccount(ctx: Ctx, address: Address): Promise<{ balance: bigint; votes: bigint; delegate: Address }> {
  const [balance, votes, delegate] = await Promise.all([
    ctx.client.readContract({ ...token(ctx), functionName: "balanceOf", args: [address] }),
    ctx.client.readContract({ ...token(ctx), functionName: "getVotes", args: [address] }),
    ctx.client.readContract({ ...token(ctx), functionName: "delegates", args: [address] }),
  ]);
  return { balance, votes, delegate };
}
