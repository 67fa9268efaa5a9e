// What the pages need beyond htmx: while a form is being saved (the whole repo is checked for every
// cluster first, which takes a moment), say so and keep it from being sent twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const busy = form.querySelector("[data-busy]");
  if (!busy) return;
  busy.hidden = false;
  form.querySelectorAll("button[type=submit]").forEach((button) => { button.disabled = true; });
});
