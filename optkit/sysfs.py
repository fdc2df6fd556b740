"""Reading the kernel's own files: /proc and /sys text, cgroup membership, the cgroup CPU quota
and memory limit (v1 and v2, inside containers too), the THP mode and the base page size. A leaf
of ``optkit.machine``.

Nothing here raises on an odd system: what cannot be read is ``unknown("<reason>")``.
"""
from __future__ import annotations

import os
from pathlib import Path

from optkit.fmt import unknown

__all__ = ["read_text", "parse_proc_cgroup", "cgroup_ancestors", "cgroup_v1_dirs", "read_cgroup_cpu",
           "read_cgroup_memory", "cgroup_files", "transparent_hugepage_mode",
           "page_size"]

# cgroup v1 reports "no limit" as a huge number close to 2**63
_NO_LIMIT_BYTES = 1 << 60

def read_text(path: Path):
    """(text, None) or (None, reason)."""
    try:
        return Path(path).read_text().strip(), None
    except FileNotFoundError:
        return None, f"{path} does not exist"
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror or exc}"
    except Exception as exc:  # odd file systems
        return None, f"cannot read {path}: {exc}"


# --------------------------------------------------------------------------- cgroups
def parse_proc_cgroup(text: str) -> dict:
    """/proc/self/cgroup -> {"v2": "/path" or None, "v1": {controller: "/path"}}."""
    out = {"v2": None, "v1": {}}
    for line in text.splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) != 3:
            continue
        hid, controllers, path = parts
        if hid == "0" and controllers == "":
            out["v2"] = path or "/"
        else:
            for c in controllers.split(","):
                if c:
                    out["v1"][c] = path or "/"
    return out


def cgroup_ancestors(root: Path, rel: str) -> list[Path]:
    """root/rel, then each parent directory up to root (the limit may sit on a parent)."""
    rel = (rel or "/").strip("/")
    parts = [p for p in rel.split("/") if p and p != ".."]
    dirs = [root.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]
    return dirs


def cgroup_v1_dirs(cgroup_root: Path, controller: str, membership: dict) -> list[Path]:
    """Candidate directories for a v1 controller (mounted alone or co-mounted, e.g. cpu,cpuacct)."""
    rel = membership["v1"].get(controller, "/")
    dirs = []
    mounts = [cgroup_root / controller]
    try:
        mounts += sorted(p for p in cgroup_root.iterdir()
                         if p.is_dir() and "," in p.name and controller in p.name.split(","))
    except OSError:
        pass
    for m in mounts:
        if m.is_dir():
            dirs += cgroup_ancestors(m, rel)
            if rel.strip("/"):
                # inside a container the host path in /proc/self/cgroup is often not mounted:
                # the container's own cgroup is the mount root
                dirs.append(m)
    seen, out = set(), []
    for d in dirs:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def read_cgroup_cpu(cgroup_root="/sys/fs/cgroup", proc_self_cgroup="/proc/self/cgroup") -> dict:
    """The CPU quota of this process's cgroup (v2 cpu.max or v1 cfs_quota_us/cfs_period_us).

    Returns {"version", "file", "raw", "cpus", "error"}: `cpus` is a float (1.5 for
    "150000 100000"), None for "no limit", or "unknown: <reason>"; `raw` is the file text.
    """
    root = Path(cgroup_root)
    res = {"version": None, "file": None, "raw": None, "cpus": None, "error": None}
    if not root.is_dir():
        res["cpus"] = unknown(f"no cgroup file system at {root}")
        res["error"] = res["cpus"]
        return res
    text, err = read_text(Path(proc_self_cgroup))
    membership = parse_proc_cgroup(text or "")
    findings = []   # (cpus or None, version, file, raw)
    errors = []
    # cgroup v2: cpu.max = "<quota|max> <period>"
    v2_dirs = cgroup_ancestors(root, membership["v2"] or "/")
    if membership["v2"] and membership["v2"].strip("/"):
        v2_dirs.append(root)
    for d in dict.fromkeys(v2_dirs):
        f = d / "cpu.max"
        if not f.exists():
            continue
        raw, e = read_text(f)
        if raw is None:
            errors.append(e)
            continue
        fields = raw.split()
        try:
            if len(fields) not in (1, 2):
                raise ValueError
            period = float(fields[1]) if len(fields) == 2 else 100000.0
            if fields[0] == "max":
                findings.append((None, 2, str(f), raw))
            else:
                quota = float(fields[0])
                if quota <= 0 or period <= 0:
                    raise ValueError
                findings.append((quota / period, 2, str(f), raw))
        except ValueError:
            errors.append(f"cannot parse {raw[:40]!r} in {f}")
            findings.append(("bad", 2, str(f), raw))
    # cgroup v1: cpu.cfs_quota_us (-1 = no limit) / cpu.cfs_period_us
    if not findings:
        for d in cgroup_v1_dirs(root, "cpu", membership):
            fq, fp = d / "cpu.cfs_quota_us", d / "cpu.cfs_period_us"
            if not fq.exists():
                continue
            rq, e1 = read_text(fq)
            rp, e2 = read_text(fp)
            if rq is None or rp is None:
                errors.append(e1 or e2)
                continue
            raw = f"cpu.cfs_quota_us={rq} cpu.cfs_period_us={rp}"
            try:
                q, p = int(rq), int(rp)
                if q < 0:
                    findings.append((None, 1, str(fq), raw))
                elif q == 0 or p <= 0:
                    raise ValueError
                else:
                    findings.append((q / p, 1, str(fq), raw))
            except ValueError:
                errors.append(f"cannot parse {raw!r} in {d}")
                findings.append(("bad", 1, str(fq), raw))
    if not findings:
        reason = errors[0] if errors else f"no cpu.max or cpu.cfs_quota_us under {root}"
        res["cpus"] = unknown(reason)
        res["error"] = res["cpus"]
        if err and not errors:
            res["error"] = unknown(f"{reason}; {err}")
        return res
    # the tightest limit wins; a file that cannot be parsed is reported, never fatal
    limited = [f for f in findings if isinstance(f[0], float)]
    bad = [f for f in findings if f[0] == "bad"]
    if limited:
        best = min(limited, key=lambda f: f[0])
    elif bad:
        best = bad[0]
    else:
        best = findings[0]
    cpus, res["version"], res["file"], res["raw"] = best
    res["cpus"] = unknown(errors[0]) if cpus == "bad" else cpus
    if errors:
        res["error"] = unknown(errors[0])
    return res


def read_cgroup_memory(cgroup_root="/sys/fs/cgroup", proc_self_cgroup="/proc/self/cgroup") -> dict:
    """The memory limit of this cgroup: v2 memory.max or v1 memory.limit_in_bytes.

    {"version", "file", "raw", "bytes"}; bytes is None for "no limit" or "unknown: ...".
    """
    root = Path(cgroup_root)
    res = {"version": None, "file": None, "raw": None, "bytes": None}
    if not root.is_dir():
        res["bytes"] = unknown(f"no cgroup file system at {root}")
        return res
    text, _ = read_text(Path(proc_self_cgroup))
    membership = parse_proc_cgroup(text or "")
    cands = [(2, d / "memory.max") for d in cgroup_ancestors(root, membership["v2"] or "/")]
    cands += [(1, d / "memory.limit_in_bytes") for d in cgroup_v1_dirs(root, "memory", membership)]
    best, errors = None, []
    for version, f in dict.fromkeys(cands):
        if not f.exists():
            continue
        raw, e = read_text(f)
        if raw is None:
            errors.append(e)
            continue
        if raw == "max":
            val = None
        else:
            try:
                val = int(raw)
            except ValueError:
                errors.append(f"cannot parse {raw[:40]!r} in {f}")
                continue
            if val >= _NO_LIMIT_BYTES:
                val = None
        if best is None or (val is not None and (best[0] is None or val < best[0])):
            best = (val, version, str(f), raw)
    if best is None:
        res["bytes"] = unknown(errors[0] if errors else f"no memory.max or memory.limit_in_bytes under {root}")
        return res
    res["bytes"], res["version"], res["file"], res["raw"] = best
    return res




def cgroup_files(cgroup_root="/sys/fs/cgroup", proc_self_cgroup="/proc/self/cgroup") -> dict:
    """{path: text} of the files that hold this process's CPU and memory limits (v1 and v2).

    Files that do not exist are left out; a file that cannot be read maps to "unknown: <reason>".
    """
    root = Path(cgroup_root)
    out = {}
    text, err = read_text(Path(proc_self_cgroup))
    out[str(proc_self_cgroup)] = text if text is not None else unknown(err)
    if not root.is_dir():
        out[str(root)] = unknown(f"no cgroup file system at {root}")
        return out
    membership = parse_proc_cgroup(text or "")

    def add(d, names):
        for n in names:
            f = d / n
            if f.exists():
                t, e = read_text(f)
                out[str(f)] = t if t is not None else unknown(e)

    for d in cgroup_ancestors(root, membership["v2"] or "/")[:1] + [root]:
        add(d, ("cpu.max", "cpu.weight", "cpuset.cpus.effective", "memory.max", "memory.current"))
    v1 = {"cpu": ("cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares"),
          "cpuset": ("cpuset.cpus", "cpuset.effective_cpus"),
          "memory": ("memory.limit_in_bytes", "memory.usage_in_bytes")}
    for ctrl, names in v1.items():
        for d in cgroup_v1_dirs(root, ctrl, membership)[:1]:
            add(d, names)
    return out


THP_ENABLED = "/sys/kernel/mm/transparent_hugepage/enabled"


def transparent_hugepage_mode(path=THP_ENABLED):
    """The kernel's transparent huge page mode: "always", "madvise" or "never" (the bracketed
    word of ``always [madvise] never``); ``unknown("<reason>")`` where the file is missing (not
    Linux, an old kernel) or holds no bracketed mode."""
    text, err = read_text(Path(path))
    if text is None:
        return unknown(err)
    for word in text.split():
        if word.startswith("[") and word.endswith("]") and len(word) > 2:
            return word[1:-1]
    return unknown(f"no [mode] in {path}: {text[:60]!r}")


def page_size() -> int:
    """The base memory page in bytes (4 KiB on x86-64 Linux, 16 KiB on Apple silicon macOS, 64 KiB
    on some arm64 Linux kernels)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):   # no sysconf (Windows)
        import mmap
        return mmap.PAGESIZE
