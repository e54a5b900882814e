#!/usr/bin/env python3
"""ovmf-vars.py - read the UEFI variables in an OVMF VARS .fd file (the
machine's NVRAM as qemu keeps it), without booting anything.

    ovmf-vars.py FILE                   every valid non-volatile variable:
                                        NAME GUID ATTRIBUTES SIZE SHA-256
                                        (tab-separated, sorted by name, GUID)
    ovmf-vars.py --get NAME[:GUID] FILE the data of one variable, raw, on stdout
    ovmf-vars.py --boot FILE            BootOrder, then each Boot#### load
                                        option: attributes, description, device path
    ovmf-vars.py --diff OLD NEW         what NEW has that OLD has not (+), what it
                                        lost (-), what changed (~): one line each

Exit status: 0 done; 1 --get found no such variable (or several, without
a GUID), --diff found a difference; 2 usage error or a file that is no
OVMF variable store.

The file: an EFI firmware volume (EFI_FIRMWARE_VOLUME_HEADER, signature
"_FVH", file system GUID EFI_SYSTEM_NV_DATA_FV) whose first bytes after
the header are a VARIABLE_STORE_HEADER: signature GUID
gEfiAuthenticatedVariableGuid (AUTHENTICATED_VARIABLE_HEADER entries, what
OVMF's Secure Boot builds use) or gEfiVariableGuid (plain VARIABLE_HEADER
entries), size, format 0x5A (formatted), state 0xFE (healthy).  Entries
follow, each header 4-byte aligned: StartId 0x55AA, State, attributes,
(for authenticated ones MonotonicCount, TimeStamp, PubKeyIndex),
NameSize, DataSize, VendorGuid, then the UTF-16 name and right after it
the data (edk2 pads neither on x86).  The store is a log: a changed
variable is a new entry, the old one marked deleted.  An entry counts
when its State is VAR_ADDED (0x3F); one in the middle of being replaced
(VAR_ADDED & VAR_IN_DELETED_TRANSITION, 0x3E) counts only when no
VAR_ADDED entry of the same name and GUID exists, as in edk2's variable
driver.  Volatile variables never reach this file.
"""
import hashlib
import struct
import sys
import uuid

FVH_SIGNATURE = b"_FVH"
NV_DATA_FV_GUID = uuid.UUID("fff12b8d-7696-4c8b-a985-2747075b4f50")
AUTH_VAR_GUID = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792")
VAR_GUID = uuid.UUID("ddcf3616-3275-4164-98b6-fe85707ffe7d")
GLOBAL_GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
START_ID = 0x55AA
VAR_ADDED = 0x3F
VAR_ADDED_IN_DELETED_TRANSITION = 0x3E
ATTR_NON_VOLATILE = 0x1

AUTH_HEADER = struct.Struct("<HBBIQ16sIII16s")	# 60 bytes
PLAIN_HEADER = struct.Struct("<HBBIII16s")	# 32 bytes


class BadStore(Exception):
	pass


def guid_of(raw):
	return str(uuid.UUID(bytes_le=bytes(raw)))


def align4(n):
	return (n + 3) & ~3


def read_store(path):
	"""[(name, guid, attributes, data)] of the valid variables in path"""
	with open(path, "rb") as f:
		fv = f.read()
	if len(fv) < 0x48 + 28:
		raise BadStore("%s: too short for a firmware volume" % path)
	fs_guid = uuid.UUID(bytes_le=fv[16:32])
	fv_length, sig, _attrs, header_length = struct.unpack_from("<Q4sIH", fv, 32)
	if sig != FVH_SIGNATURE or fs_guid != NV_DATA_FV_GUID:
		raise BadStore("%s: not an NV variable firmware volume (signature %r, GUID %s)"
			       % (path, sig, fs_guid))
	if header_length < 0x48 or header_length + 28 > len(fv):
		raise BadStore("%s: firmware volume header length %d" % (path, header_length))
	if sum(struct.unpack_from("<%dH" % (header_length // 2), fv, 0)) & 0xFFFF:
		raise BadStore("%s: firmware volume header checksum is wrong" % path)
	store = header_length
	sguid = uuid.UUID(bytes_le=fv[store:store + 16])
	ssize, sformat, sstate = struct.unpack_from("<IBB", fv, store + 16)
	if sguid == AUTH_VAR_GUID:
		hdr, auth = AUTH_HEADER, True
	elif sguid == VAR_GUID:
		hdr, auth = PLAIN_HEADER, False
	else:
		raise BadStore("%s: unknown variable store signature %s" % (path, sguid))
	if sformat != 0x5A or sstate != 0xFE:
		raise BadStore("%s: variable store not formatted/healthy (format 0x%02x, state 0x%02x)"
			       % (path, sformat, sstate))
	end = min(store + ssize, len(fv), fv_length)
	pos = store + align4(28)
	entries = []
	while pos + hdr.size <= end:
		fields = hdr.unpack_from(fv, pos)
		if fields[0] != START_ID:
			break
		if auth:
			_sid, state, _r, attrs, _mc, _ts, _pk, name_size, data_size, vguid = fields
		else:
			_sid, state, _r, attrs, name_size, data_size, vguid = fields
		name_at = pos + hdr.size
		data_at = name_at + name_size	# no padding on x86 (edk2 ALIGNMENT 1)
		if name_size == 0xFFFFFFFF or data_size == 0xFFFFFFFF or data_at + data_size > end:
			# a header written when the power went: nothing valid follows
			break
		name = fv[name_at:name_at + name_size].decode("utf-16-le", "replace").split("\0")[0]
		data = fv[data_at:data_at + data_size]
		entries.append((state, name, guid_of(vguid), attrs, data))
		pos = align4(data_at + data_size)	# headers are 4-byte aligned
	added = {(n, g) for s, n, g, _a, _d in entries if s == VAR_ADDED}
	out = []
	for state, name, guid, attrs, data in entries:
		if state == VAR_ADDED or (state == VAR_ADDED_IN_DELETED_TRANSITION
					  and (name, guid) not in added):
			if attrs & ATTR_NON_VOLATILE:
				out.append((name, guid, attrs, data))
	out.sort(key=lambda v: (v[0], v[1]))
	return out


def listing(variables):
	return ["%s\t%s\t0x%08x\t%d\t%s" % (n, g, a, len(d), hashlib.sha256(d).hexdigest())
		for n, g, a, d in variables]


# ---- load options (Boot####): description and device path in text ----
def devpath_text(dp):
	nodes = []
	pos = 0
	while pos + 4 <= len(dp):
		t, s, length = struct.unpack_from("<BBH", dp, pos)
		if length < 4 or pos + length > len(dp):
			nodes.append("Bad(%d,%d,%d)" % (t, s, length))
			break
		body = dp[pos + 4:pos + length]
		pos += length
		if t == 0x7F:
			if s == 0xFF:
				break
			nodes.append("|")
			continue
		nodes.append(node_text(t, s, body))
	return "/".join(nodes).replace("/|/", " | ")


def node_text(t, s, b):
	try:
		if t == 1 and s == 1:
			return "Pci(0x%x,0x%x)" % (b[1], b[0])
		if t == 2 and s == 1:
			return "PciRoot(0x%x)" % struct.unpack_from("<I", b, 4)[0]
		if t == 3 and s == 5:
			return "USB(0x%x,0x%x)" % (b[0], b[1])
		if t == 3 and s == 18:
			return "Sata(0x%x,0x%x,0x%x)" % struct.unpack_from("<HHH", b)
		if t == 3 and s == 23:
			return "NVMe(0x%x,%s)" % (struct.unpack_from("<I", b)[0], b[4:12].hex("-"))
		if t == 3 and s == 2:
			return "Scsi(0x%x,0x%x)" % struct.unpack_from("<HH", b)
		if t == 3 and s == 11:
			return "MAC(%s)" % b[:6].hex()
		if t == 4 and s == 1:
			part, start, size = struct.unpack_from("<IQQ", b)
			fmt, sigtype = b[36], b[37]
			sig = guid_of(b[20:36]) if sigtype == 2 else "0x%08x" % struct.unpack_from("<I", b, 20)[0]
			return "HD(%d,%s,%s,0x%x,0x%x)" % (part, "GPT" if fmt == 2 else "MBR", sig, start, size)
		if t == 4 and s == 2:
			return "CDROM(0x%x)" % struct.unpack_from("<I", b)[0]
		if t == 4 and s == 3:
			return "VenMedia(%s)" % guid_of(b[:16])
		if t == 4 and s == 4:
			return b.decode("utf-16-le", "replace").split("\0")[0]
		if t == 4 and s == 6:
			return "FvFile(%s)" % guid_of(b[:16])
		if t == 4 and s == 7:
			return "Fv(%s)" % guid_of(b[:16])
		if t == 1 and s == 4:
			return "VenHw(%s)" % guid_of(b[:16])
		if t == 3 and s == 10:
			return "VenMsg(%s)" % guid_of(b[:16])
	except (struct.error, IndexError):
		pass
	return "Node(%d,%d,%s)" % (t, s, b.hex())


def load_option_text(data):
	"""EFI_LOAD_OPTION: attributes, description, device path, optional data"""
	if len(data) < 6:
		return "0x????????", "(short load option)", data.hex(), b""
	attrs, dp_len = struct.unpack_from("<IH", data)
	pos = 6
	desc = []
	while pos + 2 <= len(data):
		c = struct.unpack_from("<H", data, pos)[0]
		pos += 2
		if c == 0:
			break
		desc.append(c)
	description = struct.pack("<%dH" % len(desc), *desc).decode("utf-16-le", "replace")
	dp = data[pos:pos + dp_len]
	return "0x%08x" % attrs, description, devpath_text(dp), data[pos + dp_len:]


def boot_listing(variables):
	lines = []
	for n, g, a, d in variables:
		if g == GLOBAL_GUID and n == "BootOrder":
			order = struct.unpack("<%dH" % (len(d) // 2), d[:len(d) // 2 * 2])
			lines.append("BootOrder\t" + ",".join("%04X" % o for o in order))
	for n, g, a, d in variables:
		if g == GLOBAL_GUID and len(n) == 8 and n.startswith("Boot") and \
				all(c in "0123456789ABCDEFabcdef" for c in n[4:]):
			attrs, desc, path, opt = load_option_text(d)
			lines.append("%s\t%s\t%s\t%s%s" % (n, attrs, desc, path,
							  "\toptional-data " + opt.hex() if opt else ""))
	return lines


def emit(lines):
	for line in lines:
		print(line)


def main(argv):
	usage = ("usage: ovmf-vars.py FILE | --get NAME[:GUID] FILE | --boot FILE | "
		 "--diff OLD NEW")
	try:
		if len(argv) == 1 and not argv[0].startswith("-"):
			emit(listing(read_store(argv[0])))
			return 0
		if len(argv) == 3 and argv[0] == "--get":
			name, _, guid = argv[1].partition(":")
			found = [v for v in read_store(argv[2])
				 if v[0] == name and (not guid or v[1] == guid.lower())]
			if len(found) != 1:
				print("ovmf-vars: %s: %s" % (argv[1], "not found" if not found else
							      "several, give NAME:GUID"), file=sys.stderr)
				return 1
			sys.stdout.buffer.write(found[0][3])
			return 0
		if len(argv) == 2 and argv[0] == "--boot":
			emit(boot_listing(read_store(argv[1])))
			return 0
		if len(argv) == 3 and argv[0] == "--diff":
			old = {(n, g): (a, d) for n, g, a, d in read_store(argv[1])}
			new = {(n, g): (a, d) for n, g, a, d in read_store(argv[2])}
			diff = []
			for key in sorted(old.keys() | new.keys()):
				o, n = old.get(key), new.get(key)
				if o == n:
					continue
				if o is None:
					diff.append("+ " + listing([key + n])[0])
				elif n is None:
					diff.append("- " + listing([key + o])[0])
				else:
					diff.append("~ " + listing([key + o])[0] + "\t->\t" +
						    "\t".join(listing([key + n])[0].split("\t")[2:]))
			emit(diff)
			return 1 if diff else 0
	except (OSError, BadStore) as e:
		print("ovmf-vars: %s" % e, file=sys.stderr)
		return 2
	print(usage, file=sys.stderr)
	return 2


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
