"""Build optkit.native, with OpenMP when the compiler has it.

OpenMP flags are chosen per compiler: MSVC gets /openmp; gcc and clang get -fopenmp; Apple
clang with Homebrew's libomp gets -Xpreprocessor -fopenmp and links -lomp. Homebrew's libomp is
keg-only: the probe finds omp.h and the library only when CPPFLAGS/LDFLAGS point at
$(brew --prefix libomp)/include and /lib, as README says.
Each candidate is tried on a tiny program first; if none compiles and links (Apple
clang without libomp, say) the extension is built without OpenMP and still works,
serially. Set OPTKIT_NO_OPENMP=1 to force a build without OpenMP. A build whose flags differ
from the last one's (libomp installed since, other CFLAGS) is made again even when no source
changed.
Set OPTKIT_ASAN=1 to build with AddressSanitizer (see `make asan`).

The extension is ONE module, optkit.native, compiled from every C file in optkit/csrc/ (see
optkit/csrc/optkit_native.h for what each file holds). -ffp-contract=off: the compiler must never
fuse a multiply and an add by itself, so that every kernel gives the same bytes on every CPU.
"""
import os
import shlex
import shutil
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

OMP_PROBE = r"""
#include <omp.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    return (n > 0 && omp_get_max_threads() > 0) ? 0 : 1;
}
"""


def _truthy(name):
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def _env_flags(*names, environ=None):
    """The flags of these environment variables (LDFLAGS, CFLAGS, ...), shlex-split, in order."""
    environ = os.environ if environ is None else environ
    return [a for n in names for a in shlex.split(environ.get(n, ""))]


def _compiles(compiler, source, compile_args, link_args):
    """True if `source` compiles and links with the given flags, and with the environment's
    CPPFLAGS/CFLAGS/LDFLAGS as the extension's own build gets them: distutils puts them into the
    compile command and into the shared-object link (linker_so) but not into linker_exe, which
    links this probe, so they are added here (Homebrew's keg-only libomp needs LDFLAGS' -L)."""
    tmp = tempfile.mkdtemp(prefix="optkit-omp-")
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(source)
        objs = compiler.compile([src], output_dir=tmp, extra_postargs=compile_args)
        env = [] if compiler.compiler_type == "msvc" else _env_flags("LDFLAGS", "CFLAGS", "CPPFLAGS")
        compiler.link_executable(objs, "probe", output_dir=tmp, extra_preargs=env,
                                 extra_postargs=link_args)
        return True
    except Exception:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    def build_extensions(self):
        ctype = self.compiler.compiler_type
        if ctype == "msvc":
            base = ["/O2", "/fp:precise"]
            candidates = [(["/openmp"], [])]
        else:
            # -fno-fast-math after the environment's CFLAGS: a -ffast-math there would fold the
            # NaN/inf checks of the quads away and let the kernels' bytes differ (A10 2)
            base = ["-O3", "-std=c99", "-fno-fast-math", "-ffp-contract=off", "-Wall", "-Wextra",
                    "-Wno-unused-parameter"]
            candidates = [(["-fopenmp"], ["-fopenmp"]),
                          (["-Xpreprocessor", "-fopenmp"], ["-lomp"])]
        omp = None
        if _truthy("OPTKIT_NO_OPENMP"):
            print("optkit: OPTKIT_NO_OPENMP set, building without OpenMP")
        else:
            for cargs, largs in candidates:
                if _compiles(self.compiler, OMP_PROBE, cargs, largs):
                    omp = (cargs, largs)
                    break
            print("optkit: OpenMP " + (f"found ({' '.join(omp[0])})" if omp
                                       else "not available, building serial version"))
        asan = ctype != "msvc" and _truthy("OPTKIT_ASAN")
        for ext in self.extensions:
            ext.extra_compile_args = base + (omp[0] if omp else [])
            # distutils puts CFLAGS/LDFLAGS on the link line too: with -ffast-math, -Ofast or
            # -funsafe-math-optimizations there, gcc <= 12 links crtfastmath.o, whose constructor
            # sets flush-to-zero for the whole Python process on import (A11 4). Cancel them.
            ext.extra_link_args = ([] if ctype == "msvc" else
                                   ["-O3", "-fno-fast-math", "-fno-unsafe-math-optimizations"]) + \
                (list(omp[1]) if omp else [])
            if omp:
                ext.define_macros.append(("OPTKIT_OPENMP", "1"))
            if asan:
                ext.extra_compile_args += ["-fsanitize=address", "-fno-omit-frame-pointer", "-O1", "-g"]
                ext.extra_link_args += ["-fsanitize=address"]
        # setuptools rebuilds only when a source is newer than the module: a serial build made
        # before libomp was installed (or with other flags) would stay. Rebuild when what this
        # build would use differs from what the last one used (A10 3).
        used = repr([(e.extra_compile_args, e.extra_link_args, e.define_macros) for e in self.extensions]
                    + [os.environ.get(k, "") for k in ("CC", "CFLAGS", "CPPFLAGS", "LDFLAGS")])
        stamp = os.path.join(self.build_temp, "optkit-build-flags.txt")
        try:
            with open(stamp, encoding="utf-8") as f:
                self.force = self.force or f.read() != used
        except OSError:
            self.force = True
        super().build_extensions()
        if self.force:       # only when something was built: a build/ nobody may write stays usable
            try:
                os.makedirs(self.build_temp, exist_ok=True)
                with open(stamp, "w", encoding="utf-8") as f:
                    f.write(used)
            except OSError as exc:
                print(f"optkit: could not record the build's flags in {stamp} ({exc}); "
                      "the next build will be made again")


# Listed one by one (never a glob): a learner's backup copy such as warp_plain_old.c in csrc/
# must not be compiled in (duplicate symbols). tests/test_packaging.py checks these lists against
# `git ls-files optkit/csrc`; the Makefile lists the same files.
NATIVE_SOURCES = [
    "optkit/csrc/geometry.c",
    "optkit/csrc/leak_lessons.c",
    "optkit/csrc/module.c",
    "optkit/csrc/warp_plain.c",
    "optkit/csrc/warp_tuned.c",
]
NATIVE_HEADERS = ["optkit/csrc/optkit_native.h"]

setup(
    ext_modules=[Extension("optkit.native", sources=NATIVE_SOURCES, depends=NATIVE_HEADERS,
                           libraries=[] if sys.platform == "win32" else ["m"])],
    cmdclass={"build_ext": BuildExt},
)
