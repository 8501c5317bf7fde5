// Escalation policies (/admin/policies): the list; a new policy (/admin/policies/new) and a
// policy's page (/admin/policies/<id>): its levels (users and schedules, minutes before the
// next level), repeating, routing key and team, deleting it, and who each level would page now
// or at a chosen time.
import { useState } from "react";
import { AdminPoliciesDocument, type AdminPoliciesQuery } from "../../gql/graphql";
import type { SectionProps } from "../admin/AdminConsole";
import { useSectionData } from "../people/useSectionData";
import { Link } from "../shell/Link";
import { PolicyForm } from "./PolicyForm";
import { PolicyPreview } from "./PolicyPreview";
import { draftOf, emptyDraft } from "./policyForm";
import "../people/people.css";

type Policy = AdminPoliciesQuery["escalationPolicies"][number];

export function PoliciesSection({ id }: SectionProps) {
  const { data, reload } = useSectionData(AdminPoliciesDocument, "Could not load the escalation policies");
  if (!data) return <section aria-busy="true" aria-label="Escalation policies" />;
  const policy = id === null || id === "new" ? null : data.escalationPolicies.find((candidate) => candidate.id === id);
  return (
    <section aria-labelledby="section-title" id="policies-section" data-ready="true">
      <h2 id="section-title">Escalation policies</h2>
      {id === null ? (
        <PolicyList policies={data.escalationPolicies} />
      ) : id === "new" ? (
        <NewPolicy data={data} reload={reload} />
      ) : policy ? (
        <>
          <p>
            <Link href="/admin/policies">All escalation policies</Link>
          </p>
          <PolicyForm key={policy.id} policy={policy} initial={draftOf(policy)} data={data} reload={reload} />
          <PolicyPreview policyId={policy.id} revision={policy} />
        </>
      ) : (
        <p>
          No such escalation policy. <Link href="/admin/policies">All escalation policies</Link>
        </p>
      )}
    </section>
  );
}

function NewPolicy({ data, reload }: { data: AdminPoliciesQuery; reload: () => void }) {
  // One draft per visit of the page: made once, not at every render.
  const [initial] = useState(emptyDraft);
  return (
    <>
      <p>
        <Link href="/admin/policies">All escalation policies</Link>
      </p>
      <PolicyForm policy={null} initial={initial} data={data} reload={reload} />
    </>
  );
}

function levelsText(policy: Policy): string {
  const count = policy.rules.length;
  return `${count} level${count === 1 ? "" : "s"}${policy.repeating ? `, repeated ${policy.frequency}×` : ""}`;
}

function PolicyList({ policies }: { policies: Policy[] }) {
  return (
    <>
      <p>
        <Link href="/admin/policies/new">New escalation policy</Link>
      </p>
      {policies.length === 0 ? (
        <p className="empty">No escalation policies yet.</p>
      ) : (
        <ul className="admin-list" id="policies">
          {policies.map((policy) => (
            <li key={policy.id} data-policy-id={policy.id}>
              <Link href={`/admin/policies/${policy.id}`}>{policy.name}</Link>
              <p className="admin-facts">
                {levelsText(policy)} · {policy.team ? policy.team.name : "organisation-wide"}
                {policy.routingKey && ` · routing key ${policy.routingKey}`}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
