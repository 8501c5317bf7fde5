/** Priority and status as text, coloured by the stylesheet through data attributes. */
export function AlertBadges({ priority, status }: { priority: string; status: string }) {
  return (
    <>
      <span className="alert-priority" data-priority={priority}>
        {priority}
      </span>
      <span className="alert-status" data-status={status}>
        {status}
      </span>
    </>
  );
}
