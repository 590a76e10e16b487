#!/bin/sh
# check_page.sh PAGE.html OUTDIR — renders a report page in headless Chromium as a person would see
# it and checks it: no console message or script error, no SVG text outside its chart, nothing cut
# off by a box too small for it (scripts/page_check.js runs in a copy of the page; the page itself
# has no script). Writes OUTDIR/NAME.png (the whole page, for a person to look at) and prints the
# problems. Exit 0 ok, 1 problems found, 77 Chromium absent (callers skip), 2 usage.
set -u
[ $# -eq 2 ] || { echo "usage: check_page.sh PAGE.html OUTDIR" >&2; exit 2; }
page=$1; out=$2
chrome=""
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then chrome=$c; break; fi
done
[ -n "$chrome" ] || { echo "check_page: chromium not installed (apt-get install chromium)"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out" || exit 2
name=$(basename "$page" .html)
probe="$out/.$name.probe.html"
# the copy sits beside the page's own folder contents only by name; the page loads nothing anyway
awk -v f="$here/page_check.js" '
    !done && (i = index($0, "</body>")) > 0 {
        printf "%s<script>\n", substr($0, 1, i - 1)
        while ((getline l < f) > 0) print l
        printf "</script>%s\n", substr($0, i); done = 1; next
    } { print }' "$page" >"$probe"
flags="--headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars --enable-logging=stderr --v=0"
log="$out/$name.chromium.log"
abs=$(cd "$(dirname "$probe")" && pwd)/$(basename "$probe")
timeout 120 $chrome $flags --window-size=1400,1000 --virtual-time-budget=5000 --dump-dom "file://$abs" \
    >"$out/$name.dom.html" 2>"$log" || { echo "check_page: chromium failed on $page (see $log)"; exit 1; }
result=$(sed -n '/TMLCHECK-BEGIN/,/TMLCHECK-END/p' "$out/$name.dom.html" | grep -v 'TMLCHECK-')
rm -f "$probe"
if [ -z "$result" ]; then echo "check_page: the check did not run in $page"; exit 1; fi
height=$(echo "$result" | sed -n 's/^height=//p' | head -1)
[ "${height:-0}" -gt 16000 ] && height=16000
[ "${height:-0}" -lt 600 ] && height=600
pabs=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
timeout 120 $chrome $flags --window-size=1400,"$height" --screenshot="$out/$name.png" "file://$pabs" \
    >/dev/null 2>>"$log" || { echo "check_page: screenshot failed for $page"; exit 1; }
bad=0
# the page has no script, so any console line is a load error or a script error in it
if grep -E 'Uncaught|:CONSOLE' "$log" | grep -v page_check >/dev/null; then
    grep -E 'Uncaught|:CONSOLE' "$log" | sed 's/^/console: /'
    bad=1
fi
echo "$result" | grep -v '^height=' | grep -v '^ok$' | sed 's/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g' >"$out/$name.problems"
if [ -s "$out/$name.problems" ]; then cat "$out/$name.problems"; bad=1; fi
[ $bad = 0 ] && echo "check_page: $page ok ($out/$name.png)"
exit $bad
