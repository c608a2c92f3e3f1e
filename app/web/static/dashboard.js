// The dashboard's only script: a filter applies as soon as it is chosen.
for (const select of document.querySelectorAll("form.filters select")) {
  select.addEventListener("change", () => select.form.submit());
}
