#!/usr/bin/env python3
"""Writes the BLE fuzzers' seed corpora (corpus/<target>/seed-N) from the values in the unit and
integration tests. Run from anywhere: python3 tests/ble/fuzz/make_corpus.py. The output is
committed."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def h(text):
    return bytes.fromhex(text.replace(" ", ""))


RACP = ["06 00 01 01", "06 00 01 06", "06 00 01 02", "05 00 2A 00", "06 00 04 01", "01 01",
        "06 01 01 01", "06 00 01"]

# Values from tests/devices/fuzz/make_corpus.py, by index into the fuzzer's characteristic list.
MEASUREMENTS = [
    (0, "1E 78 00 50 00 5D 00 E4 07 0B 1D 0A 0F 00 48 00 01 04 00"),
    (0, "00 78 00 50 00 5D 00"),
    (1, "04 96 00 FF 07 FF 07 46 00"),
    (2, "16 48 01 04 00 02"),
    (3, "03 62 00 40 00 E5 07 03 04 05 06 07 00 02"),
    (4, "1F 61 00 48 00 60 00 49 00 62 00 47 00 00 01 00 80 00 4B F0"),
    (5, "0E E2 36 EA 07 0C 1F 17 3B 3B 01 E5 00 D6 06"),
    (6, "06 6D 01 00 FF E4 07 0B 1D 0A 0F 00 03"),
    (7, "03 01 00 EA 07 0B 1D 07 1E 00 E2 FF 5F B0 11"),
    (8, "42 07 00 02 41 F0"),
]

IDENTIFIERS = ["00001810-0000-1000-8000-00805f9b34fb", "00001808-0000-1000-8000-00805F9B34FB",
               "0000180f-0000-1000-8000-00805f9b34fb", "12345678-1234-5678-1234-56789abcdef0",
               "C4:7C:8D:6A:12:34", "c4:7c:8d:6a:12:34", "C4-7C-8D-6A-12-34", "C4:7C:8D:6A:12"]


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for i, s in enumerate(seeds):
        with open(os.path.join(d, f"seed-{i}"), "wb") as f:
            f.write(s)


def notification(index, value):
    ms = 1795947302123  # 2026-11-29T10:15:02.123Z
    header = bytes([index]) + h("C4 7C 8D 6A 12 34") + bytes([0])
    header += struct.pack("<Q", ms)[:6] + struct.pack("<Q", ms + 1)[:7]
    return header + h(value)


write("racp_response", [h(s) for s in RACP])
write("ble_notification", [notification(i, v) for i, v in MEASUREMENTS])
write("ble_identifiers", [s.encode() for s in IDENTIFIERS])
