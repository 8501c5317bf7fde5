// A refused value's message, under its input and tied to it (aria-describedby on the input
// names this id), so a screen reader reads it with the input.
export function FieldMessage({ id, text }: { id: string; text: string }) {
  return (
    <span id={id} className="field-error" role={text ? "alert" : undefined}>
      {text}
    </span>
  );
}
