// The report form, enhanced. Everything here also works without it: the error summary is a
// role="alert" region at the top of the page, and each limit is stated in the field's help text.
// 1. After a failed submit, move the focus to the error summary, so a keyboard or screen-reader
//    user starts from the list of what to fix (each item links to its field).
// 2. Live character counters ("123 / 10,000 characters") under fields with data-max-chars. The
//    fields have no maxlength attribute on purpose: a browser would silently cut pasted text.
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  function formatNumber(value) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || undefined).format(value);
    } catch (error) {
      return String(value);
    }
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return name in values ? values[name] : match;
    });
  }

  function addCounter(field) {
    var limit = parseInt(field.getAttribute("data-max-chars"), 10);
    if (!limit) {
      return;
    }
    var counter = document.createElement("div");
    counter.className = "form-text char-counter";
    counter.id = field.id + "-counter";
    // Not a live region: announcing every keystroke would drown a screen reader. The count is
    // read with the field (aria-describedby), and the server's message names any excess.
    field.insertAdjacentElement("afterend", counter);
    var describedBy = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + counter.id);

    function update() {
      var count = field.value.length;
      var text = fill(field.getAttribute("data-counter"), {count: formatNumber(count), limit: formatNumber(limit)});
      if (count > limit) {
        text += " — " + fill(field.getAttribute("data-counter-over"), {over: formatNumber(count - limit)});
      }
      counter.textContent = text;
      counter.classList.toggle("text-danger", count > limit);
      counter.classList.toggle("fw-semibold", count > limit);
    }

    field.addEventListener("input", update);
    update();
  }

  function start() {
    focusErrorSummary();
    document.querySelectorAll("[data-max-chars]").forEach(addCounter);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
