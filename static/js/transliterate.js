/*
 * Type Telugu on an English keyboard: while the toggle is on, each word typed in
 * Latin letters is replaced by its Telugu spelling when a space, a line break or a
 * punctuation mark ends it. The server does the mapping (GET /pages/transliterate,
 * scheme described in analysis/transliteration.py), so this file contains no table.
 *
 * Markup: a text field with `data-transliterate`. Optional attributes on the field:
 *   data-transliterate-url     the endpoint (default /pages/transliterate)
 *   data-transliterate-toggle  the id of an existing <button> to use as the toggle;
 *                              without it a button is inserted before the field
 *   data-transliterate-label   the button's text (default "అ తెలుగు లిపి")
 * The on/off state is kept in localStorage, so it carries over between pages.
 */
(function () {
  "use strict";

  var DEFAULT_URL = "/pages/transliterate";
  var DEFAULT_LABEL = "అ తెలుగు లిపి";
  var STORAGE_KEY = "storyengine.transliterate";
  var SEPARATOR = /[\s.,!?;:()"'\u2018\u2019\u201c\u201d\u0964\u0965-]/;
  var LATIN_WORD_BEFORE = /[A-Za-z]+$/;

  function storedState() {
    try {
      return window.localStorage.getItem(STORAGE_KEY) === "on";
    } catch (error) {
      return false;
    }
  }

  function storeState(on) {
    try {
      window.localStorage.setItem(STORAGE_KEY, on ? "on" : "off");
    } catch (error) {
      // Private windows may refuse storage; the toggle still works for this page.
    }
  }

  function Transliterator(field) {
    this.field = field;
    this.url = field.getAttribute("data-transliterate-url") || DEFAULT_URL;
    this.on = false;
    // Replacements made since each pending request was sent, so a later response
    // can find its word after an earlier one changed the text's length.
    this.edits = [];
    this.pending = 0;
    this.resubmitting = false;
    this.queue = Promise.resolve();
    this.button = this.findOrCreateButton();
    this.status = this.createStatus();
    this.saved = {
      autocapitalize: field.getAttribute("autocapitalize"),
      autocorrect: field.getAttribute("autocorrect"),
      spellcheck: field.getAttribute("spellcheck"),
    };
    this.bind();
    this.setOn(storedState(), false);
  }

  Transliterator.prototype.findOrCreateButton = function () {
    var id = this.field.getAttribute("data-transliterate-toggle");
    var button = id ? document.getElementById(id) : null;
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "transliterate-toggle";
      button.textContent = this.field.getAttribute("data-transliterate-label") || DEFAULT_LABEL;
      this.field.parentNode.insertBefore(button, this.field);
    }
    if (this.field.id) {
      button.setAttribute("aria-controls", this.field.id);
    }
    return button;
  };

  Transliterator.prototype.createStatus = function () {
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    this.button.parentNode.insertBefore(status, this.button.nextSibling);
    return status;
  };

  Transliterator.prototype.bind = function () {
    var self = this;
    this.button.addEventListener("click", function () {
      self.setOn(!self.on, true);
    });
    this.field.addEventListener("input", function (event) {
      self.onInput(event);
    });
    this.field.addEventListener("blur", function () {
      if (self.on) {
        self.convertWordEndingAt(self.field.value.length, true);
      }
    });
    if (this.field.form) {
      this.field.form.addEventListener("submit", function (event) {
        self.onSubmit(event);
      });
    }
  };

  Transliterator.prototype.setOn = function (on, announce) {
    this.on = on;
    this.button.setAttribute("aria-pressed", on ? "true" : "false");
    this.field.classList.toggle("transliterating", on);
    // Case matters in the scheme (t is త, T is ట), so phone keyboards must not
    // capitalize or correct the Latin letters while it is on.
    if (on) {
      this.field.setAttribute("autocapitalize", "off");
      this.field.setAttribute("autocorrect", "off");
      this.field.setAttribute("spellcheck", "false");
    } else {
      this.restoreAttribute("autocapitalize");
      this.restoreAttribute("autocorrect");
      this.restoreAttribute("spellcheck");
    }
    if (announce) {
      storeState(on);
      this.status.textContent = on ? "తెలుగు లిపి: ఆన్ (Telugu typing on)" : "తెలుగు లిపి: ఆఫ్ (Telugu typing off)";
    }
  };

  Transliterator.prototype.restoreAttribute = function (name) {
    if (this.saved[name] === null) {
      this.field.removeAttribute(name);
    } else {
      this.field.setAttribute(name, this.saved[name]);
    }
  };

  Transliterator.prototype.onInput = function (event) {
    if (!this.on || event.isComposing) {
      return;
    }
    var typed = event.data;
    var lineBreak = event.inputType === "insertLineBreak" || event.inputType === "insertParagraph";
    if (!lineBreak && !(typed && typed.length === 1 && SEPARATOR.test(typed))) {
      return;
    }
    var caret = this.field.selectionStart;
    // The separator was inserted just before the caret; the word ends before it.
    this.convertWordEndingAt(caret - 1, false);
  };

  Transliterator.prototype.convertWordEndingAt = function (end, atEndOnly) {
    var before = this.field.value.slice(0, end);
    var match = LATIN_WORD_BEFORE.exec(before);
    if (!match) {
      return Promise.resolve();
    }
    if (atEndOnly && end !== this.field.value.length) {
      return Promise.resolve();
    }
    var word = match[0];
    var start = end - word.length;
    var editsAtRequest = this.edits.length;
    var request = this.fetchTelugu(word);
    var self = this;
    this.pending += 1;
    // Responses are applied in the order the words were typed.
    this.queue = this.queue
      .then(function () {
        return request;
      })
      .then(function (telugu) {
        self.replace(start, word, telugu, editsAtRequest);
      })
      .catch(function () {
        // A failed request leaves the Latin word in place; the writer can retype it.
      })
      .then(function () {
        self.pending -= 1;
      });
    return this.queue;
  };

  Transliterator.prototype.fetchTelugu = function (word) {
    var url = this.url + "?text=" + encodeURIComponent(word);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) {
        throw new Error("transliteration failed with HTTP " + response.status);
      }
      return response.json().then(function (body) {
        return body.telugu;
      });
    });
  };

  Transliterator.prototype.replace = function (start, word, telugu, editsAtRequest) {
    var shift = 0;
    for (var index = editsAtRequest; index < this.edits.length; index += 1) {
      if (this.edits[index].at < start) {
        shift += this.edits[index].delta;
      }
    }
    start += shift;
    var field = this.field;
    if (field.value.slice(start, start + word.length) !== word) {
      return; // The writer changed the word meanwhile; leave their text alone.
    }
    var caretStart = field.selectionStart;
    var caretEnd = field.selectionEnd;
    var delta = telugu.length - word.length;
    field.value = field.value.slice(0, start) + telugu + field.value.slice(start + word.length);
    this.edits.push({ at: start, delta: delta });
    var moved = function (position) {
      return position >= start + word.length ? position + delta : position;
    };
    if (document.activeElement === field) {
      field.setSelectionRange(moved(caretStart), moved(caretEnd));
    }
    if (this.pending <= 1) {
      this.edits = [];
    }
  };

  Transliterator.prototype.onSubmit = function (event) {
    if (!this.on || this.resubmitting) {
      return;
    }
    var tail = LATIN_WORD_BEFORE.test(this.field.value);
    if (!tail && this.pending === 0) {
      return;
    }
    // Finish the last word and the requests still pending, then submit again.
    event.preventDefault();
    var form = this.field.form;
    var submitter = event.submitter || null;
    var self = this;
    this.convertWordEndingAt(this.field.value.length, true);
    this.queue.then(function () {
      self.resubmitting = true;
      if (form.requestSubmit) {
        form.requestSubmit(submitter);
      } else {
        form.submit();
      }
      // requestSubmit dispatches its submit event synchronously, so the flag can drop now.
      self.resubmitting = false;
    });
  };

  function init() {
    var fields = document.querySelectorAll("[data-transliterate]");
    for (var index = 0; index < fields.length; index += 1) {
      if (!fields[index].transliterator) {
        fields[index].transliterator = new Transliterator(fields[index]);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
