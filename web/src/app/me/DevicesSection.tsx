// My devices (phones and browsers): each can be removed.
import { RemoveDeviceDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import type { MeSectionProps } from "./MePage";

export function DevicesSection({ data, reload }: MeSectionProps) {
  const { session, showMessage } = useShell();
  const remove = async (id: string) => {
    const answer = await session.client.mutation(RemoveDeviceDocument, { id }).toPromise();
    if (answer.error) showMessage(`Could not remove the device: ${errorText(answer.error)}`);
    else reload();
  };
  return (
    <section aria-labelledby="devices-title" className="card me-section">
      <h3 id="devices-title">Devices</h3>
      {data.myDevices.length === 0 && <p className="empty">No devices: pushes cannot reach you.</p>}
      <ul id="devices" className="plain-list">
        {data.myDevices.map((device) => {
          const name = `${device.platform.toLowerCase()} ${device.appId || device.provider.toLowerCase()} ${device.appVersion}`.trim();
          return (
            <li key={device.id}>
              {name} {device.active ? "" : "(inactive)"}{" "}
              <button type="button" aria-label={`Remove device ${name}`} onClick={() => remove(device.id)}>
                Remove
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
