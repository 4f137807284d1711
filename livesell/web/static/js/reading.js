// How the parser read a comment, in the staff's language: typed reason codes
// ("variant_unclear:A3") rendered from the reasons translations, and confidence as a percent.
import { t } from "./console.js";

// "code:arg1:arg2; code2" -> words; an unknown reason (older data) is shown as it is.
export function reasonText(reason) {
  return String(reason || "").split("; ").filter(Boolean).map((part) => {
    const [code, ...args] = part.split(":");
    const key = `console.reason.${code}`;
    const text = t(key, Object.fromEntries(args.map((a, i) => [String(i), a])));
    if (text === key) return part;
    // the last placeholder takes the rest, as labels may hold a colon
    return text.replace(/\{\d+\}/g, "");
  }).join("; ");
}

export function confidenceText(confidence) {
  if (confidence === null || confidence === undefined) return "";
  return t("console.reading.confidence", { percent: Math.round(Number(confidence) * 100) });
}
