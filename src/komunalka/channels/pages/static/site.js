// Progressive enhancement only: every page works without this file.
document.addEventListener("click", (event) => {
  // "Unchanged" buttons copy the previous reading into their field.
  const button = event.target.closest("[data-copy-from]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copyTo);
  if (field) {
    event.preventDefault();
    field.value = button.dataset.copyFrom;
    field.focus();
  }
});

// Telegram's Login Widget hands the signed user to this function; the fields go to the server
// as a form with the page's CSRF token (the server checks Telegram's signature).
window.komunalkaTelegram = (user, action) => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = action;
  const fields = { ...user, csrf_token: document.querySelector('meta[name="csrf-token"]').content };
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = String(value);
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
};

// The language switch sends its form as soon as a language is chosen (a button without script).
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-submit-on-change]")) event.target.form.submit();
});

// Bars take their width, a percentage, from data-width: the Content-Security-Policy allows no
// style attribute, but a script may set a style.
const drawBars = (root) => {
  for (const bar of root.querySelectorAll("[data-width]")) {
    bar.style.width = `${Number(bar.dataset.width) || 0}%`;
  }
};
drawBars(document);
document.addEventListener("htmx:afterSwap", (event) => drawBars(event.target));
