// Characters left in a caption, as the officer types: each channel has its own limit.
document.querySelectorAll("textarea[data-counter]").forEach(function (field) {
  var out = field.parentElement.querySelector(".form-text");
  function update() {
    var left = field.maxLength - field.value.length;
    out.textContent = field.value.length + " / " + field.maxLength;
    out.classList.toggle("text-danger", left < 20);
  }
  field.addEventListener("input", update);
  update();
});
