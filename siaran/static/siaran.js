// Characters left in a caption, as the officer types: each channel has its own limit.
document.querySelectorAll("textarea[data-counter]").forEach(function (field) {
  var out = field.parentElement.querySelector(".form-text");
  // The limit is shown, never enforced by the browser: a pasted caption is kept whole and
  // the server says it is too long, rather than the browser cutting it silently.
  var limit = parseInt(field.dataset.limit || field.maxLength, 10);
  function update() {
    var left = limit - field.value.length;
    out.textContent = field.value.length + " / " + limit;
    out.classList.toggle("text-danger", left < 20);
    out.classList.toggle("fw-semibold", left < 0);
  }
  field.addEventListener("input", update);
  update();
});
