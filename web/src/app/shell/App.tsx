// The shell: signed out it shows the sign-in form (or, at /invite/<token>, the invitation page); signed in it opens the live session and
// shows the header (connection state, who, log out), the message line, the admins' setup
// warnings and the page the address names. Opened without a connection (the service worker
// served the page), the alert list is replaced by the last known state, marked stale, until
// the first connection.
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { CombinedError } from "@urql/core";
import { SetupWarnings } from "../admin/SetupWarnings";
import { ActOnAlert } from "../chat/ActOnAlert";
import { AlertPage } from "../alerts/AlertPage";
import { HistoryPage } from "../alerts/HistoryPage";
import { OpenAlertsPage } from "../alerts/OpenAlertsPage";
import { CoveragePage } from "../coverage/CoveragePage";
import { CoverageRequestPage } from "../coverage/CoverageRequestPage";
import { MePage } from "../me/MePage";
import { SignIn } from "../me/SignIn";
import { useViewer } from "../me/useViewer";
import { LogoutDocument } from "../../gql/graphql";
import { turnOffPush } from "../../pwa/push";
import { PushToggle } from "../../pwa/PushToggle";
import { StaleSnapshot } from "../../pwa/StaleSnapshot";
import { loadSnapshot } from "../../pwa/snapshotStore";
import { OnCallCard } from "../oncall/OnCallCard";
import { OnCallPage } from "../oncall/OnCallPage";
import { InvitePage } from "../people/InvitePage";
import { SchedulePage } from "../oncall/SchedulePage";
import { ShellContext, useShell, type Shell } from "./context";
import { errorText, isUnauthenticated } from "./errors";
import { openLiveSession, type ConnectionState, type LiveSession } from "./live";
import { Link } from "./Link";
import { useRoute, type Route } from "./router";
import { TOKEN_KEY, storeToken, storedToken } from "./session";

// The admin console is loaded when an admin opens it: responders never download it, and the
// open-alert list's first load stays small.
const AdminConsole = lazy(() => import("../admin/AdminConsole").then((module) => ({ default: module.AdminConsole })));

const SESSION_ENDED = "Your session has ended; please sign in again.";

export function App() {
  const route = useRoute();
  const [token, setToken] = useState(storedToken);
  const [message, setMessage] = useState("");
  const [connection, setConnection] = useState<{ state: ConnectionState; text: string } | null>(null);
  const [session, setSession] = useState<LiveSession | null>(null);
  // Whether this session has been live at least once: until then its pages have no data.
  const [beenLive, setBeenLive] = useState(false);
  const beenLiveNow = useRef(false);
  beenLiveNow.current = beenLive;

  const signOut = useCallback((reason = "") => {
    storeToken(null);
    setToken(null);
    setMessage(reason);
  }, []);

  useEffect(() => {
    setBeenLive(false);
    if (!token) {
      setSession(null);
      setConnection(null);
      return;
    }
    const opened = openLiveSession(token, {
      onStatus: (state, text) => {
        setConnection({ state, text });
        if (state === "live") setBeenLive(true);
      },
      onConnected: () => undefined,
      onRejected: () => signOut(SESSION_ENDED),
    });
    setSession(opened);
    return () => opened.dispose();
  }, [token, signOut]);

  // Signing out in another tab signs out here too.
  useEffect(() => {
    const changed = (event: StorageEvent) => {
      if (event.key === TOKEN_KEY && !event.newValue) signOut();
    };
    window.addEventListener("storage", changed);
    return () => window.removeEventListener("storage", changed);
  }, [signOut]);

  const shell = useMemo<Shell | null>(
    () =>
      session && {
        session,
        showMessage: setMessage,
        signOut,
        failed: (what: string, error: CombinedError) => {
          if (isUnauthenticated(error)) signOut(SESSION_ENDED);
          // Not connected (opened offline, or the connection dropped): the stale view or the
          // pages' "not live since" mark and the connection state already say so.
          else if (error.networkError && (!beenLiveNow.current || !session.isConnected())) return;
          else setMessage(`${what}: ${errorText(error)}`);
        },
      },
    [session, signOut],
  );

  const signedIn = (newToken: string) => {
    storeToken(newToken);
    setMessage("");
    setToken(newToken);
  };

  return (
    <>
      {shell ? (
        <ShellContext.Provider value={shell}>
          <SignedIn connection={connection} message={message} offline={!beenLive && (connection?.state === "reconnecting" || connection?.state === "offline")} />
        </ShellContext.Provider>
      ) : (
        <>
          <header className="bar">
            <h1>pagerline</h1>
          </header>
          <Message text={message} />
          <main>
            {route.page === "invite" ? <InvitePage token={route.token} onSignedIn={signedIn} /> : <SignIn onSignedIn={signedIn} onError={setMessage} />}
          </main>
        </>
      )}
    </>
  );
}

function Message({ text }: { text: string }) {
  return (
    <p id="message" className="message" role="alert" hidden={!text}>
      {text}
    </p>
  );
}

interface SignedInProps {
  connection: { state: ConnectionState; text: string } | null;
  message: string;
  /** Not connected yet since the app opened: show the last known state instead of the list. */
  offline: boolean;
}

function SignedIn({ connection, message, offline }: SignedInProps) {
  const route = useRoute();
  const viewer = useViewer();
  const snapshot = offline && route.page === "alerts" ? loadSnapshot() : null;
  return (
    <>
      <header className="bar">
        <h1>
          <Link href="/">pagerline</Link>
        </h1>
        <nav aria-label="Main">
          <Link href="/" aria-current={route.page === "alerts" ? "page" : undefined}>
            Open alerts
          </Link>
          <Link href="/history" aria-current={route.page === "history" ? "page" : undefined}>
            History
          </Link>
          <Link href="/oncall" aria-current={route.page === "oncall" || route.page === "schedule" ? "page" : undefined}>
            On call
          </Link>
          <Link href="/coverage" aria-current={route.page === "coverageRequests" || route.page === "coverage" ? "page" : undefined}>
            Coverage
          </Link>
          <Link href="/me" aria-current={route.page === "me" ? "page" : undefined}>
            Me
          </Link>
          {viewer?.role === "ADMIN" && (
            <Link href="/admin" aria-current={route.page === "admin" ? "page" : undefined}>
              Admin
            </Link>
          )}
        </nav>
        {connection && (
          <p id="connection" className="connection" role="status" aria-live="polite" data-state={connection.state}>
            {connection.text}
          </p>
        )}
        <p id="whoami" className="whoami">
          <span id="user-name">{viewer?.name ?? ""}</span>
          <LogOut />
        </p>
        <PushToggle />
      </header>
      <Message text={message} />
      <main id="app-view">{snapshot ? <StaleSnapshot snapshot={snapshot} /> : <Page route={route} />}</main>
      {viewer?.role === "ADMIN" && <SetupWarnings />}
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "alerts":
      return (
        <div className="columns">
          <OnCallCard />
          <OpenAlertsPage />
        </div>
      );
    case "alert":
      return <AlertPage id={route.id} />;
    case "history":
      return <HistoryPage params={route.params} />;
    case "coverage":
      return <CoverageRequestPage params={route.params} />;
    case "oncall":
      return <OnCallPage />;
    case "coverageRequests":
      return <CoveragePage />;
    case "me":
      return <MePage />;
    case "schedule":
      return <SchedulePage id={route.id} params={route.params} />;
    case "admin":
      return (
        <Suspense fallback={<p role="status">Loading the admin console…</p>}>
          <AdminConsole section={route.section} id={route.id} params={route.params} />
        </Suspense>
      );
    case "chatAct":
      return <ActOnAlert params={route.params} />;
    case "invite":
    // Signed in already: an invitation is for someone new (the signed-out shell shows its form).
    case "notFound":
      return (
        <section>
          <h2>Not found</h2>
          <p>
            <Link href="/">Open alerts</Link>
          </p>
        </section>
      );
  }
}

/** Revokes the session on the server, then forgets it here. */
function LogOut() {
  const shell = useShell();
  const logOut = async () => {
    // This browser stops getting the user's pages (best effort: signing out must not wait on it).
    await turnOffPush(shell.session.client).catch(() => undefined);
    const result = await shell.session.client.mutation(LogoutDocument, {}).toPromise();
    if (result.error && !isUnauthenticated(result.error)) {
      shell.signOut(`Signed out on this browser, but the server could not revoke the session: ${errorText(result.error)}`);
    } else {
      shell.signOut();
    }
  };
  return (
    <button type="button" onClick={logOut}>
      Log out
    </button>
  );
}
