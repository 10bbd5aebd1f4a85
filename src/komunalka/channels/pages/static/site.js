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
