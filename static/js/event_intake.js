/* The intake form (/events/new/, /events/report/): the browser's geolocation fills lon/lat in
   WGS-84 (GPS; no external service is asked), the category's typed questions are drawn when a
   category is chosen, and category suggestions come live from the platform's own
   /api/v1/event-categories/suggest/ (POST with the CSRF token). Without script the form still
   works: the server suggests on submit and draws the questions with their errors. */
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) return;

  function csrf() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- location ---------------------------------------------------------------------------------
  var button = document.getElementById("use-my-location");
  var status = document.getElementById("locate-status");
  function locateMe() {
    if (!navigator.geolocation) { status.textContent = button.dataset.unsupported; return; }
    status.textContent = button.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lon.value = pos.coords.longitude.toFixed(6);
      form.elements.lat.value = pos.coords.latitude.toFixed(6);
      form.elements.crs.value = "wgs84"; // the Geolocation API reports WGS-84
      status.textContent = button.dataset.done;
    }, function () {
      status.textContent = button.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  if (button) button.addEventListener("click", locateMe);
  if (form.dataset.autoLocate && !form.elements.lon.value && !form.elements.lat.value) locateMe();

  // --- typed questions of the chosen category -----------------------------------------------------
  var dataNode = document.getElementById("category-questions-data");
  var questions = dataNode ? JSON.parse(dataNode.textContent) : {};
  var box = document.getElementById("category-questions");
  var select = form.elements.category;

  function field(q) { return window.CivicGridQuestions.field(q, box); }
  function drawQuestions() {
    box.textContent = "";
    (questions[select.value] || []).forEach(function (q) { box.appendChild(field(q)); });
  }
  if (select) select.addEventListener("change", drawQuestions);

  // --- live suggestions -------------------------------------------------------------------------------
  var list = document.getElementById("category-suggestions");
  var timer = null;
  function suggest() {
    if (!list || select.value) { if (list) list.textContent = ""; return; }
    var title = form.elements.title.value, description = form.elements.description.value;
    if (!title && !description) { list.textContent = ""; return; }
    fetch(form.dataset.suggestUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify({ title: title, description: description })
    }).then(function (r) { return r.ok ? r.json() : []; }).then(function (items) {
      list.textContent = "";
      var offered = (items || []).filter(function (s) {
        return select.querySelector('option[value="' + s.category.code + '"]');
      }).slice(0, 3);
      if (!offered.length) return;
      var label = document.createElement("span");
      label.className = "muted small";
      label.textContent = list.dataset.label;
      list.appendChild(label);
      offered.forEach(function (s) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "button button--small";
        b.dataset.code = s.category.code;
        b.textContent = s.category.code + " " + s.category.name;
        b.addEventListener("click", function () {
          select.value = s.category.code;
          drawQuestions();
          list.textContent = "";
        });
        list.appendChild(b);
      });
    }).catch(function () { list.textContent = ""; });
  }
  ["input", "change"].forEach(function (type) {
    form.elements.title.addEventListener(type, function () { clearTimeout(timer); timer = setTimeout(suggest, 400); });
    form.elements.description.addEventListener(type, function () { clearTimeout(timer); timer = setTimeout(suggest, 400); });
  });
})();
