// Teams (/admin/teams): the list and a form to create one; a team's page (/admin/teams/<id>)
// renames or deletes it (refused while anything belongs to it) and adds or removes members.
import type { CombinedError } from "@urql/core";
import { useState, type FormEvent } from "react";
import { AddTeamMemberDocument, AdminTeamsDocument, CreateTeamDocument, DeleteTeamDocument, RemoveTeamMemberDocument, UpdateTeamDocument, type AdminTeamsQuery } from "../../gql/graphql";
import type { SectionProps } from "../admin/AdminConsole";
import type { ConfigKind } from "../admin/useConfigChanges";
import { useShell } from "../shell/context";
import { Link } from "../shell/Link";
import { navigate } from "../shell/router";
import { placeError, type PlacedError } from "./fieldErrors";
import { FieldMessage, FormResult, fieldProps } from "./FieldMessage";
import { useSectionData } from "./useSectionData";
import "./people.css";
import { ConfirmDelete } from "../admin/ConfirmDelete";

type Team = AdminTeamsQuery["teams"][number];

/** Teams list their members: a user's change (a rename, deactivation) shows here too. */
const LIVE: ConfigKind[] = ["TEAM", "USER"];

export function TeamsSection({ id }: SectionProps) {
  const { data, reload } = useSectionData(AdminTeamsDocument, "Could not load the teams", LIVE);
  if (!data) return <section aria-busy="true" aria-label="Teams" />;
  const team = id === null ? null : data.teams.find((candidate) => candidate.id === id);
  return (
    <section aria-labelledby="section-title" id="teams-section" data-ready="true">
      <h2 id="section-title">Teams</h2>
      {id === null ? (
        <TeamList teams={data.teams} reload={reload} />
      ) : team ? (
        <TeamPage key={team.id} team={team} users={data.users} reload={reload} />
      ) : (
        <p>
          No such team. <Link href="/admin/teams">All teams</Link>
        </p>
      )}
    </section>
  );
}

function TeamList({ teams, reload }: { teams: Team[]; reload: () => Promise<void> }) {
  const { session } = useShell();
  const [error, setError] = useState<PlacedError | null>(null);
  const [result, setResult] = useState("");
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get("name") ?? "").trim();
    const answer = await session.client.mutation(CreateTeamDocument, { name }).toPromise();
    if (answer.error) {
      setError(placeError(answer.error, ["name"]));
      return;
    }
    setError(null);
    form.reset();
    setResult(`Team ${answer.data?.createTeam.name ?? name} created.`);
    void reload();
  };
  return (
    <>
      {teams.length === 0 ? (
        <p className="empty">No teams yet.</p>
      ) : (
        <ul className="people-list" id="teams">
          {teams.map((team) => (
            <li key={team.id} data-team-id={team.id}>
              <Link href={`/admin/teams/${team.id}`}>{team.name}</Link>
              <p className="people-facts">
                {team.members.length === 1 ? "1 member" : `${team.members.length} members`}
                {team.members.length > 0 && `: ${team.members.map((member) => member.name).join(", ")}`}
              </p>
            </li>
          ))}
        </ul>
      )}
      <h3>New team</h3>
      <form className="people-form" onSubmit={create}>
        <label htmlFor="new-team-name">Team name</label>
        <input name="name" required {...fieldProps("new-team-name", "name", error)} />
        <FieldMessage id="new-team-name" name="name" error={error} />
        <button type="submit">Create team</button>
      </form>
      <FormResult id="team-result" error={error} text={result} />
    </>
  );
}

function TeamPage({ team, users, reload }: { team: Team; users: AdminTeamsQuery["users"]; reload: () => Promise<void> }) {
  const { session } = useShell();
  const [result, setResult] = useState("");
  const [failed, setFailed] = useState<PlacedError | null>(null);
  const memberIds = new Set(team.members.map((member) => member.id));
  const others = users.filter((user) => !memberIds.has(user.id));

  const done = (error: CombinedError | undefined, text: string, fields: string[] = []) => {
    if (error) {
      setFailed(placeError(error, fields));
      return false;
    }
    setFailed(null);
    setResult(text);
    void reload();
    return true;
  };
  const add = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const userId = String(new FormData(event.currentTarget).get("userId") ?? "");
    const who = users.find((user) => user.id === userId);
    const answer = await session.client.mutation(AddTeamMemberDocument, { teamId: team.id, userId }).toPromise();
    done(answer.error, `${who?.name ?? "They"} added to ${team.name}.`, ["userId"]);
  };
  const removeMember = async (userId: string, name: string) => {
    const answer = await session.client.mutation(RemoveTeamMemberDocument, { teamId: team.id, userId }).toPromise();
    done(answer.error, `${name} removed from ${team.name}.`);
  };
  const rename = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "").trim();
    const answer = await session.client.mutation(UpdateTeamDocument, { id: team.id, name }).toPromise();
    done(answer.error, `Team renamed to ${answer.data?.updateTeam.name ?? name}.`, ["name"]);
  };
  // Refused (CONFLICT, naming them) while sources, policies, schedules, support hours or alert
  // actions belong to the team: the server's message says what to move first.
  const remove = async () => {
    const answer = await session.client.mutation(DeleteTeamDocument, { id: team.id }).toPromise();
    if (answer.error) return setFailed(placeError(answer.error, []));
    await reload();
    navigate("/admin/teams");
  };

  return (
    <>
      <p>
        <Link href="/admin/teams">All teams</Link>
      </p>
      <h3 id="team-title">{team.name}</h3>
      <form className="people-form" onSubmit={rename} aria-label={`Rename ${team.name}`}>
        <label htmlFor="team-name">Name</label>
        <input name="name" required defaultValue={team.name} {...fieldProps("team-name", "name", failed)} />
        <FieldMessage id="team-name" name="name" error={failed} />
        <button type="submit">Rename team</button>
      </form>
      <h4>Members</h4>
      {team.members.length === 0 ? (
        <p className="empty">Nobody is in this team.</p>
      ) : (
        <ul className="people-list" id="team-members">
          {team.members.map((member) => (
            <li key={member.id} data-user-id={member.id}>
              {member.name} <span className="people-facts">{member.email}</span>{" "}
              <button type="button" aria-label={`Remove ${member.name} from ${team.name}`} onClick={() => void removeMember(member.id, member.name)}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {others.length > 0 && (
        <form className="people-form" onSubmit={add}>
          <label htmlFor="add-member">Add a member</label>
          <select name="userId" required {...fieldProps("add-member", "userId", failed)}>
            {others.map((user) => (
              <option key={user.id} value={user.id}>
                {user.name} ({user.email})
              </option>
            ))}
          </select>
          <FieldMessage id="add-member" name="userId" error={failed} />
          <button type="submit">Add member</button>
        </form>
      )}
      <FormResult id="team-result" error={failed} text={result} />
      <ConfirmDelete start="Delete team" question={`Delete ${team.name}? Its members stay users.`} confirm="Yes, delete" onDelete={remove} className="people-actions" />
    </>
  );
}

