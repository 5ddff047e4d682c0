#!/usr/bin/env python3
"""Write checksums.txt (CRC-32, hex, then the file name) for the embedded model,
so that chatumm detects a damaged build at start. Standard library only.

    python3 tools/embed_checksums.py model/embedded/chatumm-tiny
"""
import sys
import zlib
from pathlib import Path

FILES = ["config.json", "tokenizer.json", "model.safetensors"]


def main() -> None:
    d = Path(sys.argv[1] if len(sys.argv) > 1 else "model/embedded/chatumm-tiny")
    lines = []
    for name in FILES:
        data = (d / name).read_bytes()
        lines.append(f"{zlib.crc32(data) & 0xFFFFFFFF:08x}  {name}\n")
    (d / "checksums.txt").write_text("".join(lines))
    print("".join(lines), end="")


if __name__ == "__main__":
    main()
