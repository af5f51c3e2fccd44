// Stake page, validator part: deposit, request withdrawals, complete or
// cancel them once unlocked, against the engine's minimum stake.

import type { Address } from "viem";
import { engineAbi, tokenAbi } from "./abi";
import type { Ctx } from "./context";
import { el, formatDml } from "./format";
import { actionButton, card, countdown, KeyedList, parseDmlInput, setField, type Section } from "./ui";
import { wallet } from "./wallet";

interface WithdrawRequest {
  count: bigint;
  unlockTime: bigint;
  amount: bigint;
}

/** Most withdrawal requests read back (the newest ones). */
const MAX_REQUESTS = 50n;

/** The validator part of the stake page, for the connected `account` (or none). */
export function validatorSection(ctx: Ctx, account: Address | null, afterWrite: () => void): Section {
  const engine = ctx.config.contracts.engine;
  const staked = el("dd", { "data-field": "staked" }, "…");
  const pending = el("dd", { "data-field": "pendingWithdrawal" }, "…");
  const minimum = el("dd", { "data-field": "minimum" }, "…");
  const balance = el("dd", { "data-field": "balance" }, "…");
  const standing = el("p", { class: "help" });
  const depositAmount = el("input", { "data-testid": "validator-deposit-amount", id: "validator-deposit-amount", inputmode: "decimal", placeholder: "DML", autocomplete: "off" });
  const withdrawAmount = el("input", { "data-testid": "validator-withdraw-amount", id: "validator-withdraw-amount", inputmode: "decimal", placeholder: "DML", autocomplete: "off" });
  let unlockSeconds = 0n;

  const deposit = actionButton("Deposit", { "data-testid": "validator-deposit", class: "primary" }, async () => {
    const amount = parseDmlInput(depositAmount.value, "the deposit");
    const me = wallet.requireAccount();
    const { receipt } = await wallet.write({ address: engine, abi: engineAbi, functionName: "validatorDeposit", args: [me, amount], spendsDml: { amount, what: "the deposit" } });
    afterWrite();
    return `Deposited ${formatDml(amount)} (block ${receipt.blockNumber}).`;
  });
  const withdraw = actionButton("Request withdrawal", { "data-testid": "validator-withdraw" }, async () => {
    const amount = parseDmlInput(withdrawAmount.value, "the withdrawal");
    wallet.requireAccount();
    const { receipt } = await wallet.write({ address: engine, abi: engineAbi, functionName: "initiateValidatorWithdraw", args: [amount] });
    afterWrite();
    return `Requested ${formatDml(amount)} (block ${receipt.blockNumber}); it unlocks after ${unlockSeconds} s.`;
  });

  const requests = new KeyedList<WithdrawRequest>(
    el("ul", { class: "rows" }),
    (key, first) => {
      const count = BigInt(key);
      const amountText = el("span");
      const when = el("span");
      const complete = actionButton("Complete", { "data-action": "complete" }, async () => {
        const me = wallet.requireAccount();
        await wallet.write({ address: engine, abi: engineAbi, functionName: "validatorWithdraw", args: [count, me] });
        afterWrite();
        return "Withdrawn to your account.";
      });
      const cancel = actionButton("Cancel", { "data-action": "cancel", class: "ghost" }, async () => {
        wallet.requireAccount();
        await wallet.write({ address: engine, abi: engineAbi, functionName: "cancelValidatorWithdraw", args: [count] });
        afterWrite();
        return "Cancelled; the DML stays staked.";
      });
      const node = el("li", { "data-testid": "withdraw-request", "data-count": key, "data-unlock": first.unlockTime.toString() }, el("span", { class: "row-main" }, `#${key} `, amountText, " · unlocks ", when), complete.root, cancel.root);
      let shownUnlock = -1n;
      return {
        node,
        update(item) {
          amountText.textContent = formatDml(item.amount);
          if (item.unlockTime !== shownUnlock) {
            shownUnlock = item.unlockTime;
            node.dataset.unlock = item.unlockTime.toString();
            when.replaceChildren(countdown(Number(item.unlockTime), "now"));
          }
          complete.setEnabled(Date.now() / 1000 >= Number(item.unlockTime));
        },
      };
    },
    () => el("li", { class: "muted" }, account ? "No pending withdrawals." : "Connect a wallet to see your withdrawals."),
  );

  const root = card(
    "Validator stake",
    { "data-testid": "validator-stake" },
    el("p", { class: "help" }, "Solvers stake DML to submit solutions and vote on contestations. A withdrawal unlocks after a waiting period."),
    el(
      "dl",
      { class: "figures" },
      el("div", null, el("dt", null, "Your stake"), staked),
      el("div", null, el("dt", null, "Withdrawal pending"), pending),
      el("div", null, el("dt", null, "Minimum stake"), minimum),
      el("div", null, el("dt", null, "Your DML"), balance),
    ),
    standing,
    el("div", { class: "form-row" }, el("label", { for: "validator-deposit-amount" }, "Deposit (DML)"), el("div", { class: "inline" }, depositAmount, deposit.root)),
    el("div", { class: "form-row" }, el("label", { for: "validator-withdraw-amount" }, "Withdraw (DML)"), el("div", { class: "inline" }, withdrawAmount, withdraw.root)),
    el("h3", null, "Pending withdrawals"),
    requests.container,
  );

  const refresh = async () => {
    const read = ctx.client.readContract;
    const [min, unlock] = await Promise.all([
      read({ address: engine, abi: engineAbi, functionName: "getValidatorMinimum" }),
      read({ address: engine, abi: engineAbi, functionName: "exitValidatorMinUnlockTime" }),
    ]);
    unlockSeconds = unlock;
    setField(minimum, min.toString(), formatDml(min));
    if (!account) {
      standing.textContent = "Connect a wallet to stake.";
      requests.sync([], () => "");
      return;
    }
    const [validator, pendingAmount, held, count] = await Promise.all([
      read({ address: engine, abi: engineAbi, functionName: "validators", args: [account] }),
      read({ address: engine, abi: engineAbi, functionName: "validatorWithdrawPendingAmount", args: [account] }),
      read({ address: ctx.config.contracts.token, abi: tokenAbi, functionName: "balanceOf", args: [account] }),
      read({ address: engine, abi: engineAbi, functionName: "pendingValidatorWithdrawRequestsCount", args: [account] }),
    ]);
    const [stake] = validator;
    setField(staked, stake.toString(), formatDml(stake));
    setField(pending, pendingAmount.toString(), formatDml(pendingAmount));
    setField(balance, held.toString(), formatDml(held));
    standing.textContent =
      stake >= min && stake > 0n ? "Your stake meets the minimum: you can solve tasks and vote." : `Stake at least ${formatDml(min)} to solve tasks and vote.`;
    const counts: bigint[] = [];
    for (let c = count; c >= 1n && c > count - MAX_REQUESTS; c--) counts.push(c);
    const found = await Promise.all(counts.map((c) => read({ address: engine, abi: engineAbi, functionName: "pendingValidatorWithdrawRequests", args: [account, c] })));
    const live = found
      .map(([unlockTime, amount], i) => ({ count: counts[i], unlockTime, amount }))
      .filter((r) => r.unlockTime !== 0n)
      .reverse();
    requests.sync(live, (r) => r.count.toString());
  };
  return { root, refresh };
}
