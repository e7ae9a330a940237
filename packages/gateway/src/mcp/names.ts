// One aggregated endpoint, one naming rule (docs/mcp-gateway.md): everything an upstream offers is
// shown as `<upstream>/<its own name>` — tools, prompts, and resource URIs alike — which is the
// `server/tool` form the guard, grants and `tools:` configuration use. The upstream part never
// contains `/`, so the first `/` splits the two.

/** Longest name (or URI) an upstream may give one of its tools, prompts or resources. */
const MAX_NAME_LENGTH = 2048;
/** Controls and line breaks never belong in a name the agent, the policies and the log all see. */
const BAD_NAME_CHAR = /[\p{Cc}\p{Zl}\p{Zp}]/u;

export interface QualifiedName {
  readonly upstream: string;
  readonly name: string;
}

/** `upstream/name`. */
export function qualify(upstream: string, name: string): string {
  return `${upstream}/${name}`;
}

/** Splits `upstream/name`; undefined when the text is not of that form. */
export function splitQualified(qualified: unknown): QualifiedName | undefined {
  if (typeof qualified !== 'string') return undefined;
  const slash = qualified.indexOf('/');
  if (slash < 1 || slash === qualified.length - 1) return undefined;
  return { upstream: qualified.slice(0, slash), name: qualified.slice(slash + 1) };
}

/** Whether an upstream's own name is one the gateway can show and route (bounded, printable). */
export function isAcceptableName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_NAME_LENGTH &&
    !BAD_NAME_CHAR.test(name)
  );
}
