#!/usr/bin/env python3
"""Turns a `tmux capture-pane -e -p` capture (text with SGR colour codes) into an SVG picture.

Block and eighth-block glyphs become rectangles, so bars, sparklines and the pie look as they do
in a terminal; everything else is monospace text. Standard library only.
Usage: ansi2svg.py CAPTURE.ans OUT.svg [COLUMNS ROWS]
"""
import html
import re
import sys

# The 16 ANSI colours (xterm defaults), then the 256-colour cube and greys.
BASE = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
        "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]
FG, BG = "#d0d0d0", "#1c1c1c"
CW, CH, FONT = 8.4, 17.0, 14  # cell width and height, font size (px)


def color256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)


def parse(text):
    """Rows of cells (char, fg, bg, bold)."""
    rows = []
    fg, bg, bold, reverse = None, None, False, False
    for line in text.split("\n"):
        cells = []
        for token in re.split(r"(\x1b\[[0-9;]*m)", line):
            m = re.fullmatch(r"\x1b\[([0-9;]*)m", token)
            if not m:
                for ch in token:
                    f, b = (bg or BG, fg or FG) if reverse else (fg, bg)
                    cells.append((ch, f, b, bold))
                continue
            codes = [int(c) if c else 0 for c in m.group(1).split(";")]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg, bg, bold, reverse = None, None, False, False
                elif c == 1:
                    bold = True
                elif c == 22:
                    bold = False
                elif c == 7:
                    reverse = True
                elif c == 27:
                    reverse = False
                elif 30 <= c <= 37:
                    fg = BASE[c - 30]
                elif 90 <= c <= 97:
                    fg = BASE[c - 90 + 8]
                elif c == 39:
                    fg = None
                elif 40 <= c <= 47:
                    bg = BASE[c - 40]
                elif 100 <= c <= 107:
                    bg = BASE[c - 100 + 8]
                elif c == 49:
                    bg = None
                elif c in (38, 48) and i + 1 < len(codes):
                    if codes[i + 1] == 5 and i + 2 < len(codes):
                        value = color256(codes[i + 2])
                        i += 2
                    elif codes[i + 1] == 2 and i + 4 < len(codes):
                        value = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                        i += 4
                    else:
                        value = None
                    if c == 38:
                        fg = value
                    else:
                        bg = value
                i += 1
        rows.append(cells)
    return rows


# Glyphs drawn as rectangles: (x0, y0, x1, y1) as fractions of the cell.
SHAPES = {"█": (0, 0, 1, 1), "▀": (0, 0, 1, 0.5), "▄": (0, 0.5, 1, 1)}
for k, ch in enumerate("▁▂▃▄▅▆▇", start=1):
    SHAPES[ch] = (0, 1 - k / 8, 1, 1)
for k, ch in enumerate("▏▎▍▌▋▊▉", start=1):
    SHAPES[ch] = (0, 0, k / 8, 1)


def svg(rows, cols, nrows):
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="%d">'
           % (cols * CW, nrows * CH, FONT),
           '<rect width="100%%" height="100%%" fill="%s"/>' % BG]
    for y, cells in enumerate(rows[:nrows]):
        for x, (ch, f, b, bold) in enumerate(cells[:cols]):
            if b:
                out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>' % (x * CW, y * CH, CW + 0.2, CH + 0.2, b))
            if ch in SHAPES:
                x0, y0, x1, y1 = SHAPES[ch]
                out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                           % (x * CW + x0 * CW, y * CH + y0 * CH, (x1 - x0) * CW + 0.2, (y1 - y0) * CH + 0.2, f or FG))
            elif ch.strip():
                weight = ' font-weight="bold"' if bold else ""
                out.append('<text x="%.1f" y="%.1f" fill="%s"%s>%s</text>'
                           % (x * CW, y * CH + CH * 0.78, f or FG, weight, html.escape(ch)))
    out.append("</svg>")
    return "\n".join(out)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    rows = parse(open(src, encoding="utf-8").read().rstrip("\n"))
    cols = int(sys.argv[3]) if len(sys.argv) > 3 else max(len(r) for r in rows)
    nrows = int(sys.argv[4]) if len(sys.argv) > 4 else len(rows)
    open(dst, "w", encoding="utf-8").write(svg(rows, cols, nrows))


if __name__ == "__main__":
    main()
