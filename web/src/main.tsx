import { createRoot } from "react-dom/client";
import { App } from "./app/shell/App";
import { registerServiceWorker } from "./pwa/register";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(<App />);
void registerServiceWorker();
