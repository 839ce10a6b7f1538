#!/usr/bin/env python3
"""Generate attnscope's heatmap colormaps (core/export/colormap_tables.h) in the Oklab space.

Each map is a path through Oklab (Björn Ottosson's perceptual space, 2020: sRGB -> linear ->
LMS -> cube root -> Lab, with the published matrices below), resampled so that equal steps in the
map are equal perceived steps (equal Oklab arc length). Nothing is copied from another colormap's
table; each path is built here from a few design points:

  viridis   sequential, dark violet -> blue -> teal -> green -> yellow. Lightness rises
            linearly (so the map reads in greyscale and for colour-blind readers); chroma and hue
            follow smooth curves (Catmull-Rom) through five design colours, the five-step swatches
            by which viridis is usually described (VIRIDIS_DESIGN below). Only their chroma and
            hue are used; the path, the lightness line and the spacing are computed here.
  magma     sequential, near black -> purple -> magenta-red -> orange -> pale yellow, built the
            same way from magma's five-step swatches (MAGMA_DESIGN).
  diverging blue -> near white -> red for signed data (ablation effects): both arms have the same
            lightness profile (linear from the centre to the ends) and a chroma that rises fast
            away from the centre, so +x and -x look equally strong. Its centre (t = 0.5) is an
            exact table entry, a neutral near-white.
  greys     sequential for print, light grey -> near black (high values dark, as on paper), with
            no chroma: Oklab lightness falls linearly from 0.93 to 0.15. Its low end stays a light
            grey, not white, so that masked cells (drawn white, as paper, with this map) stand
            apart.

Colours outside the sRGB gamut are brought in by lowering chroma at constant lightness and hue.

Usage: python3 models/tools/gen_colormaps.py   (writes core/export/colormap_tables.h; rerun after
changing a design point, then rebuild). --preview FILE.ppm also writes the bars as an image.
"""

import math
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "core", "export", "colormap_tables.h")
N = 257  # entries per table: odd, so that t = 0.5 is an entry (the diverging centre)


# --- Oklab <-> sRGB ---------------------------------------------------------------------------

def srgb_to_linear(c):
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def linear_to_srgb(c):
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def rgb_to_oklab(rgb):
    r, g, b = (srgb_to_linear(c) for c in rgb)
    l = 0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b
    m = 0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b
    s = 0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b
    l, m, s = (math.copysign(abs(x) ** (1 / 3), x) for x in (l, m, s))
    return (0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
            1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
            0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s)


def oklab_to_linear(lab):
    L, a, b = lab
    l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s = (L - 0.0894841775 * a - 1.2914855480 * b) ** 3
    return (4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
            -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
            -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s)


def lch_to_lab(L, C, h_deg):
    h = math.radians(h_deg)
    return (L, C * math.cos(h), C * math.sin(h))


def lab_to_lch(lab):
    L, a, b = lab
    return L, math.hypot(a, b), math.degrees(math.atan2(b, a)) % 360


def in_gamut(lab, eps=1e-6):
    return all(-eps <= c <= 1 + eps for c in oklab_to_linear(lab))


def gamut_clip(L, C, h):
    """The colour (L, C', h) with the largest C' <= C inside sRGB, as sRGB floats in [0, 1]."""
    if not in_gamut(lch_to_lab(L, C, h)):
        lo, hi = 0.0, C
        for _ in range(40):
            mid = (lo + hi) / 2
            if in_gamut(lch_to_lab(L, mid, h)):
                lo = mid
            else:
                hi = mid
        C = lo
    lin = oklab_to_linear(lch_to_lab(L, C, h))
    return tuple(min(1.0, max(0.0, linear_to_srgb(min(1.0, max(0.0, c))))) for c in lin)


def hex_lch(hex_colour):
    rgb = tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return lab_to_lch(rgb_to_oklab(rgb))


# --- paths --------------------------------------------------------------------------------------

def catmull_rom(values):
    """A smooth curve t -> y through values[i] at t = i / (len - 1) (uniform Catmull-Rom)."""
    n = len(values) - 1

    def curve(t):
        x = min(max(t, 0.0), 1.0) * n
        i = min(int(x), n - 1)
        u = x - i
        p0, p1, p2, p3 = (values[min(max(k, 0), n)] for k in (i - 1, i, i + 1, i + 2))
        if i == 0:
            p0 = 2 * p1 - p2  # reflect at the ends so the curve does not flatten there
        if i == n - 1:
            p3 = 2 * p2 - p1
        return 0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u * u +
                      (3 * p1 - p0 - 3 * p2 + p3) * u ** 3)
    return curve


def unwrap(h_from, h_to, direction):
    """h_to moved by whole turns so that going from h_from to it turns in `direction` (+1/-1)."""
    while direction > 0 and h_to < h_from:
        h_to += 360
    while direction < 0 and h_to > h_from:
        h_to -= 360
    return h_to


def sequential_path(design, direction):
    """t -> (L, C, h): L linear from the first design colour to the last (so the map reads in
    greyscale), chroma and hue on smooth curves through the design colours; the hue turns in
    `direction`."""
    lch = [hex_lch(c) for c in design]
    hues = [lch[0][2]]
    for _, _, h in lch[1:]:
        hues.append(unwrap(hues[-1], h, direction))
    chroma = catmull_rom([c for _, c, _ in lch])
    hue = catmull_rom(hues)
    L0, L1 = lch[0][0], lch[-1][0]
    return lambda t: (L0 + (L1 - L0) * t, max(0.0, chroma(t)), hue(t) % 360)


def diverging_path(low_hues, high_hues, end_L, end_C, mid_L):
    """t -> (L, C, h) for a diverging map; each arm's hue moves from (near-centre, end) hues."""
    def path(t):
        s = abs(2 * t - 1)  # 0 at the centre, 1 at either end
        L = mid_L + (end_L - mid_L) * s
        C = end_C * s ** 0.55
        near, far = low_hues if t < 0.5 else high_hues
        return (L, C, near + (far - near) * s)
    return path


def uniform_table(path, n=N, samples=4096):
    """n sRGB colours along `path`, spaced evenly by Oklab arc length (after gamut clipping)."""
    ts = [i / (samples - 1) for i in range(samples)]
    rgbs = [gamut_clip(*path(t)) for t in ts]
    labs = [rgb_to_oklab(c) for c in rgbs]
    arc = [0.0]
    for a, b in zip(labs, labs[1:]):
        arc.append(arc[-1] + math.dist(a, b))
    table, j = [], 0
    for i in range(n):
        target = arc[-1] * i / (n - 1)
        while j < samples - 2 and arc[j + 1] < target:
            j += 1
        span = arc[j + 1] - arc[j]
        f = 0.0 if span == 0 else min(1.0, max(0.0, (target - arc[j]) / span))
        t = ts[j] + (ts[j + 1] - ts[j]) * f
        table.append(tuple(round(255 * c) for c in gamut_clip(*path(t))))
    return table


def diverging_table():
    """Each arm resampled on its own, so that the centre entry is exactly the neutral colour."""
    path = diverging_path(low_hues=(245.0, 259.0), high_hues=(40.0, 25.0), end_L=0.40, end_C=0.145,
                          mid_L=0.97)
    half = N // 2
    low = uniform_table(lambda t: path(0.5 * t), n=half + 1)  # t in [0, 0.5], ends at neutral
    high = uniform_table(lambda t: path(0.5 + 0.5 * t), n=half + 1)  # starts at neutral
    return low + high[1:]


# Design colours at t = 0, 1/4, 1/2, 3/4, 1: the five-step swatches by which the two maps are
# usually described; only their chroma and hue are followed (lightness is a straight line).
VIRIDIS_DESIGN = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
MAGMA_DESIGN = ["#000004", "#51127c", "#b73779", "#fc8961", "#fcfdbf"]


def all_maps():
    """(name, table) in the order of attnscope's Colormap enum."""
    return [
        ("viridis", uniform_table(sequential_path(VIRIDIS_DESIGN, direction=-1))),
        ("magma", uniform_table(sequential_path(MAGMA_DESIGN, direction=+1))),
        ("diverging", diverging_table()),
        ("greys", uniform_table(lambda t: (0.93 - 0.78 * t, 0.0, 0.0))),
    ]


def write_header(maps):
    lines = [
        "// colormap_tables.h — GENERATED by models/tools/gen_colormaps.py. Do not edit: rerun the",
        "// script. 257 sRGB entries per map (t = i / 256), evenly spaced in perceived (Oklab) distance.",
        "#pragma once",
        "",
        "#include <cstdint>",
        "",
        "namespace attnscope::colormap_tables {",
        "",
        "// clang-format off",
    ]
    for name, table in maps:
        lines.append(f"inline constexpr std::uint8_t {name}[{len(table)}][3] = {{")
        for i in range(0, len(table), 8):
            row = " ".join(f"{{{r:3d},{g:3d},{b:3d}}}," for r, g, b in table[i:i + 8])
            lines.append("  " + row)
        lines.append("};")
    lines += ["// clang-format on", "", "}  // namespace attnscope::colormap_tables", ""]
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def write_preview(path, maps, width=512, bar_height=40):
    rows = []
    for _, table in maps:
        row = [table[min(len(table) - 1, x * len(table) // width)] for x in range(width)]
        rows += [row] * bar_height
    with open(path, "wb") as f:
        f.write(f"P6 {width} {len(rows)} 255\n".encode())
        f.write(bytes(c for row in rows for px in row for c in px))


def main():
    maps = all_maps()
    for name, table in maps:
        assert len(table) == N, (name, len(table))
    write_header(maps)
    print(f"wrote {os.path.relpath(OUT, ROOT)}")
    if len(sys.argv) == 3 and sys.argv[1] == "--preview":
        write_preview(sys.argv[2], maps)
        print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
