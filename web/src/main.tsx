import { createRoot } from "react-dom/client";
import { App } from "./app/shell/App";
import { prepareTimeFormat } from "./app/shell/format";
import { registerServiceWorker } from "./pwa/register";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(<App />);
// A task of its own after the first render, while the page connects and asks for its data.
setTimeout(prepareTimeFormat, 0);
void registerServiceWorker();
