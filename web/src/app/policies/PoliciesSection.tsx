// Placeholder while the section is built (issue 16); replaced by its owner.
import type { SectionProps } from "../admin/AdminConsole";

export function PoliciesSection(_props: SectionProps) {
  return (
    <section aria-labelledby="section-title">
      <h2 id="section-title">Escalation policies</h2>
      <p>This section is not built yet.</p>
    </section>
  );
}
