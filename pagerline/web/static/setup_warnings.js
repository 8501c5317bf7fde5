// The admins' banner: what `pagerline doctor` says about this server (people who could be paged
// in the next 7 days but cannot be reached, channels that are not configured). Loaded with the
// dashboard; everyone else never asks. Server text goes in through textContent only.

const ROLE = "query MyRole { me { role } }";
const SETUP = "query SetupWarnings { setupWarnings { ok problems } }";

const banner = () => document.getElementById("setup-warnings");

export function hideSetupWarnings() {
  banner().hidden = true;
  document.getElementById("setup-warnings-list").replaceChildren();
}

/** `graphql(query)` is the dashboard's HTTP client (it sends the session token). */
export async function showSetupWarnings(graphql) {
  try {
    const { me } = await graphql(ROLE);
    if (me.role !== "ADMIN") {
      hideSetupWarnings();
      return;
    }
    const { setupWarnings } = await graphql(SETUP);
    document.getElementById("setup-warnings-list").replaceChildren(
      ...setupWarnings.problems.map((problem) => {
        const item = document.createElement("li");
        item.textContent = problem;
        return item;
      }),
    );
    banner().hidden = setupWarnings.ok;
  } catch {
    // Advisory only: the dashboard works without it, and a failed load shows nothing stale.
    hideSetupWarnings();
  }
}
