// E-mail addresses, RFC 5322 "lite": the dot-atom addr-spec (§3.4.1) with the local-part
// characters real addresses use and a DNS host name (RFC 1035 labels) with an alphabetic TLD.
import type { TextMatch } from './text-match.js';

// A local part of at most 64 characters (RFC 5321 §4.5.3.1.1) starting where a run starts,
// then a domain run; both are checked label by label below. Bounded, so scanning is linear.
const CANDIDATE = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}/g;
const LOCAL = /^[A-Za-z0-9%+_-]+(?:\.[A-Za-z0-9%+_-]+)*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Every e-mail address in `text`, normalized to lower case.
 *
 * Recognized: `local@domain` where local is dot-separated runs of letters, digits and `%+_-`
 * and domain is two or more DNS labels ending in an alphabetic TLD (or an `xn--` IDN TLD).
 * Not recognized (documented limits): quoted local parts, comments, IP-literal domains,
 * non-ASCII (SMTPUTF8) addresses, and single-label domains such as `root@localhost`.
 */
export function findEmails(text: string): TextMatch[] {
  const found: TextMatch[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const raw = match[0];
    const at = raw.indexOf('@');
    const local = raw.slice(0, at);
    // A sentence-ending dot or hyphen belongs to the prose, not the domain.
    const domain = raw.slice(at + 1).replace(/[.-]+$/, '');
    if (!LOCAL.test(local) || !validDomain(domain)) continue;
    const end = match.index + at + 1 + domain.length;
    found.push({ value: `${local}@${domain}`.toLowerCase(), start: match.index, end });
  }
  return found;
}

function validDomain(domain: string): boolean {
  const labels = domain.split('.');
  const tld = labels[labels.length - 1] ?? '';
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return false;
  return /^[A-Za-z]{2,63}$/.test(tld) || /^xn--[A-Za-z0-9-]{1,59}$/i.test(tld);
}
