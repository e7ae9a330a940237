// Loads one API resource for a component: data, error and a reload function.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from './api.js';

export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly reload: () => void;
}

export function useResource<T>(path: string | undefined): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    if (path === undefined) return;
    let current = true;
    api.get<T>(path).then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
      },
      (failure: unknown) => {
        if (current) setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
    return () => {
      current = false;
    };
  }, [path, generation]);
  return { data, error, reload };
}
