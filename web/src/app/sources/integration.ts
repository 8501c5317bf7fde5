// Where each kind of source sends its events (docs/integrations/*.md): Alertmanager, Grafana and
// generic webhooks put the integration key in the address; the events API takes it in the body;
// heartbeat monitors each have their own ping address, made with the monitor.
import type { IntegrationType } from "../../gql/graphql";

export const INTEGRATION_TYPES: readonly IntegrationType[] = ["API", "ALERTMANAGER", "GRAFANA", "WEBHOOK", "HEARTBEAT", "EMAIL", "PAGERDUTY", "OPSGENIE"];

export const INTEGRATION_LABELS: Record<IntegrationType, string> = {
  API: "Events API",
  ALERTMANAGER: "Prometheus Alertmanager",
  GRAFANA: "Grafana",
  WEBHOOK: "Webhook (templates)",
  HEARTBEAT: "Heartbeats",
  EMAIL: "Email",
  PAGERDUTY: "PagerDuty Events API v2",
  OPSGENIE: "Opsgenie Alert API",
};

const KEY_PLACEHOLDER = "<integration key>";

/** The address to configure in the sending system; `key` null (not shown any more) puts a
 * placeholder where the key goes. `keyInBody`: the key travels as "integrationKey" in the JSON. */
export function integrationUrl(type: IntegrationType, origin: string, key: string | null): { url: string; keyInBody: boolean } {
  const base = origin.replace(/\/+$/, "");
  const shown = key ?? KEY_PLACEHOLDER;
  switch (type) {
    case "ALERTMANAGER":
      return { url: `${base}/api/events/alertmanager/${shown}`, keyInBody: false };
    case "GRAFANA":
      return { url: `${base}/api/events/grafana/${shown}`, keyInBody: false };
    case "WEBHOOK":
      return { url: `${base}/api/events/webhook/${shown}`, keyInBody: false };
    case "HEARTBEAT":
    case "API":
      return { url: `${base}/api/events`, keyInBody: true };
    case "EMAIL":
      return { url: `${shown}@<email domain>`, keyInBody: false };
    case "PAGERDUTY":
      return { url: `${base}/v2/enqueue`, keyInBody: true };
    case "OPSGENIE":
      return { url: `${base}/v2/alerts`, keyInBody: false };
  }
}
