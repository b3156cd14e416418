// Local times: the server writes every time in UTC (app/moments.py); this shows each in the
// reader's own zone, 24-hour, to the second, with the zone's abbreviation. The UTC text stays
// in the title, so it is one hover away. A <time> without "T" in its datetime is a calendar day
// and is left alone: shifting it would move it to another day.
(function () {
  "use strict";

  var format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23", timeZoneName: "short", calendar: "gregory", numberingSystem: "latn"
  });

  function parts(date) {
    var out = {};
    format.formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  function localText(time) {
    var date = new Date(time.getAttribute("datetime"));
    if (isNaN(date.getTime())) { return null; }
    var p = parts(date);
    var day = p.year + "-" + p.month + "-" + p.day;
    if (time.dataset.show === "date") { return day; }
    return day + " " + p.hour + ":" + p.minute + ":" + p.second + " " + p.timeZoneName;
  }

  document.querySelectorAll("time[datetime*='T']").forEach(function (time) {
    var text = localText(time);
    if (text !== null) { time.textContent = text; }
  });
})();
