// Host console: turn first paid, first served on or off for this show (PATCH /api/shows/{id}).
import { api, notify, show, t } from "./console.js";

document.getElementById("first-paid")?.addEventListener("change", async (event) => {
  const box = event.target;
  const result = await api("PATCH", `/api/shows/${encodeURIComponent(show.id)}`,
    { first_paid: box.checked });
  if (!result.ok) {
    box.checked = !box.checked;
    notify(t("console.error", { message: result.error.message }));
  }
});
