// Labels of one upstream result (DESIGN §2 step 7): the tool's configured `resultLabels`, plus
// `secret` when the credential detector finds one in it and `pii` when the personal-data detector
// does. Deterministic; the result is scanned whole within the detectors' bounds.
import { collectStrings } from '../detectors/collect-strings.js';
import { detectPii } from '../detectors/pii.js';
import { detectSecrets } from '../detectors/secrets.js';

/** Label of a result carrying a credential. */
export const SECRET_LABEL = 'secret';
/** Label of a result carrying personal data (card, IBAN, e-mail, phone number). */
export const PII_LABEL = 'pii';

/**
 * The sorted labels of `result`. Throws ZtError `detector-limit` when the result is beyond the scan
 * bounds: the caller MUST then withhold it (a result that cannot be labelled is not passed on).
 */
export function resultLabels(result: unknown, configured: readonly string[] | undefined): string[] {
  const values = collectStrings(result).filter((s) => !s.path.endsWith('#key'));
  const labels = new Set(configured ?? []);
  if (detectSecrets(values).found) labels.add(SECRET_LABEL);
  if (detectPii(values).found) labels.add(PII_LABEL);
  return [...labels].sort();
}
