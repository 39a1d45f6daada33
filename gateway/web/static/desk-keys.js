// The order page in place, and its keys. Everything works without it (and without htmx).
//
// In place: the order's region (#order-region) boosts its forms with htmx (hx-boost), so a fix is
// answered with the order as it now stands and swapped in where the clerk is, the scroll kept.
// This file keeps that honest: a link that leaves this order is followed as a normal page load; an
// answer that is not the order page (an error page, the login page) is loaded as a page; a form
// with data-confirm asks first; a link to a finding scrolls to it once swapped in.
//
// Keys on the order page (not while typing, not with Ctrl/Alt/Meta):
//   n  next order in the queue       p  previous order in the queue
//   a  approve                       f  focus the next finding that holds the order
(function () {
  "use strict";

  var REGION = "order-region";

  function orderPath() {
    var region = document.getElementById(REGION);
    return region ? "/orders/" + region.getAttribute("data-order-id") : null;
  }

  // -- in place ---------------------------------------------------------------------------

  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var form = elt && elt.closest ? elt.closest("form[data-confirm]") : null;
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.tagName !== "A") {
      return;
    }
    var url = new URL(elt.href, window.location.href);
    if (url.pathname !== orderPath()) {
      event.preventDefault(); // another page: load it as a page
      window.location.assign(url.href);
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseText.indexOf('id="' + REGION + '"') === -1 && !xhr.getResponseHeader("HX-Redirect")) {
      event.detail.shouldSwap = false; // not the order page: show what the server answered as a page
      window.location.assign(xhr.responseURL || window.location.href);
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    // messages of the page's first load are old now; the answer carries its own in the region
    var old = document.querySelectorAll("main > .messages");
    for (var i = 0; i < old.length; i += 1) {
      old[i].parentNode.removeChild(old[i]);
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var path = event.detail.requestConfig ? event.detail.requestConfig.path : "";
    var hash = path && path.indexOf("#") !== -1 ? path.slice(path.indexOf("#") + 1) : "";
    var target = hash ? document.getElementById(hash) : null;
    if (target) {
      target.scrollIntoView({ block: "center" });
    }
  });

  // -- keys -------------------------------------------------------------------------------

  function typing(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function follow(testid) {
    var link = document.querySelector('[data-testid="' + testid + '"]');
    if (link) {
      window.location.assign(link.href);
    }
  }

  function nextFinding() {
    var findings = document.querySelectorAll("#" + REGION + " .finding.hold, #" + REGION + " .finding.reject");
    if (!findings.length) {
      return;
    }
    var active = document.activeElement;
    var current = active && active.closest ? active.closest(".finding") : null;
    var next = null;
    for (var i = 0; i < findings.length && !next; i += 1) {
      var after = current
        ? current.compareDocumentPosition(findings[i]) & Node.DOCUMENT_POSITION_FOLLOWING
        : findings[i].getBoundingClientRect().top > 0;
      if (after) {
        next = findings[i];
      }
    }
    next = next || findings[0]; // past the last: round again
    var pointed = document.querySelectorAll(".finding.is-pointed");
    for (var j = 0; j < pointed.length; j += 1) {
      pointed[j].classList.remove("is-pointed");
    }
    next.setAttribute("tabindex", "-1");
    next.classList.add("is-pointed");
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: "center" });
  }

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById(REGION) || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) {
      return;
    }
    var approve = document.getElementById("approve");
    switch (event.key) {
      case "n":
        follow("queue-next");
        break;
      case "p":
        follow("queue-previous");
        break;
      case "a":
        if (!approve) {
          return;
        }
        approve.click();
        break;
      case "f":
        nextFinding();
        break;
      default:
        return;
    }
    event.preventDefault();
  });
})();
