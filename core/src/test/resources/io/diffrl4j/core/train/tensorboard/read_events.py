"""Reads a TensorBoard event file with the Python standard library only and prints its events as JSON.

A second reader, independent of the Java code: TFRecord framing with both masked CRC32Cs checked
(CRC32C by table, below), then Event / Summary / Value / Image decoded from the protobuf wire format.
Scalars are printed as the bits of their float32 (so NaN and -0.0 compare exactly), images as size,
colorspace, length and SHA-256 of the PNG. Exits with status 1 and a message on stderr when a CRC
does not match or the file is malformed.

Usage: python3 read_events.py EVENT_FILE
"""
import hashlib
import json
import struct
import sys


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class Malformed(Exception):
    pass


def fields(buf):
    """Yields (field number, wire type, value) of a message; value is int, or bytes for length-delimited."""
    pos = 0

    def varint():
        nonlocal pos
        result, shift = 0, 0
        while True:
            if pos >= len(buf):
                raise Malformed("truncated varint")
            b = buf[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift >= 70:
                raise Malformed("varint too long")

    while pos < len(buf):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, wire, varint()
        elif wire == 1:
            yield number, wire, buf[pos:pos + 8]
            pos += 8
        elif wire == 2:
            n = varint()
            if pos + n > len(buf):
                raise Malformed("length-delimited field runs past the message")
            yield number, wire, buf[pos:pos + n]
            pos += n
        elif wire == 5:
            yield number, wire, buf[pos:pos + 4]
            pos += 4
        else:
            raise Malformed("wire type %d" % wire)


def int64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def image(buf):
    out = {}
    for number, _, v in fields(buf):
        if number == 1:
            out["height"] = v
        elif number == 2:
            out["width"] = v
        elif number == 3:
            out["colorspace"] = v
        elif number == 4:
            out["png_length"] = len(v)
            out["png_sha256"] = hashlib.sha256(v).hexdigest()
    return out


def value(buf):
    out = {}
    for number, _, v in fields(buf):
        if number == 1:
            out["tag"] = v.decode("utf-8")
        elif number == 2:
            out["simple_value_bits"] = struct.unpack("<I", v)[0]
        elif number == 4:
            out["image"] = image(v)
    return out


def event(buf):
    out = {"step": 0, "values": []}
    for number, _, v in fields(buf):
        if number == 1:
            out["wall_time"] = struct.unpack("<d", v)[0]
        elif number == 2:
            out["step"] = int64(v)
        elif number == 3:
            out["file_version"] = v.decode("utf-8")
        elif number == 5:
            out["values"] = [value(b) for n, _, b in fields(v) if n == 1]
    return out


def records(data):
    pos, index = 0, 0
    while pos < len(data):
        if len(data) - pos < 12:
            raise Malformed("record %d: torn header" % index)
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if masked(crc32c(header)) != length_crc:
            raise Malformed("record %d: length CRC mismatch" % index)
        pos += 12
        if pos + length + 4 > len(data):
            raise Malformed("record %d: torn data" % index)
        payload = data[pos:pos + length]
        (data_crc,) = struct.unpack("<I", data[pos + length:pos + length + 4])
        if masked(crc32c(payload)) != data_crc:
            raise Malformed("record %d: data CRC mismatch" % index)
        yield payload
        pos += length + 4
        index += 1


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    try:
        events = [event(r) for r in records(data)]
    except Malformed as e:
        print(str(e), file=sys.stderr)
        return 1
    json.dump({"events": events}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
