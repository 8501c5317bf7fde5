// Me (`/me`): how pagerline reaches me (rules per priority, phone, email, contact methods,
// devices, a test page),
// muting, on-call reminders, calendar feeds and my API and widget tokens. Each section saves on
// its own and the page reloads what it shows after every change.
import { useCallback, useState } from "react";
import { MePageDocument, SendTestPageDocument, type MePageQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { usePageTitle } from "../shell/usePageTitle";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";
import { knownZone } from "../oncall/zoned";
import { ContactMethodsSection } from "./ContactMethodsSection";
import { ContactSection } from "./ContactSection";
import { DevicesSection } from "./DevicesSection";
import { FeedsSection } from "./FeedsSection";
import { MuteSection } from "./MuteSection";
import { ReminderSection } from "./ReminderSection";
import { RulesSection } from "./RulesSection";
import { TokensSection } from "./TokensSection";

export interface MeSectionProps {
  data: MePageQuery;
  timeZone: string;
  reload: () => void;
}

export function MePage() {
  const { session, failed } = useShell();
  const [data, setData] = useState<MePageQuery | null>(null);
  usePageTitle("Me");
  const reload = useCallback(() => {
    void session.client
      .query(MePageDocument, {}, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) failed("Could not load your settings", result.error);
        else if (result.data) setData(result.data);
      });
  }, [session, failed]);
  useRefetchOnConnect(reload);

  if (!data) return <section aria-busy="true" aria-label="Me" />;
  const props: MeSectionProps = { data, timeZone: knownZone(data.me.timezone) ? data.me.timezone : "UTC", reload };
  return (
    <section id="me-page" aria-labelledby="me-title" data-ready="true">
      <h2 id="me-title">Me</h2>
      <p className="hint">
        {data.me.name}, times in {props.timeZone}.
      </p>
      <RulesSection {...props} />
      <TestPage />
      <MuteSection {...props} />
      <ContactSection {...props} />
      <ContactMethodsSection {...props} />
      <DevicesSection {...props} />
      <ReminderSection {...props} />
      <FeedsSection {...props} />
      <TokensSection {...props} />
    </section>
  );
}

function TestPage() {
  const { session } = useShell();
  const [result, setResult] = useState("");
  const send = async () => {
    setResult("Sending…");
    const answer = await session.client.mutation(SendTestPageDocument, {}).toPromise();
    if (answer.error) setResult(errorText(answer.error));
    else if (answer.data) {
      const count = answer.data.sendTestPage;
      setResult(count ? `Test page sent on ${count} channel${count > 1 ? "s" : ""}.` : "Nothing can reach you: add a device or a verified contact method.");
    }
  };
  return (
    <section aria-labelledby="test-page-title" className="card me-section">
      <h3 id="test-page-title">Test page</h3>
      <p className="hint">Goes through the real delivery path, on every channel of your HIGH rules that can reach you.</p>
      <button type="button" onClick={send}>
        Send me a test page
      </button>
      <p id="test-page-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
