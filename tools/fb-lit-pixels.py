#!/usr/bin/env python3
"""Counts the pixels of the hypervisor's console colour (hv/console/fbcon.c: pale green
E0 FF E0, which firmware text never uses) in the top rows of a QEMU
screendump (binary PPM).
usage: fb-lit-pixels.py FILE.ppm [ROWS]   prints the count"""
import sys

data = open(sys.argv[1], "rb").read()
magic, dims, maxval, pixels = data.split(b"\n", 3)
if magic != b"P6" or maxval != b"255":
    sys.exit("fb-lit-pixels: not a binary 8-bit PPM")
width, height = map(int, dims.split())
rows = min(int(sys.argv[2]) if len(sys.argv) > 2 else 40, height)
lit = sum(1 for i in range(0, rows * width * 3, 3) if pixels[i:i + 3] == b"\xe0\xff\xe0")
print(lit)
