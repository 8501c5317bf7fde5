// The order of people in a layer (who takes the first turn, then the next): moved by dragging
// or by keyboard, both through these functions, and announced in words.

/** `items` with the one at `from` moved to `to` (both clamped to the list); a new array. */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const result = [...items];
  if (from < 0 || from >= items.length) return result;
  const target = Math.max(0, Math.min(items.length - 1, to));
  const [item] = result.splice(from, 1);
  result.splice(target, 0, item as T);
  return result;
}

/** What a screen reader hears after a move, e.g. "Bob moved to position 1 of 3". */
export function movedText(name: string, position: number, total: number): string {
  return `${name} moved to position ${position + 1} of ${total}`;
}
