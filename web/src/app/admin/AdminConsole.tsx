// The admin console: one section per kind of configuration, each at /admin/<section>[/<id>].
// Shown to admins; the server refuses everyone else's changes whatever the page shows.
import type { ReactElement } from "react";
import { Link } from "../shell/Link";
import { usePageTitle } from "../shell/usePageTitle";
import type { AdminSection } from "../shell/router";
import { ADMIN_SECTIONS } from "../shell/router";
import { TeamsSection } from "../people/TeamsSection";
import { UsersSection } from "../people/UsersSection";
import { SchedulesSection } from "../schedules/SchedulesSection";
import { PoliciesSection } from "../policies/PoliciesSection";
import { SourcesSection } from "../sources/SourcesSection";
import { SupportHoursSection } from "./SupportHoursSection";
import { MaintenanceSection } from "./MaintenanceSection";
import { HeartbeatsSection } from "./HeartbeatsSection";
import { ActionsSection } from "./ActionsSection";
import { FeedsSection } from "./FeedsSection";
import { ChatSection } from "./ChatSection";

/** What every section gets: the id after its name in the address ("new" for a create form). */
export interface SectionProps {
  id: string | null;
  params: URLSearchParams;
}

const SECTIONS: Record<AdminSection, { title: string; component: (props: SectionProps) => ReactElement }> = {
  teams: { title: "Teams", component: TeamsSection },
  users: { title: "Users", component: UsersSection },
  schedules: { title: "Schedules", component: SchedulesSection },
  policies: { title: "Escalation policies", component: PoliciesSection },
  sources: { title: "Alert sources", component: SourcesSection },
  "support-hours": { title: "Support hours", component: SupportHoursSection },
  maintenance: { title: "Maintenance windows", component: MaintenanceSection },
  heartbeats: { title: "Heartbeats", component: HeartbeatsSection },
  actions: { title: "Alert actions", component: ActionsSection },
  feeds: { title: "Calendar feeds", component: FeedsSection },
  chat: { title: "Chat", component: ChatSection },
};

export function AdminConsole({ section, id, params }: { section: AdminSection | null; id: string | null; params: URLSearchParams }) {
  usePageTitle(section ? SECTIONS[section].title : "Admin");
  const Section = section ? SECTIONS[section].component : null;
  return (
    <div className="console">
      <nav aria-label="Admin" className="console-nav">
        <ul>
          {ADMIN_SECTIONS.map((name) => (
            <li key={name}>
              <Link href={`/admin/${name}`} aria-current={name === section ? "page" : undefined}>
                {SECTIONS[name].title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="console-body">
        {Section ? (
          <Section id={id} params={params} />
        ) : (
          <section aria-labelledby="console-title">
            <h2 id="console-title">Admin</h2>
            <p>Set up your organisation: people and teams, who is on call, who gets paged, where alerts come from, and which chat channels they are posted to.</p>
          </section>
        )}
      </div>
    </div>
  );
}
