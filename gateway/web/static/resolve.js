// Keying an order in beside its source (the document page). Without this script the form still
// works, only without marked regions: "Mark" beside a field arms it, and a box dragged on a PDF
// page is then stored in the field's hidden region input as "page:x0,y0,x1,y1", fractions of the
// page image (the server turns them into the page's points, as the readers' boxes are). "Add a
// line" adds a row to the lines table.
(function () {
  "use strict";

  var armed = null; // the name of the field the next box is for
  var drag = null; // { figure, svg, rect, x0, y0, page }

  function pageOf(figure) {
    var img = figure.querySelector("img[data-testid=pdf-page]");
    var found = img ? /\/pages\/(\d+)\.png/.exec(img.getAttribute("src")) : null;
    return found ? parseInt(found[1], 10) : null;
  }

  function pointAt(svg, event) {
    var box = svg.getBoundingClientRect();
    var view = svg.viewBox.baseVal;
    return {
      x: Math.min(Math.max(((event.clientX - box.left) / box.width) * view.width, 0), view.width),
      y: Math.min(Math.max(((event.clientY - box.top) / box.height) * view.height, 0), view.height),
    };
  }

  function setArmed(name) {
    armed = name;
    var buttons = document.querySelectorAll("button[data-mark]");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].classList.toggle("is-armed", buttons[i].getAttribute("data-mark") === name);
    }
    document.body.classList.toggle("is-marking", name !== null);
  }

  document.addEventListener("click", function (event) {
    var mark = event.target.closest ? event.target.closest("button[data-mark]") : null;
    if (mark) {
      event.preventDefault();
      var name = mark.getAttribute("data-mark");
      setArmed(armed === name ? null : name);
      var first = document.querySelector(".pdf-page");
      if (armed && first) {
        first.scrollIntoView({ block: "nearest" });
      }
      return;
    }
    var add = event.target.closest ? event.target.closest("[data-add-keyed-line]") : null;
    if (add) {
      event.preventDefault();
      var body = document.querySelector("[data-testid=keyed-lines] tbody");
      var rows = body.querySelectorAll("tr[data-index]");
      var last = rows[rows.length - 1];
      var index = rows.length;
      var copy = last.cloneNode(true);
      copy.setAttribute("data-index", String(index));
      var fields = copy.querySelectorAll("[name], [data-mark], [data-keyed], [data-region-for]");
      for (var i = 0; i < fields.length; i += 1) {
        ["name", "data-mark", "data-keyed", "data-region-for", "data-testid"].forEach(function (attr) {
          var value = fields[i].getAttribute(attr);
          if (value) {
            fields[i].setAttribute(attr, value.replace(/line-\d+-/, "line-" + index + "-"));
          }
        });
        if (fields[i].value !== undefined && fields[i].tagName !== "BUTTON") {
          fields[i].value = "";
        }
        fields[i].classList.remove("is-marked");
      }
      body.appendChild(copy);
    }
  });

  document.addEventListener("mousedown", function (event) {
    if (!armed || event.button !== 0) {
      return;
    }
    var figure = event.target.closest ? event.target.closest(".pdf-page") : null;
    var svg = figure ? figure.querySelector("svg.boxes") : null;
    var page = figure ? pageOf(figure) : null;
    if (!svg || !page) {
      return;
    }
    event.preventDefault();
    var start = pointAt(svg, event);
    var rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    rect.setAttribute("class", "keyed-mark");
    rect.setAttribute("data-testid", "keyed-mark");
    rect.setAttribute("data-for", armed);
    rect.setAttribute("x", start.x);
    rect.setAttribute("y", start.y);
    rect.setAttribute("width", 0);
    rect.setAttribute("height", 0);
    svg.appendChild(rect);
    drag = { svg: svg, rect: rect, x0: start.x, y0: start.y, page: page, name: armed };
  });

  document.addEventListener("mousemove", function (event) {
    if (!drag) {
      return;
    }
    var at = pointAt(drag.svg, event);
    drag.rect.setAttribute("x", Math.min(at.x, drag.x0));
    drag.rect.setAttribute("y", Math.min(at.y, drag.y0));
    drag.rect.setAttribute("width", Math.abs(at.x - drag.x0));
    drag.rect.setAttribute("height", Math.abs(at.y - drag.y0));
  });

  document.addEventListener("mouseup", function (event) {
    if (!drag) {
      return;
    }
    var at = pointAt(drag.svg, event);
    var x0 = Math.min(at.x, drag.x0), x1 = Math.max(at.x, drag.x0);
    var y0 = Math.min(at.y, drag.y0), y1 = Math.max(at.y, drag.y0);
    var name = drag.name;
    if (x1 - x0 < 1 || y1 - y0 < 1) {
      drag.rect.parentNode.removeChild(drag.rect); // a click, not a box
    } else {
      var old = document.querySelectorAll("rect.keyed-mark[data-for='" + name + "']");
      for (var i = 0; i < old.length; i += 1) {
        if (old[i] !== drag.rect) {
          old[i].parentNode.removeChild(old[i]);
        }
      }
      var input = document.querySelector("input[data-region-for='" + name + "']");
      var view = drag.svg.viewBox.baseVal;
      var fractions = [x0 / view.width, y0 / view.height, x1 / view.width, y1 / view.height];
      input.value = drag.page + ":" + fractions.map(function (v) { return v.toFixed(5); }).join(",");
      var button = document.querySelector("button[data-mark='" + name + "']");
      button.classList.add("is-marked");
      button.textContent = "Marked p." + drag.page;
      var field = document.querySelector("input[data-keyed='" + name + "']");
      if (field) {
        field.focus();
      }
    }
    drag = null;
    setArmed(null);
  });
})();
