// The invitation link (/invite/<token>), opened signed out: who is invited, a password to
// choose, then signed in. The token is the only credential, so this page talks to the server
// without a session.
import { Client, fetchExchange } from "@urql/core";
import { useEffect, useState, type FormEvent } from "react";
import { AcceptInvitationDocument, InvitationInfoDocument, type InvitationInfoQuery } from "../../gql/graphql";
import { formatTime } from "../shell/format";
import { navigate } from "../shell/router";
import { usePageTitle } from "../shell/usePageTitle";
import { placeError, type PlacedError } from "./fieldErrors";
import { FieldMessage, FormResult, fieldProps } from "./FieldMessage";
import "./people.css";

const anonymous = new Client({ url: "/graphql", exchanges: [fetchExchange], preferGetMethod: false });

type Info = NonNullable<InvitationInfoQuery["invitation"]>;

export function InvitePage({ token, onSignedIn }: { token: string; onSignedIn: (token: string) => void }) {
  usePageTitle("Invitation");
  const [info, setInfo] = useState<Info | null | "loading">("loading");
  const [problem, setProblem] = useState<PlacedError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let current = true;
    void anonymous
      .query(InvitationInfoDocument, { token }, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (!current) return;
        if (result.error) setProblem(placeError(result.error, []));
        setInfo(result.data?.invitation ?? null);
      });
    return () => {
      current = false;
    };
  }, [token]);

  const accept = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password") ?? "");
    if (password !== String(form.get("repeat") ?? "")) {
      setProblem({ field: "repeat", text: "The two passwords differ." });
      return;
    }
    setBusy(true);
    const result = await anonymous.mutation(AcceptInvitationDocument, { token, password }).toPromise();
    setBusy(false);
    if (result.error) return setProblem(placeError(result.error, ["password"]));
    if (result.data) {
      // The address is the invitation's until the new session opens on the open-alert list.
      navigate("/");
      onSignedIn(result.data.acceptInvitation.token);
    }
  };

  if (info === "loading") return <section aria-busy="true" aria-label="Invitation" />;
  return (
    <section id="invite-view" aria-labelledby="invite-title" className="invite">
      <h2 id="invite-title">Invitation</h2>
      {info === null ? (
        <>
          <p>This invitation link is not valid: it is unknown, was used already or has expired. Ask an admin for a new one.</p>
          <FormResult id="invite-result" error={problem} text="" />
          <p>
            <a href="/">Sign in</a>
          </p>
        </>
      ) : (
        <>
          <p>
            Welcome, <strong>{info.name}</strong>. Choose a password to sign in as <strong>{info.email}</strong>. This link works once, until{" "}
            {formatTime(info.expiresAt)}.
          </p>
          <form className="login" onSubmit={accept}>
            {/* For password managers: the account the new password belongs to. */}
            <input type="email" name="username" autoComplete="username" value={info.email} readOnly hidden />
            <label htmlFor="invite-password">New password</label>
            <input name="password" type="password" autoComplete="new-password" required autoFocus {...fieldProps("invite-password", "password", problem)} />
            <FieldMessage id="invite-password" name="password" error={problem} />
            <label htmlFor="invite-repeat">Repeat the password</label>
            <input name="repeat" type="password" autoComplete="new-password" required {...fieldProps("invite-repeat", "repeat", problem)} />
            <FieldMessage id="invite-repeat" name="repeat" error={problem} />
            <button type="submit" disabled={busy}>
              Set password and sign in
            </button>
          </form>
          <FormResult id="invite-result" error={problem} text="" />
        </>
      )}
    </section>
  );
}
