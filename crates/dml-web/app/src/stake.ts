// #/stake: validator stake, delegation pools, LP staking and open
// contestations, refreshed every few seconds and after every transaction.

import type { Ctx } from "./context";
import { contestationSection } from "./contestation-votes";
import { delegationSection } from "./delegation";
import { el } from "./format";
import { lpStakingSection } from "./lp-staking";
import { errorLine, poll, startTicker, type Section } from "./ui";
import { validatorSection } from "./validator-stake";
import { wallet } from "./wallet";

/** How often the page re-reads its figures, in milliseconds. */
const REFRESH_MS = 4000;

/** Renders the stake page for the connected account into `root`; returns the cleanup. */
export async function stakePage(root: HTMLElement, ctx: Ctx): Promise<() => void> {
  const account = wallet.account;
  let refreshAll: () => Promise<void> = async () => {};
  const afterWrite = () => void refreshAll();
  const sections: Section[] = [
    validatorSection(ctx, account, afterWrite),
    delegationSection(ctx, account, afterWrite),
    lpStakingSection(ctx, account, afterWrite),
    contestationSection(ctx, account, afterWrite),
  ].filter((s): s is Section => s !== null);
  const problems = sections.map(() => el("div", { class: "section-problem" }));
  const page = el(
    "section",
    { "data-testid": "stake-page", class: "page stake" },
    el("h1", null, "Stake"),
    el("p", { class: "lead" }, account ? "Your stake, delegations and votes." : "Connect a wallet to stake, delegate and vote."),
    ...sections.flatMap((s, i) => [problems[i], s.root]),
  );
  root.replaceChildren(page);

  refreshAll = async () => {
    await Promise.all(
      sections.map(async (s, i) => {
        try {
          await s.refresh();
          problems[i].replaceChildren();
        } catch (err) {
          problems[i].replaceChildren(errorLine(err, ctx.config.rpcUrl));
        }
      }),
    );
  };
  await refreshAll();
  page.dataset.loaded = "1";
  let first = true;
  const stopPolling = poll(async () => {
    if (first) {
      first = false; // just refreshed above
      return;
    }
    await refreshAll();
  }, REFRESH_MS);
  const stopTicker = startTicker(page);
  return () => {
    stopPolling();
    stopTicker();
  };
}
