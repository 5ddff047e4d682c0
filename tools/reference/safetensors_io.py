"""Hand-written safetensors reader and writer (no `safetensors` package needed).

File layout: 8-byte little-endian header length N, then N bytes of JSON (padded with
spaces to a multiple of 8), then the raw little-endian tensor data. Each header entry is
{"dtype": "F32"|"F16"|"BF16", "shape": [...], "data_offsets": [begin, end]} with offsets
relative to the start of the data section.
"""
import json
import struct

import numpy as np
import torch

DTYPE_NAMES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def tensor_bytes(t, dtype_name):
    """Little-endian bytes of t converted to the stored dtype."""
    t = t.detach().contiguous()
    if dtype_name == "F32":
        return t.float().numpy().astype("<f4").tobytes()
    if dtype_name == "F16":
        return t.half().numpy().astype("<f2").tobytes()
    if dtype_name == "BF16":
        # numpy has no bfloat16; reinterpret the 16-bit pattern as int16.
        return t.bfloat16().view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError("unsupported dtype " + dtype_name)


def write_safetensors(path, tensors):
    """tensors: dict name -> (torch tensor, dtype name). Names are written sorted."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t, dtype_name = tensors[name]
        data = tensor_bytes(t, dtype_name)
        header[name] = {"dtype": dtype_name, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path):
    """Returns dict name -> (torch tensor in its stored dtype, dtype name)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        chunk = data[begin:end]
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(chunk, dtype="<f4").copy()
            t = torch.from_numpy(arr)
        elif dt == "F16":
            arr = np.frombuffer(chunk, dtype="<f2").copy()
            t = torch.from_numpy(arr)
        elif dt == "BF16":
            arr = np.frombuffer(chunk, dtype="<i2").copy()
            t = torch.from_numpy(arr).view(torch.bfloat16)
        else:
            raise ValueError("%s: tensor %s has unsupported dtype %s" % (path, name, dt))
        out[name] = (t.reshape(info["shape"]), dt)
    return out


def load_float64(path):
    """All tensors of a safetensors file upcast to float64 (exact for F16/BF16/F32)."""
    return {name: t.double() for name, (t, _) in read_safetensors(path).items()}
