"""Tesseract in-process through its C API (``libtesseract.so.5``, ctypes): models loaded once, not per call.

``media.ocr`` used to start one ``tesseract`` process per model set, worker and batch, and each
process loaded its language models again (0.1-0.3 s of CPU each) and read its images from PNG
files. Here a :class:`TessEngine` keeps one ``TessBaseAPI`` per model set and worker for the life
of the process (a small pool: two threads reading at once take two). Each image is handed over
as the same PNG bytes the command line read, decoded by Leptonica (``pixReadMem``), so the page
Tesseract sees - pixels and resolution (none: Tesseract estimates it, as the command line does) -
is the same, and so are the words and confidences (checked on ``bench/media_ocr.py``'s images
and the benchmark workload: the same TSV as the command line, word for word).

Tesseract's OpenMP threads: the command line was run with ``OMP_THREAD_LIMIT=1``; in-process the
limit must be in the environment when the system's OpenMP runtime loads, which happens with
``libtesseract``. :func:`load_engine` sets it for that moment and checks the runtime took it
(``omp_get_thread_limit``); if another library had loaded that runtime first, it says so and
the caller keeps the command line.

Example Snippet::

    engine = load_engine()
    tsv = engine.tsv(png_bytes, "vie+ind", psm=4)
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pantau.errors import DetectorUnavailable

__all__ = ["TessEngine", "load_engine"]

_LIB = "libtesseract.so.5"
_LEPT = "liblept.so.5"
_engine: TessEngine | None = None
_engine_lock = threading.Lock()


class _Api:
    """One ``TessBaseAPI`` initialised with a model set."""

    def __init__(self, lib: ctypes.CDLL, models: str, psm: int) -> None:
        self._lib = lib
        self.handle = lib.TessBaseAPICreate()
        if not self.handle:
            raise DetectorUnavailable("libtesseract: TessBaseAPICreate failed")
        if lib.TessBaseAPIInit3(self.handle, None, models.encode()) != 0:
            lib.TessBaseAPIDelete(self.handle)
            raise DetectorUnavailable(f"libtesseract: cannot load the models {models!r}")
        lib.TessBaseAPISetPageSegMode(self.handle, psm)
        # Tesseract's messages ("Estimating resolution as ...") went to the child's stderr; not to ours.
        lib.TessBaseAPISetVariable(self.handle, b"debug_file", b"/dev/null")

    def close(self) -> None:
        if self.handle:
            self._lib.TessBaseAPIEnd(self.handle)
            self._lib.TessBaseAPIDelete(self.handle)
            self.handle = None


class TessEngine:
    """Pools of initialised ``TessBaseAPI`` handles by (model set, page segmentation mode)."""

    def __init__(self, lib: ctypes.CDLL, lept: ctypes.CDLL) -> None:
        self._lib = lib
        self._lept = lept
        self._free: dict[tuple[str, int], list[_Api]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def _api(self, models: str, psm: int) -> Iterator[_Api]:
        key = (models, psm)
        with self._lock:
            pool = self._free.setdefault(key, [])
            api = pool.pop() if pool else None
        if api is None:
            api = _Api(self._lib, models, psm)
        try:
            yield api
        finally:
            with self._lock:
                self._free[key].append(api)

    def warm(self, models: str, psm: int, count: int) -> None:
        """Load ``count`` handles of a model set now (at start-up, not in the first batch)."""
        with self._lock:
            have = len(self._free.setdefault((models, psm), []))
        for _ in range(max(0, count - have)):
            api = _Api(self._lib, models, psm)
            with self._lock:
                self._free[(models, psm)].append(api)

    def tsv(self, png: bytes, models: str, psm: int, timeout_s: float = 30.0) -> str:
        """Tesseract's TSV of one image given as PNG bytes (page 1), read with ``models`` and ``psm``.

        Recognition stops at ``timeout_s`` (Tesseract's own deadline, checked between words).

        :raises RuntimeError: Leptonica cannot read the bytes, recognition fails or runs out of time.
        """
        buf = ctypes.create_string_buffer(png, len(png))
        pix = self._lept.pixReadMem(buf, ctypes.c_size_t(len(png)))
        if not pix:
            raise RuntimeError("leptonica could not read the image")
        try:
            with self._api(models, psm) as api:
                lib = self._lib
                lib.TessBaseAPISetImage2(api.handle, pix)
                monitor = lib.TessMonitorCreate()
                lib.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout_s * 1000)))
                start = time.monotonic()
                try:
                    failed = lib.TessBaseAPIRecognize(api.handle, monitor) != 0
                finally:
                    lib.TessMonitorDelete(monitor)
                if failed or time.monotonic() - start >= timeout_s:
                    lib.TessBaseAPIClear(api.handle)
                    raise RuntimeError("tesseract recognition failed or ran out of time")
                text = lib.TessBaseAPIGetTsvText(api.handle, 0)
                try:
                    return ctypes.string_at(text).decode("utf-8", "replace") if text else ""
                finally:
                    if text:
                        lib.TessDeleteText(text)
                    lib.TessBaseAPIClear(api.handle)
        finally:
            ref = ctypes.c_void_p(pix)
            self._lept.pixDestroy(ctypes.byref(ref))

    def close(self) -> None:
        """End every handle (models unloaded)."""
        with self._lock:
            for pool in self._free.values():
                for api in pool:
                    api.close()
            self._free.clear()


def _declare(lib: ctypes.CDLL, lept: ctypes.CDLL) -> None:
    vp, cp, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for name, res, args in (
        ("TessBaseAPICreate", vp, []),
        ("TessBaseAPIDelete", None, [vp]),
        ("TessBaseAPIEnd", None, [vp]),
        ("TessBaseAPIInit3", ci, [vp, cp, cp]),
        ("TessBaseAPISetPageSegMode", None, [vp, ci]),
        ("TessBaseAPISetImage2", None, [vp, vp]),
        ("TessBaseAPIRecognize", ci, [vp, vp]),
        ("TessBaseAPIGetTsvText", ctypes.POINTER(ctypes.c_char), [vp, ci]),
        ("TessBaseAPIClear", None, [vp]),
        ("TessBaseAPISetVariable", ci, [vp, cp, cp]),
        ("TessMonitorCreate", vp, []),
        ("TessMonitorDelete", None, [vp]),
        ("TessMonitorSetDeadlineMSecs", None, [vp, ci]),
        ("TessDeleteText", None, [ctypes.POINTER(ctypes.c_char)]),
    ):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    lept.pixReadMem.restype, lept.pixReadMem.argtypes = vp, [ctypes.c_char_p, ctypes.c_size_t]
    lept.pixDestroy.restype, lept.pixDestroy.argtypes = None, [ctypes.POINTER(vp)]


def load_engine(single_threaded: bool = True) -> TessEngine:
    """The process's engine (loaded once).

    :raises DetectorUnavailable: ``libtesseract`` is missing, or ``single_threaded`` and the OpenMP
        runtime was loaded before with no thread limit (the command line then stays in use).
    """
    global _engine
    with _engine_lock:
        if _engine is not None:
            return _engine
        before = os.environ.get("OMP_THREAD_LIMIT")
        if single_threaded:
            os.environ["OMP_THREAD_LIMIT"] = "1"  # read by libgomp when it loads, just below
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("tesseract") or _LIB)
            lept = ctypes.CDLL(ctypes.util.find_library("lept") or _LEPT)
        except OSError as exc:
            raise DetectorUnavailable(f"libtesseract not loadable: {exc}") from exc
        finally:
            if single_threaded:
                if before is None:
                    os.environ.pop("OMP_THREAD_LIMIT", None)
                else:
                    os.environ["OMP_THREAD_LIMIT"] = before
        if single_threaded and _omp_thread_limit() not in (None, 1):
            raise DetectorUnavailable(
                "libtesseract's OpenMP runtime was loaded before without OMP_THREAD_LIMIT=1 "
                "(set it in the environment to read OCR in-process)"
            )
        _declare(lib, lept)
        _engine = TessEngine(lib, lept)
        atexit.register(_engine.close)  # models unloaded before the library's own exit-time checks
        return _engine


def _omp_thread_limit() -> int | None:
    """``omp_get_thread_limit()`` of the system's OpenMP runtime, when it is loaded."""
    try:
        gomp = ctypes.CDLL("libgomp.so.1", mode=os.RTLD_NOLOAD | os.RTLD_GLOBAL)
    except OSError:
        return None
    fn = gomp.omp_get_thread_limit
    fn.restype = ctypes.c_int
    return int(fn())
