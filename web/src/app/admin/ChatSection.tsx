// Chat channels in the admin console: the Slack, Mattermost or Teams channels each source's alerts, or every alert of
// a team's sources, are posted to and kept up to date in. Listed with how their posts fare (how
// many alerts were posted, the error still standing if posting fails), added by the channel's
// id, deleted after asking.
import type { Client } from "@urql/core";
import { useRef, useState, type FormEvent } from "react";
import { ChatChannelsDocument, CreateChatChannelDocument, DeleteChatChannelDocument, type ChatChannelItemFragment, type ChatChannelsQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { fieldError, messageFor, unclaimed, type FieldError } from "../shell/fieldErrors";
import { FieldMessage } from "../sources/FieldMessage";
import { need, useAdminData } from "../sources/useAdminData";
import { ConfirmDelete } from "./ConfirmDelete";
import type { SectionProps } from "./AdminConsole";
import "../sources/sources.css";

type Choices = Pick<ChatChannelsQuery, "alertSources" | "teams">;
type Platform = ChatChannelItemFragment["platform"];

/** How each platform names where its alerts go, in the form and in the list. A Teams channel is
 * a Workflows webhook URL, a secret: the server shows only its host once it is saved. */
const TARGETS: Partial<Record<Platform, { platform: string; label: string; placeholder: string; hint: string }>> = {
  SLACK: {
    platform: "Slack",
    label: "Slack channel ID",
    placeholder: "C0123456789",
    hint: "In Slack, open the channel's details (click its name at the top): the channel ID, starting with C (or G for an older private channel), is at the bottom of the About tab.",
  },
  MATTERMOST: {
    platform: "Mattermost",
    label: "Mattermost channel ID",
    placeholder: "26 letters and digits",
    hint: "In Mattermost, open the channel's menu, View Info: the ID is shown there. Add pagerline's bot account to the channel.",
  },
  TEAMS: {
    platform: "Microsoft Teams",
    label: "Workflows webhook URL",
    placeholder: "https://…",
    hint: "In Teams, open the channel's … menu, Workflows, \"Post to a channel when a webhook request is received\"; copy the URL it shows at the end. Cards are posted again as the alert changes; their buttons open pagerline.",
  },
};

/** Platforms pagerline reaches through a bot account, which can make channels and invite people. */
const HAS_BOT: ReadonlySet<Platform> = new Set<Platform>(["SLACK", "MATTERMOST"]);

async function loadChannels(client: Client): Promise<ChatChannelsQuery> {
  return need(await client.query(ChatChannelsDocument, {}, { requestPolicy: "network-only" }).toPromise());
}

/** "team Ops" or "source Ops API": whose alerts the channel gets. */
function postsFor(channel: ChatChannelItemFragment): string {
  if (channel.team) return `every source of team ${channel.team.name}`;
  return channel.source ? `source ${channel.source.name}` : "nothing you can see";
}

export function ChatSection(_props: SectionProps) {
  const { session } = useShell();
  // No change of a channel itself is announced (there is no chat kind yet): deleting a source or
  // a team deletes its channels, so those changes reload the list; "Refresh" does the rest.
  const { data, reload } = useAdminData("the chat channels", loadChannels, ["CHAT_CHANNEL", "SOURCE", "TEAM"]);
  const [result, setResult] = useState("");
  // Deleting removes the pressed button with its row (or, if refused, its question): the focus
  // goes to the section's heading rather than to the page's start, and the result is announced.
  const heading = useRef<HTMLHeadingElement>(null);
  if (!data) return <section aria-busy="true" aria-label="Chat" />;
  const remove = async (channel: ChatChannelItemFragment) => {
    const answer = await session.client.mutation(DeleteChatChannelDocument, { id: channel.id }).toPromise();
    setResult(answer.error ? errorText(answer.error) : `${channel.name} deleted.`);
    heading.current?.focus();
    reload();
  };
  return (
    <section aria-labelledby="section-title" data-ready="true">
      <h2 id="section-title" ref={heading} tabIndex={-1}>
        Chat
      </h2>
      <p className="hint">
        Each alert of a channel's source (or of every source of its team) is posted to the channel with Accept, Resolve and Escalate buttons, and kept up to date there.
        On Slack and Mattermost, add pagerline's app or bot account to the channel first.
      </p>
      <p>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </p>
      {data.chatChannels.length === 0 && <p className="empty">No chat channels yet.</p>}
      <ul id="chat-channels" className="admin-list">
        {data.chatChannels.map((channel) => (
          <li key={channel.id} data-chat-channel-id={channel.id}>
            <strong>{channel.name}</strong>: {TARGETS[channel.platform]?.platform ?? channel.platform} channel <code>{channel.target}</code>, for {postsFor(channel)}
            <br />
            <span className="hint">
              {channel.postedAlerts === 1 ? "1 alert posted" : `${channel.postedAlerts} alerts posted`}
              {channel.lastError ? "" : ", no errors"}
              {channel.dedicatedHigh ? "; each HIGH alert gets a channel of its own" : ""}
            </span>
            {channel.lastError && (
              <p className="problem">
                Posting fails: <code>{channel.lastError}</code>
              </p>
            )}
            <ConfirmDelete
              start={`Delete ${channel.name}`}
              question={`Delete ${channel.name}? Its alerts are no longer posted; messages already posted stay in ${TARGETS[channel.platform]?.platform ?? "the channel"}.`}
              confirm={`Yes, delete ${channel.name}`}
              onDelete={() => remove(channel)}
              className="admin-row"
            />
          </li>
        ))}
      </ul>
      <p id="chat-result" role="status" aria-live="polite">
        {result}
      </p>
      <CreateChannel
        choices={data}
        made={(name) => {
          setResult(`${name} added.`);
          reload();
        }}
      />
    </section>
  );
}

const FIELDS = ["target", "name", "teamId", "sourceId"];

function CreateChannel({ choices, made }: { choices: Choices; made: (name: string) => void }) {
  const { session } = useShell();
  const [platform, setPlatform] = useState<Platform>("SLACK");
  const [target, setTarget] = useState("");
  const [name, setName] = useState("");
  const [dedicatedHigh, setDedicatedHigh] = useState(false);
  const [owner, setOwner] = useState(choices.teams[0] ? `team:${choices.teams[0].id}` : choices.alertSources[0] ? `source:${choices.alertSources[0].id}` : "");
  const [error, setError] = useState<FieldError | null>(null);
  const shown = TARGETS[platform] ?? { platform, label: "Channel", placeholder: "", hint: "" };
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const [kind, id = null] = owner.split(":");
    const answer = await session.client
      .mutation(CreateChatChannelDocument, {
        platform,
        target: target.trim(),
        name: name.trim(),
        team: kind === "team" ? id : null,
        source: kind === "source" ? id : null,
        dedicatedHigh: HAS_BOT.has(platform) && dedicatedHigh,
      })
      .toPromise();
    if (answer.error) return setError(fieldError(answer.error, FIELDS));
    setError(null);
    setTarget("");
    setName("");
    setDedicatedHigh(false);
    made(answer.data?.createChatChannel.name ?? name.trim());
  };
  return (
    <form className="admin-form admin-card" aria-labelledby="new-chat-title" onSubmit={submit}>
      <h3 id="new-chat-title">New chat channel</h3>
      <label htmlFor="chat-platform">Platform</label>
      <select id="chat-platform" value={platform} onChange={(e) => setPlatform(e.currentTarget.value as Platform)}>
        {Object.entries(TARGETS).map(([value, names]) => (
          <option key={value} value={value}>
            {names.platform}
          </option>
        ))}
      </select>
      <label htmlFor="chat-target">{shown.label}</label>
      <input
        id="chat-target"
        value={target}
        onChange={(e) => setTarget(e.currentTarget.value)}
        required
        placeholder={shown.placeholder}
        autoComplete="off"
        spellCheck={false}
        aria-describedby="chat-target-hint chat-target-error"
      />
      <span id="chat-target-hint" className="hint">
        {shown.hint}
      </span>
      <FieldMessage id="chat-target-error" text={messageFor(error, "target")} />
      <label htmlFor="chat-name">Name</label>
      <input id="chat-name" value={name} onChange={(e) => setName(e.currentTarget.value)} required placeholder="#ops-alerts" aria-describedby="chat-name-error" />
      <FieldMessage id="chat-name-error" text={messageFor(error, "name")} />
      <label htmlFor="chat-owner">Alerts of</label>
      <select id="chat-owner" value={owner} onChange={(e) => setOwner(e.currentTarget.value)} aria-describedby="chat-owner-error">
        {choices.teams.map((t) => (
          <option key={`team:${t.id}`} value={`team:${t.id}`}>
            Every source of team {t.name}
          </option>
        ))}
        {choices.alertSources.map((s) => (
          <option key={`source:${s.id}`} value={`source:${s.id}`}>
            Source {s.name}
          </option>
        ))}
      </select>
      <FieldMessage id="chat-owner-error" text={messageFor(error, "teamId") || messageFor(error, "sourceId")} />
      {HAS_BOT.has(platform) && (
      <label className="check">
        <input type="checkbox" checked={dedicatedHigh} onChange={(e) => setDedicatedHigh(e.currentTarget.checked)} />A channel of its own for each HIGH
        alert, its responders invited
      </label>
      )}
      <div className="admin-row">
        <button type="submit">Add channel</button>
      </div>
      <p id="chat-create-result" role="status" aria-live="polite" className="problem">
        {unclaimed(error, FIELDS)}
      </p>
    </form>
  );
}
