// The hash routes of the app (see CONTRACT.md).

/** A parsed location: the page's name and its one parameter (a model id, task id or address). */
export interface Route {
  name: string;
  param?: string;
}

/** Names of the routes with a parameter and those without. */
const WITH_PARAM = new Set(["playground", "task", "model", "solver", "address", "contestation"]);
const WITHOUT_PARAM = new Set(["playground", "explorer", "tasks", "models", "solvers", "stake", "govern"]);

/** Parses "#/task/0x…" into { name: "task", param: "0x…" }; an empty hash is the playground, an unknown one "notfound". */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, "").replace(/\/+$/, "");
  if (path === "") return { name: "playground" };
  const [name, param, ...rest] = path.split("/");
  if (rest.length > 0) return { name: "notfound", param: path };
  if (param !== undefined && WITH_PARAM.has(name)) return { name, param: decodeURIComponent(param) };
  if (param === undefined && WITHOUT_PARAM.has(name)) return { name };
  return { name: "notfound", param: path };
}

/** The section a route belongs to, for highlighting its navigation link. */
export function sectionOf(route: Route): "playground" | "explorer" | "stake" | "govern" | null {
  switch (route.name) {
    case "playground":
    case "stake":
    case "govern":
      return route.name;
    case "notfound":
      return null;
    default:
      return "explorer";
  }
}
