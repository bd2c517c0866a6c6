// Uploads in the console with a progress bar. Each upload form of a resource's console page is
// sent with XMLHttpRequest to the catalog's own upload API (the same endpoint scripts use),
// with the session cookie and the page's CSRF token; <progress> shows the bytes sent. The
// answer names the new version and its load job, which is then polled until the load is done
// or has failed, and the outcome (rows loaded, or the loader's message in the page's
// language) is shown. Without JavaScript the form posts to the console itself. Everything
// shown is set as text, never as HTML.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var messagesElement = document.getElementById("upload-messages");
  if (!csrfMeta || !messagesElement || typeof XMLHttpRequest === "undefined") return;
  var messages = JSON.parse(messagesElement.textContent);
  var english = (document.documentElement.lang || "").indexOf("zh") !== 0;

  function say(key, values) {
    return String(messages[key] || key).replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  function size(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function errorMessage(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.error && body.error.message) {
        var details = body.error.details;
        if (Array.isArray(details) && details.length && details[0].message) {
          var parts = details.map(function (d) { return d.message; });
          return body.error.message + " " + parts.join(english ? "; " : "；");
        }
        return body.error.message;
      }
    } catch (ignored) { /* not our envelope: fall through */ }
    return say("network");
  }

  function Upload(form) {
    this.form = form;
    this.input = form.querySelector('input[type="file"]');
    this.button = form.querySelector('button[type="submit"]');
    this.box = form.querySelector(".upload-progress");
    this.sent = form.querySelector(".upload-sent");
    this.bytes = form.querySelector(".upload-bytes");
    this.load = form.querySelector(".upload-load");
    this.status = form.querySelector(".upload-status");
    this.lastPercent = -1;
  }

  Upload.prototype.clear = function () {
    while (this.status.firstChild) this.status.removeChild(this.status.firstChild);
  };

  Upload.prototype.show = function (text, isError, problems) {
    var status = this.status;
    this.clear();
    var line = document.createElement("p");
    line.className = isError ? "error" : "notice";
    line.textContent = text;
    status.appendChild(line);
    if (problems && problems.length) {
      var list = document.createElement("ul");
      list.className = "problems";
      problems.forEach(function (p) {
        var item = document.createElement("li");
        item.textContent = english ? (p.message_en || p.message) : p.message;
        list.appendChild(item);
      });
      status.appendChild(list);
    }
    return line;
  };

  Upload.prototype.offerRefresh = function (line) {
    var link = document.createElement("a");
    link.href = window.location.pathname + "#" + this.form.parentNode.id;
    link.textContent = say("refresh");
    link.addEventListener("click", function (event) {
      event.preventDefault();
      window.location.reload();
    });
    line.appendChild(document.createTextNode(" "));
    line.appendChild(link);
  };

  Upload.prototype.finish = function () {
    this.button.disabled = false;
    this.input.disabled = false;
  };

  Upload.prototype.progress = function (loaded, total) {
    this.sent.max = total;
    this.sent.value = loaded;
    var percent = total ? Math.floor((loaded * 100) / total) : 0;
    if (percent !== this.lastPercent) {
      this.lastPercent = percent;
      this.bytes.textContent = say("uploading", { sent: size(loaded), total: size(total), pct: percent });
    }
  };

  Upload.prototype.start = function () {
    var file = this.input.files && this.input.files[0];
    if (!file) return;
    var self = this;
    var limit = parseInt(this.form.dataset.maxBytes, 10);
    if (limit && file.size > limit) {
      this.show(say("too_large"), true);
      return;
    }
    this.button.disabled = true;
    this.box.hidden = false;
    this.load.value = 0;
    this.lastPercent = -1;
    this.progress(0, file.size);
    this.clear();

    var body = new FormData();
    body.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", this.form.dataset.uploadApi);
    xhr.setRequestHeader("X-CSRF-Token", csrfMeta.content);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) self.progress(event.loaded, event.total);
    });
    xhr.upload.addEventListener("load", function () {
      self.progress(file.size, file.size);
    });
    xhr.addEventListener("load", function () {
      if (xhr.status !== 202) {
        self.show(errorMessage(xhr), true);
        self.finish();
        return;
      }
      var answer = JSON.parse(xhr.responseText);
      self.progress(file.size, file.size);
      self.bytes.textContent = say("uploaded");
      self.input.disabled = true;
      self.follow(answer.job.id, answer.version);
    });
    xhr.addEventListener("error", function () {
      self.show(say("network"), true);
      self.finish();
    });
    xhr.send(body);
  };

  Upload.prototype.follow = function (jobId, version) {
    var self = this;
    var request = new XMLHttpRequest();
    request.open("GET", "/api/v1/jobs/" + encodeURIComponent(jobId));
    request.setRequestHeader("Accept", "application/json");
    request.addEventListener("load", function () {
      if (request.status !== 200) {
        self.show(errorMessage(request), true);
        self.finish();
        return;
      }
      var job = JSON.parse(request.responseText);
      self.load.value = job.progress || 0;
      if (job.status === "succeeded") {
        var rows = job.result && job.result.rows !== undefined ? job.result.rows : 0;
        self.load.value = 100;
        var line = self.show(say("done", { rows: rows.toLocaleString(), version: version }), false);
        self.offerRefresh(line);
        self.finish();
        self.input.value = "";
      } else if (job.status === "failed") {
        self.explainFailure(version, job.error);
      } else {
        self.show(
          job.status === "queued" ? say("queued") : say("loading", { version: version, pct: job.progress || 0 }),
          false
        );
        window.setTimeout(function () { self.follow(jobId, version); }, POLL_MS);
      }
    });
    request.addEventListener("error", function () {
      window.setTimeout(function () { self.follow(jobId, version); }, POLL_MS * 3);
    });
    request.send();
  };

  // The job's own error is for operators; the version keeps the loader's message in Chinese
  // and English, with the first problems by row and column.
  Upload.prototype.explainFailure = function (version, fallback) {
    var self = this;
    var request = new XMLHttpRequest();
    request.open("GET", this.form.dataset.versionsApi);
    request.setRequestHeader("Accept", "application/json");
    request.addEventListener("load", function () {
      var error = null;
      if (request.status === 200) {
        JSON.parse(request.responseText).forEach(function (v) {
          if (v.number === version && v.error) error = v.error;
        });
      }
      var text = error ? (english ? (error.message_en || error.message) : error.message) : (fallback || "");
      var line = self.show(say("failed", { version: version }) + text, true, error ? error.problems : null);
      self.offerRefresh(line);
      self.finish();
    });
    request.addEventListener("error", function () {
      self.show(say("failed", { version: version }) + (fallback || ""), true);
      self.finish();
    });
    request.send();
  };

  document.querySelectorAll("form.upload-form[data-upload-api]").forEach(function (form) {
    var upload = new Upload(form);
    form.addEventListener("submit", function (event) {
      if (!upload.input.files || !upload.input.files.length) return;  // the browser says why
      event.preventDefault();
      upload.start();
    });
  });
})();
