// The live activity stream (/api/events, Server-Sent Events). Items arriving between two frames are
// delivered together once per animation frame, so a burst of events costs one render.
import { useEffect, useState } from 'preact/hooks';
import type { ActivityItem } from './types.js';

type Listener = (items: readonly ActivityItem[]) => void;

const listeners = new Set<Listener>();
let pending: ActivityItem[] = [];
let scheduled = false;
let source: EventSource | undefined;
let connected = false;
const statusListeners = new Set<(connected: boolean) => void>();

export function connectLive(): void {
  if (source !== undefined) return;
  source = new EventSource('/api/events');
  source.addEventListener('open', () => setConnected(true));
  source.addEventListener('error', () => setConnected(false));
  source.addEventListener('activity', (event) => {
    pending.push(JSON.parse((event as MessageEvent<string>).data) as ActivityItem);
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(flush);
    }
  });
}

export function disconnectLive(): void {
  source?.close();
  source = undefined;
  setConnected(false);
}

function flush(): void {
  scheduled = false;
  const batch = pending;
  pending = [];
  for (const listener of listeners) listener(batch);
}

function setConnected(value: boolean): void {
  connected = value;
  for (const listener of statusListeners) listener(value);
}

/** Calls `listener` with every batch of new items while the component is mounted. */
export function useLiveBatches(listener: Listener): void {
  useEffect(() => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, [listener]);
}

/**
 * The newest `size` items: those of `initial` (a snapshot the page fetched) and those that arrived
 * live, merged by audit index, so a snapshot older than the stream never hides an item.
 */
export function useLiveItems(
  initial: readonly ActivityItem[],
  size: number,
  filter?: (item: ActivityItem) => boolean,
): readonly ActivityItem[] {
  const [items, setItems] = useState<readonly ActivityItem[]>(initial);
  useEffect(() => setItems((old) => newest(initial, old, size)), [initial, size]);
  useEffect(() => {
    const listener: Listener = (batch) => {
      const fresh = filter === undefined ? batch : batch.filter(filter);
      if (fresh.length > 0) setItems((old) => newest(fresh, old, size));
    };
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, [filter, size]);
  return items;
}

/** The `size` items with the highest audit indexes among `a` and `b`, newest first, each once. */
function newest(
  a: readonly ActivityItem[],
  b: readonly ActivityItem[],
  size: number,
): readonly ActivityItem[] {
  const byIndex = new Map<number, ActivityItem>();
  for (const item of [...a, ...b]) byIndex.set(item.index, item);
  return [...byIndex.values()].sort((x, y) => y.index - x.index).slice(0, size);
}

export function useLiveStatus(): boolean {
  const [value, setValue] = useState(connected);
  useEffect(() => {
    statusListeners.add(setValue);
    return () => void statusListeners.delete(setValue);
  }, []);
  return value;
}

/** Runs `refresh` at most once per `ms` while matching live items keep arriving. */
export function useRefreshOn(
  match: (item: ActivityItem) => boolean,
  refresh: () => void,
  ms: number,
): void {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listener: Listener = (batch) => {
      if (timer !== undefined || !batch.some(match)) return;
      timer = setTimeout(() => {
        timer = undefined;
        refresh();
      }, ms);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [match, refresh, ms]);
}
