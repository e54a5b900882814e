#!/usr/bin/env python3
# vga-cells.py SCREEN.ppm [CELL_W CELL_H] - what the text console in a
# screendump (qemu's screendump, binary PPM) has drawn where, without
# reading the letters: the first line is COLSxROWS, then one line per text
# row with '#' for a cell that holds more than one colour (a character)
# and ' ' for a cell of one colour (a space, in any colour, reversed or
# not), trailing spaces left out.  A text written as the screen must show
# it gives the same grid with every character but the space made '#'
# (sed 's/[^ ]/#/g'), so stale or missing text in any cell shows in a
# diff.  The cell is 8x16 (the Linux console's VGA font) unless given.
import sys


def read_ppm(path):
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        sys.exit("vga-cells: %s: not a binary PPM with 8-bit colours" % path)
    w, h = int(fields[1]), int(fields[2])
    pix = data[pos + 1:]
    if len(pix) < w * h * 3:
        sys.exit("vga-cells: %s: short (%d bytes of pixels for %dx%d)" % (path, len(pix), w, h))
    return w, h, pix


def main():
    if len(sys.argv) not in (2, 4):
        sys.exit("usage: vga-cells.py SCREEN.ppm [CELL_W CELL_H]")
    cw, ch = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) == 4 else (8, 16)
    w, h, pix = read_ppm(sys.argv[1])
    if w % cw or h % ch:
        sys.exit("vga-cells: %dx%d is no whole number of %dx%d cells" % (w, h, cw, ch))
    cols, rows = w // cw, h // ch
    stride, cb = w * 3, cw * 3
    print("%dx%d" % (cols, rows))
    for r in range(rows):
        line = []
        for c in range(cols):
            x0 = c * cb
            first = pix[r * ch * stride + x0:r * ch * stride + x0 + 3]
            flat = first * cw
            one = all(pix[(r * ch + y) * stride + x0:(r * ch + y) * stride + x0 + cb] == flat
                      for y in range(ch))
            line.append(" " if one else "#")
        print("".join(line).rstrip())


main()
