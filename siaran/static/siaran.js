// Siaran's small helpers for its forms. No dependency; every form works without them
// too, the server checking everything again. Loaded once by base.html on every page.
(function () {
  "use strict";
  if (window.siaranForms) return; // a page that still loads the script itself
  window.siaranForms = true;

  var lang = document.documentElement.lang || undefined;
  function number(n) {
    try { return n.toLocaleString(lang); } catch (e) { return String(n); }
  }

  // Characters in a caption, as the officer types: each channel has its own limit,
  // `data-counter="2200"` on the textarea (no maxlength: a pasted caption is never cut;
  // the server refuses one that is too long). The count goes in the first .form-text
  // next to the textarea, in red once over the limit; `data-too-long` is what the
  // browser says when the form is sent with the caption over it.
  function counter(field) {
    var out = field.parentElement.querySelector(".form-text");
    var limit = parseInt(field.getAttribute("data-counter"), 10) || field.maxLength;
    if (!out || !(limit > 0)) return;
    function update() {
      // A line break is one character, as the server and the platforms count it.
      var length = field.value.replace(/\r\n/g, "\n").length;
      var over = length > limit;
      out.textContent = number(length) + " / " + number(limit);
      out.classList.toggle("text-danger", over || limit - length < 20);
      out.classList.toggle("fw-semibold", over);
      field.classList.toggle("is-invalid", over);
      if (over) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
      // The form is not sent while a caption is too long: the text stays as typed.
      field.setCustomValidity(over ? field.getAttribute("data-too-long") || out.textContent : "");
    }
    field.addEventListener("input", update);
    update();
  }
  document.querySelectorAll("textarea[data-counter]").forEach(counter);

  // A caption per ticked channel: `data-caption-for="instagram"` on the caption's block,
  // shown while the channel's box (name="channels" value="instagram") is ticked.
  function captions(form) {
    var blocks = form.querySelectorAll("[data-caption-for]");
    if (!blocks.length) return;
    function update() {
      blocks.forEach(function (block) {
        var box = form.querySelector(
          'input[name="channels"][value="' + block.getAttribute("data-caption-for") + '"]'
        );
        var on = !box || box.checked;
        block.hidden = !on;
        block.querySelectorAll("textarea, input").forEach(function (f) { f.disabled = !on; });
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "channels") update();
    });
    update();
  }
  document.querySelectorAll("form").forEach(captions);

  // A select with `data-reload="sop"` reloads the page with ?sop=<its value>: the new
  // case form's channels are those of the chosen SOP.
  document.querySelectorAll("select[data-reload]").forEach(function (select) {
    select.addEventListener("change", function () {
      var url = new URL(window.location.href);
      url.searchParams.set(select.getAttribute("data-reload"), select.value);
      window.location.assign(url.toString());
    });
  });

  // The note is required only with the button that needs one: a submit button with
  // `data-note-required` makes its form's note field required, any other button of the
  // form (YES) leaves it optional. The server refuses a send-back without a note anyway.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button, input[type=submit]") : null;
    if (!button || !button.form || (button.type && button.type !== "submit")) return;
    var note = button.form.querySelector('[name="note"]');
    if (note) note.required = button.hasAttribute("data-note-required");
  });

  // Ask before something that cannot be undone: `data-confirm="Question?"` on a form, or
  // on the submit button that needs it. Cancelled: nothing is sent. Confirmed: the form
  // says so (confirmed=1), and a server that asks again on its own page (withdraw) does not.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question =
      (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!question) return;
    if (!window.confirm(question)) {
      event.preventDefault();
      return;
    }
    var flag = form.querySelector('input[name="confirmed"]');
    if (!flag) {
      flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      form.appendChild(flag);
    }
    flag.value = "1";
  });
})();
