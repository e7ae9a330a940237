// The resolver the egress detector's facts are checked against: the system's (dns.promises.lookup,
// so /etc/hosts counts), every answer. The detectors do no I/O themselves; the composition root
// hands this to the guard.
import { lookup } from 'node:dns/promises';
import type { EgressLookup } from '../detectors/egress.js';

export const systemLookup: EgressLookup = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((answer) => ({
    address: answer.address,
    family: answer.family === 6 ? (6 as const) : (4 as const),
  }));
