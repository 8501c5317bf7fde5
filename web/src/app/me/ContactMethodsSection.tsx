// Contact methods: where pages reach me besides my devices (numbers, addresses, ntfy topics,
// Pushover user keys, Telegram chats). Each is verified before anything but its code goes to it:
// the code arrives through the method and is typed back here; a Telegram chat is linked by
// sending the bot the command shown after adding it. Each verified one can be tested alone.
import { useState, type FormEvent } from "react";
import {
  AddContactMethodDocument,
  RemoveContactMethodDocument,
  SendTestNotificationDocument,
  SuggestedNtfyTopicDocument,
  VerifyContactMethodDocument,
  type ContactKind,
  type ContactMethodItemFragment,
} from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import type { MeSectionProps } from "./MePage";
import { METHOD_LABELS } from "./rules";

const KINDS: readonly ContactKind[] = ["SMS", "VOICE", "EMAIL", "NTFY", "PUSHOVER", "TELEGRAM"];
const VALUE_HINTS: Record<ContactKind, { label: string; placeholder: string; type: string }> = {
  SMS: { label: "Number for SMS", placeholder: "+4915112345678", type: "tel" },
  VOICE: { label: "Number for calls", placeholder: "+4915112345678", type: "tel" },
  EMAIL: { label: "Address for email", placeholder: "alice@example.com", type: "email" },
  NTFY: { label: "ntfy topic", placeholder: "pagerline-…", type: "text" },
  PUSHOVER: { label: "Pushover user key", placeholder: "30 letters and digits", type: "text" },
  TELEGRAM: { label: "", placeholder: "", type: "text" },
};

function describe(method: ContactMethodItemFragment): string {
  const what = `${METHOD_LABELS[method.kind]} ${method.value || "(chat not linked yet)"}`;
  return method.verified ? `${what}: verified` : `${what}: waiting for its code`;
}

export function ContactMethodsSection({ data, reload }: MeSectionProps) {
  const { session } = useShell();
  const [kind, setKind] = useState<ContactKind>("SMS");
  const [value, setValue] = useState("");
  const [result, setResult] = useState("");
  const [telegramLink, setTelegramLink] = useState("");
  const done = (error: Parameters<typeof errorText>[0] | undefined, text: string) => {
    setResult(error ? errorText(error) : text);
    if (!error) reload();
  };

  const add = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const answer = await session.client.mutation(AddContactMethodDocument, { kind, value: kind === "TELEGRAM" ? "" : value.trim() }).toPromise();
    const added = answer.data?.addContactMethod;
    if (added && !answer.error) setValue("");
    setTelegramLink(added?.telegramLink ?? "");
    const text = kind === "TELEGRAM" ? "Now open the bot and send it the command below." : added?.verified ? "You had verified it already." : `A code is on its way by ${METHOD_LABELS[kind]}.`;
    done(answer.error, text);
  };
  const suggest = async () => {
    const answer = await session.client.query(SuggestedNtfyTopicDocument, {}, { requestPolicy: "network-only" }).toPromise();
    if (answer.data) setValue(answer.data.suggestedNtfyTopic);
  };
  const verify = async (event: FormEvent<HTMLFormElement>, method: ContactMethodItemFragment) => {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get("code") ?? "").trim();
    const answer = await session.client.mutation(VerifyContactMethodDocument, { id: method.id, code }).toPromise();
    done(answer.error, `${METHOD_LABELS[method.kind]} ${method.value} verified.`);
  };
  const test = async (method: ContactMethodItemFragment) => {
    const answer = await session.client.mutation(SendTestNotificationDocument, { id: method.id }).toPromise();
    done(answer.error, `Test sent by ${METHOD_LABELS[method.kind]} to ${method.value}.`);
  };
  const remove = async (method: ContactMethodItemFragment) => {
    const answer = await session.client.mutation(RemoveContactMethodDocument, { id: method.id }).toPromise();
    done(answer.error, `${METHOD_LABELS[method.kind]} ${method.value} removed.`);
  };

  const hint = VALUE_HINTS[kind];
  return (
    <section aria-labelledby="contact-methods-title" className="card me-section">
      <h3 id="contact-methods-title">Contact methods</h3>
      <p className="hint">A rule of a method reaches every verified contact method of that kind.</p>
      {data.myContactMethods.length === 0 && <p className="empty">No contact methods.</p>}
      <ul id="contact-methods" className="plain-list">
        {data.myContactMethods.map((method) => {
          const name = `${METHOD_LABELS[method.kind]} ${method.value}`.trim();
          return (
            <li key={method.id} data-contact-method-id={method.id} data-verified={method.verified}>
              <span>{describe(method)}</span>{" "}
              {method.verified ? (
                <button type="button" aria-label={`Send test to ${name}`} onClick={() => test(method)}>
                  Send test
                </button>
              ) : (
                method.kind !== "TELEGRAM" && (
                  <form className="inline-form" aria-label={`Verify ${name}`} onSubmit={(event) => verify(event, method)}>
                    <label htmlFor={`code-${method.id}`}>Code for {name}</label>
                    <input id={`code-${method.id}`} name="code" inputMode="numeric" autoComplete="one-time-code" required />
                    <button type="submit" aria-label={`Verify ${name}`}>
                      Verify
                    </button>
                  </form>
                )
              )}{" "}
              <button type="button" aria-label={`Remove ${name}`} onClick={() => remove(method)}>
                Remove
              </button>
            </li>
          );
        })}
      </ul>
      <form className="inline-form" aria-label="Add a contact method" onSubmit={add}>
        <label htmlFor="contact-kind">Kind</label>
        <select id="contact-kind" value={kind} onChange={(event) => setKind(event.currentTarget.value as ContactKind)}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {METHOD_LABELS[k]}
            </option>
          ))}
        </select>
        {kind !== "TELEGRAM" && (
          <>
            <label htmlFor="contact-value">{hint.label}</label>
            <input id="contact-value" type={hint.type} placeholder={hint.placeholder} value={value} onChange={(event) => setValue(event.currentTarget.value)} required />
          </>
        )}
        {kind === "NTFY" && (
          <button type="button" onClick={suggest}>
            Suggest a topic
          </button>
        )}
        <button type="submit">{kind === "TELEGRAM" ? "Link Telegram" : "Add"}</button>
      </form>
      {telegramLink && (
        <p id="telegram-link">
          {telegramLink.startsWith("https://") ? <a href={telegramLink}>Open the pagerline bot</a> : <code>{telegramLink}</code>}
        </p>
      )}
      <p id="contact-methods-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
