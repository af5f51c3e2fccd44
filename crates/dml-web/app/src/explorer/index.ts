// The explorer's pages, as the core's router imports them (CONTRACT.md).
// Each renders into the element it is given and returns a Cleanup that stops
// its timers and polling when the user navigates away.

import "./explorer.css";

export type { Cleanup } from "./life";
export { explorerHome } from "./home";
export { tasksPage, modelsPage, solversPage } from "./lists";
export { taskPage } from "./task";
export { modelPage } from "./model";
export { solverPage } from "./solver";
export { addressPage } from "./address";
export { contestationPage } from "./contestation";
