// Function names of model APIs mapped to the agent's tool namespace (`server/tool`, the names that
// grants and policies use). Model APIs allow only [A-Za-z0-9_-] in function names, so a server
// prefix is written with a double underscore:
//
//   db__query  → db/query          (first "__" separates server and tool)
//   get_weather → functions/get_weather   (no prefix: the configured namespace, default "functions")
//   db/query   → db/query          (already namespaced: kept as it is)

/** The guard's tool name for a function name the model or the agent uses. */
export function toolName(functionName: string, namespace: string): string {
  if (functionName.includes('/')) return functionName;
  const split = functionName.indexOf('__');
  if (split > 0 && split < functionName.length - 2)
    return `${functionName.slice(0, split)}/${functionName.slice(split + 2)}`;
  return `${namespace}/${functionName}`;
}
