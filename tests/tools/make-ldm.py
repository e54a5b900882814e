#!/usr/bin/env python3
"""make-ldm.py - a synthetic Windows dynamic disk (MBR, partition type 0x42).

No tool on Linux makes dynamic disks, so this writes the Logical Disk
Manager's structures itself, as Windows lays them out (the layout read by
the Linux kernel's block/partitions/ldm.c and by libldm's ldmtool, which
the tests use to check this disk independently):

  sector 0        MBR: one partition of type 0x42 from sector 63 to the end
  sector 6        PRIVHEAD: disk GUID, disk group, data area, database
  last 1 MiB      the LDM database: TOCBLOCKs (database sectors 1, 2, 2045,
                  2046), PRIVHEAD copies (1856, 2047), the VMDB (sector 17)
                  and its VBLK records (128 bytes each)

The disk group "BootfixDg0" holds two disks (this one, "Disk1", and
"Disk2", absent) and two volumes:
  Volume1  simple: one partition (Disk1-01) on this disk, 1 MiB-aligned
  Volume2  mirror: Disk1-02 on this disk, Disk2-01 on the absent disk; its
           volume record spans two VBLK entries (a long id and a hint)

The image is all zeros but for these structures: the test formats Volume1
with mkntfs through a loop device over its extent (losetup --offset
--sizelimit) and fills it with scripts/fixture-lib.sh.

With --gpt the disk is a GPT dynamic disk instead (made by sfdisk): an "LDM
data" partition from 1 MiB on holds the volumes, an "LDM metadata"
partition of 1 MiB before the backup GPT is the database, its last sector
the PRIVHEAD (version 2.12); the volumes are the same.

usage: make-ldm.py FILE [--size MB] [--gpt] [--corrupt KIND] [--rewrite]
  --rewrite: write the structures over an existing disk of that size and
  leave its volumes' bytes as they are (to corrupt a filled disk)
  KIND: privhead-magic, vmdb-cut (the second piece of Volume2's record is
  missing), past-end (Volume1's partition runs past the disk's end),
  mbr-overlap (the data area starts at sector 0, over the MBR),
  count (the VMDB counts one volume more than there are)
Prints one line per volume: NAME KIND OFFSET LENGTH (bytes; 0 0 when no
extent of it can be used on this disk).
"""
import argparse
import struct
import subprocess
import sys

SECTOR = 512
CONFIG_SECTORS = 2048
DATA_START = 63
VBLK_SIZE = 128

DISK1_GUID = "8a2f6c14-3b7e-4d21-9c55-1e0f2a3b4c5d"
DISK2_GUID = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
GROUP_GUID = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"
HOST_GUID = "0c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f"
GROUP_NAME = b"BootfixDg0"


def num(v):
    """A variable-length number: a length byte, then big-endian bytes."""
    b = v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
    return bytes([len(b)]) + b


def vstr(s):
    if isinstance(s, str):
        s = s.encode()
    return bytes([len(s)]) + s


def guid_bytes(g):
    return bytes.fromhex(g.replace("-", ""))


def record(rtype, rev, flags, fields):
    """A record's head (status, flags, type/revision, size) and its fields."""
    return struct.pack(">HBBI", 0, flags, rev << 4 | rtype, len(fields)) + fields


def volume(oid, name, ncomps, size, number, flags=0, id1=None, hint=None):
    f = num(oid) + vstr(name) + vstr("gen") + vstr("8000000000000000")
    f += b"ACTIVE".ljust(14, b"\0")
    f += bytes([3, 0, number, 0, 0, 0, 0])      # gen, unknown, number, zeros, flags
    f += num(ncomps) + bytes(16) + num(size) + bytes(4) + bytes([0x07])
    f += guid_bytes("%08x-0000-4000-8000-%012x" % (oid, oid))
    if id1 is not None:
        flags |= 0x08
        f += vstr(id1)
    if hint is not None:
        flags |= 0x02
        f += vstr(hint)
    return record(1, 5, flags, f)


def component(oid, name, parent, nparts, ctype=2):
    f = num(oid) + vstr(name) + vstr("ACTIVE") + bytes([ctype]) + bytes(4)
    f += num(nparts) + bytes(16) + num(parent) + bytes(1)
    return record(2, 3, 0, f)


def partition(oid, name, start, size, parent, disk):
    f = num(oid) + vstr(name) + bytes(12) + struct.pack(">QQ", start, 0)
    f += num(size) + num(parent) + num(disk)
    return record(3, 3, 0, f)


def disk(oid, name, guid):
    f = num(oid) + vstr(name) + vstr(guid) + vstr("") + bytes(12)
    return record(4, 3, 0, f)


def group(oid):
    f = num(oid) + vstr(GROUP_NAME) + vstr(GROUP_GUID) + bytes(12)
    return record(5, 3, 0, f)


def entries(records):
    """Cut records into VBLK entries (a record longer than one spans several)."""
    out = []
    piece = VBLK_SIZE - 16
    for rid, rec in records:
        pieces = [rec[i:i + piece] for i in range(0, len(rec), piece)]
        for n, p in enumerate(pieces):
            out.append((rid, n, len(pieces), p.ljust(piece, b"\0")))
    return out


def privhead(disk_sectors, config_start, data_start, data_size, minor):
    ph = bytearray(SECTOR)
    ph[0:8] = b"PRIVHEAD"
    struct.pack_into(">IHH", ph, 8, 0x2c3b, 2, minor)
    ph[0x30:0x30 + 36] = DISK1_GUID.encode()
    ph[0x70:0x70 + 36] = HOST_GUID.encode()
    ph[0xB0:0xB0 + 36] = GROUP_GUID.encode()
    ph[0xF0:0xF0 + len(GROUP_NAME)] = GROUP_NAME
    struct.pack_into(">QQQQQQIIQQ", ph, 0x11B, data_start, data_size, config_start,
                     CONFIG_SECTORS, 2, 2046, 1, 1, 1472, 256)
    return ph


def tocblock():
    t = bytearray(SECTOR)
    t[0:8] = b"TOCBLOCK"
    struct.pack_into(">I", t, 8, 1)
    t[0x24:0x24 + 6] = b"config"
    struct.pack_into(">HQQ", t, 0x2C, 0, 17, 1472)
    t[0x46:0x46 + 3] = b"log"
    struct.pack_into(">HQQ", t, 0x4E, 0, 1489, 224)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--size", type=int, default=48, help="disk size in MiB")
    ap.add_argument("--corrupt", default="")
    ap.add_argument("--rewrite", action="store_true")
    ap.add_argument("--gpt", action="store_true")
    a = ap.parse_args()

    disk_sectors = a.size * 1024 * 1024 // SECTOR
    if a.gpt:
        # the database ends 1 MiB before the disk's end: room for the backup GPT
        config_start = disk_sectors - 2 * CONFIG_SECTORS
        data_start = 2048
        data_size = config_start - data_start
    else:
        config_start = disk_sectors - CONFIG_SECTORS
        data_start = DATA_START
        data_size = config_start - data_start
    # Volume1: 24 MiB at sector 2048 of the disk; Volume2's half here: 8 MiB after it
    v1_start, v1_size = 2048 - data_start, 24 * 2048
    v2_start, v2_size = v1_start + v1_size, 8 * 2048
    if v2_start + v2_size > data_size:
        sys.exit("make-ldm: the disk is too small (at least 36 MiB)")
    if a.corrupt == "past-end":
        v1_start = data_size - v1_size // 2
    ph = privhead(disk_sectors, config_start, 0 if a.corrupt == "mbr-overlap" else data_start,
                  data_size, 12 if a.gpt else 11)
    if a.corrupt == "privhead-magic":
        ph[0:8] = b"PRIVHEAX"

    records = [
        (1, group(1)),
        (2, disk(2, "Disk1", DISK1_GUID)),
        (3, disk(3, "Disk2", DISK2_GUID)),
        (4, volume(4, "Volume1", 1, v1_size, 1)),
        (5, component(5, "Volume1-01", 4, 1)),
        (6, partition(6, "Disk1-01", v1_start, v1_size, 5, 2)),
        (7, volume(7, "Volume2", 2, v2_size, 2, id1="{0d0e0f10-1112-4314-9516-171819" +
                   "1a1b1c}-bootfix-test-mirror", hint="E:")),
        (8, component(8, "Volume2-01", 7, 1)),
        (9, component(9, "Volume2-02", 7, 1)),
        (10, partition(10, "Disk1-02", v2_start, v2_size, 8, 2)),
        (11, partition(11, "Disk2-01", 2048 - data_start, v2_size, 9, 3)),
    ]
    ents = entries(records)
    if a.corrupt == "vmdb-cut":
        ents = [e for e in ents if not (e[0] == 7 and e[1] == 1)]
    nslots = (len(ents) + 3) // 4 * 4

    vmdb = bytearray(SECTOR)
    vmdb[0:4] = b"VMDB"
    struct.pack_into(">IIIHHH", vmdb, 4, 4 + nslots - 1, VBLK_SIZE, SECTOR, 1, 4, 10)
    vmdb[0x16:0x16 + len(GROUP_NAME)] = GROUP_NAME
    vmdb[0x35:0x35 + 36] = GROUP_GUID.encode()
    counts = [2 + (a.corrupt == "count"), 3, 3, 2]
    struct.pack_into(">QQIIII", vmdb, 0x75, 11, 11, *counts)
    vblks = bytearray()
    for i in range(nslots):
        if i < len(ents):
            rid, n, total, data = ents[i]
        else:
            rid, n, total, data = 0, 0, 0, bytes(VBLK_SIZE - 16)
        vblks += b"VBLK" + struct.pack(">IIHH", 4 + i, rid, n, total) + data

    config = bytearray(CONFIG_SECTORS * SECTOR)
    for s in (1, 2, 2045, 2046):
        config[s * SECTOR:(s + 1) * SECTOR] = tocblock()
    for s in (1856, 2047):
        config[s * SECTOR:(s + 1) * SECTOR] = ph
    config[17 * SECTOR:18 * SECTOR] = vmdb
    config[18 * SECTOR:18 * SECTOR + len(vblks)] = vblks

    mbr = bytearray(SECTOR)
    struct.pack_into("<I", mbr, 440, 0x1f2e3d4c)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x42, b"\xfe\xff\xff",
                               DATA_START, disk_sectors - DATA_START)
    mbr[510:512] = b"\x55\xaa"

    if a.gpt:
        if not a.rewrite:
            with open(a.file, "wb") as f:
                f.truncate(disk_sectors * SECTOR)
        table = ("label: gpt\n"
                 "start=%d, size=%d, type=AF9B60A0-1431-4F62-BC68-3311714A69AD\n"
                 "start=%d, size=%d, type=5808C8AA-7E8F-42E0-85D2-E1E90434CFB3\n"
                 % (data_start, data_size, config_start, CONFIG_SECTORS))
        subprocess.run(["sfdisk", "-q", "--no-reread", a.file], input=table.encode(),
                       check=True, stdout=subprocess.DEVNULL)
        # the PRIVHEAD is the last sector of the LDM metadata partition
        config[2047 * SECTOR:2048 * SECTOR] = ph
    with open(a.file, "r+b" if a.rewrite or a.gpt else "wb") as f:
        f.truncate(disk_sectors * SECTOR)
        if not a.gpt:
            f.seek(0)
            f.write(mbr)
            f.seek(6 * SECTOR)
            f.write(ph)
        f.seek(config_start * SECTOR)
        f.write(config)
    print("Volume1 simple %d %d" % ((data_start + v1_start) * SECTOR, v1_size * SECTOR))
    print("Volume2 mirror 0 0")


if __name__ == "__main__":
    main()
