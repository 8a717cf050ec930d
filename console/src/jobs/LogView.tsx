// A job's log as it is written: the tail's lines in a scrolling box that
// stays at the bottom while "Follow log" is on (scrolling up turns it off).
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ErrorBox } from "../components/ui";
import { MAX_LINES, type TailState } from "./logTail";
import { hostOfStream } from "./metrics";

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

export function LogView({ tail, group }: { tail: TailState; group: string }) {
  const [follow, setFollow] = useState(true);
  // A distributed job's hosts each have a stream; "" shows them all.
  const [host, setHost] = useState("");
  const box = useRef<HTMLDivElement>(null);
  const lastSeq = tail.lines.length ? tail.lines[tail.lines.length - 1].seq : -1;
  const many = tail.streams.length > 1;
  const hosts = [...new Set(tail.streams.map(hostOfStream))].sort();
  const shown = host ? tail.lines.filter((l) => hostOfStream(l.stream) === host) : tail.lines;

  useLayoutEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lastSeq, follow]);

  // A user who scrolls up to read stops following; back at the bottom resumes.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onScroll = () => {
      const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
      setFollow(atBottom);
    };
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, []);

  return (
    <div class="log-view">
      <div class="log-tools">
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} />{" "}
          Follow log
        </label>
        {hosts.length > 1 && (
          <label>
            Host{" "}
            <select value={host} onChange={(e) => setHost((e.target as HTMLSelectElement).value)}>
              <option value="">All hosts</option>
              {hosts.map((h) => (
                <option key={h} value={h}>
                  {h}
                </option>
              ))}
            </select>
          </label>
        )}
        <span class="muted" aria-live="polite">
          {tail.following ? "Live: new lines appear as the job writes them." : tail.read ? "The job has ended; this is its whole log." : "Reading…"}
        </span>
      </div>
      <p class="muted">
        Log group <code>{group}</code>
        {tail.streams.length > 0 && (
          <>
            , {many ? "streams" : "stream"} {tail.streams.map((s, i) => [i ? ", " : "", <code key={s}>{s}</code>])}
          </>
        )}
        . The page keeps the last {MAX_LINES.toLocaleString()} lines.
      </p>
      <ErrorBox error={tail.error} title="The log could not be read." />
      {tail.dropped > 0 && (
        <p class="notice">
          {tail.dropped.toLocaleString()} earlier {tail.dropped === 1 ? "line is" : "lines are"} not shown (only the last{" "}
          {MAX_LINES.toLocaleString()} are kept).
        </p>
      )}
      <div class="log" ref={box} tabIndex={0} role="log" aria-label="Log lines">
        {tail.read && tail.lines.length === 0 && (
          <div class="empty">{tail.following ? "No log lines yet." : "This job wrote no log lines."}</div>
        )}
        {shown.map((l) => (
          <div class="log-line" key={l.seq}>
            <time>{clock(l.time)}</time>
            {many && <span class="log-stream">{l.stream.slice(l.stream.indexOf("/") + 1)}</span>}
            <span class="log-msg">{l.message}</span>
          </div>
        ))}
      </div>
    </div>
  );
}
