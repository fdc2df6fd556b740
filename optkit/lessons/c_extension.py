"""The OCR crop step: every detected box, possibly rotated, warped to an upright h x w patch.

Ways to do the same job, from what a beginner writes to the C extension and the frameworks:

    crops_loop(image, quads, size)                  the per-box Python loop around OpenCV (baseline)
    crops_pool(image, quads, size, threads, chunk)  the same loop in a thread pool, one future per
                                                    chunk of boxes (OpenCV releases the GIL)
    crops_pool_per_box(image, quads, size, threads) one future per box: the overhead eats the gain
    crops_native(image, quads, size, threads=None, kernel="tuned")
                                                    optkit.native.warp_crops: one C call, no GIL,
                                                    OpenMP over boxes; kernel "plain" is the plain
                                                    scalar C of optkit/csrc/warp_plain.c
    crops_torch(image, quads, size)                 PyTorch: one grid_sample call for all boxes,
                                                    on a perspective sampling grid
    crops_kornia(image, quads, size)                kornia.geometry.transform.warp_perspective,
                                                    one call for all boxes

All return a uint8 array N x h x w [x C]. `agreement(ref, out)` measures how close two results
are (mean absolute difference, share of pixels within 2 gray levels, largest difference).

`optkit bench crops [--json]` (bench_main) times every peer (`peers`) on the course workload: a
2000 x 2000 x 3 document from optkit.data with 300 boxes, cropped to 32 x 128, in interleaved
rounds, each peer's thread setting (OpenCV's, torch's) made outside the timed call. The C sources
are in optkit/csrc/ (`c_source(name)` reads one whole file; notebook 04 shows them).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from optkit import machine
from optkit.machine import importable
from optkit.pipeline import quad_corners, warp_quad

__all__ = ["C_SOURCES", "c_source", "show_source", "dst_corners", "crops_loop", "crops_pool",
           "crops_pool_per_box", "crops_native", "perspective_maps", "crops_torch", "crops_kornia",
           "agreement", "workload", "cv2_single_thread", "cv2_threads", "torch_threads", "peers",
           "run_benchmark", "bench_main", "CONVERSION", "warp_range", "busy_from", "BUSY_FREE_SHARE"]

WORKLOAD = {"width": 2000, "height": 2000, "n_boxes": 300, "seed": 0, "size": (32, 128)}


# The C extension's sources (one module, optkit.native, built from every .c file here).
C_SOURCES = Path(__file__).resolve().parent.parent / "csrc"      # optkit/csrc


def c_source(name: str) -> str:
    """The whole text of optkit/csrc/NAME (what notebook 04 shows), e.g. c_source("warp_plain.c")."""
    path = C_SOURCES / name
    if path.parent != C_SOURCES or not path.is_file():
        raise KeyError(f"no C source {name!r} in {C_SOURCES}")
    return path.read_text()


def show_source(code: str, language: str = "c", title: str | None = None):
    """Syntax-highlighted source for a notebook (a Markdown object; plain text elsewhere)."""
    try:
        from IPython.display import Markdown
    except ImportError:  # pragma: no cover
        return code
    head = f"**{title}**\n\n" if title else ""

    class _Listing(Markdown):
        # HTML too (JupyterLab prefers it): long lines scroll sideways instead of wrapping
        # in the middle of an identifier, as a Markdown code block does in a narrow window
        def _repr_html_(self):
            import html

            try:
                from pygments import highlight
                from pygments.formatters import HtmlFormatter
                from pygments.lexers import get_lexer_by_name

                body = highlight(code.rstrip(), get_lexer_by_name(language),
                                 HtmlFormatter(noclasses=True, nowrap=True))
            except Exception:
                body = html.escape(code.rstrip())
            top = f"<p><b>{html.escape(title)}</b></p>" if title else ""
            return (f"{top}<pre style='white-space:pre;overflow-x:auto;word-break:normal;"
                    f"overflow-wrap:normal'>{body}</pre>")

    return _Listing(f"{head}```{language}\n{code.rstrip()}\n```")


def dst_corners(size) -> np.ndarray:
    """Destination corners TL, TR, BR, BL of an h x w crop, as cv2.getPerspectiveTransform wants."""
    h, w = size
    return quad_corners(w, h)


@contextlib.contextmanager
def cv2_threads(n: int):
    """OpenCV's own thread pool set to `n` threads inside the block (restored afterwards)."""
    old = cv2.getNumThreads()
    cv2.setNumThreads(n)
    try:
        yield
    finally:
        cv2.setNumThreads(old)


def cv2_single_thread():
    """OpenCV's own thread pool off inside the block (restored afterwards)."""
    return cv2_threads(1)


@contextlib.contextmanager
def torch_threads(n: int):
    """torch's intra-op thread count set to `n` inside the block (restored afterwards)."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def warp_range(image, quads, size, out, start, stop):
    """One chunk of crops_pool's work: boxes start..stop-1 of `quads` into `out` (in place)."""
    h, w = size
    dst = dst_corners(size)
    for i in range(start, stop):
        out[i] = warp_quad(image, quads[i], w, h, corners=dst, border=cv2.BORDER_CONSTANT).reshape(out.shape[1:])


def _empty(image, quads, size):
    h, w = size
    return np.empty((len(quads), h, w) + image.shape[2:], dtype=np.uint8)


def crops_loop(image, quads, size):
    """The baseline: a Python for-loop, one getPerspectiveTransform + warpPerspective per box
    (optkit.pipeline.warp_quad, the course's one perspective crop)."""
    out = _empty(image, quads, size)
    h, w = size
    dst = dst_corners(size)
    for i, quad in enumerate(quads):
        out[i] = warp_quad(image, quad, w, h, corners=dst, border=cv2.BORDER_CONSTANT).reshape(out.shape[1:])
    return out


def crops_pool(image, quads, size, threads=2, chunk=None, pool=None):
    """The loop split into `threads` chunks (or chunks of `chunk` boxes), one future per chunk.

    OpenCV releases the GIL inside warpPerspective, so the chunks really run in parallel; the
    Python parts between the calls still take turns on the GIL. Pass an existing
    ThreadPoolExecutor as `pool` to leave thread start-up out of the timing.
    """
    n = len(quads)
    out = _empty(image, quads, size)
    if n == 0:
        return out
    if chunk is None:
        chunk = -(-n // max(1, threads))
    bounds = [(s, min(n, s + chunk)) for s in range(0, n, chunk)]
    own = pool is None
    ex = ThreadPoolExecutor(max_workers=threads) if own else pool
    try:
        futures = [ex.submit(warp_range, image, quads, size, out, s, e) for s, e in bounds]
        for f in futures:
            f.result()
    finally:
        if own:
            ex.shutdown()
    return out


def crops_pool_per_box(image, quads, size, threads=2, pool=None):
    """One future per box: the per-task overhead (and GIL traffic) costs more than it brings."""
    return crops_pool(image, quads, size, threads=threads, chunk=1, pool=pool)


def crops_native(image, quads, size, threads=None, out=None, kernel="tuned"):
    """optkit.native.warp_crops: the whole batch in C, GIL released, OpenMP over boxes.
    kernel: "tuned" (optkit/csrc/warp_tuned.c), "portable" (the same without AVX2) or "plain"
    (optkit/csrc/warp_plain.c); all three give identical bytes."""
    from optkit import native

    return native.warp_crops(image, quads, tuple(size), threads=threads, out=out, kernel=kernel)


def perspective_maps(quads, size) -> np.ndarray:
    """N x 3 x 3 float64: for every quad, the map from destination pixel (x, y, 1) of an h x w crop
    to its source point (homogeneous), i.e. the inverse of cv2.getPerspectiveTransform(quad, dst).
    All boxes at once: one batched 8 x 8 solve."""
    q = np.asarray(quads, dtype=np.float64).reshape(-1, 4, 2)
    d = dst_corners(size).astype(np.float64)
    n = len(q)
    A = np.zeros((n, 8, 8))
    b = np.zeros((n, 8))
    for k in range(4):
        u, v = d[k]
        x, y = q[:, k, 0], q[:, k, 1]
        A[:, 2 * k, 0:3] = (u, v, 1.0)
        A[:, 2 * k, 6] = -u * x
        A[:, 2 * k, 7] = -v * x
        A[:, 2 * k + 1, 3:6] = (u, v, 1.0)
        A[:, 2 * k + 1, 6] = -u * y
        A[:, 2 * k + 1, 7] = -v * y
        b[:, 2 * k], b[:, 2 * k + 1] = x, y
    m = np.linalg.solve(A, b[..., None])[..., 0] if n else np.zeros((0, 8))
    return np.concatenate([m, np.ones((n, 1))], axis=1).reshape(n, 3, 3)


def _torch_batch(image, n):
    """The page as a float tensor N x C x H x W (one copy of the page; the batch is a view)."""
    import torch

    img = torch.from_numpy(np.ascontiguousarray(image))
    img = img[None, None] if img.ndim == 2 else img.permute(2, 0, 1)[None]
    return img.float().expand(n, -1, -1, -1)


def _torch_to_u8(out, image):
    """N x C x h x w float -> uint8 N x h x w [x C], rounded half to even like cv2."""
    import torch

    out = out.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1)
    if image.ndim == 2:
        out = out[..., 0]
    return out.contiguous().numpy()


def crops_torch(image, quads, size):
    """PyTorch: all boxes in ONE grid_sample call, on a perspective sampling grid.

    Pixel centres: cv2 (and optkit.native) sample source point (sx, sy) with pixel i's centre at
    i. grid_sample's grid is normalised: with align_corners=True, -1 and +1 are the centres of the
    first and last pixel, so sx maps to 2 * sx / (W - 1) - 1 (the grid below, and the same for
    y); with align_corners=False they are the outer edges of those pixels, and the same point is
    (2 * sx + 1) / W - 1. Either flag samples where cv2 does with its own formula; the flag and
    the formula must match. padding_mode="zeros" is cv2's BORDER_CONSTANT with 0.
    """
    import torch
    import torch.nn.functional as F

    h, w = size
    n = len(quads)
    H, W = image.shape[:2]
    M = torch.from_numpy(perspective_maps(quads, size)).float()
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32),
                            indexing="ij")
    pts = torch.stack([xs, ys, torch.ones_like(xs)], -1).reshape(1, -1, 3)
    src = pts @ M.transpose(1, 2)                              # N x (h*w) x 3
    sx, sy = src[..., 0] / src[..., 2], src[..., 1] / src[..., 2]
    grid = torch.stack([2 * sx / (W - 1) - 1, 2 * sy / (H - 1) - 1], -1).reshape(n, h, w, 2)
    with torch.no_grad():
        out = F.grid_sample(_torch_batch(image, n), grid, mode="bilinear", padding_mode="zeros",
                            align_corners=True)
    return _torch_to_u8(out, image)


def crops_kornia(image, quads, size):
    """kornia.geometry.transform.warp_perspective: all boxes in one call. kornia takes the
    source -> destination matrix in pixels (like cv2.warpPerspective) and normalises it, and its
    sampling grid, to [-1, 1] itself before it calls grid_sample. align_corners=True (kornia's
    default) selects the corner-aligned frame, pixel centres 0 and W - 1 at -1 and +1 (scale
    2 / (W - 1)), the frame crops_torch builds by hand; cv2 puts pixel i's centre at i in pixels,
    so in pixels the two sample the same points. run_benchmark checks the crops against cv2's."""
    import torch
    from kornia.geometry.transform import warp_perspective

    n = len(quads)
    M = torch.from_numpy(np.linalg.inv(perspective_maps(quads, size))).float()
    with torch.no_grad():
        out = warp_perspective(_torch_batch(image, n), M, dsize=tuple(size), mode="bilinear",
                               padding_mode="zeros", align_corners=True)
    return _torch_to_u8(out, image)


def agreement(ref, out) -> dict:
    """How close `out` is to `ref` (uint8 arrays of the same shape)."""
    ref = np.asarray(ref)
    out = np.asarray(out)
    if ref.shape != out.shape:
        raise ValueError(f"shapes differ: {ref.shape} vs {out.shape}")
    if ref.size == 0:
        return {"mean_abs_diff": 0.0, "within_2": 1.0, "exact": 1.0, "max_abs_diff": 0}
    d = np.abs(ref.astype(np.int16) - out.astype(np.int16))
    return {"mean_abs_diff": float(d.mean()), "within_2": float((d <= 2).mean()),
            "exact": float((d == 0).mean()), "max_abs_diff": int(d.max())}


def workload(width=None, height=None, n_boxes=None, seed=None):
    """(image, quads, size) of the course workload (a document from optkit.data)."""
    from optkit import data

    w = WORKLOAD
    doc = data.make_document(width or w["width"], height or w["height"], n_boxes or w["n_boxes"],
                             w["seed"] if seed is None else seed)
    return doc.image, doc.quads, w["size"]


def _loadavg():
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - not on every OS
        return None


def peers(image, quads, size, threads=2, pool=None) -> dict:
    """Every peer of the crop benchmark: {label: (fn, setting, why_skipped)}.

    fn() does the whole job (uint8 page in, uint8 crops out); setting() is a context manager
    with the peer's thread setting (OpenCV's pool, torch's intra-op threads), entered OUTSIDE the
    timed call; why_skipped is None, or why the peer cannot run here (fn is then None).
    `pool`: a ThreadPoolExecutor with `threads` workers for the chunked pool (required for it).
    """
    k = threads
    one = lambda: cv2_threads(1)                                           # noqa: E731
    out = {
        "cv2 loop": (lambda: crops_loop(image, quads, size), one, None),
        f"cv2 loop, OpenCV's own {k} threads": (lambda: crops_loop(image, quads, size),
                                                lambda: cv2_threads(k), None),
        f"cv2 pool, {k} chunks": (lambda: crops_pool(image, quads, size, k, pool=pool), one, None),
    }
    for name, fn, mod in (("torch grid_sample", crops_torch, "torch"),
                          ("kornia warp_perspective", crops_kornia, "kornia")):
        why = None if importable(mod) else f"{mod} is not installed"
        if why is None and mod == "kornia" and not importable("torch"):
            why = "kornia needs torch, which is not installed"     # kornia is built on torch
        for n in (1, k):
            out[f"{name}, {n} thread{'s' if n > 1 else ''}"] = (
                (lambda fn=fn: fn(image, quads, size)) if why is None else None,
                (lambda n=n: _torch_and_cv2(n)), why)
    for kern in ("plain", "tuned"):
        for n in (1, k):
            out[f"C {kern}, threads={n}"] = (
                lambda kern=kern, n=n: crops_native(image, quads, size, threads=n, kernel=kern), one, None)
    return out


@contextlib.contextmanager
def _torch_and_cv2(n):
    with cv2_threads(1), torch_threads(n):
        yield


# A pause before every timed call (untimed): the thread pools of the previous peer (OpenMP's,
# torch's, OpenCV's) spin for a while after their work before they sleep, and on a 2-core machine
# those spinning threads would take the cores from the next peer.
PAUSE_S = 0.02


# The speed goals are "inconclusive" when, during the timed rounds, other programs left fewer
# free CPUs than this share of the ones the benchmark needs: the timings then measure the
# neighbours as much as the code. "Other programs" is the machine's busy CPU time (all
# programs, psutil) minus this process's own CPU time (all its threads: the pool, OpenMP's and
# torch's), so the benchmark's own threads never count; and the free CPUs are the host's
# (os.cpu_count()), as those counters are, not a container's quota: neighbours that leave the
# host cores to spare do not slow the benchmark down.
BUSY_FREE_SHARE = 0.75


def busy_from(other_cpus, host_cpus, need) -> bool:
    """Whether other programs, using `other_cpus` cores' worth on average, left fewer than
    BUSY_FREE_SHARE x `need` of the `host_cpus` CPUs free (False when `other_cpus` is unknown)."""
    if other_cpus is None or not other_cpus == other_cpus:       # None or NaN: no verdict
        return False
    return host_cpus - other_cpus < BUSY_FREE_SHARE * need


def _other_cpus(busy0, cpu0, wall0):
    """Cores' worth of CPU that other programs used since (machine busy s, own CPU s, wall s)."""
    wall = time.perf_counter() - wall0
    busy = machine.machine_busy_s() - busy0
    if not (wall > 0 and busy == busy):                          # NaN: counters unknown
        return None
    return max(0.0, (busy - (time.process_time() - cpu0)) / wall)


# Timed with the peers, in the same rounds: the first step of torch's job alone.
CONVERSION = "torch: uint8 page -> float tensor, 1 thread"


def _pctl(xs, q):
    return float(np.percentile(xs, q))


def run_benchmark(repeat=15, threads=2, image=None, quads=None, size=None) -> dict:
    """Time every peer on one workload, in one run, interleaved; return a JSON-able dict.

    Every peer's output is checked against the cv2 loop FIRST (a peer more than 2 gray levels
    off anywhere, or with under 99 % of pixels within 2 levels, stops the benchmark). Then peers
    run round-robin (one timing of each per round) so that a noisy neighbour on a shared machine
    hits all of them alike; headline ratios are ratios of medians, with an interquartile band
    (the loop's upper quartile over the peer's lower one, and the other way round). Every peer
    keeps its samples ("samples_s"), for optkit.timing.clearly_different.

    When torch's peer runs, the same rounds also time the first step of its job alone: the
    uint8 page turned into a float tensor (one thread), under "conversion", with its median, IQR
    and its share of torch's one-thread median (and the quartile band of that share).
    """
    from optkit import native

    if image is None:
        image, quads, size = workload()
    load0 = _loadavg()
    n_px = len(quads) * size[0] * size[1]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        table = peers(image, quads, size, threads, pool)
        runnable = {k: v for k, v in table.items() if v[0] is not None}
        with cv2_threads(1):
            ref = crops_loop(image, quads, size)
        agree = {}
        for label, (f, setting, _) in runnable.items():     # correct first
            with setting():
                out = f()
            a = agreement(ref, out)
            if a["max_abs_diff"] > 2 or a["within_2"] < 0.99:
                raise AssertionError(f"{label} differs from the cv2 loop: {a}")
            agree[label] = a
        timed = dict(runnable)
        torch1 = "torch grid_sample, 1 thread"
        if torch1 in runnable:       # not a peer (no crops out): only timed, in the same rounds
            timed[CONVERSION] = (lambda: _torch_batch(image, len(quads)), lambda: _torch_and_cv2(1), None)
        times = {label: [] for label in timed}
        for label, (f, setting, _) in timed.items():        # warm-up
            with setting():
                f()
        start = (machine.machine_busy_s(), time.process_time(), time.perf_counter())
        for _ in range(repeat):
            for label, (f, setting, _) in timed.items():
                with setting():
                    time.sleep(PAUSE_S)
                    t0 = time.perf_counter()
                    f()
                    times[label].append(time.perf_counter() - t0)
        other_cpus = _other_cpus(*start)
    base = times["cv2 loop"]
    mb = float(np.median(base))
    res_peers = {}
    for label, (_, _, why) in table.items():
        if label not in times:
            res_peers[label] = {"skipped": why}
            continue
        ts = times[label]
        med = float(np.median(ts))
        res_peers[label] = {
            "median_s": med,
            "iqr_s": _pctl(ts, 75) - _pctl(ts, 25),
            "best_s": float(min(ts)),
            "samples_s": [float(t) for t in ts],
            "ratio_vs_loop": mb / med,
            "ratio_band": [_pctl(base, 25) / _pctl(ts, 75), _pctl(base, 75) / _pctl(ts, 25)],
            "ns_per_px": med / n_px * 1e9,
            "agreement_vs_loop": agree[label],
        }
    conversion = None
    if CONVERSION in times:
        tc, tt = times[CONVERSION], times[torch1]
        conversion = {"label": CONVERSION, "median_s": float(np.median(tc)),
                      "iqr_s": _pctl(tc, 75) - _pctl(tc, 25), "samples_s": [float(t) for t in tc],
                      "share_of_torch_1thread": float(np.median(tc)) / float(np.median(tt)),
                      "share_band": [_pctl(tc, 25) / _pctl(tt, 75), _pctl(tc, 75) / _pctl(tt, 25)]}
    k = threads
    two_core = [f"cv2 loop, OpenCV's own {k} threads", f"cv2 pool, {k} chunks"]
    best_peer = min(two_core, key=lambda lb: res_peers[lb]["median_s"])
    t1 = res_peers["C tuned, threads=1"]["median_s"]
    tk = res_peers[f"C tuned, threads={k}"]["median_s"]
    g1, gk = mb / t1, res_peers[best_peer]["median_s"] / tk
    ts1, tsk, tsp = times["C tuned, threads=1"], times[f"C tuned, threads={k}"], times[best_peer]
    band1 = [_pctl(base, 25) / _pctl(ts1, 75), _pctl(base, 75) / _pctl(ts1, 25)]
    bandk = [_pctl(tsp, 25) / _pctl(tsk, 75), _pctl(tsp, 75) / _pctl(tsk, 25)]
    load1 = _loadavg()
    host_cpus = os.cpu_count() or 1
    need = min(threads, machine.usable_cpus())      # more than it may use: no run would be quiet
    # without CPU counters: the host's load before the rounds (an upper bound: earlier cells count)
    busy = busy_from(load0 if other_cpus is None else other_cpus, host_cpus, need)

    def goal(measured, target, band, **extra):
        """A goal's verdict: "inconclusive" when the machine was busy or the quartile band of the
        ratio reaches both sides of the goal; else "met" / "NOT met" by the ratio of medians."""
        met = measured >= target
        unsure = busy or band[0] < target <= band[1]
        return {"measured": measured, "goal": target, "met": met, "band": band, "inconclusive": unsure,
                "verdict": "inconclusive" if unsure else ("met" if met else "NOT met"), **extra}
    results = {
        "workload": {"image": list(image.shape), "boxes": int(len(quads)), "size": list(size),
                     "output_pixels": int(n_px)},
        "threads": threads,
        "repeat": repeat,
        "peers": res_peers,
        "conversion": conversion,
        "goals": {
            # keys for scripts; "label" is what a learner reads
            "tuned_threads1_vs_loop": goal(g1, 2.0, band1, label="C tuned, 1 thread vs the cv2 loop"),
            f"tuned_threads{k}_vs_best_{k}core_peer": goal(gk, 2.5, bandk, best_peer=best_peer,
                                                            label=f"C tuned, {k} threads vs the best {k}-core peer"),
        },
        "kernels_identical": bool(np.array_equal(crops_native(image, quads, size, kernel="plain"),
                                                 crops_native(image, quads, size, kernel="tuned"))
                                  and np.array_equal(crops_native(image, quads, size, kernel="plain"),
                                                     crops_native(image, quads, size, kernel="portable"))),
        "parallel_efficiency": t1 / (k * tk),
        "agreement": agree[f"C tuned, threads={k}"],
        "build_info": native.build_info(),
        # timings on a shared machine: how busy it was. other_cpus: cores' worth of CPU that
        # other programs used during the timed rounds (None if unknown), of the host's host_cpus;
        # busy: they left under BUSY_FREE_SHARE x `need` CPUs free. loadavg_1min: the host's
        # 1-minute load average before and after (context only: it counts this benchmark too)
        "other_cpus": other_cpus,
        "host_cpus": host_cpus,
        "busy": busy,
        "loadavg_1min": [load0, load1],
    }
    try:
        from optkit import bench as _bench

        results["context"] = _bench.context()
    except Exception:  # pragma: no cover - context is informative only
        pass
    return results


def bench_main(argv=None) -> int:
    """`optkit bench crops [--json] [--repeat N] [--threads K]`."""
    from optkit.cliargs import int_in, positive_int

    ap = argparse.ArgumentParser(prog="optkit bench crops",
                                 description="perspective crops: cv2 loop, OpenCV threads, thread pool, torch, kornia, optkit.native")
    ap.add_argument("--json", action="store_true", help="print JSON only")
    ap.add_argument("--repeat", type=int_in(1, 1000), default=15)
    ap.add_argument("--threads", type=int_in(1, 1024, " (warp_crops' limit)"), default=2)
    ap.add_argument("--width", type=positive_int, default=WORKLOAD["width"])
    ap.add_argument("--height", type=positive_int, default=WORKLOAD["height"])
    ap.add_argument("--boxes", type=positive_int, default=WORKLOAD["n_boxes"])
    args = ap.parse_args(argv)
    try:
        image, quads, size = workload(args.width, args.height, args.boxes)
    except ValueError as exc:      # sizes or box counts the document generator refuses
        ap.error(str(exc))
    res = run_benchmark(repeat=args.repeat, threads=args.threads, image=image, quads=quads, size=size)
    if args.json:
        print(json.dumps(res, indent=1))
        return 0
    print(f"workload: image {res['workload']['image']}, {res['workload']['boxes']} boxes -> "
          f"{res['workload']['size']}  (build: {res['build_info']})")
    print(f"  {'peer':36s} {'median':>9s} {'IQR':>9s}  {'vs loop':>8s}  {'ns/px':>6s}  max diff")
    for label, r in res["peers"].items():
        if "skipped" in r:
            print(f"  {label:36s} skipped: {r['skipped']}")
            continue
        print(f"  {label:36s} {r['median_s'] * 1e3:6.2f} ms {r['iqr_s'] * 1e3:6.2f} ms  "
              f"x{r['ratio_vs_loop']:7.2f}  {r['ns_per_px']:6.2f}  {r['agreement_vs_loop']['max_abs_diff']}")
    conv = res.get("conversion")
    if conv:
        print(f"  {conv['label']:36s} {conv['median_s'] * 1e3:6.2f} ms {conv['iqr_s'] * 1e3:6.2f} ms  "
              f"{conv['share_of_torch_1thread']:.0%} of torch's one-thread time")
    if res["busy"]:
        used = (f"other programs used {res['other_cpus']:.1f} of the host's {res['host_cpus']} CPUs "
                "during the rounds") if res["other_cpus"] is not None else \
            f"host load average {res['loadavg_1min'][0]:.1f} for {res['host_cpus']} CPUs"
        print(f"note: the machine was busy ({used}); thread scaling needs free cores")
    for name, g in res["goals"].items():
        extra = f" (best peer: {g['best_peer']})" if "best_peer" in g else ""
        why = (" (machine busy)" if res["busy"] else " (the quartile band reaches both sides)") \
            if g["inconclusive"] else ""
        print(f"goal ({g.get('label', name)}): x{g['measured']:.2f} (band x{g['band'][0]:.2f}..x{g['band'][1]:.2f}), "
              f"goal x{g['goal']:.1f}: {g['verdict']}{why}{extra}")
    print(f"kernels plain / tuned / portable identical: {res['kernels_identical']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(bench_main())
