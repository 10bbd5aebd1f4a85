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
