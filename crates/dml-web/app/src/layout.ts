// The page's frame: header with navigation and the wallet, the error area,
// the page slot, and a footer naming the deployment.

import { el } from "./format";

/** The parts of the frame the app fills in. */
export interface Layout {
  /** Where the current page renders. */
  main: HTMLElement;
  /** Where the wallet button lives. */
  walletSlot: HTMLElement;
  /** Where errors are listed. */
  errors: HTMLElement;
  /** The footer's text. */
  footer: HTMLElement;
  /** Marks the navigation link of `section` as the current one. */
  setSection(section: string | null): void;
}

const NAV: [string, string][] = [
  ["playground", "Playground"],
  ["explorer", "Explorer"],
  ["stake", "Stake"],
  ["govern", "Govern"],
];

/** Builds the frame into document.body. */
export function buildLayout(): Layout {
  const links = NAV.map(([name, label]) => el("a", { href: `#/${name}`, "data-nav": name }, label));
  const walletSlot = el("div", { class: "wallet-slot" });
  const errors = el("div", { class: "errors", "aria-live": "assertive" });
  const main = el("main", { id: "page", class: "main" });
  const footer = el("footer", { class: "footer" });
  document.body.replaceChildren(
    el(
      "header",
      { class: "topbar" },
      el("a", { href: "#/playground", class: "brand", "aria-label": "DML home" }, el("span", { class: "brand-mark" }, "◆"), "DML"),
      el("nav", { class: "nav", "aria-label": "Sections" }, ...links),
      walletSlot,
    ),
    errors,
    main,
    footer,
  );
  return {
    main,
    walletSlot,
    errors,
    footer,
    setSection(section) {
      for (const link of links) {
        if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
    },
  };
}

/** Adds an error sentence to the error area (each one dismissable), unless the same sentence is already shown. */
export function addError(area: HTMLElement, text: string): void {
  const shown = [...area.querySelectorAll<HTMLElement>('[data-testid="error"]')].some((e) => e.textContent === text);
  if (shown) return;
  const item = el("div", { class: "error-item", role: "alert" }, el("p", { "data-testid": "error" }, text));
  item.append(el("button", { type: "button", class: "dismiss", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"));
  area.append(item);
}
