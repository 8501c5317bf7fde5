// The admins' banner: what `pagerline doctor` says about this server (people who could be paged
// in the next 7 days but cannot be reached, channels that are not configured). Advisory only: a
// failed load shows nothing rather than something stale.
import { SetupWarningsDocument } from "../../gql/graphql";
import { useLoadOnce } from "../shell/useLoadOnce";

export function SetupWarnings() {
  const { data } = useLoadOnce(SetupWarningsDocument, {});
  const problems = data && !data.setupWarnings.ok ? data.setupWarnings.problems : [];
  if (problems.length === 0) return null;
  return (
    <section id="setup-warnings" className="setup-warnings" aria-labelledby="setup-warnings-title">
      <h2 id="setup-warnings-title">Setup problems: some pages would reach nobody</h2>
      <ul id="setup-warnings-list">
        {problems.map((problem, i) => (
          <li key={i}>{problem}</li>
        ))}
      </ul>
      <p className="hint">
        Shown to admins. <code>pagerline doctor</code> prints the same list.
      </p>
    </section>
  );
}
