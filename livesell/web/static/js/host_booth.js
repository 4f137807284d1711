// Host tools between shows: product photo upload, the planned start, QR labels, the booth.
import { api, notify, t } from "./console.js";

function csrf() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

const photoForm = document.getElementById("photo-form");
const photoState = document.getElementById("photo-state");
photoForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = document.getElementById("photo-file").files[0];
  const code = document.getElementById("photo-code").value;
  if (!file) return;
  photoState.textContent = t("console.booth.uploading");
  let response;
  try {
    response = await fetch(`/api/products/${encodeURIComponent(code)}/image`, {
      method: "POST", credentials: "same-origin", body: file,
      headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": csrf() },
    });
  } catch {
    photoState.textContent = "";
    notify(t("console.booth.upload_failed"));
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok) {
    photoState.textContent = t("console.booth.uploaded");
    photoForm.reset();
  } else {
    photoState.textContent = "";
    notify(body.error?.message || t("console.booth.upload_failed"));
  }
});

// datetime-local speaks the browser's local time; the shop is in Vietnam (UTC+7).
const scheduleInput = document.getElementById("schedule-at");
if (scheduleInput?.dataset.current) {
  const at = new Date(Number(scheduleInput.dataset.current) * 1000 + 7 * 3600 * 1000);
  scheduleInput.value = at.toISOString().slice(0, 16);
}
document.getElementById("schedule-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = scheduleInput.value;
  const show = JSON.parse(document.getElementById("console-data").textContent).show;
  const result = await api("POST", `/api/shows/${show.id}/schedule`,
    { starts_at: value ? `${value}:00+07:00` : null });
  if (result.ok) notify(t("console.booth.saved"), "ok");
  else notify(result.error.message);
});
