/* cxloop website widget: one script tag shows a cxloop survey on the customer's own site.
 * Served by /w/<key>.js with its settings filled in; no dependencies, no build step.
 * Everything it draws lives in a Shadow DOM so the host page's CSS cannot reach it. */
(function (settings) {
  "use strict";
  var w = window;
  var d = document;
  if (!w.fetch || !w.JSON || !d.createElement("div").attachShadow) return;
  if (w.cxloop && w.cxloop.loaded) return; // the snippet was pasted twice

  var API = settings.base + "/w/" + encodeURIComponent(settings.key);
  var STORE = "cxloop:" + settings.key + ":asked";
  var DAY = 86400000;
  var script = d.currentScript;
  var data = (script && script.dataset) || {};
  var state = { visitor: null, config: null, wanted: false, busy: false, done: false, host: null };

  function command(name, arg) {
    if (name === "identify") identify(arg);
    else if (name === "show") want(true);
    else if (name === "hide" || name === "close") close();
  }

  var queue = (w.cxloop && w.cxloop.q) || [];
  w.cxloop = function () {
    command(arguments[0], arguments[1]);
  };
  w.cxloop.loaded = true;

  function identify(who) {
    if (!who || who.userId === undefined || who.userId === null || who.userId === "") {
      state.visitor = null;
      return;
    }
    var attributes = {};
    var given = who.attributes || {};
    for (var name in given) {
      if (Object.prototype.hasOwnProperty.call(given, name)) attributes[name] = given[name];
    }
    state.visitor = { userId: String(who.userId), attributes: attributes };
  }

  // --- Remembering anonymous visitors (their browser is all we know of them) -------------
  function askedAt() {
    try {
      return parseInt(w.localStorage.getItem(STORE) || "0", 10) || 0;
    } catch (e) {
      return 0;
    }
  }
  function rememberAsked() {
    try {
      w.localStorage.setItem(STORE, String(Date.now()));
    } catch (e) {
      /* storage refused (private mode): the server-side rules still apply */
    }
  }
  function askedRecently() {
    var days = state.config.anonymous_frequency_days || 0;
    return days > 0 && Date.now() - askedAt() < days * DAY;
  }

  // Tells the page what the widget decided, e.g. for its own analytics or for tests:
  // window.addEventListener("cxloop:decision", function (e) { e.detail.show, e.detail.reason })
  function announce(show, reason) {
    try {
      w.dispatchEvent(new CustomEvent("cxloop:decision", { detail: { show: show, reason: reason || "" } }));
    } catch (e) {
      /* very old browsers have no CustomEvent constructor */
    }
  }

  // --- Talking to cxloop ---------------------------------------------------------------
  function post(path, body) {
    return w.fetch(API + path, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  function languages() {
    var list = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
    return Array.prototype.join.call(list, ",");
  }

  function load() {
    var query = "?languages=" + encodeURIComponent(languages());
    if (data.lang) query += "&lang=" + encodeURIComponent(data.lang);
    w.fetch(API + "/config" + query, { mode: "cors", credentials: "omit" })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (config) {
        if (!config || !config.enabled) return announce(false, config ? "disabled" : "unavailable");
        state.config = config;
        if (state.wanted) want(true);
        else if (pageMatches(config.triggers)) arm(config.triggers);
        else announce(false, "page_not_matched");
      })
      .catch(function () {
        // Network error, or an origin the widget does not allow: a survey must never break
        // the customer's page, so it just stays away.
        announce(false, "unavailable");
      });
  }

  // --- Triggers ------------------------------------------------------------------------
  function globToRegExp(glob) {
    var escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp("^" + escaped + "$");
  }

  function pageMatches(triggers) {
    var patterns = triggers.url_patterns || [];
    if (!patterns.length) return true;
    var href = w.location.href;
    for (var i = 0; i < patterns.length; i++) {
      try {
        if (triggers.url_match === "regex") {
          if (new RegExp(patterns[i]).test(href)) return true;
        } else {
          var target = patterns[i].indexOf("://") >= 0 ? href : w.location.pathname;
          if (globToRegExp(patterns[i]).test(target)) return true;
        }
      } catch (e) {
        /* a pattern the browser cannot read matches nothing */
      }
    }
    return false;
  }

  function arm(triggers) {
    var any = false;
    if (triggers.delay_seconds !== null && triggers.delay_seconds !== undefined) {
      any = true;
      w.setTimeout(fire, triggers.delay_seconds * 1000);
    }
    if (triggers.scroll_percent) {
      any = true;
      var onScroll = function () {
        var root = d.documentElement;
        var seen = ((w.scrollY || root.scrollTop) + w.innerHeight) / Math.max(root.scrollHeight, 1);
        if (seen * 100 >= triggers.scroll_percent) {
          w.removeEventListener("scroll", onScroll);
          fire();
        }
      };
      w.addEventListener("scroll", onScroll, { passive: true });
    }
    if (triggers.exit_intent) {
      any = true;
      // Desktop only: leaving through the top edge means heading for the tabs or the address bar.
      if (!w.matchMedia || w.matchMedia("(pointer: fine)").matches) {
        var onLeave = function (event) {
          if (!event.relatedTarget && event.clientY <= 0) {
            d.removeEventListener("mouseout", onLeave);
            fire();
          }
        };
        d.addEventListener("mouseout", onLeave);
      }
    }
    if (triggers.event_name) {
      any = true;
      w.addEventListener(triggers.event_name, fire);
    }
    if (!any) fire();
  }

  function want() {
    state.wanted = true;
    if (state.config) fire();
  }

  function fire() {
    if (state.busy || state.done || state.host || !state.config) return;
    if (!state.visitor && askedRecently()) {
      state.done = true;
      return announce(false, "asked_recently");
    }
    state.busy = true;
    var visitor = state.visitor;
    post("/eligibility", { visitor: visitor, language: state.config.language })
      .then(function (r) {
        return r.ok ? r.json() : { show: false };
      })
      .then(function (answer) {
        state.busy = false;
        if (!answer.show) {
          state.done = true;
          return announce(false, answer.reason || "unavailable");
        }
        rememberAsked();
        open(answer.ticket || null, visitor);
        announce(true, "");
      })
      .catch(function () {
        state.busy = false;
      });
  }

  // --- Drawing -------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = d.createElement(tag);
    for (var name in attrs || {}) {
      if (attrs[name] === null || attrs[name] === undefined || attrs[name] === false) continue;
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name] === true ? "" : attrs[name]);
    }
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  var CSS =
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif}" +
    ".backdrop{position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:2147483646}" +
    ".panel{position:fixed;z-index:2147483647;background:#fff;color:#1a1a1a;border-radius:10px;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.3);padding:20px;width:min(440px,calc(100vw - 16px));" +
    "max-height:calc(100vh - 16px);overflow:auto;font-size:15px;line-height:1.45}" +
    ".popup{top:50%;left:50%;transform:translate(-50%,-50%)}" +
    ".bottom_right{right:16px;bottom:16px}.bottom_left{left:16px;bottom:16px}" +
    "@media (max-width:520px){.slide{left:8px;right:8px;bottom:8px;width:auto}}" +
    "h2{font-size:17px;margin:0 32px 8px 0}h2:focus{outline:none}" +
    "p{margin:0 0 10px}fieldset{border:0;margin:0 0 14px;padding:0}" +
    "legend,label.q{display:block;font-weight:600;margin-bottom:6px;padding:0}" +
    ".opt{font-weight:400;color:#666}" +
    ".scale{display:grid;gap:3px}" +
    ".scale button{min-height:40px;min-width:0;padding:0;border:1px solid #888;border-radius:6px;" +
    "background:#fff;color:#1a1a1a;font-size:15px;cursor:pointer}" +
    ".scale button[aria-pressed=true]{background:#1d4ed8;border-color:#1d4ed8;color:#fff}" +
    "button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:1px}" +
    ".ends{display:flex;justify-content:space-between;font-size:12px;color:#555;margin-top:4px}" +
    ".choice{display:flex;gap:8px;align-items:flex-start;margin:4px 0;font-weight:400}" +
    "textarea{width:100%;min-height:70px;padding:8px;border:1px solid #888;border-radius:6px;font-size:15px}" +
    ".error{color:#b91c1c;font-size:14px;margin:4px 0 0}" +
    ".submit{background:#1d4ed8;color:#fff;border:0;border-radius:6px;padding:10px 18px;font-size:15px;cursor:pointer}" +
    ".submit[disabled]{opacity:.6}" +
    ".close{position:absolute;top:8px;right:8px;width:36px;height:36px;border:0;background:none;" +
    "font-size:24px;line-height:1;cursor:pointer;color:#444;border-radius:6px}";

  function category(score) {
    return score >= 9 ? "promoter" : score >= 7 ? "passive" : "detractor";
  }

  function scale(question, id, onPick) {
    var buttons = [];
    var group = el("div", { class: "scale", role: "group", "aria-labelledby": id + "-legend" });
    group.style.gridTemplateColumns = "repeat(" + (question.max - question.min + 1) + ",1fr)";
    for (var point = question.min; point <= question.max; point++) {
      var note = (question.point_labels || {})[String(point)];
      var button = el("button", {
        type: "button",
        "aria-pressed": "false",
        "data-value": String(point),
        title: note || null,
        "aria-label": note ? point + " " + note : null,
        text: String(point),
      });
      buttons.push(button);
      group.appendChild(button);
    }
    group.addEventListener("click", function (event) {
      var target = event.target.closest("button");
      if (!target) return;
      buttons.forEach(function (b) {
        b.setAttribute("aria-pressed", b === target ? "true" : "false");
      });
      onPick(parseInt(target.getAttribute("data-value"), 10));
    });
    group.addEventListener("keydown", function (event) {
      var index = buttons.indexOf(event.target);
      if (index < 0) return;
      var next = event.key === "ArrowRight" ? index + 1 : event.key === "ArrowLeft" ? index - 1 : -1;
      if (next >= 0 && next < buttons.length) {
        event.preventDefault();
        buttons[next].focus();
      }
    });
    var ends =
      question.low_label || question.high_label
        ? el("div", { class: "ends", "aria-hidden": "true" }, [
            el("span", { text: question.low_label || "" }),
            el("span", { text: question.high_label || "" }),
          ])
        : null;
    return [group, ends];
  }

  function choices(question, id, multiple) {
    return (question.choices || []).map(function (choice) {
      return el("label", { class: "choice" }, [
        el("input", { type: multiple ? "checkbox" : "radio", name: id, value: choice.key }),
        el("span", { text: choice.text }),
      ]);
    });
  }

  function questionBlock(question, index, texts) {
    var id = "cxq-" + index;
    var answer = { value: null };
    var error = el("p", { class: "error", id: id + "-error", hidden: true });
    var legendChildren = [d.createTextNode(question.text + " ")];
    if (!question.required) legendChildren.push(el("span", { class: "opt", text: texts.optional }));
    var block;
    if (question.type === "text") {
      var area = el("textarea", { id: id, maxlength: "5000", "aria-describedby": id + "-error" });
      block = el("div", { class: "field" }, [el("label", { class: "q", for: id }, legendChildren), area, error]);
      answer.read = function () {
        return area.value.trim() || null;
      };
    } else if (question.type === "single_choice" || question.type === "multiple_choice") {
      var multiple = question.type === "multiple_choice";
      var options = choices(question, id, multiple);
      block = el("fieldset", { "aria-describedby": id + "-error" }, [el("legend", {}, legendChildren)].concat(options, [error]));
      answer.read = function () {
        var picked = options
          .map(function (label) {
            return label.querySelector("input");
          })
          .filter(function (input) {
            return input.checked;
          })
          .map(function (input) {
            return input.value;
          });
        if (!picked.length) return null;
        return multiple ? picked : picked[0];
      };
    } else {
      var followUp = null;
      var reasons = [];
      var reasonsLegend = el("legend", {});
      var commentLabel = el("label", { class: "q", for: id + "-comment" });
      var comment = el("textarea", { id: id + "-comment", maxlength: "5000" });
      if (question.type === "nps_plus") {
        reasons = choices(question, id + "-reasons", true);
        followUp = el("div", { hidden: true }, [
          reasons.length ? el("fieldset", {}, [reasonsLegend].concat(reasons)) : null,
          commentLabel,
          comment,
        ]);
      }
      var parts = scale(question, id, function (score) {
        answer.value = score;
        if (followUp) {
          var prompts = question.prompts[category(score)];
          reasonsLegend.textContent = prompts.reasons;
          commentLabel.textContent = prompts.comment;
          followUp.hidden = false;
        }
      });
      block = el(
        "fieldset",
        { "aria-describedby": id + "-error" },
        [el("legend", { id: id + "-legend" }, legendChildren), parts[0], parts[1], error, followUp]
      );
      answer.read = function () {
        if (answer.value === null) return null;
        if (question.type !== "nps_plus") return answer.value;
        return {
          score: answer.value,
          reasons: reasons
            .map(function (label) {
              return label.querySelector("input");
            })
            .filter(function (input) {
              return input.checked;
            })
            .map(function (input) {
              return input.value;
            }),
          comment: comment.value.trim(),
        };
      };
    }
    block.setAttribute("data-question", question.key);
    return { question: question, node: block, error: error, read: answer.read };
  }

  function randomKey() {
    var bytes = new Uint8Array(16);
    (w.crypto || w.msCrypto).getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function open(ticket, visitor) {
    var config = state.config;
    var texts = config.texts;
    var survey = config.survey;
    var popup = config.display === "popup";
    var host = el("div", { "data-cxloop-widget": settings.key });
    var root = host.attachShadow({ mode: "open" });
    // A constructed sheet is not inline CSS, so a host page's strict style-src allows it.
    if (w.CSSStyleSheet && "adoptedStyleSheets" in root && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", { text: CSS }));
    }
    var returnFocus = d.activeElement;
    var idempotencyKey = randomKey();

    var title = el("h2", { id: "cx-title", tabindex: "-1", text: survey.title });
    var closeButton = el("button", { type: "button", class: "close", "aria-label": texts.close, text: "×" });
    var blocks = survey.questions.map(function (q, i) {
      return questionBlock(q, i, texts);
    });
    var formError = el("p", { class: "error", role: "alert", hidden: true });
    var submit = el("button", { type: "submit", class: "submit", text: texts.submit });
    var form = el(
      "form",
      { novalidate: true },
      blocks
        .map(function (b) {
          return b.node;
        })
        .concat([formError, submit])
    );
    var panel = el(
      "div",
      {
        class: "panel " + (popup ? "popup" : "slide " + config.position),
        role: "dialog",
        "aria-modal": popup ? "true" : "false",
        "aria-labelledby": "cx-title",
        lang: config.language,
      },
      [closeButton, title, survey.intro ? el("p", { text: survey.intro }) : null, form]
    );
    if (popup) root.appendChild(el("div", { class: "backdrop", "aria-hidden": "true" }));
    root.appendChild(panel);

    function showErrors(messages) {
      var first = null;
      blocks.forEach(function (b) {
        var message = messages["answers." + b.question.key];
        b.error.textContent = message || "";
        b.error.hidden = !message;
        if (message && !first) first = b.node.querySelector("button,input,textarea");
      });
      var general = messages[""] || messages.answers || messages.other;
      formError.textContent = general || "";
      formError.hidden = !general;
      if (first) first.focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = {};
      var missing = {};
      var any = false;
      blocks.forEach(function (b) {
        var value = b.read();
        if (value === null) {
          if (b.question.required) {
            missing["answers." + b.question.key] = texts.required;
            any = true;
          }
        } else {
          answers[b.question.key] = value;
        }
      });
      showErrors(missing);
      if (any) return;
      submit.disabled = true;
      submit.textContent = texts.sending;
      post("/responses", {
        answers: answers,
        language: config.language,
        page_url: w.location.href,
        visitor: visitor,
        ticket: ticket,
        idempotency_key: idempotencyKey,
      })
        .then(function (r) {
          return r.json().then(function (body) {
            return { status: r.status, body: body };
          });
        })
        .then(function (result) {
          if (result.status === 200 || result.status === 201) {
            var thanks = el("p", { role: "status", tabindex: "-1", text: survey.thank_you });
            form.replaceWith(thanks);
            thanks.focus();
            return;
          }
          var messages = {};
          (result.body.detail || []).forEach(function (item) {
            var key = /^answers\./.test(item.field) ? item.field : "other";
            messages[key] = messages[key] ? messages[key] + " " + item.msg : item.msg;
          });
          if (!Object.keys(messages).length) messages.other = texts.failed;
          showErrors(messages);
          submit.disabled = false;
          submit.textContent = texts.submit;
        })
        .catch(function () {
          showErrors({ other: texts.failed });
          submit.disabled = false;
          submit.textContent = texts.submit;
        });
    });

    closeButton.addEventListener("click", close);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      } else if (event.key === "Tab" && popup) {
        // A modal keeps the keyboard inside until it is closed.
        var focusable = panel.querySelectorAll("button:not([disabled]),input,textarea,[tabindex='-1']");
        var items = Array.prototype.filter.call(focusable, function (node) {
          return node.offsetParent !== null && node.getAttribute("tabindex") !== "-1";
        });
        if (!items.length) return;
        var first = items[0];
        var last = items[items.length - 1];
        var active = root.activeElement;
        if (event.shiftKey && (active === first || active === title)) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && active === last) {
          event.preventDefault();
          first.focus();
        }
      }
    });

    state.host = host;
    state.returnFocus = returnFocus;
    d.body.appendChild(host);
    title.focus();
  }

  function close() {
    if (!state.host) return;
    state.host.remove();
    state.host = null;
    state.done = true;
    var back = state.returnFocus;
    if (back && back.focus && d.contains(back)) back.focus();
  }

  // Calls made before the script arrived (the snippet's queue) run now, in order.
  for (var i = 0; i < queue.length; i++) command(queue[i][0], queue[i][1]);
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", load);
  else load();
})(__CXLOOP_WIDGET_SETTINGS__);
