// Stake page, delegation part: one pool per solver (from the indexer), with
// the connected account's position, delegate / undelegate / withdraw / claim.

import { getAddress, type Address } from "viem";
import { engineAbi } from "./abi";
import type { Ctx } from "./context";
import { el, formatDml, shortHex } from "./format";
import type { SolverSummary } from "./indexer-types";
import { actionButton, card, countdown, formatPercent, KeyedList, parseDmlInput, setField, type Section } from "./ui";
import { wallet } from "./wallet";

/** What one pool row shows. */
interface PoolView {
  solver: Address;
  pool: readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, boolean];
  mine: readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint] | null;
  unbonding: { unlockTime: bigint; amount: bigint }[];
}

/** Most unbonding requests listed per pool. */
const MAX_UNBONDING = 20n;

/** The delegation part of the stake page. */
export function delegationSection(ctx: Ctx, account: Address | null, afterWrite: () => void): Section {
  const engine = ctx.config.contracts.engine;
  const pools = new KeyedList<PoolView>(el("div", { class: "pools" }), (key) => poolRow(ctx, getAddress(key), afterWrite), () =>
    el("p", { class: "muted" }, "No solver has staked yet."),
  );
  const root = card(
    "Delegate to a solver",
    { "data-testid": "delegation" },
    el("p", { class: "help" }, "Delegated DML counts toward a solver's stake; the pool earns the solver's claims less its commission, and shares its slashes. Undelegated DML unbonds before it can be withdrawn."),
    pools.container,
  );

  const refresh = async () => {
    const solvers = await ctx.api<SolverSummary[]>("/api/v1/solvers");
    const read = ctx.client.readContract;
    const views = await Promise.all(
      solvers.map(async (s): Promise<PoolView> => {
        const solver = getAddress(s.address);
        const pool = await read({ address: engine, abi: engineAbi, functionName: "delegationPool", args: [solver] });
        if (!account) return { solver, pool, mine: null, unbonding: [] };
        const mine = await read({ address: engine, abi: engineAbi, functionName: "delegation", args: [account, solver] });
        const [, , , , , first, end] = mine;
        const indexes: bigint[] = [];
        for (let i = first; i < end && i < first + MAX_UNBONDING; i++) indexes.push(i);
        const requests = await Promise.all(indexes.map((i) => read({ address: engine, abi: engineAbi, functionName: "delegationUnbondingRequest", args: [account, solver, i] })));
        return { solver, pool, mine, unbonding: requests.map(([unlockTime, amount]) => ({ unlockTime, amount })).filter((r) => r.amount > 0n) };
      }),
    );
    pools.sync(views, (v) => v.solver);
  };
  return { root, refresh };
}

function poolRow(ctx: Ctx, solver: Address, afterWrite: () => void) {
  const engine = ctx.config.contracts.engine;
  const poolStake = el("dd", { "data-field": "poolStake" });
  const commission = el("dd", { "data-field": "commission" });
  const accepts = el("dd", { "data-field": "acceptsDelegations" });
  const myStake = el("dd", { "data-field": "delegated" });
  const rewards = el("dd", { "data-field": "pendingRewards" });
  const unbondingTotal = el("dd", { "data-field": "unbonding" });
  const withdrawable = el("dd", { "data-field": "withdrawable" });
  const unbondingList = el("ul", { class: "rows compact" });
  const amount = el("input", { "data-testid": "delegate-amount", inputmode: "decimal", placeholder: "DML", autocomplete: "off", "aria-label": `Amount to delegate to ${solver}` });

  const delegate = actionButton("Delegate", { "data-testid": "delegate", class: "primary" }, async () => {
    const value = parseDmlInput(amount.value, "the amount to delegate");
    wallet.requireAccount();
    await wallet.write({ address: engine, abi: engineAbi, functionName: "delegateStake", args: [solver, value], spendsDml: { amount: value, what: "the delegation" } });
    afterWrite();
    return `Delegated ${formatDml(value)}.`;
  });
  const undelegate = actionButton("Undelegate", { "data-testid": "undelegate" }, async () => {
    const value = parseDmlInput(amount.value, "the amount to undelegate");
    wallet.requireAccount();
    await wallet.write({ address: engine, abi: engineAbi, functionName: "undelegateStake", args: [solver, value] });
    afterWrite();
    return `Undelegating ${formatDml(value)}; it unbonds before you can withdraw it.`;
  });
  const claim = actionButton("Claim rewards", { "data-testid": "claim-delegation-rewards" }, async () => {
    wallet.requireAccount();
    await wallet.write({ address: engine, abi: engineAbi, functionName: "claimDelegationRewards", args: [solver] });
    afterWrite();
    return "Rewards paid to your account.";
  });
  const withdraw = actionButton("Withdraw unbonded", { "data-testid": "withdraw-delegation" }, async () => {
    const me = wallet.requireAccount();
    await wallet.write({ address: engine, abi: engineAbi, functionName: "withdrawDelegation", args: [solver, me] });
    afterWrite();
    return "Unbonded DML withdrawn to your account.";
  });

  const node = el(
    "article",
    { "data-testid": "pool", "data-solver": solver, class: "pool" },
    el("h3", null, "Solver ", el("a", { href: `#/solver/${solver}`, class: "mono" }, shortHex(solver))),
    el(
      "dl",
      { class: "figures" },
      el("div", null, el("dt", null, "Pool stake"), poolStake),
      el("div", null, el("dt", null, "Commission"), commission),
      el("div", null, el("dt", null, "Open to delegation"), accepts),
      el("div", null, el("dt", null, "Yours"), myStake),
      el("div", null, el("dt", null, "Your rewards"), rewards),
      el("div", null, el("dt", null, "Unbonding"), unbondingTotal),
      el("div", null, el("dt", null, "Withdrawable"), withdrawable),
    ),
    unbondingList,
    el("div", { class: "inline wrap" }, amount, delegate.root, undelegate.root),
    el("div", { class: "inline wrap" }, claim.root, withdraw.root),
  );

  return {
    node,
    update(view: PoolView) {
      const [stake, , , , , rate, nextRate, nextTime, open] = view.pool;
      setField(poolStake, stake.toString(), formatDml(stake));
      const pendingChange = nextTime > 0n && nextRate !== rate ? ` (→ ${formatPercent(nextRate)} from ${new Date(Number(nextTime) * 1000).toLocaleString()})` : "";
      setField(commission, rate.toString(), formatPercent(rate) + pendingChange);
      setField(accepts, String(open), open ? "yes" : "no");
      delegate.setEnabled(open);
      if (!view.mine) {
        for (const d of [myStake, rewards, unbondingTotal, withdrawable]) setField(d, "", "—");
        unbondingList.replaceChildren();
        return;
      }
      const [mine, , pendingRewards, unbonding, free] = view.mine;
      setField(myStake, mine.toString(), formatDml(mine));
      setField(rewards, pendingRewards.toString(), formatDml(pendingRewards));
      setField(unbondingTotal, unbonding.toString(), formatDml(unbonding));
      setField(withdrawable, free.toString(), formatDml(free));
      undelegate.setEnabled(mine > 0n);
      claim.setEnabled(pendingRewards > 0n);
      withdraw.setEnabled(free > 0n);
      const key = view.unbonding.map((r) => `${r.unlockTime}:${r.amount}`).join(",");
      if (unbondingList.dataset.key !== key) {
        unbondingList.dataset.key = key;
        unbondingList.replaceChildren(
          ...view.unbonding.map((r) => el("li", { "data-testid": "unbonding-request" }, `${formatDml(r.amount)} unbonds `, countdown(Number(r.unlockTime), "now (withdrawable)"))),
        );
      }
    },
  };
}
