import { main as bundleSize } from "./bundle-size.js";
import { main as outbox } from "./outbox.js";

/** `npm run bench`: every figure the closing notes quote, measured on this machine. */
await outbox();
console.log("");
await bundleSize();
