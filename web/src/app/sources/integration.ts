// Where each kind of source sends its events (docs/integrations/*.md): Alertmanager, Grafana and
// generic webhooks put the integration key in the address; the events API and the
// PagerDuty-compatible Events API v2 take it in the body; the Opsgenie-compatible API takes it in
// the Authorization header; email sources have an address made of the key and the server's email
// domain; heartbeat monitors each have their own ping address, made with the monitor.
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

export const KEY_PLACEHOLDER = "<integration key>";

/** What the sending system is given: `address` (null: there is none, `hint` says why), shown
 * under `label`, and how the key travels. */
export interface IntegrationAddress {
  label: string;
  address: string | null;
  hint: string | null;
}

/** The address to configure in the sending system; `key` null (not shown any more) puts a
 * placeholder where the key goes. `emailDomain`: the server's (emailIntakeDomain), null when
 * email intake is off. */
export function integrationAddress(type: IntegrationType, origin: string, key: string | null, emailDomain: string | null): IntegrationAddress {
  const base = origin.replace(/\/+$/, "");
  const shown = key ?? KEY_PLACEHOLDER;
  const url = (address: string, hint: string | null = null): IntegrationAddress => ({ label: "Integration URL", address, hint });
  switch (type) {
    case "ALERTMANAGER":
      return url(`${base}/api/events/alertmanager/${shown}`);
    case "GRAFANA":
      return url(`${base}/api/events/grafana/${shown}`);
    case "WEBHOOK":
      return url(`${base}/api/events/webhook/${shown}`);
    case "HEARTBEAT":
    case "API":
      return url(`${base}/api/events`, 'POST events as JSON to this address with the key as "integrationKey".');
    case "EMAIL":
      if (!emailDomain) {
        return { label: "Email address", address: null, hint: "Email intake is not set up on this server (PAGERLINE_EMAIL_DOMAIN): mail cannot reach this source yet." };
      }
      return { label: "Email address", address: `${shown}@${emailDomain}`, hint: "Send or forward alert mail to this address." };
    case "PAGERDUTY":
      return url(`${base}/v2/enqueue`, "Send PagerDuty Events API v2 events here with the key as routing_key.");
    case "OPSGENIE":
      // Alertmanager's opsgenie_configs append "v2/alerts" to api_url (Opsgenie's own default is
      // "https://api.opsgenie.com/", with the slash); Grafana's Alert API URL is the whole address.
      return {
        label: "API URL",
        address: `${base}/`,
        hint:
          `Point Opsgenie senders (Alertmanager opsgenie_configs api_url, Grafana) at this URL with the key as the API key ` +
          `(sent as "Authorization: GenieKey <key>"); Grafana's Alert API URL is ${base}/v2/alerts.`,
      };
  }
}
