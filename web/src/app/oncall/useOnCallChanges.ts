import { useEffect } from "react";
import { OnCallChangesDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";

/** Calls `changed` with the schedules' ids whenever who is on call changes for the viewer's
 * schedules (an override, an accepted coverage request, an edit, a shift starting or ending). */
export function useOnCallChanges(changed: (scheduleIds: string[]) => void): void {
  const { session, showMessage } = useShell();
  useEffect(() => {
    const { unsubscribe } = session.client.subscription(OnCallChangesDocument, {}).subscribe((result) => {
      if (result.error) showMessage(`Live updates failed: ${result.error.message}`);
      if (result.data) changed(result.data.onCallChanges.schedules.map((schedule) => schedule.id));
    });
    return unsubscribe;
  }, [session, showMessage, changed]);
}
