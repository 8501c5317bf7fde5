// Deleting from the console asks first: the first button opens the question, whose safe answer
// ("Keep it") has the focus, so pressing Enter twice never deletes. One component for every
// section, so they ask the same way.
import { useState, type ReactNode } from "react";

interface Props {
  /** The first button's text ("Delete team"; hidden words for screen readers may be nodes). */
  start: ReactNode;
  /** The question shown once asked ("Delete Ops? Its members stay users."). */
  question: string;
  /** The button that deletes ("Yes, delete Ops"). */
  confirm: string;
  /** Deletes; resolves when done (the question closes then, whatever the answer). */
  onDelete: () => Promise<unknown> | void;
  className?: string;
}

export function ConfirmDelete({ start, question, confirm, onDelete, className = "" }: Props) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" onClick={() => setAsking(true)}>
        {start}
      </button>
    );
  const remove = async () => {
    await onDelete();
    setAsking(false);
  };
  return (
    <span className={`confirm-delete ${className}`.trim()} role="group" aria-label={question}>
      <span>{question}</span>{" "}
      <button type="button" className="danger" onClick={() => void remove()}>
        {confirm}
      </button>{" "}
      <button type="button" autoFocus onClick={() => setAsking(false)}>
        Keep it
      </button>
    </span>
  );
}
