/* The OTP template editor: shows the fields of the chosen key, and refreshes the preview from the
   admin's preview endpoint (the API's rendering) a moment after staff stop typing. No libraries. */
(function () {
  "use strict";
  var DELAY_MS = 250;

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    var form = document.getElementById("template-editor");
    if (!form) { return; }
    var keyFields = JSON.parse(form.dataset.keyFields);
    var templateFields = {};
    Object.keys(keyFields).forEach(function (key) {
      keyFields[key].forEach(function (name) { templateFields[name] = true; });
    });
    var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
    var timer = null;
    var sent = 0;
    var shown = 0;

    function $(id) { return document.getElementById(id); }

    function currentKey() { return form.elements.key.value; }

    function showFields() {
      var used = keyFields[currentKey()] || [];
      form.querySelectorAll(".form-row[data-field]").forEach(function (row) {
        var name = row.dataset.field;
        row.hidden = templateFields[name] === true && used.indexOf(name) === -1;
      });
    }

    function post(url, extra) {
      var data = new FormData(form);
      Object.keys(extra || {}).forEach(function (name) { data.append(name, extra[name]); });
      return fetch(url, {
        method: "POST", body: data, credentials: "same-origin",
        headers: {"X-CSRFToken": csrf, "Accept": "application/json"}
      }).then(function (response) {
        return response.json().catch(function () {
          return {ok: false, errors: [{field: null, line: null, message: "HTTP " + response.status}]};
        });
      });
    }

    function problemText(problem) {
      var where = problem.field ? problem.field : "";
      if (problem.line) { where += (where ? ", " : "") + "line " + problem.line; }
      return (where ? where + ": " : "") + problem.message;
    }

    function showErrors(errors) {
      var list = $("preview-errors");
      list.textContent = "";
      (errors || []).forEach(function (problem) {
        var item = document.createElement("li");
        item.textContent = problemText(problem);
        list.appendChild(item);
      });
      $("preview-state").textContent = errors && errors.length ? "(not valid)" : "";
    }

    function render(data) {
      var email = data.channel === "email";
      $("preview-email").hidden = !email;
      $("preview-sms").hidden = email;
      if (email) {
        var name = form.elements.from_name.value;
        var address = form.elements.from_email.value;
        $("preview-from").textContent = address ? (name ? name + " <" + address + ">" : address) : (name || "(the service's sender)");
        $("preview-subject").textContent = data.subject;
        $("preview-html").hidden = !data.html;
        $("preview-html").srcdoc = data.html || "";
        $("preview-text").textContent = data.body;
        return;
      }
      $("preview-body").textContent = data.body;
      $("preview-counts").hidden = data.channel !== "sms";
      $("preview-length").textContent = String(data.length);
      $("preview-encoding").textContent = data.encoding;
      $("preview-segments").textContent = String(data.segments);
      $("preview-segments-word").textContent = data.segments === 1 ? "segment" : "segments";
    }

    function refresh() {
      var number = ++sent;
      $("preview-state").textContent = "(updating…)";
      post(form.dataset.previewUrl).then(function (data) {
        if (number < shown) { return; }  // an older answer arriving late
        shown = number;
        showErrors(data.ok ? [] : data.errors);
        if (data.ok) { render(data); }
        document.body.dataset.previewVersion = String(number);
      });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", function (event) {
      if (event.target.name === "key") { showFields(); }
      later();
    });

    var picker = $("locale-switch");
    if (picker) {
      picker.addEventListener("change", function () { window.location.href = picker.value; });
    }

    var button = $("send-test");
    if (button && form.dataset.sendTestUrl) {
      button.addEventListener("click", function () {
        var result = $("send-test-result");
        result.textContent = "Sending…";
        post(form.dataset.sendTestUrl, {test_recipient: $("test-recipient").value}).then(function (data) {
          result.textContent = "";
          if (!data.ok) {
            result.textContent = (data.errors || []).map(problemText).join("; ");
            result.className = "errornote";
            return;
          }
          result.className = "";
          result.appendChild(document.createTextNode("Sent to the outbox for " + data.to + ": "));
          var link = document.createElement("a");
          link.href = data.outbox_url;
          link.textContent = "outbox message " + data.outbox_id;
          result.appendChild(link);
        });
      });
    }

    showFields();
    refresh();
  });
}());
