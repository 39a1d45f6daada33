// The order desk's script. Everything works without it; it adds: clicking a field ([data-source])
// scrolls the original document to where the value came from and flashes it; forms with
// data-confirm ask before they are sent; and the PDF viewer below (zoom, pan, hover, OCR words).
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-source]") : null;
    if (!link) {
      return;
    }
    var target = document.getElementById(link.getAttribute("data-source"));
    if (!target) {
      return;
    }
    event.preventDefault();
    target.scrollIntoView({ behavior: "smooth", block: "center", inline: "nearest" });
    var previous = document.querySelectorAll(".is-pointed");
    for (var i = 0; i < previous.length; i += 1) {
      previous[i].classList.remove("is-pointed");
    }
    target.classList.add("is-pointed");
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + target.id);
    }
  });

  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) {
      return; // htmx sends it (a boosted form), and desk-keys.js asked on htmx:confirm
    }
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();

// The PDF viewer: the page fits the panel's width (zoom 100%); the buttons and Ctrl + wheel zoom
// around the middle or the pointer, and dragging a zoomed page pans it. A page drawn smaller than
// it is shown is fetched again drawn sharp (data-sharp). Hovering a field lights its box, and
// hovering a box lights its field; clicking a box goes to its field. "OCR words" draws the words
// OCR read over a scanned page. The zoom is remembered in this browser.
(function () {
  "use strict";

  var STEPS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4];
  var KEY = "desk.pdf-zoom";
  var SVG = "http://www.w3.org/2000/svg";
  var LOW = 0.8;

  function remembered() {
    try {
      var zoom = parseFloat(window.localStorage.getItem(KEY));
      return zoom >= STEPS[0] && zoom <= STEPS[STEPS.length - 1] ? zoom : 1;
    } catch (error) {
      return 1;
    }
  }

  function remember(zoom) {
    try {
      window.localStorage.setItem(KEY, String(zoom));
    } catch (error) {
      // private mode: the zoom is not kept
    }
  }

  function setup(viewer) {
    var pages = viewer.querySelector("[data-pages]");
    var tools = viewer.querySelector(".pdf-tools");
    var level = viewer.querySelector("[data-zoom-level]");
    var status = viewer.querySelector("[data-ocr-status]");
    if (!pages || !tools) {
      return;
    }
    tools.hidden = false;
    var zoom = 1;

    function sharpen() {
      var ratio = window.devicePixelRatio || 1;
      var images = pages.querySelectorAll("img[data-sharp]");
      for (var i = 0; i < images.length; i += 1) {
        var image = images[i];
        if (image.naturalWidth && image.clientWidth * ratio > image.naturalWidth * 1.1) {
          image.src = image.getAttribute("data-sharp");
          image.removeAttribute("data-sharp");
        }
      }
    }

    function apply(next, x, y) {
      next = Math.min(Math.max(next, STEPS[0]), STEPS[STEPS.length - 1]);
      if (x === undefined) {
        x = pages.clientWidth / 2;
        y = pages.clientHeight / 2;
      }
      var ratio = next / zoom;
      var left = (pages.scrollLeft + x) * ratio - x;
      var top = (pages.scrollTop + y) * ratio - y;
      zoom = next;
      pages.style.setProperty("--zoom", String(zoom));
      pages.scrollLeft = Math.max(0, left);
      pages.scrollTop = Math.max(0, top);
      if (level) {
        level.textContent = Math.round(zoom * 100) + "%";
      }
      viewer.classList.toggle("zoomed", zoom > 1);
      remember(zoom);
      sharpen();
    }

    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (!button) {
        return;
      }
      var how = button.getAttribute("data-zoom");
      var next = 1;
      if (how === "in") {
        next = STEPS.filter(function (step) { return step > zoom + 0.001; })[0] || zoom;
      } else if (how === "out") {
        var lower = STEPS.filter(function (step) { return step < zoom - 0.001; });
        next = lower.length ? lower[lower.length - 1] : zoom;
      }
      apply(next);
    });

    pages.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && !event.metaKey) {
        return;
      }
      event.preventDefault();
      var rect = pages.getBoundingClientRect();
      apply(zoom * (event.deltaY < 0 ? 1.15 : 1 / 1.15), event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });

    var drag = null;
    pages.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || zoom <= 1 || event.target.closest("a, button")) {
        return;
      }
      drag = { x: event.clientX, y: event.clientY, left: pages.scrollLeft, top: pages.scrollTop, moved: false };
    });
    pages.addEventListener("pointermove", function (event) {
      if (!drag) {
        return;
      }
      var dx = event.clientX - drag.x;
      var dy = event.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) > 4) {
        drag.moved = true;
        viewer.classList.add("panning");
        pages.setPointerCapture(event.pointerId);
      }
      if (drag.moved) {
        pages.scrollLeft = drag.left - dx;
        pages.scrollTop = drag.top - dy;
      }
    });
    function endDrag(event) {
      if (drag && drag.moved) {
        viewer.classList.remove("panning");
        viewer.setAttribute("data-dragged", "1");  // the click that ends a drag is not a click on a box
        if (pages.hasPointerCapture(event.pointerId)) {
          pages.releasePointerCapture(event.pointerId);
        }
      }
      drag = null;
    }
    pages.addEventListener("pointerup", endDrag);
    pages.addEventListener("pointercancel", endDrag);

    var images = pages.querySelectorAll("img");
    for (var i = 0; i < images.length; i += 1) {
      images[i].addEventListener("load", sharpen);
    }
    window.addEventListener("resize", sharpen);

    var toggle = tools.querySelector("[data-ocr-toggle]");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var on = toggle.getAttribute("aria-pressed") !== "true";
        toggle.setAttribute("aria-pressed", on ? "true" : "false");
        viewer.classList.toggle("ocr-on", on);
        if (on) {
          showWords(pages, status);
        }
      });
    }
    apply(remembered());
  }

  function say(status, text) {
    if (!status) {
      return;
    }
    status.textContent = text;
    status.hidden = !text;
  }

  function showWords(pages, status) {
    var scanned = pages.querySelectorAll(".page-image[data-scanned]");
    var waiting = 0;
    var problems = [];
    for (var i = 0; i < scanned.length; i += 1) {
      var holder = scanned[i];
      if (holder.getAttribute("data-words-state")) {
        continue;
      }
      holder.setAttribute("data-words-state", "reading");
      waiting += 1;
      read(holder);
    }
    if (waiting) {
      say(status, "Reading the scanned page" + (waiting > 1 ? "s" : "") + " with OCR…");
    }

    function read(holder) {
      window.fetch(holder.getAttribute("data-words"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (answer.problem) {
            problems.push("Page " + answer.page + ": " + answer.problem.message);
          } else {
            draw(holder, answer.words);
          }
          holder.setAttribute("data-words-state", "done");
        })
        .catch(function () {
          problems.push("The OCR words could not be fetched.");
          holder.removeAttribute("data-words-state");
        })
        .then(function () {
          waiting -= 1;
          if (!waiting) {
            say(status, problems.join(" "));
          }
        });
    }
  }

  function draw(holder, words) {
    var svg = holder.querySelector("svg.boxes");
    if (!svg) {
      return;
    }
    var box = svg.viewBox.baseVal;
    var group = document.createElementNS(SVG, "g");
    group.setAttribute("class", "ocr-words");
    group.setAttribute("data-testid", "ocr-words");
    words.forEach(function (word) {
      var x = word.left * box.width / 100;
      var y = word.top * box.height / 100;
      var width = word.width * box.width / 100;
      var height = word.height * box.height / 100;
      var low = word.confidence < LOW ? " low" : "";
      var rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("class", "ocr-word" + low);
      rect.setAttribute("data-testid", "ocr-word");
      rect.setAttribute("x", x);
      rect.setAttribute("y", y);
      rect.setAttribute("width", width);
      rect.setAttribute("height", height);
      var title = document.createElementNS(SVG, "title");
      title.textContent = word.text + " (" + Math.round(word.confidence * 100) + "%)";
      rect.appendChild(title);
      var text = document.createElementNS(SVG, "text");
      text.setAttribute("class", low.trim());
      text.setAttribute("x", x);
      text.setAttribute("y", y + height * 0.82);
      text.setAttribute("font-size", height * 0.9);
      text.setAttribute("textLength", width);
      text.setAttribute("lengthAdjust", "spacingAndGlyphs");
      text.textContent = word.text;
      group.appendChild(rect);
      group.appendChild(text);
    });
    svg.insertBefore(group, svg.firstChild);
  }

  // Hovering a field lights the place it came from, and hovering a place lights its fields.
  var lit = [];
  function light(elements) {
    lit.forEach(function (element) { element.classList.remove("is-lit"); });
    lit = elements;
    lit.forEach(function (element) { element.classList.add("is-lit"); });
  }

  function fieldsOf(place) {
    var selector = "[data-source=\"" + (window.CSS && CSS.escape ? CSS.escape(place.id) : place.id) + "\"]";
    return Array.prototype.slice.call(document.querySelectorAll(selector));
  }

  function placeOf(target) {
    return target.closest ? target.closest("[data-testid=highlight][id], li.hl[id], li.x12-error[id]") : null;
  }

  document.addEventListener("mouseover", function (event) {
    var target = event.target;
    var link = target.closest ? target.closest("[data-source]") : null;
    if (link) {
      var place = document.getElementById(link.getAttribute("data-source"));
      light(place ? [link, place] : [link]);
      return;
    }
    var found = placeOf(target);
    light(found ? [found].concat(fieldsOf(found)) : []);
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    var viewer = target.closest ? target.closest("[data-viewer]") : null;
    if (viewer && viewer.getAttribute("data-dragged")) {
      viewer.removeAttribute("data-dragged");
      return;
    }
    if (target.closest("[data-source], a, button")) {
      return;
    }
    var place = placeOf(target);
    var fields = place ? fieldsOf(place) : [];
    if (!fields.length) {
      return;
    }
    var field = fields[0];
    field.scrollIntoView({ behavior: "smooth", block: "center", inline: "nearest" });
    var previous = document.querySelectorAll(".is-pointed");
    for (var i = 0; i < previous.length; i += 1) {
      previous[i].classList.remove("is-pointed");
    }
    field.classList.add("is-pointed");
  });

  var viewers = document.querySelectorAll("[data-viewer]");
  for (var i = 0; i < viewers.length; i += 1) {
    setup(viewers[i]);
  }
})();
