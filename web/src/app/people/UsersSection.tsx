// Users (/admin/users): everyone, with their role, teams and whether they can be paged;
// inviting someone (/admin/users/new) and a user's page (/admin/users/<id>): role, time zone and
// teams, a new invitation link, deactivating (after seeing what it leaves uncovered) and
// reactivating.
import type { CombinedError } from "@urql/core";
import { useState, type FormEvent } from "react";
import { AddTeamMemberDocument, AdminUsersDocument, InviteUserDocument, RemoveTeamMemberDocument, ResendInvitationDocument, UpdateUserDocument, type AdminUsersQuery, type Role } from "../../gql/graphql";
import type { SectionProps } from "../admin/AdminConsole";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { formatTime } from "../shell/format";
import { Link } from "../shell/Link";
import { Deactivation } from "./Deactivation";
import { placeError, type PlacedError } from "./fieldErrors";
import { FieldMessage, FormResult, fieldProps } from "./FieldMessage";
import { TimeZoneInput } from "./TimeZoneInput";
import { useSectionData } from "./useSectionData";
import "./people.css";

type User = AdminUsersQuery["users"][number];
type Team = AdminUsersQuery["teams"][number];

export const ROLES: { role: Role; text: string }[] = [
  { role: "USER", text: "User (manages their teams' setup)" },
  { role: "RESPONDER", text: "Responder (is paged, acts on alerts)" },
  { role: "STAKEHOLDER", text: "Stakeholder (reads)" },
  { role: "ADMIN", text: "Admin (everything)" },
];

export function UsersSection({ id }: SectionProps) {
  const { data, reload } = useSectionData(AdminUsersDocument, "Could not load the users");
  if (!data) return <section aria-busy="true" aria-label="Users" />;
  const user = id === null || id === "new" ? null : data.users.find((candidate) => candidate.id === id);
  return (
    <section aria-labelledby="section-title" id="users-section" data-ready="true">
      <h2 id="section-title">Users</h2>
      {id === null ? (
        <UserList users={data.users} />
      ) : id === "new" ? (
        <InviteForm teams={data.teams} reload={reload} />
      ) : user ? (
        <UserPage key={user.id} user={user} teams={data.teams} reload={reload} />
      ) : (
        <p>
          No such user. <Link href="/admin/users">All users</Link>
        </p>
      )}
    </section>
  );
}

function UserList({ users }: { users: User[] }) {
  return (
    <>
    <p>
      <Link href="/admin/users/new">Invite a user</Link>
    </p>
    <ul className="admin-list" id="users">
      {users.map((user) => (
        <li key={user.id} data-user-id={user.id} data-active={user.active}>
          <Link href={`/admin/users/${user.id}`}>{user.name}</Link>
          <Flags user={user} />
          <p className="admin-facts">
            {user.email} · {user.role.toLowerCase()} · {user.teams.length ? user.teams.map((team) => team.name).join(", ") : "no team"}
          </p>
        </li>
      ))}
    </ul>
    </>
  );
}

/** Deactivated, or active but with no working way to be paged (no device, no verified
 * contact method, or only channels the server cannot send on: as `pagerline doctor` says). */
function Flags({ user }: { user: User }) {
  if (!user.active) return <span className="flag flag-off">Deactivated</span>;
  if (user.reachable === false) return <span className="flag flag-warn">Cannot be paged</span>;
  return null;
}

/** The teams as checkboxes, `checked` ticked. */
function TeamChoices({ idPrefix, teams, checked, error }: { idPrefix: string; teams: Team[]; checked: Set<string>; error: PlacedError | null }) {
  if (teams.length === 0) return null;
  return (
    <fieldset {...(error?.field === "teamIds" ? { "aria-describedby": `${idPrefix}-teams-error` } : {})}>
      <legend>Teams</legend>
      <div className="choices">
        {teams.map((team) => (
          <label key={team.id}>
            <input type="checkbox" name="teamIds" value={team.id} defaultChecked={checked.has(team.id)} />
            {team.name}
          </label>
        ))}
      </div>
      <FieldMessage id={`${idPrefix}-teams`} name="teamIds" error={error} />
    </fieldset>
  );
}

function UserPage({ user, teams, reload }: { user: User; teams: Team[]; reload: () => void }) {
  const { session } = useShell();
  const [error, setError] = useState<PlacedError | null>(null);
  const [result, setResult] = useState("");
  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const fields = ["name", "role", "timezone", "teamIds"];
    const answer = await session.client
      .mutation(UpdateUserDocument, {
        id: user.id,
        name: String(form.get("name") ?? "").trim(),
        role: String(form.get("role") ?? "") as Role,
        timezone: String(form.get("timezone") ?? "").trim(),
      })
      .toPromise();
    if (answer.error) return setError(placeError(answer.error, fields));
    const refused = (failure: CombinedError) => {
      setError(placeError(failure, fields));
      reload();
    };
    // Teams are memberships: add the new ones, remove the unticked ones.
    const wanted = new Set(form.getAll("teamIds").map(String));
    const had = new Set(user.teams.map((team) => team.id));
    for (const teamId of wanted) {
      if (had.has(teamId)) continue;
      const added = await session.client.mutation(AddTeamMemberDocument, { teamId, userId: user.id }).toPromise();
      if (added.error) return refused(added.error);
    }
    for (const teamId of had) {
      if (wanted.has(teamId)) continue;
      const removed = await session.client.mutation(RemoveTeamMemberDocument, { teamId, userId: user.id }).toPromise();
      if (removed.error) return refused(removed.error);
    }
    setError(null);
    setResult(`${user.name}: saved.`);
    reload();
  };
  return (
    <>
      <p>
        <Link href="/admin/users">All users</Link>
      </p>
      <h3 id="user-title">{user.name}</h3>
      <p className="admin-facts">
        {user.email}
        <Flags user={user} />
      </p>
      <form className="admin-form" onSubmit={save} aria-labelledby="user-title">
        <label htmlFor="user-name-input">Name</label>
        <input name="name" required defaultValue={user.name} {...fieldProps("user-name-input", "name", error)} />
        <FieldMessage id="user-name-input" name="name" error={error} />
        <label htmlFor="user-role">Role</label>
        <select name="role" defaultValue={user.role} {...fieldProps("user-role", "role", error)}>
          {ROLES.map((choice) => (
            <option key={choice.role} value={choice.role}>
              {choice.text}
            </option>
          ))}
        </select>
        <FieldMessage id="user-role" name="role" error={error} />
        <TimeZoneInput id="user-timezone" defaultValue={user.timezone} error={error} />
        <TeamChoices idPrefix="user" teams={teams} checked={new Set(user.teams.map((team) => team.id))} error={error} />
        <button type="submit">Save</button>
      </form>
      <FormResult id="user-result" error={error} text={result} />
      <ResendInvitation user={user} />
      <Deactivation user={user} reload={reload} />
    </>
  );
}

/** A link shown once, with a button that copies it. */
function InvitationLink({ url, expiresAt }: { url: string; expiresAt: string }) {
  const [copied, setCopied] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied("Copied.");
    } catch {
      setCopied("Could not copy: select the link and copy it.");
    }
  };
  return (
    <div className="copy-link" id="invitation-link">
      <label htmlFor="invitation-url">Invitation link (shown once, works until {formatTime(expiresAt)})</label>
      <input id="invitation-url" readOnly value={url} onFocus={(event) => event.currentTarget.select()} />
      <button type="button" onClick={() => void copy()}>
        Copy link
      </button>
      <span role="status" aria-live="polite">
        {copied}
      </span>
    </div>
  );
}

function InviteForm({ teams, reload }: { teams: Team[]; reload: () => void }) {
  const { session } = useShell();
  const [error, setError] = useState<PlacedError | null>(null);
  const [made, setMade] = useState<{ name: string; url: string; expiresAt: string } | null>(null);
  const invite = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const values = new FormData(form);
    const answer = await session.client
      .mutation(InviteUserDocument, {
        email: String(values.get("email") ?? "").trim(),
        name: String(values.get("name") ?? "").trim(),
        role: String(values.get("role") ?? "USER") as Role,
        timezone: String(values.get("timezone") ?? "").trim(),
        teamIds: values.getAll("teamIds").map(String),
      })
      .toPromise();
    if (answer.error) return setError(placeError(answer.error, ["email", "name", "role", "timezone", "teamIds"]));
    setError(null);
    if (answer.data) {
      const invitation = answer.data.inviteUser;
      setMade({ name: invitation.user.name, url: invitation.url, expiresAt: invitation.expiresAt });
      form.reset();
    }
    reload();
  };
  return (
    <>
      <p>
        <Link href="/admin/users">All users</Link>
      </p>
      <h3 id="invite-title">Invite a user</h3>
      <p className="hint">They get an account without a password and a link, valid 7 days, to choose one. Send them the link yourself.</p>
      <form className="admin-form" onSubmit={invite} aria-labelledby="invite-title">
        <label htmlFor="invite-email">Email</label>
        <input name="email" type="email" required autoComplete="off" {...fieldProps("invite-email", "email", error)} />
        <FieldMessage id="invite-email" name="email" error={error} />
        <label htmlFor="invite-name">Name</label>
        <input name="name" required autoComplete="off" {...fieldProps("invite-name", "name", error)} />
        <FieldMessage id="invite-name" name="name" error={error} />
        <label htmlFor="invite-role">Role</label>
        <select name="role" defaultValue="USER" {...fieldProps("invite-role", "role", error)}>
          {ROLES.map((choice) => (
            <option key={choice.role} value={choice.role}>
              {choice.text}
            </option>
          ))}
        </select>
        <FieldMessage id="invite-role" name="role" error={error} />
        <TimeZoneInput id="invite-timezone" defaultValue={Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"} error={error} />
        <TeamChoices idPrefix="invite" teams={teams} checked={new Set()} error={error} />
        <button type="submit">Invite</button>
      </form>
      <FormResult id="invite-result" error={error} text={made ? `${made.name} is invited: copy the link now, it is not shown again.` : ""} />
      {made && <InvitationLink url={made.url} expiresAt={made.expiresAt} />}
    </>
  );
}

/** A new link for someone who has not set a password yet (the old one stops working). */
function ResendInvitation({ user }: { user: User }) {
  const { session } = useShell();
  const [made, setMade] = useState<{ url: string; expiresAt: string } | null>(null);
  const [result, setResult] = useState("");
  if (!user.active) return null;
  const resend = async () => {
    const answer = await session.client.mutation(ResendInvitationDocument, { userId: user.id }).toPromise();
    if (answer.error) {
      setMade(null);
      return setResult(errorText(answer.error));
    }
    if (answer.data) setMade(answer.data.resendInvitation);
    setResult("New link made: copy it now; the previous link no longer works.");
  };
  return (
    <section aria-labelledby="resend-title">
      <h4 id="resend-title">Invitation</h4>
      <p className="hint">For someone who has not chosen a password yet: a new link, valid 7 days.</p>
      <button type="button" onClick={() => void resend()}>
        New invitation link for {user.name}
      </button>
      <p id="resend-result" className="form-result" role="status" aria-live="polite">
        {result}
      </p>
      {made && <InvitationLink url={made.url} expiresAt={made.expiresAt} />}
    </section>
  );
}
