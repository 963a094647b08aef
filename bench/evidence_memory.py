"""Peak memory and time of the evidence pipeline, per kind of file, each in a fresh process.

    .venv/bin/python bench/evidence_memory.py                  # the table
    .venv/bin/python bench/evidence_memory.py --pipeline OLD.py  # the same files through another
                                                                 # pipeline module (a before/after)

Each file is made here, written to a temporary folder, and handed to a new Python process that sets
Django up, reads its VmHWM (peak resident set) from /proc, runs `prepare_evidence` on the file and
reads VmHWM again: the difference is what that one file cost the web worker. PDF pages are
rendered in a child of that process; its own peak is RUSAGE_CHILDREN's ru_maxrss. Nothing is
written to a database. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _files() -> dict[str, bytes]:
    """name -> bytes: what phones and scanners send, and the cheap bombs of issue 10 item 8."""
    from PIL import Image

    from tests import evidence_files as files

    def saved(image, **options) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, **options)
        return buffer.getvalue()

    def flat(size, mode="RGB"):
        image = Image.new(mode, size, (40, 120, 200) if mode == "RGB" else 0)
        return image

    return {
        "JPEG 12 MP phone photo": files.noisy_jpeg(4000, 3000, quality=85),
        "JPEG 24 MP (draft decoding)": files.noisy_jpeg(6000, 4000, quality=75),
        "PNG 6300x6300 RGB, 0.15 MB (the bomb)": saved(flat((6300, 6300)), format="PNG", optimize=True),
        "PNG 6300x6300 1-bit": files.png_declaring(6300, 6300),
        "PNG 4000x3000 RGB": saved(flat((4000, 3000)), format="PNG"),
        "PNG 3000x2000 RGBA": saved(flat((3000, 2000), "RGBA"), format="PNG"),
        "PNG 20000x20000 (Pillow's bomb)": files.decompression_bomb_png(),
        "WebP 4000x3000": saved(flat((4000, 3000)), format="WEBP", quality=80),
        "WebP 6000x6000 lossless flat (a bomb)": saved(flat((6000, 6000)), format="WEBP", lossless=True),
        "WebP declaring 16383x16383": files.webp_declaring(16383, 16383),
        "HEIC 4032x3024 phone photo": files.heic_bytes(4032, 3024),
        "PDF 20 pages of text": files.hostile_pdf(photo=False, pages=20),
        "PDF 6 scanned pages": files.pdf_from_photos(pages=6),
        "PDF with every carrier": files.hostile_pdf(),
        "PDF page 200x200 inches": files.pdf_with_page_size(14_400, 14_400),
        "PDF page 10^6 points": files.pdf_with_page_size(1e6, 1e6),
        "PDF 20000x20000 image bomb": files.pdf_with_image_bomb(20_000),
        "PDF 12000x12000 inline image bomb": files.pdf_with_inline_image_bomb(12_000),
    }


def _peak_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def measure_one(path: str, pipeline: str | None) -> dict:
    """Runs in the fresh process: the cost of one file."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kzcn.settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    if pipeline:
        import importlib.util

        spec = importlib.util.spec_from_file_location("pipeline_under_test", pipeline)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        prepare_evidence, rejected = module.prepare_evidence, module.EvidenceRejected
    else:
        from impacts.evidence import EvidenceRejected as rejected
        from impacts.evidence import prepare_evidence
    data = Path(path).read_bytes()
    upload = SimpleUploadedFile(Path(path).name, data)
    before = _peak_kb()
    started_cpu, started = time.process_time(), time.perf_counter()
    try:
        prepare_evidence(upload)
        outcome = "accepted"
    except rejected as refusal:
        outcome = f"refused: {refusal.code}"
    cpu = time.process_time() - started_cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "outcome": outcome,
        "peak_mb": (_peak_kb() - before) / 1024,
        "child_mb": children.ru_maxrss / 1024,
        "cpu_s": cpu + children.ru_utime + children.ru_stime,
        "wall_s": time.perf_counter() - started,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", help="a pipeline module file to measure instead of impacts.evidence")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(measure_one(arguments.one, arguments.pipeline)))
        return 0
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kzcn.settings")
    import django

    django.setup()
    print(f"{'file':42} {'size':>9} {'worker +MB':>10} {'child MB':>9} {'CPU s':>6}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        for label, data in _files().items():
            path = Path(folder) / "upload.bin"
            path.write_bytes(data)
            command = [sys.executable, __file__, "--one", str(path)]
            if arguments.pipeline:
                command += ["--pipeline", arguments.pipeline]
            finished = subprocess.run(command, capture_output=True, check=True, text=True)  # noqa: S603
            result = json.loads(finished.stdout)
            child = f"{result['child_mb']:9.0f}" if result["child_mb"] else f"{'-':>9}"
            print(
                f"{label:42} {len(data) / 1e6:7.2f}MB {result['peak_mb']:10.0f} {child} "
                f"{result['cpu_s']:6.2f}  {result['outcome']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
