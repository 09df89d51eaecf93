// The input for one typed question of a category (Category.required_fields), drawn in the browser
// when the reporter picks a category: the same names and widgets as the server's form fields
// (events/forms.py), so a page without JavaScript and one with it submit the same thing.
// Used by the staff intake pages (event_intake.js) and the citizen page (citizen.js).
(function () {
  "use strict";

  function option(value, text) {
    var opt = document.createElement("option");
    opt.value = value;
    opt.textContent = text;
    return opt;
  }

  // `box` carries the translated words for yes and no (data-yes, data-no).
  function field(q, box) {
    var wrap = document.createElement("div");
    wrap.className = "field";
    var id = "id_answer_" + q.key;
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = q.label + (q.required ? " *" : "");
    var input;
    if (q.type === "multichoice") {
      input = document.createElement("select");
      input.multiple = true;
      (q.choices || []).forEach(function (c) { input.appendChild(option(c, c)); });
    } else if (q.type === "longtext") {
      input = document.createElement("textarea");
      input.rows = 3;
      input.maxLength = 4000;
    } else if (q.type === "choice" || q.type === "bool") {
      input = document.createElement("select");
      input.appendChild(option("", "—"));
      if (q.type === "bool") {
        input.appendChild(option("true", box.getAttribute("data-yes") || "是"));
        input.appendChild(option("false", box.getAttribute("data-no") || "否"));
      } else {
        (q.choices || []).forEach(function (c) { input.appendChild(option(c, c)); });
      }
    } else {
      input = document.createElement("input");
      input.type = { number: "number", date: "date", datetime: "datetime-local" }[q.type] || "text";
      if (q.type === "number") input.step = "any";
      if (q.type === "text") input.maxLength = 500;
    }
    input.name = "answer_" + q.key;
    input.id = id;
    wrap.appendChild(label);
    wrap.appendChild(input);
    return wrap;
  }

  window.CivicGridQuestions = { field: field };
})();
