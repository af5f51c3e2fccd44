// An address's page (#/address/<address>): DML balance, stake, votes and
// delegate from the chain, its tasks and its full history from the indexer.

import { formatEther, formatUnits, type Address } from "viem";
import type { Ctx } from "../context";
import { el } from "../format";
import { readAccount, readValidator } from "./chain";
import { eventCells } from "./events";
import { Lifetime, type Cleanup } from "./life";
import { indexerPages, taskCells, taskHeaders } from "./lists";
import type { IndexedEvent, TaskSummary } from "../indexer-types";
import { addressLink, dml, facts, field, isZero, markLoaded, note, pageRoot, pager, parseAddress, section } from "./ui";

const ADDRESS_POLL_MS = 5000;

/** Renders address `addressText` into `container`; the Cleanup stops its refresh. */
export async function addressPage(container: HTMLElement, ctx: Ctx, addressText: string): Promise<Cleanup> {
  const life = new Lifetime();
  const root = pageRoot(container, "address", "Address");
  let address: Address;
  try {
    address = parseAddress(addressText);
  } catch (err) {
    ctx.showError(err);
    return () => life.stop();
  }
  root.querySelector("h1")?.append(" ", el("span", { class: "mono id" }, address));
  const factsSlot = el("div", { class: "facts-slot" }, note("Reading the chain…"));
  const lower = address.toLowerCase();
  const tasks = pager<TaskSummary>({
    headers: taskHeaders(),
    empty: "This address has submitted no tasks.",
    fetchPage: indexerPages<TaskSummary>(ctx, `/api/v1/tasks?owner=${lower}`, 10),
    renderRow: (t) => taskCells(ctx, t),
    onError: (err) => ctx.showError(err),
  });
  const history = pager<IndexedEvent>({
    headers: ["When", "Event", "What", "Block", "Transaction"],
    empty: "No events name this address yet.",
    fetchPage: indexerPages<IndexedEvent>(ctx, `/api/v1/addresses/${lower}/events`),
    renderRow: (e) => eventCells(ctx, e),
    onError: (err) => ctx.showError(err),
  });
  root.append(section("Holdings", factsSlot), section("Tasks it submitted", tasks.element), section("History", history.element));

  const show = async () => {
    const [account, validator, eth] = await Promise.all([
      readAccount(ctx, address),
      readValidator(ctx, address),
      ctx.client.getBalance({ address }),
    ]);
    if (life.stopped) return;
    factsSlot.replaceChildren(
      facts([
        ["DML balance", field("balance", account.balance.toString(), dml(account.balance))],
        ["Staked", field("staked", validator.staked.toString(), dml(validator.staked), validator.staked > 0n ? [" · ", el("a", { href: `#/solver/${address}` }, "solver page")] : null)],
        ["Votes", field("votes", account.votes.toString(), `${formatUnits(account.votes, 18)} votes`)],
        ["Delegate", field("delegate", account.delegate, isZero(account.delegate) ? el("span", { class: "muted" }, "nobody (its DML carries no votes until delegated)") : addressLink(account.delegate))],
        ["ETH balance", field("eth", eth.toString(), `${formatEther(eth)} ETH`)],
      ]),
    );
  };
  try {
    await Promise.all([show(), tasks.start(), history.start()]);
    markLoaded(root);
  } catch (err) {
    ctx.showError(err);
  }
  life.poll(ADDRESS_POLL_MS, show, (err) => ctx.showError(err));
  return () => life.stop();
}
