// Follows a job's CloudWatch log streams (`<job>/…` in the job type's log
// group) with the public Logs API: DescribeLogStreams by prefix, then
// GetLogEvents from the head with each stream's nextForwardToken, every
// TICK_MS while the job runs, and one last read after it ends (the server
// stores every line before it reports the job ended). Lines are kept in a
// bounded buffer; metric values are taken from every event as it arrives,
// so plots cover the whole run even when the text shown is only its end.
import {
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  type OutputLogEvent,
} from "@aws-sdk/client-cloudwatch-logs";
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError, logs } from "../aws";
import { compileMetrics, hostOfStream, type MetricSeries, type MetricDefinition } from "./metrics";

/** How many lines stay in memory (and on screen). */
export const MAX_LINES = 5000;
const TICK_MS = 1500;
/** Re-list the streams every this many ticks (a job may start another). */
const RELIST_EVERY = 4;

export interface LogLine {
  seq: number;
  time: number;
  stream: string;
  message: string;
}

export interface TailState {
  lines: LogLine[];
  /** Lines read but no longer kept. */
  dropped: number;
  streams: string[];
  metrics: MetricSeries[];
  error: string | undefined;
  /** True once the first read finished (an empty log is then truly empty). */
  read: boolean;
  /** True while reads repeat (the job is live). */
  following: boolean;
}

const sleep = (ms: number) => new Promise((r) => window.setTimeout(r, ms));

function isMissing(e: unknown): boolean {
  return (e as { name?: string }).name === "ResourceNotFoundException";
}

/**
 * The log of job `job` in `group`, read again while `live`. Reading starts
 * once `definitions` is known (undefined: wait; [] for no metrics).
 */
export function useLogTail(
  group: string,
  job: string,
  live: boolean,
  definitions: MetricDefinition[] | undefined,
): TailState {
  const liveRef = useRef(live);
  liveRef.current = live;
  const [, setVersion] = useState(0);
  const state = useRef<TailState>(empty());
  const defsKey = definitions ? JSON.stringify(definitions) : undefined;

  useEffect(() => {
    if (defsKey === undefined) return;
    const st: TailState = empty();
    state.current = st;
    const metrics = compileMetrics(definitions ?? []);
    st.metrics = metrics.series;
    const tokens = new Map<string, string | undefined>();
    let cancelled = false;
    let seq = 0;
    const bump = () => !cancelled && setVersion((v) => v + 1);

    const add = (stream: string, events: OutputLogEvent[]) => {
      for (const e of events) {
        const message = (e.message ?? "").replace(/\n$/, "");
        const time = e.timestamp ?? 0;
        st.lines.push({ seq: seq++, time, stream, message });
        metrics.take(message, time, hostOfStream(stream));
      }
      if (st.lines.length > MAX_LINES) {
        const over = st.lines.length - MAX_LINES;
        st.lines.splice(0, over);
        st.dropped += over;
      }
    };

    const listStreams = async () => {
      try {
        const out = await logs().send(
          new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: `${job}/` }),
        );
        for (const s of out.logStreams ?? []) {
          if (s.logStreamName && !tokens.has(s.logStreamName)) tokens.set(s.logStreamName, undefined);
        }
        st.streams = [...tokens.keys()].sort();
      } catch (e) {
        // No group yet: the job has not logged anything so far.
        if (!isMissing(e)) throw e;
      }
    };

    const drain = async (stream: string) => {
      let token = tokens.get(stream);
      for (;;) {
        const out = await logs().send(
          new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, nextToken: token }),
        );
        if (cancelled) return;
        const events = out.events ?? [];
        add(stream, events);
        const next = out.nextForwardToken;
        tokens.set(stream, next);
        if (events.length === 0 || !next || next === token) return;
        token = next;
      }
    };

    (async () => {
      for (let tick = 0; !cancelled; tick++) {
        // Read once more after the job stops being live, then stop.
        const wasLive = liveRef.current;
        st.following = wasLive;
        try {
          if (tokens.size === 0 || tick % RELIST_EVERY === 0) await listStreams();
          for (const s of st.streams) {
            if (cancelled) return;
            await drain(s);
          }
          st.error = undefined;
        } catch (e) {
          st.error = describeError(e);
        }
        st.read = true;
        bump();
        if (!wasLive) {
          st.following = false;
          bump();
          return;
        }
        await sleep(TICK_MS);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [group, job, defsKey]);

  return state.current;
}

function empty(): TailState {
  return { lines: [], dropped: 0, streams: [], metrics: [], error: undefined, read: false, following: false };
}
