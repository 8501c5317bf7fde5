import { Client, fetchExchange } from "@urql/core";
import { useState, type FormEvent } from "react";
import { LoginDocument } from "../../gql/graphql";
import { errorText } from "../shell/errors";

// Signing in needs no token: a client of its own, used for this one mutation.
const anonymous = new Client({ url: "/graphql", exchanges: [fetchExchange], preferGetMethod: false });

export function SignIn({ onSignedIn, onError }: { onSignedIn: (token: string) => void; onError: (text: string) => void }) {
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    const result = await anonymous
      .mutation(LoginDocument, { email: String(form.get("email") ?? ""), password: String(form.get("password") ?? "") })
      .toPromise();
    setBusy(false);
    if (result.error) onError(errorText(result.error));
    else if (result.data) onSignedIn(result.data.login.token);
  };
  return (
    <section id="login-view" aria-labelledby="login-title">
      <h2 id="login-title">Sign in</h2>
      <form className="login" onSubmit={submit}>
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required autoFocus />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </section>
  );
}
