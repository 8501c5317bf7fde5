// Phone number (set, then verify with the code sent by SMS) and the email address pages and
// sign-in use (changed with the current password, as a stolen session must not take the
// account over; the form is cleared after every try so the password does not linger).
import { useState, type FormEvent } from "react";
import { ChangeEmailDocument, SetPhoneDocument, VerifyPhoneDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import type { MeSectionProps } from "./MePage";

const field = (event: FormEvent<HTMLFormElement>, name: string) => String(new FormData(event.currentTarget).get(name) ?? "").trim();

export function ContactSection({ data, reload }: MeSectionProps) {
  const { session } = useShell();
  const [result, setResult] = useState("");
  const me = data.me;
  const done = (error: Parameters<typeof errorText>[0] | undefined, text: string) => {
    setResult(error ? errorText(error) : text);
    if (!error) reload();
  };
  const setPhone = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const answer = await session.client.mutation(SetPhoneDocument, { phone: field(event, "phone") }).toPromise();
    done(answer.error, "A code is on its way by SMS.");
  };
  const verify = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const answer = await session.client.mutation(VerifyPhoneDocument, { code: field(event, "code") }).toPromise();
    done(answer.error, "Phone number verified.");
  };
  const changeEmail = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const variables = { email: field(event, "email"), currentPassword: String(new FormData(form).get("password") ?? "") };
    const answer = await session.client.mutation(ChangeEmailDocument, variables).toPromise();
    const password = form.elements.namedItem("password");
    if (password instanceof HTMLInputElement) password.value = "";
    done(answer.error, "Email changed.");
  };
  return (
    <section aria-labelledby="contact-title" className="card me-section">
      <h3 id="contact-title">Phone and email</h3>
      <p id="phone-state">
        {me.phone ? `${me.phone}: ${me.phoneVerified ? "verified" : "not verified"}` : "No phone number."}
        {me.phonePending ? ` Waiting for the code sent to ${me.phonePending}.` : ""}
      </p>
      <form className="inline-form" onSubmit={setPhone}>
        <label htmlFor="me-phone">Phone number</label>
        <input id="me-phone" name="phone" type="tel" autoComplete="tel" placeholder="+4915112345678" required />
        <button type="submit">Send code</button>
      </form>
      {me.phonePending && (
        <form className="inline-form" onSubmit={verify}>
          <label htmlFor="me-code">Code</label>
          <input id="me-code" name="code" inputMode="numeric" autoComplete="one-time-code" required />
          <button type="submit">Verify</button>
        </form>
      )}
      <p id="email-state">Email: {me.email}</p>
      <form className="inline-form" onSubmit={changeEmail} aria-label="Change email">
        <label htmlFor="me-email">New email</label>
        <input id="me-email" name="email" type="email" autoComplete="email" required />
        <label htmlFor="me-email-password">Current password</label>
        <input id="me-email-password" name="password" type="password" autoComplete="current-password" required />
        <button type="submit">Change email</button>
      </form>
      <p id="contact-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
