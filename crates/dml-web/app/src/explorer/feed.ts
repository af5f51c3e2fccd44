// The live event feed: the indexer's newest events, polled every 2 s,
// newest first, each line linking to the task, model and addresses it names.

import type { Ctx } from "../context";
import { el } from "../format";
import { eventItem, eventKey } from "./events";
import type { Lifetime } from "./life";
import type { IndexedEvent, Page } from "../indexer-types";
import { when } from "./ui";

/** How often the feed asks the indexer for new events. */
export const FEED_POLL_MS = 2000;

/** A live feed (`ol[data-testid=feed] > li`) and the promise of its first load. */
export interface LiveFeed {
  element: HTMLElement;
  ready: Promise<void>;
}

/** Builds the live feed of the `limit` newest events; it polls until `life` stops. */
export function liveFeed(ctx: Ctx, life: Lifetime, limit = 20): LiveFeed {
  const list = el("ol", { class: "feed", "data-testid": "feed" });
  const empty = el("p", { class: "muted empty" }, "No events yet.");
  let paused = false;
  const pause = el("button", { type: "button", class: "feed-pause", "aria-pressed": "false" }, "Pause");
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
  });
  const times = new Map<string, number>();

  const refresh = async () => {
    if (paused) return;
    const page = await ctx.api<Page<IndexedEvent>>(`/api/v1/events?limit=${limit}`);
    const shown = new Set(Array.from(list.children, (li) => (li as HTMLElement).dataset.key ?? ""));
    const fresh = page.items.filter((e) => !shown.has(eventKey(e)));
    // Newest first: the page is newest first, so prepend the new ones in reverse.
    for (const e of fresh.slice().reverse()) {
      times.set(eventKey(e), e.timestamp);
      const li = eventItem(ctx, e);
      if (shown.size > 0) li.classList.add("fresh");
      list.prepend(li);
    }
    while (list.children.length > limit) {
      const last = list.lastElementChild as HTMLElement;
      times.delete(last.dataset.key ?? "");
      last.remove();
    }
    // Keep the "5 s ago" labels current.
    for (const li of Array.from(list.children) as HTMLElement[]) {
      const t = times.get(li.dataset.key ?? "");
      const slot = li.querySelector(".event-time");
      if (t !== undefined && slot) slot.replaceChildren(when(t));
    }
    empty.hidden = list.children.length > 0;
  };

  const ready = refresh().finally(() => life.poll(FEED_POLL_MS, refresh, (err) => ctx.showError(err)));
  const element = el(
    "div",
    { class: "feed-box" },
    el("div", { class: "feed-head" }, el("span", { class: "live-dot", "aria-hidden": "true" }), "Live: newest first, every 2 s ", pause),
    list,
    empty,
  );
  return { element, ready };
}
