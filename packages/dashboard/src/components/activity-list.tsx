// A list of activity items, newest first, with the decision as a badge and the agent as a link.
import { agentHref } from '../router.js';
import { describe, short, timeOf } from '../format.js';
import type { ActivityItem } from '../types.js';

export function ActivityList(props: {
  hideAgent?: boolean;
  items: readonly ActivityItem[];
  names?: ReadonlyMap<string, string>;
  testId?: string;
}) {
  return (
    <ul class="activity" data-testid={props.testId}>
      {props.items.map((item) => (
        <li key={item.index} data-type={item.type} data-decision={item.decision ?? ''}>
          <span class="time">{timeOf(item.time)}</span>
          {item.decision !== undefined && (
            <span class={`badge ${item.decision}`}>{item.decision}</span>
          )}
          <span class="what">{describe(item)}</span>
          {item.agent !== undefined && props.hideAgent !== true && (
            <a class="agent" href={agentHref(item.agent)}>
              {props.names?.get(item.agent) ?? short(item.agent)}
            </a>
          )}
          {item.reasons !== undefined && item.reasons.length > 0 && item.decision !== 'allow' && (
            <span class="reason">{item.reasons[0]}</span>
          )}
        </li>
      ))}
    </ul>
  );
}
