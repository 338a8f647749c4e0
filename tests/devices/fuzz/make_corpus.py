#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (corpus/<target>/seed-N) from the values in the unit tests.

Run from anywhere: python3 tests/devices/fuzz/make_corpus.py. The output is committed."""
import base64
import os

HERE = os.path.dirname(os.path.abspath(__file__))

GATT = {
    "blood_pressure": ["1E 78 00 50 00 5D 00 E4 07 0B 1D 0A 0F 00 48 00 01 04 00",
                       "00 78 00 50 00 5D 00", "01 A0 F0 6B F0 7C F0", "04 FF 07 00 08 FE 07 02 08"],
    "intermediate_cuff_pressure": ["04 96 00 FF 07 FF 07 46 00", "00 78 00 FF 07 FF 07"],
    "heart_rate": ["16 48 01 04 00 02", "00 48", "19 96 00 02 01 00 04 00 02", "06 48"],
    "plx_spot_check": ["03 62 00 40 00 E5 07 03 04 05 06 07 00 02",
                       "1F 61 00 48 00 EA 07 0B 1D 06 00 00 80 00 20 00 00 4B F0", "00 61 00 48 00"],
    "plx_continuous": ["1F 61 00 48 00 60 00 49 00 62 00 47 00 00 01 00 80 00 4B F0",
                       "00 61 00 48 00"],
    "weight": ["0E E2 36 EA 07 0C 1F 17 3B 3B 01 E5 00 D6 06", "00 E2 36", "01 80 3C", "00 FF FF",
               "0F 80 3C EA 07 01 02 07 08 09 02 E5 00 B1 02"],
    "temperature": ["06 6D 01 00 FF E4 07 0B 1D 0A 0F 00 03", "05 D1 03 00 FF 03", "00 6D 01 00 FF"],
    "glucose": ["03 01 00 EA 07 0B 1D 07 1E 00 E2 FF 5F B0 11",
                "1F 07 00 EA 07 0B 1D 07 1E 00 3C 00 35 C0 11 01 00", "00 07 00 EA 07 0B 1D 07 1E 00"],
    "glucose_context": ["42 07 00 02 41 F0",
                        "FF 07 00 00 01 05 E0 01 51 08 07 28 01 01 C0 41 F0", "00 07 00"],
    "date_time": ["E4 07 0B 1D 0A 0F 1E", "00 00 00 00 00 00 00"],
}

READINGS = [
    '{"v":1,"seq":1042,"sent":"2026-11-29T10:15:02Z","battery":87,"readings":['
    '{"kind":"blood_pressure","unit":"mm[Hg]","components":{"systolic":128,"diastolic":82,"mean":97},'
    '"time":"2026-11-29T11:14:55+01:00","seq":311,"user":1,"flags":["irregular_pulse"]},'
    '{"kind":"heart_rate","unit":"/min","value":64}],"ext":{"fw":"1.2.3"}}',
    '{"v":1,"seq":7,"readings":[{"kind":"body_temperature","unit":"[degF]","value":98.6,'
    '"time":"2026-11-29T08:00:00"}]}',
    '{"v":1,"seq":8,"readings":[{"kind":"glucose","unit":"mmol/L","value":5.5},'
    '{"kind":"body_weight","unit":"[lb_av]","value":154.88},{"kind":"spo2","unit":"%","value":97}]}',
]


def gatt_payload(uuid, hexbytes, seq):
    data = base64.b64encode(bytes.fromhex(hexbytes)).decode()
    return ('{"v":1,"seq":%d,"characteristic":"%s","data":"%s","address":"C4:7C:8D:6A:12:34",'
            '"address_type":"public","received":"2026-11-29T10:15:02.123Z"}' % (seq, uuid, data))


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for i, s in enumerate(seeds):
        with open(os.path.join(d, "seed-%d" % i), "wb") as f:
            f.write(s)


def main():
    for name, values in GATT.items():
        write("gatt_" + name, [bytes.fromhex(v) for v in values])
    write("payload_readings", [r.encode() for r in READINGS])
    write("payload_gatt", [gatt_payload("2A35", GATT["blood_pressure"][0], 1).encode(),
                           gatt_payload("00002a37-0000-1000-8000-00805f9b34fb", GATT["heart_rate"][0], 2).encode(),
                           gatt_payload("2A18", GATT["glucose"][1], 3).encode(),
                           gatt_payload("2A9D", GATT["weight"][0], 4).encode()])


if __name__ == "__main__":
    main()
