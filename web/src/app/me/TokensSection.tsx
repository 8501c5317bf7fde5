// API tokens (scripts acting as me) and widget tokens (read the widget feed only): create one
// (its secret shown once), revoke any.
import { useState, type FormEvent } from "react";
import { CreateApiTokenDocument, CreateWidgetTokenDocument, RevokeApiTokenDocument, RevokeWidgetTokenDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import type { MeSectionProps } from "./MePage";

type Kind = "api" | "widget";

export function TokensSection({ data, reload }: MeSectionProps) {
  const { session } = useShell();
  const [secret, setSecret] = useState<{ kind: Kind; secret: string } | null>(null);
  const [result, setResult] = useState("");

  const create = (kind: Kind) => async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get("name") ?? "").trim();
    const answer =
      kind === "api"
        ? await session.client.mutation(CreateApiTokenDocument, { name }).toPromise().then((r) => ({ error: r.error, made: r.data?.createApiToken }))
        : await session.client.mutation(CreateWidgetTokenDocument, { name }).toPromise().then((r) => ({ error: r.error, made: r.data?.createWidgetToken }));
    if (answer.error) return setResult(errorText(answer.error));
    if (answer.made) setSecret({ kind, secret: answer.made.secret });
    form.reset();
    setResult("Token created: copy its secret now, it is not shown again.");
    reload();
  };
  const revoke = async (kind: Kind, id: string) => {
    const answer =
      kind === "api"
        ? await session.client.mutation(RevokeApiTokenDocument, { id }).toPromise()
        : await session.client.mutation(RevokeWidgetTokenDocument, { id }).toPromise();
    setResult(answer.error ? errorText(answer.error) : "Token revoked.");
    if (!answer.error) reload();
  };

  const list = (kind: Kind, tokens: MeSectionProps["data"]["myTokens"]) => (
    <>
      <ul className="plain-list">
        {tokens.map((token) => (
          <li key={token.id}>
            {token.name}{" "}
            <button type="button" aria-label={`Revoke ${kind === "api" ? "API" : "widget"} token ${token.name}`} onClick={() => revoke(kind, token.id)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={create(kind)}>
        <label htmlFor={`new-${kind}-token`}>{kind === "api" ? "New API token name" : "New widget token name"}</label>
        <input id={`new-${kind}-token`} name="name" required />
        <button type="submit">{kind === "api" ? "Create API token" : "Create widget token"}</button>
      </form>
      {secret?.kind === kind && (
        <p>
          Secret: <code className="secret">{secret.secret}</code>
        </p>
      )}
    </>
  );

  return (
    <section aria-labelledby="tokens-title" className="card me-section">
      <h3 id="tokens-title">Tokens</h3>
      <h4>API tokens</h4>
      {list("api", data.myTokens.filter((token) => token.kind === "API"))}
      <h4>Widget tokens</h4>
      {list("widget", data.widgetTokens)}
      <p id="tokens-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
