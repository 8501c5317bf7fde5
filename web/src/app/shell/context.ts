// What every page of a signed-in session gets from the shell: the live session (its urql
// client and "reconnected" events), the message line and signing out. No other global state.
import { createContext, useContext } from "react";
import type { CombinedError } from "@urql/core";
import type { LiveSession } from "./live";

export interface Shell {
  session: LiveSession;
  showMessage: (text: string) => void;
  signOut: (reason?: string) => void;
  /** Shows an operation's error (or signs out when the session ended). */
  failed: (what: string, error: CombinedError) => void;
}

export const ShellContext = createContext<Shell | null>(null);

export function useShell(): Shell {
  const shell = useContext(ShellContext);
  if (!shell) throw new Error("useShell outside a signed-in session");
  return shell;
}
