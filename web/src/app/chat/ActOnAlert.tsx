// The page a chat card's button opens (Microsoft Teams: /chat/act?alert=&action=&expires=&signature=).
// Opening it never acts: link previews and mail scanners open links too. It names the alert and
// asks; the button sends the signed link to actOnChatLink, which acts as the person signed in
// here. A link that is not pagerline's, was changed or has expired changes nothing and says why.
import { useEffect, useRef, useState } from "react";
import { ActOnChatLinkDocument, ChatLinkAlertDocument, type ChatLinkAlertQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { Link } from "../shell/Link";
import { usePageTitle } from "../shell/usePageTitle";

const VERBS: Record<string, { label: string; done: string }> = {
  accept: { label: "Accept", done: "accepted" },
  resolve: { label: "Resolve", done: "resolved" },
  escalate: { label: "Escalate", done: "escalated" },
};

interface SignedLink {
  alert: string;
  action: string;
  expires: number;
  signature: string;
}

/** The link's parts, or null when one is missing or malformed (a link cut short by a mail client). */
export function readLink(params: URLSearchParams): SignedLink | null {
  const alert = params.get("alert") ?? "";
  const action = params.get("action") ?? "";
  const expires = Number(params.get("expires"));
  const signature = params.get("signature") ?? "";
  if (!/^\d+$/.test(alert) || !(action in VERBS) || !Number.isSafeInteger(expires) || !signature) return null;
  return { alert, action, expires, signature };
}

type Alert = NonNullable<ChatLinkAlertQuery["alert"]>;

export function ActOnAlert({ params }: { params: URLSearchParams }) {
  const { session } = useShell();
  const link = readLink(params);
  const verb = link ? VERBS[link.action] : undefined;
  const [alert, setAlert] = useState<Alert | null | undefined>(undefined);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  // The pressed button is disabled while the server answers and gone once it has acted, so the
  // focus would fall to the page's start: it goes to the result (also announced) instead.
  const result = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (outcome) result.current?.focus();
  }, [outcome]);
  usePageTitle(verb && link ? `${verb.label} alert #${link.alert}` : "Chat link");

  useEffect(() => {
    if (!link) return;
    let current = true;
    void session.client
      .query(ChatLinkAlertDocument, { id: link.alert }, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (current) setAlert(result.data?.alert ?? null);
      });
    return () => {
      current = false;
    };
    // The link is the address: it changes only with the route, which remounts this page.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session, link?.alert]);

  if (!link || !verb) {
    return (
      <section id="chat-act" aria-labelledby="chat-act-title">
        <h2 id="chat-act-title">Incomplete link</h2>
        <p>This link is missing a part, so it does nothing. Open the alert from the list instead.</p>
        <p>
          <Link href="/">Open alerts</Link>
        </p>
      </section>
    );
  }
  if (alert === undefined) return <section id="chat-act" aria-busy="true" aria-label="Alert" />;

  const act = async () => {
    setBusy(true);
    const result = await session.client.mutation(ActOnChatLinkDocument, link).toPromise();
    setBusy(false);
    if (result.error) setOutcome({ ok: false, text: errorText(result.error) });
    else if (result.data) setOutcome({ ok: true, text: `Done: alert #${result.data.actOnChatLink.id} is ${verb.done}.` });
  };
  const expired = link.expires * 1000 < Date.now();
  const title = alert ? `${verb.label} alert #${alert.id} ${alert.summary}?` : `${verb.label} alert #${link.alert}?`;
  return (
    <section id="chat-act" aria-labelledby="chat-act-title" data-ready="true">
      <h2 id="chat-act-title">{title}</h2>
      {alert === null && <p className="problem">Alert #{link.alert} is not one you can see in pagerline.</p>}
      {alert && <p>It is {alert.status.toLowerCase()} now.</p>}
      {expired ? (
        // Said before anyone presses; the server refuses an expired link all the same.
        <p className="problem" role="alert">
          This link has expired, so it does nothing. Open the alert in pagerline instead.
        </p>
      ) : (
        alert &&
        !outcome?.ok && (
          <p>
            <button type="button" onClick={act} disabled={busy}>
              {verb.label}
            </button>
          </p>
        )
      )}
      <p id="chat-act-result" ref={result} tabIndex={-1} role="status" aria-live="polite" className={outcome && !outcome.ok ? "problem" : undefined}>
        {outcome?.text ?? ""}
      </p>
      <p>
        <Link href={`/alerts/${link.alert}`}>Open alert #{link.alert}</Link>
      </p>
    </section>
  );
}
