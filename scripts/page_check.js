// page_check.js — injected by scripts/check_page.sh into a test copy of a report page (the page
// itself runs no script): after load it lists every SVG text whose box leaves its SVG's viewport,
// every element that overflows a box that hides or scrolls it, and every script error, then writes
// the list (or "ok") between two markers at the end of the body, for --dump-dom to carry out.
(function () {
  var problems = [];
  window.addEventListener('error', function (e) { problems.push('error: ' + e.message); });
  function describe(el) {
    var s = (el.textContent || '').replace(/\s+/g, ' ').trim();
    return el.tagName.toLowerCase() + ' "' + s.slice(0, 60) + '"';
  }
  function check() {
    var svgs = document.querySelectorAll('svg');
    for (var i = 0; i < svgs.length; i++) {
      var svg = svgs[i], box = svg.getBoundingClientRect();
      var texts = svg.querySelectorAll('text');
      for (var k = 0; k < texts.length; k++) {
        var r = texts[k].getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
          problems.push('clipped svg text in svg #' + i + ' (' + (svg.getAttribute('aria-label') || '') + '): ' +
                        describe(texts[k]) + ' box [' + Math.round(r.left - box.left) + ',' +
                        Math.round(r.top - box.top) + ' .. ' + Math.round(r.right - box.left) + ',' +
                        Math.round(r.bottom - box.top) + '] viewport ' + Math.round(box.width) + 'x' +
                        Math.round(box.height));
      }
    }
    // A box that hides or scrolls what does not fit: the reader would not see all of it at once.
    var all = document.querySelectorAll('body *');
    for (var j = 0; j < all.length; j++) {
      var el = all[j], cs = getComputedStyle(el);
      if (el.closest('svg')) continue;
      var clips = cs.overflowX !== 'visible' || cs.overflowY !== 'visible';
      if (clips && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
        problems.push('overflowing ' + el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') +
                      ': content ' + el.scrollWidth + 'x' + el.scrollHeight + ' in ' + el.clientWidth + 'x' +
                      el.clientHeight);
    }
    if (document.documentElement.scrollWidth > window.innerWidth + 1)
      problems.push('page wider than the window: ' + document.documentElement.scrollWidth + ' > ' + window.innerWidth);
    var pre = document.createElement('pre');
    pre.id = 'tml-page-check';
    // the markers are built here so that the script's own text never matches them
    pre.textContent = 'TMLCHECK' + '-BEGIN\nheight=' + document.documentElement.scrollHeight + '\n' +
                      (problems.length ? problems.join('\n') : 'ok') + '\nTMLCHECK' + '-END';
    document.body.appendChild(pre);
  }
  window.addEventListener('load', check);
})();
