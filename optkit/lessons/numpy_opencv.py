"""Lesson 02's room: the steps between each OCR stage's reference and its fastest version, as
the notebook builds them (``optkit.pipeline`` holds the references, the fast versions and the
pipeline itself)."""
from __future__ import annotations

import sys

import numpy as np

from optkit.context import context_line
from optkit.data import default_document, make_document
from optkit.pipeline import (FAST, HIGH_PCT, IOU_THRESHOLD, LOW_PCT, MEAN, REFERENCE, SCORE_THRESHOLD, STAGES, STD,
                             THRESHOLD, assert_same_result, batch_fast, batch_reference, batch_tables, binarize_fast,
                             binarize_reference, contrast_fast, contrast_reference, contrast_table, crop_fast,
                             crop_pad_reference, ctc_fast, ctc_reference, grayscale_fast, grayscale_reference,
                             nms_fast, nms_reference, order_fast, order_reference, run_fast, run_reference,
                             simulate, stage_inputs)

__all__ = ["grayscale_numpy", "grayscale_shift", "contrast_numpy", "contrast_lut", "contrast_take",
           "binarize_numpy", "binarize_hexmask", "nms_numpy", "batch_float32", "batch_take", "ctc_repeated_steps", "ctc_blank_between_letters",
           "ctc_no_step_loop", "order_more_boxes", "order_no_box_loop",
           "VARIANTS", "bench_main"]


def grayscale_numpy(image):
    """Vectorised: the same formula on whole channels (NumPy's default int64)."""
    img = image.astype(np.int64)
    gray = (9798 * img[..., 2] + 19235 * img[..., 1] + 3735 * img[..., 0] + 16384) // 32768
    return gray.astype(np.uint8)


def grayscale_shift(image, out=None):
    """Smaller dtype (uint32 is enough: 255 * 32768 + 16384 < 2**32, the rounding term included), in-place operations into
    reused buffers, and a shift by 15 bits instead of a division by 32768 (= 0x8000)."""
    h, w, _ = image.shape
    acc = np.empty((h, w), np.uint32)
    tmp = np.empty((h, w), np.uint32)
    np.multiply(image[..., 2], np.uint32(9798), out=acc, dtype=np.uint32)
    np.multiply(image[..., 1], np.uint32(19235), out=tmp, dtype=np.uint32)
    acc += tmp
    np.multiply(image[..., 0], np.uint32(3735), out=tmp, dtype=np.uint32)
    acc += tmp
    acc += 0x4000
    acc >>= 15
    if out is None:
        out = np.empty((h, w), np.uint8)
    np.copyto(out, acc, casting="unsafe")
    return out


def contrast_numpy(gray, low=LOW_PCT, high=HIGH_PCT):
    """Vectorised: np.bincount for the histogram, whole-image integer arithmetic."""
    hist = np.bincount(gray.ravel(), minlength=256)
    cum = np.cumsum(hist)
    n = gray.size
    lo = int(np.searchsorted(cum, n * low // 100, side="right"))
    hi = int(np.searchsorted(cum, n - n * (100 - high) // 100, side="left"))
    if hi <= lo:
        hi = lo + 1
    v = gray.astype(np.int64)
    out = ((v - lo) * 255 + (hi - lo) // 2) // (hi - lo)
    return np.clip(out, 0, 255).astype(np.uint8)


def contrast_lut(gray, low=LOW_PCT, high=HIGH_PCT):
    """Only 256 possible inputs: compute the 256 answers once, then look them up
    (fancy indexing ``table[gray]``)."""
    table = contrast_table(np.bincount(gray.ravel(), minlength=256), gray.size, low, high)
    return table[gray]


def contrast_take(gray, low=LOW_PCT, high=HIGH_PCT):
    """The same lookup with ``np.take`` (a simpler code path than fancy indexing)."""
    table = contrast_table(np.bincount(gray.ravel(), minlength=256), gray.size, low, high)
    return np.take(table, gray)


def binarize_numpy(norm, threshold=THRESHOLD):
    """Vectorised with np.where (note: the 255/0 constants make an int64 temporary)."""
    return np.where(norm < threshold, 255, 0).astype(np.uint8)


def binarize_hexmask(norm):
    """Bit trick for the threshold 0x80: a uint8 is below 128 exactly when its top bit
    (0x80) is 0. Invert the bits, read them as int8 (top bit = sign) and shift right by 7:
    the sign bit is copied into all 8 bits, giving 0xFF (ink) or 0x00 (paper)."""
    inv = np.invert(norm).view(np.int8)
    return np.right_shift(inv, 7).view(np.uint8)


def nms_numpy(rects, scores, iou_threshold=IOU_THRESHOLD, score_threshold=SCORE_THRESHOLD):
    """Vectorised over candidates: each kept box suppresses all the others at once."""
    scores = np.asarray(scores, np.float64)
    r = np.asarray(rects, np.int64)
    x0, y0 = r[:, 0], r[:, 1]
    x1, y1 = x0 + r[:, 2], y0 + r[:, 3]
    area = r[:, 2] * r[:, 3]
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] > score_threshold]
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest])
        h = np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest])
        inter = np.maximum(w, 0) * np.maximum(h, 0)
        union = area[i] + area[rest] - inter
        iou = inter / np.maximum(union, 1)
        order = rest[iou <= iou_threshold]
    return np.array(keep, dtype=np.int64)


def batch_float32(crops, mean=MEAN, std=STD, out=None):
    """Whole batch at once in float32, in place, one transposed copy: faster, but float32
    arithmetic rounds differently (equal to the reference within about 1e-6, not bit for bit)."""
    k, h, w, c = crops.shape
    if out is None:
        out = np.empty((k, c, h, w), np.float32)
    np.copyto(out, crops.transpose(0, 3, 1, 2), casting="unsafe")
    scale = (1.0 / (255.0 * np.asarray(std))).astype(np.float32)[:, None, None]
    offset = (-np.asarray(mean) / np.asarray(std)).astype(np.float32)[:, None, None]
    out *= scale
    out += offset
    return out


def batch_take(crops, mean=MEAN, std=STD, out=None):
    """uint8 has only 256 values per channel: look up the float64 formula's 256 float32
    results (exactly the reference's numbers) with np.take into each channel of the NCHW buffer
    (with the default mode="raise", NumPy writes through a temporary copy of ``out``)."""
    tables = batch_tables(mean, std)
    k, h, w, c = crops.shape
    if out is None:
        out = np.empty((k, c, h, w), np.float32)
    for ch in range(c):
        np.take(tables[ch], crops[..., ch], out=out[:, ch])
    return out


# --------------------------------------------------------------------------- exercise C's rule
CTC_RULE_BOXES = 8          # boxes of the check's logits the rule decodes
CTC_RULE_REPEAT = 8         # every time step repeated this many times: the counted stretch
CTC_RUN_BOXES = 64          # boxes for the second stretch (more runs added; a box loop is free)
CTC_THREAD_REPEAT = 512     # a longer stretch, timed in the Python threads that ran already
CTC_THREAD_CPU_S = 0.003    # CPU seconds such threads may spend during it (waiting ones: ~0)


def ctc_repeated_steps(args, k):
    """Exercise C's logits cut to a few boxes, with every time step repeated ``k`` times. That
    decodes to the same strings (repeats collapse: ``a a _ _ b b`` reads ``ab`` as ``a _ b``
    does; a blank between two equal letters stays between their copies), and unlike blank steps
    appended at the end it cannot be cut off before a loop: the steps themselves are ``k``
    times as many. It adds no runs of equal steps: a loop over the runs left after collapsing
    repeats does not grow with it (:func:`ctc_blank_between_letters` does that)."""
    logits = np.asarray(args[0])[:CTC_RULE_BOXES]
    return (np.ascontiguousarray(np.repeat(logits, int(k), axis=1)),)


def ctc_blank_between_letters(args, split, blank=0):
    """Exercise C's logits (up to ``CTC_RUN_BOXES`` boxes), rebuilt so that the number of runs
    of equal steps changes while the decoded strings do not. ``split=False``: the blank runs
    between two different letters are taken out (``a _ _ b`` becomes ``a b``). ``split=True``:
    every two adjacent runs of different letters get one blank step between them (``a b``
    becomes ``a _ b``; a blank between two equal letters is always kept). Both read the same
    strings; the split one has one more run (and one more step) per pair of different adjacent
    letters, the kept characters stay as they are. Boxes that come out shorter are padded with
    copies of their last step (a repeat: no new run)."""
    logits = np.asarray(args[0])[:CTC_RUN_BOXES]
    best = logits.argmax(axis=2)
    rows = []
    for n in range(logits.shape[0]):
        row, b = logits[n], best[n]
        starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
        ends = np.r_[starts[1:], b.size]
        steps, last_letter = [], None              # the previous letter run (None: none yet)
        for i, (s0, s1) in enumerate(zip(starts.tolist(), ends.tolist())):
            c = int(b[s0])
            if c == blank:
                nxt = int(b[ends[i]]) if i + 1 < starts.size else None
                if last_letter is not None and nxt is not None and nxt != last_letter:
                    continue                        # between two different letters: dropped here
                steps.append(row[s0:s1])
                last_letter = None
                continue
            if split and last_letter is not None and last_letter != c:
                gap = row[s0].copy()
                gap[blank] = gap.max() + 1          # a step whose best class is the blank
                steps.append(gap[None])
            steps.append(row[s0:s1])
            last_letter = c
        rows.append(np.concatenate(steps))
    t = max(r.shape[0] for r in rows)
    out = np.empty((len(rows), t, logits.shape[2]), logits.dtype)
    for n, r in enumerate(rows):
        out[n, :r.shape[0]] = r
        out[n, r.shape[0]:] = r[-1]
    return (out,)


def _runs(logits) -> int:
    best = np.asarray(logits).argmax(axis=2)
    return int(best.shape[0] + np.count_nonzero(best[:, 1:] != best[:, :-1]))


def ctc_no_step_loop(fn, args):
    """Exercise C's rule ("no Python loop over time steps"), with two stretches that keep the
    decoded strings: every step repeated ``CTC_RULE_REPEAT`` times (more steps, the same runs),
    and a blank step put between every two adjacent different letters (more runs of equal
    steps: :func:`ctc_blank_between_letters`). Neither may cost Python code once per added step
    or per added run, in any thread of this process; so collapsing repeats with NumPy and then
    looping in Python over the runs that are left is refused too. A loop over boxes, or over
    the kept characters, is fine: both stretches leave them alone. Not seen: iteration done
    inside C iterators with a C function (``map(operator.ne, ...)``, ``itertools.groupby`` without
    a ``key``, over a list of the steps) runs no Python instructions (a ``lambda`` passed to
    ``map``/``filter`` does, and is seen), and work done in another process (a ``multiprocessing`` child fed
    through a pipe) is not traced at all."""
    from optkit.fmt import format_time
    from optkit.i18n import tr
    from optkit.pywork import python_work

    import threading

    busy = tr(" (every thread is counted here: if another thread of yours was busy during the "
              "call, check again while it is idle)") if hasattr(threading, "settrace_all_threads") else ""
    base, long = ctc_repeated_steps(args, 1), ctc_repeated_steps(args, CTC_RULE_REPEAT)
    added = max(1, long[0].shape[1] - base[0].shape[1])
    per_step = (python_work(fn, long) - python_work(fn, base)) / added
    if per_step >= 1:
        return tr("it runs Python code once per time step ({n:.0f} more Python instructions per added "
                  "step): the task asks for whole-array work over the time steps (argmax and the "
                  "masks for all steps at once); a loop over boxes is fine", n=per_step) + busy
    joined, split = ctc_blank_between_letters(args, False), ctc_blank_between_letters(args, True)
    runs = _runs(split[0]) - _runs(joined[0])
    if runs > 0:
        per_run = (python_work(fn, split) - python_work(fn, joined)) / runs
        if per_run >= 1:
            return tr("it runs Python code once per run of equal time steps ({n:.0f} more Python "
                      "instructions per added run: a blank step put between two different letters, "
                      "the same strings): collapsing repeats first and then looping over the steps "
                      "that are left is still a loop over time steps; do the masks, the lookup and "
                      "the split with whole-array operations (a loop over boxes or over the kept "
                      "characters is fine)", n=per_run) + busy
    work = python_work(fn, ctc_repeated_steps(ctc_blank_between_letters(args, True),
                                              CTC_THREAD_REPEAT))
    if work.other_thread_cpu_s > CTC_THREAD_CPU_S:
        return tr("another thread that was already running spent {cpu} of CPU during one call: the "
                  "rule cannot count all the Python instructions of such a thread (not the code it "
                  "was already running when the call began) nor tell whether it did your "
                  "function's work; decode in the calling thread, with whole-array work over the "
                  "time steps, and check while no other thread of yours is busy",
                  cpu=format_time(work.other_thread_cpu_s))
    return None


def order_more_boxes(args, n):
    """Exercise B's quads with ``n`` more boxes (copies of the first ones, cycled): the stretch
    its rule counts Python instructions over."""
    quads = np.asarray(args[0])
    if n <= 0 or quads.shape[0] == 0:
        return (quads,)
    more = np.resize(quads, (int(n),) + quads.shape[1:])
    return (np.ascontiguousarray(np.concatenate([quads, more])),)


def order_no_box_loop(fn, args):
    """Exercise B's rule ("without a Python loop over boxes"): 200 more boxes may not cost Python
    code once per box (a loop, a comprehension, np.vectorize, np.apply_along_axis), in the
    calling thread or threads it starts. Work inside C iterators with a C function (``map`` of a builtin
    over a list of boxes) runs no Python instructions and is not seen; a ``lambda`` there is."""
    from optkit.i18n import tr
    from optkit.pywork import python_work_per_entry

    per_box = python_work_per_entry(fn, order_more_boxes, args, extra=200)
    if per_box >= 1:
        return tr("it runs Python code once per box ({n:.0f} more Python instructions per added box): "
                  "the task asks for whole-array work over all boxes at once (argmin / argmax along "
                  "the corner axis, np.take_along_axis)", n=per_box)
    return None


#: Every version of every stage, slowest first (what notebook 02 builds, step by step).
VARIANTS = {
    "grayscale": {"python loops": grayscale_reference, "numpy int64": grayscale_numpy,
                  "uint32 + shift, in place": grayscale_shift, "cv2.cvtColor": grayscale_fast},
    "contrast": {"python loops": contrast_reference, "numpy int64": contrast_numpy,
                 "lookup table[gray]": contrast_lut, "np.take(table, gray)": contrast_take,
                 "cv2.calcHist + cv2.LUT": contrast_fast},
    "binarize": {"python loops": binarize_reference, "np.where": binarize_numpy,
                 "hex mask 0x80": binarize_hexmask, "cv2.threshold": binarize_fast},
    "nms": {"python loops": nms_reference, "numpy": nms_numpy, "cv2.dnn.NMSBoxes": nms_fast},
    "order": {"python loops": order_reference, "numpy": order_fast},
    "crop": {"python loops": crop_pad_reference, "preallocated buffer": crop_fast},
    "batch": {"python loops, float64": batch_reference, "float32, in place": batch_float32,
              "np.take lookup table": batch_take, "cv2.LUT lookup table": batch_fast},
    "ctc": {"python loops": ctc_reference, "numpy argmax + masks": ctc_fast},
}


def bench_main(argv=None) -> int:
    """``optkit bench pipeline [--json] [--width W --height H --boxes N --seed S] [--repeat R]``

    Times every stage (reference vs NumPy/OpenCV, outputs checked equal first) and the whole
    pipeline on the default document, and prints the table (or JSON with the ratios).
    """
    import argparse
    import json

    from optkit import bench
    from optkit.cliargs import int_in, nonnegative_int, positive_int

    p = argparse.ArgumentParser(prog="optkit bench pipeline",
                                description="Pure-Python reference vs NumPy/OpenCV pipeline.")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.add_argument("--width", type=positive_int, default=1600)
    p.add_argument("--height", type=positive_int, default=1200)
    p.add_argument("--boxes", type=positive_int, default=300)
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--repeat", type=int_in(1, 1000), default=3, help="timed repeats per variant (default 3)")
    p.add_argument("--stages", default=",".join(STAGES),
                   help=f"comma-separated subset of {','.join(STAGES)} (default: all)")
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        p.print_usage(sys.stderr)
        print(f"optkit bench pipeline: error: argument --stages: unknown stage(s) {unknown or args.stages!r}; "
              f"choose from {','.join(STAGES)}", file=sys.stderr)
        return 2
    try:
        doc = (default_document() if (args.width, args.height, args.boxes, args.seed) == (1600, 1200, 300, 0)
               else make_document(args.width, args.height, args.boxes, args.seed))
    except ValueError as exc:
        p.print_usage(sys.stderr)
        print(f"optkit bench pipeline: error: {exc}", file=sys.stderr)
        return 2
    scene = simulate(doc)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, flush=True))
    log(f"document {doc.size[0]}x{doc.size[1]}, {doc.n_boxes} words, "
        f"{scene.n_candidates} NMS candidates")
    inputs = stage_inputs(scene)
    per_stage = {}
    for name in stages:
        log(f"  timing stage {name} ...")
        c = bench.compare({"reference": REFERENCE[name], "fast": FAST[name]}, *inputs[name],
                          repeat=args.repeat, min_time=0.05, rtol=0, atol=0)
        per_stage[name] = c
    log("  timing end to end ...")
    e2e = bench.compare({"reference": run_reference, "fast": run_fast}, scene,
                        check=lambda a, b: assert_same_result(a, b) or True,
                        repeat=args.repeat, min_time=0.05)

    def row(c):
        ref, fast = c["reference"], c["fast"]
        return {"reference_s": ref.median_s, "fast_s": fast.median_s,
                "reference_iqr_s": ref.iqr_s, "fast_iqr_s": fast.iqr_s,
                "ratio": c.speedup("fast"), "outputs_equal": True}

    out = {
        "document": {"width": doc.size[0], "height": doc.size[1], "boxes": doc.n_boxes,
                     "seed": doc.seed, "candidates": scene.n_candidates},
        "stages": {name: row(c) for name, c in per_stage.items()},
        "end_to_end": row(e2e),
        "context": e2e.context,
    }
    if args.json:
        print(json.dumps(out, indent=1, default=str))
        return 0
    print(f"\n{'stage':<12}{'reference':>12}{'NumPy/OpenCV':>14}{'ratio':>10}")
    for name, r in list(out["stages"].items()) + [("END TO END", out["end_to_end"])]:
        print(f"{name:<12}{bench.format_time(r['reference_s']):>12}"
              f"{bench.format_time(r['fast_s']):>14}{r['ratio']:>9.1f}x")
    print("outputs checked equal before timing (median of "
          f"{args.repeat} repeats; {context_line(e2e.context)})")
    return 0
