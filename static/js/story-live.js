/*
 * Show a story being written, from the progress events of
 * GET /api/v2/stories/{id}/events (server-sent events, signed in by the session).
 *
 * Markup (templates/stories/live.html): an element with `data-story-live` and
 * `data-events-url`, `data-cancel-url`, `data-target-words`; inside it the text
 * (`data-live-text`), the status line (`data-live-status`), a <progress>
 * (`data-live-progress`), one `data-stage` item per agent stage and the cancel
 * form (`data-cancel-form`). The translated messages come from the JSON script
 * `#live-messages`.
 *
 * The first event of a connection is the text saved so far as one text_delta,
 * so it replaces the text the server rendered instead of being appended.
 * EventSource reconnects by itself and sends Last-Event-ID, and the server then
 * replays only the events after that one.
 */
(function () {
  "use strict";

  var WORD = /[\p{L}\p{M}\p{Nd}]+/gu;
  var RELOAD_DELAY_MS = 800;

  function countWords(text) {
    var matches = text.match(WORD);
    return matches ? matches.length : 0;
  }

  function LiveStory(root, messages) {
    this.root = root;
    this.messages = messages;
    this.text = root.querySelector("[data-live-text]");
    this.status = root.querySelector("[data-live-status]");
    this.progress = root.querySelector("[data-live-progress]");
    this.title = root.querySelector("[data-live-title]");
    this.stages = Array.prototype.slice.call(root.querySelectorAll("[data-stage]"));
    this.targetWords = parseInt(root.getAttribute("data-target-words"), 10) || 0;
    this.content = this.text ? this.text.textContent : "";
    this.snapshotPending = true;
    this.finished = false;
    // The page shows the stages the job had reached when it was served.
    this.writing = Boolean(root.querySelector('[data-stage="writer"].stage--running, [data-stage="refiner"].stage--running'));
  }

  LiveStory.prototype.start = function () {
    var self = this;
    this.source = new EventSource(this.root.getAttribute("data-events-url"), { withCredentials: true });
    this.source.onmessage = function (message) {
      var event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      self.handle(event);
    };
    this.source.onerror = function () {
      if (self.finished) {
        return;
      }
      if (self.source.readyState === EventSource.CLOSED) {
        self.say(self.messages.connection_lost);
      } else {
        self.say(self.messages.reconnecting);
      }
    };
    this.bindCancel();
  };

  LiveStory.prototype.say = function (message) {
    if (this.status && message) {
      this.status.textContent = message;
    }
  };

  LiveStory.prototype.stage = function (role) {
    for (var index = 0; index < this.stages.length; index += 1) {
      if (this.stages[index].getAttribute("data-stage") === role) {
        return this.stages[index];
      }
    }
    return null;
  };

  // Job summaries are written for logs: English words, rasa wire names and raw
  // scores. These are the ones shown to the writer, in the page's language.
  LiveStory.prototype.summaryText = function (role, summary) {
    var text = String(summary || "");
    var number = parseFloat(text);
    if (role === "writer" || role === "refiner") {
      var words = text.match(/^(\d+) words$/);
      return words ? this.messages.words.replace("{count}", words[1]) : "";
    }
    if (role === "cultural") {
      // The guide names its choices in English; the reading view lists them in Telugu.
      return document.documentElement.lang === "en" ? text : "";
    }
    if (role === "emotion") {
      return this.messages.rasas[text] || "";
    }
    if (role === "editor") {
      return isNaN(number) ? "" : this.messages.quality.replace("{percent}", String(Math.round(number * 100)));
    }
    return text;
  };

  LiveStory.prototype.markStage = function (role, state, summary) {
    var item = this.stage(role);
    if (!item) {
      return;
    }
    if (state === "running") {
      // A resumed job skips the stages it already finished; mark those done.
      for (var index = 0; index < this.stages.length && this.stages[index] !== item; index += 1) {
        if (this.stages[index].className.indexOf("stage--waiting") !== -1) {
          this.markStage(this.stages[index].getAttribute("data-stage"), "done");
        }
      }
    }
    item.className = "stage stage--" + state;
    if (state === "running") {
      item.setAttribute("aria-current", "step");
    } else {
      item.removeAttribute("aria-current");
    }
    var label = item.querySelector("[data-stage-state]");
    if (label) {
      label.textContent = this.messages["stage_" + state] || state;
    }
    var summaryText = summary ? this.summaryText(role, summary) : "";
    if (summaryText) {
      var summaryElement = item.querySelector("[data-stage-summary]");
      if (summaryElement) {
        summaryElement.textContent = summaryText;
        // The cultural guide names its choices in English.
        summaryElement.lang = role === "cultural" ? "en" : "te";
      }
    }
  };

  LiveStory.prototype.updateProgress = function () {
    if (!this.progress || this.stages.length === 0) {
      return;
    }
    var done = this.root.querySelectorAll(".stage--done").length;
    var share = done / this.stages.length;
    if (this.writing && this.targetWords > 0) {
      // The writer's stage fills as the words arrive, up to its own share of the bar.
      share += Math.min(1, countWords(this.content) / this.targetWords) / this.stages.length;
    }
    this.progress.value = Math.round(Math.min(1, share) * 100);
  };

  LiveStory.prototype.setText = function (content) {
    this.content = content;
    if (this.text) {
      this.text.textContent = content;
    }
  };

  LiveStory.prototype.handle = function (event) {
    var data = event.data || {};
    switch (event.type) {
      case "text_delta":
        if (this.snapshotPending) {
          this.setText(data.text || "");
        } else {
          this.setText(this.content + (data.text || ""));
        }
        break;
      case "stage_started":
        if (data.role === "refiner") {
          // A refinement's text deltas build the new version from empty.
          this.setText("");
        }
        this.writing = data.role === "writer" || data.role === "refiner";
        this.markStage(data.role, "running");
        this.say(this.messages.running.replace("{stage}", this.stageLabel(data.role)));
        break;
      case "stage_finished":
        if (data.role === "writer" || data.role === "refiner") {
          this.writing = false;
        }
        this.markStage(data.role, "done", data.summary);
        break;
      case "checkpoint":
        if (data.title && this.title) {
          this.title.textContent = data.title;
        }
        break;
      case "completed":
        this.finish(this.messages.completed);
        break;
      case "failed":
        this.finish(this.messages.failed);
        break;
      case "cancelled":
        this.finish(this.messages.cancelled);
        break;
      default:
        break;
    }
    this.snapshotPending = false;
    this.updateProgress();
  };

  LiveStory.prototype.stageLabel = function (role) {
    var item = this.stage(role);
    var label = item ? item.querySelector(".stage__label") : null;
    return label ? label.textContent : role;
  };

  LiveStory.prototype.finish = function (message) {
    this.finished = true;
    this.source.close();
    this.say(message);
    if (this.progress) {
      this.progress.value = 100;
    }
    // The server renders the finished story, with its scores and actions.
    window.setTimeout(function () {
      window.location.reload();
    }, RELOAD_DELAY_MS);
  };

  LiveStory.prototype.bindCancel = function () {
    var self = this;
    var form = this.root.querySelector("[data-cancel-form]");
    if (!form) {
      return;
    }
    form.addEventListener("submit", function (submitEvent) {
      submitEvent.preventDefault();
      var button = form.querySelector("[data-cancel-button]");
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (button) {
        button.disabled = true;
      }
      self.say(self.messages.cancelling);
      fetch(self.root.getAttribute("data-cancel-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
      })
        .then(function (response) {
          if (response.ok || response.status === 409) {
            // The cancelled event follows on the stream; a 409 means the story has just finished.
            if (response.status === 409) {
              self.finish(self.messages.already_finished);
            }
            return;
          }
          throw new Error("cancel request failed with status " + response.status);
        })
        .catch(function () {
          if (button) {
            button.disabled = false;
          }
          self.say(self.messages.cancel_failed);
        });
    });
  };

  function init() {
    var root = document.querySelector("[data-story-live]");
    var messagesElement = document.getElementById("live-messages");
    if (!root || !messagesElement || !window.EventSource) {
      return;
    }
    new LiveStory(root, JSON.parse(messagesElement.textContent)).start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
