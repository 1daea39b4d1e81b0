// Herald: progressive citation popovers. Without JS, CSS shows passages on hover and focus.
(function () {
  "use strict";
  function closeAll(except) {
    document.querySelectorAll(".cite.open").forEach(function (el) {
      if (el !== except) { el.classList.remove("open"); }
    });
  }
  // A passage that would run past the right edge moves left just enough, never past the
  // left edge (on a phone a citation near the middle of a line has room on neither side).
  function place(cite) {
    var pop = cite.querySelector(".cite-pop");
    if (!pop) { return; }
    pop.style.left = "";
    var rect = pop.getBoundingClientRect();
    if (rect.width === 0) { return; }  // not shown
    var margin = 8;
    var over = rect.right - (window.innerWidth - margin);
    if (over > 0) {
      pop.style.left = -Math.max(0, Math.min(over, rect.left - margin)) + "px";
    }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".cite-link") : null;
    if (!link) { closeAll(null); return; }
    var cite = link.parentElement;
    if (!cite.classList.contains("open")) {
      event.preventDefault();  // first click shows the passage, a second opens the source
      closeAll(cite);
      cite.classList.add("open");
      place(cite);
    }
  });
  document.addEventListener("mouseover", function (event) {
    var cite = event.target.closest ? event.target.closest(".cite") : null;
    if (cite) { place(cite); }
  });
  document.addEventListener("focusin", function (event) {
    var cite = event.target.closest ? event.target.closest(".cite") : null;
    if (cite) { place(cite); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeAll(null); }
  });
})();

// Story page (web/newsroom.py): citations as disclosures. Each citation link reports whether
// its passage is shown (aria-expanded), on hover, focus, click or tap; Escape hides it even
// while the link keeps focus or the pointer rests on it.
(function () {
  "use strict";
  function shown(cite) {
    var pop = cite.querySelector(".cite-pop");
    return !!pop && window.getComputedStyle(pop).display !== "none";
  }
  function sync() {
    document.querySelectorAll(".cite").forEach(function (cite) {
      var link = cite.querySelector(".cite-link");
      if (link) { link.setAttribute("aria-expanded", shown(cite) ? "true" : "false"); }
    });
  }
  function later() { window.setTimeout(sync, 0); }
  function citeOf(node) { return node && node.closest ? node.closest(".cite") : null; }
  document.querySelectorAll(".cite-link").forEach(function (link) {
    var target = link.getAttribute("aria-describedby");
    if (target) { link.setAttribute("aria-controls", target); }
    link.setAttribute("aria-expanded", "false");
  });
  document.addEventListener("click", function (event) {
    var cite = citeOf(event.target);
    if (cite) { cite.classList.remove("dismissed"); }
    later();
  });
  document.addEventListener("focusin", later);
  document.addEventListener("focusout", function (event) {
    var cite = citeOf(event.target);
    if (cite && !cite.contains(event.relatedTarget)) { cite.classList.remove("dismissed"); }
    later();
  });
  document.addEventListener("mouseover", later);
  document.addEventListener("mouseout", function (event) {
    var cite = citeOf(event.target);
    if (cite && !cite.contains(event.relatedTarget)) { cite.classList.remove("dismissed"); }
    later();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll(".cite").forEach(function (cite) {
      if (shown(cite)) { cite.classList.add("dismissed"); }
    });
    later();
  });
})();

// The learning feed (web/reader_routes.py): reading signals from story pages, "Show less like
// this" and "Hide this story" without a reload, the onboarding outlet filter, and infinite
// scroll over the plain pages. Without JS every one of these is a plain form or link.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="herald-csrf"]');
  var token = meta ? meta.getAttribute("content") : "";

  function say(message) {
    var status = document.getElementById("feed-status");
    if (status) { status.textContent = message; }
  }

  // Signals: JSON to /signals with the CSRF token in a header; on the way out of the page
  // navigator.sendBeacon, which cannot set headers, carries the token in its body.
  function signal(payload, leaving) {
    if (!token) { return; }
    if (leaving && navigator.sendBeacon) {
      var withToken = { story: payload.story, kind: payload.kind, value: payload.value, csrf: token };
      if (navigator.sendBeacon("/signals", JSON.stringify(withToken))) { return; }
    }
    if (!window.fetch) { return; }
    window.fetch("/signals", {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(payload)
    }).catch(function () { /* a lost signal is harmless */ });
  }

  function trackStory(article, id) {
    var seconds = 0;
    var since = document.visibilityState === "visible" ? Date.now() : 0;
    function pause() {
      if (since) { seconds += (Date.now() - since) / 1000; since = 0; }
    }
    function flush() {
      pause();
      if (seconds >= 2) {
        signal({ story: id, kind: "read", value: Math.round(seconds * 10) / 10 }, true);
      }
      seconds = 0;
    }
    signal({ story: id, kind: "open", value: 1 }, false);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { flush(); } else { since = Date.now(); }
    });
    window.addEventListener("pagehide", flush);
    window.addEventListener("pageshow", function (event) {
      if (event.persisted && document.visibilityState === "visible") { since = Date.now(); }
    });
    // Following a source out of the story (a citation's second click, or the coverage list).
    document.addEventListener("click", function (event) {
      if (event.defaultPrevented) { return; }
      var link = event.target.closest ? event.target.closest("a[href]") : null;
      if (!link || !article.contains(link) || !/^https?:$/.test(link.protocol)) { return; }
      if (link.host === window.location.host) { return; }
      signal({ story: id, kind: "citation", value: 1 }, false);
    });
  }

  var storyPath = /^\/stories\/(\d+)$/.exec(window.location.pathname);
  var article = document.querySelector("article.story");
  if (storyPath && article) { trackStory(article, Number(storyPath[1])); }

  // "Show less like this" and "Hide this story": post in the background, remove the card,
  // move focus to the next card and say what happened. Any failure falls back to the form.
  function nextFocus(card) {
    var other = card.nextElementSibling || card.previousElementSibling;
    var link = other ? other.querySelector("h2 a") : null;
    if (link) { link.focus(); } else { document.getElementById("feed-status").focus(); }
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-feedback]") || !window.fetch) { return; }
    var card = form.closest("li.card");
    if (!card) { return; }
    event.preventDefault();
    window.fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: new URLSearchParams(new FormData(form))
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (result) {
      say(result.message);
      nextFocus(card);
      card.remove();
    }).catch(function () { form.submit(); });
  });

  // Onboarding: filter the outlets list as you type.
  var filter = document.getElementById("outlet-filter");
  if (filter) {
    filter.parentElement.hidden = false;
    filter.addEventListener("input", function () {
      var query = filter.value.trim().toLowerCase();
      document.querySelectorAll("#outlet-list li").forEach(function (item) {
        item.hidden = query !== "" && item.textContent.toLowerCase().indexOf(query) < 0;
      });
    });
  }

  // Infinite scroll: when the pager comes near, fetch the next page and append its cards;
  // the pager's links stay plain links to the pages.
  var list = document.querySelector("ol.cards");
  var pager = document.querySelector("nav.pager");
  if (!list || !pager || !("IntersectionObserver" in window) || !window.fetch) { return; }
  var loading = false;
  function near() {
    var box = pager.getBoundingClientRect();
    return box.top < window.innerHeight + 600;
  }
  function loadMore() {
    var next = pager.querySelector("a[rel=next]");
    if (!next || loading) { return; }
    loading = true;
    pager.setAttribute("aria-busy", "true");
    window.fetch(next.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      }).then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var added = 0;
        page.querySelectorAll("ol.cards > li.card").forEach(function (card) {
          if (!document.getElementById(card.id)) {
            list.appendChild(document.importNode(card, true));
            added += 1;
          }
        });
        var newPager = page.querySelector("nav.pager");
        if (newPager) { pager.innerHTML = newPager.innerHTML; }
        if (added) { say(added + " more stories loaded."); }
        loading = false;
        pager.removeAttribute("aria-busy");
        if (near()) { window.requestAnimationFrame(loadMore); }
      }).catch(function () {
        loading = false;
        pager.removeAttribute("aria-busy");
      });
  }
  new IntersectionObserver(function (entries) {
    if (entries.some(function (entry) { return entry.isIntersecting; })) { loadMore(); }
  }, { rootMargin: "0px 0px 600px 0px" }).observe(pager);
})();
