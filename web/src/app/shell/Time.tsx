import { formatTime } from "./format";

export function Time({ at, className }: { at: string; className?: string }) {
  return (
    <time dateTime={at} className={className}>
      {formatTime(at)}
    </time>
  );
}
