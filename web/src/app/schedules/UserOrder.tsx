// The people of a layer in turn order, reordered by dragging a row, by the "Move up"/"Move down"
// buttons, or by the arrow keys on a row's handle; every move is announced. Changes stay in the
// form until the layer is saved.
import { useRef, useState, type DragEvent, type KeyboardEvent } from "react";
import { moveItem, movedText } from "./order";

export interface Person {
  id: string;
  name: string;
  reachable?: boolean | null;
}

export function UserOrder({
  id, people, order, onChange, error,
}: { id: string; people: readonly Person[]; order: string[]; onChange: (order: string[]) => void; error: string | null }) {
  const [announcement, setAnnouncement] = useState("");
  const [dragged, setDragged] = useState<number | null>(null);
  const [adding, setAdding] = useState("");
  const handles = useRef(new Map<string, HTMLButtonElement>());
  const byId = new Map(people.map((person) => [person.id, person]));
  const nameOf = (userId: string) => byId.get(userId)?.name ?? `User ${userId}`;

  const move = (from: number, to: number, focus: boolean) => {
    if (to < 0 || to >= order.length || from === to) return;
    const userId = order[from] as string;
    onChange(moveItem(order, from, to));
    setAnnouncement(movedText(nameOf(userId), to, order.length));
    // The moved row's handle keeps the focus, so the arrow keys can carry it further.
    if (focus) requestAnimationFrame(() => handles.current.get(userId)?.focus());
  };
  const onKey = (index: number) => (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key === "ArrowUp") move(index, index - 1, true);
    else if (event.key === "ArrowDown") move(index, index + 1, true);
    else return;
    event.preventDefault();
  };
  const onDrop = (index: number) => (event: DragEvent<HTMLLIElement>) => {
    event.preventDefault();
    if (dragged !== null) move(dragged, index, false);
    setDragged(null);
  };
  const remove = (index: number) => {
    const userId = order[index] as string;
    onChange(order.filter((_, i) => i !== index));
    setAnnouncement(`${nameOf(userId)} removed`);
  };
  const add = () => {
    if (!adding || order.includes(adding)) return;
    onChange([...order, adding]);
    setAnnouncement(`${nameOf(adding)} added at position ${order.length + 1}`);
    setAdding("");
  };

  return (
    <fieldset className="sched-people" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>People, in turn order</legend>
      <p className="hint" id={`${id}-help`}>
        Drag a row, use its Move buttons, or focus its handle and press the up and down arrow keys.
      </p>
      <ol id={id} className="sched-order">
        {order.map((userId, index) => {
          const person = byId.get(userId);
          return (
            <li
              key={userId}
              data-user-id={userId}
              draggable
              onDragStart={(event) => {
                setDragged(index);
                event.dataTransfer.effectAllowed = "move";
                event.dataTransfer.setData("text/plain", userId);
              }}
              onDragOver={(event) => event.preventDefault()}
              onDrop={onDrop(index)}
              onDragEnd={() => setDragged(null)}
              className={dragged === index ? "dragging" : undefined}
            >
              <button
                type="button"
                className="sched-handle"
                aria-label={`Reorder ${nameOf(userId)}, position ${index + 1} of ${order.length}`}
                aria-describedby={`${id}-help`}
                onKeyDown={onKey(index)}
                ref={(node) => {
                  if (node) handles.current.set(userId, node);
                  else handles.current.delete(userId);
                }}
              >
                <span aria-hidden="true">⠿</span>
              </button>
              <span className="sched-person">{nameOf(userId)}</span>
              {person?.reachable === false && <span className="sched-unreachable"> not reachable</span>}
              <span className="sched-row-buttons">
                <button type="button" disabled={index === 0} onClick={() => move(index, index - 1, false)}>
                  Move up<span className="sched-sr"> {nameOf(userId)}</span>
                </button>
                <button type="button" disabled={index === order.length - 1} onClick={() => move(index, index + 1, false)}>
                  Move down<span className="sched-sr"> {nameOf(userId)}</span>
                </button>
                <button type="button" onClick={() => remove(index)}>
                  Remove<span className="sched-sr"> {nameOf(userId)}</span>
                </button>
              </span>
            </li>
          );
        })}
      </ol>
      <div className="inline-form">
        <label htmlFor={`${id}-add`}>Add a person</label>
        <select id={`${id}-add`} value={adding} onChange={(event) => setAdding(event.currentTarget.value)}>
          <option value="">Choose…</option>
          {people
            .filter((person) => !order.includes(person.id))
            .map((person) => (
              <option key={person.id} value={person.id}>
                {person.name}
              </option>
            ))}
        </select>
        <button type="button" onClick={add} disabled={!adding}>
          Add person
        </button>
      </div>
      {error && (
        <p id={`${id}-error`} className="sched-error" role="alert">
          {error}
        </p>
      )}
      <p className="sched-sr" role="status" aria-live="polite">
        {announcement}
      </p>
    </fieldset>
  );
}
