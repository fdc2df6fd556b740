"""Helpers for notebook 06 (frameworks first): PyTorch, a data-bound training loop, CSV parsers.

Nothing here imports torch at module level: without torch the notebook still runs, says how
to install it once, and skips the torch cells (``%%requires torch``, from ``optkit.magics``).

    custom element-wise op      act_loop (Python loop over a tensor) / act_torch (vectorised)
                                try_compile(fn, example) -> CompileResult (torch.compile, timed)
    crops from the case study   crop_one / crop_gray_batch / normalise_one / normalise_batch
    a data-bound training loop  PerSampleCrops, BatchCrops (copies in notebooks/lesson06_datasets.py), tiny_cnn,
                                make_loader, train_epochs -> LoopTimes, profile_steps,
                                fastest (pick the quickest LoopTimes of several), clear_fastest
                                (name it only when clearly ahead of the runner-up)
    counting code               code_lines (non-blank, non-comment lines of a source section)

The CSV parsers are in the annex ``optkit.lessons.frameworks_first_csv``.
"""
from __future__ import annotations

import math
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np

from optkit.magics import INSTALL_HINT, TORCH_PIN, TorchMissing, have, require_torch, run_if_available
from optkit.pipeline import quad_corners, warp_quad
from optkit.workers import check_worker_import   # re-exported: notebook 06 calls fw.check_worker_import

__all__ = [
    "TORCH_PIN", "INSTALL_HINT", "TorchMissing", "have", "require_torch", "run_if_available",
    "act_loop", "act_torch", "time_once", "CompileResult",
    "try_compile", "CROP_SIZE", "check_crop_args", "jitter_table", "crop_one", "crop_gray_batch",
    "normalise_one", "normalise_batch",
    "word_length_labels", "PerSampleCrops", "BatchCrops", "tiny_cnn", "make_loader", "LoopTimes",
    "train_epochs", "fastest", "clear_fastest", "code_lines", "profile_steps", "check_worker_import",
]

# --------------------------------------------------------------------------- custom element-wise op
# A "capped squareplus" activation: 0.5 * (x + sqrt(x*x + b)), capped at `cap`. Smooth like
# softplus, cheap like ReLU; torch has no such op, so a beginner writes it element by element.

def act_loop(x, b: float = 4.0, cap: float = 6.0):
    """Reference: a Python loop over the elements of a 1-D tensor (what a beginner writes)."""
    torch = require_torch()
    if not isinstance(x, torch.Tensor) or x.ndim != 1:
        raise ValueError("act_loop expects a 1-D torch tensor")
    out = torch.empty_like(x)
    for i in range(x.shape[0]):
        v = float(x[i])
        y = 0.5 * (v + math.sqrt(v * v + b))
        out[i] = y if y < cap else cap
    return out


def act_torch(x, b: float = 4.0, cap: float = 6.0):
    """The same op in vectorised torch ops (any shape)."""
    torch = require_torch()
    return torch.clamp(0.5 * (x + torch.sqrt(x * x + b)), max=cap)


def time_once(fn, *args, **kwargs):
    """(result, seconds) of one call: for slow variants that are timed once, not repeated
    (a pure-Python loop over every element takes seconds where the vectorised version takes
    microseconds). Timed by :func:`optkit.bench.time_once`, the course's one-shot timer;
    a ratio against it is rough (one call has no median and no spread)."""
    from optkit import bench

    out, t = bench.time_once(fn, *args, **kwargs)
    return out, t.median_s


@dataclass
class CompileResult:
    """What happened when we asked torch.compile for a faster version of a function."""

    ok: bool
    fn: Callable | None          # the compiled function (None when it failed)
    compile_s: float             # first call (tracing + code generation + C++ build) in seconds
    reason: str = ""             # why it failed or was skipped

    def __repr__(self):
        if self.ok:
            return f"CompileResult(ok, first call incl. compile {self.compile_s:.2f} s)"
        return f"CompileResult(failed after {self.compile_s:.2f} s: {self.reason})"


def try_compile(fn, *example, **compile_kwargs) -> CompileResult:
    """``torch.compile(fn)`` and one call on ``example``, timed; failures are caught and
    explained (no C++ compiler, inductor errors...). Set OPTKIT_NO_COMPILE=1 to skip."""
    torch = require_torch()
    if os.environ.get("OPTKIT_NO_COMPILE", "").strip() not in ("", "0"):
        return CompileResult(False, None, 0.0, "skipped: OPTKIT_NO_COMPILE is set")
    t0 = time.perf_counter()
    try:
        compiled = torch.compile(fn, **compile_kwargs)
        compiled(*example)
    except Exception as exc:  # BackendCompilerFailed, missing compiler, ...
        first = str(exc).strip().splitlines()
        reason = f"{type(exc).__name__}: {first[0] if first else ''}"[:300]
        return CompileResult(False, None, time.perf_counter() - t0, reason)
    return CompileResult(True, compiled, time.perf_counter() - t0)


# --------------------------------------------------------------------------- crops
CROP_SIZE = (64, 32)      # (width, height) of one word crop fed to the CNN


def check_crop_args(image, quads, size):
    """The quads as (N, 4, 2) float32, after checking the image, the quads and the crop size."""
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError("image must be an (H, W, 3) uint8 BGR array")
    q = np.asarray(quads, np.float32)
    if q.ndim != 3 or q.shape[1:] != (4, 2):
        raise ValueError(f"quads must have shape (N, 4, 2), got {q.shape}")
    w, h = size
    if int(w) <= 0 or int(h) <= 0:
        raise ValueError(f"crop size must be positive, got {size}")
    return q


def crop_one(image, quad, size=CROP_SIZE):
    """One upright BGR crop (h, w, 3) uint8 of a quad (TL, TR, BR, BL), by a perspective warp."""
    return warp_quad(image, quad, int(size[0]), int(size[1]), border=cv2.BORDER_CONSTANT)


def crop_gray_batch(image, quads, size=CROP_SIZE, out=None):
    """All crops at once as grey (N, h, w) uint8: one warp per quad into a preallocated
    buffer, then ONE colour conversion for the whole stack (same pixels as crop_one + cvtColor)."""
    q = check_crop_args(image, quads, size)
    w, h = int(size[0]), int(size[1])
    n = len(q)
    buf = np.empty((n, h, w, 3), np.uint8)
    dst = quad_corners(w, h)
    for i in range(n):
        warp_quad(image, q[i], w, h, out=buf[i], corners=dst, border=cv2.BORDER_CONSTANT)
    if n == 0:
        return np.empty((0, h, w), np.uint8)
    gray = cv2.cvtColor(buf.reshape(n * h, w, 3), cv2.COLOR_BGR2GRAY).reshape(n, h, w)
    if out is not None:
        out[...] = gray
        return out
    return gray


def normalise_one(gray, eps: float = 1e-6):
    """One crop -> float32, zero mean and unit variance (per crop)."""
    x = gray.astype(np.float32) / np.float32(255.0)
    return (x - x.mean()) / (x.std() + np.float32(eps))


def normalise_batch(grays, eps: float = 1e-6):
    """(N, h, w) uint8 -> float32, every crop standardised on its own, in whole-array ops."""
    g = np.asarray(grays)
    if g.ndim != 3:
        raise ValueError(f"expected a (N, h, w) stack of crops, got shape {g.shape}")
    x = g.astype(np.float32)
    x *= np.float32(1.0 / 255.0)
    mean = x.mean(axis=(1, 2), keepdims=True)
    std = x.std(axis=(1, 2), keepdims=True)
    x -= mean
    x /= std + np.float32(eps)
    return x


def word_length_labels(texts, n_classes: int = 10):
    """Class of each word = its length (1..n_classes) - 1: the CNN guesses word length."""
    return np.array([min(len(t), n_classes) - 1 for t in texts], np.int64)


def jitter_table(n, seed, scale):
    """Augmentation: small random shifts of every quad corner, one table per seed."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, scale, (n, 4, 2)).astype(np.float32)


class PerSampleCrops:
    """The "before" dataset: everything happens per sample in ``__getitem__`` (crop, grey,
    float, normalise, to tensor), and the DataLoader collates one sample at a time.

    ``doc``: an optkit.data.Document. Augmentation: the quad corners are jittered by a
    table drawn from ``seed`` (same table in :class:`BatchCrops`, so both give equal batches).
    """

    def __init__(self, doc, size=CROP_SIZE, seed: int = 0, jitter: float = 1.0, n_classes: int = 10):
        self.image = doc.image
        self.quads = check_crop_args(doc.image, doc.quads, size) + jitter_table(len(doc.quads), seed, jitter)
        self.labels = word_length_labels(doc.texts, n_classes)
        self.size = (int(size[0]), int(size[1]))

    def __len__(self):
        return len(self.quads)

    def __getitem__(self, i):
        import torch

        crop = crop_one(self.image, self.quads[i], self.size)      # (h, w, 3) uint8
        gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)               # (h, w) uint8
        x = torch.tensor(gray, dtype=torch.float32) / 255.0         # like ToTensor()
        x = (x - x.mean()) / (x.std(correction=0) + 1e-6)           # like Normalize(), per crop
        return x.unsqueeze(0), int(self.labels[i])


class BatchCrops(PerSampleCrops):
    """The fix: indexed by a LIST of indices (use with a BatchSampler and batch_size=None),
    it crops the whole batch, converts and normalises it in whole-array operations and
    returns ready tensors ``(x (B, 1, h, w) float32, y (B,) int64)``."""

    takes_index_lists = True        # make_loader reads this: a BatchSampler, no collating

    def __getitem__(self, idx):
        import torch

        idx = np.atleast_1d(np.asarray(idx, np.int64))
        gray = crop_gray_batch(self.image, self.quads[idx], self.size)
        x = normalise_batch(gray)
        return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(self.labels[idx])


def tiny_cnn(n_classes: int = 10, width: int = 4):
    """A deliberately small CNN for (B, 1, 32, 64) crops: two strided convolutions, pooling,
    one linear layer. Small on purpose: the lesson is about the data side."""
    torch = require_torch()
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, width, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d((2, 4)), nn.Flatten(),
        nn.Linear(2 * width * 8, n_classes),
    )


def _worker_init(_worker_id):
    """Runs in every DataLoader worker: one thread per worker, so workers and the main
    process do not fight over the cores. PyTorch's worker loop already sets torch's intra-op
    pool to one thread (repeated here so the function says the whole rule); OpenCV's pool is not
    PyTorch's business, so it is capped here."""
    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def make_loader(dataset, batch_size: int = 64, *, num_workers: int = 0, shuffle: bool = True,
                seed: int = 0, pin_memory=None, prefetch_factor: int | None = None,
                mp_context: str = "forkserver"):
    """A DataLoader for either dataset kind.

    PerSampleCrops: classic per-sample loading + default collate. BatchCrops (any dataset whose
    ``takes_index_lists`` is true, such as the copy in notebooks/lesson06_datasets.py): a BatchSampler
    is passed as the DataLoader's ``sampler`` and yields whole index lists, and the DataLoader's
    own ``batch_size=None`` switches off automatic batching, so each list goes to
    ``dataset[indices]`` in one call and nothing is collated sample by sample.
    ``num_workers > 0`` uses persistent workers (started once, reused every epoch).
    ``pin_memory`` defaults to "only when a CUDA GPU is present" (it helps only for copies to
    a GPU).
    """
    torch = require_torch()
    from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if num_workers < 0:
        raise ValueError(f"num_workers must be >= 0, got {num_workers}")
    if pin_memory is None:
        pin_memory = torch.cuda.is_available()
    g = torch.Generator().manual_seed(seed)
    base = RandomSampler(dataset, generator=g) if shuffle else SequentialSampler(dataset)
    kw = dict(num_workers=num_workers, pin_memory=pin_memory)
    if num_workers > 0:
        # "forkserver": a forked copy of a process whose OpenCV/OpenMP thread pools are
        # running can hang in the child; workers started from a clean server do not.
        kw.update(persistent_workers=True, worker_init_fn=_worker_init,
                  multiprocessing_context=mp_context)
        if prefetch_factor is not None:
            kw["prefetch_factor"] = prefetch_factor
    if getattr(dataset, "takes_index_lists", False):
        sampler = BatchSampler(base, batch_size=batch_size, drop_last=False)
        return DataLoader(dataset, sampler=sampler, batch_size=None, **kw)
    return DataLoader(dataset, sampler=base, batch_size=batch_size, **kw)


@dataclass
class LoopTimes:
    """Where a training loop's time went (seconds, summed over the measured steps)."""

    data_s: float
    model_s: float
    steps: int
    samples: int
    losses: list = field(default_factory=list)
    warmup_s: float = 0.0        # first epoch (worker start-up, first-call costs), not counted
    cpu_s: float = float("nan")  # CPU time of this (main) process over the measured steps
    worker_cpu_s: float = 0.0    # CPU time of this process's children (DataLoader workers)
    busy_cpu_s: float = float("nan")  # CPU time of the whole machine (every program), same span

    @property
    def step_s(self) -> float:
        return (self.data_s + self.model_s) / max(self.steps, 1)

    @property
    def data_share(self) -> float:
        """Fraction of step time spent waiting for the next batch."""
        total = self.data_s + self.model_s
        return self.data_s / total if total > 0 else float("nan")

    @property
    def cpu_use(self) -> float:
        """Main-process CPU time / wall time of the measured steps. Close to 1 without
        workers on an idle core; well below 1 there means other programs took the CPU."""
        total = self.data_s + self.model_s
        return self.cpu_s / total if total > 0 else float("nan")

    @property
    def worker_cpu_use(self) -> float:
        """Cores' worth of CPU the DataLoader workers used during the measured steps."""
        total = self.data_s + self.model_s
        return self.worker_cpu_s / total if total > 0 else float("nan")

    @property
    def other_cpu_use(self) -> float:
        """Cores' worth of CPU that other programs on the machine used during the measured
        steps (machine-wide busy time minus this process and its workers; never below 0)."""
        total = self.data_s + self.model_s
        if not total > 0 or not math.isfinite(self.busy_cpu_s):
            return float("nan")
        return max(0.0, (self.busy_cpu_s - self.cpu_s - self.worker_cpu_s) / total)

    @property
    def samples_per_s(self) -> float:
        total = self.data_s + self.model_s
        return self.samples / total if total > 0 else float("nan")

    def __repr__(self):
        return (f"LoopTimes({self.steps} steps, {self.step_s * 1e3:.2f} ms/step, "
                f"data share {self.data_share:.0%}, warm-up {self.warmup_s:.2f} s)")


def fastest(results: dict) -> tuple:
    """``(label, LoopTimes)`` of the configuration with the shortest step time."""
    if not results:
        raise ValueError("no results to compare")
    label = min(results, key=lambda k: results[k].step_s)
    return label, results[label]


def clear_fastest(results: dict) -> tuple:
    """``(winner, fastest, runner_up)``: ``winner`` is the configuration with the shortest step
    time when it is clearly faster than the next one (``timing.clearly_different`` on their
    step times), else None: then print "no clear difference between fastest and runner_up".
    ``runner_up`` is None when there is one configuration.

    A value is one ``LoopTimes`` (one run: the ratio rule alone) or a list of them, one per
    interleaved round: then configurations are ranked by their median step time and judged on
    the step times of all their rounds (medians and spreads)."""
    import statistics

    from optkit.timing import clearly_different

    if not results:
        raise ValueError("no results to compare")

    def steps(v):
        return [r.step_s for r in v] if isinstance(v, (list, tuple)) else v.step_s

    def median(v):
        x = steps(v)
        return statistics.median(x) if isinstance(x, list) else x

    ranked = sorted(results, key=lambda k: median(results[k]))
    if len(ranked) == 1:
        return ranked[0], ranked[0], None
    first, second = ranked[0], ranked[1]
    clear = clearly_different(steps(results[first]), steps(results[second]))
    return (first if clear else None), first, second


def _children_cpu() -> dict:
    """{pid: CPU seconds so far} of this process's child processes (DataLoader workers)."""
    try:
        import psutil

        out = {}
        for c in psutil.Process().children(recursive=True):
            try:
                t = c.cpu_times()
                out[c.pid] = t.user + t.system
            except psutil.Error:
                pass
        return out
    except Exception:                                    # noqa: BLE001 - context only
        return {}


def _model_step(model, opt, loss_fn, x, y):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss


def train_epochs(loader, model, *, epochs: int = 2, lr: float = 0.05, warmup_epochs: int = 1,
                 seed: int = 0) -> LoopTimes:
    """Train for ``warmup_epochs + epochs`` epochs; time the measured epochs' data side
    (waiting for ``next(batch)``) and model side (forward, backward, optimiser step) with
    plain timers. The warm-up epoch's wall time is reported separately.

    Why not :mod:`optkit.bench`: a training step changes the model and the loader's
    position, so it cannot be repeated on the same input, and the lesson is the split of
    each step into waiting-for-data and computing, which a per-call timer cannot give.
    Configurations are compared by their mean step time over the measured epochs (many
    steps each; the warm-up epoch apart)."""
    torch = require_torch()
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    torch.manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    t0 = time.perf_counter()
    for _ in range(warmup_epochs):
        for x, y in loader:
            _model_step(model, opt, loss_fn, x, y)
    warm = time.perf_counter() - t0
    data_s = model_s = 0.0
    steps = samples = 0
    losses = []
    from optkit.machine import machine_busy_s     # the machine-wide reader every timing shares

    kids0, busy0 = _children_cpu(), machine_busy_s()
    cpu0 = time.process_time()
    for _ in range(epochs):
        it = iter(loader)
        while True:
            t0 = time.perf_counter()
            try:
                x, y = next(it)
            except StopIteration:
                break
            t1 = time.perf_counter()
            loss = _model_step(model, opt, loss_fn, x, y)
            t2 = time.perf_counter()
            data_s += t1 - t0
            model_s += t2 - t1
            steps += 1
            samples += len(y)
            losses.append(loss.item())
    cpu = time.process_time() - cpu0
    busy = machine_busy_s() - busy0
    kids1 = _children_cpu()
    kids = sum(max(0.0, kids1[p] - kids0[p]) for p in kids1 if p in kids0)
    return LoopTimes(data_s, model_s, steps, samples, losses, warm, cpu, kids, busy)


@contextmanager
def _quiet_fd2():
    """Silence C-level writes to file descriptor 2 (the profiler's start/stop trace lines)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def profile_steps(loader, model, *, steps: int = 8, lr: float = 0.05):
    """``torch.profiler`` over a few training steps, with the data side and the model side
    marked by ``record_function`` ranges ("data: next batch", "model: step"). Returns the
    profiler; ``prof.key_averages().table(...)`` shows where the time went."""
    torch = require_torch()
    from torch.profiler import ProfilerActivity, profile, record_function

    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    it = iter(loader)
    with _quiet_fd2(), profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            with record_function("data: next batch"):
                try:
                    x, y = next(it)
                except StopIteration:
                    it = iter(loader)
                    x, y = next(it)
            with record_function("model: step"):
                _model_step(model, opt, loss_fn, x, y)
    return prof


def profile_split(prof) -> dict:
    """{"data: next batch": s, "model: step": s} CPU time of the two ranges in a profile."""
    out = {}
    for ev in prof.key_averages():
        if ev.key in ("data: next batch", "model: step"):
            out[ev.key] = ev.cpu_time_total / 1e6
    return out


__all__.append("profile_split")


def profile_table(prof, sort_by: str = "cpu_time_total", row_limit: int = 10,
                  name_width: int = 44) -> str:
    """The profiler's summary in five columns that fit a notebook beside JupyterLab's file
    browser (under 100 characters a line, where ``key_averages().table()`` needs about 140):
    name, self CPU, CPU total (both with their share of the whole profile) and calls.
    ``sort_by``: ``"cpu_time_total"`` or ``"self_cpu_time_total"``; names longer than
    ``name_width`` are cut with an ellipsis."""
    if sort_by not in ("cpu_time_total", "self_cpu_time_total"):
        raise ValueError(f"sort_by must be 'cpu_time_total' or 'self_cpu_time_total', got {sort_by!r}")
    if int(row_limit) < 1 or int(name_width) < 8:
        raise ValueError("row_limit must be >= 1 and name_width >= 8")
    from optkit.fmt import format_time, wrap
    from optkit.i18n import tr

    events = list(prof.key_averages())
    total = sum(ev.self_cpu_time_total for ev in events) or 1.0     # microseconds

    def name(key):
        return key if len(key) <= name_width else key[:name_width - 1] + "…"

    head = f"{'name':<{name_width}}  {'self CPU':>16}  {'CPU total':>16}  {'calls':>6}"
    lines = [head, "-" * len(head)]
    for ev in sorted(events, key=lambda e: getattr(e, sort_by), reverse=True)[:int(row_limit)]:
        own, tot = ev.self_cpu_time_total, ev.cpu_time_total
        lines.append(f"{name(ev.key):<{name_width}}  "
                     f"{format_time(own / 1e6):>9} {own / total:>6.1%}  "
                     f"{format_time(tot / 1e6):>9} {tot / total:>6.1%}  {ev.count:>6}")
    lines.append(wrap(tr("shares are of the profile's total self CPU time ({total}); {kinds} kinds of event, "
                    "the top {shown} shown", total=format_time(total / 1e6), kinds=len(events),
                    shown=min(len(events), int(row_limit)))))
    return "\n".join(lines)


__all__.append("profile_table")


# --------------------------------------------------------------------------- counting code
_LANGUAGES = {".py": "python", ".pyi": "python", ".pyx": "python", ".pxd": "python", ".c": "c", ".h": "c",
              ".cc": "c", ".cpp": "c", ".hpp": "c", ".cu": "c"}


def code_lines(source, start: str | None = None, end: str | None = None, language: str | None = None) -> int:
    """Non-blank lines of code in ``source`` (a path, a function or class, or a string), without
    comments: ``#`` lines in Python; ``//`` and ``/* ... */`` in C/C++ (``language="c"``), where
    ``#include``/``#define``/``#pragma omp`` lines are code. ``language=None``: by a path's
    suffix; a function, class or string is Python. With ``start``/``end``: only the lines from
    the first line containing ``start`` up to (not including) the next line containing ``end``;
    ValueError if a marker is not found (or the language is unknown)."""
    import inspect
    from pathlib import Path
    if isinstance(source, Path):
        text, language = source.read_text(), language or _LANGUAGES.get(source.suffix.lower(), source.suffix)
    else:
        text = source if isinstance(source, str) else inspect.getsource(source)
    if (language or "python") not in ("python", "c"):
        raise ValueError(f"code_lines: which language is {source!s:.60}? pass language='python' or 'c'")
    lines = text.splitlines()
    if start is not None:
        if (i := next((k for k, ln in enumerate(lines) if start in ln), None)) is None:
            raise ValueError(f"start marker {start!r} not found")
        lines = lines[i:]
    if end is not None:
        if (j := next((k for k, ln in enumerate(lines) if k > 0 and end in ln), None)) is None:
            raise ValueError(f"end marker {end!r} not found")
        lines = lines[:j]
    if language != "c":
        return sum(1 for ln in lines if ln.strip() and not ln.strip().startswith("#"))
    n, in_block = 0, False
    for ln in lines:
        s = ln.strip()
        if in_block:
            if "*/" not in s:
                continue
            in_block, s = False, s.split("*/", 1)[1].strip()
        while s.startswith("/*"):                       # leading block comments: /* a */ /* b */ code
            in_block = "*/" not in s[2:]
            s = "" if in_block else s[2:].split("*/", 1)[1].strip()
        if s and not s.startswith("//"):
            n, rest = n + 1, s
            while "/*" in rest and not in_block and not 0 <= rest.find("//") < rest.find("/*"):
                rest = rest.split("/*", 1)[1]            # code, then a block comment that goes on
                in_block, rest = "*/" not in rest, rest.split("*/", 1)[-1]
    return n


# --------------------------------------------------------------------------- worker processes
