// Registers the service worker (offline shell, Web Push) once the page has loaded, so it never
// competes with the first render. Only in the build: Vite's dev server has no /sw.js. A tap on
// a notification makes the worker post the alert's address here: the router shows it.
import { navigate } from "../app/shell/router";
import { appPath, isOpenMessage } from "./openMessage";

let registration: Promise<ServiceWorkerRegistration | null> | null = null;

export function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  registration ??= new Promise((resolve) => {
    if (!import.meta.env.PROD || !("serviceWorker" in navigator)) {
      resolve(null);
      return;
    }
    navigator.serviceWorker.addEventListener("message", (event) => {
      const path = isOpenMessage(event.data) ? appPath(event.data.url, location.origin) : null;
      if (path) navigate(path);
    });
    const register = () =>
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(resolve, (error: unknown) => {
        console.warn("pagerline: the service worker did not register", error);
        resolve(null);
      });
    if (document.readyState === "complete") void register();
    else window.addEventListener("load", () => void register(), { once: true });
  });
  return registration;
}

const READY_WAIT_MS = 15_000;

/** The active worker's registration (push needs one), or null if there is none in time. */
export async function activeRegistration(): Promise<ServiceWorkerRegistration | null> {
  if (!(await registerServiceWorker())) return null;
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), READY_WAIT_MS));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}
