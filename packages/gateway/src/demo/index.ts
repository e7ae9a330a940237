// Public face of demo/: the out-of-the-box demonstration `zt4ai up --demo` runs.
export { setUpDemo, startDemo } from './run-demo.js';
export type { DemoWorkspace } from './demo-workspace.js';
export type { DemoRun } from './demo-agents.js';
