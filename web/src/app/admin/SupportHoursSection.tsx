// Placeholder while the section is built (issue 16); replaced by its owner.
import type { SectionProps } from "./AdminConsole";

export function SupportHoursSection(_props: SectionProps) {
  return (
    <section aria-labelledby="section-title">
      <h2 id="section-title">Support hours</h2>
      <p>This section is not built yet.</p>
    </section>
  );
}
