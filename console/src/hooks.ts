import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "./aws";

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `fetch()` now, whenever `deps` change, and every `pollMs` while the
 * page is visible (status changes appear without reloading). A slow answer
 * that arrives after newer deps is dropped. With `keep`, the previous data
 * stays on screen while new deps load (a list's next page), instead of
 * blanking.
 */
export function useLoad<T>(fetch: () => Promise<T>, deps: unknown[], pollMs = 0, keep = false): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    fetch().then(
      (d) => {
        if (mine !== generation.current) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e) => {
        if (mine !== generation.current) return;
        setError(describeError(e));
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    setLoading(true);
    if (!keep) setData(undefined);
    run();
    if (!pollMs) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") run();
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [run, pollMs]);
  return { data, error, loading, reload: run };
}

/** `value`, once it has not changed for `ms`. */
export function useDebounced<T>(value: T, ms = 250): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(t);
  }, [value, ms]);
  return v;
}
