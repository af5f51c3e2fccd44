// Stake page, liquidity part: stake the DML/WETH pair's LP tokens in the
// LiquidityStaking contract (approving it first: LP tokens are an ordinary
// ERC-20), unstake them, and claim the DML they earned.

import { formatUnits, type Address } from "viem";
import { lpStakingAbi, pairAbi } from "./abi";
import type { Ctx } from "./context";
import { UserError } from "./errors";
import { el, formatDml } from "./format";
import { actionButton, card, parseDmlInput, setField, type Section } from "./ui";
import { wallet } from "./wallet";

/** Formats LP token wei (18 decimals) as "1.5 LP". */
function formatLp(wei: bigint): string {
  return `${formatUnits(wei, 18)} LP`;
}

/** The LP staking part of the stake page, or null when the deployment has no LP staking. */
export function lpStakingSection(ctx: Ctx, account: Address | null, afterWrite: () => void): Section | null {
  const staking = ctx.config.contracts.liquidityStaking;
  const pair = ctx.config.contracts.pair;
  if (!staking || !pair) return null;
  const held = el("dd", { "data-field": "lpBalance" }, "…");
  const staked = el("dd", { "data-field": "lpStaked" }, "…");
  const earned = el("dd", { "data-field": "lpEarned" }, "…");
  const total = el("dd", { "data-field": "lpTotalStaked" }, "…");
  const amount = el("input", { "data-testid": "lp-amount", id: "lp-amount", inputmode: "decimal", placeholder: "LP tokens", autocomplete: "off" });

  const stake = actionButton("Stake", { "data-testid": "lp-stake", class: "primary" }, async () => {
    const value = parseDmlInput(amount.value, "the LP amount");
    const me = wallet.requireAccount();
    const balance = await ctx.client.readContract({ address: pair, abi: pairAbi, functionName: "balanceOf", args: [me] });
    if (balance < value) throw new UserError(`Not enough LP tokens: staking ${formatLp(value)} and ${me} holds ${formatLp(balance)}.`);
    const allowance = await ctx.client.readContract({ address: pair, abi: pairAbi, functionName: "allowance", args: [me, staking] });
    if (allowance < value) {
      await wallet.write({ address: pair, abi: pairAbi, functionName: "approve", args: [staking, value] });
    }
    await wallet.write({ address: staking, abi: lpStakingAbi, functionName: "stake", args: [value] });
    afterWrite();
    return `Staked ${formatLp(value)}.`;
  });
  const unstake = actionButton("Unstake", { "data-testid": "lp-unstake" }, async () => {
    const value = parseDmlInput(amount.value, "the LP amount");
    wallet.requireAccount();
    await wallet.write({ address: staking, abi: lpStakingAbi, functionName: "withdraw", args: [value] });
    afterWrite();
    return `Unstaked ${formatLp(value)}.`;
  });
  const claim = actionButton("Claim DML", { "data-testid": "lp-claim" }, async () => {
    wallet.requireAccount();
    await wallet.write({ address: staking, abi: lpStakingAbi, functionName: "claim" });
    afterWrite();
    return "Rewards paid to your account.";
  });

  const root = card(
    "Liquidity staking",
    { "data-testid": "lp-staking" },
    el("p", { class: "help" }, "Stake LP tokens of the DML/WETH pair to earn the liquidity share of every task reward, pro rata to stake and time. Staking asks for an approval first."),
    el(
      "dl",
      { class: "figures" },
      el("div", null, el("dt", null, "Your LP tokens"), held),
      el("div", null, el("dt", null, "Your stake"), staked),
      el("div", null, el("dt", null, "Earned"), earned),
      el("div", null, el("dt", null, "Staked by all"), total),
    ),
    el("div", { class: "form-row" }, el("label", { for: "lp-amount" }, "Amount (LP)"), el("div", { class: "inline wrap" }, amount, stake.root, unstake.root, claim.root)),
  );

  const refresh = async () => {
    const read = ctx.client.readContract;
    const all = await read({ address: staking, abi: lpStakingAbi, functionName: "totalStaked" });
    setField(total, all.toString(), formatLp(all));
    if (!account) {
      for (const d of [held, staked, earned]) setField(d, "", "—");
      return;
    }
    const [lp, mine, owed] = await Promise.all([
      read({ address: pair, abi: pairAbi, functionName: "balanceOf", args: [account] }),
      read({ address: staking, abi: lpStakingAbi, functionName: "balanceOf", args: [account] }),
      read({ address: staking, abi: lpStakingAbi, functionName: "earned", args: [account] }),
    ]);
    setField(held, lp.toString(), formatLp(lp));
    setField(staked, mine.toString(), formatLp(mine));
    setField(earned, owed.toString(), formatDml(owed));
  };
  return { root, refresh };
}
