// Public face of remediation/: rules → containment, incidents, the kill switch.
export type { Incident, IncidentDetail, IncidentEvent } from './incidents.js';
export type { KillSwitchState, KillSwitchTarget } from './kill-switch.js';
export type { LiveSessions } from './live-sessions.js';
export { Remediation } from './remediation.js';
export type { RemediationOptions } from './remediation.js';
