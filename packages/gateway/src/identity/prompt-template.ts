// System-prompt templates with typed slots, so that the dynamic parts of a prompt (today's date,
// a user's name) may vary while every other character is pinned. Hand-written: the syntax is
// ours and tiny, and a general template engine would accept far more than we want to.
//
// Syntax: `{{name:type}}`, with type one of
//   date (YYYY-MM-DD) · datetime (RFC 3339) · integer · number · identifier ([A-Za-z0-9_.-]{1,64})
//   · enum(a|b|c) · text(N) (1..N characters, no line breaks, no "{" or "}")
// Everything outside slots must match exactly.
import { RE2JS } from 're2js';
import { ZtError } from '../errors.js';

const SLOT = /\{\{([A-Za-z_][A-Za-z0-9_]{0,63}):([a-z]+)(?:\(([^)]*)\))?\}\}/g;
const MAX_TEXT_SLOT = 4096;

const TYPE_PATTERNS: Record<string, (arg: string | undefined) => string> = {
  date: () => '\\d{4}-\\d{2}-\\d{2}',
  datetime: () =>
    '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?(?:Z|[+-]\\d{2}:\\d{2})',
  integer: () => '-?\\d{1,18}',
  number: () => '-?\\d{1,18}(?:\\.\\d{1,18})?',
  identifier: () => '[A-Za-z0-9_.-]{1,64}',
  enum: (arg) => {
    const values = (arg ?? '').split('|');
    if (values.some((v) => v === '' || /[{}\n]/.test(v))) throw invalid('enum needs values a|b|c');
    return `(?:${values.map(escapeRegExp).join('|')})`;
  },
  text: (arg) => {
    const max = Number(arg);
    if (!Number.isInteger(max) || max < 1 || max > MAX_TEXT_SLOT)
      throw invalid(`text(N) needs 1 ≤ N ≤ ${MAX_TEXT_SLOT}`);
    return `[^\\r\\n{}]+`; // length checked after the match (RE2 caps repeat counts at 1000)
  },
};

export interface CompiledTemplate {
  readonly template: string;
  readonly slots: readonly string[];
  /** True when `text` is the template with every slot filled by a value of its type. */
  matches(text: string): boolean;
}

/** Compiles a template; throws ZtError('invalid-argument') on a malformed slot. */
export function compileTemplate(template: string): CompiledTemplate {
  const slots: string[] = [];
  /** Longest value of each slot, in slot order (text slots only). */
  const maxLengths: Array<number | undefined> = [];
  let pattern = '^';
  let last = 0;
  for (const match of template.matchAll(SLOT)) {
    const [whole, name = '', type = '', arg] = match;
    const build = TYPE_PATTERNS[type];
    if (build === undefined) throw invalid(`unknown slot type "${type}"`);
    if (slots.includes(name)) throw invalid(`slot "${name}" appears twice`);
    slots.push(name);
    maxLengths.push(type === 'text' ? Number(arg) : undefined);
    pattern += escapeRegExp(template.slice(last, match.index)) + `(${build(arg)})`;
    last = match.index + whole.length;
  }
  const rest = template.slice(last);
  if (/\{\{|\}\}/.test(template.replace(SLOT, ''))) throw invalid('"{{" or "}}" outside a slot');
  pattern += `${escapeRegExp(rest)}$`;
  // Agents supply the text this runs on: RE2 matches in linear time, whatever the slots.
  const regex = RE2JS.compile(pattern);
  const matches = (text: string): boolean => {
    const matcher = regex.matcher(text);
    if (!matcher.matches()) return false;
    return maxLengths.every(
      (max, i) => max === undefined || (matcher.group(i + 1)?.length ?? 0) <= max,
    );
  };
  return { template, slots, matches };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function invalid(message: string): ZtError {
  return new ZtError('invalid-argument', `prompt template: ${message}`);
}
